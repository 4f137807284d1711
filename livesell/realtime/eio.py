"""Engine.IO v4 and Socket.IO v5 text packets, as the lean ``/live`` path reads and writes them.

Engine.IO packet types (one per WebSocket text frame): ``0`` open, ``1`` close, ``2`` ping,
``3`` pong, ``4`` message, ``6`` noop. A message carries one Socket.IO packet: its type digit
(``0`` CONNECT, ``1`` DISCONNECT, ``2`` EVENT, ``3`` ACK, ``4`` CONNECT_ERROR, ``5``/``6``
binary event/ack), then the namespace with a ``,`` when it is not ``/``, then an ack id of
digits, then JSON. ``40/live,{"show":"S1"}`` is a CONNECT to ``/live`` with its auth;
``42/live,7["comment",{...}]`` an event asking for ack 7, answered ``43/live,7[result]``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import orjson

from .framing import websocket_close_frame, websocket_text_frame

EIO_OPEN = "0"
EIO_CLOSE = "1"
EIO_PING = "2"
EIO_PONG = "3"
EIO_MESSAGE = "4"
EIO_NOOP = "6"

CONNECT = 0
DISCONNECT = 1
EVENT = 2
ACK = 3
CONNECT_ERROR = 4
BINARY_EVENT = 5
BINARY_ACK = 6

# Longest ack id accepted: socket.io-client counts from 0, 15 digits is decades of acks.
MAX_ACK_DIGITS = 15

PING_FRAME = websocket_text_frame(EIO_PING.encode())
# RFC 6455 close codes used here
GOING_AWAY = 1001
PROTOCOL_ERROR = 1002
UNSUPPORTED = 1003
POLICY = 1008


class Garbage(ValueError):
    """A text packet that is not a well-formed Socket.IO v5 packet (or is binary)."""


@dataclass(frozen=True, slots=True)
class Packet:
    """One decoded Socket.IO packet."""

    kind: int
    namespace: str
    ack: int | None
    data: Any


def open_packet(sid: str, ping_interval: float, ping_timeout: float, max_payload: int) -> str:
    """The Engine.IO v4 open packet: no upgrades (this is already a websocket)."""
    head, tail = open_packet_parts(ping_interval, ping_timeout, max_payload)
    return (head + sid.encode() + tail).decode()


def open_packet_parts(ping_interval: float, ping_timeout: float,
                      max_payload: int) -> tuple[bytes, bytes]:
    """The open packet before and after its sid, encoded once for every connection (a sid
    is URL-safe base64: nothing in it needs escaping)."""
    rest = orjson.dumps({"upgrades": [], "pingInterval": int(ping_interval * 1000),
                         "pingTimeout": int(ping_timeout * 1000), "maxPayload": max_payload})
    return (EIO_OPEN + '{"sid":"').encode(), b'",' + rest[1:]


def _prefix(kind: int, namespace: str) -> str:
    return EIO_MESSAGE + str(kind) + ("" if namespace == "/" else namespace + ",")


def message(kind: int, namespace: str, data: Any = None, ack: int | None = None) -> bytes:
    """A Socket.IO packet in an Engine.IO message, as one WebSocket text frame."""
    text = _prefix(kind, namespace) + ("" if ack is None else str(ack))
    body = b"" if data is None else _dumps(data)
    return websocket_text_frame(text.encode() + body)


def _dumps(data: Any) -> bytes:
    try:
        return orjson.dumps(data)
    except TypeError:  # what orjson refuses (a lone surrogate, a big int) the stdlib writes
        return json.dumps(data, separators=(",", ":")).encode()


def connect_error(namespace: str, why: str) -> bytes:
    return message(CONNECT_ERROR, namespace, {"message": why})


def disconnect_frame(namespace: str) -> bytes:
    return message(DISCONNECT, namespace)


def close_frame(code: int, reason: bytes = b"") -> bytes:
    return websocket_close_frame(code, reason)


def decode(text: str) -> Packet:
    """The Socket.IO packet in an Engine.IO message's payload (the text after ``4``)."""
    if not text or not "0" <= text[0] <= "6":
        raise Garbage("no packet type")
    kind = ord(text[0]) - 48
    if kind in (BINARY_EVENT, BINARY_ACK):
        raise Garbage("binary packet")
    at, end = 1, len(text)
    namespace = "/"
    if at < end and text[at] == "/":
        comma = text.find(",", at)
        stop = end if comma < 0 else comma
        namespace = text[at:stop]
        at = stop + 1 if comma >= 0 else end
    digits = at
    while digits < end and "0" <= text[digits] <= "9":
        digits += 1
    if digits - at > MAX_ACK_DIGITS:
        raise Garbage("ack id too long")
    ack = int(text[at:digits]) if digits > at else None
    data: Any = None
    if digits < end:
        try:
            # the stdlib, as python-socketio: a lone surrogate in a string is the schema's
            # to refuse (in the ack), not a reason to drop the connection
            data = json.loads(text[digits:])
        except (ValueError, RecursionError) as exc:
            raise Garbage("bad JSON") from exc
    if kind in (EVENT, ACK) and not isinstance(data, list):
        raise Garbage("event without an array")
    if kind == EVENT and (not data or not isinstance(data[0], str)):
        raise Garbage("event without a name")
    if kind in (CONNECT, DISCONNECT, CONNECT_ERROR) and ack is not None:
        raise Garbage("ack id on a connect packet")
    return Packet(kind, namespace, ack, data)
