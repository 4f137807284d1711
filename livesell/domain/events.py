"""What happened, as told to the realtime layer after the store committed it."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Order, ReviewItem, Show
from .payments import TransferRecord


@dataclass(frozen=True, slots=True)
class StockChanged:
    """Books of these (code, variant) changed; listeners read fresh values when they push."""

    keys: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class OrderChanged:
    """An order changed. ``order`` is the fresh order when the store had it at no cost;
    otherwise listeners that need it load it (once per burst, and only if anyone watches)."""

    code: str
    show_id: str
    order: Order | None = None


@dataclass(frozen=True, slots=True)
class OrderPlaced:
    """A line was held for a buyer: what the public ticker shows (name is shortened later)."""

    show_id: str
    buyer_name: str
    code: str
    variant: str
    qty: int
    at: float


@dataclass(frozen=True, slots=True)
class ReviewAdded:
    item: ReviewItem


@dataclass(frozen=True, slots=True)
class CommentReceived:
    """A comment to show in the public feed (text and name are masked before they leave)."""

    show_id: str
    author_name: str
    text: str
    status: str
    at: float


@dataclass(frozen=True, slots=True)
class ShowChanged:
    show: Show


@dataclass(frozen=True, slots=True)
class TransferRecorded:
    """A bank transfer was stored: matched to an order, or waiting for staff to attach it."""

    record: TransferRecord


Event = (StockChanged | OrderChanged | OrderPlaced | ReviewAdded | CommentReceived | ShowChanged
         | TransferRecorded)
