"""Order books on SQLite: each function runs inside the writer's transaction.

The decisions (how much to hold, who gets released stock, which transitions are legal) come
from ``livesell.domain.rules``; this module only loads and saves what they need.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import string
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from ..domain import rules
from ..domain.buyers import only_limits
from ..domain.errors import IllegalTransition, Invalid, NotFound, SoldOut, StaleVersion
from ..domain.events import (
    CommentReceived,
    Event,
    OrderChanged,
    OrderPlaced,
    ReviewAdded,
    StockChanged,
)
from ..domain.models import (
    AuditEntry,
    CaptureResult,
    Comment,
    CommentStatus,
    Contact,
    FlashDeal,
    LineState,
    Order,
    OrderLine,
    OrderStatus,
    ReviewItem,
    Show,
    ShowStatus,
)
from . import sqlite_buyers as buyers_db
from .base import Captured, CaptureItem, CaptureRequest, Changed

ACTIVE = (LineState.HELD.value, LineState.WAITLISTED.value, LineState.CONFIRMED.value)


# SQLite's NOCASE collation folds ASCII letters only; cache keys fold the same way.
_NOCASE = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
# Set LIVESELL_CHECK_WRITER_CACHE=1 to compare every cached answer with SQL (tests, debugging).
CHECK_CACHE = os.environ.get("LIVESELL_CHECK_WRITER_CACHE") == "1"


def nocase(text: str) -> str:
    return text.translate(_NOCASE)


def _stale(*what: object) -> None:
    """A cached answer differed from SQL (check mode only): stop hard, retries would hide it."""
    sys.stderr.write(f"livesell: stale writer cache: {what!r}\n")
    sys.stderr.flush()
    os._exit(70)


class BuyerState:
    """One buyer in one show: the open order and units counted against the per-buyer cap."""

    __slots__ = ("open", "counted")

    def __init__(self, open_order: tuple[str, str, str] | None,
                 counted: dict[str, int] | None) -> None:
        self.open = open_order  # (code, contact JSON, token) of the 'captured' order
        self.counted = counted  # nocase(product code) -> units; None: unknown, ask SQL


@dataclass
class WriterCache:
    """Rows the writer reads on every comment and that only the writer changes.

    Only the writer thread touches it, and every write goes through that thread, so it cannot
    go stale behind our back; the engine clears it whenever an operation rolls back, and every
    entry is rebuilt lazily from the database after a clear.

    - ``available``: each variant's free units, adjusted by every ``move_stock``; other
      writers of ``variants`` clear it.
    - ``buyers``: per show and buyer, loaded on the buyer's first comment: the open order and
      the units counted against the per-buyer cap. ``_bump`` runs after every change to an
      order's lines or status and marks that buyer's counts unknown (and drops the open order
      when the order leaves 'captured'); ``_new_order`` records the new open order.
    - ``owners``: order code -> (show, buyer), which never change.
    """

    shows: dict[str, Show] = field(default_factory=dict)
    variants: dict[str, list[sqlite3.Row]] = field(default_factory=dict)
    available: dict[tuple[str, str], int] = field(default_factory=dict)
    buyers: dict[str, dict[str, BuyerState]] = field(default_factory=dict)
    # nocase(order code) -> (show id, buyer): never change once an order exists.
    owners: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Sequence values as written (write-through: the UPDATE runs on every next_value).
    sequences: dict[str, int] = field(default_factory=dict)
    # Per show id: (the lineup tuple it was built from, upper-cased codes).
    lineups: dict[str, tuple[tuple[str, ...], frozenset[str]]] = field(default_factory=dict)
    # Set by any operation that moved stock; the version is bumped once per group commit.
    # A rolled-back operation may leave it set: one extra bump is harmless, a lost one not.
    stock_moved: bool = False

    def clear(self) -> None:
        self.shows.clear()
        self.variants.clear()
        self.available.clear()
        self.buyers.clear()
        self.owners.clear()
        self.sequences.clear()

    def before_commit(self, conn: sqlite3.Connection) -> None:
        """Bump the stock version once for everything this transaction moved."""
        if self.stock_moved:
            conn.execute(
                "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'stock_version'"
            )
            self.stock_moved = False
        # Safety valves for long-running servers: both are rebuilt lazily when needed.
        if len(self.owners) > 200_000:
            self.owners.clear()
        if len(self.buyers) > 8 or any(len(b) > 100_000 for b in self.buyers.values()):
            self.buyers.clear()


@dataclass(slots=True)
class Unit:
    """What one operation touched: stock keys to publish, orders to reload, extra events."""

    now: float
    cache: WriterCache = field(default_factory=WriterCache)
    stock: set[tuple[str, str]] = field(default_factory=set)
    orders: dict[str, str] = field(default_factory=dict)  # order code -> show id
    events: list[Event] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def shows(self) -> dict[str, Show]:
        return self.cache.shows

    def finish(self, conn: sqlite3.Connection) -> tuple[Event, ...]:
        events = list(self.events)
        if self.stock:
            self.cache.stock_moved = True
            events.append(StockChanged(tuple(sorted(self.stock))))
        # Listeners load the order itself when they need it (coalesced), not the writer.
        events.extend(OrderChanged(code, self.orders[code]) for code in sorted(self.orders))
        return tuple(events)


# -- loading -------------------------------------------------------------------------------

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
        comment_id=row["comment_id"],
    )


def order_from_row(conn: sqlite3.Connection, row: sqlite3.Row, audit: bool = True) -> Order:
    code = row["code"]
    lines = [_line(r) for r in conn.execute(
        "SELECT * FROM lines WHERE order_code = ? ORDER BY id", (code,))]
    trail = [
        AuditEntry(r["at"], r["actor"], r["action"], r["detail"], r["comment_id"])
        for r in conn.execute("SELECT * FROM audit WHERE order_code = ? ORDER BY id", (code,))
    ] if audit else []
    return Order(
        code=code, show_id=row["show_id"], buyer=row["buyer"], buyer_name=row["buyer_name"],
        status=OrderStatus(row["status"]), lines=lines,
        contact=Contact(**json.loads(row["contact"])), version=row["version"],
        token=row["token"], created_at=row["created_at"], updated_at=row["updated_at"],
        audit=trail,
    )


def load_order(conn: sqlite3.Connection, code: str, audit: bool = True) -> Order | None:
    row = conn.execute("SELECT * FROM orders WHERE code = ?", (code,)).fetchone()
    return order_from_row(conn, row, audit) if row else None


def _show_for(conn: sqlite3.Connection, unit: Unit, show_id: str) -> Show:
    show = unit.shows.get(show_id) or load_show(conn, show_id)
    if show is None:
        raise NotFound(f"show {show_id} not found")
    unit.shows[show_id] = show
    return show


# -- stock ---------------------------------------------------------------------------------

def move_stock(
    conn: sqlite3.Connection, unit: Unit, code: str, variant: str, delta: rules.StockDelta
) -> None:
    """Apply a books change; the table's CHECKs refuse anything that breaks conservation."""
    # No RETURNING on hot statements: on SQLite 3.40 it costs ~10 us more than a plain UPDATE.
    cur = conn.execute(
        "UPDATE variants SET available = available + ?, held = held + ?, sold = sold + ? "
        "WHERE code = ? AND label = ?",
        (delta.available, delta.held, delta.sold, code, variant),
    )
    if cur.rowcount != 1:
        raise NotFound(f"variant {code} {variant!r} not found")
    if delta.available:
        cached = unit.cache.available
        key = (nocase(code), nocase(variant))
        if key in cached:
            cached[key] += delta.available
    unit.stock.add((code, variant))


def _available(conn: sqlite3.Connection, cache: WriterCache, code: str, label: str) -> int:
    key = (nocase(code), nocase(label))
    available = cache.available.get(key)
    if available is None or CHECK_CACHE:
        fresh: int = conn.execute("SELECT available FROM variants WHERE code = ? AND label = ?",
                                  (code, label)).fetchone()[0]
        if available is not None and available != fresh:
            _stale("available", key, available, fresh)
        cache.available[key] = available = fresh
    return available


def audit(
    conn: sqlite3.Connection, unit: Unit, order: str, actor: str, action: str,
    detail: str = "", comment_id: int | None = None,
) -> None:
    conn.execute(
        "INSERT INTO audit (order_code, at, actor, action, detail, comment_id) "
        "VALUES (?, ?, ?, ?, ?, ?)", (order, unit.now, actor, action, detail, comment_id),
    )


def next_value(conn: sqlite3.Connection, name: str, cache: WriterCache | None = None) -> int:
    # A plain UPDATE (+ the cached value) is cheaper than an upsert ... RETURNING (move_stock).
    if conn.execute("UPDATE sequences SET value = value + 1 WHERE name = ?",
                    (name,)).rowcount == 0:
        conn.execute("INSERT INTO sequences (name, value) VALUES (?, 1)", (name,))
        value = 1
    else:
        known = cache.sequences.get(name) if cache is not None else None
        if known is None or CHECK_CACHE:
            value = int(conn.execute("SELECT value FROM sequences WHERE name = ?",
                                     (name,)).fetchone()[0])
            if known is not None and known + 1 != value:
                _stale("sequence", name, known + 1, value)
        else:
            value = known + 1
    if cache is not None:
        cache.sequences[name] = value
    return value


def _bump(conn: sqlite3.Connection, unit: Unit, code: str,
          status: OrderStatus | None = None) -> None:
    """New version of an order; runs after every change to its lines or status."""
    if status is None:
        cur = conn.execute("UPDATE orders SET version = version + 1, updated_at = ? "
                           "WHERE code = ?", (unit.now, code))
    else:
        cur = conn.execute(
            "UPDATE orders SET version = version + 1, updated_at = ?, status = ? WHERE code = ?",
            (unit.now, status.value, code))
    if cur.rowcount != 1:
        raise NotFound(f"order {code} not found")
    cache = unit.cache
    key = nocase(code)
    owner = cache.owners.get(key)
    if owner is None or CHECK_CACHE:
        row = conn.execute("SELECT show_id, buyer FROM orders WHERE code = ?", (code,)).fetchone()
        if owner is not None and owner != (row[0], row[1]):
            _stale("owner", code, owner, tuple(row))
        cache.owners[key] = owner = (row[0], row[1])
    show_id, buyer = owner
    unit.orders[code] = show_id
    buyers = cache.buyers.get(show_id)
    state = buyers.get(buyer) if buyers is not None else None
    if state is not None:
        if status == OrderStatus.CAPTURED:  # never happens today; forget the buyer if it did
            del buyers[buyer]  # type: ignore[union-attr]
            return
        state.counted = None
        if status is not None and state.open is not None and state.open[0] == code:
            state.open = None


def _buyer_state(conn: sqlite3.Connection, cache: WriterCache, show_id: str,
                 buyer: str) -> BuyerState:
    """The buyer's open order, loaded on first use (a buyer without any order in the show
    counts nothing against the cap; otherwise ``_counted`` asks SQL when needed)."""
    buyers = cache.buyers.get(show_id)
    if buyers is None:
        buyers = cache.buyers[show_id] = {}
    state = buyers.get(buyer)
    if state is None:
        fresh: tuple[str, str, str] | None = None
        rows = conn.execute("SELECT code, contact, token, status FROM orders WHERE show_id = ? "
                            "AND buyer = ?", (show_id, buyer)).fetchall()
        for r in rows:
            cache.owners[nocase(r[0])] = (show_id, buyer)
            if r[3] == "captured":
                fresh = (r[0], r[1], r[2])
        state = buyers[buyer] = BuyerState(fresh, None if rows else {})
    elif CHECK_CACHE:
        row = _open_order(conn, show_id, buyer)
        fresh = (row[0], row[1], row[2]) if row is not None else None
        if state.open != fresh:
            _stale("open order", show_id, buyer, state.open, fresh)
    return state


def _counted(conn: sqlite3.Connection, state: BuyerState, show_id: str,
             buyer: str) -> dict[str, int]:
    """Units per product (nocase code) the buyer holds, waits for or bought in the show."""
    counted = state.counted
    if counted is None or CHECK_CACHE:
        fresh: dict[str, int] = {}
        for r in conn.execute(
                # CROSS JOIN keeps SQLite on the buyer's few orders, then their lines.
                "SELECT l.code, SUM(l.qty) FROM orders o CROSS JOIN lines l "
                "ON l.order_code = o.code WHERE o.show_id = ? AND o.buyer = ? "
                "AND l.state IN (?, ?, ?) GROUP BY l.code", (show_id, buyer, *ACTIVE)):
            key = nocase(r[0])
            fresh[key] = fresh.get(key, 0) + r[1]
        if counted is not None and {k: v for k, v in counted.items() if v} != fresh:
            _stale("counted", show_id, buyer, counted, fresh)
        state.counted = counted = fresh
    return counted


def promote_waitlist(conn: sqlite3.Connection, unit: Unit, code: str, variant: str) -> None:
    """Hand freed units of one variant to the oldest waitlisted lines (invariant 4)."""
    row = conn.execute("SELECT available FROM variants WHERE code = ? AND label = ?",
                       (code, variant)).fetchone()
    if row is None or row[0] <= 0:
        return
    waiting = conn.execute(
        "SELECT l.id, l.qty, l.order_code, o.show_id, o.buyer_name FROM lines l "
        "JOIN orders o ON o.code = l.order_code "
        "WHERE l.code = ? AND l.variant = ? AND l.state = 'waitlisted' ORDER BY l.wait_seq "
        "LIMIT 1000", (code, variant),
    ).fetchall()
    by_id = {r["id"]: r for r in waiting}
    for line_id, take in rules.fill_waitlist(row[0], [(r["id"], r["qty"]) for r in waiting]):
        r = by_id[line_id]
        show = _show_for(conn, unit, r["show_id"])
        expires = unit.now + show.hold_minutes * 60
        if take == r["qty"]:
            conn.execute(
                "UPDATE lines SET state = 'held', created_at = ?, expires_at = ?, wait_seq = NULL"
                " WHERE id = ?", (unit.now, expires, line_id))
        else:
            conn.execute("UPDATE lines SET qty = qty - ? WHERE id = ?", (take, line_id))
            conn.execute(
                "INSERT INTO lines (order_code, code, variant, qty, unit_price, state, "
                "created_at, expires_at, comment_id) SELECT order_code, code, variant, ?, "
                "unit_price, 'held', ?, ?, comment_id FROM lines WHERE id = ?",
                (take, unit.now, expires, line_id))
        move_stock(conn, unit, code, variant, rules.StockDelta(available=-take, held=take))
        audit(conn, unit, r["order_code"], "system", "promoted",
              f"{code} {variant} x{take} from waitlist")
        _bump(conn, unit, r["order_code"])
        unit.events.append(OrderPlaced(r["show_id"], r["buyer_name"], code, variant, take,
                                       unit.now))


def release_lines(
    conn: sqlite3.Connection, unit: Unit, rows: Iterable[sqlite3.Row], to: LineState
) -> set[tuple[str, str]]:
    """Move lines to ``to`` (released/confirmed), fixing the books; returns freed variants."""
    freed: set[tuple[str, str]] = set()
    for r in rows:
        before = LineState(r["state"])
        if before == to:
            continue
        conn.execute("UPDATE lines SET state = ?, expires_at = NULL WHERE id = ?",
                     (to.value, r["id"]))
        delta = rules.stock_delta(before, to, r["qty"])
        if delta != rules.StockDelta():
            move_stock(conn, unit, r["code"], r["variant"], delta)
        if delta.available > 0:
            freed.add((r["code"], r["variant"]))
    return freed


# -- capture -------------------------------------------------------------------------------

def _open_order(conn: sqlite3.Connection, show_id: str, buyer: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT code, contact, token FROM orders WHERE show_id = ? AND buyer = ? "
        "AND status = 'captured'",
        (show_id, buyer)).fetchone()
    return row


def _new_order(conn: sqlite3.Connection, unit: Unit, show: Show, comment: Comment,
               phone: str | None) -> str:
    number = next_value(conn, "order:" + show.order_prefix, unit.cache)
    code = f"{show.order_prefix}-{number:04d}"
    contact = Contact(name=comment.author_name, phone=phone or "")
    unit.tokens[code] = token = secrets.token_urlsafe(12)
    contact_json = json.dumps(_contact_doc(contact))
    buyer = comment.buyer
    # Version 2: the order is born with its first item's bump (see add_items), which saves
    # one UPDATE per new order; the row ends the operation exactly as insert + _bump left it.
    conn.execute(
        "INSERT INTO orders (code, show_id, buyer, buyer_name, status, contact, version, token, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, 'captured', ?, 2, ?, ?, ?)",
        (code, show.id, buyer, comment.author_name, contact_json, token, unit.now, unit.now),
    )
    unit.cache.owners[nocase(code)] = (show.id, buyer)
    buyers = unit.cache.buyers.get(show.id)
    state = buyers.get(buyer) if buyers is not None else None
    if state is not None:
        state.open = (code, contact_json, token)
    return code


def _contact_doc(contact: Contact) -> dict[str, str]:
    return {"name": contact.name, "phone": contact.phone, "address": contact.address}


def _lineup(cache: WriterCache, show: Show) -> frozenset[str]:
    """The show's product codes, upper-cased (rebuilt whenever the show's lineup changes)."""
    entry = cache.lineups.get(show.id)
    if entry is None or entry[0] is not show.lineup:
        entry = (show.lineup, frozenset(c.upper() for c in show.lineup))
        cache.lineups[show.id] = entry
    return entry[1]


def variant_rows(conn: sqlite3.Connection, cache: WriterCache, code: str) -> list[sqlite3.Row]:
    key = code.upper()
    rows = cache.variants.get(key)
    if rows is None:
        rows = conn.execute("SELECT code, label, price FROM variants WHERE code = ? "
                            "ORDER BY position", (code,)).fetchall()
        cache.variants[key] = rows
    return rows


def resolve_variant(
    conn: sqlite3.Connection, show: Show, item: CaptureItem, now: float,
    cache: WriterCache | None = None,
) -> tuple[str, str, int] | str:
    """(code, label, price) for an item, or a reason it needs a person to decide."""
    cache = cache or WriterCache()
    rows = variant_rows(conn, cache, item.code)
    if not rows or item.code.upper() not in _lineup(cache, show):
        return f"unknown code {item.code}"
    if item.variant is not None:
        wanted = item.variant.casefold()
        for row in rows:
            if row["label"].casefold() == wanted:
                break
        else:
            return f"unknown variant {item.code} {item.variant}"
    elif len(rows) == 1:
        row = rows[0]
    elif show.flash and show.flash.variant and show.flash.applies(
            item.code, show.flash.variant, now):
        row = next(r for r in rows if r["label"].casefold() == show.flash.variant.casefold())
    elif (show.pinned_variant and show.pinned
          and show.pinned.casefold() == item.code.casefold()
          and (pinned := [r for r in rows
                          if r["label"].casefold() == show.pinned_variant.casefold()])):
        row = pinned[0]
    else:
        return f"which variant of {rows[0]['code']}?"
    return row["code"], row["label"], row["price"]


def add_items(
    conn: sqlite3.Connection, unit: Unit, show: Show, comment: Comment, comment_id: int | None,
    items: Sequence[CaptureItem], phone: str | None, actor: str, *, capped: bool = True,
    limits: CaptureRequest | None = None,
) -> tuple[str | None, bool, bool, list[str]]:
    """Hold or waitlist each item in the buyer's open order: (order, held?, waitlisted?, notes)."""
    cache = unit.cache
    buyer = comment.buyer
    state = _buyer_state(conn, cache, show.id, buyer)
    open_row = state.open
    order: str | None = None
    if open_row:
        order = open_row[0]
        unit.tokens[order] = open_row[2]
    held_any = waited_any = False
    notes: list[str] = []
    for item in items:
        resolved = resolve_variant(conn, show, item, unit.now, cache)
        if isinstance(resolved, str):
            notes.append(resolved)
            continue
        code, label, price = resolved
        qty = item.qty
        counted: dict[str, int] | None = None
        already = 0
        if capped:
            counted = _counted(conn, state, show.id, buyer)
            already = counted.get(nocase(code), 0)
            qty = rules.capped_qty(item.qty, already, show.max_per_buyer)
            if qty < item.qty:
                notes.append(f"limit {show.max_per_buyer} per buyer for {code}")
            if qty == 0:
                continue
            if buyers_db.limits_apply(limits):
                assert counted is not None and limits is not None
                qty, cut = buyers_db.room(conn, show, buyer, limits, phone,
                                          sum(counted.values()), qty)
                notes.extend(cut)
                if qty == 0:
                    continue
        opened = order is None
        if order is None:
            order = _new_order(conn, unit, show, comment, phone)
            buyers_db.mark_origin(conn, order, limits)
        available = _available(conn, cache, code, label)
        held, waiting = rules.split_reservation(available, qty)
        if held:
            expires = unit.now + show.hold_minutes * 60
            for units, unit_price in rules.price_parts(code, label, held, price, show.flash,
                                                       unit.now):
                conn.execute(
                    "INSERT INTO lines (order_code, code, variant, qty, unit_price, state, "
                    "created_at, expires_at, comment_id) VALUES (?, ?, ?, ?, ?, 'held', ?, ?, ?)",
                    (order, code, label, units, unit_price, unit.now, expires, comment_id))
                if show.flash and unit_price == show.flash.price and show.flash.applies(
                        code, label, unit.now):
                    show = replace(show, flash=replace(show.flash, taken=show.flash.taken + units))
                    save_show(conn, show, unit.cache)
            move_stock(conn, unit, code, label, rules.StockDelta(available=-held, held=held))
            unit.events.append(OrderPlaced(show.id, comment.author_name, code, label, held,
                                           unit.now))
            held_any = True
        if waiting:
            conn.execute(
                "INSERT INTO lines (order_code, code, variant, qty, unit_price, state, created_at,"
                " wait_seq, comment_id) VALUES (?, ?, ?, ?, ?, 'waitlisted', ?, ?, ?)",
                (order, code, label, waiting, price, unit.now, next_value(conn, "wait", cache),
                 comment_id))
            waited_any = True
        detail = f"{code} {label} x{qty}" + (f" ({waiting} waitlisted)" if waiting else "")
        if opened:  # 'opened' then 'add' in one statement (same rows, same order of ids)
            conn.execute(
                "INSERT INTO audit (order_code, at, actor, action, detail, comment_id) "
                "VALUES (?, ?, ?, 'opened', ?, ?), (?, ?, ?, 'add', ?, ?)",
                (order, unit.now, actor, f"for {comment.author_name}", comment_id,
                 order, unit.now, actor, detail, comment_id))
            unit.orders[order] = show.id  # _new_order already counted this bump
            state.counted = None  # as _bump would (restored below when we know the counts)
        else:
            audit(conn, unit, order, actor, "add", detail, comment_id)
            _bump(conn, unit, order)
        if counted is not None:  # _bump forgot the counts; we know this item's exactly
            counted[nocase(code)] = already + qty
            state.counted = counted
    if order is not None and phone and open_row is not None:
        contact = json.loads(open_row[1])
        if not contact.get("phone"):
            contact["phone"] = phone
            contact_json = json.dumps(contact)
            conn.execute("UPDATE orders SET contact = ? WHERE code = ?", (contact_json, order))
            if state.open is not None and state.open[0] == order:
                state.open = (order, contact_json, state.open[2])
    return order, held_any, waited_any, notes


def add_review(conn: sqlite3.Connection, unit: Unit, show_id: str, comment: Comment,
               comment_id: int, reason: str) -> None:
    cur = conn.execute(
        "INSERT INTO review (show_id, comment_id, buyer, author_name, text, reason, status, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, 'open', ?)",
        (show_id, comment_id, comment.buyer, comment.author_name, comment.text, reason, unit.now))
    unit.events.append(ReviewAdded(ReviewItem(
        id=int(cur.lastrowid or 0), show_id=show_id, comment_id=comment_id, buyer=comment.buyer,
        author_name=comment.author_name, text=comment.text, reason=reason, status="open",
        created_at=unit.now)))


def cancel_items(conn: sqlite3.Connection, unit: Unit, show: Show, comment: Comment,
                 comment_id: int, codes: Sequence[str], actor: str) -> str | None:
    """Release the buyer's open lines (all, or of ``codes``); returns the order or None."""
    open_row = _open_order(conn, show.id, comment.buyer)
    if open_row is None:
        return None
    order = open_row["code"]
    rows = conn.execute("SELECT * FROM lines WHERE order_code = ? AND state IN ('held', "
                        "'waitlisted')", (order,)).fetchall()
    wanted = {c.upper() for c in codes}
    chosen = [r for r in rows if not wanted or r["code"].upper() in wanted]
    if not chosen:
        return None
    freed = release_lines(conn, unit, chosen, LineState.RELEASED)
    audit(conn, unit, order, actor, "cancel",
          ", ".join(sorted({r["code"] for r in chosen})), comment_id)
    left = conn.execute("SELECT state FROM lines WHERE order_code = ?", (order,)).fetchall()
    closed = rules.all_lines_closed([LineState(r[0]) for r in left])
    _bump(conn, unit, order, OrderStatus.CANCELLED if closed else None)
    for code, variant in sorted(freed):
        promote_waitlist(conn, unit, code, variant)
    return str(order)


def capture_one(conn: sqlite3.Connection, req: CaptureRequest, now: float,
                cache: WriterCache | None = None) -> Captured:
    """Dedupe, store and act on one comment, all inside the caller's transaction."""
    c = req.comment
    cur = conn.execute(
        "INSERT OR IGNORE INTO comments (show_id, source, source_id, author_id, author_name, "
        "text, received_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')",
        (c.show_id, c.source, c.source_id, c.author_id, c.author_name, c.text, c.received_at))
    if cur.rowcount == 0:
        row = conn.execute("SELECT status, order_code FROM comments WHERE source = ? AND "
                           "source_id = ?", (c.source, c.source_id)).fetchone()
        return Captured(CaptureResult(c.source_id, CommentStatus.DUPLICATE, row["order_code"],
                                      f"already {row['status']}"), ())
    comment_id = int(cur.lastrowid or 0)
    unit = Unit(now=now, cache=cache or WriterCache())
    show = _show_for(conn, unit, c.show_id)
    actor = f"comment:{c.source}"
    order: str | None = None
    reason = req.reason
    if req.reject:
        status, reason = CommentStatus.REJECTED, req.reject
    elif show.status == ShowStatus.ENDED:
        status, reason = CommentStatus.REJECTED, "show_ended"
    elif req.kind == "order":
        order, held, waited, notes = add_items(conn, unit, show, c, comment_id, req.items,
                                               req.phone, actor, limits=req)
        if notes and not (held or waited):
            if only_limits(notes):
                status = CommentStatus.REJECTED
            else:
                status = CommentStatus.REVIEW
                add_review(conn, unit, c.show_id, c, comment_id, "; ".join(notes))
        else:
            status = CommentStatus.ORDERED if held else CommentStatus.WAITLISTED
            if any(not n.startswith("limit") for n in notes):
                add_review(conn, unit, c.show_id, c, comment_id, "; ".join(notes))
        reason = "; ".join(notes)
    elif req.kind == "cancel":
        order = cancel_items(conn, unit, show, c, comment_id, [i.code for i in req.items], actor)
        status = CommentStatus.CANCELLED if order else CommentStatus.IGNORED
        reason = "" if order else "nothing to cancel"
        if order is None and (late := buyers_db.after_confirm(conn, show.id, c.buyer,
                                                               "cancel")) is not None:
            order, status, reason = late[0], CommentStatus.REVIEW, late[1]
            add_review(conn, unit, c.show_id, c, comment_id, reason)
    elif req.kind in ("reduce", "change"):
        order, status, reason = buyers_db.apply_change(conn, unit, show, c, comment_id, req,
                                                       actor)
        if status == CommentStatus.REVIEW:
            add_review(conn, unit, c.show_id, c, comment_id, reason)
    elif req.kind == "contact":
        order = buyers_db.set_contact(conn, unit, show, c, comment_id, req.phone, req.address,
                                      req.note, actor)
        status, reason = buyers_db.contact_outcome(order, req.note)
        if status == CommentStatus.REVIEW:
            add_review(conn, unit, c.show_id, c, comment_id, reason)
    elif req.kind == "question":
        status = CommentStatus.QUESTION
    elif req.kind == "review":
        status = CommentStatus.REVIEW
        add_review(conn, unit, c.show_id, c, comment_id, req.reason or "unclear order")
    else:
        status = CommentStatus.IGNORED
    conn.execute("UPDATE comments SET status = ?, order_code = ?, reason = ? WHERE id = ?",
                 (status.value, order, reason, comment_id))
    if status != CommentStatus.REJECTED and req.kind != "contact":  # contact: never public
        unit.events.append(CommentReceived(c.show_id, c.author_name, c.text, status.value, now))
    token = unit.tokens.get(order, "") if order else ""
    if order and not token:
        token = conn.execute("SELECT token FROM orders WHERE code = ?", (order,)).fetchone()[0]
    return Captured(CaptureResult(c.source_id, status, order, reason, token), unit.finish(conn))


# -- staff actions -------------------------------------------------------------------------

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
    target = rules.next_status(order.status, action)
    rows = conn.execute("SELECT * FROM lines WHERE order_code = ?", (order.code,)).fetchall()
    if action == "confirm" and not any(r["state"] == LineState.HELD.value for r in rows):
        raise Invalid("nothing is held in this order yet", status=str(order.status))
    unit = Unit(now=now, cache=cache or WriterCache())
    freed: set[tuple[str, str]] = set()
    for r in rows:
        after = rules.line_after(action, LineState(r["state"]))
        freed |= release_lines(conn, unit, [r], after)
    audit(conn, unit, order.code, actor, action)
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
    if order.status not in (OrderStatus.CAPTURED, OrderStatus.CONFIRMED):
        raise IllegalTransition(f"cannot edit an order that is {order.status}")
    unit = Unit(now=now, cache=cache or WriterCache())
    show = _show_for(conn, unit, order.show_id)
    notes: list[str] = []
    freed: set[tuple[str, str]] = set()
    for item in lines or ():
        resolved = resolve_variant(conn, show, item, now, unit.cache)
        if isinstance(resolved, str):
            raise Invalid(resolved)
        pcode, label, price = resolved
        rows = conn.execute(
            "SELECT * FROM lines WHERE order_code = ? AND code = ? AND variant = ? AND state IN "
            "(?, ?, ?) ORDER BY CASE state WHEN 'waitlisted' THEN 0 WHEN 'held' THEN 1 ELSE 2 "
            "END, id DESC", (order.code, pcode, label, *ACTIVE)).fetchall()
        current = sum(r["qty"] for r in rows)
        if item.qty > current:
            extra = item.qty - current
            available = conn.execute("SELECT available FROM variants WHERE code = ? AND "
                                     "label = ?", (pcode, label)).fetchone()[0]
            if available < extra:
                raise SoldOut(f"only {available} of {pcode} {label} left", available=available)
            state = (LineState.CONFIRMED if order.status == OrderStatus.CONFIRMED
                     else LineState.HELD)
            conn.execute(
                "INSERT INTO lines (order_code, code, variant, qty, unit_price, state, "
                "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (order.code, pcode, label, extra, price, state.value, now,
                 now + show.hold_minutes * 60 if state == LineState.HELD else None))
            move_stock(conn, unit, pcode, label, rules.stock_delta(LineState.RELEASED, state,
                                                                   extra))
        elif item.qty < current:
            drop = current - item.qty
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
                        move_stock(conn, unit, pcode, label, delta)
                        freed.add((pcode, label))
                    drop = 0
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
        closed = rules.all_lines_closed([LineState(r[0]) for r in left])
        _bump(conn, unit, order, OrderStatus.EXPIRED if closed else None)
    for key in sorted(freed):
        promote_waitlist(conn, unit, *key)
    return unit.finish(conn)


def review_row(row: sqlite3.Row) -> ReviewItem:
    return ReviewItem(
        id=row["id"], show_id=row["show_id"], comment_id=row["comment_id"], buyer=row["buyer"],
        author_name=row["author_name"], text=row["text"], reason=row["reason"],
        status=row["status"], created_at=row["created_at"], order=row["order_code"],
    )


def resolve_review(conn: sqlite3.Connection, review_id: int, items: Sequence[CaptureItem],
                   actor: str, now: float, cache: WriterCache | None = None) -> Changed:
    row = conn.execute("SELECT * FROM review WHERE id = ?", (review_id,)).fetchone()
    if row is None:
        raise NotFound(f"review item {review_id} not found")
    if row["status"] != "open":
        raise IllegalTransition(f"review item {review_id} is already {row['status']}")
    crow = conn.execute("SELECT * FROM comments WHERE id = ?", (row["comment_id"],)).fetchone()
    comment = Comment(crow["show_id"], crow["source"], crow["source_id"], crow["author_id"],
                      crow["author_name"], crow["text"], crow["received_at"])
    unit = Unit(now=now, cache=cache or WriterCache())
    show = _show_for(conn, unit, row["show_id"])
    order, held, waited, notes = add_items(conn, unit, show, comment, crow["id"], items, None,
                                           actor, capped=False)
    if order is None or not (held or waited):
        raise Invalid("; ".join(notes) or "nothing to order")
    conn.execute("UPDATE review SET status = 'resolved', order_code = ? WHERE id = ?",
                 (order, review_id))
    conn.execute("UPDATE comments SET status = ?, order_code = ? WHERE id = ?",
                 ("ordered" if held else "waitlisted", order, crow["id"]))
    events = unit.finish(conn)
    fresh = load_order(conn, order)
    assert fresh is not None
    return Changed(fresh, events)
