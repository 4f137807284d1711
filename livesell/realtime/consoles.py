"""The ``/staff`` namespace: consoles of signed-in staff, each order as it changes, stats.

Consoles must see every order, so their pushes are never skipped; what changed is flushed
as soon as it changes and then at most once every ``STAFF_FLUSH_SECONDS`` (latest version of
each order only), and live numbers once a second to every show with a console open. With
nothing changing the flush loop sleeps: no timer wakes a quiet server 40 times a second.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import socketio  # type: ignore[import-untyped,unused-ignore]

from ..access import RANK, Principal, hash_token, principal_for_session, session_credential
from ..credentials import token_credential
from ..domain.report import money
from ..log_limits import LogLimiter
from ..store.base import Store
from . import names
from .console_access import ConsoleAccess
from .fanout import ViewerFanout
from .shows import Shows, ShowState

log = logging.getLogger(__name__)

# Console pushes: often enough to feel instant, rarely enough that a buyer's burst of comments
# becomes one push of the latest order.
STAFF_FLUSH_SECONDS = 0.025
# The report behind the live money figures is recomputed at most once per this many times
# its own cost (a 50 ms report: at most every 1 s; 100 ms: every 2 s).
FIGURES_COST_SHARE = 20

TokenCheck = Callable[[str], Awaitable[Principal | None]]


class ConsoleNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    """Staff and host consoles: sign-in on connect, order and review pushes, live stats."""

    def __init__(self, sio: socketio.AsyncServer, fanout: ViewerFanout, shows: Shows, *,
                 store: Store, tokens: TokenCheck, viewer_count: Callable[[str], int],
                 clock: Callable[[], float], relayed: bool, base_url: str = "") -> None:
        super().__init__(names.STAFF)
        self.base_url = base_url  # public address: every pushed order carries its buyer_url
        # show -> (when computed, how long it took, money figures): see ``_money``
        self._figures: dict[str, tuple[float, float, dict[str, int]]] = {}
        self._orders_moved: set[str] = set()
        self.sio = sio
        self.staff_fanout = fanout
        self.shows = shows
        self.store = store
        self.tokens = tokens
        self.viewer_count = viewer_count
        self.clock = clock
        self.relayed = relayed
        self.staff_rooms: dict[str, int] = {}
        self.running = True
        self._pending = asyncio.Event()  # set when an order or a review awaits the flush
        self.log_limits = LogLimiter(log)
        self.access: ConsoleAccess | None = None  # closes consoles whose credential is gone

    def state(self, show_id: str) -> ShowState:
        return self.shows.state(show_id)

    def watched(self, show_id: str) -> bool:
        """Whether a console may be watching this show: one on this node, or, with several
        nodes, possibly one on another (their consoles get our orders through Redis)."""
        return self.relayed or self.staff_rooms.get(show_id, 0) > 0

    # -- pushes ----------------------------------------------------------------------------

    def changed(self) -> None:
        """An order or a review awaits the consoles: wake the flush loop."""
        self._pending.set()

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
            self._orders_moved.add(show_id)
            given = [order for order in changed.values() if order is not None]
            missing = [code for code, order in changed.items() if order is None]
            orders = given + (await self.store.get_orders(missing) if missing else [])
            for order in orders:
                await self.push_staff(show_id, names.ORDER,
                                      order.to_json(audit=False, base_url=self.base_url))

    async def push_staff(self, show_id: str, event: str, data: Any) -> None:
        """To every console of a show: through Redis to every node, or straight to ours."""
        if self.relayed:
            await self.sio.emit(event, data, room=names.show_room(show_id),
                                namespace=names.STAFF)
        else:
            await self.staff_fanout.broadcast(show_id, event, data)

    async def run_staff_flush(self) -> None:
        """Flush at the first change (no added wait), then let changes gather for
        ``STAFF_FLUSH_SECONDS`` before the next: a burst becomes one push per order."""
        while self.running:
            await self._pending.wait()
            self._pending.clear()
            try:
                await self.flush_staff()
            except asyncio.CancelledError:
                raise
            except Exception:
                self.log_limits.error("staff-flush", "staff flush failed")
                self._pending.set()  # what is still pending is tried again after the pause
            await asyncio.sleep(STAFF_FLUSH_SECONDS)

    async def stats(self, show_id: str) -> dict[str, Any]:
        """Live numbers for the consoles: orders a minute, viewers, per product, and this
        show's revenue, paid and unpaid as the report counts them (domain/report.py)."""
        now = self.clock()
        state = self.state(show_id)
        while state.orders_at and now - state.orders_at[0] >= 60:
            state.orders_at.popleft()
        levels = await self.store.stock(tuple(state.lineup) or None)
        figures = await self._money(show_id)
        show = await self.store.get_show(show_id)
        flash = show.flash if show is not None else None
        return {
            "show": show_id, "viewers": self.viewer_count(show_id),
            "orders_per_min": len(state.orders_at), **figures,
            "flash": flash.to_json() if flash is not None and flash.ends_at > now else None,
            "products": [level.to_json() for level in levels], "at": now,
        }

    async def _money(self, show_id: str) -> dict[str, int]:
        """The show's revenue, paid and unpaid, recomputed when its orders moved (always with
        several nodes: another node's orders do not pass here), at most every
        ``FIGURES_COST_SHARE`` times its own cost, so a storm of orders with a big report
        costs the stats loop a bounded share of the CPU."""
        started = time.monotonic()
        cached = self._figures.get(show_id)
        if cached is not None:
            at, cost, figures = cached
            moved = self.relayed or show_id in self._orders_moved
            if not moved or started - at < cost * FIGURES_COST_SHARE:
                return figures
        self._orders_moved.discard(show_id)
        figures = money((await self.store.report(show_id))["lines"])
        self._figures[show_id] = (started, time.monotonic() - started, figures)
        return figures

    async def run_stats(self) -> None:
        while self.running:
            await asyncio.sleep(1.0)
            for show_id in [s for s, n in self.staff_rooms.items() if n > 0]:
                try:
                    await self.sio.emit(names.STATS, await self.stats(show_id),
                                        room=names.show_room(show_id), namespace=names.STAFF)
                except Exception:
                    self.log_limits.error("stats", "stats push failed")

    # -- namespace events ------------------------------------------------------------------

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        request = environ.get("aiohttp.request")
        principal = None
        token = auth.get("token") if isinstance(auth, dict) else None
        cred: str | None = None
        session_sid: str | None = None
        if isinstance(token, str) and token:
            principal = await self.tokens(token)
            if principal is not None:
                cred = token_credential(hash_token(token), principal.via == "admin")
        elif request is not None:
            principal = await principal_for_session(request)
            if principal is not None:
                cred, session_sid = await session_credential(request)
        if principal is None or principal.role == "ingest" or RANK[principal.role] < 1:
            raise socketio.exceptions.ConnectionRefusedError("staff login required")
        show_id = auth.get("show") if isinstance(auth, dict) else None
        if not isinstance(show_id, str) or await self.store.get_show(show_id) is None:
            raise socketio.exceptions.ConnectionRefusedError("unknown show")
        await self.sio.save_session(sid, {"show": show_id, "actor": principal.actor},
                                    namespace=names.STAFF)
        await self.sio.enter_room(sid, names.show_room(show_id), namespace=names.STAFF)
        self.staff_rooms[show_id] = self.staff_rooms.get(show_id, 0) + 1
        if self.access is not None:
            self.access.opened(sid, cred, session_sid)
        # Orders that moved while nobody watched were not noted: count the money afresh.
        self._figures.pop(show_id, None)
        self.state(show_id)
        self.sio.start_background_task(self._staff_ready, sid, show_id)
        return True

    async def _staff_ready(self, sid: str, show_id: str) -> None:
        self.staff_fanout.add(show_id, sid)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        self.staff_fanout.discard(sid)
        if self.access is not None:
            self.access.closed(sid)
        session = await self.sio.get_session(sid, namespace=names.STAFF)
        show_id = session.get("show")
        if show_id in self.staff_rooms:
            self.staff_rooms[show_id] -= 1
