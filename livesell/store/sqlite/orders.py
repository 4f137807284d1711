"""The order book on SQLite: capture, staff actions, expiry and order reads."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from ...domain.events import Event
from ...domain.models import Contact, Order
from ..base import Captured, CaptureItem, CaptureRequest, Changed
from ..partial import settle
from . import expiry, staff
from .capture import capture_one
from .conn import SqliteConnection
from .health import as_unavailable
from .rows import load_order, order_from_row


class SqliteOrders(SqliteConnection):
    """Capture, order reads, staff actions and expiry, each one writer operation."""

    async def capture(self, requests: Sequence[CaptureRequest], now: float) -> list[Captured]:
        # One write for the batch (one fsync), each comment in its own savepoint so a refused
        # one cannot undo its neighbours.
        cache = self.cache

        def one_by_one(conn: sqlite3.Connection) -> list[Captured | Exception]:
            out: list[Captured | Exception] = []
            for req in requests:
                conn.execute("SAVEPOINT comment")
                try:
                    out.append(capture_one(conn, req, now, cache))
                except Exception as exc:  # this comment only; the rest of the batch goes on
                    cache.clear()
                    conn.execute("ROLLBACK TO comment")
                    out.append(exc)
                conn.execute("RELEASE comment")
            return out

        def all_of_them(conn: sqlite3.Connection) -> list[Captured | Exception]:
            # The common case needs no savepoint per comment; if one comment fails, the whole
            # batch is undone (the engine's savepoint) and redone one savepoint at a time.
            conn.execute("SAVEPOINT batch")
            try:
                done: list[Captured | Exception] = [
                    capture_one(conn, req, now, cache) for req in requests]
            except Exception:
                cache.clear()
                conn.execute("ROLLBACK TO batch")
                conn.execute("RELEASE batch")
                return one_by_one(conn)
            conn.execute("RELEASE batch")
            return done

        done = await self.engine.write(all_of_them)
        # Others of the batch may be committed already: one that failed alone is answered
        # "rejected"; only a batch where nothing was stored is refused (503 for a full disk).
        return settle(requests, done, lambda exc: as_unavailable(self.engine, exc))

    async def get_orders(self, codes: Sequence[str]) -> list[Order]:
        """Several orders in one read, without their audit trails (for console pushes)."""
        def run(conn: sqlite3.Connection) -> list[Order]:
            found = (load_order(conn, code, audit=False) for code in codes)
            return [order for order in found if order is not None]

        return await self.engine.read(run)

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
