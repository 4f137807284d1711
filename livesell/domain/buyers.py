"""Limits that keep one person (or one script) from hoarding a show's stock.

A site buyer without a phone may have only a few units in a show; every buyer from one client
address together only a bounded number in open orders. Both stores apply ``hoard_room``; the
Redis store's Lua twin (``store/redis/scripts/limits.lua``) is checked against it by a parity test.
"""

from __future__ import annotations

from .reasons import ADDRESS_LIMIT, ANONYMOUS_LIMIT, reason
from .rules import capped_qty

# The codes of the caps' notes (``anonymous_limit:3``, ``address_limit:30``).
LIMIT_CODES = (ANONYMOUS_LIMIT, ADDRESS_LIMIT)


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
            notes.append(reason(ANONYMOUS_LIMIT, anonymous_cap))
            qty = room
    if origin_cap > 0:
        room = capped_qty(qty, origin_units, origin_cap)
        if room < qty:
            notes.append(reason(ADDRESS_LIMIT, origin_cap))
            qty = room
    return qty, tuple(notes)


def only_limits(notes: list[str] | tuple[str, ...]) -> bool:
    """True when every note is a cap (the comment is refused, not sent to review)."""
    return bool(notes) and all(n.partition(":")[0] in LIMIT_CODES for n in notes)
