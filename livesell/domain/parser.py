"""Comment parser: turns one live-stream comment into an intent (order, cancel, question...).

The grammar is in DESIGN.md ("Comment grammar"). The parser is pure and compiled once per
lineup: one master regular expression (vocabulary, decoys, lineup codes, product names and
aliases) is scanned once per comment, the tokens it yields are read for frames that rule an
order out (greetings, past purchases, hypotheticals, advice to others), then grouped around
the codes and names they belong to, and each group is resolved to an item
(:mod:`livesell.domain.parser_items`; the decision itself is in
:mod:`livesell.domain.parser_decide`). Whatever cannot be decided safely becomes
``review``, never a guess.

Quantities: a bare number counts only right beside a code (or right after an order word
for the pinned product); "x2", "2 hu", "sl 2" and "+2" count anywhere in their group.

Confidence is calibrated on the labelled corpus (tests/data/comments.yaml): an order read
with less than ``min_confidence`` becomes ``review`` with the guess kept for staff.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .models import Product
from .parser_decide import decide
from .parser_items import Item, LineupProduct, Tables
from .reasons import LOW_CONFIDENCE, reason
from .textnorm import MAX_TEXT, normalize
from .units import scan

__all__ = [
    "DEFAULT_MIN_CONFIDENCE", "MAX_TEXT", "Intent", "Item", "LineupProduct", "Parser", "gate",
    "lineup_product", "normalize",
]

DEFAULT_MIN_CONFIDENCE = 0.8
"""Orders read with less confidence go to review; chosen on the corpus (see BENCHMARKS.md)."""


@dataclass(frozen=True, slots=True)
class Intent:
    """What a comment asks for.

    ``kind`` is ``order``, ``cancel``, ``question``, ``chat`` or ``review``. For ``cancel``,
    each item's qty is the number stated in the comment (1 when none) and an empty
    ``items`` means the whole open order. For ``question``, items are the products asked
    about. ``review`` items are empty: staff read the comment itself, helped by ``guess``
    (what the parser would have ordered, when it had a reading but too little confidence).
    ``reason`` is a typed code (:mod:`livesell.domain.reasons`).
    """

    kind: str
    items: tuple[Item, ...]
    phone: str | None
    reason: str
    confidence: float
    guess: tuple[Item, ...] = ()

    def to_json(self) -> dict[str, object]:
        """Plain JSON-ready mapping of the intent."""
        doc: dict[str, object] = {
            "kind": self.kind,
            "items": [{"code": i.code, "variant": i.variant, "qty": i.qty} for i in self.items],
            "phone": self.phone,
            "reason": self.reason,
            "confidence": self.confidence,
        }
        if self.guess:
            doc["guess"] = [{"code": i.code, "variant": i.variant, "qty": i.qty}
                            for i in self.guess]
        return doc


def lineup_product(product: Product) -> LineupProduct:
    """The parser's view of a catalog product: code, name, labels, aliases and units."""
    return LineupProduct(
        product.code, product.name, tuple(v.label for v in product.variants) or ("",),
        product.aliases, tuple(product.unit_of(v.label) for v in product.variants),
    )


def gate(intent: Intent, min_confidence: float) -> Intent:
    """The intent, or ``review`` (the items kept as ``guess``) for an order below the bar."""
    if intent.kind != "order" or intent.confidence >= min_confidence:
        return intent
    reading = ", ".join(reading_of(i) for i in intent.items)
    return Intent("review", (), intent.phone,
                  reason(LOW_CONFIDENCE, round(intent.confidence * 100), reading),
                  intent.confidence, intent.items)


def reading_of(item: Item) -> str:
    """An item as staff write it: ``A1 1kg x2``."""
    return f"{item.code} {item.variant} x{item.qty}" if item.variant else f"{item.code} x{item.qty}"


class Parser:
    """Compiled once per show context (lineup + pinned); parse() builds no regexes per call."""

    __slots__ = ("_t", "_pinned", "_min")

    def __init__(
        self, lineup: Sequence[LineupProduct], pinned: str | None = None, max_qty: int = 50,
        min_confidence: float = 0.0,
    ) -> None:
        """Compile the lineup. ``pinned`` is a lineup code (any case) or None.

        ``min_confidence``: orders read with less go to review (0 keeps every reading).
        Raises ValueError on duplicate codes or a pinned code that is not in the lineup.
        """
        if max_qty < 1:
            raise ValueError("max_qty must be at least 1")
        self._t = Tables(lineup, max_qty)
        self._pinned = self._pinned_index(pinned)
        self._min = min_confidence

    def _pinned_index(self, pinned: str | None) -> int | None:
        if pinned is None:
            return None
        idx = self._t.by_code.get(pinned.strip().lower())
        if idx is None:
            raise ValueError(f"pinned code {pinned!r} is not in the lineup")
        return idx

    def with_pinned(self, pinned: str | None) -> Parser:
        """A parser for the same lineup with another pinned product; reuses compiled tables."""
        other = object.__new__(Parser)
        other._t = self._t
        other._pinned = self._pinned_index(pinned)
        other._min = self._min
        return other

    def without_gate(self) -> Parser:
        """The same parser keeping every reading, whatever its confidence."""
        other = self.with_pinned(self.pinned)
        other._min = 0.0
        return other

    @property
    def codes(self) -> tuple[str, ...]:
        """The lineup's codes, as the catalog writes them."""
        return tuple(p.code for p in self._t.products)

    @property
    def pinned(self) -> str | None:
        """Canonical code of the pinned product, or None."""
        return None if self._pinned is None else self._t.products[self._pinned].code

    def parse(self, text: str) -> Intent:
        """Parse one comment into an Intent. Never raises on any string."""
        s = normalize(text)
        found = scan(self._t.scanner, self._t.kw, s)
        kind, items, code, conf, guess = decide(self._t, self._pinned, s, found)
        intent = Intent(kind, items, found.phone, code, conf, guess)
        return gate(intent, self._min) if self._min else intent
