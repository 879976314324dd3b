"""Fixtures for tests that need a Docker Engine: a runtime on a real clock, a registry on loopback,
and a check that nothing is left behind.

Without an engine (DOCKER_HOST unset and no local socket, as on a developer machine without root)
these tests are skipped with the backend's own one-line reason; where LISTWATCH_REQUIRE_DOCKER is
set (`make test` sets it through `.ci/dockerd run`) they fail instead, so CI skips nothing.
Registered for every test through `pytest_plugins` in tests/conftest.py.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import sys
import tarfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest

from listwatch.clock import SystemClock
from listwatch.errors import BackendUnavailable
from listwatch.loop import Loop
from listwatch.runtime import dockernames
from tests.bdd.world import REQUIRE_DOCKER

if TYPE_CHECKING:
    from listwatch.runtime.docker import DockerRuntime

#: The image the features and these tests run (imported by .ci/dockerd from busybox-static).
BUSYBOX = "busybox:1.36"


def docker_runtime(loop: Loop) -> DockerRuntime:
    """A DockerRuntime on `loop`, or a skip (a failure under LISTWATCH_REQUIRE_DOCKER) saying why
    not."""
    try:
        from listwatch.runtime.docker import DockerRuntime

        return DockerRuntime(loop)
    except (BackendUnavailable, ImportError) as exc:
        if os.environ.get(REQUIRE_DOCKER):
            pytest.fail(f"{exc} ({REQUIRE_DOCKER} is set: this run must have a Docker Engine)")
        pytest.skip(str(exc))


@pytest.fixture
def real_loop() -> Iterator[Loop]:
    """A loop on the system clock: a Docker Engine's containers run in real time."""
    loop = Loop(SystemClock())
    yield loop
    loop.close()


@pytest.fixture
def docker_rt(real_loop: Loop) -> Iterator[DockerRuntime]:
    """A DockerRuntime, closed (all its containers removed) after the test."""
    runtime = docker_runtime(real_loop)
    yield runtime
    runtime.close()


@dataclass(frozen=True)
class _Blob:
    media_type: str
    data: bytes

    @property
    def digest(self) -> str:
        return f"sha256:{hashlib.sha256(self.data).hexdigest()}"


class _Registry(ThreadingHTTPServer):
    """A read-only image registry (Docker Registry HTTP API v2) serving one image, on loopback."""

    daemon_threads = True

    def __init__(self, name: str, tag: str, manifest: _Blob, blobs: dict[str, _Blob]) -> None:
        super().__init__(("127.0.0.1", 0), _RegistryHandler)
        self.name, self.tag, self.manifest, self.blobs = name, tag, manifest, blobs


class _RegistryHandler(BaseHTTPRequestHandler):
    server: _Registry

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def _answer(self, *, body: bool) -> None:
        registry = self.server
        path = self.path.split("?", 1)[0]
        if path == "/v2/":
            return self._send(_Blob("application/json", b"{}"), body=body)
        manifests, blobs = f"/v2/{registry.name}/manifests/", f"/v2/{registry.name}/blobs/"
        if path in (manifests + registry.tag, manifests + registry.manifest.digest):
            return self._send(registry.manifest, body=body)
        if path.startswith(blobs) and path[len(blobs) :] in registry.blobs:
            return self._send(registry.blobs[path[len(blobs) :]], body=body)
        error = json.dumps(
            {"errors": [{"code": "NAME_UNKNOWN", "message": f"{path}: not found"}]}
        ).encode()
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(error)))
        self.end_headers()
        if body:
            self.wfile.write(error)

    def _send(self, blob: _Blob, *, body: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", blob.media_type)
        self.send_header("Content-Length", str(len(blob.data)))
        self.send_header("Docker-Content-Digest", blob.digest)
        self.send_header("Docker-Distribution-Api-Version", "registry/2.0")
        self.end_headers()
        if body:
            self.wfile.write(blob.data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the engine's first try is HTTPS, which this plain-HTTP registry refuses: no noise


def _registry_for(runtime: DockerRuntime, image: str, name: str, tag: str) -> _Registry:
    """Serve `image` (saved from the engine) as `name:tag` in schema 2, its one layer gzipped."""
    saved = b"".join(runtime.client.images.get(image).save())
    with tarfile.open(fileobj=io.BytesIO(saved)) as archive:

        def read(member: str) -> bytes:
            extracted = archive.extractfile(member)
            assert extracted is not None, member
            return extracted.read()

        (entry,) = json.loads(read("manifest.json"))
        config = _Blob("application/vnd.docker.container.image.v1+json", read(entry["Config"]))
        layers = [
            _Blob(
                "application/vnd.docker.image.rootfs.diff.tar.gzip",
                gzip.compress(read(layer), mtime=0),
            )
            for layer in entry["Layers"]
        ]
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": config.media_type,
            "size": len(config.data),
            "digest": config.digest,
        },
        "layers": [
            {"mediaType": layer.media_type, "size": len(layer.data), "digest": layer.digest}
            for layer in layers
        ],
    }
    blob = _Blob(
        "application/vnd.docker.distribution.manifest.v2+json", json.dumps(manifest).encode()
    )
    return _Registry(name, tag, blob, {b.digest: b for b in (config, *layers)})


@pytest.fixture(scope="session")
def registry_image() -> Iterator[str]:
    """An image reference a Docker Engine can really pull: busybox, served by a registry on
    127.0.0.1.

    No registry outside is reachable here, so the pull path is shown against one the test runs on
    loopback (the engine sends loopback requests past its proxy, and treats 127.0.0.0/8 registries
    as plain-HTTP ones). The tag the pull creates is removed afterwards; the image stays (it is
    busybox:1.36's).
    """
    loop = Loop(SystemClock())
    runtime = docker_runtime(loop)
    registry = _registry_for(runtime, BUSYBOX, "listwatch/busybox", "pulled")
    serving = threading.Thread(
        target=registry.serve_forever, name="listwatch-test-registry", daemon=True
    )
    serving.start()
    reference = f"127.0.0.1:{registry.server_address[1]}/listwatch/busybox:pulled"
    try:
        yield reference
    finally:
        registry.shutdown()
        registry.server_close()
        if runtime.image_present("", reference):
            runtime.client.images.remove(reference)
        runtime.close()
        loop.close()


@pytest.fixture(scope="session", autouse=True)
def no_containers_left_behind() -> Iterator[None]:
    """After the session: none of this process's listwatch containers remains in the engine."""
    yield
    module = sys.modules.get("listwatch.runtime.docker")
    if module is None:
        return  # no docker runtime was made in this process
    loop = Loop(SystemClock())
    try:
        runtime = module.DockerRuntime(loop)
    except BackendUnavailable:
        return
    try:
        left = runtime.client.api.containers(
            all=True, filters={"label": f"{dockernames.OWNER}={runtime.owner}"}
        )
        names = [n.lstrip("/") for c in left for n in c.get("Names") or ()]
        for container in left:
            runtime.client.api.remove_container(container["Id"], force=True)
        assert not names, f"listwatch left containers behind (now removed): {', '.join(names)}"
    finally:
        runtime.close()
        loop.close()
