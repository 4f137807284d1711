"""Comment parser: turns one live-stream comment into an intent (order, cancel, question...).

The grammar is in DESIGN.md ("Comment grammar"). The parser is pure and compiled once per
lineup: one master regular expression (vocabulary, decoys, lineup codes and product names)
is scanned once per comment, the tokens it yields are grouped around the codes and names
they belong to, and each group is resolved to an item. Whatever cannot be decided safely
becomes ``review``, never a guess.

Quantities: a bare number counts only right beside a code (or right after an order word
for the pinned product); "x2", "2 hu", "sl 2" and "+2" count anywhere in their group.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .textnorm import KEYWORDS, MAX_TEXT, normalize
from .units import (
    EXPLICIT,
    NUMBER_WORDS,
    Token,
    Unresolved,
    compile_scanner,
    parse_label,
    resolve,
    scan,
)

__all__ = ["MAX_TEXT", "Intent", "Item", "LineupProduct", "Parser", "normalize"]


@dataclass(frozen=True, slots=True)
class LineupProduct:
    """A product of the show's lineup as the parser sees it."""

    code: str
    name: str
    variants: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Item:
    """One product line named by a comment; ``variant`` is a catalog label or None."""

    code: str
    variant: str | None
    qty: int


@dataclass(frozen=True, slots=True)
class Intent:
    """What a comment asks for.

    ``kind`` is ``order``, ``cancel``, ``question``, ``chat`` or ``review``. For ``cancel``,
    each item's qty is the number stated in the comment (1 when none) and an empty
    ``items`` means the whole open order. For ``question``, items are the products asked
    about. ``review`` items are empty: staff read the comment itself.
    """

    kind: str
    items: tuple[Item, ...]
    phone: str | None
    reason: str
    confidence: float

    def to_json(self) -> dict[str, object]:
        """Plain JSON-ready mapping of the intent."""
        return {
            "kind": self.kind,
            "items": [{"code": i.code, "variant": i.variant, "qty": i.qty} for i in self.items],
            "phone": self.phone,
            "reason": self.reason,
            "confidence": self.confidence,
        }


# Code-shaped words that are addresses, weekdays, sizes or levels, not product codes.
_NOT_CODES = frozenset(
    "q p f t h x k g d s m l xl tp kp cn lv vip top ver mp lh fb tt yt no so ap to lo hem ngo"
    " sl size".split()
)
_LIKELY_CODE = re.compile(r"[a-z]{1,2}\d{1,2}")
_LETTER = re.compile(r"[a-z]")
_QTY = frozenset({"cnt", "sl", "xq", "qx", "plus", "num", "nw"})
_PLAIN_QTY = frozenset({"sl", "xq", "qx", "plus"})


class _Tables:
    """Everything compiled from a lineup; shared by every Parser with the same lineup."""

    __slots__ = ("products", "by_code", "names", "labels", "plain", "kw", "scanner", "max_qty")

    def __init__(self, lineup: Sequence[LineupProduct], max_qty: int) -> None:
        self.products = tuple(lineup)
        self.max_qty = max_qty
        self.by_code: dict[str, int] = {}
        for i, p in enumerate(self.products):
            key = p.code.strip().lower()
            if not key or key in self.by_code:
                raise ValueError(f"empty or duplicate product code {p.code!r}")
            self.by_code[key] = i
        self.labels = [[(lab, *parse_label(lab)) for lab in p.variants] for p in self.products]
        self.plain = [Item(p.code, None, 1) for p in self.products]
        # The first two or more words of a name name a product. One word alone ("cua",
        # "tom") is far too common in chat once diacritics are gone, and a name's tail is
        # often a place ("Dam Doi", "U Minh") that viewers mention for other reasons.
        names: dict[str, set[int]] = {}
        for i, p in enumerate(self.products):
            words = normalize(p.name).split()
            for b in range(2, len(words) + 1):
                names.setdefault(" ".join(words[:b]), set()).add(i)
        self.names = {k: tuple(sorted(v)) for k, v in names.items()}
        # Product names, variant label words and number words: a second, small trie tried
        # after the shared keyword trie, so a keyword keeps its meaning.
        self.kw = dict(KEYWORDS)
        extra = [(n, "name") for n in self.names]
        extra += [(w, "wl") for labs in self.labels for _, _, ws in labs for w in ws]
        extra += [(w, "nw") for w in NUMBER_WORDS]
        local = {p: k for p, k in extra if p not in KEYWORDS}
        for phrase, kind in extra:
            self.kw.setdefault(phrase, kind)
        self.scanner = compile_scanner(self.by_code, local)


class Parser:
    """Compiled once per show context (lineup + pinned); parse() builds no regexes per call."""

    __slots__ = ("_t", "_pinned")

    def __init__(
        self, lineup: Sequence[LineupProduct], pinned: str | None = None, max_qty: int = 50
    ) -> None:
        """Compile the lineup. ``pinned`` is a lineup code (any case) or None.

        Raises ValueError on duplicate codes or a pinned code that is not in the lineup.
        """
        if max_qty < 1:
            raise ValueError("max_qty must be at least 1")
        self._t = _Tables(lineup, max_qty)
        self._pinned = self._pinned_index(pinned)

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
        return other

    @property
    def pinned(self) -> str | None:
        """Canonical code of the pinned product, or None."""
        return None if self._pinned is None else self._t.products[self._pinned].code

    def parse(self, text: str) -> Intent:
        """Parse one comment into an Intent. Never raises on any string."""
        s = normalize(text)
        tokens, phone = scan(self._t.scanner, self._t.kw, s)
        return _decide(self._t, self._pinned, s, tokens, phone)


def _adjacent(s: str, a: Token, b: Token) -> bool:
    """True when only spaces or punctuation separate token ``a`` from the later token ``b``."""
    return _LETTER.search(s, a[2], b[1]) is None


def _only_tokens(s: str, tokens: list[Token]) -> bool:
    """True when every letter of the comment belongs to a token (nothing else was said)."""
    pos = 0
    for tok in tokens:
        if _LETTER.search(s, pos, tok[1]) is not None:
            return False
        pos = tok[2]
    return _LETTER.search(s, pos) is None


_CHAT = Intent("chat", (), None, "no order", 0.9)
_CHANGE_REASONS = {
    "change": "asks to change or keep part of an order",
    "bulk": "asks for all the stock",
}


def _review(reason: str, phone: str | None) -> Intent:
    return Intent("review", (), phone, reason, 0.5)


def _decide(
    t: _Tables, pinned: int | None, s: str, tokens: list[Token], phone: str | None
) -> Intent:
    """The intent of a scanned comment: flags from its words first, then items if any."""
    if not tokens:
        return _CHAT if phone is None else Intent("chat", (), phone, "no order", 0.9)
    order = cancel = question = asked = already = later = explicit = False
    by_code = has_meas = seed = False
    change = ""
    anchors: list[tuple[int, int]] = []  # (token index, product index)
    unknown: list[str] = []
    for i, tok in enumerate(tokens):
        kind = tok[0]
        if kind == "meas":
            has_meas = True
        elif kind == "change" or kind == "bulk":
            change = change or kind
        elif kind == "seed":
            seed = True
        elif kind == "order":
            order = True
        elif kind == "cancel":
            cancel = True
        elif kind in ("qphrase", "qword"):
            question = True
        elif kind == "qmark":
            asked = True
        elif kind in ("already", "notnow"):
            already = True
            later = later or kind == "notnow"
        elif kind in EXPLICIT:
            explicit = True
            order = order or kind == "plus"
        elif kind == "code":
            code = str(tok[3])
            idx = t.by_code.get(code)
            if idx is not None:
                anchors.append((i, idx))
                by_code = True
            elif code.rstrip("0123456789") not in _NOT_CODES:
                unknown.append(code)
        elif kind == "name":
            found = t.names[str(tok[3])]
            if len(found) > 1:
                unknown.append(f"'{tok[3]}'")
            else:
                anchors.append((i, found[0]))
    if already:
        if order:
            return _review("already-ordered phrase with a new order", phone)
        return Intent("chat", (), phone, "not now" if later else "already ordered", 0.9)
    if cancel and order:
        return _review("cancel and order in one comment", phone)
    if change == "bulk" or (change and (anchors or unknown or order or cancel or explicit)):
        return _review(_CHANGE_REASONS[change], phone)
    if seed and not order and not cancel:
        return Intent("chat", (), phone, "tells others to buy", 0.8)
    for code in unknown:
        if code.startswith("'"):
            if order or explicit or cancel or by_code or has_meas:
                return _review(f"ambiguous product name {code}", phone)
            continue
        if order or explicit or cancel or by_code:
            return _review(f"unknown code {code.upper()}", phone)
        if _LIKELY_CODE.fullmatch(code) and _only_tokens(s, tokens):
            return _review(f"unknown code {code.upper()}", phone)
    # A question word beats a stated quantity ("bn 1 hu vay"); a bare "?" does not.
    if not order and (question or (asked and not explicit)):
        items = _items_quietly(t, s, tokens, anchors)
        return Intent("question", items, phone, "question", 0.8)
    try:
        if cancel:
            if anchors:
                items = _items(t, s, tokens, anchors)
            elif explicit and pinned is not None:
                items = (_resolve(t, pinned, tokens, None),)
            elif explicit:
                return _review("cancel a quantity with nothing pinned", phone)
            else:
                items = ()
            return Intent("cancel", items, phone, "cancel", 0.9)
        sole_meas = has_meas and _only_tokens(s, tokens)
        if anchors and (order or explicit or by_code or sole_meas):
            items = _items(t, s, tokens, anchors)
            reason = "order by code" if by_code else "order by product name"
            return Intent("order", items, phone, reason, 0.95 if order or explicit else 0.9)
        if not anchors and (order or explicit or sole_meas):
            if pinned is None:
                return _review("order with nothing pinned and no code", phone)
            item = _resolve(t, pinned, tokens, _bare_after_order(s, tokens))
            return Intent("order", (item,), phone, "order for the pinned product", 0.8)
    except Unresolved as exc:
        return _review(str(exc), phone)
    if all(tok[0] == "num" for tok in tokens) and _only_tokens(s, tokens):
        if any(0 < int(str(tok[3])) <= t.max_qty for tok in tokens):
            return _review("bare number without a product", phone)
    return Intent("chat", (), phone, "no order", 0.9)


def _bare_after_order(s: str, tokens: list[Token]) -> int | None:
    for prev, tok in zip(tokens, tokens[1:], strict=False):
        if prev[0] == "order" and tok[0] in ("num", "nw") and _adjacent(s, prev, tok):
            return int(str(tok[3]))
    return None


def _items_quietly(
    t: _Tables, s: str, tokens: list[Token], anchors: list[tuple[int, int]]
) -> tuple[Item, ...]:
    """Products a question is about; quantities and variants are best effort."""
    if not anchors:
        return ()
    try:
        return _items(t, s, tokens, anchors)
    except Unresolved:
        seen = dict.fromkeys(idx for _, idx in anchors)
        return tuple(Item(t.products[idx].code, None, 1) for idx in seen)


def _items(
    t: _Tables, s: str, tokens: list[Token], anchors: list[tuple[int, int]]
) -> tuple[Item, ...]:
    """Group attribute tokens around their anchors (codes or names) and resolve each item."""
    # A code next to a name of the same product ("A2 cua muoi") is one mention.
    merged: list[tuple[int, int]] = []
    for pos, idx in anchors:
        if merged and merged[-1][1] == idx and merged[-1][0] == pos - 1:
            continue
        merged.append((pos, idx))
    spans = [pos for pos, _ in merged]
    prefix = tokens[: spans[0]]
    if len(merged) == 1:
        pos, idx = merged[0]
        return (_resolve_near(t, s, idx, tokens[pos], prefix, tokens[pos + 1 :]),)
    segs = [tokens[a + 1 : b] for a, b in zip(spans, spans[1:] + [len(tokens)], strict=True)]
    # "2 A1 3 B1": quantities lead their codes when the comment starts with one and the
    # last code has none after it; otherwise they follow ("A1 2 B1 3").
    lead = _has_qty(s, prefix, tokens[spans[0]], False) and not _has_qty(
        s, segs[-1], tokens[spans[-1]], True
    )
    out: dict[tuple[str, str | None], Item] = {}
    if lead:
        # Between two codes, a variant right after the first still belongs to it
        # ("1 A1 1kg va 2 A2"); the quantity that follows leads the next code.
        tails: list[list[Token]] = []
        heads: list[list[Token]] = [prefix]
        for seg in segs[:-1]:
            cut = next((i for i, tok in enumerate(seg) if tok[0] in _QTY), len(seg))
            tails.append(seg[:cut])
            heads.append(seg[cut:])
        tails.append(segs[-1])
    for j, (pos, idx) in enumerate(merged):
        anchor = tokens[pos]
        if lead:
            before, after = heads[j], tails[j]
        else:
            before = prefix if j == 0 else []
            after = segs[j]
        item = _resolve_near(t, s, idx, anchor, before, after)
        key = (item.code, item.variant)
        if key in out and out[key].qty != item.qty:
            raise Unresolved(f"{item.code} named twice with different quantities")
        out[key] = item
    return tuple(out.values())


def _has_qty(s: str, toks: list[Token], anchor: Token, after: bool) -> bool:
    """Whether ``toks`` (beside ``anchor``) state a quantity for it."""
    if not toks:
        return False
    for tok in toks:
        if tok[0] in EXPLICIT:
            return True
    near = toks[0] if after else toks[-1]
    a, b = (anchor, near) if after else (near, anchor)
    return near[0] in ("num", "nw") and _adjacent(s, a, b)


def _resolve_near(
    t: _Tables, s: str, idx: int, anchor: Token, before: list[Token], after: list[Token]
) -> Item:
    """Resolve one anchor with the tokens before and after it."""
    bare = _bare_near(s, anchor, after, 1)
    if bare is None and before:
        bare = _bare_near(s, anchor, before[::-1], -1)
    return _resolve(t, idx, before + after, bare)


def _bare_near(s: str, anchor: Token, toks: list[Token], step: int) -> int | None:
    """A bare number next to the anchor, past any variant ("A1 1kg 3"); toks run away from it."""
    prev = anchor
    for tok in toks:
        a, b = (prev, tok) if step > 0 else (tok, prev)
        if not _adjacent(s, a, b):
            return None
        if tok[0] in ("num", "nw"):
            return int(str(tok[3]))
        if tok[0] not in ("meas", "wl"):
            return None
        prev = tok
    return None


def _resolve(t: _Tables, idx: int, attrs: list[Token], bare: int | None) -> Item:
    """One item from a product and the attribute tokens attached to it."""
    if bare is None:
        if not attrs:
            return t.plain[idx]
        if len(attrs) == 1 and attrs[0][0] in _PLAIN_QTY:  # the common "A1 x2"
            qty = attrs[0][3]
            if isinstance(qty, int) and 1 <= qty <= t.max_qty:
                return Item(t.products[idx].code, None, qty)
    code = t.products[idx].code
    variant, qty = resolve(code, t.labels[idx], attrs, bare, t.max_qty)
    return Item(code, variant, qty)
