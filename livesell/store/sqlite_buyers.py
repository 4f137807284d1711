"""Buyers on SQLite: anti-hoarding counts and follow-up contact, inside the writer's
transaction (called from ``sqlite_orders``)."""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING

from ..domain.buyers import hoard_room
from ..domain.models import Comment, CommentStatus, Show

if TYPE_CHECKING:
    from .base import CaptureRequest
    from .sqlite_orders import Unit

MIGRATION = """
    ALTER TABLE orders ADD COLUMN origin TEXT NOT NULL DEFAULT '';
    CREATE INDEX orders_origin ON orders (show_id, origin) WHERE status = 'captured'
        AND origin != '';
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
    from .sqlite_orders import _bump, audit

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
