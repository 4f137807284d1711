"""Stock books on SQLite: moving units between states, the waitlist, a buyer's counts.

Each function runs inside the writer's transaction. The decisions (how much to hold, who gets
released stock) come from ``livesell.domain.inventory``; this module loads and saves what they need.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import replace

from ...domain import inventory
from ...domain.errors import NotFound
from ...domain.events import OrderPlaced
from ...domain.flash import RETURNING, returned_to_quota
from ...domain.models import LineState, OrderStatus
from .pending import AUDIT
from .rows import _show_for, save_show
from .writer import BuyerState, Unit, WriterCache, nocase

# The states counted against a buyer's cap, as SQL parameters.
ACTIVE = tuple(sorted(s.value for s in inventory.COUNTED_STATES))
ACTIVE_SQL = ", ".join("?" * len(ACTIVE))  # their placeholders


def move_stock(
    conn: sqlite3.Connection, unit: Unit, code: str, variant: str, delta: inventory.StockDelta
) -> None:
    """Apply a books change; the table's CHECKs refuse anything that breaks conservation
    (when a capture batch queues the change, at its flush: one UPDATE per variant)."""
    pending = unit.cache.pending
    if pending.active:
        key = (nocase(code), nocase(variant))
        books = pending.books.get(key)
        if books is None:
            pending.books[key] = [delta.available, delta.held, delta.sold, code, variant]
        else:
            books[0] += delta.available
            books[1] += delta.held
            books[2] += delta.sold
    else:
        # No RETURNING on hot statements: on SQLite 3.40 it costs ~10 us more than an UPDATE.
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
    if available is None or cache.check:
        cache.flush(conn)
        fresh: int = conn.execute("SELECT available FROM variants WHERE code = ? AND label = ?",
                                  (code, label)).fetchone()[0]
        if available is not None and available != fresh:
            cache.found_stale("available", key, available, fresh)
        cache.available[key] = available = fresh
    return available


def audit(
    conn: sqlite3.Connection, unit: Unit, order: str, actor: str, action: str,
    detail: str = "", comment_id: int | None = None, *, opened: str | None = None,
) -> None:
    """One entry of the order's trail. ``opened``: the detail of an 'opened' entry just
    before this one, same time, actor and comment; it is kept in this entry's row (one row
    per new order fewer to write) and read back as an entry of its own (``rows``)."""
    row = (order, unit.now, actor, action, detail, comment_id, opened)
    if unit.cache.pending.active:
        unit.cache.pending.audit.append(row)
        return
    conn.execute(AUDIT, row)


def next_value(conn: sqlite3.Connection, name: str, cache: WriterCache | None = None) -> int:
    known = cache.sequences.get(name) if cache is not None else None
    if cache is not None and known is not None and cache.pending.active and not cache.check:
        # A capture batch writes the newest value once, at its flush.
        cache.sequences[name] = cache.pending.sequences[name] = known + 1
        return known + 1
    if cache is not None:
        cache.flush(conn)
    # A plain UPDATE (+ the cached value) is cheaper than an upsert ... RETURNING (move_stock).
    if conn.execute("UPDATE sequences SET value = value + 1 WHERE name = ?",
                    (name,)).rowcount == 0:
        conn.execute("INSERT INTO sequences (name, value) VALUES (?, 1)", (name,))
        value = 1
    else:
        if known is None or (cache is not None and cache.check):
            value = int(conn.execute("SELECT value FROM sequences WHERE name = ?",
                                     (name,)).fetchone()[0])
            if cache is not None and known is not None and known + 1 != value:
                cache.found_stale("sequence", name, known + 1, value)
        else:
            value = known + 1
    if cache is not None:
        cache.sequences[name] = value
    return value


def _bump(conn: sqlite3.Connection, unit: Unit, code: str,
          status: OrderStatus | None = None) -> None:
    """New version of an order; runs after every change to its lines or status (a capture
    batch queues the plain ones: one UPDATE per order at its flush)."""
    cache = unit.cache
    pending = cache.pending
    if status is None and pending.active:
        bumps = pending.bumps.get(code)
        if bumps is None:
            pending.bumps[code] = [1, unit.now]
        else:
            bumps[0] += 1
            bumps[1] = unit.now
    else:
        if status is None:
            cur = conn.execute("UPDATE orders SET version = version + 1, updated_at = ? "
                               "WHERE code = ?", (unit.now, code))
        else:
            cur = conn.execute(
                "UPDATE orders SET version = version + 1, updated_at = ?, status = ? "
                "WHERE code = ?", (unit.now, status.value, code))
        if cur.rowcount != 1:
            raise NotFound(f"order {code} not found")
    key = nocase(code)
    owner = cache.owners.get(key)
    if owner is None or cache.check:
        cache.flush(conn)
        row = conn.execute("SELECT show_id, buyer FROM orders WHERE code = ?", (code,)).fetchone()
        if owner is not None and owner != (row[0], row[1]):
            cache.found_stale("owner", code, owner, tuple(row))
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
        rows = conn.execute("SELECT code, contact, token, status FROM orders WHERE show_id = ? "
                            "AND buyer = ?", (show_id, buyer)).fetchall()
        state = buyers[buyer] = _state_of(cache, show_id, buyer, rows)
    elif cache.check:
        cache.flush(conn)
        row = _open_order(conn, show_id, buyer)
        fresh = (row[0], row[1], row[2]) if row is not None else None
        if state.open != fresh:
            cache.found_stale("open order", show_id, buyer, state.open, fresh)
    return state


def prefetch_buyers(conn: sqlite3.Connection, cache: WriterCache, show_id: str,
                    buyers: Iterable[str]) -> None:
    """Load the buyers ``_buyer_state`` does not know yet, several per query."""
    known = cache.buyers.setdefault(show_id, {})
    wanted = sorted({b for b in buyers if b not in known})
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        found: dict[str, list[tuple[str, str, str, str]]] = {b: [] for b in chunk}
        for r in conn.execute(
                "SELECT buyer, code, contact, token, status FROM orders WHERE show_id = ? AND "
                f"buyer IN ({', '.join('?' * len(chunk))})", (show_id, *chunk)):
            found[r[0]].append((r[1], r[2], r[3], r[4]))
        for buyer, rows in found.items():
            known[buyer] = _state_of(cache, show_id, buyer, rows)


def _state_of(cache: WriterCache, show_id: str, buyer: str,
              rows: Iterable[tuple[str, str, str, str]]) -> BuyerState:
    """A buyer's state from the (code, contact, token, status) of their orders in a show."""
    fresh: tuple[str, str, str] | None = None
    counted: dict[str, int] | None = {}
    for code, contact, token, status in rows:
        counted = None
        cache.owners[nocase(code)] = (show_id, buyer)
        if status == "captured":
            fresh = (code, contact, token)
    return BuyerState(fresh, counted)


def _counted(conn: sqlite3.Connection, cache: WriterCache, state: BuyerState, show_id: str,
             buyer: str) -> dict[str, int]:
    """Units per product (nocase code) the buyer holds, waits for or bought in the show."""
    counted = state.counted
    if counted is None or cache.check:
        cache.flush(conn)
        fresh: dict[str, int] = {}
        for r in conn.execute(
                # CROSS JOIN keeps SQLite on the buyer's few orders, then their lines.
                "SELECT l.code, SUM(l.qty) FROM orders o CROSS JOIN lines l "
                "ON l.order_code = o.code WHERE o.show_id = ? AND o.buyer = ? "
                f"AND l.state IN ({ACTIVE_SQL}) GROUP BY l.code", (show_id, buyer, *ACTIVE)):
            key = nocase(r[0])
            fresh[key] = fresh.get(key, 0) + r[1]
        if counted is not None and {k: v for k, v in counted.items() if v} != fresh:
            cache.found_stale("counted", show_id, buyer, counted, fresh)
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
    for line_id, take in inventory.fill_waitlist(row[0], [(r["id"], r["qty"]) for r in waiting]):
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
                "created_at, expires_at, comment_id, confidence, said) SELECT order_code, code, "
                "variant, ?, unit_price, 'held', ?, ?, comment_id, confidence, said FROM lines "
                "WHERE id = ?",
                (take, unit.now, expires, line_id))
        move_stock(conn, unit, code, variant, inventory.StockDelta(available=-take, held=take))
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
        delta = inventory.stock_delta(before, to, r["qty"])
        if delta != inventory.StockDelta():
            move_stock(conn, unit, r["code"], r["variant"], delta)
        if delta.available > 0:
            freed.add((r["code"], r["variant"]))
        if to == LineState.RELEASED and before in RETURNING:
            give_back_flash(conn, unit, r, r["qty"])
    return freed


def give_back_flash(conn: sqlite3.Connection, unit: Unit, line: sqlite3.Row, qty: int) -> None:
    """Released flash-price units go back to their show's flash quota (domain/flash.py)."""
    cache = unit.cache
    owner = cache.owners.get(nocase(line["order_code"]))
    if owner is None:
        row = conn.execute("SELECT show_id, buyer FROM orders WHERE code = ?",
                           (line["order_code"],)).fetchone()
        if row is None:
            return
        owner = cache.owners[nocase(line["order_code"])] = (row[0], row[1])
    show = _show_for(conn, unit, owner[0])
    back = returned_to_quota(show.flash, line["code"], line["variant"], line["unit_price"],
                             line["created_at"], qty)
    if back and show.flash is not None:
        save_show(conn, replace(show, flash=replace(show.flash, taken=show.flash.taken - back)),
                  cache)


def _open_order(conn: sqlite3.Connection, show_id: str, buyer: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT code, contact, token FROM orders WHERE show_id = ? AND buyer = ? "
        "AND status = 'captured'",
        (show_id, buyer)).fetchone()
    return row
