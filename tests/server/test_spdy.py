"""SPDY/3.1 framing: every frame kind through `encode` and back through another side's `feed`,
frames split across reads, and header blocks compressed as a peer compresses them."""

from __future__ import annotations

import struct
import zlib

import pytest

from listwatch.server import spdy


def roundtrip(*frames: spdy.Frame) -> list[spdy.Frame]:
    sender, receiver = spdy.Framer(), spdy.Framer()
    return receiver.feed(b"".join(sender.encode(frame) for frame in frames))


def test_the_dictionary_is_spdy3s() -> None:
    # 1423 bytes, its zlib id (adler-32) that a peer's header block names
    assert len(spdy.DICTIONARY) == 1423
    assert zlib.adler32(spdy.DICTIONARY) == 0xE3C6A7C2
    assert spdy.DICTIONARY.startswith(b"\x00\x00\x00\x07options\x00\x00\x00\x04head")
    assert spdy.DICTIONARY.endswith(b"charset=iso-8859-1,utf-,*,enq=0.")


def test_syn_stream_headers_survive_the_trip_in_one_compression_context() -> None:
    first = spdy.Frame(
        spdy.SYN_STREAM, 1, headers={"streamType": "error", "port": "80", "requestID": "0"}
    )
    second = spdy.Frame(
        spdy.SYN_STREAM, 3, headers={"streamType": "data", "port": "80", "requestID": "0"}
    )
    got = roundtrip(first, second)
    assert [(f.kind, f.stream_id) for f in got] == [(spdy.SYN_STREAM, 1), (spdy.SYN_STREAM, 3)]
    assert got[0].headers == {"streamtype": "error", "port": "80", "requestid": "0"}
    assert got[1].headers == {"streamtype": "data", "port": "80", "requestid": "0"}


def test_a_header_block_from_a_peer_decompresses_with_the_dictionary() -> None:
    raw = struct.pack(">I", 1) + struct.pack(">I", 4) + b"port" + struct.pack(">I", 4) + b"8080"
    deflate = zlib.compressobj(zdict=spdy.DICTIONARY)
    block = deflate.compress(raw) + deflate.flush(zlib.Z_SYNC_FLUSH)
    payload = struct.pack(">IIH", 5, 0, 0) + block
    head = struct.pack(">HHI", 0x8003, spdy.SYN_STREAM, len(payload))
    (frame,) = spdy.Framer().feed(head + payload)
    assert (frame.stream_id, dict(frame.headers)) == (5, {"port": "8080"})


def test_a_header_block_compressed_without_the_dictionary_is_a_protocol_error() -> None:
    raw = struct.pack(">I", 0)
    deflate = zlib.compressobj(zdict=b"not the dictionary")
    block = deflate.compress(raw) + deflate.flush(zlib.Z_SYNC_FLUSH)
    payload = struct.pack(">IIH", 1, 0, 0) + block
    head = struct.pack(">HHI", 0x8003, spdy.SYN_STREAM, len(payload))
    with pytest.raises(spdy.ProtocolError):
        spdy.Framer().feed(head + payload)


@pytest.mark.parametrize(
    "frame",
    [
        spdy.Frame(spdy.DATA, 7, spdy.FLAG_FIN, b"hello"),
        spdy.Frame(spdy.DATA, 7, 0, b""),
        spdy.Frame(spdy.SYN_REPLY, 9, headers={}),
        spdy.Frame(spdy.RST_STREAM, 9, value=spdy.CANCEL),
        spdy.Frame(spdy.PING, value=3),
        spdy.Frame(spdy.GOAWAY, 11, value=0),
        spdy.Frame(spdy.WINDOW_UPDATE, 5, value=65536),
    ],
)
def test_each_frame_kind_survives_the_trip(frame: spdy.Frame) -> None:
    assert roundtrip(frame) == [frame]


def test_frames_split_across_reads_come_out_whole() -> None:
    sender, receiver = spdy.Framer(), spdy.Framer()
    wire = sender.encode(spdy.Frame(spdy.DATA, 1, 0, b"x" * 1000)) + sender.encode(
        spdy.Frame(spdy.PING, value=1)
    )
    frames = []
    for at in range(0, len(wire), 7):
        frames += receiver.feed(wire[at : at + 7])
    assert frames == [spdy.Frame(spdy.DATA, 1, 0, b"x" * 1000), spdy.Frame(spdy.PING, value=1)]


def test_settings_noop_and_unknown_types_do_not_stop_the_session() -> None:
    settings = struct.pack(">HHI", 0x8003, spdy.SETTINGS, 12) + struct.pack(">III", 1, 7, 65536)
    noop = struct.pack(">HHI", 0x8003, spdy.NOOP, 0)
    unknown = struct.pack(">HHI", 0x8003, 42, 0)
    frames = spdy.Framer().feed(settings + noop + unknown)
    assert [f.kind for f in frames] == [spdy.SETTINGS]


def test_another_version_is_a_protocol_error() -> None:
    with pytest.raises(spdy.ProtocolError):
        spdy.Framer().feed(struct.pack(">HHI", 0x8002, spdy.PING, 4) + b"\0\0\0\1")
