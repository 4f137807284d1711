"""Quantities, measures and variants as viewers write them, and the comment tokenizer.

A measure is a ``(dimension, amount)`` pair in grams or millilitres, so that ``1kg``,
``1 ky``, ``1000g`` and a catalog label ``1kg`` compare equal, as do ``0.5l`` and ``500ml``.
:func:`compile_scanner` builds one expression per lineup from the vocabulary here and in
:mod:`livesell.domain.textnorm`; :func:`scan` turns a folded comment into tokens, and
:func:`resolve` reads one product's variant and quantity from the tokens beside it.
All text here is already folded by :func:`livesell.domain.textnorm.normalize`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from .reasons import (
    BAD_QTY,
    CONFLICTING_QTY,
    NO_SUCH_SIZE,
    QTY_OVER_MAX,
    SEVERAL_VARIANTS,
    VARIANT_UNCLEAR,
    reason,
)
from .textnorm import (
    DIGIT_VOCAB,
    FILLERS,
    KEYWORDS_RE,
    LETTER_VOCAB,
    SKIP,
    SPECIAL_VOCAB,
    normalize,
    trie_regex,
)

Measure = tuple[str, int]

NUMBER_WORDS: dict[str, int] = {
    "mot": 1,
    "hai": 2,
    "ba": 3,
    "bon": 4,
    "tu": 4,
    "nam": 5,
    "lam": 5,
    "sau": 6,
    "bay": 7,
    "tam": 8,
    "chin": 9,
    "muoi": 10,
}
NUMBER_WORDS_RE = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))

# unit word -> (dimension, factor to the base unit)
UNITS: dict[str, tuple[str, int]] = {
    "kg": ("g", 1000),
    "kgs": ("g", 1000),
    "kilo": ("g", 1000),
    "ki lo": ("g", 1000),
    "ky": ("g", 1000),
    "ki": ("g", 1000),
    "lang": ("g", 100),
    "gram": ("g", 1),
    "gam": ("g", 1),
    "gr": ("g", 1),
    "g": ("g", 1),
    "ml": ("ml", 1),
    "lit": ("ml", 1000),
    "l": ("ml", 1000),
}
UNITS_RE = "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True))
# Units that also count items when a product is not sold by a weight variant ("2 ky kho ca").
COUNTING_WEIGHT_UNITS = frozenset({"kg", "kgs", "kilo", "ki lo", "ky", "ki"})

# Units that count items: "2 hu", "3 hop". Kept apart from measures on purpose.
COUNT_UNITS_RE = (
    "hop|hu|hui|chai|con|cai|tui|bich|goi|phan|lon|lo|bao|binh|thung|set|combo|cap|bo|"
    "mieng|cuon|chiec|suat|xap|sp|mon|qua|khay"
)

_LABEL_MEASURE = re.compile(r"(\d+(?:[.,]\d+)?)\s?(" + UNITS_RE + r")\b")


def number_value(text: str) -> float | None:
    """Value of a quantity text: digits ("2", "0.5", "0,5", "1.000") or a number word.

    A separator followed by exactly three digits is a thousands separator, else a decimal
    point. ``nua`` (half) is 0.5. Returns None for anything else.
    """
    if text == "nua":
        return 0.5
    word = NUMBER_WORDS.get(text)
    if word is not None:
        return float(word)
    for sep in ".,":
        if sep in text:
            whole, _, frac = text.partition(sep)
            if len(frac) == 3:
                text = whole + frac
            else:
                text = whole + "." + frac
            break
    try:
        return float(text)
    except ValueError:
        return None


def measure_of(value: float, unit: str) -> Measure | None:
    """The measure for ``value`` of ``unit`` (a key of ``UNITS``), rounded to whole base units."""
    known = UNITS.get(unit)
    if known is None:
        return None
    dim, factor = known
    amount = round(value * factor)
    return (dim, amount) if amount > 0 else None


def parse_label(label: str) -> tuple[Measure | None, frozenset[str]]:
    """Split a catalog variant label into its measure and its other words.

    ``"chai 500ml"`` gives ``(("ml", 500), {"chai"})``; ``"lớn"`` gives ``(None, {"lon"})``.
    """
    folded = normalize(label)
    found = _LABEL_MEASURE.search(folded)
    measure: Measure | None = None
    if found:
        value = number_value(found.group(1))
        if value is not None:
            measure = measure_of(value, found.group(2))
        folded = folded[: found.start()] + " " + folded[found.end() :]
    return measure, frozenset(folded.split())


# Quantity and measure tokens as (token kind, pattern) pairs: those starting with a digit or
# "+", and those starting with a letter (number words, "x2", "sl 2"). A kind ending in "w"
# is read like the kind without it.
# a unit ends its word, or runs straight into a count ("1kgx2", "2hu*3")
_MEAS_UNIT = r"\s?(?P<{u}>" + UNITS_RE + r")(?:\b|(?=x\d|\*))"
_COUNT_UNIT = r"\s?(?P<{u}>" + COUNT_UNITS_RE + r")(?:\b|(?=x\d|\*))"
DIGIT_QTY_VOCAB: list[tuple[str, str]] = [
    ("meas", r"(?<![\w.,])(?P<mv>\d{1,5}(?:[.,]\d{1,3})?)" + _MEAS_UNIT.format(u="mu")),
    ("cnt", r"(?<![\w.,])(?P<cv>\d{1,5})" + _COUNT_UNIT.format(u="cu")),
    ("qx", r"(?<![\w.,])(?P<qn>\d{1,5})(?:\s?x(?![a-z\d])|x(?=[a-z]{1,5}\d))"),
    ("plus", r"\+\s?(?P<pn>\d{1,5})(?!\d)"),
    ("qof", r"(?<![\w.,])(?P<on>\d{1,5})\sof\b"),
    ("num", r"(?<![\w.,])\d{1,5}(?!\d)"),
]
LETTER_QTY_VOCAB: list[tuple[str, str]] = [
    ("measw", r"(?P<mw>nua|" + NUMBER_WORDS_RE + ")" + _MEAS_UNIT.format(u="mwu")),
    ("cntw", r"(?P<cw>" + NUMBER_WORDS_RE + ")" + _COUNT_UNIT.format(u="cwu")),
    ("sl", r"(?:sl|so luong|qty|quantity)\s?[:=]?\s?(?P<sn>\d{1,5}|" + NUMBER_WORDS_RE + r")\b"),
    ("xq", r"x\s?(?P<xn>\d{1,5})(?!\d|[.,]\d)"),
]
STAR_QTY = r"\*\s?(?P<xsn>\d{1,5})(?!\d|[.,]\d)"
QTY_GROUP = {
    "cnt": "cv", "cntw": "cw", "sl": "sn", "xq": "xn", "xs": "xsn", "qx": "qn", "plus": "pn",
    "qof": "on",
}
"""Named group holding the number of each quantity token kind."""


# A token of a folded comment: (kind, start, end, value); value is a quantity, a
# (measure, whole kg) pair, a (count, unit word) pair, a word, or a code.
Token = tuple[str, int, int, object]
Label = tuple[str, Measure | None, frozenset[str]]
EXPLICIT = frozenset({"cnt", "sl", "xq", "qx", "plus"})
"""Token kinds that state a quantity outright (a bare number does so only beside a code)."""


class Unresolved(Exception):
    """An item that cannot be decided safely; the message is the review reason code."""


def resolve(
    code: str, labels: Sequence[Label], attrs: Sequence[Token], bare: int | None, max_qty: int
) -> tuple[str | None, int]:
    """The variant label (or None) and quantity named for one product by its tokens.

    ``labels`` are the product's parsed variant labels, ``bare`` a bare number beside the
    code. Raises Unresolved when the tokens conflict, name no or several variants, or the
    quantity is out of range.
    """
    qtys: set[int] = set()
    measures: list[tuple[Measure, int]] = []
    words: set[str] = set()
    for kind, _, _, value in attrs:
        if kind == "cnt":
            assert isinstance(value, tuple)
            qtys.add(int(value[0]))
            words.add(str(value[1]))
        elif kind in EXPLICIT:
            qtys.add(int(str(value)))
        elif kind == "meas":
            measures.append(value)  # type: ignore[arg-type]
        elif kind == "wl":
            words.add(str(value))
    if len(qtys) > 1:
        raise Unresolved(reason(CONFLICTING_QTY, code))
    qty = qtys.pop() if qtys else None
    variant: str | None = None
    counted = [whole for _, whole in measures if whole]
    if len(labels) <= 1:
        # One variant: a weight like "2 ky" can only be a count of the product.
        if qty is None and counted:
            qty = counted[0]
    else:
        cands = list(labels)
        if measures:
            wanted = {m for m, _ in measures}
            cands = [lab for lab in labels if lab[1] in wanted]
            if len({lab[1] for lab in cands}) > 1:
                raise Unresolved(reason(SEVERAL_VARIANTS, code))
            if not cands:
                if any(lab[1] for lab in labels):
                    dim, amount = measures[0][0]
                    raise Unresolved(reason(NO_SUCH_SIZE, code, f"{amount}{dim}"))
                if qty is None and counted:
                    qty = counted[0]
                cands = list(labels)
        for word in words:  # a container or size word ("chai", "lon") narrows, never empties
            hinted = [lab for lab in cands if word in lab[2]]
            if hinted:
                cands = hinted
        if bare is not None and qty is None and bare > max_qty and not measures:
            # "A1 500": too many to be a count, and exactly one label is 500-something
            sized = [lab for lab in cands if lab[1] and lab[1][1] == bare]
            if len(sized) == 1:
                cands, bare = sized, None
        named = bool(measures) or len(cands) < len(labels)
        if named and len(cands) > 1:
            raise Unresolved(reason(VARIANT_UNCLEAR, code))
        if named and len(cands) == 1:
            variant = cands[0][0]
    if qty is None:
        qty = bare if bare is not None else 1
    if qty < 1:
        raise Unresolved(reason(BAD_QTY, code, qty))
    if qty > max_qty:
        raise Unresolved(reason(QTY_OVER_MAX, qty, max_qty))
    return variant, qty


def compile_scanner(codes: Iterable[str], local: dict[str, str]) -> re.Pattern[str]:
    """The master expression for one lineup: every token kind, one named group each.

    ``codes`` are the lineup codes in lower case; ``local`` the lineup's own phrases
    (product names, variant label words, number words) mapped to their kinds.
    """
    # Codes with a digit are matched bare ("A1"); letter-only codes ("CUA") only with a "#"
    # or "ma" prefix, since once folded they collide with ordinary words.
    digital = [c for c in codes if any(ch.isdigit() for ch in c)]
    letters = [c for c in codes if c not in digital]
    prefix = r"(?:#\s?|ma\s(?:so\s)?#?)"
    ahead = r"(?=x\d|\*|[^a-z\d]|$)"
    code_alt = "|".join(re.escape(c) for c in sorted(digital, key=len, reverse=True))
    code_alt = (code_alt + "|" if code_alt else "") + r"[a-z]{1,5}\d{1,3}"
    code_rx = prefix + r"?(?:(?<![a-z])|(?<=\dx))(?P<cc>" + code_alt + ")" + ahead
    if letters:
        alt = "|".join(re.escape(c) for c in sorted(letters, key=len, reverse=True))
        code_rx += "|" + prefix + r"(?<![a-z])(?P<cl>" + alt + ")" + ahead

    def group(pairs: list[tuple[str, str]]) -> list[str]:
        return [f"(?P<{k}>{p})" for k, p in pairs]

    # The lineup's own codes come before the address decoys, so a product coded "P3" or "Q1"
    # is not read as "phường 3" / "quận 1".
    letter = []
    if digital:
        exact = "|".join(re.escape(c) for c in sorted(digital, key=len, reverse=True))
        letter.append(r"(?P<ce>(?<![a-z])(?:" + exact + ")" + ahead + ")")
    letter += group(LETTER_VOCAB + LETTER_QTY_VOCAB)
    letter.append(r"(?P<kw>" + KEYWORDS_RE + r")\b")
    if local:
        letter.append(r"(?P<kw2>" + trie_regex(local) + r")\b")
    letter += group(SPECIAL_VOCAB + [("code", code_rx)])
    digit = group(DIGIT_VOCAB + DIGIT_QTY_VOCAB)
    # Tokens start at a word start (letters, "#"), on the first digit of a number, or on "?"
    # or "*". Dispatching on that first character, and trying keywords as one trie, keeps
    # the engine from trying every alternative at every position.
    return re.compile(
        r"(?:(?<![a-z])|(?<=\dx)|(?=x\d))(?=[a-z#])(?:" + "|".join(letter) + ")"
        r"|(?<!\d)(?=[\d+])(?:" + "|".join(digit) + ")"
        r"|(?P<qmark>\?)|(?P<xs>" + STAR_QTY + ")"
    )


_NOT_DIGITS = str.maketrans("", "", " .-")
# A word of the comment that no token explains: any word but the fillers.
_WORD = re.compile(r"\b(?!(?:" + trie_regex(FILLERS) + r")\b)[a-z]+")
FRAME_KINDS = frozenset({"hypo", "past", "advice", "seed", "roi", "rev"})
"""Keyword kinds that frame a comment (see :mod:`livesell.domain.parser_decide`)."""


class Scanned(NamedTuple):
    """A folded comment's tokens, its first phone number, how many of its words the parser
    could not account for, and whether it has any frame word (past, hypothetical, advice,
    review...)."""

    tokens: list[Token]
    phone: str | None
    extra: int
    framed: bool


def scan(scanner: re.Pattern[str], kw: dict[str, str], s: str) -> Scanned:
    """Scan a folded comment. ``scanner`` comes from :func:`compile_scanner`; ``kw`` maps its
    keyword phrases to kinds. Recognised but skipped text (fillers, set phrases, prices,
    addresses...) is accounted for; the words between matches are counted as ``extra``.
    """
    tokens: list[Token] = []
    phone: str | None = None
    extra = pos = 0
    framed = False
    findall = _WORD.findall
    for m in scanner.finditer(s):
        start, end = m.span()
        if start - pos > 1:  # a lone space or comma has no word in it
            extra += len(findall(s, pos, start))
        pos = end
        kind = m.lastgroup or ""
        value: object
        # most frequent kinds first: this loop runs for every token of every comment
        if kind == "kw" or kind == "kw2":
            value = m.group()
            kind = kw[value]
            if kind == "noorder" or kind == "fill":
                continue
            if kind == "nw":
                value = NUMBER_WORDS[m.group()]
            elif kind in FRAME_KINDS:
                framed = True
        elif kind in SKIP:
            continue
        elif kind == "code":
            value = m.group("cc") or m.group("cl")
        elif kind == "ce":
            kind, value = "code", m.group()
        elif kind == "num":
            value = int(m.group())
        elif kind in QTY_GROUP:
            value = _int(m.group(QTY_GROUP[kind]))
            if kind == "cnt" or kind == "cntw":
                value = (value, m.group("cu" if kind == "cnt" else "cwu"))
                kind = "cnt"
            elif kind == "xs":
                kind = "xq"
            elif kind == "qof":
                kind = "qx"
        elif kind == "phone":
            if phone is None:
                phone = "0" + m.group("ph").translate(_NOT_DIGITS)
            continue
        elif kind == "meas" or kind == "measw":
            wide = kind == "measw"
            num = number_value(m.group("mw" if wide else "mv"))
            unit = m.group("mwu" if wide else "mu")
            meas = None if num is None else measure_of(num, unit)
            if meas is None or num is None:
                continue
            kind = "meas"
            whole = int(num) if num == int(num) and unit in COUNTING_WEIGHT_UNITS else 0
            value = (meas, whole)
        elif kind[:2] == "k_":
            kind = kind[2:]
            if kind == "noorder":
                continue
            value = None
        else:
            value = m.group()
        tokens.append((kind, start, pos, value))
    if len(s) - pos > 1:
        extra += len(_WORD.findall(s, pos))
    return Scanned(tokens, phone, extra, framed)


def _int(text: str) -> int:
    word = NUMBER_WORDS.get(text)
    return word if word is not None else int(text)
