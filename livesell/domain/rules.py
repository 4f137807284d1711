"""Inventory and order rules as pure functions, shared by every store.

Stores load the state they need inside one atomic step, ask these functions what to do, and
write the answer back. Nothing here performs I/O or knows how state is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .errors import IllegalTransition
from .models import FlashDeal, LineState, OrderStatus

ACTIONS: dict[str, tuple[frozenset[OrderStatus], OrderStatus]] = {
    "confirm": (frozenset({OrderStatus.CAPTURED}), OrderStatus.CONFIRMED),
    "reject": (frozenset({OrderStatus.CAPTURED, OrderStatus.CONFIRMED}), OrderStatus.REJECTED),
    "cancel": (frozenset({OrderStatus.CAPTURED, OrderStatus.CONFIRMED}), OrderStatus.CANCELLED),
    "paid": (frozenset({OrderStatus.CONFIRMED}), OrderStatus.PAID),
    "shipped": (frozenset({OrderStatus.PAID}), OrderStatus.SHIPPED),
    # The parcel came back (refused, or returned): counts in the customer's history. Units
    # stay sold; staff restock what can be sold again.
    "returned": (frozenset({OrderStatus.SHIPPED}), OrderStatus.RETURNED),
}

OPEN_STATUSES = frozenset({OrderStatus.CAPTURED})
# States whose units count against a buyer's per-product cap.
COUNTED_STATES = frozenset({LineState.HELD, LineState.WAITLISTED, LineState.CONFIRMED})


def next_status(status: OrderStatus, action: str) -> OrderStatus:
    """The status an action leads to; IllegalTransition if the action is not allowed now."""
    if action not in ACTIONS:
        raise IllegalTransition(f"unknown action {action!r}")
    allowed, target = ACTIONS[action]
    if status not in allowed:
        raise IllegalTransition(f"cannot {action} an order that is {status}", status=str(status))
    return target


def line_after(action: str, state: LineState) -> LineState:
    """What happens to one line when its order takes an action.

    Confirming turns held units into sold ones and drops waitlisted lines: staff confirm what
    the buyer actually gets, and a confirmed order no longer waits for stock.
    """
    if state == LineState.RELEASED:
        return state
    if action == "confirm":
        return LineState.CONFIRMED if state == LineState.HELD else LineState.RELEASED
    if action in ("reject", "cancel"):
        return LineState.RELEASED
    return state


@dataclass(frozen=True, slots=True)
class StockDelta:
    available: int = 0
    held: int = 0
    sold: int = 0


def stock_delta(before: LineState, after: LineState, qty: int) -> StockDelta:
    """How a line moving between states changes its variant's books (conservation kept)."""
    if before == after:
        return StockDelta()
    held = {LineState.HELD: -qty}.get(before, 0) + {LineState.HELD: qty}.get(after, 0)
    sold = {LineState.CONFIRMED: -qty}.get(before, 0) + {LineState.CONFIRMED: qty}.get(after, 0)
    return StockDelta(available=-(held + sold), held=held, sold=sold)


def split_reservation(available: int, qty: int) -> tuple[int, int]:
    """Units held now and units waitlisted, for a request of ``qty`` with ``available`` free."""
    held = max(0, min(available, qty))
    return held, qty - held


def capped_qty(requested: int, already: int, max_per_buyer: int) -> int:
    """Units a buyer may still add for one product in a show (0 when the cap is reached)."""
    return max(0, min(requested, max_per_buyer - already))


def price_parts(
    code: str, variant: str, qty: int, price: int, flash: FlashDeal | None, now: float
) -> list[tuple[int, int]]:
    """Split ``qty`` into (units, unit price) parts: the flash price first, up to its cap."""
    if flash is None or not flash.applies(code, variant, now):
        return [(qty, price)]
    left = qty if flash.quantity is None else min(qty, flash.quantity - flash.taken)
    parts = [(left, flash.price)] if left > 0 else []
    if qty - left > 0:
        parts.append((qty - left, price))
    return parts


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


def all_lines_closed(states: Sequence[LineState]) -> bool:
    """True when an open order has nothing held or waiting any more."""
    return all(s in (LineState.RELEASED, LineState.CONFIRMED) for s in states)
