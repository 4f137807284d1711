"""The selling rules by their former names; they live in ``inventory``, ``orders`` and
``capture`` now (one module per feature). Kept so older callers keep working."""

from __future__ import annotations

from .inventory import (
    COUNTED_STATES,
    StockDelta,
    capped_qty,
    fill_waitlist,
    price_parts,
    split_reservation,
    stock_delta,
)
from .orders import ACTIONS, OPEN_STATUSES, all_lines_closed, line_after, next_status

__all__ = [
    "ACTIONS", "COUNTED_STATES", "OPEN_STATUSES", "StockDelta", "all_lines_closed",
    "capped_qty", "fill_waitlist", "line_after", "next_status", "price_parts",
    "split_reservation", "stock_delta",
]
