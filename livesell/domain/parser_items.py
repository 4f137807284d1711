"""The parser's compiled lineup tables, and how tokens near a product become items.

A product is named by its code, by the first two or more words of its name, or by one of
the catalog's aliases. Tokens are grouped around those anchors; each group resolves to one
item, or to several when one product is named with several sizes ("A1 1kg 1 con, 500g 2
con"). Whatever cannot be decided safely raises :class:`Unresolved` with a reason code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .reasons import NAMED_TWICE, reason
from .textnorm import KEYWORDS, normalize
from .units import (
    EXPLICIT,
    NUMBER_WORDS,
    Measure,
    Token,
    Unresolved,
    compile_scanner,
    parse_label,
    resolve,
)


@dataclass(frozen=True, slots=True)
class LineupProduct:
    """A product of the show's lineup as the parser sees it.

    ``aliases`` are other names viewers use ("nhàu", "cua gạch"); ``units`` the unit each
    variant is counted in ("hũ", "hộp 20 túi"), one per variant or one for all.
    """

    code: str
    name: str
    variants: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    units: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Item:
    """One product line named by a comment; ``variant`` is a catalog label or None."""

    code: str
    variant: str | None
    qty: int
    # How sure the parser was (0..1) and what the viewer wrote; the capture path fills these
    # in and the store keeps them on the line the item makes.
    confidence: float | None = None
    said: str = ""


_LETTER = re.compile(r"[a-z]")
_QTY = frozenset({"cnt", "sl", "xq", "qx", "plus", "num", "nw"})
_PLAIN_QTY = frozenset({"sl", "xq", "qx", "plus"})
_SIZE = frozenset({"meas", "wl"})
Label = tuple[str, Measure | None, frozenset[str]]


def _unit_word(unit: str) -> str:
    words = normalize(unit).split()
    return words[0] if words else ""


class Tables:
    """Everything compiled from a lineup; shared by every Parser with the same lineup."""

    __slots__ = ("products", "by_code", "names", "labels", "plain", "kw", "scanner", "max_qty",
                 "hints", "sizes")

    def __init__(self, lineup: Sequence[LineupProduct], max_qty: int) -> None:
        self.products = tuple(lineup)
        self.max_qty = max_qty
        self.by_code: dict[str, int] = {}
        for i, p in enumerate(self.products):
            key = p.code.strip().lower()
            if not key or key in self.by_code:
                raise ValueError(f"empty or duplicate product code {p.code!r}")
            self.by_code[key] = i
        self.labels: list[list[Label]] = []
        # Words that point at a product's variants: label words and the unit it is sold in.
        self.hints: list[frozenset[str]] = []
        self.sizes: list[frozenset[str]] = []  # label words proper ("lon", "chai"), no units
        for p in self.products:
            units = p.units if len(p.units) == len(p.variants) else p.units[:1] * len(p.variants)
            labs: list[Label] = []
            for n, lab in enumerate(p.variants):
                measure, words = parse_label(lab)
                unit = _unit_word(units[n]) if units else ""
                labs.append((lab, measure, words | {unit} if unit else words))
            self.labels.append(labs)
            self.sizes.append(frozenset(w for v in p.variants for w in parse_label(v)[1]))
            self.hints.append(frozenset(w for _, _, ws in labs for w in ws))
        self.plain = [Item(p.code, None, 1) for p in self.products]
        # The first two or more words of a name name a product. One word alone ("cua",
        # "tom") is far too common in chat once diacritics are gone, and a name's tail is
        # often a place ("Dam Doi", "U Minh") that viewers mention for other reasons. The
        # catalog's aliases are taken as written, one word or more.
        names: dict[str, set[int]] = {}
        for i, p in enumerate(self.products):
            name_words = normalize(p.name).split()
            for b in range(2, len(name_words) + 1):
                names.setdefault(" ".join(name_words[:b]), set()).add(i)
            for alias in p.aliases:
                folded = normalize(alias)
                if folded and folded not in KEYWORDS and folded not in self.by_code:
                    names.setdefault(folded, set()).add(i)
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

    def pick_by_hints(self, found: tuple[int, ...], tokens: list[Token]) -> int | None:
        """The one product of ``found`` that the comment's unit and size words fit, or None."""
        words: set[str] = set()
        sizes: set[Measure] = set()
        for kind, _, _, value in tokens:
            if kind == "cnt":
                assert isinstance(value, tuple)
                words.add(str(value[1]))
            elif kind == "wl":
                words.add(str(value))
            elif kind == "meas":
                assert isinstance(value, tuple)
                sizes.add(value[0])
        if not words and not sizes:
            return None
        fits = [i for i in found
                if (not words or self.hints[i] & words)
                and (not sizes or any(lab[1] in sizes for lab in self.labels[i]))]
        return fits[0] if len(fits) == 1 else None


def adjacent(s: str, a: Token, b: Token) -> bool:
    """True when only spaces or punctuation separate token ``a`` from the later token ``b``."""
    return _LETTER.search(s, a[2], b[1]) is None


def items_of(
    t: Tables, s: str, tokens: list[Token], anchors: list[tuple[int, int]], add_up: bool
) -> tuple[Item, ...]:
    """Group attribute tokens around their anchors (codes or names) and resolve each item.

    ``add_up``: the same product named twice with quantities is added up ("1 A2 cho mẹ,
    1 A2 cho em" is 2), as when each mention has its own recipient.
    """
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
        return _resolve_sizes(t, s, idx, tokens[pos], prefix, tokens[pos + 1 :])
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
        for k, seg in enumerate(segs[:-1]):
            cut, prev = len(seg), tokens[spans[k]]
            for i, tok in enumerate(seg):
                # a size away from the previous code leads the next one ("... với nửa ký tôm")
                if tok[0] in _QTY or (tok[0] == "meas" and not adjacent(s, prev, tok)):
                    cut = i
                    break
                prev = tok
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
        for item in _resolve_sizes(t, s, idx, anchor, before, after):
            key = (item.code, item.variant)
            if key in out:
                if add_up:
                    item = Item(item.code, item.variant, out[key].qty + item.qty)
                    if item.qty > t.max_qty:
                        raise Unresolved(reason(NAMED_TWICE, item.code))
                elif out[key].qty != item.qty:
                    raise Unresolved(reason(NAMED_TWICE, item.code))
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
    if not after and near[0] == "meas":  # "1 ký cua gạch": a size leads its product
        return adjacent(s, a, b)
    return near[0] in ("num", "nw") and adjacent(s, a, b)


def _resolve_sizes(
    t: Tables, s: str, idx: int, anchor: Token, before: list[Token], after: list[Token]
) -> tuple[Item, ...]:
    """One product's items: one, or one per size when sizes follow each other with counts."""
    groups = [after]
    if len(after) > 2:
        groups = []
        current: list[Token] = []
        sized = counted = False
        for tok in after:
            size = tok[0] == "meas" or (tok[0] == "wl" and tok[3] in t.sizes[idx])
            if size and sized and counted:
                groups.append(current)
                current, counted = [], False
            if size:
                sized = True
            elif tok[0] in _QTY:
                counted = True
            current.append(tok)
        groups.append(current)
    first = resolve_near(t, s, idx, anchor, before, groups[0])
    if len(groups) == 1:
        return (first,)
    out = {first.variant: first}
    for group in groups[1:]:
        bare = _bare_near(s, group[0], group[1:], 1)
        code = t.products[idx].code
        variant, qty = resolve(code, t.labels[idx], group, bare, t.max_qty)
        if variant in out:
            raise Unresolved(reason(NAMED_TWICE, code))
        out[variant] = Item(code, variant, qty)
    return tuple(out.values())


def resolve_near(
    t: Tables, s: str, idx: int, anchor: Token, before: list[Token], after: list[Token]
) -> Item:
    """Resolve one anchor with the tokens before and after it."""
    bare = _bare_near(s, anchor, after, 1)
    if bare is None and before:
        bare = _bare_near(s, anchor, before[::-1], -1)
    return resolve_item(t, idx, before + after, bare)


def _bare_near(s: str, anchor: Token, toks: list[Token], step: int) -> int | None:
    """A bare number next to the anchor, past any variant ("A1 1kg 3"); toks run away from it."""
    prev = anchor
    for tok in toks:
        a, b = (prev, tok) if step > 0 else (tok, prev)
        if not adjacent(s, a, b):
            return None
        if tok[0] in ("num", "nw"):
            return int(str(tok[3]))
        if tok[0] not in _SIZE:
            return None
        prev = tok
    return None


def resolve_item(t: Tables, idx: int, attrs: list[Token], bare: int | None) -> Item:
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
