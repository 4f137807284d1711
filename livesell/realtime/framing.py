"""Socket.IO framing: the one place that turns an event into the bytes on the wire.

A Socket.IO EVENT packet is ``2`` + namespace + ``,`` + the JSON array ``[event, data]``;
engine.io carries it as a MESSAGE (``4`` + packet); over a websocket that is one text frame.
The snapshot goes out through ``eio.send`` (the packet), pushes through the fan-out (the
whole frame, built once for every viewer).
"""

from __future__ import annotations

import struct
from typing import Any

import orjson

SIO_EVENT = 2  # socket.io packet type EVENT
EIO_MESSAGE = "4"  # engine.io packet type MESSAGE


def event_prefix(namespace: str) -> str:
    """What precedes the JSON array in an EVENT packet of ``namespace``."""
    return str(SIO_EVENT) + ("" if namespace == "/" else namespace + ",")


def _body(event: str, data: Any) -> bytes:
    return orjson.dumps([event] if data is None else [event, data])


def event_packet(namespace: str, event: str, data: Any) -> str:
    """The Socket.IO EVENT packet for ``event``/``data`` (JSON data only)."""
    return event_prefix(namespace) + _body(event, data).decode()


def event_frame(namespace: str, event: str, data: Any) -> bytes:
    """The same packet as an engine.io MESSAGE in one websocket text frame, ready to write."""
    return websocket_text_frame((EIO_MESSAGE + event_prefix(namespace)).encode()
                                + _body(event, data))


def websocket_text_frame(payload: bytes) -> bytes:
    """An unmasked, final, uncompressed RFC 6455 text frame carrying ``payload``."""
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x81, n)
    elif n < 65536:
        header = struct.pack("!BBH", 0x81, 126, n)
    else:
        header = struct.pack("!BBQ", 0x81, 127, n)
    return header + payload


def websocket_close_frame(code: int, reason: bytes = b"") -> bytes:
    """An unmasked RFC 6455 close frame with a status code (reason under 124 bytes)."""
    payload = struct.pack("!H", code) + reason[:123]
    return struct.pack("!BB", 0x88, len(payload)) + payload
