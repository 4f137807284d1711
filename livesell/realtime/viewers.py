"""The ``/live`` namespace: viewers join a show, get its snapshot, then coalesced pushes.

A tick at ``stock_push_hz`` sends each show with news ONE ``tick`` frame (:mod:`.ticks`): its
stock (read fresh from the store, so the last push is always the true value), its ticker
batch and its comment batch, each part with its own version. A burst of 3,000 orders and
comments a second therefore costs one broadcast per show and tick, not 3,000, nor three.
Joiners within a second share one encoded snapshot; a viewer's comment is acknowledged with
the same result as HTTP intake.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import socketio  # type: ignore[import-untyped,unused-ignore]
from aiohttp import web

from ..capture.service import CaptureService
from ..capture.views import ShowViews
from ..config import Settings
from ..domain.errors import DomainError
from ..log_limits import LogLimiter
from ..netaddr import client_address, parse_networks
from ..store.base import Store
from . import names, ticks
from .events import LIVE_COMMENT, scoped_comment_id, socket_event
from .fanout import ViewerFanout
from .framing import event_packet
from .ratelimit import TokenBuckets
from .shows import Shows, ShowState

log = logging.getLogger(__name__)

UNKNOWN_SHOW = "unknown show"
# (show id, client address, buyer id from the signed cookie or "")
Entry = tuple[str, str, str]

# How long joiners may share one snapshot of a show; any tick with news drops it sooner.
SNAPSHOT_SECONDS = 1.0


class BuyerLookup(Protocol):
    """Who a viewer socket is (the signed buyer cookie) and its client address key."""

    def buyer_of(self, cookies: Mapping[str, str]) -> str | None: ...
    def origin_of(self, address: str) -> str: ...


class DirectViewers(Protocol):
    """Viewers on a transport other than python-socketio's (the lean path, lean.py)."""

    def send(self, live_sid: str, event: str, data: Any) -> bool: ...
    def disconnect(self, live_sid: str) -> bool: ...


class ViewerNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    """Viewers of shows: join, welcome, comments, and the pushes they receive."""

    def __init__(self, sio: socketio.AsyncServer, fanout: ViewerFanout, shows: Shows, *,
                 settings: Settings, store: Store, views: ShowViews, service: CaptureService,
                 clock: Callable[[], float], relayed: bool,
                 buyers: BuyerLookup | None = None) -> None:
        super().__init__(names.LIVE)
        self.sio = sio
        self.fanout = fanout
        self.shows = shows
        self.settings = settings
        self.store = store
        self.views = views
        self.service = service
        self.clock = clock
        self.relayed = relayed
        self.buyers = buyers  # signed buyer ids and client-address keys (None: per socket)
        self.direct: DirectViewers | None = None
        self.buckets = TokenBuckets(settings.comment_rate, settings.comment_burst)
        self.ip_buckets = TokenBuckets(settings.comment_rate * 5, settings.comment_burst * 5)
        self.trusted = parse_networks(settings.trusted_proxies)
        self.log_limits = LogLimiter(log)
        self._seq = int(time.time() * 1000)
        # Loops also stop on this flag: a library deep in an emit may swallow a cancellation,
        # and a shutdown must never hang on it.
        self.running = True
        # socket sid (python-socketio's or the lean path's) -> who it is
        self.viewers: dict[str, Entry] = {}
        # show -> (built at, stock version, encoded packet)
        self._snapshots: dict[str, tuple[float, int, str]] = {}
        self._building: dict[str, asyncio.Future[tuple[int, str]]] = {}
        # recent ticks, for /api/metrics: how late each started and how long it took
        self.lateness_ms: deque[float] = deque(maxlen=4096)
        self.tick_ms: deque[float] = deque(maxlen=4096)

    # -- versions --------------------------------------------------------------------------

    def next_version(self) -> int:
        """Monotonic push version for non-stock pushes (ms clock, never repeating)."""
        self._seq = max(self._seq + 1, int(time.time() * 1000))
        return self._seq

    # -- pushes ----------------------------------------------------------------------------

    def state(self, show_id: str) -> ShowState:
        return self.shows.state(show_id)

    def forget_snapshot(self, show_id: str) -> None:
        """The show changed: the next joiner gets a new snapshot."""
        self._snapshots.pop(show_id, None)

    async def push(self, show_id: str, event: str, data: Any) -> None:
        """Send a push to every viewer of a show: on this node directly, or on every node
        through the Redis manager (which hands it back to each node's local fan-out)."""
        if self.relayed:
            await self.sio.emit(event, data, room=names.show_room(show_id), namespace=names.LIVE)
        else:
            await self.deliver(show_id, event, data)

    async def deliver(self, show_id: str, event: str, data: Any) -> None:
        """Hand a push (ours, or relayed from another node) to this node's viewers. Another
        node's tick parts wait for this node's next tick, to go out in its one frame."""
        state = self.state(show_id)
        if event == names.TICK:
            ticks.merge(state.outbox, data, state.last_stock)
            return
        if event == names.STOCK and isinstance(data, dict):
            if state.last_stock is None or data.get("v", 0) >= state.last_stock.get("v", 0):
                state.last_stock = data
        await self.fanout.broadcast(show_id, event, data)

    async def send_frame(self, show_id: str, state: ShowState) -> None:
        """Write what waits in the show's outbox to its viewers here, as one tick frame."""
        if not state.outbox:
            return
        frame = ticks.frame(state.outbox, self.next_version)
        state.outbox = {}
        stock = frame.get(names.STOCK)
        if stock is not None:
            state.last_stock = stock
        await self.fanout.broadcast(show_id, names.TICK, frame)

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
        """Send every show with news one frame: its stock, ticker and comment feed changes."""
        self.fanout.catch_up()  # viewers skipped while slow get the latest value now
        for show_id, state in list(self.shows.items()):
            if state.stock_dirty or state.ticker or state.comments or state.outbox:
                # what this tick pushes is news to a shared snapshot: joiners get a new one
                self._snapshots.pop(show_id, None)
            if self.fanout.count(show_id) == 0 and not (state.stock_dirty and self.relayed):
                # Nobody here to send to, and no node to relay to: skip the store read and
                # the masking of the feed. The snapshot was dropped above, so a joiner's is
                # built fresh from the store and already holds this stock.
                state.stock_dirty = False
                state.ticker.clear()
                state.comments.clear()
                state.outbox.clear()
                continue
            parts = await self._parts(show_id, state)
            if parts and self.relayed:
                # the other nodes merge these into their own next frame (relay.py skips ours)
                await self.sio.emit(names.TICK, parts, room=names.show_room(show_id),
                                    namespace=names.LIVE)
            ticks.merge(state.outbox, parts, state.last_stock)
            await self.send_frame(show_id, state)

    async def _parts(self, show_id: str, state: ShowState) -> dict[str, Any]:
        """What changed in a show since the last tick, as the parts of a tick frame."""
        parts: dict[str, Any] = {}
        if state.stock_dirty:
            state.stock_dirty = False
            show = await self.store.get_show(show_id)
            if show is not None:
                state.lineup = frozenset(show.lineup)
                version, stock = await self.views.stock(show)
                # "t": when it left the server (ms), so clients can tell how fresh it is
                parts[names.STOCK] = {"v": version, "t": round(time.time() * 1000, 1),
                                      "stock": stock}
                now = self.clock()
                if show.flash is not None and show.flash.ends_at > now:
                    # flash units taken move with the stock: keep "2/20 taken" live
                    parts[names.FLASH] = {"v": self.next_version(),
                                          "flash": show.flash.to_json(), "server_time": now}
        if state.ticker:
            parts[names.TICKER] = {"v": self.next_version(),
                                   "items": [self.views.public_item(e) for e in state.ticker]}
            state.ticker.clear()
        if state.comments:
            parts[names.COMMENT] = {"v": self.next_version(),
                                    "items": [self.views.public_item(e) for e in state.comments]}
            state.comments.clear()
        return parts

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
                self.log_limits.error("tick", "realtime tick failed")
            self.tick_ms.append((loop.time() - started) * 1000)
            next_at += period
            delay = next_at - loop.time()
            if delay < 0:  # fell behind: don't burst to catch up
                next_at = loop.time()
                delay = 0
            await asyncio.sleep(delay)

    # -- namespace events ------------------------------------------------------------------

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        request = environ.get("aiohttp.request")
        entry = await self.admit(auth, request)
        if entry is None:
            raise socketio.exceptions.ConnectionRefusedError(UNKNOWN_SHOW)
        self.join(sid, entry)
        self.sio.start_background_task(self._welcome, sid, entry[0])
        return True

    # -- joining and leaving: the rules both transports (python-socketio, lean.py) share ---

    async def admit(self, auth: Any, request: web.BaseRequest | None) -> Entry | None:
        """Who joins which show, or ``None`` when the show is unknown (a refused connect)."""
        show_id = auth.get("show") if isinstance(auth, dict) else None
        if not isinstance(show_id, str) or not await self.show_exists(show_id):
            return None
        if request is None:
            return show_id, "?", ""
        ip = client_address(request.remote, request.headers.get("X-Forwarded-For"),
                            self.trusted)
        buyer = self.buyers.buyer_of(request.cookies) if self.buyers is not None else None
        return show_id, ip, buyer or ""

    def join(self, sid: str, entry: Entry) -> None:
        # (show, address, buyer) in one tuple: at 10,000 viewers a session dict each is real
        # memory. The fan-out is the show's room: no Socket.IO room is needed on /live.
        self.viewers[sid] = entry
        self.state(entry[0])

    async def welcome_packets(self, show_id: str) -> list[str]:
        """The snapshot packet, and the newest stock push when it is newer than that shared
        snapshot; raises DomainError when the show cannot be read."""
        version, packet = await self.snapshot_packet(show_id)
        packets = [packet]
        newest = self.state(show_id).last_stock
        if newest is not None and int(newest.get("v", 0)) > version:
            # a push went out after this shared snapshot was built: send it to this viewer
            packets.append(event_packet(names.LIVE, names.STOCK, newest))
        return packets

    def leave(self, sid: str) -> None:
        """Disconnect bookkeeping: out of the fan-out, the viewer count and the buckets."""
        self.fanout.discard(sid)
        self.buckets.forget(sid)
        self.viewers.pop(sid, None)

    async def show_exists(self, show_id: str) -> bool:
        # a snapshot, or one being built (for a joiner who was let in just before), says the
        # show was read moments ago: joiners between a tick with news (which drops the
        # shared snapshot) and the next snapshot need no store read each
        if show_id in self._snapshots or show_id in self._building:
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
        text = event_packet(names.LIVE, names.SNAPSHOT, snapshot)
        version = int(snapshot["version"])
        self._snapshots[show_id] = (time.monotonic(), version, text)
        return version, text

    async def _welcome(self, sid: str, show_id: str) -> None:
        try:
            packets = await self.welcome_packets(show_id)
        except DomainError:
            await self.disconnect_viewer(sid)
            return
        eio_sid = self.sio.manager.eio_sid_from_sid(sid, names.LIVE)
        if eio_sid is None:
            return  # gone already
        # Through the engine.io queue, so it stays ahead of anything sent after it. Queueing
        # never suspends (the queue is unbounded), so no push can slip in between these
        # sends and joining the fan-out.
        for packet in packets:
            await self.sio.eio.send(eio_sid, packet)
        self.fanout.add(show_id, sid)

    async def send_to(self, sid: str, event: str, data: Any) -> None:
        """One event to one viewer, on whichever transport it is."""
        if self.direct is None or not self.direct.send(sid, event, data):
            await self.sio.emit(event, data, to=sid, namespace=names.LIVE)

    async def disconnect_viewer(self, sid: str) -> None:
        """Take one viewer off /live, on whichever transport it is."""
        if self.direct is None or not self.direct.disconnect(sid):
            await self.sio.disconnect(sid, namespace=names.LIVE)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        self.leave(sid)

    @socket_event(LIVE_COMMENT)
    async def on_comment(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """A viewer's comment from the page; the ack is the same result as HTTP intake."""
        show_id, ip, buyer = self.viewers.get(sid, ("", "?", ""))
        if not self.buckets.take(sid) or not self.ip_buckets.take(ip):
            return {"status": "rejected", "reason": "rate_limited"}
        # a buyer is a person (invariant 9): the signed cookie's id when the page gave one,
        # else this socket alone (scripts), under the same limits; comment ids are scoped to
        # that buyer, so nobody can replay another's id
        author = buyer or sid
        comment = {"source": "site",
                   "id": scoped_comment_id(author, data["id"] or uuid.uuid4().hex),
                   "author": {"id": author, "name": data["name"][:80]},
                   "text": data["text"]}
        origin = self.buyers.origin_of(ip) if self.buyers is not None else None
        try:
            results = await self.service.ingest(show_id, [comment], "site", origin=origin)
        except DomainError as exc:
            return {"status": "rejected", "reason": exc.code}
        result = results[0]
        answer = result.to_json()
        answer["id"] = data["id"] or answer["id"]  # the page's own id back, not the scoped one
        if result.order and result.token:
            answer["order_url"] = f"/o/{result.order}?t={result.token}"
        return answer
