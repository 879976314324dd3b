"""The served API's WebSocket: wsproto's handshake and framing over a real socket pair, with
wsproto as the client too."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, BytesMessage, CloseConnection, Ping, Pong
from wsproto.events import Request as Opening

from listwatch import errors
from listwatch.server.messages import Request
from listwatch.server.websocket import WebSocket

HEAD = {
    "host": "127.0.0.1",
    "connection": "Upgrade",
    "upgrade": "websocket",
    "sec-websocket-version": "13",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    "sec-websocket-protocol": "v5.channel.k8s.io",
}


@pytest.fixture
def pair() -> Iterator[tuple[WebSocket, socket.socket, WSConnection]]:
    """A server WebSocket that has answered the handshake, and the client's socket and wsproto
    connection."""
    server_end, client_end = socket.socketpair()
    client = WSConnection(ConnectionType.CLIENT)
    head = client.send(
        Opening(host="127.0.0.1", target="/exec", subprotocols=["v5.channel.k8s.io"])
    ).decode()
    headers = dict(
        line.split(": ", 1) for line in head.split("\r\n")[1:] if ": " in line
    )  # as app.py hands them on
    ws = WebSocket.handshake(
        Request("GET", "/exec", {}, {k.lower(): v for k, v in headers.items()}), "v5.channel.k8s.io"
    )
    ws.accept(server_end)
    client.receive_data(client_end.recv(4096))
    (accepted,) = list(client.events())
    assert isinstance(accepted, AcceptConnection) and accepted.subprotocol == "v5.channel.k8s.io"
    yield ws, client_end, client
    server_end.close()
    client_end.close()


def test_a_request_that_is_not_an_upgrade_is_refused_before_anything_is_written() -> None:
    with pytest.raises(errors.BadRequest, match="invalid WebSocket upgrade request"):
        WebSocket.handshake(
            Request("GET", "/exec", {}, {**HEAD, "upgrade": "h2c"}), "v5.channel.k8s.io"
        )


def test_fragments_arrive_as_one_message_and_pings_are_answered(
    pair: tuple[WebSocket, socket.socket, WSConnection],
) -> None:
    ws, client_end, client = pair
    client_end.sendall(
        client.send(BytesMessage(data=b"\x00par", message_finished=False))
        + client.send(Ping(payload=b"hb"))
        + client.send(BytesMessage(data=b"tial", message_finished=True))
    )
    assert ws.receive() == [b"\x00partial"]
    client.receive_data(client_end.recv(4096))
    assert [type(e) for e in client.events()] == [Pong]


def test_the_server_sends_binary_messages_then_closes_and_waits_for_the_answer(
    pair: tuple[WebSocket, socket.socket, WSConnection],
) -> None:
    ws, client_end, client = pair
    ws.send(b"\x01hello")
    ws.close()
    client.receive_data(client_end.recv(4096))
    received = list(client.events())
    assert isinstance(received[0], BytesMessage) and received[0].data == b"\x01hello"
    assert isinstance(received[1], CloseConnection) and received[1].code == 1000
    client_end.sendall(client.send(received[1].response()))
    ws.wait_closed(5.0)
    assert ws.closed


def test_a_peer_that_goes_away_is_a_closed_websocket(
    pair: tuple[WebSocket, socket.socket, WSConnection],
) -> None:
    ws, client_end, _ = pair
    client_end.shutdown(socket.SHUT_WR)
    assert ws.receive() is None and ws.closed
