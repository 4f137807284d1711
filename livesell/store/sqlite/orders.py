"""The order book on SQLite: capture, staff actions, expiry and order reads."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from ...domain.events import Event
from ...domain.models import Contact, Order
from ..base import Captured, CaptureItem, CaptureRequest, Changed
from ..partial import settle
from . import expiry, staff
from .conn import SqliteConnection
from .health import as_unavailable
from .rows import load_order, load_orders, order_from_row


class SqliteOrders(SqliteConnection):
    """Capture, order reads, staff actions and expiry, each one writer operation."""

    async def capture(self, requests: Sequence[CaptureRequest], now: float) -> list[Captured]:
        # One write for the batch and for those of other calls arriving meanwhile (one
        # fsync), its rows queued and written several per statement; a refused comment
        # cannot undo its neighbours (batch.capture_batch, batch.CaptureInbox).
        if not requests:
            return []
        done = await self.captures.capture(requests, now)
        # Others of the batch may be committed already: one that failed alone is answered
        # "rejected"; only a batch where nothing was stored is refused (503 for a full disk).
        return settle(requests, done, lambda exc: as_unavailable(self.engine, exc))

    async def get_orders(self, codes: Sequence[str]) -> list[Order]:
        """Several orders in one read, without their audit trails (for console pushes)."""
        return await self.engine.read(lambda conn: load_orders(conn, codes))

    async def get_order(self, code: str) -> Order | None:
        return await self.engine.read(lambda c: load_order(c, code))

    async def list_orders(self, show_id: str, status: str | None = None) -> list[Order]:
        def run(conn: sqlite3.Connection) -> list[Order]:
            if status:
                rows = conn.execute("SELECT * FROM orders WHERE show_id = ? AND status = ? "
                                    "ORDER BY created_at DESC", (show_id, status)).fetchall()
            else:
                rows = conn.execute("SELECT * FROM orders WHERE show_id = ? "
                                    "ORDER BY created_at DESC", (show_id,)).fetchall()
            return [order_from_row(conn, r, audit=False) for r in rows]

        return await self.engine.read(run)

    async def order_action(self, code: str, action: str, version: int, actor: str,
                           now: float) -> Changed:
        return await self.engine.write(
            lambda c: staff.order_action(c, code, action, version, actor, now, self.cache))

    async def patch_order(self, code: str, version: int, lines: Sequence[CaptureItem] | None,
                          contact: Contact | None, actor: str, now: float) -> Changed:
        return await self.engine.write(
            lambda c: staff.patch_order(c, code, version, lines, contact, actor, now,
                                      self.cache))

    async def expire_holds(self, now: float) -> tuple[Event, ...]:
        return await self.engine.write(lambda c: expiry.expire_holds(c, now, self.cache))
