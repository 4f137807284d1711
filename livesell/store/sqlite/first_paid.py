"""First paid, first served on SQLite: requested lines, and the units taken at payment.

Each function runs inside the writer's transaction; the decisions come from
``livesell.domain.first_paid`` (twin: ``store/redis/scripts/first_paid.lua``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace

from ...domain import first_paid, inventory
from ...domain.events import OrderPlaced, ReviewAdded
from ...domain.models import ReviewItem, Show
from ..base import CaptureItem
from .books import _available, audit, give_back_flash, move_stock, release_lines
from .rows import save_show
from .writer import Unit, nocase


def request(conn: sqlite3.Connection, unit: Unit, show: Show, order: str, code: str,
            label: str, price: int, qty: int, comment_id: int | None,
            item: CaptureItem) -> Show:
    """Ask for ``qty`` units in the buyer's order without holding any (nothing moves in the
    books). A running flash deal prices them as it would a hold, and its quota counts them;
    they give the quota back if they are released or sell out. Returns the show as changed."""
    parts = inventory.price_parts(code, label, qty, price, show.flash, unit.now)
    for units, unit_price in parts:
        conn.execute(
            "INSERT INTO lines (order_code, code, variant, qty, unit_price, state, created_at, "
            "comment_id, confidence, said) VALUES (?, ?, ?, ?, ?, 'requested', ?, ?, ?, ?)",
            (order, code, label, units, unit_price, unit.now, comment_id, item.confidence,
             item.said))
    taken = inventory.flash_taken(show.flash, code, label, parts, unit.now)
    if show.flash and taken:
        show = replace(show, flash=replace(show.flash, taken=show.flash.taken + taken))
        save_show(conn, show, unit.cache)
    return show


def take(conn: sqlite3.Connection, unit: Unit, code: str, actor: str) -> None:
    """The order ``code`` is being paid: take its requested units, first paid first served.

    Units still free are sold to it; the rest of each line is ``sold_out``, the order's money
    is flagged ``refund`` and staff get a review alert (the buyer sees it on the order page).
    An order paid straight from ``captured`` (with holds from before the mode was on) is also
    confirmed on the way: its held units are sold, its waitlisted ones dropped.
    """
    for before, after in first_paid.ON_PAYMENT.items():
        release_lines(conn, unit, conn.execute(
            "SELECT * FROM lines WHERE order_code = ? AND state = ?",
            (code, before.value)).fetchall(), after)
    rows = conn.execute("SELECT * FROM lines WHERE order_code = ? AND state = 'requested' "
                        "ORDER BY id", (code,)).fetchall()
    if not rows:
        return
    head = conn.execute("SELECT show_id, buyer, buyer_name FROM orders WHERE code = ?",
                        (code,)).fetchone()
    keys = {r["id"]: nocase(r["code"]) + "\0" + nocase(r["variant"]) for r in rows}
    available = {keys[r["id"]]: _available(conn, unit.cache, r["code"], r["variant"])
                 for r in rows}
    plan = first_paid.paid_take(available, [(r["id"], keys[r["id"]], r["qty"]) for r in rows])
    lost: list[tuple[str, str, int]] = []
    for r, (line_id, won, gone) in zip(rows, plan, strict=True):
        if won:
            conn.execute("UPDATE lines SET state = 'confirmed', qty = ? WHERE id = ?",
                         (won, line_id))
            move_stock(conn, unit, r["code"], r["variant"],
                       inventory.StockDelta(available=-won, sold=won))
            unit.events.append(OrderPlaced(head["show_id"], head["buyer_name"], r["code"],
                                           r["variant"], won, unit.now))
        if gone:
            if won:
                conn.execute(
                    "INSERT INTO lines (order_code, code, variant, qty, unit_price, state, "
                    "created_at, comment_id, confidence, said) SELECT order_code, code, variant,"
                    " ?, unit_price, 'sold_out', created_at, comment_id, confidence, said "
                    "FROM lines WHERE id = ?", (gone, line_id))
            else:
                conn.execute("UPDATE lines SET state = 'sold_out' WHERE id = ?", (line_id,))
            give_back_flash(conn, unit, r, gone)
            lost.append((r["code"], r["variant"], gone))
    if not lost:
        audit(conn, unit, code, actor, "taken", "first paid: every unit taken")
        return
    why = first_paid.sold_out_reason(code, lost)
    conn.execute("UPDATE orders SET payment_flag = ? WHERE code = ?", (first_paid.REFUND, code))
    audit(conn, unit, code, actor, "sold_out", why)
    first = next((r for r in rows if r["comment_id"] is not None), rows[0])
    comment_id = int(first["comment_id"] or 0)
    text = str(first["said"] or "")
    cur = conn.execute(
        "INSERT INTO review (show_id, comment_id, buyer, author_name, text, reason, status, "
        "created_at, order_code) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?)",
        (head["show_id"], comment_id, head["buyer"], head["buyer_name"], text, why, unit.now,
         code))
    unit.events.append(ReviewAdded(ReviewItem(
        id=int(cur.lastrowid or 0), show_id=head["show_id"], comment_id=comment_id,
        buyer=head["buyer"], author_name=head["buyer_name"], text=text, reason=why,
        status="open", created_at=unit.now, order=code)))
