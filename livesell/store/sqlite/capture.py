"""What a comment does on SQLite: hold or waitlist its items, cancel, or queue it for review.

Each function runs inside the writer's transaction; see ``books`` for the stock moves.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import replace

from ...domain import capture as decide
from ...domain import inventory, orders, reasons
from ...domain.capture import Note, NoteKind
from ...domain.events import CommentReceived, OrderPlaced, ReviewAdded
from ...domain.models import (
    CaptureResult,
    Comment,
    CommentStatus,
    LineState,
    OrderStatus,
    ReviewItem,
    Show,
    ShowStatus,
)
from ..base import Captured, CaptureItem, CaptureRequest
from . import buyers as buyers_db
from . import first_paid as first_paid_db
from . import pending as pending_rows
from .books import (
    _available,
    _bump,
    _buyer_state,
    _counted,
    _open_order,
    audit,
    move_stock,
    next_value,
    promote_waitlist,
    release_lines,
)
from .rows import _show_for, save_show
from .writer import Unit, WriterCache, nocase

_json_str = json.encoder.encode_basestring_ascii  # what json.dumps uses for a str


def _new_order(conn: sqlite3.Connection, unit: Unit, show: Show, comment: Comment,
               phone: str | None, buyer: str) -> str:
    number = next_value(conn, "order:" + show.order_prefix, unit.cache)
    code = f"{show.order_prefix}-{number:04d}"
    unit.tokens[code] = token = unit.cache.order_token()
    # json.dumps(_contact_doc(Contact(name, phone))), character for character
    contact_json = (f'{{"name": {_json_str(comment.author_name)}, "phone": '
                    f'{_json_str(phone or "")}, "address": ""}}')
    # Version 2: the order is born with its first item's bump (see add_items), which saves
    # one UPDATE per new order; the row ends the operation exactly as insert + _bump left it.
    row = (code, show.id, buyer, comment.author_name, contact_json, 2, token, unit.now, unit.now)
    if unit.cache.pending.active:
        unit.cache.pending.orders.append(row)
    else:
        conn.execute(pending_rows.ORDER, row)
    unit.cache.owners[nocase(code)] = (show.id, buyer)
    buyers = unit.cache.buyers.get(show.id)
    state = buyers.get(buyer) if buyers is not None else None
    if state is not None:
        state.open = (code, contact_json, token)
    return code


def _lineup(cache: WriterCache, show: Show) -> frozenset[str]:
    """The show's product codes, folded (rebuilt whenever the show's lineup changes)."""
    entry = cache.lineups.get(show.id)
    if entry is None or entry[0] is not show.lineup:
        entry = (show.lineup, frozenset(nocase(c) for c in show.lineup))
        cache.lineups[show.id] = entry
    return entry[1]


def variant_rows(conn: sqlite3.Connection, cache: WriterCache,
                 code: str) -> tuple[tuple[tuple[str, str, int], ...], tuple[str, ...]]:
    """A product's (code, label, price) rows in catalog order, and their labels."""
    key = code.upper()
    entry = cache.variants.get(key)
    if entry is None:
        rows = tuple((r[0], r[1], r[2]) for r in conn.execute(
            "SELECT code, label, price FROM variants WHERE code = ? ORDER BY position", (code,)))
        cache.variants[key] = entry = (rows, tuple(r[1] for r in rows))
    return entry


def resolve_variant(
    conn: sqlite3.Connection, show: Show, item: CaptureItem, now: float,
    cache: WriterCache | None = None,
) -> tuple[str, str, int] | Note:
    """(code, label, price) for an item, or a note saying a person must decide
    (``domain.capture.resolve_variant`` decides)."""
    cache = cache or WriterCache()
    rows, labels = variant_rows(conn, cache, item.code)
    chosen = decide.resolve_variant(
        show, item, nocase(item.code) in _lineup(cache, show),
        rows[0][0] if rows else item.code, labels, now)
    if isinstance(chosen, Note):
        return chosen
    for row in rows:
        if row[1] == chosen:
            return row
    raise AssertionError(f"{chosen!r} is not a label of {item.code}")  # decide picks from labels


def add_items(
    conn: sqlite3.Connection, unit: Unit, show: Show, comment: Comment, comment_id: int | None,
    items: Sequence[CaptureItem], phone: str | None, actor: str, *, capped: bool = True,
    limits: CaptureRequest | None = None,
) -> tuple[str | None, bool, bool, list[Note]]:
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
    notes: list[Note] = []
    for item in items:
        resolved = resolve_variant(conn, show, item, unit.now, cache)
        if isinstance(resolved, Note):
            notes.append(resolved)
            continue
        code, label, price = resolved
        qty = item.qty
        counted: dict[str, int] | None = None
        already = 0
        if capped:
            counted = _counted(conn, cache, state, show.id, buyer)
            already = counted.get(nocase(code), 0)
            qty = inventory.capped_qty(item.qty, already, show.max_per_buyer)
            if qty < item.qty:
                notes.append(decide.limit_note(show.max_per_buyer, code))
            if qty == 0:
                continue
            if buyers_db.limits_apply(limits):
                assert counted is not None and limits is not None
                cache.flush(conn)  # room() reads orders and lines
                qty, cut = buyers_db.room(conn, show, buyer, limits, phone,
                                          sum(counted.values()), qty)
                notes.extend(Note(NoteKind.LIMIT, n) for n in cut)
                if qty == 0:
                    continue
        opened = order is None
        if order is None:
            order = _new_order(conn, unit, show, comment, phone, buyer)
            if limits is not None and limits.origin:
                cache.flush(conn)  # mark_origin updates the order row
            buyers_db.mark_origin(conn, order, limits)
        if show.first_paid:  # first paid, first served: nothing is held, nothing waits
            cache.flush(conn)  # its lines are written directly, after the queued ones
            show = first_paid_db.request(conn, unit, show, order, code, label, price, qty,
                                         comment_id, item)
            held, waiting, held_any = 0, 0, True
        else:
            held, waiting = inventory.split_reservation(_available(conn, cache, code, label),
                                                        qty)
        if held:
            expires = unit.now + show.hold_minutes * 60
            parts = inventory.price_parts(code, label, held, price, show.flash, unit.now)
            for units, unit_price in parts:
                _line(conn, cache, (order, code, label, units, unit_price, "held", unit.now,
                                    expires, None, comment_id, item.confidence, item.said))
            taken = inventory.flash_taken(show.flash, code, label, parts, unit.now)
            if show.flash and taken:
                show = replace(show, flash=replace(show.flash, taken=show.flash.taken + taken))
                save_show(conn, show, unit.cache)
            move_stock(conn, unit, code, label, inventory.StockDelta(available=-held, held=held))
            unit.events.append(OrderPlaced(show.id, comment.author_name, code, label, held,
                                           unit.now))
            held_any = True
        if waiting:
            _line(conn, cache, (order, code, label, waiting, price, "waitlisted", unit.now, None,
                                next_value(conn, "wait", cache), comment_id, item.confidence,
                                item.said))
            waited_any = True
        detail = f"{code} {label} x{qty}" + (f" ({waiting} waitlisted)" if waiting else "")
        if opened:  # 'opened' then 'add', in one row
            audit(conn, unit, order, actor, "add", detail, comment_id,
                  opened=f"for {comment.author_name}")
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
            cache.flush(conn)  # the order row may be queued
            contact["phone"] = phone
            contact_json = json.dumps(contact)
            conn.execute("UPDATE orders SET contact = ? WHERE code = ?", (contact_json, order))
            if state.open is not None and state.open[0] == order:
                state.open = (order, contact_json, state.open[2])
    return order, held_any, waited_any, notes


def _line(conn: sqlite3.Connection, cache: WriterCache, row: tuple[object, ...]) -> None:
    if cache.pending.active:
        cache.pending.lines.append(row)
    else:
        conn.execute(pending_rows.LINE, row)


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
                        "'waitlisted', 'requested')", (order,)).fetchall()
    picked = set(decide.cancel_selection(
        [(r["id"], r["code"], LineState(r["state"])) for r in rows], codes))
    chosen = [r for r in rows if r["id"] in picked]
    if not chosen:
        return None
    freed = release_lines(conn, unit, chosen, LineState.RELEASED)
    audit(conn, unit, order, actor, "cancel",
          ", ".join(sorted({r["code"] for r in chosen})), comment_id)
    left = conn.execute("SELECT state FROM lines WHERE order_code = ?", (order,)).fetchall()
    closed = orders.all_lines_closed([LineState(r[0]) for r in left])
    _bump(conn, unit, order, OrderStatus.CANCELLED if closed else None)
    for code, variant in sorted(freed):
        promote_waitlist(conn, unit, code, variant)
    return str(order)


# Kinds that read lines and orders back as they go: written directly, never queued.
_DIRECT = frozenset(("cancel", "reduce", "change", "contact"))


def capture_one(conn: sqlite3.Connection, req: CaptureRequest, now: float,
                cache: WriterCache | None = None) -> Captured:
    """Dedupe, store and act on one comment, all inside the caller's transaction; in a
    batch (``cache.pending.active``) its rows may be queued, else they are written now."""
    cache = cache or WriterCache()
    pending = cache.pending
    batched = pending.active
    if batched and req.kind in _DIRECT:
        cache.flush(conn)
        pending.active = False
    try:
        done = _capture(conn, req, now, cache)
        if not pending.active:
            cache.flush(conn)
        return done
    finally:
        pending.active = batched


def _capture(conn: sqlite3.Connection, req: CaptureRequest, now: float,
             cache: WriterCache) -> Captured:
    c = req.comment
    pending = cache.pending
    key = (c.source, c.source_id)
    seen = pending.known(conn, key)
    if seen is not None:
        return Captured(CaptureResult(c.source_id, CommentStatus.DUPLICATE, seen[1],
                                      f"already {seen[0]}"), ())
    comment_id = pending.comment_id(conn)
    unit = Unit(now=now, cache=cache)
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
        status, review = decide.order_outcome(held, waited, notes)
        reason = decide.reason_of(notes)
        if review:
            add_review(conn, unit, c.show_id, c, comment_id, reason)
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
                                                       actor, sys.modules[__name__])
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
        add_review(conn, unit, c.show_id, c, comment_id, req.reason or reasons.UNCLEAR)
    else:
        status = CommentStatus.IGNORED
    value = status.value
    pending.comments.append((comment_id, c.show_id, c.source, c.source_id, c.author_id,
                             c.author_name, c.text, c.received_at, value, order, reason))
    pending.seen[key] = (value, order)
    if status != CommentStatus.REJECTED and req.kind != "contact":  # contact: never public
        unit.events.append(CommentReceived(c.show_id, c.author_name, c.text, value, now))
    token = unit.tokens.get(order, "") if order else ""
    if order and not token:
        token = conn.execute("SELECT token FROM orders WHERE code = ?", (order,)).fetchone()[0]
    return Captured(CaptureResult(c.source_id, status, order, reason, token), unit.finish(conn))
