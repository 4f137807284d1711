"""Rows to domain objects and back: shows, orders, lines, review items, stock levels."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from ...domain.errors import NotFound
from ...domain.models import (
    AuditEntry,
    Contact,
    FlashDeal,
    LineState,
    Order,
    OrderLine,
    OrderStatus,
    ReviewItem,
    Show,
    ShowStatus,
    StockLevel,
)
from .writer import Unit, WriterCache, nocase


def _stock_row(row: sqlite3.Row) -> StockLevel:
    return StockLevel(row["code"], row["label"], row["total"], row["available"], row["held"],
                      row["sold"], row["price"])


def load_show(conn: sqlite3.Connection, show_id: str) -> Show | None:
    row = conn.execute("SELECT doc FROM shows WHERE id = ?", (show_id,)).fetchone()
    return show_from_doc(json.loads(row[0])) if row else None


def show_from_doc(doc: dict[str, object]) -> Show:
    flash = doc.get("flash")
    fields = dict(doc)
    lineup = doc["lineup"]
    fields["lineup"] = tuple(lineup) if isinstance(lineup, list) else ()
    fields["status"] = ShowStatus(str(doc["status"]))
    fields["flash"] = FlashDeal(**flash) if isinstance(flash, dict) else None
    return Show(**fields)  # type: ignore[arg-type]


def save_show(conn: sqlite3.Connection, show: Show, cache: WriterCache | None = None) -> None:
    conn.execute("UPDATE shows SET doc = ? WHERE id = ?", (json.dumps(show.to_json()), show.id))
    if cache is not None:
        cache.shows[show.id] = show


def _line(row: sqlite3.Row) -> OrderLine:
    return OrderLine(
        id=row["id"], code=row["code"], variant=row["variant"], qty=row["qty"],
        unit_price=row["unit_price"], state=LineState(row["state"]),
        created_at=row["created_at"], expires_at=row["expires_at"], wait_seq=row["wait_seq"],
        comment_id=row["comment_id"], confidence=row["confidence"], said=row["said"],
    )


def audit_trail(conn: sqlite3.Connection, code: str) -> list[AuditEntry]:
    """An order's audit entries, oldest first; a row with ``opened`` set is two entries, the
    'opened' one first (``books.audit``)."""
    trail = []
    for r in conn.execute("SELECT at, actor, action, detail, comment_id, opened FROM audit "
                          "WHERE order_code = ? ORDER BY id", (code,)):
        if r[5] is not None:
            trail.append(AuditEntry(r[0], r[1], "opened", r[5], r[4]))
        trail.append(AuditEntry(r[0], r[1], r[2], r[3], r[4]))
    return trail


def order_from_row(conn: sqlite3.Connection, row: sqlite3.Row, audit: bool = True,
                   lines: list[OrderLine] | None = None) -> Order:
    """The order of a row; ``lines``: its lines when the caller has loaded them already."""
    code = row["code"]
    if lines is None:
        lines = [_line(r) for r in conn.execute(
            "SELECT * FROM lines WHERE order_code = ? ORDER BY id", (code,))]
    trail = audit_trail(conn, code) if audit else []
    return Order(
        code=code, show_id=row["show_id"], buyer=row["buyer"], buyer_name=row["buyer_name"],
        status=OrderStatus(row["status"]), lines=lines,
        contact=Contact(**json.loads(row["contact"])), version=row["version"],
        token=row["token"], created_at=row["created_at"], updated_at=row["updated_at"],
        audit=trail, received=row["received"], payment_flag=row["payment_flag"],
    )


def load_orders(conn: sqlite3.Connection, codes: Sequence[str]) -> list[Order]:
    """Several orders, in the order asked (missing ones left out), without their audit
    trails: two queries per 500 orders instead of two per order."""
    rows: dict[str, sqlite3.Row] = {}
    lines: dict[str, list[OrderLine]] = {}
    wanted = list(dict.fromkeys(codes))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        marks = ", ".join("?" * len(chunk))
        found = conn.execute(f"SELECT * FROM orders WHERE code IN ({marks})", chunk).fetchall()
        for row in found:
            rows[nocase(row["code"])] = row
            lines[row["code"]] = []
        stored = [row["code"] for row in found]
        if stored:
            for r in conn.execute(f"SELECT * FROM lines WHERE order_code IN "
                                  f"({', '.join('?' * len(stored))}) ORDER BY id", stored):
                lines[r["order_code"]].append(_line(r))
    out = []
    for code in codes:
        row = rows.get(nocase(code))
        if row is not None:
            out.append(order_from_row(conn, row, audit=False, lines=list(lines[row["code"]])))
    return out


def load_order(conn: sqlite3.Connection, code: str, audit: bool = True) -> Order | None:
    row = conn.execute("SELECT * FROM orders WHERE code = ?", (code,)).fetchone()
    return order_from_row(conn, row, audit) if row else None


def _show_for(conn: sqlite3.Connection, unit: Unit, show_id: str) -> Show:
    show = unit.shows.get(show_id) or load_show(conn, show_id)
    if show is None:
        raise NotFound(f"show {show_id} not found")
    unit.shows[show_id] = show
    return show


def _contact_doc(contact: Contact) -> dict[str, str]:
    return {"name": contact.name, "phone": contact.phone, "address": contact.address}


def review_row(row: sqlite3.Row) -> ReviewItem:
    return ReviewItem(
        id=row["id"], show_id=row["show_id"], comment_id=row["comment_id"], buyer=row["buyer"],
        author_name=row["author_name"], text=row["text"], reason=row["reason"],
        status=row["status"], created_at=row["created_at"], order=row["order_code"],
    )
