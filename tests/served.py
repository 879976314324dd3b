"""Helpers for tests of the served API: a server in this process, and a small HTTPS client; as a
pytest plugin, the fixtures `server` (one per module; a module that needs another kind defines
its own) and `client`.

The client speaks plain HTTP/1.1 over TLS (http.client), so tests see exactly what goes on the
wire: status codes, Status bodies, chunked watch streams, and what happens when a socket closes.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from listwatch.clock import SystemClock
from listwatch.engine import Engine
from listwatch.loop import Loop
from listwatch.server import Server
from tests.dockerengine import docker_runtime


@contextmanager
def serving(engine: Engine, **kwargs: Any) -> Iterator[Server]:
    """A started server on a free port (stopped on exit). With `runtime="docker"` and no Docker
    Engine, the test is skipped (failed under LISTWATCH_REQUIRE_DOCKER) with the backend's
    reason."""
    kwargs.setdefault("nodes", ("node01", "node02"))
    if kwargs.get("runtime") == "docker":
        loop = Loop(SystemClock())
        try:
            docker_runtime(loop).close()  # skips, or fails, saying why there is no engine
        finally:
            loop.close()
    server = Server(engine, port=0, **kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Reply:
    """A response: its status, headers and body (parsed as JSON when it is JSON)."""

    def __init__(self, status: int, headers: dict[str, str], raw: bytes) -> None:
        self.status = status
        self.headers = headers
        self.raw = raw
        try:
            self.json: Any = json.loads(raw) if raw else None
        except ValueError:
            self.json = None

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.raw[:300]!r})"


class Client:
    """Requests against a served cluster, with its CA and (unless told otherwise) its token."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.context = server.client_context()
        self.token = server.credentials.token

    def connection(self, timeout: float = 30.0) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(
            self.server.host, self.server.port, context=self.context, timeout=timeout
        )

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        token: str | None = "",
        content_type: str = "application/json",
    ) -> Reply:
        conn = self.connection()
        try:
            sent = dict(headers or {})
            if token is not None:
                sent["Authorization"] = f"Bearer {token or self.token}"
            data = (
                raw
                if raw is not None
                else (json.dumps(body).encode() if body is not None else None)
            )
            if data is not None:
                sent.setdefault("Content-Type", content_type)
            conn.request(method, path, body=data, headers=sent)
            response = conn.getresponse()
            return Reply(
                response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
            )
        finally:
            conn.close()

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> Reply:
        return self.request("POST", path, body, **kwargs)

    @contextmanager
    def watch(self, path: str, *, headers: dict[str, str] | None = None) -> Iterator[WatchReader]:
        conn = self.connection()
        conn.request(
            "GET", path, headers={"Authorization": f"Bearer {self.token}", **(headers or {})}
        )
        response = conn.getresponse()
        reader = WatchReader(conn, response)
        try:
            yield reader
        finally:
            reader.close()


class WatchReader:
    """The events of a watch stream, one JSON document per line."""

    def __init__(
        self, conn: http.client.HTTPSConnection, response: http.client.HTTPResponse
    ) -> None:
        self.conn = conn
        self.response = response
        self.status = response.status

    def next(self) -> dict[str, Any] | None:
        """The next event, or None when the stream has ended."""
        line = self.response.readline()
        if not line:
            return None
        event: dict[str, Any] = json.loads(line)
        return event

    def until(
        self, predicate: Callable[[dict[str, Any]], bool], *, limit: int = 200
    ) -> list[dict[str, Any]]:
        """Events up to and including the first one `predicate` accepts."""
        seen = []
        for _ in range(limit):
            event = self.next()
            assert event is not None, f"the stream ended before the expected event; saw {seen}"
            seen.append(event)
            if predicate(event):
                return seen
        raise AssertionError(f"no expected event within {limit} events: {seen}")

    def close(self) -> None:
        self.conn.close()


@contextmanager
def official_client(server: Server) -> Iterator[Any]:
    """The official Python client's ApiClient for a served cluster, configured from its kubeconfig
    as a user's program is (closed on exit)."""
    from kubernetes import client, config

    configuration = client.Configuration()
    assert server.kubeconfig is not None
    config.load_kube_config(config_file=str(server.kubeconfig), client_configuration=configuration)
    with client.ApiClient(configuration) as api_client:
        yield api_client


def wait_until(
    condition: Callable[[], bool], *, timeout: float = 10.0, interval: float = 0.05
) -> bool:
    """Poll `condition` until it holds or `timeout` seconds pass (for effects of real time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def pod(
    name: str,
    *,
    node: str = "",
    labels: dict[str, str] | None = None,
    image: str = "nginx:1.15",
    **spec: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels or {"app": "nginx"}},
        "spec": {"containers": [{"name": "nginx", "image": image}], **spec},
    }
    if node:
        body["spec"]["nodeName"] = node
    return body


@pytest.fixture(scope="module")
def server(engine: Engine) -> Iterator[Server]:
    with serving(engine) as served:
        yield served


@pytest.fixture
def client(server: Server) -> Client:
    return Client(server)
