"""The HTTPS listener: HTTP/2 by ALPN, the request-head deadline, malformed framing, a burst of
connects, and a watcher that stops reading (closed, while the others go on)."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import h2.config
import h2.connection
import h2.events
import pytest

from listwatch.engine import Engine
from listwatch.server import Server, app, asgi, watchstream
from tests.served import Client, pod, serving, wait_until

PODS = "/api/v1/namespaces/default/pods"


def connect(server: Server, *, alpn: list[str] | None = None, rcvbuf: int = 0) -> ssl.SSLSocket:
    context = server.client_context()
    if alpn:
        context.set_alpn_protocols(alpn)
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    raw.settimeout(10)
    raw.connect((server.host, server.port))
    return context.wrap_socket(raw, server_hostname="127.0.0.1")


def read_all(sock: ssl.SSLSocket) -> bytes:
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (OSError, ssl.SSLError):
        pass
    return data


def test_http2_is_offered_and_serves_the_api(server: Server) -> None:
    Client(server).post(PODS, pod("over-h2", node="node01"))
    with connect(server, alpn=["h2", "http/1.1"]) as sock:
        assert sock.selected_alpn_protocol() == "h2"
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        conn.send_headers(
            1,
            [
                (":method", "GET"),
                (":scheme", "https"),
                (":authority", "127.0.0.1"),
                (":path", f"{PODS}/over-h2"),
                ("authorization", f"Bearer {server.credentials.token}"),
            ],
            end_stream=True,
        )
        sock.sendall(conn.data_to_send())
        status, body, ended = "", b"", False
        while not ended:
            for event in conn.receive_data(sock.recv(65536)):
                if isinstance(event, h2.events.ResponseReceived):
                    status = dict(event.headers)[b":status"].decode()
                elif isinstance(event, h2.events.DataReceived):
                    body += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    ended = True
            sock.sendall(conn.data_to_send())
    assert status == "200"
    assert json.loads(body)["metadata"]["name"] == "over-h2"


def test_a_client_that_trickles_its_request_head_is_cut_off_at_the_deadline(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app, "HEADER_SECONDS", 1.0)
    with serving(engine) as server, connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        closed = False
        while time.monotonic() - started < 5:
            try:
                sock.sendall(b"X")  # one byte of a header every 0.2 s: never a whole head
                sock.settimeout(0.2)
                if sock.recv(1024) == b"":
                    closed = True
                    break
            except TimeoutError:
                continue
            except (OSError, ssl.SSLError):
                closed = True
                break
        elapsed = time.monotonic() - started
    assert closed and elapsed < 3.0


def test_a_negative_chunk_size_is_a_400_not_a_hang(server: Server) -> None:
    with connect(server) as sock:
        sock.sendall(
            f"POST {PODS} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            f"{server.credentials.token}\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nab\r\n".encode()
        )
        answer = read_all(sock)
    assert answer.startswith(b"HTTP/1.1 400")


def test_two_hundred_clients_connecting_at_once_are_all_answered(server: Server) -> None:
    barrier = threading.Barrier(200)

    def healthz(_: int) -> bytes:
        barrier.wait(30)
        with connect(server) as sock:
            sock.sendall(
                b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: "
                b"Bearer %s\r\n\r\n" % server.credentials.token.encode()
            )
            return read_all(sock)

    with ThreadPoolExecutor(200) as pool:
        answers = list(pool.map(healthz, range(200)))
    bad = [a for a in answers if not (a.startswith(b"HTTP/1.1 200") and a.endswith(b"ok"))]
    assert not bad, bad[:3]


@pytest.fixture
def quick_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watchstream, "SLOW_WATCHER_SECONDS", 1.0)
    monkeypatch.setattr(asgi, "SWEEP_SECONDS", 0.2)


def open_watches(server: Server) -> list[str]:
    listed = Client(server).get("/listwatch/v1/watches").json
    return [w["actor"] for w in listed["items"] if w["resource"] == "pods"]


@pytest.mark.usefixtures("quick_sweep")
def test_a_watcher_that_stops_reading_is_closed_and_the_others_get_everything(
    engine: Engine,
) -> None:
    big = "x" * 200_000  # 50 pods of 200 kB: more than the sockets' buffers hold
    with serving(engine, without=("scheduler", "kubelet", "controller-manager")) as server:
        stuck = connect(server, rcvbuf=4096)
        stuck.sendall(
            f"GET /api/v1/pods?watch=true HTTP/1.1\r\nHost: x\r\nUser-Agent: stuck/1.0\r\n"
            f"Authorization: Bearer {server.credentials.token}\r\n\r\n".encode()
        )
        assert stuck.recv(4096).startswith(b"HTTP/1.1 200")  # then it reads nothing more
        assert wait_until(lambda: "stuck" in open_watches(server))
        with Client(server).watch("/api/v1/pods?watch=true") as reader:
            names: list[str] = []
            done = threading.Event()

            def read() -> None:
                while len(names) < 50 and (event := reader.next()) is not None:
                    names.append(event["object"]["metadata"]["name"])
                done.set()

            threading.Thread(target=read, daemon=True).start()
            for i in range(50):
                body = pod(f"big-{i}")
                body["metadata"]["annotations"] = {"filler": big}
                assert Client(server).post(PODS, body).status == 201
            assert done.wait(30)
        assert names == [f"big-{i}" for i in range(50)]
        assert wait_until(lambda: "stuck" not in open_watches(server), timeout=10)
        stuck.close()


def test_a_client_that_breaks_its_tls_session_costs_only_its_connection(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    err = io.StringIO()
    with serving(engine, err=err) as server:
        for _ in range(3):
            tls = connect(server)
            tls.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            raw = socket.socket(fileno=os.dup(tls.fileno()))
            raw.sendall(b"\x17\x03\x03\x00\x20" + b"x" * 32)  # a record no key made
            raw.close()
            tls.close()
        assert Client(server).get("/healthz").status == 200
    assert "Traceback" not in err.getvalue() and "listener stopped" not in err.getvalue(), err
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not logged, [r.getMessage() for r in logged]


def test_an_http1_status_line_carries_its_reason_phrase_as_go_writes_it(server: Server) -> None:
    connection = Client(server).connection()
    connection.request(
        "GET",
        "/api/v1/namespaces/default/pods/missing",
        headers={"Authorization": f"Bearer {server.credentials.token}"},
    )
    response = connection.getresponse()
    response.read()
    connection.close()
    assert (response.status, response.reason) == (404, "Not Found")
