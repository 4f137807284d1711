"""The seller's nouns: products, shows, comments, orders. Plain data, no I/O."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from enum import StrEnum
from typing import Any


def _plain(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """The named fields of a dataclass, one level deep. ``asdict`` walks and deep-copies every
    value, which made a product list cost milliseconds; callers convert nested values."""
    return {name: getattr(obj, name) for name in names}


def _names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


class Category(StrEnum):
    FOOD = "food"
    BEVERAGE = "beverage"
    HERBAL = "herbal"
    HANDICRAFT = "handicraft"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Producer:
    name: str = ""
    commune: str = ""
    province: str = ""


@dataclass(frozen=True, slots=True)
class Origin:
    batch: str = ""
    produced: str = ""
    expiry: str = ""
    certificates: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Variant:
    label: str
    price: int
    stock: int = 0
    unit: str = ""  # what one of it is counted in ("hũ", "hộp 20 túi"); else the product's


@dataclass(frozen=True, slots=True)
class Product:
    code: str
    name: str
    variants: tuple[Variant, ...]
    description: str = ""
    category: Category = Category.OTHER
    ocop_stars: int | None = None
    producer: Producer = field(default_factory=Producer)
    origin: Origin = field(default_factory=Origin)
    image: str = ""
    aliases: tuple[str, ...] = ()  # other names viewers use ("nhàu", "cua gạch")
    unit: str = ""  # what stock is counted in, for every variant without its own

    def variant(self, label: str | None) -> Variant | None:
        """The variant with this label (case-insensitive); None if absent."""
        if label is None:
            return self.variants[0] if len(self.variants) == 1 else None
        wanted = label.casefold()
        return next((v for v in self.variants if v.label.casefold() == wanted), None)

    def to_json(self) -> dict[str, Any]:
        doc = _plain(self, _PRODUCT)
        doc["variants"] = [_plain(v, _VARIANT) for v in self.variants]
        doc["category"] = str(self.category)
        doc["producer"] = _plain(self.producer, _PRODUCER)
        doc["origin"] = _plain(self.origin, _ORIGIN)
        doc["origin"]["certificates"] = list(self.origin.certificates)
        doc["aliases"] = list(self.aliases)
        # Stores keep variants in their own rows; the units ride along in the product's doc.
        doc["variant_units"] = {v.label: v.unit for v in self.variants if v.unit}
        return doc

    def unit_of(self, label: str) -> str:
        """The unit a variant's stock is counted in ("" when the catalog names none)."""
        found = self.variant(label)
        return (found.unit if found is not None and found.unit else "") or self.unit


_PRODUCT, _VARIANT = _names(Product), _names(Variant)
_PRODUCER, _ORIGIN = _names(Producer), _names(Origin)


def sku(code: str, label: str) -> str:
    """The key viewers see for a variant: ``A1:1kg`` (or ``A1`` for a single-variant one)."""
    return f"{code}:{label}" if label else code


@dataclass(frozen=True, slots=True)
class StockLevel:
    """A variant's books: available + held + sold == total, always."""

    code: str
    variant: str
    total: int
    available: int
    held: int
    sold: int
    price: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code, "variant": self.variant, "available": self.available,
            "held": self.held, "sold": self.sold, "total": self.total,
        }


class ShowStatus(StrEnum):
    DRAFT = "draft"
    LIVE = "live"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class FlashDeal:
    code: str
    price: int
    ends_at: float
    variant: str | None = None
    quantity: int | None = None
    taken: int = 0
    started_at: float = 0.0
    # The price without the deal (shown struck through beside it).
    list_price: int | None = None

    def active(self, now: float) -> bool:
        return now < self.ends_at and (self.quantity is None or self.taken < self.quantity)

    def applies(self, code: str, variant: str, now: float) -> bool:
        return (
            self.active(now)
            and self.code.casefold() == code.casefold()
            and (self.variant is None or self.variant.casefold() == variant.casefold())
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Show:
    id: str
    title: str
    lineup: tuple[str, ...]
    stream_url: str = ""
    status: ShowStatus = ShowStatus.DRAFT
    pinned: str | None = None
    # The size "+1" and "chốt" mean while this product is pinned (e.g. the host says "1kg").
    pinned_variant: str | None = None
    flash: FlashDeal | None = None
    hold_minutes: int = 30
    max_per_buyer: int = 10
    order_prefix: str = "DD"
    created_at: float = 0.0
    started_at: float | None = None
    ended_at: float | None = None
    # when the show is planned to start (shown with a countdown before it goes live)
    starts_at: float | None = None
    # "live" for a livestream; "booth" for the standing shop that takes orders between shows
    kind: str = "live"
    # Confirmed orders unpaid this many hours after confirmation are flagged, then released
    # (domain/payments.py deadline_step); None: no deadline.
    payment_hours: int | None = None
    # Orders from customers whose history is risky: "" takes them, "phone" only with a phone
    # in the comment, "review" only after staff approve them (domain.customers.gate).
    risky_customers: str = ""
    # The Facebook post (page_post id) of the live video whose Page webhook comments feed
    # this show; empty when the show takes no Facebook webhook comments.
    facebook_post_id: str = ""
    # Talk back: reply to each buyer on their platform with what their comment made.
    talk_back: bool = False
    # First paid, first served: order comments reserve nothing; a payment takes the units
    # (domain/first_paid.py). Off by default.
    first_paid: bool = False

    def changed(self, changes: dict[str, Any]) -> Show:
        """A copy with some fields changed; ``flash`` and ``status`` may come as JSON values."""
        values = dict(changes)
        if isinstance(values.get("flash"), dict):
            values["flash"] = FlashDeal(**values["flash"])
        if "status" in values:
            values["status"] = ShowStatus(values["status"])
        return replace(self, **values)

    def to_json(self) -> dict[str, Any]:
        doc = _plain(self, _SHOW)
        doc["status"] = str(self.status)
        doc["lineup"] = list(self.lineup)
        doc["flash"] = self.flash.to_json() if self.flash else None
        return doc


_SHOW = _names(Show)


class LineState(StrEnum):
    HELD = "held"
    WAITLISTED = "waitlisted"
    CONFIRMED = "confirmed"
    RELEASED = "released"
    # first paid, first served (domain/first_paid.py): asked for, nothing held yet; and
    # asked for, paid, but the units went to a buyer who paid first
    REQUESTED = "requested"
    SOLD_OUT = "sold_out"


class OrderStatus(StrEnum):
    CAPTURED = "captured"
    CONFIRMED = "confirmed"
    PAID = "paid"
    SHIPPED = "shipped"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    RETURNED = "returned"  # shipped, then refused or sent back by the buyer


@dataclass(slots=True)
class OrderLine:
    id: int
    code: str
    variant: str
    qty: int
    unit_price: int
    state: LineState
    created_at: float
    expires_at: float | None = None
    wait_seq: int | None = None
    comment_id: int | None = None
    confidence: float | None = None  # the parser's, for a line made from a comment
    said: str = ""  # the comment the line was read from

    @property
    def amount(self) -> int:
        return self.qty * self.unit_price

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "code": self.code, "variant": self.variant, "qty": self.qty,
            "unit_price": self.unit_price, "state": self.state.value,
            "expires_at": self.expires_at, "amount": self.amount,
            "confidence": self.confidence, "said": self.said,
            "comment_id": self.comment_id,  # the comment it came from (staff JSON only)
        }


@dataclass(frozen=True, slots=True)
class Contact:
    name: str = ""
    phone: str = ""
    address: str = ""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: float
    actor: str
    action: str
    detail: str = ""
    comment_id: int | None = None


@dataclass(slots=True)
class Order:
    code: str
    show_id: str
    buyer: str
    buyer_name: str
    status: OrderStatus
    lines: list[OrderLine]
    contact: Contact
    version: int
    token: str
    created_at: float
    updated_at: float
    audit: list[AuditEntry] = field(default_factory=list)
    # Money matched to the order from bank transfers, and "underpaid"/"overpaid" when the
    # sum is not the total (see domain/payments.py).
    received: int = 0
    payment_flag: str = ""

    @property
    def total(self) -> int:
        """What the buyer owes: held, requested (first paid, first served) and confirmed
        lines (waitlisted ones are not promised, sold-out ones are refunded)."""
        return sum(
            line.amount for line in self.lines
            if line.state in (LineState.HELD, LineState.CONFIRMED, LineState.REQUESTED)
        )

    def buyer_url(self, base_url: str) -> str:
        """The absolute link to the buyer's own order page on the server at ``base_url``."""
        return f"{base_url}/o/{self.code}?t={self.token}"

    def to_json(self, *, audit: bool = True, base_url: str = "") -> dict[str, Any]:
        """The order for staff; with ``base_url`` (the server's public address) it carries
        ``buyer_url``, the link staff send the buyer."""
        contact = self.contact
        doc: dict[str, Any] = {
            "code": self.code, "show_id": self.show_id, "buyer": self.buyer,
            "buyer_name": self.buyer_name, "status": self.status.value,
            "lines": [line.to_json() for line in self.lines],
            "contact": {"name": contact.name, "phone": contact.phone,
                        "address": contact.address},
            "version": self.version, "total": self.total,
            "created_at": self.created_at, "updated_at": self.updated_at,
            "received": self.received, "payment_flag": self.payment_flag,
        }
        if base_url:
            doc["buyer_url"] = self.buyer_url(base_url)
        if audit:
            doc["audit"] = [asdict(a) for a in self.audit]
        return doc


class CommentStatus(StrEnum):
    ORDERED = "ordered"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    QUESTION = "question"
    IGNORED = "ignored"
    DUPLICATE = "duplicate"
    REVIEW = "review"
    REJECTED = "rejected"
    CONTACT = "contact"  # a follow-up set the phone or address of the buyer's order


SOURCES = ("site", "facebook", "youtube", "twitch", "tiktok", "webhook", "sim",
           "instagram", "kick")


@dataclass(frozen=True, slots=True)
class Comment:
    """One comment as it arrived, before anything came of it."""

    show_id: str
    source: str
    source_id: str
    author_id: str
    author_name: str
    text: str
    received_at: float

    @property
    def buyer(self) -> str:
        return f"{self.source}:{self.author_id}"


@dataclass(frozen=True, slots=True)
class CaptureResult:
    """What came of one comment: the answer the intake returns for it."""

    id: str
    status: CommentStatus
    order: str | None = None
    reason: str = ""
    token: str = ""

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"id": self.id, "status": str(self.status)}
        if self.order:
            doc["order"] = self.order
        if self.reason:
            doc["reason"] = self.reason
        return doc


@dataclass(frozen=True, slots=True)
class ReviewItem:
    id: int
    show_id: str
    comment_id: int
    buyer: str
    author_name: str
    text: str
    reason: str
    status: str
    created_at: float
    order: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "show_id": self.show_id, "comment_id": self.comment_id,
                "buyer": self.buyer, "author_name": self.author_name, "text": self.text,
                "reason": self.reason, "status": self.status, "created_at": self.created_at,
                "order": self.order}
