"""The web view's server: loopback only, the token, the data it answers with, bad requests."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from listwatch import errors
from listwatch.engine import Engine
from listwatch.web.journal import Journal
from listwatch.web.uiserver import COOKIE, UIServer
from tests.builders import pod


@pytest.fixture
def ui(engine: Engine) -> Iterator[UIServer]:
    view = Journal(engine.spec)
    created = pod("web") | {"metadata": {"name": "web", "namespace": "default", "uid": "u-web"}}
    view.add({"type": "ADDED", "object": created})
    with UIServer(view) as server:
        yield server


def get(ui: UIServer, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", ui.port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        kind = response.getheader("Content-Type", "")
        return response.status, response, json.loads(body) if "json" in kind else body.decode()
    finally:
        connection.close()


def test_it_listens_on_loopback_only_and_prints_its_url_with_the_token(ui: UIServer) -> None:
    assert ui._httpd.server_address[0] == "127.0.0.1"
    assert ui.url == f"http://127.0.0.1:{ui.port}/?token={ui.token}" and len(ui.token) >= 32


def test_any_other_address_is_refused(engine: Engine) -> None:
    with pytest.raises(errors.ListwatchError, match="loopback address only"):
        UIServer(Journal(engine.spec), host="0.0.0.0")


def test_without_the_token_the_page_and_its_data_are_refused(ui: UIServer) -> None:
    status, _, body = get(ui, "/")
    assert status == 403 and "needs the token" in body
    for path in ("/api/snapshot", "/api/changes?since=0", "/api/pod?uid=u-web", "/?token=wrong"):
        assert get(ui, path)[0] == 403, path
    assert get(ui, "/api/snapshot", {"Cookie": f"{COOKIE}=wrong"})[0] == 403


def test_the_token_opens_the_page_and_leaves_a_cookie_for_its_requests(ui: UIServer) -> None:
    status, response, body = get(ui, f"/?token={ui.token}")
    assert status == 200 and "<svg" in body and 'src="static/app.js"' in body
    cookie = response.getheader("Set-Cookie")
    assert cookie.startswith(f"{COOKIE}={ui.token};") and "HttpOnly" in cookie
    status, _, snapshot = get(ui, "/api/snapshot", {"Cookie": f"{COOKIE}={ui.token}"})
    assert status == 200 and [r["uid"] for r in snapshot["pods"]] == ["u-web"]
    status, _, detail = get(ui, "/api/pod?uid=u-web", {"Cookie": f"{COOKIE}={ui.token}"})
    assert status == 200 and detail["row"]["cells"][1] == "web"
    assert get(ui, "/static/app.js")[0] == 200  # the page's own files need no token


def test_a_request_for_changes_waits_for_one(ui: UIServer) -> None:
    seq = ui.journal.seq
    threading.Timer(
        0.3,
        ui.journal.add,
        ({"type": "DELETED", "object": {"kind": "Pod", "metadata": {"uid": "u-web"}}},),
    ).start()
    began = time.monotonic()
    status, _, changed = get(ui, f"/api/changes?since={seq}&token={ui.token}")
    assert status == 200 and 0.2 < time.monotonic() - began < 10
    assert [r["deleted"] for r in changed["pods"]] == [True]


def test_bad_requests_get_a_clear_answer_and_the_server_goes_on(
    ui: UIServer, capfd: pytest.CaptureFixture[str]
) -> None:
    token = f"token={ui.token}"
    cases = {
        f"/api/changes?since=soon&{token}": (400, "since='soon': not a number"),
        f"/api/pod?uid=nope&{token}": (404, "no pod with uid 'nope'"),
        f"/api/nothing?{token}": (404, "no such data: nothing"),
        "/elsewhere": (404, "no such page: /elsewhere"),
        "/static/../../etc/passwd": (404, "no such file: ../../etc/passwd"),
    }
    for path, (status, message) in cases.items():
        got = get(ui, path)
        assert (got[0], got[2]["message"]) == (status, message), path
    with socket.create_connection(("127.0.0.1", ui.port), timeout=5) as raw:
        raw.sendall(b"GET / HTTP/9.x\r\n\r\n")
        assert b"Error code: 400" in raw.recv(1000)
    with socket.create_connection(("127.0.0.1", ui.port), timeout=5) as raw:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    assert get(ui, f"/api/snapshot?{token}")[0] == 200
    assert "Traceback" not in capfd.readouterr().err


def test_a_port_in_use_is_a_user_error(engine: Engine, ui: UIServer) -> None:
    with pytest.raises(
        errors.ListwatchError, match=f"cannot serve the web view on 127.0.0.1:{ui.port}"
    ):
        UIServer(Journal(engine.spec), port=ui.port)
