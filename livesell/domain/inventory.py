"""Stock books: how units move between available, held and sold, and who gets them.

Pure functions over plain values; both stores apply them (SQLite in its writer, Redis through
the twins in ``store/redis/scripts/rules.lua``, held equal by ``tests/store/test_parity.py``).
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass, replace

from .models import FlashDeal, LineState

# Where a line's units sit in its variant's books; a state not listed sits nowhere (released
# units are back in ``available``, waitlisted ones were never taken from it).
BOOKS: dict[LineState, str] = {LineState.HELD: "held", LineState.CONFIRMED: "sold"}

# States whose units count against a buyer's per-product cap (units asked for in a
# first-paid-first-served show count too: the cap holds in that mode).
COUNTED_STATES = frozenset({LineState.HELD, LineState.WAITLISTED, LineState.CONFIRMED,
                            LineState.REQUESTED})

_FOLD = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def fold(text: str) -> str:
    """Codes and labels compare case-insensitively on ASCII letters only, as SQLite's NOCASE
    and Lua's ``string.lower`` do, so both stores match the same spellings."""
    return text.translate(_FOLD)


@dataclass(frozen=True, slots=True)
class StockDelta:
    available: int = 0
    held: int = 0
    sold: int = 0


def stock_delta(before: LineState, after: LineState, qty: int) -> StockDelta:
    """How a line moving between states changes its variant's books (conservation kept)."""
    if before == after:
        return StockDelta()
    moved = {"held": 0, "sold": 0}
    if before in BOOKS:
        moved[BOOKS[before]] -= qty
    if after in BOOKS:
        moved[BOOKS[after]] += qty
    return StockDelta(available=-(moved["held"] + moved["sold"]), held=moved["held"],
                      sold=moved["sold"])


def split_reservation(available: int, qty: int) -> tuple[int, int]:
    """Units held now and units waitlisted, for a request of ``qty`` with ``available`` free."""
    held = max(0, min(available, qty))
    return held, qty - held


def capped_qty(requested: int, already: int, max_per_buyer: int) -> int:
    """Units a buyer may still add for one product in a show (0 when the cap is reached)."""
    return max(0, min(requested, max_per_buyer - already))


def flash_applies(flash: FlashDeal | None, code: str, variant: str, now: float) -> bool:
    """The flash deal prices this variant now (running, quota left, its product and size)."""
    return (flash is not None and now < flash.ends_at
            and (flash.quantity is None or flash.taken < flash.quantity)
            and fold(flash.code) == fold(code)
            and (flash.variant is None or fold(flash.variant) == fold(variant)))


def price_parts(
    code: str, variant: str, qty: int, price: int, flash: FlashDeal | None, now: float
) -> list[tuple[int, int]]:
    """Split ``qty`` into (units, unit price) parts: the flash price first, up to its cap."""
    if flash is None or not flash_applies(flash, code, variant, now):
        return [(qty, price)]
    left = qty if flash.quantity is None else min(qty, flash.quantity - flash.taken)
    parts = [(left, flash.price)] if left > 0 else []
    if qty - left > 0:
        parts.append((qty - left, price))
    return parts


def flash_taken(flash: FlashDeal | None, code: str, variant: str,
                parts: Sequence[tuple[int, int]], now: float) -> int:
    """Units of the flash quota the held ``parts`` use up (counted part by part, as held)."""
    if flash is None:
        return 0
    taken = 0
    for units, unit_price in parts:
        if unit_price == flash.price and flash_applies(
                replace(flash, taken=flash.taken + taken), code, variant, now):
            taken += units
    return taken


def fill_waitlist(available: int, waiting: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """First come, first served: (line id, units filled) for waitlisted (line id, qty), oldest
    first. The oldest line is served before any younger one, even if only partly."""
    fills: list[tuple[int, int]] = []
    for line_id, qty in waiting:
        if available <= 0:
            break
        take = min(qty, available)
        fills.append((line_id, take))
        available -= take
    return fills
