"""The Store protocol: every backend (SQLite, Redis) offers these domain-shaped operations.

Each write is atomic and returns the domain events it caused; callers publish them only after
the call returned, i.e. after the change is durable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..domain.capture import CaptureItem as CaptureItem  # one item type, parser to store
from ..domain.events import Event
from ..domain.models import (
    CaptureResult,
    Comment,
    Contact,
    Order,
    Product,
    ReviewItem,
    Show,
    StockLevel,
)
from ..domain.payments import Settlement, Transfer, TransferRecord


@dataclass(frozen=True, slots=True)
class CaptureRequest:
    """A comment and what the parser read in it; the store does the rest atomically."""

    comment: Comment
    kind: str
    items: tuple[CaptureItem, ...] = ()
    phone: str | None = None
    reason: str = ""
    reject: str = ""  # set when the intake refuses the comment (too long...); stored anyway
    # -- buyers: follow-ups and anti-hoarding limits (0 / "": no limit)
    address: str = ""  # a delivery address read from a follow-up comment (kind "contact")
    note: str = ""  # what looked like contact details but was unclear: for staff to read
    anonymous_cap: int = 0  # units the buyer may have in the show until a phone is known
    origin: str = ""  # the client address the comment came from, as a keyed hash
    origin_cap: int = 0  # units in open orders from that origin in the show


@dataclass(frozen=True, slots=True)
class Captured:
    result: CaptureResult
    events: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class Changed:
    """An order after a staff action, with the events it caused."""

    order: Order
    events: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class PaymentMatch:
    """A transfer's decided effect on one order, valid only at that order's ``version``."""

    order: str
    version: int
    settlement: Settlement
    outcome: str


@dataclass(frozen=True, slots=True)
class Recorded:
    """A stored transfer, the order it changed (if any) and the events; ``duplicate`` when
    the transaction was already known and nothing changed."""

    record: TransferRecord
    order: Order | None
    events: tuple[Event, ...]
    duplicate: bool = False



class Catalog(Protocol):
    """Products, their variants and each variant's books (stock is global across shows)."""

    async def list_products(self) -> list[Product]: ...
    async def get_product(self, code: str) -> Product | None: ...
    async def put_products(
        self, products: Sequence[Product], actor: str, now: float
    ) -> tuple[Event, ...]: ...
    async def adjust_stock(
        self, code: str, variant: str, delta: int, actor: str, now: float
    ) -> tuple[StockLevel, tuple[Event, ...]]: ...
    async def stock(self, codes: Sequence[str] | None = None) -> list[StockLevel]: ...
    async def stock_version(self) -> int: ...

    # product photos (the booth)
    async def set_product_image(self, code: str, image: str, now: float) -> Product: ...


class Shows(Protocol):
    """Shows: lineup, status, pinned product, flash deal."""

    async def create_show(self, show: Show) -> Show: ...
    async def get_show(self, show_id: str) -> Show | None: ...
    async def list_shows(self) -> list[Show]: ...
    async def update_show(self, show_id: str, changes: Mapping[str, Any]) -> Show: ...


class OrderBook(Protocol):
    """Comments captured into orders, staff actions on them, expiry, and what they add up to."""

    async def capture(
        self, requests: Sequence[CaptureRequest], now: float
    ) -> list[Captured]: ...
    async def get_order(self, code: str) -> Order | None: ...
    async def get_orders(self, codes: Sequence[str]) -> list[Order]: ...
    async def list_orders(self, show_id: str, status: str | None = None) -> list[Order]: ...
    async def order_action(
        self, code: str, action: str, version: int, actor: str, now: float
    ) -> Changed: ...
    async def patch_order(
        self, code: str, version: int, lines: Sequence[CaptureItem] | None,
        contact: Contact | None, actor: str, now: float,
    ) -> Changed: ...
    async def expire_holds(self, now: float) -> tuple[Event, ...]: ...
    async def report(self, show_id: str) -> dict[str, Any]: ...


class ReviewQueue(Protocol):
    """Comments the parser could not decide, until staff resolve or dismiss them."""

    async def list_review(self, show_id: str, status: str = "open") -> list[ReviewItem]: ...
    async def resolve_review(
        self, review_id: int, items: Sequence[CaptureItem], actor: str, now: float
    ) -> Changed: ...
    async def dismiss_review(self, review_id: int, actor: str, now: float) -> ReviewItem: ...


    # buyers: the comments behind an order (its lines and follow-ups), oldest first, as
    # {"id", "source", "author_name", "text", "received_at", "status"}
    async def order_comments(self, code: str) -> list[dict[str, Any]]: ...


class Credentials(Protocol):
    """Tokens, users and settings kept with the data."""

    async def add_token(self, token_hash: str, role: str, name: str, now: float) -> None: ...
    async def token_role(self, token_hash: str) -> tuple[str, str] | None: ...
    async def add_user(self, name: str, role: str, password_hash: str, now: float) -> None: ...
    async def get_user(self, name: str) -> tuple[str, str] | None: ...
    async def get_meta(self, key: str) -> str | None: ...
    async def set_meta(self, key: str, value: str) -> None: ...

    # -- taking credentials back (revoke, remove); each bumps credentials_epoch --------------
    async def revoke_tokens(self, token_hash: str | None = None,
                            name: str | None = None) -> int: ...
    async def remove_user(self, name: str) -> bool: ...
    async def credentials_epoch(self) -> int: ...


class Payments(Protocol):
    """Bank transfers and what they did to orders."""

    # -- payments: bank transfers (store/sqlite/payments.py, store/redis/payments.py) -------
    async def get_transfer(self, transfer_id: str) -> TransferRecord | None: ...
    async def list_transfers(self, status: str | None = None,
                             limit: int = 200) -> list[TransferRecord]: ...
    async def record_transfer(
        self, transfer: Transfer, match: PaymentMatch | None, actor: str, now: float, *,
        attach: bool = False,
    ) -> Recorded:
        """Store a transfer once (a known id answers ``duplicate``); with a match, apply it to
        the order (StaleVersion if the order moved since the match was decided). ``attach``
        gives an unmatched transfer its order."""
        ...
    async def flag_order(self, code: str, version: int, flag: str, action: str, detail: str,
                         actor: str, now: float) -> Changed:
        """Set an order's payment flag ("overdue"...) with an audit entry (version-checked)."""
        ...


class Store(Catalog, Shows, OrderBook, ReviewQueue, Credentials, Payments, Protocol):
    """Persistence for one livesell deployment, one Protocol per aggregate. All methods are
    safe to call concurrently; none reads the clock (callers pass ``now``)."""

    async def start(self) -> None: ...
    async def close(self) -> None: ...
    async def ping(self) -> bool: ...
