"""Staff actions on one order (confirm, reject, cancel, paid, shipped) and staff edits."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from ...domain import inventory, orders
from ...domain.capture import Note
from ...domain.errors import Invalid, NotFound, SoldOut, StaleVersion
from ...domain.flash import RETURNING
from ...domain.models import Contact, LineState, Order
from ..base import CaptureItem, Changed
from . import first_paid as first_paid_db
from .books import (
    ACTIVE,
    ACTIVE_SQL,
    _bump,
    audit,
    give_back_flash,
    move_stock,
    promote_waitlist,
    release_lines,
)
from .capture import resolve_variant
from .rows import _contact_doc, _show_for, load_order
from .writer import Unit, WriterCache


def _checked(conn: sqlite3.Connection, code: str, version: int) -> Order:
    order = load_order(conn, code)
    if order is None:
        raise NotFound(f"order {code} not found")
    if order.version != version:
        raise StaleVersion(f"order {code} changed (version {order.version})", order=order)
    return order


def order_action(conn: sqlite3.Connection, code: str, action: str, version: int, actor: str,
                 now: float, cache: WriterCache | None = None) -> Changed:
    order = _checked(conn, code, version)
    target = orders.next_status(order.status, action)
    rows = conn.execute("SELECT * FROM lines WHERE order_code = ?", (order.code,)).fetchall()
    if action in orders.NEEDS_HELD and not any(LineState(r["state"]) in orders.PROMISED
                                               for r in rows):
        raise Invalid("nothing is held in this order yet", status=str(order.status))
    unit = Unit(now=now, cache=cache or WriterCache())
    freed: set[tuple[str, str]] = set()
    for r in rows:
        after = orders.line_after(action, LineState(r["state"]))
        freed |= release_lines(conn, unit, [r], after)
    audit(conn, unit, order.code, actor, action)
    if action == "paid":  # first paid, first served: the payment takes the units
        first_paid_db.take(conn, unit, order.code, actor)
    _bump(conn, unit, order.code, target)
    return _close(conn, unit, order.code, freed)


def _close(conn: sqlite3.Connection, unit: Unit, code: str,
           freed: set[tuple[str, str]]) -> Changed:
    """Hand freed stock to the waitlists, then answer with the fresh order and the events."""
    for key in sorted(freed):
        promote_waitlist(conn, unit, *key)
    events = unit.finish(conn)
    fresh = load_order(conn, code)
    assert fresh is not None
    return Changed(fresh, events)


def patch_order(conn: sqlite3.Connection, code: str, version: int,
                lines: Sequence[CaptureItem] | None, contact: Contact | None, actor: str,
                now: float, cache: WriterCache | None = None) -> Changed:
    order = _checked(conn, code, version)
    state = orders.edit_state(order.status)
    unit = Unit(now=now, cache=cache or WriterCache())
    show = _show_for(conn, unit, order.show_id)
    if show.first_paid:  # first paid, first served: added units reserve nothing until paid
        state = LineState.REQUESTED
    notes: list[str] = []
    freed: set[tuple[str, str]] = set()
    for item in lines or ():
        resolved = resolve_variant(conn, show, item, now, unit.cache)
        if isinstance(resolved, Note):
            raise Invalid(resolved.text)
        pcode, label, price = resolved
        rows = conn.execute(
            "SELECT * FROM lines WHERE order_code = ? AND code = ? AND variant = ? AND state IN "
            f"({ACTIVE_SQL})", (order.code, pcode, label, *ACTIVE)).fetchall()
        current = sum(r["qty"] for r in rows)
        if item.qty > current:
            extra = item.qty - current
            available = conn.execute("SELECT available FROM variants WHERE code = ? AND "
                                     "label = ?", (pcode, label)).fetchone()[0]
            if available < extra and state != LineState.REQUESTED:
                raise SoldOut(f"only {available} of {pcode} {label} left", available=available)
            conn.execute(
                "INSERT INTO lines (order_code, code, variant, qty, unit_price, state, "
                "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (order.code, pcode, label, extra, price, state.value, now,
                 now + show.hold_minutes * 60 if state == LineState.HELD else None))
            move_stock(conn, unit, pcode, label,
                       inventory.stock_delta(LineState.RELEASED, state, extra))
        elif item.qty < current:
            by_id = {r["id"]: r for r in rows}
            plan = orders.give_back([(r["id"], LineState(r["state"]), r["qty"]) for r in rows],
                                    current - item.qty)
            for line_id, units in plan:
                r = by_id[line_id]
                if units == r["qty"]:
                    freed |= release_lines(conn, unit, [r], LineState.RELEASED)
                else:
                    conn.execute("UPDATE lines SET qty = qty - ? WHERE id = ?", (units, line_id))
                    if LineState(r["state"]) in RETURNING:
                        give_back_flash(conn, unit, r, units)
                    delta = inventory.stock_delta(LineState(r["state"]), LineState.RELEASED,
                                                  units)
                    if delta != inventory.StockDelta():
                        move_stock(conn, unit, pcode, label, delta)
                        freed.add((pcode, label))
        notes.append(f"{pcode} {label} {current}->{item.qty}")
    if contact is not None:
        unit.cache.buyers.pop(order.show_id, None)  # the cached contact is stale now
        conn.execute("UPDATE orders SET contact = ?, buyer_name = ? WHERE code = ?",
                     (json.dumps(_contact_doc(contact)), contact.name or order.buyer_name,
                      order.code))
        notes.append("contact")
    audit(conn, unit, order.code, actor, "edit", ", ".join(notes))
    _bump(conn, unit, order.code)
    return _close(conn, unit, order.code, freed)
