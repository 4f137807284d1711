"""Encode-once broadcast to Socket.IO viewers grouped by show.

Stock ``sio.emit(room=...)`` creates a task per recipient, queues the packet
in the engine.io queue and wakes a per-client writer task: about six
scheduler callbacks and two tasks per delivery, 10-20k deliveries per CPU
second. Here a push is JSON-encoded once, framed once as an unmasked
WebSocket text frame, and the same bytes are written to every viewer's
transport, the way Node's socket.io does it: ~100k+ deliveries per CPU second.

What that trades away, and how it is covered:

* Pushes skip the engine.io queue, so they may overtake a packet sent to the
  same viewer through ``emit``. A viewer only joins the fast path once its
  namespace connect and everything queued before (the snapshot) was written;
  after that, pushes must carry a version so a client can drop older ones.
* A viewer whose transport buffer is over ``max_buffer`` is skipped for that
  push; the latest skipped push of each event name is kept and written once
  the buffer has drained (at its show's next broadcast, or ``catch_up()``),
  so a viewer that fell behind still ends on the true value. After
  ``max_skips`` consecutive skips its connection is aborted. Nothing here
  ever awaits a viewer.
* Viewers on HTTP long-polling, viewers still connecting, and everything when
  the engine.io internals are not what :mod:`.engineio_compat` expects, go
  through the ordinary ``emit`` path. Lean-path viewers (:mod:`.lean`) are
  written to directly from their first push (``add_direct``); consoles on a lean
  websocket (:mod:`.bridge`) once their namespace is connected.

Frames never interleave with frames aiohttp writes for the same socket: with
compression off, aiohttp writes each frame synchronously (no await between
header and payload), and asyncio transports buffer whole writes.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from dataclasses import dataclass
from typing import Any

import socketio  # type: ignore[import-untyped,unused-ignore]
from aiohttp import web

from . import engineio_compat as compat
from .framing import (
    EIO_MESSAGE,
    SIO_EVENT,
    event_frame,
    websocket_close_frame,
    websocket_text_frame,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FanoutStats:
    """What one broadcast did."""

    delivered: int = 0  # frames written straight to a viewer's transport
    skipped_slow: int = 0  # viewers over the buffer cap, left out of this push
    via_slow_path: int = 0  # viewers reached through ``sio.emit``
    disconnected_slow: int = 0  # viewers cut off after too many skips


class _Viewer:
    __slots__ = ("sid", "show_id", "eio_sid", "eio_socket", "ws", "transport", "skips",
                 "missed")

    def __init__(self, sid: str, show_id: str, eio_sid: str | None) -> None:
        self.sid = sid
        self.show_id = show_id
        self.eio_sid = eio_sid
        self.eio_socket: Any = None
        self.ws: web.WebSocketResponse | None = None
        self.transport: asyncio.Transport | None = None
        self.skips = 0
        # Latest skipped frame per event name, replayed once the buffer drains.
        self.missed: dict[str, bytes] | None = None

    def closed(self) -> bool:
        return self.ws is not None and self.ws.closed


def after_join_wave() -> None:
    """Exempt every object alive now from future garbage collections.

    Thousands of viewer connections leave long-lived objects that each collection of the
    oldest generation walks again; freezing them measured +61 % deliveries per CPU second
    at 5,000 viewers on the emit path. Call it once a join wave has settled, not per
    connection. Frozen cycles are never reclaimed; ``gc.unfreeze()`` undoes it.
    """
    gc.freeze()


class ViewerFanout:
    """Encode-once broadcast to Socket.IO viewers grouped by show. Build it right after the
    ``AsyncServer``: it hooks the engine.io websocket driver (and turns deflate off)."""

    def __init__(self, sio: socketio.AsyncServer, namespace: str = "/live",
                 max_buffer: int = 64 * 1024, max_skips: int = 50, max_queued: int = 16,
                 json_only: bool = False) -> None:
        """``max_buffer``: bytes waiting in a viewer's transport above which it is skipped;
        ``max_skips``: consecutive skips after which it is cut off; ``max_queued``: engine.io
        queue length above which a slow-path viewer is skipped."""
        self._sio = sio
        self._namespace = namespace
        self._max_buffer = max_buffer
        self._max_skips = max_skips
        self._max_queued = max_queued
        # Callers that only ever push JSON data (livesell's own payloads) skip the packet
        # class's recursive search for binary attachments: one json.dumps per push.
        self._json_only = json_only
        self._registry = compat.install(sio)
        self._shows: dict[str, dict[str, _Viewer]] = {}
        self._viewers: dict[str, _Viewer] = {}
        self._behind: dict[str, _Viewer] = {}  # viewers holding missed frames, by sid
        self._totals = {"delivered": 0, "skipped_slow": 0, "via_slow_path": 0,
                        "disconnected_slow": 0, "caught_up": 0, "broadcasts": 0}

    @property
    def fast_path_enabled(self) -> bool:
        """False when the engine.io internals were not recognised (emit path only)."""
        return self._registry is not None

    def add(self, show_id: str, sid: str) -> None:
        """Start sending ``show_id``'s pushes to viewer ``sid`` (a socket.io sid), once its
        snapshot was emitted. A viewer belongs to one show; adding it again moves it. A sid
        not (or no longer) connected to the namespace is ignored, so adding from a task
        that raced a disconnect leaves nothing behind."""
        self.discard(sid)
        eio_sid = self._sio.manager.eio_sid_from_sid(sid, self._namespace)
        if eio_sid is None:
            logger.debug("not adding viewer %s to show %s: not connected", sid, show_id)
            return
        viewer = _Viewer(sid, show_id, eio_sid)
        self._viewers[sid] = viewer
        self._shows.setdefault(show_id, {})[sid] = viewer

    def add_direct(self, show_id: str, sid: str, ws: web.WebSocketResponse,
                   transport: asyncio.Transport) -> None:
        """Like :meth:`add`, for a websocket this server speaks Engine.IO on itself (the
        lean path): its frames go straight to ``transport`` from the first push."""
        self.discard(sid)
        viewer = _Viewer(sid, show_id, None)
        viewer.ws, viewer.transport = ws, transport
        self._viewers[sid] = viewer
        self._shows.setdefault(show_id, {})[sid] = viewer

    def discard(self, sid: str) -> None:
        """Forget viewer ``sid`` (call it from the disconnect handler); unknown sids are fine."""
        viewer = self._viewers.pop(sid, None)
        if viewer is None:
            return
        self._behind.pop(sid, None)
        show = self._shows.get(viewer.show_id)
        if show is not None:
            show.pop(sid, None)
            if not show:
                del self._shows[viewer.show_id]

    async def close_all(self, goodbyes: dict[str, bytes] | None = None
                        ) -> list[asyncio.Transport]:
        """Shutdown: every websocket of the engine.io server (all namespaces) gets the
        Socket.IO DISCONNECT of each namespace it joined and one close frame, written to its
        transport, which then closes; nothing awaits any one viewer. Marked closing,
        engine.io skips its per-socket teardown (~1 ms a viewer). Returns the transports."""
        if self._registry is None:
            return []
        frame = websocket_close_frame(1001, b"server shutdown")
        engine_sockets = getattr(self._registry.eio, "sockets", {})
        if goodbyes is None:
            goodbyes = compat.namespace_goodbyes(self._sio)
        transports = []
        for eio_sid, entry in list(self._registry.sockets.items()):
            if (sock := engine_sockets.get(eio_sid)) is not None:
                sock.closing = True
            if not entry.transport.is_closing():
                entry.transport.write(goodbyes.get(eio_sid, b"") + frame)
                entry.transport.close()
            transports.append(entry.transport)
        await asyncio.sleep(0)  # let the close callbacks run before aiohttp counts handlers
        return transports

    def count(self, show_id: str) -> int:
        """Viewers currently added to ``show_id``."""
        return len(self._shows.get(show_id, ()))

    def stats(self) -> dict[str, int]:
        """Running totals since start, plus the current number of viewers."""
        return {**self._totals, "viewers": len(self._viewers)}

    def encode(self, event: str, data: Any) -> bytes | None:
        """The WebSocket frame carrying ``event``/``data`` for this namespace.

        ``None`` when the packet has binary attachments (those need several
        engine.io messages; the emit path handles them).
        """
        if self._json_only and not isinstance(data, tuple):
            return event_frame(self._namespace, event, data)
        if isinstance(data, tuple):
            args = list(data)  # as in emit(): a tuple is several arguments
        elif data is not None:
            args = [data]
        else:
            args = []
        pkt = self._sio.packet_class(SIO_EVENT, namespace=self._namespace, data=[event, *args])
        encoded = pkt.encode()
        if not isinstance(encoded, str):
            return None
        return websocket_text_frame((EIO_MESSAGE + encoded).encode("utf-8"))

    async def broadcast(self, show_id: str, event: str, data: Any) -> FanoutStats:
        """Send ``event`` with ``data`` to every viewer of ``show_id``.

        One encode, one frame, one ``transport.write`` per websocket viewer.
        Never waits on a viewer; awaits only the emit path for the viewers
        that need it (which queues, it does not wait on their sockets).
        """
        viewers = self._shows.get(show_id)
        if not viewers:
            return FanoutStats()
        frame = self.encode(event, data)
        max_buffer = self._max_buffer
        delivered = skipped = 0
        slow: list[str] = []
        overdue: list[_Viewer] = []
        gone: list[str] = []
        # No await inside this loop, so the dict cannot change under it.
        for viewer in viewers.values():
            if frame is None:
                transport = None
            else:
                transport = viewer.transport
                if transport is None:
                    transport = self._promote(viewer)
            if transport is None:
                room = self._slow_path_has_room(viewer)
                if room is None:
                    gone.append(viewer.sid)
                elif room:
                    slow.append(viewer.sid)
                else:
                    skipped += 1
                    if self._skip(viewer):
                        overdue.append(viewer)
                continue
            if transport.is_closing() or ((ws := viewer.ws) is not None and ws.closed):
                # A closed websocket never reopens: forget it even if the
                # disconnect handler has not run yet. (viewer.closed(), inlined:
                # this runs once per viewer and push.)
                gone.append(viewer.sid)
                continue
            if transport.get_write_buffer_size() > max_buffer:
                skipped += 1
                self._remember(viewer, event, frame)  # type: ignore[arg-type]
                if self._skip(viewer):
                    overdue.append(viewer)
                continue
            try:
                if viewer.missed is not None:
                    self._replay(viewer, transport, event)
                transport.write(frame)  # type: ignore[arg-type]
            except Exception:
                # asyncio handles socket errors inside write(); anything else is a
                # bug to log, not a reason to stop the push for everyone else.
                logger.exception("writing to viewer %s failed", viewer.sid)
                gone.append(viewer.sid)
                continue
            viewer.skips = 0
            delivered += 1

        for sid in gone:
            self.discard(sid)
        for viewer in overdue:
            self._cut_off(viewer)
        if slow:
            try:
                await self._sio.emit(event, data, to=slow, namespace=self._namespace,
                                     ignore_queue=True)
            except Exception:
                # A push is replaced by the next one; the show must go on.
                logger.exception("emit path failed for %d viewers of show %s",
                                 len(slow), show_id)
        totals = self._totals
        totals["broadcasts"] += 1
        totals["delivered"] += delivered
        totals["skipped_slow"] += skipped
        totals["via_slow_path"] += len(slow)
        totals["disconnected_slow"] += len(overdue)
        return FanoutStats(delivered, skipped, len(slow), len(overdue))

    def catch_up(self) -> int:
        """Send viewers that were skipped, and have drained since, what they missed.

        Each gets the latest skipped push of every event name (older ones are
        superseded; pushes carry versions). ``broadcast`` does the same for the
        viewers of its show, so this matters for a show whose pushes stopped
        while a viewer was behind: call it from the show tick. Returns the
        number of frames written; cheap when nobody is behind.
        """
        written = 0
        for viewer in list(self._behind.values()):
            transport = viewer.transport
            if transport is None or transport.is_closing() or viewer.closed():
                self._behind.pop(viewer.sid, None)
                viewer.missed = None
                continue
            if transport.get_write_buffer_size() > self._max_buffer:
                continue
            written += self._replay(viewer, transport, None)
            viewer.skips = 0
        return written

    def _remember(self, viewer: _Viewer, event: str, frame: bytes) -> None:
        missed = viewer.missed
        if missed is None:
            missed = viewer.missed = {}
            self._behind[viewer.sid] = viewer
        else:
            missed.pop(event, None)  # keep the order in which the latest ones were skipped
        missed[event] = frame

    def _replay(self, viewer: _Viewer, transport: asyncio.Transport, superseded: str | None) -> int:
        """Write the missed frames, except the one the caller is about to replace."""
        missed = viewer.missed or {}
        viewer.missed = None
        self._behind.pop(viewer.sid, None)
        written = 0
        for event, frame in missed.items():
            if event != superseded:
                transport.write(frame)
                written += 1
        self._totals["caught_up"] += written
        return written

    def _promote(self, viewer: _Viewer) -> asyncio.Transport | None:
        """The transport to write to, once the viewer is safe for the fast path."""
        registry = self._registry
        if registry is None or viewer.eio_sid is None:
            return None
        eio_socket = viewer.eio_socket
        if eio_socket is None:
            eio_socket = viewer.eio_socket = registry.eio_socket(viewer.eio_sid)
            if eio_socket is None:
                return None
        entry = compat.writable_socket(registry, viewer.eio_sid, eio_socket)
        if entry is None:
            return None  # polling, upgrading, closing, writing, or opened before the hook
        # Until the namespace CONNECT and the snapshot are on the wire, a direct
        # frame could overtake them; the emit path keeps the order meanwhile.
        if not self._sio.manager.is_connected(viewer.sid, self._namespace):
            return None
        viewer.ws = entry.ws
        viewer.transport = entry.transport
        return entry.transport

    def _slow_path_has_room(self, viewer: _Viewer) -> bool | None:
        """Whether ``emit`` may queue one more push for this viewer; ``None``: it is gone."""
        registry = self._registry
        if registry is None or viewer.eio_sid is None:
            return True  # internals unknown: emit decides
        eio_socket = viewer.eio_socket
        if eio_socket is None:
            eio_socket = viewer.eio_socket = registry.eio_socket(viewer.eio_sid)
            if eio_socket is None:
                return None  # engine.io forgot it: the connection is over
        if compat.socket_is_closing(eio_socket):
            return None
        if compat.queued_packets(eio_socket) > self._max_queued:
            return False
        entry = registry.sockets.get(viewer.eio_sid)
        return entry is None or entry.transport.get_write_buffer_size() <= self._max_buffer

    def _skip(self, viewer: _Viewer) -> bool:
        """Count a skipped push; True when the viewer has fallen behind for too long."""
        viewer.skips += 1
        return viewer.skips >= self._max_skips

    def _cut_off(self, viewer: _Viewer) -> None:
        """Disconnect a viewer that stayed over the cap, freeing its buffer now."""
        self.discard(viewer.sid)
        logger.info("disconnecting viewer %s of show %s: %d pushes skipped",
                    viewer.sid, viewer.show_id, viewer.skips)
        transport = viewer.transport
        if transport is None and self._registry is not None and viewer.eio_sid is not None:
            entry = self._registry.sockets.get(viewer.eio_sid)
            transport = entry.transport if entry is not None else None
        if transport is not None:
            # Dropping the connection discards what is buffered at once; engine.io
            # then sees the websocket end and runs the usual disconnect handlers.
            transport.abort()
        else:
            self._sio.start_background_task(
                self._sio.disconnect, viewer.sid, namespace=self._namespace,
                ignore_queue=True)
