"""What is waiting to be pushed, per show: shared by the viewer and console namespaces."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ..domain.events import CommentReceived, OrderPlaced
from ..domain.models import Order, ReviewItem

# A viewer cannot read more than this many comments or ticker lines per push anyway; under a
# storm only the newest are masked and sent.
FEED_PER_PUSH = 30


@dataclass
class ShowState:
    """What is waiting to be pushed to one show's viewers and consoles at the next tick."""

    lineup: frozenset[str] = frozenset()
    stock_dirty: bool = True
    ticker: deque[OrderPlaced] = field(default_factory=lambda: deque(maxlen=FEED_PER_PUSH))
    comments: deque[CommentReceived] = field(
        default_factory=lambda: deque(maxlen=FEED_PER_PUSH))
    orders_at: deque[float] = field(default_factory=deque)
    orders: dict[str, Order | None] = field(default_factory=dict)
    last_stock: dict[str, Any] | None = None  # the newest stock push, for late joiners
    # parts of the next tick frame (this node's and those relayed from others): see ticks.py
    outbox: dict[str, Any] = field(default_factory=dict)
    reviews: list[ReviewItem] = field(default_factory=list)


class Shows(dict[str, ShowState]):
    """Show id -> its state; a show gets one as soon as someone watches or it changes."""

    def state(self, show_id: str) -> ShowState:
        # not setdefault(show_id, ShowState()): that builds (and drops) a state with four
        # containers on every call, and every viewer join calls this twice
        state = self.get(show_id)
        if state is None:
            state = self[show_id] = ShowState()
        return state
