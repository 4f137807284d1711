"""The order state machine: staff actions, what they do to each line, and edit rules.

Pure tables and functions; both stores apply them (SQLite in its writer, Redis through the
tables and twins in ``store/redis/scripts/rules.lua``, held equal by
``tests/store/test_parity.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

from .errors import IllegalTransition
from .models import LineState, OrderStatus

# action -> (statuses it may start from, status it leads to)
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

# Actions refused when nothing in the order is held: staff confirm what the buyer gets.
NEEDS_HELD = frozenset({"confirm"})

# What counts as "something to confirm" for those actions: held units, or units asked for in a
# first-paid-first-served show (they are taken when the order is paid).
PROMISED = frozenset({LineState.HELD, LineState.REQUESTED})

# action -> {line state before: after}; a state not listed stays as it is. Confirming sells
# held units and drops waitlisted lines (a confirmed order no longer waits for stock).
LINE_AFTER: dict[str, dict[LineState, LineState]] = {
    "confirm": {LineState.HELD: LineState.CONFIRMED, LineState.WAITLISTED: LineState.RELEASED,
                LineState.CONFIRMED: LineState.RELEASED},
    "reject": {LineState.HELD: LineState.RELEASED, LineState.WAITLISTED: LineState.RELEASED,
               LineState.CONFIRMED: LineState.RELEASED, LineState.REQUESTED: LineState.RELEASED},
    "cancel": {LineState.HELD: LineState.RELEASED, LineState.WAITLISTED: LineState.RELEASED,
               LineState.CONFIRMED: LineState.RELEASED, LineState.REQUESTED: LineState.RELEASED},
}

OPEN_STATUSES = frozenset({OrderStatus.CAPTURED})

# Staff may edit an order in these statuses; units they add are held or, once the order is
# confirmed, sold straight away.
EDITABLE: dict[OrderStatus, LineState] = {
    OrderStatus.CAPTURED: LineState.HELD,
    OrderStatus.CONFIRMED: LineState.CONFIRMED,
}

# When an edit lowers a quantity, units go back in this order: waiting units first, then holds,
# confirmed ones last; within a state the newest line first.
GIVE_BACK_ORDER: dict[LineState, int] = {
    LineState.WAITLISTED: 0, LineState.REQUESTED: 0, LineState.HELD: 1, LineState.CONFIRMED: 2}

# Lines a buyer's cancel comment may release (a requested line gives back nothing: it held
# nothing).
CANCELLABLE = frozenset({LineState.HELD, LineState.WAITLISTED, LineState.REQUESTED})

# Lines whose order is done with them (an open order with only these is closed).
CLOSED_LINES = frozenset({LineState.RELEASED, LineState.CONFIRMED, LineState.SOLD_OUT})


def next_status(status: OrderStatus, action: str) -> OrderStatus:
    """The status an action leads to; IllegalTransition if the action is not allowed now."""
    if action not in ACTIONS:
        raise IllegalTransition(f"unknown action {action!r}")
    allowed, target = ACTIONS[action]
    if status not in allowed:
        raise IllegalTransition(f"cannot {action} an order that is {status}", status=str(status))
    return target


def line_after(action: str, state: LineState) -> LineState:
    """What happens to one line when its order takes an action."""
    return LINE_AFTER.get(action, {}).get(state, state)


def all_lines_closed(states: Sequence[LineState]) -> bool:
    """True when an open order has nothing held, waiting or requested any more."""
    return all(s in CLOSED_LINES for s in states)


def edit_state(status: OrderStatus) -> LineState:
    """The state of units an edit adds; IllegalTransition if the order may not be edited."""
    if status not in EDITABLE:
        raise IllegalTransition(f"cannot edit an order that is {status}")
    return EDITABLE[status]


def give_back(lines: Sequence[tuple[int, LineState, int]], drop: int) -> list[tuple[int, int]]:
    """Which lines give back ``drop`` units: (line id, units) for active (id, state, qty)
    lines of one variant. A line giving back its whole qty is released; others shrink."""
    ranked = sorted((line for line in lines if line[1] in GIVE_BACK_ORDER),
                    key=lambda line: (GIVE_BACK_ORDER[line[1]], -line[0]))
    out: list[tuple[int, int]] = []
    for line_id, _state, qty in ranked:
        if drop <= 0:
            break
        units = min(qty, drop)
        out.append((line_id, units))
        drop -= units
    return out
