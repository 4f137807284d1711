"""What a scanned comment means: frames first, then positive evidence, then a confidence.

Precision before recall. An order needs positive evidence (an order word used as an order, a
code, a quantity or a size), and a clause that tells a past purchase, gives advice to
others or says "... rồi" after its order word orders nothing; a hypothetical ("bữa nào",
"hết tiền") rules the whole comment out. The confidence of an order is the share of such
readings that were right on the labelled corpus: it grows with the evidence (code, strong
order word, quantity) and falls with each word the parser could not account for.
"""

from __future__ import annotations

import bisect
import re

from . import reasons as r
from .parser_items import Item, Tables, adjacent, items_of, resolve_item
from .units import EXPLICIT, Scanned, Token, Unresolved

# Code-shaped words that are addresses, weekdays, sizes or levels, not product codes.
_NOT_CODES = frozenset(
    "q p f t h x k g d s m l xl tp kp cn lv vip top ver mp lh fb tt yt no so ap to lo hem ngo"
    " sl size".split()
)
_LIKELY_CODE = re.compile(r"[a-z]{1,2}\d{1,2}")
_LETTER = re.compile(r"[a-z]")
# Live-selling order words: a viewer who types these means to order.
_STRONG = frozenset({"chot", "chot don", "lay", "xi", "dat hang", "len don", "order", "sold",
                     "mine", "take"})
# Clause boundaries: punctuation and the words that start a new clause.
_CLAUSE = re.compile(r"[,.;!?]|\s[-:]\s|\s(?:nhung|ma|hom nay|bay gio|nay|xong|con)\s")
_FRAME_KINDS = frozenset({"past", "advice", "seed"})
_CONTEXT = frozenset({"past", "advice", "rev", "roi"})
_ASKING = frozenset({"qphrase", "qword", "qmark"})
_ORDERING = frozenset({"order", "cnt", "sl", "xq", "qx", "plus", "meas", "cancel"})
_EVIDENCE = frozenset({"order", "code", "name", "cnt", "sl", "xq", "qx", "plus", "meas"})

Decision = tuple[str, tuple[Item, ...], str, float, tuple[Item, ...]]


def _only_tokens(s: str, tokens: list[Token]) -> bool:
    """True when every letter of the comment belongs to a token (nothing else was said)."""
    pos = 0
    for tok in tokens:
        if _LETTER.search(s, pos, tok[1]) is not None:
            return False
        pos = tok[2]
    return _LETTER.search(s, pos) is None


def _unframed(s: str, tokens: list[Token]) -> tuple[list[Token], bool]:
    """Tokens of the clauses that tell no past purchase or advice, and whether any clause
    did while naming a code with a strong order word (so staff should look)."""
    bounds = [m.start() for m in _CLAUSE.finditer(s)]
    clauses: dict[int, list[Token]] = {}
    for tok in tokens:
        clauses.setdefault(bisect.bisect_right(bounds, tok[1]), []).append(tok)
    kept: list[Token] = []
    flagged = False
    for clause in clauses.values():
        framed = ordered = advised = False
        for tok in clause:
            kind = tok[0]
            if kind == "past" or kind == "seed" or (kind == "roi" and ordered):
                framed = True
            elif kind == "advice":  # "mọi người nên mua", not "chốt A1 cả nhà ơi"
                advised = True
            elif kind == "order":
                ordered = True
                framed = framed or advised
        if framed:
            kinds = {tok[0] for tok in clause}
            strong = any(tok[0] == "order" and tok[3] in _STRONG for tok in clause)
            flagged = flagged or (strong and "code" in kinds
                                  and not kinds & {"past", "rev", "seed"})
        else:
            kept.extend(clause)
    return kept, flagged


def _chat(code: str = r.CHAT, conf: float = 0.9) -> Decision:
    return ("chat", (), code, conf, ())


def _review(code: str) -> Decision:
    return ("review", (), code, 0.5, ())


def decide(t: Tables, pinned: int | None, s: str, found: Scanned) -> Decision:
    """The reading of a scanned comment: (kind, items, reason code, confidence, guess)."""
    tokens, extra = found.tokens, found.extra
    if not tokens:
        return _chat()
    if not found.framed:  # the common case: no frame word at all
        return _decide(t, pinned, s, tokens, extra)
    framed = False
    kinds = {tok[0] for tok in tokens}
    if "hypo" in kinds:
        # "bữa nào rảnh mua thử", "muốn mua ghê mà hết tiền": nothing is ordered now.
        if "order" in kinds and kinds & {"code", "cnt", "xq", "qx", "sl", "plus"}:
            return _review(r.FRAMED_ORDER)
        return _chat(r.FRAMED, 0.85)
    if "rev" in kinds and not kinds & _ORDERING and not kinds & _ASKING:
        # "A2 ăn mặn quá", "A1 đắt quá": an opinion about a product, not an order for it.
        return _chat(r.FRAMED, 0.85)
    context = kinds & _CONTEXT
    if kinds & _FRAME_KINDS or ("roi" in kinds and "order" in kinds):
        kept, flagged = _unframed(s, tokens)
        if len(kept) < len(tokens):
            if not any(tok[0] in _EVIDENCE for tok in kept):
                return _review(r.FRAMED_ORDER) if flagged else _chat(r.FRAMED, 0.85)
            tokens, framed = kept, True
    if context:  # frame words carry no item; left out, they count as unexplained words
        kept = [tok for tok in tokens if tok[0] not in _CONTEXT]
        extra += len(tokens) - len(kept)
        tokens = kept
        if not tokens:
            return _chat()
    got = _decide(t, pinned, s, tokens, extra)
    if framed and got[0] == "order":
        return (got[0], got[1], got[2], round(got[3] * 0.9, 2), got[4])
    return got


def _decide(t: Tables, pinned: int | None, s: str, tokens: list[Token],
            extra: int) -> Decision:
    """Flags from the comment's words first, then items if any."""
    order = cancel = question = asked = already = later = explicit = False
    by_code = has_meas = seed = strong = False
    recipients = 0
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
            word = str(tok[3])
            strong = strong or word in _STRONG
            if word[:4] in ("cho ", "gui "):
                recipients += 1
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
            strong = strong or kind == "plus"
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
            if len(found) == 1:
                anchors.append((i, found[0]))
            else:
                pick = t.pick_by_hints(found, tokens)
                if pick is None:
                    unknown.append(f"'{tok[3]}'")
                else:
                    anchors.append((i, pick))
    if already:
        if order:
            return _review(r.ALREADY_AND_ORDER)
        return _chat(r.NOT_NOW if later else r.ALREADY)
    if cancel and order:
        return _review(r.CANCEL_AND_ORDER)
    if change == "bulk" or (change and (anchors or unknown or order or cancel or explicit)):
        return _review(r.BULK if change == "bulk" else r.CHANGE)
    if seed and not order and not cancel:
        return _chat(r.SEEDING, 0.8)
    for code in unknown:
        if code.startswith("'"):
            if order or explicit or cancel or by_code or has_meas:
                return _review(r.reason(r.AMBIGUOUS_NAME, code.strip("'")))
            continue
        if order or explicit or cancel or by_code:
            return _review(r.reason(r.UNKNOWN_CODE, code.upper()))
        if _LIKELY_CODE.fullmatch(code) and _only_tokens(s, tokens):
            return _review(r.reason(r.UNKNOWN_CODE, code.upper()))
    # A question word beats a stated quantity ("bn 1 hu vay"); a bare "?" does not.
    if not order and (question or (asked and not explicit)):
        items = _items_quietly(t, s, tokens, anchors)
        return ("question", items, r.QUESTION, 0.8, ())
    try:
        if cancel:
            if anchors:
                items = items_of(t, s, tokens, anchors, False)
            elif explicit and pinned is not None:
                items = (resolve_item(t, pinned, tokens, None),)
            elif explicit:
                return _review(r.CANCEL_NO_PINNED)
            else:
                items = ()
            return ("cancel", items, r.CANCEL, 0.9, ())
        # Sizes and names alone ("tôm khô nửa ký", "1 cua 500g với 1 tôm khô 250g") order.
        sole_meas = has_meas and extra == 0
        if anchors and (order or explicit or by_code or sole_meas):
            items = items_of(t, s, tokens, anchors, recipients > 1)
            if by_code:
                conf = _code_confidence(strong or explicit or has_meas, order, extra)
            else:
                conf = _name_confidence(strong, order, explicit or has_meas, extra)
            return ("order", items, r.ORDER_CODE if by_code else r.ORDER_NAME, conf, ())
        if not anchors and (order or explicit or sole_meas):
            if pinned is None:
                return _review(r.NO_PINNED)
            bare = _bare_after_order(s, tokens)
            item = resolve_item(t, pinned, tokens, bare)
            conf = _pinned_confidence(strong, order, explicit or has_meas or bare is not None,
                                      extra)
            return ("order", (item,), r.ORDER_PINNED, conf, ())
    except Unresolved as exc:
        return _review(str(exc))
    if all(tok[0] == "num" for tok in tokens) and _only_tokens(s, tokens):
        if any(0 < int(str(tok[3])) <= t.max_qty for tok in tokens):
            return _review(r.BARE_NUMBER)
    return _chat()


# -- confidence -----------------------------------------------------------------------------
# Shares of right readings per kind of evidence on the corpus (tests/unit/test_parser_corpus.py
# prints the table), less a step for every word the parser could not account for.


def _code_confidence(stated: bool, order: bool, extra: int) -> float:
    """A lineup code with a strong word, quantity or size; with a weaker word; or alone."""
    if stated:
        base, step, free = 0.97, 0.03, 2
    elif order:
        base, step, free = 0.93, 0.04, 1
    else:  # "A2 đẹp quá": a code among chatter is a mention as often as an order
        base, step, free = 0.92, 0.08, 0
    return round(max(0.3, base - step * max(0, extra - free)), 2)


def _name_confidence(strong: bool, order: bool, stated: bool, extra: int) -> float:
    """A product name or alias: common words, so a weak order word alone is not enough."""
    if stated:
        base = 0.93 if order else 0.88
    else:
        base = 0.88 if strong else 0.72
    return round(max(0.3, base - 0.05 * max(0, extra - 1)), 2)


def _pinned_confidence(strong: bool, order: bool, stated: bool, extra: int) -> float:
    """The pinned product, by an order word and/or a quantity or size."""
    if strong:
        base = 0.92 if stated else 0.88
    elif order:
        base = 0.86 if stated else 0.72  # "mua", "đặt" (or "đắt" typed bare), "cho em"
    else:
        base = 0.87
    return round(max(0.3, base - 0.05 * max(0, extra - 1)), 2)


def _bare_after_order(s: str, tokens: list[Token]) -> int | None:
    for prev, tok in zip(tokens, tokens[1:], strict=False):
        if prev[0] == "order" and tok[0] in ("num", "nw") and adjacent(s, prev, tok):
            return int(str(tok[3]))
    return None


def _items_quietly(
    t: Tables, s: str, tokens: list[Token], anchors: list[tuple[int, int]]
) -> tuple[Item, ...]:
    """Products a question is about; quantities and variants are best effort."""
    if not anchors:
        return ()
    try:
        return items_of(t, s, tokens, anchors, False)
    except Unresolved:
        seen = dict.fromkeys(idx for _, idx in anchors)
        return tuple(Item(t.products[idx].code, None, 1) for idx in seen)
