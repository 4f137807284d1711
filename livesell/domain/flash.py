"""The flash quota: units sold at the flash price count against it; released ones come back.

A line bought at the deal's price during the deal and then cancelled, rejected, edited down or
released when its hold ran out gives its units back, so the next buyer gets them at the flash
price (without this the deal looks over and the next "+2" goes to review). The Redis store
runs the same rule inside Lua (``flash_return`` in ``store/redis/scripts/common.lua``);
``tests/store/test_flash_parity.py`` holds the two together.
"""

from __future__ import annotations

import string

from .models import FlashDeal, LineState

__all__ = ["RETURNING", "fold", "returned_to_quota"]

#: Line states whose units were taken from the quota (a waitlisted line never was; a requested
#: line of a first-paid-first-served show took its flash price, hence its quota, when asked).
RETURNING = frozenset({LineState.HELD, LineState.CONFIRMED, LineState.REQUESTED})

# ASCII-only case folding, as SQLite's NOCASE and Lua's string.lower fold.
_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def fold(text: str) -> str:
    return text.translate(_LOWER)


def returned_to_quota(flash: FlashDeal | None, code: str, variant: str, unit_price: int,
                      created_at: float, qty: int) -> int:
    """Units of a released (part of a) line that go back to the show's flash quota."""
    if flash is None or qty <= 0:
        return 0
    if fold(flash.code) != fold(code):
        return 0
    if flash.variant is not None and fold(flash.variant) != fold(variant):
        return 0
    if unit_price != flash.price or created_at < flash.started_at:
        return 0
    return max(0, min(qty, flash.taken))
