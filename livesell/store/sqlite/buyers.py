"""Buyers on SQLite: anti-hoarding counts and follow-ups, inside the writer's transaction
(called from ``capture``)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ...domain import rules
from ...domain.buyers import hoard_room
from ...domain.models import Comment, CommentStatus, LineState, OrderStatus, Show
from ..base import CaptureItem
from .books import (
    _available,
    _bump,
    _open_order,
    audit,
    move_stock,
    promote_waitlist,
    release_lines,
)

if TYPE_CHECKING:
    from ..base import CaptureRequest
    from .writer import Unit

MIGRATION = """
    ALTER TABLE orders ADD COLUMN origin TEXT NOT NULL DEFAULT '';
    CREATE INDEX orders_origin ON orders (show_id, origin) WHERE status = 'captured'
        AND origin != '';
    CREATE INDEX comments_order ON comments (order_code COLLATE NOCASE)
        WHERE order_code IS NOT NULL;
"""


CONTACT_NOTE = "contact note: address unclear"


def limits_apply(limits: CaptureRequest | None) -> bool:
    return limits is not None and (limits.anonymous_cap > 0 or limits.origin_cap > 0)


def has_phone(conn: sqlite3.Connection, show_id: str, buyer: str, phone: str | None) -> bool:
    """A phone in this comment or on any of the buyer's orders in the show."""
    if phone:
        return True
    row = conn.execute("SELECT 1 FROM orders WHERE show_id = ? AND buyer = ? AND "
                       "json_extract(contact, '$.phone') != '' LIMIT 1",
                       (show_id, buyer)).fetchone()
    return row is not None


def origin_units(conn: sqlite3.Connection, show_id: str, origin: str) -> int:
    """Units held or waitlisted in the show's open orders made from this origin."""
    row = conn.execute(
        "SELECT COALESCE(SUM(l.qty), 0) FROM orders o CROSS JOIN lines l "
        "ON l.order_code = o.code WHERE o.show_id = ? AND o.origin = ? AND "
        "o.status = 'captured' AND l.state IN ('held', 'waitlisted')",
        (show_id, origin)).fetchone()
    return int(row[0])


def room(conn: sqlite3.Connection, show: Show, buyer: str, limits: CaptureRequest,
         phone: str | None, show_units: int, qty: int) -> tuple[int, tuple[str, ...]]:
    """``domain.buyers.hoard_room`` with the counts loaded from the database."""
    phoned = has_phone(conn, show.id, buyer, phone) if limits.anonymous_cap > 0 else True
    at_origin = (origin_units(conn, show.id, limits.origin)
                 if limits.origin_cap > 0 and limits.origin else 0)
    return hoard_room(qty, show_units, limits.anonymous_cap, phoned, at_origin,
                      limits.origin_cap if limits.origin else 0)


def mark_origin(conn: sqlite3.Connection, order: str, limits: CaptureRequest | None) -> None:
    """Record where a new order came from (its units count against that origin)."""
    if limits is not None and limits.origin:
        conn.execute("UPDATE orders SET origin = ? WHERE code = ?", (limits.origin, order))


def follow_up_order(conn: sqlite3.Connection, show_id: str,
                    buyer: str) -> sqlite3.Row | None:
    """The order a buyer's follow-up is about: the open one, else the newest still going."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT code, contact, status FROM orders WHERE show_id = ? AND buyer = ? AND status "
        "IN ('captured', 'confirmed', 'paid') ORDER BY status = 'captured' DESC, "
        "created_at DESC, code DESC LIMIT 1", (show_id, buyer)).fetchone()
    return row


def source_detail(what: str, text: str) -> str:
    """An audit detail that carries the comment it came from (staff see both)."""
    quoted = text if len(text) <= 160 else text[:159] + "…"
    return f"{what} ← “{quoted}”"


def contact_outcome(order: str | None, note: str) -> tuple[CommentStatus, str]:
    """How a contact follow-up is answered: unclear details go to staff, never away."""
    if note:
        return CommentStatus.REVIEW, CONTACT_NOTE
    if order is None:
        return CommentStatus.IGNORED, "no order to attach to"
    return CommentStatus.CONTACT, ""


def set_contact(conn: sqlite3.Connection, unit: Unit, show: Show, comment: Comment,
                comment_id: int, phone: str | None, address: str, note: str,
                actor: str) -> str | None:
    """Put a follow-up's phone and/or address on the buyer's order (an unclear one as a note
    in its audit trail); the order, or None."""
    row = follow_up_order(conn, show.id, comment.buyer)
    if row is None:
        return None
    contact = json.loads(row["contact"])
    what = []
    if phone and contact.get("phone") != phone:
        contact["phone"] = phone
        what.append("phone")
    if address and contact.get("address") != address:
        contact["address"] = address
        what.append("address")
    code = str(row["code"])
    if note:
        audit(conn, unit, code, actor, "note", source_detail(CONTACT_NOTE, comment.text),
              comment_id)
    if not what:
        if note:
            _bump(conn, unit, code)
        return code
    conn.execute("UPDATE orders SET contact = ? WHERE code = ?", (json.dumps(contact), code))
    buyers = unit.cache.buyers.get(show.id)
    if buyers is not None:
        buyers.pop(comment.buyer, None)  # its cached contact is stale now
    audit(conn, unit, code, actor, "contact", source_detail(", ".join(what), comment.text),
          comment_id)
    _bump(conn, unit, code)
    return code


# -- changes after ordering: part of a line, another size, or after staff confirmed -------

def after_confirm(conn: sqlite3.Connection, show_id: str, buyer: str,
                  what: str) -> tuple[str, str] | None:
    """A cancel or change with no open order, but one staff already confirmed: that order
    and the alert for the review queue (staff decide; nothing changes by itself)."""
    row = follow_up_order(conn, show_id, buyer)
    if row is None or row["status"] == "captured":
        return None
    return str(row["code"]), f"alert: {what} after confirm ({row['code']})"


def _active_lines(conn: sqlite3.Connection, order: str, code: str) -> list[sqlite3.Row]:
    """The order's held, requested and waitlisted lines of a product: waitlisted first, newest
    first."""
    return conn.execute(
        "SELECT * FROM lines WHERE order_code = ? AND code = ? AND state IN ('held', "
        "'waitlisted', 'requested') "
        "ORDER BY CASE state WHEN 'waitlisted' THEN 0 ELSE 1 END, id DESC",
        (order, code)).fetchall()


def reduce_items(conn: sqlite3.Connection, unit: Unit, show: Show, comment: Comment,
                 comment_id: int, items: Sequence[CaptureItem],
                 actor: str) -> tuple[str | None, str]:
    """Cancel some units (``huỷ 1 A2``): waiting ones first, then the newest held ones."""

    open_row = _open_order(conn, show.id, comment.buyer)
    if open_row is None:
        return None, "nothing to cancel"
    order = str(open_row["code"])
    done: list[str] = []
    freed: set[tuple[str, str]] = set()
    for item in items:
        rows = [r for r in _active_lines(conn, order, item.code)
                if item.variant is None or r["variant"].casefold() == item.variant.casefold()]
        drop = item.qty
        for r in rows:
            if drop <= 0:
                break
            if r["qty"] <= drop:
                freed |= release_lines(conn, unit, [r], LineState.RELEASED)
                drop -= r["qty"]
            else:
                conn.execute("UPDATE lines SET qty = qty - ? WHERE id = ?", (drop, r["id"]))
                delta = rules.stock_delta(LineState(r["state"]), LineState.RELEASED, drop)
                if delta != rules.StockDelta():
                    move_stock(conn, unit, r["code"], r["variant"], delta)
                    freed.add((r["code"], r["variant"]))
                drop = 0
        if drop < item.qty:
            label = f" {item.variant}" if item.variant else ""
            done.append(f"{item.code.upper()}{label} x{item.qty - drop}")
    if not done:
        return None, "nothing to cancel"
    audit(conn, unit, order, actor, "cancel", source_detail(", ".join(done), comment.text),
          comment_id)
    left = conn.execute("SELECT state FROM lines WHERE order_code = ?", (order,)).fetchall()
    closed = rules.all_lines_closed([LineState(r[0]) for r in left])
    _bump(conn, unit, order, OrderStatus.CANCELLED if closed else None)
    for key in sorted(freed):
        promote_waitlist(conn, unit, *key)
    return order, ""


def change_size(conn: sqlite3.Connection, unit: Unit, show: Show, comment: Comment,
                comment_id: int, items: Sequence[CaptureItem], actor: str,
                capture: Any) -> tuple[str | None, str]:
    """``đổi sang 1kg``: the buyer's units of a product move to another size when that size
    has stock for all of them; otherwise nothing moves and the reason says why."""

    source, target = items[0], items[1]
    open_row = _open_order(conn, show.id, comment.buyer)
    if open_row is None:
        return None, "nothing to change"
    order = str(open_row["code"])
    resolved = capture.resolve_variant(conn, show, target, unit.now, unit.cache)
    if isinstance(resolved, str):
        return order, resolved
    code, label, _ = resolved
    rows = [r for r in _active_lines(conn, order, code)
            if r["variant"].casefold() != label.casefold()
            and (source.variant is None or r["variant"].casefold() == source.variant.casefold())]
    if not rows or len({r["variant"].casefold() for r in rows}) > 1:
        return order, f"which {code} to change?" if rows else f"no {code} to change"
    qty = sum(r["qty"] for r in rows)
    available = _available(conn, unit.cache, code, label)
    if available < qty:
        return order, f"only {available} of {code} {label} left to change to"
    freed = release_lines(conn, unit, rows, LineState.RELEASED)
    audit(conn, unit, order, actor, "change",
          source_detail(f"{code} {rows[0]['variant']} x{qty} -> {label}", comment.text),
          comment_id)
    capture.add_items(conn, unit, show, comment, comment_id, [CaptureItem(code, label, qty)],
                      None, actor, capped=False)
    for key in sorted(freed):
        promote_waitlist(conn, unit, *key)
    return order, ""


def apply_change(conn: sqlite3.Connection, unit: Unit, show: Show, comment: Comment,
                 comment_id: int, req: CaptureRequest, actor: str,
                 capture: Any) -> tuple[str | None, CommentStatus, str]:
    """A ``reduce`` or ``change`` follow-up: (order, status, reason). What cannot be done
    goes to the review queue; after staff confirmed, with an alert. ``capture`` is the
    capture module (its add_items and resolve_variant), handed in to keep imports one-way."""
    if req.kind == "reduce":
        order, problem = reduce_items(conn, unit, show, comment, comment_id, req.items, actor)
        done = CommentStatus.CANCELLED
    else:
        order, problem = change_size(conn, unit, show, comment, comment_id, req.items, actor,
                                     capture)
        done = CommentStatus.ORDERED
    if not problem:
        return order, done, ""
    if order is None:
        late = after_confirm(conn, show.id, comment.buyer,
                             "cancel" if req.kind == "reduce" else "change")
        if late is not None:
            return late[0], CommentStatus.REVIEW, late[1]
        if req.kind == "reduce":
            return None, CommentStatus.IGNORED, problem
    return order, CommentStatus.REVIEW, problem
