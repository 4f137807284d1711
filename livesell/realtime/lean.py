"""The lean ``/live`` path: Engine.IO v4 and Socket.IO v5 spoken here, for direct websockets.

A stock socket.io-client with ``transports: ["websocket"]`` opens
``GET /socket.io/?EIO=4&transport=websocket`` without a ``sid``. Those requests are served
here; everything else (long-polling, upgrades carrying a ``sid``) goes to python-socketio
unchanged. Per connection there is one small slots object and aiohttp's own handler task:
no queue, no writer task, no ping task. One timer pings every lean connection with the same
frame and closes those whose pong is overdue. Only ``/live`` is served: a CONNECT to any other
namespace is handed to python-socketio through :mod:`.bridge` (``/staff``, ``/buyer`` and
unknown namespaces behave exactly as before); without the bridge it is answered CONNECT_ERROR.

The viewer rules are :class:`~.viewers.ViewerNamespace`'s own (``admit``, ``join``,
``welcome_packets``, ``on_comment``, ``leave``); pushes reach lean viewers through the same
:class:`~.fanout.ViewerFanout` (``add_direct``), so ticks, broadcasts, relayed pushes and the
slow-consumer rules are the same for both transports.

Every frame is written with one synchronous ``transport.write``, as the fan-out does, so the
order is the order of the writes: CONNECT ack, snapshot, then pushes.
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import WSMsgType, web
from aiohttp.abc import AbstractStreamWriter

from ..config import Settings
from ..domain.errors import DomainError
from ..log_limits import LogLimiter
from . import eio, names
from .bridge import Bridge
from .framing import websocket_text_frame
from .viewers import UNKNOWN_SHOW, ViewerNamespace

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# python-engineio's default: a pong later than this after a ping ends the connection
PING_TIMEOUT = 20.0
# On shutdown, how long closing websockets may take to flush before they are aborted
CLOSE_GRACE = 1.0
NOT_SERVED = "this connection serves /live only; connect with the polling transport"


class LeanConn:
    """One lean websocket: only what the connection needs (not the request)."""

    __slots__ = ("sid", "ws", "transport", "live_sid", "pong_due", "bridged", "idle")

    def __init__(self, sid: str, ws: web.WebSocketResponse, transport: asyncio.Transport):
        self.sid = sid
        self.ws = ws
        self.transport = transport
        self.live_sid: str | None = None  # the Socket.IO sid on /live once joined
        self.pong_due = 0.0  # loop time by which a pong must arrive; 0: none awaited
        self.bridged = False  # known to python-socketio (another namespace was named)
        self.idle = False  # in no namespace at the last ping round

    def write(self, frame: bytes) -> None:
        if not self.transport.is_closing():
            self.transport.write(frame)

    def drop(self, code: int, reason: bytes = b"") -> None:
        """Close frame and close, without waiting for the peer's reply."""
        transport = self.transport
        if not transport.is_closing():
            transport.write(eio.close_frame(code, reason))
            transport.close()


class LeanWebSocket(web.WebSocketResponse):
    """aiohttp's websocket, except that the 101 waits in the writer for :func:`take_head`
    (as aiohttp itself holds a plain response's headers for its body)."""

    _send_headers_immediately = False


def take_head(writer: AbstractStreamWriter) -> bytes:
    """The 101 response aiohttp holds, to go out with the first frame; when this aiohttp
    keeps it elsewhere, it is sent now and nothing is returned."""
    buffered = getattr(writer, "_headers_buf", None)
    if isinstance(buffered, bytes) and getattr(writer, "_headers_written", None) is False:
        writer._headers_buf = None  # type: ignore[attr-defined]
        writer._headers_written = True  # type: ignore[attr-defined]
        return buffered
    send_headers = getattr(writer, "send_headers", None)
    if callable(send_headers):
        send_headers()
    return b""


def wants_lean(request: web.BaseRequest) -> bool:
    """A direct Engine.IO v4 websocket (no session yet), what the lean path serves."""
    query = request.query
    return (query.get("transport") == "websocket" and query.get("EIO") == "4"
            and "sid" not in query)


class LeanViewers:
    """The lean connections of one node and the handler that accepts them."""

    def __init__(self, live: ViewerNamespace, settings: Settings, fallback: Handler,
                 bridge: Bridge | None = None) -> None:
        self.live = live
        self.fallback = fallback
        self.bridge = bridge
        self.ping_interval = float(settings.ping_interval)
        self.ping_timeout = PING_TIMEOUT
        self.max_message = settings.socket_max_message
        self.open_parts = eio.open_packet_parts(self.ping_interval, self.ping_timeout,
                                                self.max_message)
        self.origins = tuple(settings.cors_allowed_origins)
        self.conns: dict[str, LeanConn] = {}  # engine.io sid -> connection
        self.by_live: dict[str, LeanConn] = {}  # /live sid -> connection
        self.running = True
        self.log_limits = LogLimiter(log)

    # -- accepting -------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """``GET /socket.io/``: lean when it is a direct websocket, else python-socketio."""
        if not wants_lean(request) or not self.running:
            return await self.fallback(request)
        if not self.origin_ok(request):
            return web.json_response({"error": {"code": "origin",
                                                "message": "Not an accepted origin."}},
                                     status=400)
        ws = LeanWebSocket(max_msg_size=self.max_message, compress=False)
        writer = await ws.prepare(request)
        transport = request.transport
        if transport is None:  # the client went away during the handshake
            return ws
        # (uvloop's transports are not asyncio.Transport subclasses, but have its methods)
        conn = LeanConn(secrets.token_urlsafe(15), ws, transport)
        head, tail = self.open_parts
        # the 101 and the open packet in one write: one send, and one read for the client
        conn.write(take_head(writer) + websocket_text_frame(head + conn.sid.encode() + tail))
        self.conns[conn.sid] = conn
        try:
            await self._read(conn, request)
        finally:
            del self.conns[conn.sid]
            self._leave(conn)
            if conn.bridged and self.bridge is not None:
                await self.bridge.close(conn.sid)
        return ws

    def origin_ok(self, request: web.BaseRequest) -> bool:
        """The same rule python-engineio applies: same origin, unless origins are listed."""
        origin = request.headers.get("Origin")
        if not origin or "*" in self.origins:
            return True
        if self.origins:
            return origin in self.origins
        host = request.headers.get("Host", "")
        allowed = {f"{request.scheme}://{host}"}
        forwarded_proto = request.headers.get("X-Forwarded-Proto")
        forwarded_host = request.headers.get("X-Forwarded-Host")
        if forwarded_proto or forwarded_host:
            scheme = (forwarded_proto or request.scheme).split(",")[0].strip()
            allowed.add(f"{scheme}://{(forwarded_host or host).split(',')[0].strip()}")
        return origin in allowed

    # -- reading ---------------------------------------------------------------------------

    async def _read(self, conn: LeanConn, request: web.Request) -> None:
        ws = conn.ws
        while True:
            msg = await ws.receive()
            if msg.type is not WSMsgType.TEXT:
                if msg.type is WSMsgType.BINARY:
                    self._refuse(conn, "binary frame", eio.UNSUPPORTED)
                # CLOSE, CLOSED, ERROR (a frame over socket_max_message: aiohttp closed it)
                return
            text: str = msg.data
            head = text[:1]
            if head == eio.EIO_MESSAGE:
                try:
                    packet = eio.decode(text[1:])
                except eio.Garbage as exc:
                    self._refuse(conn, str(exc), eio.POLICY)
                    return
                try:
                    await self._on_packet(conn, packet, text[1:], request)
                except Exception:  # a bug of ours: said once a minute, the connection ends
                    self.log_limits.error("packet", "handling a lean connection's packet failed")
                    conn.drop(1011)
                    return
            elif head == eio.EIO_PONG:
                conn.pong_due = 0.0
            elif head == eio.EIO_PING:  # a client's probe: answered in kind
                conn.write(websocket_text_frame((eio.EIO_PONG + text[1:]).encode()))
            elif head == eio.EIO_CLOSE:
                conn.drop(1000)
                return
            elif head != eio.EIO_NOOP:
                self._refuse(conn, "not an Engine.IO packet", eio.POLICY)
                return

    def _refuse(self, conn: LeanConn, why: str, code: int) -> None:
        """Client garbage: one rate-limited line (never a traceback), and the door."""
        self.log_limits.log(logging.WARNING, f"packet:{conn.sid}",
                            "malformed packet from connection %s, closing it (%s)",
                            conn.sid, why)
        conn.drop(code)

    async def _on_packet(self, conn: LeanConn, packet: eio.Packet, text: str,
                         request: web.Request) -> None:
        if packet.namespace != names.LIVE:
            if self.bridge is not None:
                if not conn.bridged:
                    conn.bridged = True
                    await self.bridge.open(conn.sid, conn.transport, conn.ws, request)
                await self.bridge.message(conn.sid, text)
            elif packet.kind == eio.CONNECT:
                conn.write(eio.connect_error(packet.namespace, NOT_SERVED))
            return  # an event for a namespace not joined is ignored, as python-socketio does
        if packet.kind == eio.CONNECT:
            await self._connect(conn, packet.data, request)
        elif packet.kind == eio.EVENT:
            await self._event(conn, packet)
        elif packet.kind == eio.DISCONNECT:
            self._leave(conn)
        # ACK and CONNECT_ERROR from a client ask nothing of the server

    async def _connect(self, conn: LeanConn, auth: object, request: web.Request) -> None:
        if conn.live_sid is not None:
            return  # joined already
        entry = await self.live.admit(auth, request)
        if entry is None:
            conn.write(eio.connect_error(names.LIVE, UNKNOWN_SHOW))
            return
        live_sid = conn.live_sid = secrets.token_urlsafe(15)
        self.live.join(live_sid, entry)
        self.by_live[live_sid] = conn
        accepted = eio.message(eio.CONNECT, names.LIVE, {"sid": live_sid})
        try:
            packets = await self.live.welcome_packets(entry[0])
        except DomainError:  # as python-socketio: accepted, then disconnected
            conn.write(accepted + eio.disconnect_frame(names.LIVE))
            self._leave(conn)
            return
        if conn.live_sid != live_sid or conn.transport.is_closing():
            return
        # the CONNECT answer and the welcome in one write (one send on the socket)
        conn.write(accepted + b"".join(
            websocket_text_frame((eio.EIO_MESSAGE + packet).encode()) for packet in packets))
        # no await since the write: no push can come between the snapshot and this
        self.live.fanout.add_direct(entry[0], live_sid, conn.ws, conn.transport)

    async def _event(self, conn: LeanConn, packet: eio.Packet) -> None:
        sid = conn.live_sid
        if sid is None or packet.data[0] != names.POST_COMMENT:
            return  # not joined, or an event /live has no handler for (no ack either)
        args = packet.data[1:]
        try:
            answer = await self.live.on_comment(sid, args[0] if args else None)
        except Exception:
            self.log_limits.error("comment", "a viewer's comment failed")
            return
        if packet.ack is not None:
            conn.write(eio.message(eio.ACK, names.LIVE, [answer], ack=packet.ack))

    def _leave(self, conn: LeanConn) -> None:
        live_sid = conn.live_sid
        if live_sid is not None:
            conn.live_sid = None
            self.by_live.pop(live_sid, None)
            self.live.leave(live_sid)

    # -- one viewer ------------------------------------------------------------------------

    def send(self, live_sid: str, event: str, data: object) -> bool:
        """Write one event to one lean viewer; False when it is not one (here)."""
        conn = self.by_live.get(live_sid)
        if conn is None:
            return False
        conn.write(eio.message(eio.EVENT, names.LIVE, [event, data]))
        return True

    def disconnect(self, live_sid: str) -> bool:
        """Take one lean viewer off /live (the connection stays, as in python-socketio)."""
        conn = self.by_live.get(live_sid)
        if conn is None:
            return False
        conn.write(eio.disconnect_frame(names.LIVE))
        self._leave(conn)
        return True

    # -- the shared timer and the stop -----------------------------------------------------

    async def run_pings(self) -> None:
        """Ping every lean connection with one frame; abort those whose pong is overdue, and
        close those in no namespace for a whole round (Socket.IO's connect timeout)."""
        loop = asyncio.get_running_loop()
        last_ping = loop.time()
        check_at = math.inf
        while self.running:
            # awake at least once a second, so a changed interval takes effect soon
            next_ping = last_ping + self.ping_interval
            wake = min(next_ping, check_at, loop.time() + 1.0)
            await asyncio.sleep(max(0.0, wake - loop.time()))
            now = loop.time()
            if now >= check_at:
                check_at = math.inf
                for conn in [c for c in self.conns.values() if 0 < c.pong_due <= now]:
                    log.debug("connection %s missed its pong: closing it", conn.sid)
                    conn.transport.abort()  # a peer that does not answer may not read either
            if now >= next_ping:
                last_ping = now
                due = now + self.ping_timeout
                for conn in self.conns.values():
                    if conn.live_sid is None and not conn.bridged:
                        if conn.idle:  # in no namespace for a whole round: not a viewer
                            conn.drop(eio.POLICY)
                            continue
                        conn.idle = True
                    conn.write(eio.PING_FRAME)
                    if not conn.pong_due:
                        conn.pong_due = due
                check_at = min(check_at, due)

    def close_all(self, goodbyes: dict[str, bytes]) -> list[asyncio.Transport]:
        """Shutdown: every lean connection gets the Socket.IO DISCONNECT of each namespace
        it joined (``/live``, plus ``goodbyes`` by sid for bridged ones) and a close frame in
        one write, then its transport closes; nothing awaits any one of them. Returns the
        transports, for :func:`abort_stragglers`."""
        self.running = False
        goodbye = eio.disconnect_frame(names.LIVE)
        closing = eio.close_frame(eio.GOING_AWAY, b"server shutdown")
        transports = []
        for conn in list(self.conns.values()):
            transport = conn.transport
            if not transport.is_closing():
                frames = (goodbye if conn.live_sid else b"") + goodbyes.get(conn.sid, b"")
                transport.write(frames + closing)
                transport.close()
            transports.append(transport)
        return transports


async def abort_stragglers(transports: list[asyncio.Transport],
                           grace: float = CLOSE_GRACE) -> int:
    """Wait up to ``grace`` for closing transports to flush, then abort the rest (a viewer
    that stopped reading would otherwise hold its socket, and the stop, for minutes)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    await asyncio.sleep(0)
    while loop.time() < deadline:
        if all(t.get_write_buffer_size() == 0 for t in transports):
            break
        await asyncio.sleep(0.05)
    aborted = 0
    for transport in transports:
        if transport.get_write_buffer_size():
            transport.abort()
            aborted += 1
    return aborted
