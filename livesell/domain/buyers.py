"""Limits that keep one person (or one script) from hoarding a show's stock.

A site buyer without a phone may have only a few units in a show; every buyer from one client
address together only a bounded number in open orders. Both stores apply ``hoard_room``; the
Redis store's Lua twin (``store/redis/scripts/limits.lua``) is checked against it by a parity test.
"""

from __future__ import annotations

from .rules import capped_qty


def hoard_room(qty: int, show_units: int, anonymous_cap: int, has_phone: bool,
               origin_units: int, origin_cap: int) -> tuple[int, tuple[str, ...]]:
    """Units of ``qty`` the buyer may add now, and a note for each limit that cut it.

    ``show_units``: what the buyer already has in the show (held, waiting or confirmed);
    ``origin_units``: what open orders from the buyer's client address hold or wait for.
    A cap of 0 is no cap.
    """
    notes: list[str] = []
    if anonymous_cap > 0 and not has_phone:
        room = capped_qty(qty, show_units, anonymous_cap)
        if room < qty:
            notes.append(f"limit {anonymous_cap} without a phone")
            qty = room
    if origin_cap > 0:
        room = capped_qty(qty, origin_units, origin_cap)
        if room < qty:
            notes.append(f"limit {origin_cap} per address")
            qty = room
    return qty, tuple(notes)


def only_limits(notes: list[str] | tuple[str, ...]) -> bool:
    """True when every note is a cap (the comment is refused, not sent to review)."""
    return bool(notes) and all(n.startswith("limit") for n in notes)
