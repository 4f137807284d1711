"""The review queue on SQLite: comments the parser could not decide, resolved by staff."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace

from ...domain.capture import reason_of
from ...domain.errors import IllegalTransition, Invalid, NotFound
from ...domain.models import Comment, ReviewItem
from ...domain.reasons import PAID_SOLD_OUT
from ..base import CaptureItem, Changed
from .capture import add_items
from .conn import SqliteConnection
from .rows import _show_for, load_order, review_row
from .writer import Unit, WriterCache


def resolve_review(conn: sqlite3.Connection, review_id: int, items: Sequence[CaptureItem],
                   actor: str, now: float, cache: WriterCache | None = None) -> Changed:
    row = conn.execute("SELECT * FROM review WHERE id = ?", (review_id,)).fetchone()
    if row is None:
        raise NotFound(f"review item {review_id} not found")
    if row["status"] != "open":
        raise IllegalTransition(f"review item {review_id} is already {row['status']}")
    if row["reason"].startswith(PAID_SOLD_OUT + ":"):  # first paid, first served
        raise IllegalTransition("refund the buyer, then dismiss this alert")
    crow = conn.execute("SELECT * FROM comments WHERE id = ?", (row["comment_id"],)).fetchone()
    comment = Comment(crow["show_id"], crow["source"], crow["source_id"], crow["author_id"],
                      crow["author_name"], crow["text"], crow["received_at"])
    unit = Unit(now=now, cache=cache or WriterCache())
    show = _show_for(conn, unit, row["show_id"])
    order, held, waited, notes = add_items(conn, unit, show, comment, crow["id"], items, None,
                                           actor, capped=False)
    if order is None or not (held or waited):
        raise Invalid(reason_of(notes) or "nothing to order")
    conn.execute("UPDATE review SET status = 'resolved', order_code = ? WHERE id = ?",
                 (order, review_id))
    conn.execute("UPDATE comments SET status = ?, order_code = ? WHERE id = ?",
                 ("ordered" if held else "waitlisted", order, crow["id"]))
    events = unit.finish(conn)
    fresh = load_order(conn, order)
    assert fresh is not None
    return Changed(fresh, events)


class SqliteReview(SqliteConnection):
    """The review queue."""

    async def list_review(self, show_id: str, status: str = "open") -> list[ReviewItem]:
        return await self.engine.read(lambda c: [review_row(r) for r in c.execute(
            "SELECT * FROM review WHERE show_id = ? AND status = ? ORDER BY id",
            (show_id, status))])

    async def resolve_review(self, review_id: int, items: Sequence[CaptureItem], actor: str,
                             now: float) -> Changed:
        return await self.engine.write(
            lambda c: resolve_review(c, review_id, items, actor, now, self.cache))

    async def dismiss_review(self, review_id: int, actor: str, now: float) -> ReviewItem:
        def run(conn: sqlite3.Connection) -> ReviewItem:
            row = conn.execute("SELECT * FROM review WHERE id = ?", (review_id,)).fetchone()
            if row is None:
                raise NotFound(f"review item {review_id} not found")
            if row["status"] != "open":
                raise IllegalTransition(
                    f"review item {review_id} is already {row['status']}")
            conn.execute("UPDATE review SET status = 'dismissed' WHERE id = ?", (review_id,))
            return replace(review_row(row), status="dismissed")

        return await self.engine.write(run)
