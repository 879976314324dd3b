"""SPDY/3.1 framing, as the server side of a port-forward session speaks it (kubectl's streams).

kubectl v1.32 forwards ports over SPDY/3.1 (draft-mbelshe-httpbis-spdy-00, with 3.1's
WINDOW_UPDATE), carried inside the binary messages of a WebSocket (`SPDY/3.1+portforward.k8s.io`).
A frame is eight bytes of head and a payload:

    control: 1 | version (15 bits, 3) | type (16) | flags (8) | length (24) | payload
    data:    0 | stream id (31)                   | flags (8) | length (24) | data

The control frames a session sees: SYN_STREAM (a peer opens a stream, with headers), SYN_REPLY (the
answer), RST_STREAM (a stream ends abnormally), SETTINGS, PING (echoed), GOAWAY, HEADERS and
WINDOW_UPDATE. Header blocks (`count, then length-prefixed name and value pairs`, 32-bit big-endian
lengths) are zlib-compressed with SPDY/3's dictionary, one compression context per direction for the
whole session (each block ends on a sync flush). `Framer` turns received bytes into `Frame`s and
frames into bytes; the session's logic lives with its user (`portforward`).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field

VERSION = 3
SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, NOOP, PING, GOAWAY, HEADERS, WINDOW_UPDATE = range(
    1, 10
)
#: FLAG_FIN on data, SYN_STREAM, SYN_REPLY and HEADERS: the sender's half of the stream ends.
FLAG_FIN = 0x01
#: RST_STREAM status codes (section 2.4.2).
PROTOCOL_ERROR, INVALID_STREAM, REFUSED_STREAM, CANCEL, INTERNAL_ERROR = 1, 2, 3, 5, 6
#: The largest payload a frame's 24-bit length can say.
MAX_LENGTH = (1 << 24) - 1
#: The largest header block this side decompresses (a peer's block past it is a protocol error).
MAX_HEADER_BYTES = 1 << 20


def _dictionary() -> bytes:
    """SPDY/3's header compression dictionary (section 2.6.10.1): length-prefixed words, then
    text."""
    words = (
        "options head post put delete trace accept accept-charset accept-encoding accept-language "
        "accept-ranges age allow authorization cache-control connection content-base "
        "content-encoding content-language content-length content-location content-md5 "
        "content-range content-type date etag expect expires from host if-match "
        "if-modified-since if-none-match if-range if-unmodified-since last-modified location "
        "max-forwards pragma proxy-authenticate proxy-authorization range referer retry-after "
        "server te trailer transfer-encoding upgrade user-agent vary via warning "
        "www-authenticate method get status|200 OK|version HTTP/1.1 url public set-cookie "
        "keep-alive origin"
    )
    spaced, ok, rest = words.split("|")
    listed = [*spaced.split(), ok, *rest.split()]
    text = (
        "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504"
        "505203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request"
        "401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented"
        "503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, "
        "Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,"
        "application/xml,application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age="
        "gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
    )
    prefixed = b"".join(struct.pack(">I", len(w)) + w.encode() for w in listed)
    return prefixed + text.encode()


DICTIONARY = _dictionary()


class ProtocolError(Exception):
    """The peer sent what SPDY/3.1 does not allow (the session ends with GOAWAY)."""


Headers = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame: `kind` is a control frame's type, or 0 for data. The fields a kind does not use
    stay at their defaults."""

    kind: int
    stream_id: int = 0
    flags: int = 0
    data: bytes = b""
    headers: Headers = field(default_factory=dict)
    #: RST_STREAM's and GOAWAY's status, PING's id, WINDOW_UPDATE's delta, SYN_STREAM's
    #: associated stream, GOAWAY's last good stream (in stream_id).
    value: int = 0

    @property
    def fin(self) -> bool:
        return bool(self.flags & FLAG_FIN)


DATA = 0


class Framer:
    """Both directions of one session's framing: `feed` the bytes received, `encode` the frames
    to send. The header compression contexts live as long as the session."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._inflate = zlib.decompressobj(zdict=DICTIONARY)
        self._deflate = zlib.compressobj(
            9, zlib.DEFLATED, 15, 8, zlib.Z_DEFAULT_STRATEGY, DICTIONARY
        )

    def feed(self, data: bytes) -> list[Frame]:
        """The frames completed by `data` (a frame may arrive split across several calls)."""
        self._buffer += data
        frames = []
        while len(self._buffer) >= 8:
            length = int.from_bytes(self._buffer[5:8], "big")
            if len(self._buffer) < 8 + length:
                break
            head = bytes(self._buffer[:8])
            payload = bytes(self._buffer[8 : 8 + length])
            del self._buffer[: 8 + length]
            frame = self._parse(head, payload)
            if frame is not None:
                frames.append(frame)
        return frames

    def _parse(self, head: bytes, payload: bytes) -> Frame | None:
        word, flags = struct.unpack(">I", head[:4])[0], head[4]
        if not word & 0x80000000:
            return Frame(DATA, word & 0x7FFFFFFF, flags, payload)
        version, kind = (word >> 16) & 0x7FFF, word & 0xFFFF
        if version != VERSION:
            raise ProtocolError(f"unsupported SPDY version {version}")
        try:
            return self._control(kind, flags, payload)
        except (struct.error, IndexError) as exc:
            raise ProtocolError(f"malformed control frame of type {kind}") from exc

    def _control(self, kind: int, flags: int, payload: bytes) -> Frame | None:
        if kind == SYN_STREAM:
            stream_id, associated = struct.unpack(">II", payload[:8])
            return Frame(
                kind,
                stream_id & 0x7FFFFFFF,
                flags,
                headers=self._headers(payload[10:]),
                value=associated & 0x7FFFFFFF,
            )
        if kind in (SYN_REPLY, HEADERS):
            stream_id = struct.unpack(">I", payload[:4])[0] & 0x7FFFFFFF
            return Frame(kind, stream_id, flags, headers=self._headers(payload[4:]))
        if kind == RST_STREAM:
            stream_id, status = struct.unpack(">II", payload[:8])
            return Frame(kind, stream_id & 0x7FFFFFFF, flags, value=status)
        if kind == SETTINGS:
            return Frame(kind, flags=flags, data=payload)
        if kind == PING:
            return Frame(kind, flags=flags, value=struct.unpack(">I", payload[:4])[0])
        if kind == GOAWAY:
            last, status = struct.unpack(">II", payload[:8])
            return Frame(kind, last & 0x7FFFFFFF, flags, value=status)
        if kind == WINDOW_UPDATE:
            stream_id, delta = struct.unpack(">II", payload[:8])
            return Frame(kind, stream_id & 0x7FFFFFFF, flags, value=delta & 0x7FFFFFFF)
        return None  # NOOP and unknown types are ignored (section 2.2.1)

    def _headers(self, block: bytes) -> dict[str, str]:
        try:
            raw = self._inflate.decompress(block, MAX_HEADER_BYTES)
        except zlib.error as exc:
            raise ProtocolError(f"undecodable header block: {exc}") from exc
        (count,) = struct.unpack(">I", raw[:4])
        at, found = 4, {}
        for _ in range(count):
            (size,) = struct.unpack(">I", raw[at : at + 4])
            name = raw[at + 4 : at + 4 + size].decode("latin-1")
            at += 4 + size
            (size,) = struct.unpack(">I", raw[at : at + 4])
            value = raw[at + 4 : at + 4 + size].decode("latin-1")
            at += 4 + size
            found[name.lower()] = value.split("\0")[0]
        return found

    def _block(self, headers: Headers) -> bytes:
        raw = struct.pack(">I", len(headers))
        for name, value in headers.items():
            for text in (name.lower(), value):
                encoded = text.encode("latin-1")
                raw += struct.pack(">I", len(encoded)) + encoded
        return self._deflate.compress(raw) + self._deflate.flush(zlib.Z_SYNC_FLUSH)

    def encode(self, frame: Frame) -> bytes:
        """The bytes of `frame` (data longer than a frame holds is split over several)."""
        if frame.kind == DATA:
            out, data = b"", frame.data
            while len(data) > MAX_LENGTH:
                out += _data_head(frame.stream_id, 0, MAX_LENGTH) + data[:MAX_LENGTH]
                data = data[MAX_LENGTH:]
            return out + _data_head(frame.stream_id, frame.flags, len(data)) + data
        if frame.kind == SYN_STREAM:
            payload = struct.pack(">IIH", frame.stream_id, frame.value, 0) + self._block(
                frame.headers
            )
        elif frame.kind in (SYN_REPLY, HEADERS):
            payload = struct.pack(">I", frame.stream_id) + self._block(frame.headers)
        elif frame.kind in (RST_STREAM, WINDOW_UPDATE, GOAWAY):
            payload = struct.pack(">II", frame.stream_id, frame.value)
        elif frame.kind == PING:
            payload = struct.pack(">I", frame.value)
        elif frame.kind == SETTINGS:
            payload = frame.data or struct.pack(">I", 0)
        else:
            raise ValueError(f"cannot encode a frame of type {frame.kind}")
        head = struct.pack(">HHI", 0x8000 | VERSION, frame.kind, (frame.flags << 24) | len(payload))
        return head + payload


def _data_head(stream_id: int, flags: int, length: int) -> bytes:
    return struct.pack(">II", stream_id & 0x7FFFFFFF, (flags << 24) | length)
