"""The realtime façade: Socket.IO namespaces, and the per-show tick that coalesces pushes.

Services publish domain events on the bus; the hub only marks what changed. A tick at
``stock_push_hz`` then sends each dirty show one ``stock`` push (read fresh from the store, so
the last push is always the true value), one ``ticker`` batch and one ``comment`` batch. A
burst of 3,000 orders a second therefore costs a few broadcasts per show, not 3,000.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import socketio  # type: ignore[import-untyped,unused-ignore]
from aiohttp import web

from .. import keys
from ..capture.views import public_item
from ..domain.errors import DomainError
from ..domain.events import (
    CommentReceived,
    Event,
    OrderChanged,
    OrderPlaced,
    ReviewAdded,
    ShowChanged,
    StockChanged,
)
from ..domain.models import Order, ReviewItem
from ..http.auth import RANK, principal_for_session, principal_for_token
from . import names
from .fanout import ViewerFanout
from .ratelimit import TokenBuckets

log = logging.getLogger(__name__)


# A viewer cannot read more than this many comments or ticker lines per push anyway; under a
# storm only the newest are masked and sent.
FEED_PER_PUSH = 30
# How long joiners may share one snapshot of a show; any tick with news drops it sooner.
SNAPSHOT_SECONDS = 1.0
# Console pushes: often enough to feel instant, rarely enough that a buyer's burst of comments
# becomes one push of the latest order.
STAFF_FLUSH_SECONDS = 0.025


@dataclass
class ShowState:
    """What is waiting to be pushed to one show's viewers and consoles at the next tick."""

    lineup: frozenset[str] = frozenset()
    stock_dirty: bool = True
    ticker: deque[OrderPlaced] = field(default_factory=lambda: deque(maxlen=FEED_PER_PUSH))
    comments: deque[CommentReceived] = field(
        default_factory=lambda: deque(maxlen=FEED_PER_PUSH))
    orders_at: deque[float] = field(default_factory=deque)
    orders: dict[str, Order | None] = field(default_factory=dict)
    last_stock: dict[str, Any] | None = None  # the newest stock push, for late joiners
    reviews: list[ReviewItem] = field(default_factory=list)


class RealtimeHub:
    """Owns the Socket.IO server; the only code that emits."""

    def __init__(self, app: web.Application, manager: Any = None) -> None:
        settings = app[keys.SETTINGS]
        self.app = app
        self.settings = settings
        self.store = app[keys.STORE]
        self.views = app[keys.VIEWS]
        self.service = app[keys.SERVICE]
        self.clock = app[keys.CLOCK]
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
        if manager is not None:
            manager.local_push = self.deliver
        self.shows: dict[str, ShowState] = {}
        self.buckets = TokenBuckets(settings.comment_rate, settings.comment_burst)
        self.ip_buckets = TokenBuckets(settings.comment_rate * 5, settings.comment_burst * 5)
        self.staff_rooms: dict[str, int] = {}
        self._seq = int(time.time() * 1000)
        self._tasks: set[asyncio.Task[Any]] = set()
        # Loops also stop on this flag: a library deep in an emit may swallow a cancellation,
        # and a shutdown must never hang on it.
        self.running = True
        # socket sid -> (show id, address, buyer id from the signed cookie or "")
        self.viewers: dict[str, tuple[str, str, str]] = {}
        # show -> (built at, stock version, encoded packet)
        self._snapshots: dict[str, tuple[float, int, str]] = {}
        self._building: dict[str, asyncio.Future[tuple[int, str]]] = {}
        # recent ticks, for /api/metrics: how late each started and how long it took
        self.lateness_ms: deque[float] = deque(maxlen=4096)
        self.tick_ms: deque[float] = deque(maxlen=4096)
        self._register()

    # -- versions --------------------------------------------------------------------------

    def next_version(self) -> int:
        """Monotonic push version for non-stock pushes (ms clock, never repeating)."""
        self._seq = max(self._seq + 1, int(time.time() * 1000))
        return self._seq

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
            # Latest version wins; consoles get it at the next staff flush (25 ms).
            if self.watched(event.show_id):
                self.state(event.show_id).orders[event.code] = event.order
        elif isinstance(event, ReviewAdded):
            if self.watched(event.item.show_id):
                self.state(event.item.show_id).reviews.append(event.item)
        elif isinstance(event, ShowChanged):
            self._snapshots.pop(event.show.id, None)
            self._spawn(self.push_show(event.show.id))

    def watched(self, show_id: str) -> bool:
        """Whether a console may be watching this show: one on this node, or, with several
        nodes, possibly one on another (their consoles get our orders through Redis)."""
        return self.relayed or self.staff_rooms.get(show_id, 0) > 0

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(_log_failure)

    async def drain(self) -> None:
        """Cancel pushes still in flight (shutdown): the store is about to close."""
        if self._tasks:
            await stop_tasks(list(self._tasks))

    # -- pushes ----------------------------------------------------------------------------

    def state(self, show_id: str) -> ShowState:
        return self.shows.setdefault(show_id, ShowState())

    async def push(self, show_id: str, event: str, data: Any) -> None:
        """Send a push to every viewer of a show: on this node directly, or on every node
        through the Redis manager (which hands it back to each node's local fan-out)."""
        if self.relayed:
            await self.sio.emit(event, data, room=names.show_room(show_id), namespace=names.LIVE)
        else:
            await self.deliver(show_id, event, data)

    async def deliver(self, show_id: str, event: str, data: Any) -> None:
        """Hand a push (ours, or relayed from another node) to this node's viewers."""
        if event == names.STOCK and isinstance(data, dict):
            state = self.state(show_id)
            if state.last_stock is None or data.get("v", 0) >= state.last_stock.get("v", 0):
                state.last_stock = data
        await self.fanout.broadcast(show_id, event, data)

    async def push_show(self, show_id: str) -> None:
        """Pinned product and flash deal changed: push both now (rare, not coalesced)."""
        snapshot = await self.views.snapshot(show_id)
        state = self.state(show_id)
        state.lineup = frozenset(p["code"] for p in snapshot["lineup"])
        state.stock_dirty = True
        version = self.next_version()
        await self.push(show_id, names.PINNED, {"v": version, "pinned": snapshot["pinned"],
                                                "pinned_variant": snapshot["pinned_variant"]})
        await self.push(show_id, names.FLASH, {
            "v": version, "flash": snapshot["flash"], "server_time": snapshot["server_time"]})
        await self.push(show_id, names.SHOW, {"v": version, **snapshot["show"]})

    async def tick(self) -> None:
        """Push what changed since the last tick, for every show with viewers."""
        self.fanout.catch_up()  # viewers skipped while slow get the latest value now
        for show_id, state in list(self.shows.items()):
            if state.stock_dirty or state.ticker or state.comments:
                # what this tick pushes is news to a shared snapshot: joiners get a new one
                self._snapshots.pop(show_id, None)
            if self.fanout.count(show_id) == 0 and not state.stock_dirty:
                state.ticker.clear()
                state.comments.clear()
                continue
            if state.stock_dirty:
                state.stock_dirty = False
                show = await self.store.get_show(show_id)
                if show is not None:
                    state.lineup = frozenset(show.lineup)
                    version, stock = await self.views.stock(show)
                    # "t": when it left the server (ms), so clients can tell how fresh it is
                    await self.push(show_id, names.STOCK, {
                        "v": version, "t": round(time.time() * 1000, 1), "stock": stock})
                    now = self.clock()
                    if show.flash is not None and show.flash.ends_at > now:
                        # flash units taken move with the stock: keep "2/20 taken" live
                        await self.push(show_id, names.FLASH, {
                            "v": self.next_version(), "flash": show.flash.to_json(),
                            "server_time": now})
            if state.ticker:
                items = [public_item(e) for e in state.ticker]
                state.ticker.clear()
                await self.push(show_id, names.TICKER,
                                            {"v": self.next_version(), "items": items})
            if state.comments:
                items = [public_item(e) for e in state.comments]
                state.comments.clear()
                await self.push(show_id, names.COMMENT,
                                            {"v": self.next_version(), "items": items})

    async def flush_staff(self) -> None:
        """Send consoles every order that changed since the last flush, latest version only."""
        for show_id, state in list(self.shows.items()):
            if state.reviews:
                reviews, state.reviews = state.reviews, []
                for item in reviews:
                    await self.push_staff(show_id, names.REVIEW, item.to_json())
            if not state.orders:
                continue
            changed, state.orders = state.orders, {}
            given = [order for order in changed.values() if order is not None]
            missing = [code for code, order in changed.items() if order is None]
            orders = given + (await self.store.get_orders(missing) if missing else [])
            for order in orders:
                await self.push_staff(show_id, names.ORDER, order.to_json(audit=False))

    async def push_staff(self, show_id: str, event: str, data: Any) -> None:
        """To every console of a show: through Redis to every node, or straight to ours."""
        if self.relayed:
            await self.sio.emit(event, data, room=names.show_room(show_id),
                                namespace=names.STAFF)
        else:
            await self.staff_fanout.broadcast(show_id, event, data)

    async def run_staff_flush(self) -> None:
        while self.running:
            await asyncio.sleep(STAFF_FLUSH_SECONDS)
            try:
                await self.flush_staff()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("staff flush failed")

    async def run_ticks(self) -> None:
        period = 1.0 / self.settings.stock_push_hz
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while self.running:
            started = loop.time()
            self.lateness_ms.append((started - next_at) * 1000)
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("realtime tick failed")
            self.tick_ms.append((loop.time() - started) * 1000)
            next_at += period
            delay = next_at - loop.time()
            if delay < 0:  # fell behind: don't burst to catch up
                next_at = loop.time()
                delay = 0
            await asyncio.sleep(delay)

    def metrics(self, reset: bool = False) -> dict[str, Any]:
        """Fan-out and tick figures for operators (and the benchmarks)."""
        body = {
            "viewers": self.fanout.stats(), "consoles": self.staff_fanout.stats(),
            "ticks": len(self.tick_ms), "tick_ms": summary(self.tick_ms),
            "lateness_ms": summary(self.lateness_ms),
        }
        if reset:
            self.tick_ms.clear()
            self.lateness_ms.clear()
        return body

    async def stats(self, show_id: str) -> dict[str, Any]:
        """Live numbers for the consoles: orders a minute, revenue, viewers, per product."""
        now = self.clock()
        state = self.state(show_id)
        while state.orders_at and now - state.orders_at[0] >= 60:
            state.orders_at.popleft()
        levels = await self.store.stock(tuple(state.lineup) or None)
        return {
            "show": show_id, "viewers": self.fanout.count(show_id),
            "orders_per_min": len(state.orders_at),
            "revenue": sum(level.sold * level.price for level in levels),
            "products": [level.to_json() for level in levels], "at": now,
        }

    async def run_stats(self) -> None:
        while self.running:
            await asyncio.sleep(1.0)
            for show_id in [s for s, n in self.staff_rooms.items() if n > 0]:
                try:
                    await self.sio.emit(names.STATS, await self.stats(show_id),
                                        room=names.show_room(show_id), namespace=names.STAFF)
                except Exception:
                    log.exception("stats push failed")

    # -- namespaces ------------------------------------------------------------------------

    def _register(self) -> None:
        sio = self.sio
        sio.on("connect", self.live_connect, namespace=names.LIVE)
        sio.on("disconnect", self.live_disconnect, namespace=names.LIVE)
        sio.on(names.POST_COMMENT, self.live_comment, namespace=names.LIVE)
        sio.on("connect", self.staff_connect, namespace=names.STAFF)
        sio.on("disconnect", self.staff_disconnect, namespace=names.STAFF)

    async def live_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        show_id = auth.get("show") if isinstance(auth, dict) else None
        if not isinstance(show_id, str) or not await self.show_exists(show_id):
            raise socketio.exceptions.ConnectionRefusedError("unknown show")
        request = environ.get("aiohttp.request")
        ip = (request.remote if request is not None else None) or "?"
        buyer = self.app[keys.BUYERS].buyer_of(request.cookies) if request is not None else None
        # (show, address, buyer) in one tuple: at 10,000 viewers a session dict each is real
        # memory. The fan-out is the show's room: no Socket.IO room is needed on /live.
        self.viewers[sid] = (show_id, ip, buyer or "")
        self.state(show_id)
        self.sio.start_background_task(self._welcome, sid, show_id)
        return True

    async def show_exists(self, show_id: str) -> bool:
        if show_id in self._snapshots:
            return True
        return await self.store.get_show(show_id) is not None

    async def snapshot_packet(self, show_id: str) -> tuple[int, str]:
        """The show's snapshot as an encoded Socket.IO event, shared by every viewer who joins
        within a second: a join burst costs one snapshot, not one per viewer."""
        now = time.monotonic()
        cached = self._snapshots.get(show_id)
        if cached is not None and now - cached[0] < SNAPSHOT_SECONDS:
            return cached[1], cached[2]
        building = self._building.get(show_id)
        if building is None:
            building = asyncio.ensure_future(self._build_snapshot(show_id))
            self._building[show_id] = building
            building.add_done_callback(lambda _: self._building.pop(show_id, None))
        return await asyncio.shield(building)

    async def _build_snapshot(self, show_id: str) -> tuple[int, str]:
        snapshot = await self.views.snapshot(show_id)
        self.state(show_id).lineup = frozenset(p["code"] for p in snapshot["lineup"])
        text = "2" + names.LIVE + "," + orjson.dumps([names.SNAPSHOT, snapshot]).decode()
        version = int(snapshot["version"])
        self._snapshots[show_id] = (time.monotonic(), version, text)
        return version, text

    async def _welcome(self, sid: str, show_id: str) -> None:
        try:
            version, packet = await self.snapshot_packet(show_id)
        except DomainError:
            await self.sio.disconnect(sid, namespace=names.LIVE)
            return
        eio_sid = self.sio.manager.eio_sid_from_sid(sid, names.LIVE)
        if eio_sid is None:
            return  # gone already
        # Through the engine.io queue, so it stays ahead of anything sent after it. Queueing
        # never suspends (the queue is unbounded), so no push can slip in between these
        # sends and joining the fan-out.
        await self.sio.eio.send(eio_sid, packet)
        newest = self.state(show_id).last_stock
        if newest is not None and int(newest.get("v", 0)) > version:
            # a push went out after this shared snapshot was built: send it to this viewer
            await self.sio.eio.send(eio_sid, "2" + names.LIVE + "," + orjson.dumps(
                [names.STOCK, newest]).decode())
        self.fanout.add(show_id, sid)

    async def live_disconnect(self, sid: str, reason: Any = None) -> None:
        self.fanout.discard(sid)
        self.buckets.forget(sid)
        self.viewers.pop(sid, None)

    async def live_comment(self, sid: str, data: Any) -> dict[str, Any]:
        """A viewer's comment from the page; the ack is the same result as HTTP intake."""
        show_id, ip, buyer = self.viewers.get(sid, ("", "?", ""))
        if not self.buckets.take(sid) or not self.ip_buckets.take(ip):
            return {"status": "rejected", "reason": "rate_limited"}
        if not isinstance(data, dict):
            return {"status": "rejected", "reason": "comment must be an object"}
        comment = {"source": "site", "id": str(data.get("id") or uuid.uuid4()),
                   # a buyer is a person (invariant 9): the signed cookie's id when the page
                   # gave one, else this socket alone (scripts), under the same limits
                   "author": {"id": buyer or sid, "name": str(data.get("name") or "")[:80]},
                   "text": data.get("text")}
        try:
            results = await self.service.ingest(show_id, [comment], "site",
                                                origin=self.app[keys.BUYERS].origin_of(ip))
        except DomainError as exc:
            return {"status": "rejected", "reason": exc.code}
        result = results[0]
        answer = result.to_json()
        if result.order and result.token:
            answer["order_url"] = f"/o/{result.order}?t={result.token}"
        return answer

    async def staff_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        request = environ.get("aiohttp.request")
        principal = None
        token = auth.get("token") if isinstance(auth, dict) else None
        if isinstance(token, str) and token:
            principal = await principal_for_token(self.app, token)
        elif request is not None:
            principal = await principal_for_session(request)
        if principal is None or principal.role == "ingest" or RANK[principal.role] < 1:
            raise socketio.exceptions.ConnectionRefusedError("staff login required")
        show_id = auth.get("show") if isinstance(auth, dict) else None
        if not isinstance(show_id, str) or await self.store.get_show(show_id) is None:
            raise socketio.exceptions.ConnectionRefusedError("unknown show")
        await self.sio.save_session(sid, {"show": show_id, "actor": principal.actor},
                                    namespace=names.STAFF)
        await self.sio.enter_room(sid, names.show_room(show_id), namespace=names.STAFF)
        self.staff_rooms[show_id] = self.staff_rooms.get(show_id, 0) + 1
        self.state(show_id)
        self.sio.start_background_task(self._staff_ready, sid, show_id)
        return True

    async def _staff_ready(self, sid: str, show_id: str) -> None:
        self.staff_fanout.add(show_id, sid)

    async def staff_disconnect(self, sid: str, reason: Any = None) -> None:
        self.staff_fanout.discard(sid)
        session = await self.sio.get_session(sid, namespace=names.STAFF)
        show_id = session.get("show")
        if show_id in self.staff_rooms:
            self.staff_rooms[show_id] -= 1


async def stop_tasks(tasks: list[asyncio.Task[Any]], grace: float = 5.0) -> None:
    """Cancel background loops and wait for them, but never longer than ``grace``."""
    for task in tasks:
        task.cancel()
    _, stuck = await asyncio.wait(tasks, timeout=grace)
    for task in stuck:
        log.warning("%s did not stop within %.0f s; leaving it", task.get_name(), grace)


def summary(values: deque[float]) -> dict[str, float] | None:
    """p50, p99 and max of recent values (None when there are none)."""
    if not values:
        return None
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)

    return {"p50": at(0.5), "p99": at(0.99), "max": round(ordered[-1], 3)}


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("realtime push failed", exc_info=task.exception())


def setup_realtime(app: web.Application, manager: Any = None) -> RealtimeHub:
    """Attach Socket.IO to the app and run the tick and stats loops with it."""
    hub = RealtimeHub(app, manager)
    hub.sio.attach(app, socketio_path="socket.io")
    app[keys.HUB] = hub

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        unsubscribe = app[keys.BUS].subscribe(hub.on_event)
        tasks = [asyncio.create_task(hub.run_ticks(), name="realtime-tick"),
                 asyncio.create_task(hub.run_staff_flush(), name="realtime-staff"),
                 asyncio.create_task(hub.run_stats(), name="realtime-stats")]
        yield
        unsubscribe()
        hub.running = False
        await stop_tasks(tasks)
        await hub.drain()
        await hub.sio.shutdown()

    async def close_viewers(app: web.Application) -> None:
        # on_shutdown runs before aiohttp waits for open requests: an open websocket would
        # otherwise hold every stop or restart for the whole shutdown timeout.
        await hub.fanout.close_all()

    app.on_shutdown.append(close_viewers)
    app.cleanup_ctx.append(ctx)
    return hub
