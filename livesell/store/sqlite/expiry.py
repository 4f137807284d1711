"""Holds past their time go back to stock (invariant 5)."""

from __future__ import annotations

import sqlite3

from ...domain import orders
from ...domain.events import Event
from ...domain.models import LineState, OrderStatus
from .books import _bump, audit, promote_waitlist, release_lines
from .writer import Unit, WriterCache


def expire_holds(conn: sqlite3.Connection, now: float,
                 cache: WriterCache | None = None) -> tuple[Event, ...]:
    """Release held lines past their time (invariant 5); close orders left with nothing."""
    unit = Unit(now=now, cache=cache or WriterCache())
    rows = conn.execute("SELECT * FROM lines WHERE state = 'held' AND expires_at <= ? "
                        "ORDER BY expires_at LIMIT 2000", (now,)).fetchall()
    if not rows:
        return ()
    freed = release_lines(conn, unit, rows, LineState.RELEASED)
    for order in sorted({r["order_code"] for r in rows}):
        audit(conn, unit, order, "system", "expired", "hold time over")
        left = conn.execute("SELECT state FROM lines WHERE order_code = ?", (order,)).fetchall()
        closed = orders.all_lines_closed([LineState(r[0]) for r in left])
        _bump(conn, unit, order, OrderStatus.EXPIRED if closed else None)
    for key in sorted(freed):
        promote_waitlist(conn, unit, *key)
    return unit.finish(conn)
