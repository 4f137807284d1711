"""The realtime façade: one Socket.IO server, its two audiences, and the bus that feeds them.

Services publish domain events on the bus; the hub only marks what changed, and the
namespaces push it: viewers (:mod:`.viewers`, ``/live``) at the show tick, consoles
(:mod:`.consoles`, ``/staff``) at the staff flush. Everything the hub needs is passed in;
``create_app`` builds it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import socketio  # type: ignore[import-untyped,unused-ignore]
from aiohttp import web

from ..capture.bus import EventBus
from ..capture.service import CaptureService
from ..capture.views import ShowViews
from ..config import Settings
from ..domain.events import (
    CommentReceived,
    Event,
    OrderChanged,
    OrderPlaced,
    ReviewAdded,
    ShowChanged,
    StockChanged,
)
from ..plumbing import TaskSet, stop_tasks, summary
from ..store.base import Store
from . import bridge, engineio_compat, names
from .console_access import ConsoleAccess
from .consoles import ConsoleNamespace, TokenCheck
from .fanout import ViewerFanout
from .lean import LeanViewers, abort_stragglers
from .packet_guard import guard_packets
from .shows import Shows
from .viewers import BuyerLookup, ViewerNamespace


class RealtimeHub:
    """Owns the Socket.IO server; the only code that emits (through its two namespaces)."""

    def __init__(self, settings: Settings, *, store: Store, views: ShowViews,
                 service: CaptureService, clock: Callable[[], float], tokens: TokenCheck,
                 manager: Any = None, token_cache: dict[str, Any] | None = None,
                 buyers: BuyerLookup | None = None) -> None:
        self.settings = settings
        self.views = views
        origins: Any = list(settings.cors_allowed_origins) or None
        self.sio = socketio.AsyncServer(
            async_mode="aiohttp", cors_allowed_origins=origins, client_manager=manager,
            ping_interval=settings.ping_interval, ping_timeout=20,
            max_http_buffer_size=settings.socket_max_message, logger=False,
            engineio_logger=False, transports=["polling", "websocket"],
        )
        self.fanout = ViewerFanout(self.sio, names.LIVE, settings.viewer_max_buffer,
                                   json_only=True)
        # Consoles must see every order: never skip one. A console that falls 32 MB behind is
        # cut off at once instead; it reconnects and reloads the queue.
        self.staff_fanout = ViewerFanout(self.sio, names.STAFF, 32 * 1024 * 1024, max_skips=1,
                                         json_only=True)
        self.relayed = manager is not None
        self.shows = Shows()
        self.live = ViewerNamespace(self.sio, self.fanout, self.shows, settings=settings,
                                    store=store, views=views, service=service, clock=clock,
                                    relayed=self.relayed, buyers=buyers)
        self.consoles = ConsoleNamespace(self.sio, self.staff_fanout, self.shows, store=store,
                                         tokens=tokens, viewer_count=self.fanout.count,
                                         clock=clock, relayed=self.relayed,
                                         base_url=settings.public_base)
        # direct websockets of /live viewers, served without python-engineio (lean.py)
        self.lean = (LeanViewers(self.live, settings, self.sio.handle_request,
                                 bridge.install(self.sio))
                     if settings.lean_live else None)
        self.live.direct = self.lean
        if manager is not None:
            manager.local_push = self.live.deliver
        self.sio.register_namespace(self.live)
        self.sio.register_namespace(self.consoles)
        self.tasks = TaskSet("realtime push")
        self.engine_tasks = engineio_compat.track_tasks(self.sio)
        self.access = ConsoleAccess(
            store, lambda sid: self.sio.disconnect(sid, namespace=names.STAFF),
            token_cache if token_cache is not None else {})
        self.consoles.access = self.access
        guard_packets(self.sio)

    # -- bus -------------------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        """Bus listener: remember what to push; never blocks, never awaits."""
        if isinstance(event, StockChanged):
            codes = {code.upper() for code, _ in event.keys}
            for state in self.shows.values():
                if not state.lineup or state.lineup & codes:
                    state.stock_dirty = True
        elif isinstance(event, OrderPlaced):
            self.views.remember(event)
            if (placed := self.shows.get(event.show_id)) is not None:
                placed.ticker.append(event)
                placed.orders_at.append(event.at)
        elif isinstance(event, CommentReceived):
            self.views.remember(event)
            if (commented := self.shows.get(event.show_id)) is not None:
                commented.comments.append(event)
        elif isinstance(event, OrderChanged):
            # Latest version wins; consoles get it at the next staff flush (≤ 25 ms).
            if self.consoles.watched(event.show_id):
                self.shows.state(event.show_id).orders[event.code] = event.order
                self.consoles.changed()
        elif isinstance(event, ReviewAdded):
            if self.consoles.watched(event.item.show_id):
                self.shows.state(event.item.show_id).reviews.append(event.item)
                self.consoles.changed()
        elif isinstance(event, ShowChanged):
            self.live.forget_snapshot(event.show.id)
            self.tasks.spawn(self.live.push_show(event.show.id))

    async def drain(self) -> None:
        """Cancel pushes still in flight (shutdown): the store is about to close."""
        await self.tasks.drain()

    async def shutdown(self) -> None:
        """Stop the server, then what engine.io left running (pings, handlers, listener)."""
        await self.sio.shutdown()
        await stop_tasks(list(self.engine_tasks))

    def stop(self) -> None:
        """Ask every loop to end at its next turn."""
        self.live.running = False
        self.consoles.running = False
        self.access.running = False
        if self.lean is not None:
            self.lean.running = False

    def metrics(self, reset: bool = False) -> dict[str, Any]:
        """Fan-out and tick figures for operators (and the benchmarks)."""
        tick_ms, lateness_ms = self.live.tick_ms, self.live.lateness_ms
        body = {
            "viewers": self.fanout.stats(), "consoles": self.staff_fanout.stats(),
            "ticks": len(tick_ms), "tick_ms": summary(tick_ms),
            "lateness_ms": summary(lateness_ms),
        }
        if reset:
            tick_ms.clear()
            lateness_ms.clear()
        return body


def setup_realtime(app: web.Application, hub: RealtimeHub, bus: EventBus) -> RealtimeHub:
    """Attach Socket.IO to the app and run the tick, staff flush and stats loops with it."""
    lean = hub.lean
    if lean is None:
        hub.sio.attach(app, socketio_path="socket.io")
    else:
        # python-socketio's own routes, except that GET looks first for a direct websocket
        app.router.add_get("/socket.io/", lean.handle)
        app.router.add_post("/socket.io/", hub.sio.handle_request)
        app.router.add_route("OPTIONS", "/socket.io/", hub.sio.handle_request)

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        unsubscribe = bus.subscribe(hub.on_event)
        engineio_compat.initialize_manager(hub.sio)
        tasks = [asyncio.create_task(hub.live.run_ticks(), name="realtime-tick"),
                 asyncio.create_task(hub.consoles.run_staff_flush(), name="realtime-staff"),
                 asyncio.create_task(hub.consoles.run_stats(), name="realtime-stats"),
                 asyncio.create_task(hub.access.run(), name="console-access")]
        if lean is not None:
            tasks.append(asyncio.create_task(lean.run_pings(), name="lean-pings"))
        yield
        unsubscribe()
        hub.stop()
        await stop_tasks(tasks)
        await hub.drain()
        await hub.shutdown()

    async def close_viewers(app: web.Application) -> None:
        # on_shutdown runs before aiohttp waits for open requests: an open websocket would
        # otherwise hold every stop or restart for the whole shutdown timeout. Every socket
        # gets its Socket.IO DISCONNECT and close frame in one pass; those still flushing
        # after a second (viewers that stopped reading) are aborted.
        goodbyes = engineio_compat.namespace_goodbyes(hub.sio)
        transports = lean.close_all(goodbyes) if lean is not None else []
        transports += await hub.fanout.close_all(goodbyes)
        await abort_stragglers(transports)

    app.on_shutdown.append(close_viewers)
    app.cleanup_ctx.append(ctx)
    return hub
