"""Other namespaces on a lean connection, handed to python-socketio as engine.io would.

The lean path (:mod:`.lean`) decides at the websocket handshake, before any namespace is
named. A client that opens a direct websocket and then joins ``/staff`` or ``/buyer`` (a
console script, a test client) must meet python-socketio exactly as before: its Socket.IO
packets go to the handlers python-socketio registered on its engine.io server, and what
python-socketio sends comes back through a small stand-in for engine.io's socket, registered
in engine.io's socket table under the lean connection's sid. Only such connections keep
their request's environ; a viewer on ``/live`` alone never builds one.

Internals relied on (python-engineio 4, python-socketio 5, checked by :func:`install`):
``AsyncServer.handlers`` (``connect(sid, environ)``, ``message(sid, data)``,
``disconnect(sid, reason)``), ``AsyncServer.sockets`` (sid -> socket with ``send(pkt)``,
``close()``, ``closed``, ``session``) and the aiohttp driver's ``translate_request``.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .engineio_compat import ViewerSocket
from .framing import websocket_close_frame, websocket_text_frame

Translate = Callable[[web.BaseRequest], dict[str, Any]]


def websocket_binary_frame(payload: bytes) -> bytes:
    """An unmasked, final RFC 6455 binary frame."""
    n = len(payload)
    if n < 126:
        return struct.pack("!BB", 0x82, n) + payload
    if n < 65536:
        return struct.pack("!BBH", 0x82, 126, n) + payload
    return struct.pack("!BBQ", 0x82, 127, n) + payload


class _NoQueue:
    """Nothing is ever queued: every packet is written when it is sent."""

    _getters = (None,)  # reads as "the writer is idle" to engineio_compat

    @staticmethod
    def qsize() -> int:
        return 0

    @staticmethod
    def empty() -> bool:
        return True


class BridgedSocket:
    """What python-socketio (and the fan-out's emit path) sees of a lean connection."""

    upgraded = False  # not an engine.io websocket: the fan-out writes to ``direct``
    upgrading = False

    def __init__(self, sid: str, transport: asyncio.Transport,
                 ws: web.WebSocketResponse) -> None:
        self.sid = sid
        self.transport = transport
        # Console pushes are written here by the fan-out as frames built once, rather than
        # python-socketio encoding the packet again for each console (engineio_compat).
        self.direct = ViewerSocket(ws, transport)
        self.closing = False
        self.closed = False
        self.queue = _NoQueue()
        self.session: dict[str, Any] = {}  # python-socketio keeps its sessions here

    async def send(self, pkt: Any) -> None:
        if self.closed or self.transport.is_closing():
            return
        encoded = pkt.encode()
        if isinstance(encoded, str):
            self.transport.write(websocket_text_frame(encoded.encode()))
        else:
            self.transport.write(websocket_binary_frame(bytes(encoded)))

    async def close(self, wait: bool = True, abort: bool = False,
                    reason: Any = None) -> None:
        self.closing = self.closed = True
        if not self.transport.is_closing():
            self.transport.write(websocket_close_frame(1001, b"server shutdown"))
            self.transport.close()


class Bridge:
    """python-socketio's engine.io handlers, fed by lean connections."""

    def __init__(self, eio: Any, translate: Translate) -> None:
        self.eio = eio
        self.translate = translate

    def _handler(self, name: str) -> Callable[..., Awaitable[Any]]:
        handler: Callable[..., Awaitable[Any]] = self.eio.handlers[name]
        return handler

    async def open(self, sid: str, transport: asyncio.Transport, ws: web.WebSocketResponse,
                   request: web.BaseRequest) -> None:
        """Register the connection with engine.io's table and python-socketio."""
        self.eio.sockets[sid] = BridgedSocket(sid, transport, ws)
        await self._handler("connect")(sid, self.translate(request))

    async def message(self, sid: str, text: str) -> None:
        """One Socket.IO packet (the Engine.IO message's payload) for python-socketio."""
        await self._handler("message")(sid, text)

    async def close(self, sid: str) -> None:
        """The connection ended: python-socketio runs its disconnect handlers."""
        sock = self.eio.sockets.pop(sid, None)
        if sock is not None:
            sock.closing = sock.closed = True
        await self._handler("disconnect")(sid, "transport close")


def install(sio: Any) -> Bridge | None:
    """The bridge to ``sio``'s handlers, or ``None`` when the internals are not as known."""
    try:
        from engineio.async_drivers.aiohttp import translate_request
    except ImportError:
        return None
    eio = getattr(sio, "eio", None)
    handlers = getattr(eio, "handlers", None)
    if not isinstance(handlers, dict) or not isinstance(getattr(eio, "sockets", None), dict):
        return None
    if not all(callable(handlers.get(name)) for name in ("connect", "message", "disconnect")):
        return None
    translate: Translate = translate_request
    return Bridge(eio, translate)
