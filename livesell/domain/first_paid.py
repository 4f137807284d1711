"""First paid, first served: a show option against hoarding (off by default).

In such a show an order comment reserves nothing: its units are ``requested`` (they sit in no
column of the books and never wait in the waitlist). When the order is paid in full (a matched
bank transfer, or staff marking it paid) the store takes the units then, in one atomic step:
the first order paid wins each unit, and what is gone by then is ``sold_out`` — the money for
it is flagged for refund and staff get a review alert, never silent money for nothing.

Pure rules; both stores apply them (SQLite in ``store/sqlite/first_paid.py``, Redis through
``paid_take`` in ``store/redis/scripts/rules.lua``, held equal by ``tests/store/test_parity.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .models import LineState, OrderLine, OrderStatus
from .reasons import PAID_SOLD_OUT, reason

# The payment flag of an order that holds money for units it did not get.
REFUND = "refund"

# The statuses from which a full payment makes an order with requested units ``paid``: the
# payment is what decides who gets the units, so it does not wait for staff to confirm.
PREPAY_FROM = frozenset({OrderStatus.CAPTURED, OrderStatus.CONFIRMED})


# What paying does to an order's other lines, as confirming would: an order paid straight from
# ``captured`` may still hold units from before the mode was on (sold now) or wait for some
# (dropped: a paid order waits for nothing).
ON_PAYMENT = {LineState.HELD: LineState.CONFIRMED, LineState.WAITLISTED: LineState.RELEASED}


def prepaid(lines: Sequence[OrderLine]) -> bool:
    """The order has units asked for in a first-paid-first-served show and not taken yet."""
    return any(line.state == LineState.REQUESTED for line in lines)


def paid_take(available: Mapping[str, int],
              lines: Sequence[tuple[int, str, int]]) -> list[tuple[int, int, int]]:
    """(line id, units won, units sold out) for requested (line id, variant key, qty) lines of
    one order being paid, with ``available`` units free per variant key; lines in the order
    given (oldest first), each taking what is still free of its variant."""
    left = dict(available)
    out: list[tuple[int, int, int]] = []
    for line_id, key, qty in lines:
        won = max(0, min(left.get(key, 0), qty))
        left[key] = left.get(key, 0) - won
        out.append((line_id, won, qty - won))
    return out


def sold_out_reason(order: str, lost: Sequence[tuple[str, str, int]]) -> str:
    """The review alert for a paid order that lost units: ``paid_sold_out:DD-0042:A1 1kg x1``."""
    what = ", ".join(f"{code} {label} x{qty}".replace("  ", " ") for code, label, qty in lost)
    return reason(PAID_SOLD_OUT, order, what)
