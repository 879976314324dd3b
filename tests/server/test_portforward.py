"""pods/portforward through the served API: the real kubectl (v1.32, SPDY/3.1 tunneled in a
WebSocket) and the official Python client (`portforward`, the channel protocol), on the docker
backend (real connections inside the pod's network namespace, through `.ci/dockerd run`) and on
the memory backend (nothing listens: kubelet's error), and what every refusal looks like."""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import socket
import ssl
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websocket
from kubernetes import client
from kubernetes.client.rest import ApiException
from kubernetes.stream import portforward

from listwatch.engine import Engine
from listwatch.server import Server, spdy
from tests.dockerengine import BUSYBOX
from tests.served import Client, official_client, serving
from tests.server.test_exec import create, kubectl
from tests.server.test_kubectl import KUBECTL

pytestmark = pytest.mark.skipif(not os.access(KUBECTL, os.X_OK), reason="kubectl is not installed")

PAGE = "<h1>hello from the pod</h1>"
#: A file well past SPDY's initial 64 KiB window (flow control must not stall it).
BIG_KIB = 4096
#: busybox's httpd on the pod's loopback only, serving PAGE; an echo server (nc) on port 1234.
WEB = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {
        "containers": [
            {
                "name": "httpd",
                "image": BUSYBOX,
                "command": [
                    "sh",
                    "-c",
                    f"mkdir -p /www && echo '{PAGE}' > /www/index.html && "
                    f"dd if=/dev/urandom of=/www/big bs=1024 count={BIG_KIB} 2>/dev/null && "
                    "exec httpd -f -p 127.0.0.1:80 -h /www",
                ],
            },
            {
                "name": "echo",
                "image": BUSYBOX,
                "command": ["sh", "-c", "nc -ll -p 1234 -e cat & exec nc -ll -p 1235 -e cat"],
            },
        ]
    },
}
SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "web"},
    "spec": {"selector": {"app": "web"}, "ports": [{"port": 8080, "targetPort": 80}]},
}
UNSCHEDULED = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "nowhere"},
    "spec": {
        "nodeSelector": {"no": "such-node"},
        "containers": [{"name": "main", "image": "nginx:1.15"}],
    },
}
REFUSED = re.compile(
    r"error forwarding port (\d+) to pod [0-9a-f]{64}, uid : failed to connect to localhost:\1 "
    r'inside namespace \\?"[0-9a-f]{64}\\?", IPv4: dial tcp4 127\.0\.0\.1:\1: connect: connection '
    r"refused IPv6 dial tcp6 \[::1\]:\1: connect: \S[^\n]*"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def port_forward(
    server: Server, target: str, remote: int, pod_port: int | None = None
) -> Iterator[tuple[int, Path]]:
    """`kubectl port-forward TARGET LOCAL:REMOTE` running (its local port, and the file its stderr
    goes to), stopped on exit. kubectl says which port of the pod it forwards to (`pod_port`:
    a service's targetPort)."""
    local = free_port()
    log = Path(str(server.kubeconfig)).with_name(f"port-forward-{local}.log")
    env = {**os.environ, "KUBECONFIG": str(server.kubeconfig)}
    with log.open("w") as errors:
        process = subprocess.Popen(
            [KUBECTL, "port-forward", target, f"{local}:{remote}"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        try:
            assert process.stdout is not None
            ready, _, _ = select.select([process.stdout], [], [], 30)
            assert ready, log.read_text()
            line = process.stdout.readline()
            shown = remote if pod_port is None else pod_port
            assert line == f"Forwarding from 127.0.0.1:{local} -> {shown}\n", line + log.read_text()
            yield local, log
        finally:
            process.terminate()
            process.wait(10)
            if process.stdout is not None:
                process.stdout.close()


def fetch(port: int, path: str = "/") -> str:
    return fetch_bytes(port, path).decode()


def fetch_bytes(port: int, path: str) -> bytes:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=20) as response:
        body: bytes = response.read()
        return body


def running(server: Server, container: str, command: str) -> bool:
    """Whether a process whose command line has `command` runs in the container."""
    return command in kubectl(server, "exec", "web", "-c", container, "--", "ps").stdout


def closed(pf: Any) -> None:
    """Wait until the client's WebSocket has closed and its proxy thread has ended, then free its
    socket (the client leaves it open when the server closed first). Freed earlier, its number
    could go to the next connection while the thread still uses it."""
    deadline = time.monotonic() + 10
    while pf.connected or any(
        thread.name.startswith("Kubernetes port forward proxy") for thread in threading.enumerate()
    ):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    pf.websocket.shutdown()


@pytest.fixture(scope="module")
def memory_served(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A cluster on the memory backend, with a running pod `web` (nginx, simulated) and a pod that
    no node takes."""
    tmp = tmp_path_factory.mktemp("portforward-memory")
    web = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web"},
        "spec": {"containers": [{"name": "nginx", "image": "nginx:1.15"}]},
    }
    with serving(engine, nodes=("node01",)) as server:
        create(server, web, tmp, wait_for="condition=Ready")
        create(server, UNSCHEDULED, tmp, wait_for="condition=PodScheduled=false")
        yield server


@pytest.fixture(scope="module")
def docker_served(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A cluster on the docker backend, with a running pod `web` serving PAGE on its loopback."""
    tmp = tmp_path_factory.mktemp("portforward-docker")
    with serving(engine, nodes=("node01",), runtime="docker") as server:
        create(server, WEB, tmp, wait_for="condition=Ready")
        service = tmp / "service.json"
        service.write_text(json.dumps(SERVICE))
        assert kubectl(server, "create", "-f", str(service)).returncode == 0
        deadline = time.monotonic() + 30
        while not running(server, "httpd", "httpd") or not running(server, "echo", "-p 1235"):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        yield server


# -- the docker backend: real connections --------------------------------------------------------


def test_kubectl_port_forward_reaches_the_pods_loopback(docker_served: Server) -> None:
    with port_forward(docker_served, "pod/web", 80) as (local, log):
        assert fetch(local).strip() == PAGE
        assert fetch(local).strip() == PAGE  # a second connection over the same session
        assert len(fetch_bytes(local, "/big")) == BIG_KIB * 1024
        assert "error" not in log.read_text()


def test_kubectl_port_forward_to_a_service_reaches_a_pod_behind_it(docker_served: Server) -> None:
    with port_forward(docker_served, "svc/web", 8080, pod_port=80) as (local, _):
        assert fetch(local).strip() == PAGE


def test_kubectl_port_forward_to_a_port_nobody_listens_on_reports_the_kubelets_error(
    docker_served: Server,
) -> None:
    with port_forward(docker_served, "pod/web", 81) as (local, log):
        with pytest.raises(OSError):
            fetch(local)
        deadline = time.monotonic() + 10
        while "error forwarding port 81" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        assert REFUSED.search(log.read_text()), log.read_text()


def test_the_python_clients_portforward_speaks_http_to_the_pod(docker_served: Server) -> None:
    with official_client(docker_served) as api_client:
        api = client.CoreV1Api(api_client)
        pf = portforward(api.connect_get_namespaced_pod_portforward, "web", "default", ports="80")
        sock = pf.socket(80)
        sock.setblocking(True)
        sock.sendall(b"GET / HTTP/1.0\r\nHost: web\r\n\r\n")
        reply = b""
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
        sock.close()
        assert reply.startswith(b"HTTP/1.1 200 OK"), reply
        assert PAGE.encode() in reply
        assert pf.error(80) is None
        closed(pf)


def test_the_python_client_reads_a_refused_port_on_its_error_channel(
    docker_served: Server,
) -> None:
    with official_client(docker_served) as api_client:
        api = client.CoreV1Api(api_client)
        pf = portforward(
            api.connect_get_namespaced_pod_portforward, "web", "default", ports="80,1236"
        )
        refused = pf.socket(1236)
        refused.setblocking(True)
        assert refused.recv(1024) == b""
        assert REFUSED.fullmatch(pf.error(1236) or ""), pf.error(1236)
        refused.close()
        pf.close()
        closed(pf)


def echoed(sock: Any, sent: bytes) -> bytes:
    """What comes back of `sent` on a forwarded socket (an echo server answers it)."""
    sock.sendall(sent)
    reply = b""
    while reply != sent:
        ready, _, _ = select.select([sock], [], [], 30)
        assert ready, reply
        data = sock.recv(1024)
        assert data, "the forwarded connection closed"
        reply += data
    return reply


def test_the_python_client_forwards_several_ports_at_once_as_its_e2e_suite_does(
    docker_served: Server,
) -> None:
    """test_portforward_raw of the client's e2e suite, with busybox's nc as the echo servers."""
    with official_client(docker_served) as api_client:
        api = client.CoreV1Api(api_client)
        for round_ in range(3):
            pf = portforward(
                api.connect_get_namespaced_pod_portforward, "web", "default", ports="1234,1235,1236"
            )
            assert pf.connected
            first, second = pf.socket(1234), pf.socket(1235)
            first.setblocking(True)
            second.setblocking(True)
            for sock, port in ((first, 1234), (second, 1235)):
                sent = f"Test {round_} port {port} forwarding".encode()
                assert echoed(sock, sent) == sent
            refused = pf.socket(1236)
            refused.setblocking(True)
            assert refused.recv(1024) == b""
            assert REFUSED.fullmatch(pf.error(1236) or ""), pf.error(1236)
            refused.close()
            for sock in (first, second):
                assert pf.connected
                sent = f"Another test {round_} using fileno {sock.fileno()}".encode()
                assert echoed(sock, sent) == sent
                sock.close()
            closed(pf)
            assert pf.error(1234) is None and pf.error(1235) is None


# -- the memory backend: nothing listens ---------------------------------------------------------


def test_kubectl_port_forward_on_the_memory_backend_reports_that_nothing_listens(
    memory_served: Server,
) -> None:
    with port_forward(memory_served, "pod/web", 80) as (local, log):
        with pytest.raises(OSError):
            fetch(local)
        deadline = time.monotonic() + 10
        while "error forwarding port 80" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        assert REFUSED.search(log.read_text()), log.read_text()


def test_the_python_client_on_the_memory_backend_gets_the_error_channel(
    memory_served: Server,
) -> None:
    with official_client(memory_served) as api_client:
        api = client.CoreV1Api(api_client)
        pf = portforward(api.connect_get_namespaced_pod_portforward, "web", "default", ports="80")
        sock = pf.socket(80)
        sock.setblocking(True)
        assert sock.recv(1024) == b""
        assert REFUSED.fullmatch(pf.error(80) or ""), pf.error(80)
        closed(pf)  # every port is done: the server closes the WebSocket
        sock.close()


# -- refusals before the upgrade -------------------------------------------------------------------


def test_kubectl_port_forward_to_a_missing_pod_is_refused(memory_served: Server) -> None:
    done = kubectl(memory_served, "port-forward", "pod/nosuch", "8080:80")
    assert done.returncode == 1
    assert done.stderr == 'Error from server (NotFound): pods "nosuch" not found\n'


def test_the_python_client_is_refused_a_missing_pod(memory_served: Server) -> None:
    with official_client(memory_served) as api_client:
        api = client.CoreV1Api(api_client)
        with pytest.raises(ApiException) as raised:
            portforward(api.connect_get_namespaced_pod_portforward, "nosuch", "default", ports="80")
        assert "404" in str(raised.value.reason)


def status_of(server: Server, path: str, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    connection = Client(server).connection()
    connection.request(
        "GET",
        path,
        headers={"Authorization": f"Bearer {server.credentials.token}", **headers},
    )
    response = connection.getresponse()
    body = json.loads(response.read())
    connection.close()
    return response.status, body


PODS = "/api/v1/namespaces/default/pods"
NO_PORT = 'query parameter "port" is required'
WEBSOCKET = {
    "Connection": "Upgrade",
    "Upgrade": "websocket",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Protocol": "v4.channel.k8s.io",
}


@pytest.mark.parametrize(
    ("path", "code", "message"),
    [
        ("/api/v1/namespaces/default/pods/web/portforward", 400, NO_PORT),
        (
            "/api/v1/namespaces/default/pods/web/portforward?ports=http",
            400,
            'unable to parse "http" as a port: strconv.ParseUint: parsing "http": invalid syntax',
        ),
        ("/api/v1/namespaces/default/pods/web/portforward?ports=0", 400, 'port "0" must be > 0'),
        (
            "/api/v1/namespaces/default/pods/nowhere/portforward?ports=80",
            400,
            "pod nowhere does not have a host assigned",
        ),
        (f"{PODS}/nosuch/portforward?ports=80", 404, 'pods "nosuch" not found'),
    ],
)
def test_refusals_are_statuses(memory_served: Server, path: str, code: int, message: str) -> None:
    status, body = status_of(memory_served, path, WEBSOCKET)
    assert (status, body["kind"], body["code"], body["message"]) == (code, "Status", code, message)


def test_a_plain_request_and_an_spdy_upgrade_are_refused(memory_served: Server) -> None:
    path = "/api/v1/namespaces/default/pods/web/portforward"
    status, body = status_of(memory_served, path, {})
    assert (status, body["message"]) == (400, "Upgrade request required")
    status, body = status_of(memory_served, path, {"Connection": "Upgrade", "Upgrade": "SPDY/3.1"})
    assert status == 400
    assert body["message"].startswith("listwatch serves pods/portforward over WebSocket")


# -- the SPDY tunnel, spoken by hand ---------------------------------------------------------------


class SpdyClient:
    """The client side of the tunnel, as kubectl's spdystream speaks it (a test's own framer)."""

    def __init__(self, server: Server) -> None:
        context = ssl.create_default_context(cadata=server.credentials.ca_pem.decode())
        self.connection = websocket.create_connection(
            f"wss://{server.host}:{server.port}{PODS}/web/portforward",
            subprotocols=["SPDY/3.1+portforward.k8s.io"],
            header=[f"Authorization: Bearer {server.credentials.token}"],
            sslopt={"context": context},
            timeout=30,
        )
        self.framer = spdy.Framer()
        self.frames: list[spdy.Frame] = []

    def send(self, frame: spdy.Frame) -> None:
        self.connection.send_binary(self.framer.encode(frame))

    def receive(self) -> spdy.Frame:
        while not self.frames:
            self.frames += self.framer.feed(self.connection.recv())
        return self.frames.pop(0)

    def close(self) -> None:
        self.connection.close()
        self.connection.shutdown()


@pytest.fixture
def tunnel(memory_served: Server) -> Iterator[SpdyClient]:
    spoken = SpdyClient(memory_served)
    yield spoken
    spoken.close()


def test_the_tunnel_is_the_negotiated_subprotocol_and_pings_are_echoed(
    tunnel: SpdyClient,
) -> None:
    # websocket-client lowers the answer's case (kubectl, which compares it exactly, works above)
    assert tunnel.connection.subprotocol == "spdy/3.1+portforward.k8s.io"
    tunnel.send(spdy.Frame(spdy.PING, value=1))
    assert tunnel.receive() == spdy.Frame(spdy.PING, value=1)


def test_a_stream_without_a_port_is_reset(tunnel: SpdyClient) -> None:
    tunnel.send(spdy.Frame(spdy.SYN_STREAM, 1, headers={"streamType": "data"}))
    assert tunnel.receive() == spdy.Frame(spdy.RST_STREAM, 1, value=spdy.CANCEL)


def test_a_request_gets_replies_then_the_error_then_both_streams_end(tunnel: SpdyClient) -> None:
    for stream_id, kind in ((1, "error"), (3, "data")):
        headers = {"streamType": kind, "port": "8080", "requestID": "0"}
        tunnel.send(spdy.Frame(spdy.SYN_STREAM, stream_id, headers=headers))
    assert tunnel.receive() == spdy.Frame(spdy.SYN_REPLY, 1)
    assert tunnel.receive() == spdy.Frame(spdy.SYN_REPLY, 3)
    error = tunnel.receive()
    assert (error.kind, error.stream_id, error.fin) == (spdy.DATA, 1, False)
    assert REFUSED.fullmatch(error.data.decode()), error.data
    assert "port 8080" in error.data.decode()
    assert tunnel.receive() == spdy.Frame(spdy.DATA, 1, spdy.FLAG_FIN)
    assert tunnel.receive() == spdy.Frame(spdy.DATA, 3, spdy.FLAG_FIN)
    tunnel.send(spdy.Frame(spdy.PING, value=3))  # the session goes on
    assert tunnel.receive() == spdy.Frame(spdy.PING, value=3)


def test_kubectl_without_websockets_is_told_to_use_them(memory_served: Server) -> None:
    env = {
        **os.environ,
        "KUBECONFIG": str(memory_served.kubeconfig),
        "KUBECTL_PORT_FORWARD_WEBSOCKETS": "false",
    }
    done = subprocess.run(
        [KUBECTL, "port-forward", "pod/web", f"{free_port()}:80"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr == (
        "error: error upgrading connection: listwatch serves pods/portforward over WebSocket "
        "(SPDY/3.1+portforward.k8s.io, v4.channel.k8s.io), not SPDY/3.1; use kubectl v1.31 or "
        "later (with KUBECTL_PORT_FORWARD_WEBSOCKETS unset or true), or a client that speaks "
        "WebSocket\n"
    )


def test_a_client_offering_no_subprotocol_gets_the_channel_protocol(memory_served: Server) -> None:
    context = ssl.create_default_context(cadata=memory_served.credentials.ca_pem.decode())
    connection = websocket.create_connection(
        f"wss://{memory_served.host}:{memory_served.port}{PODS}/web/portforward?ports=8080",
        header=[f"Authorization: Bearer {memory_served.credentials.token}"],
        sslopt={"context": context},
        timeout=30,
    )
    try:
        assert connection.subprotocol is None
        received = []
        while True:
            opcode, data = connection.recv_data()
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                break
            received.append(data)
    finally:
        connection.close()
        connection.shutdown()
    port = (8080).to_bytes(2, "little")
    assert received[:2] == [b"\x00" + port, b"\x01" + port]  # data, then error channel
    assert len(received) == 3 and received[2][:1] == b"\x01"
    assert REFUSED.fullmatch(received[2][1:].decode()), received[2]


def test_the_clients_goaway_ends_the_session(tunnel: SpdyClient) -> None:
    tunnel.send(spdy.Frame(spdy.GOAWAY, 0))
    opcode, _ = tunnel.connection.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE


def test_a_frame_of_another_spdy_version_is_answered_with_goaway(tunnel: SpdyClient) -> None:
    tunnel.connection.send_binary(b"\x80\x02\x00\x06\x00\x00\x00\x04\x00\x00\x00\x01")
    assert tunnel.receive() == spdy.Frame(spdy.GOAWAY, 0, value=spdy.PROTOCOL_ERROR)
    opcode, _ = tunnel.connection.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE
