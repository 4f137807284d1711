"""Phone-like and address-like text masked for public channels, however it is written.

``masking.mask_phones`` knows the usual ways of typing a number. Buyers who want their
number seen (or who do not know better) write it in every other way too: ``0912/345/678``,
``0912,345,678``, with emoji, letters or soft hyphens between the groups, as words
("không chín một hai…", "zero nine one two…"), with circled or superscript digits, or split
over two comments. Public comment text therefore goes through :func:`public_text`, which
errs on masking:

* a *run* is a sequence of digits (any script, circled, superscript, spelled out in
  Vietnamese or English, a letter O between digits) whose neighbours are at most
  ``MAX_GAP`` characters apart with no real word (three letters or more) between them;
* a run of nine or more digits is masked, and so is a run of four or more that starts with
  0 (no quantity or price does) or six or more that starts with 84;
* the author's previous comment is read together with this one, so a number split over
  two comments is masked in the second as well (the first is already masked by the
  leading-0 rule);
* anything that looks like an address (a house number before a capitalised street name,
  or a marker such as "Phường", "Quận 1", "đường", "hẻm", "địa chỉ" followed by a name or a
  number) is masked from there to the end of the comment.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["ADDRESS_MASK", "digits_seen", "mask_addresses", "mask_phone_like", "public_text"]

MAX_GAP = 6
MAX_PUBLIC_CHARS = 300
ADDRESS_MASK = "[…]"

DIGIT_WORDS = {
    # Vietnamese (folded: no diacritics, lower case)
    "khong": 0, "linh": 0, "le": 0, "mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4,
    "nam": 5, "lam": 5, "sau": 6, "bay": 7, "tam": 8, "chin": 9,
    # English
    "zero": 0, "oh": 0, "o": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9,
}

# Address markers, folded. Each counts only when followed by a capital or a digit
# ("Phường Bến Thành", "Quận 1", "hẻm 45"), so "xa quá" or "to lắm" stay as they are.
_MARKERS = (
    "dia chi", "dchi", "dc", "so nha", "sn", "duong", "pho", "ngo", "ngach", "hem", "kiet",
    "phuong", "xa", "thi tran", "tt", "quan", "huyen", "thi xa", "tinh", "thanh pho", "tp",
    "to", "ap", "thon", "xom", "khu pho", "kp", "khu", "street", "st", "ward", "district",
    "address", "p.", "q.", "f.",
)
_MARKER = re.compile(r"(?<![a-z0-9])(?:" + "|".join(sorted(map(re.escape, _MARKERS),
                                                            key=len, reverse=True))
                     + r")(?![a-z])[.:]?\s*")
# A house number before a capitalised name: "123 Lê Lợi", "12/4B Nguyễn Trãi", "số 5 Hàng".
_HOUSE = re.compile(r"(?<![\w/])\d{1,5}[A-Za-z]?(?:/\d{1,5}[A-Za-z]?)*,?\s+"
                    r"(?=[A-ZĐ][^\W\d_]*\s+[A-ZĐ])")


@dataclass(frozen=True, slots=True)
class _Unit:
    kind: str  # "d" digit, "w" word, "s" anything else
    digit: int
    start: int
    end: int


def _fold_char(ch: str) -> str:
    if ch in "đĐ":
        return "d"
    return unicodedata.normalize("NFD", ch)[0].lower()


def fold(text: str) -> str:
    """Lower case without diacritics, one character for one (offsets stay valid)."""
    return "".join(_fold_char(ch) for ch in text)


def _digit(ch: str) -> int | None:
    if ch.isdecimal():
        return unicodedata.decimal(ch)
    value = unicodedata.digit(ch, None)  # superscripts, circled digits
    return value


def _units(text: str) -> Iterator[_Unit]:
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        digit = _digit(ch)
        if digit is not None:
            yield _Unit("d", digit, i, i + 1)
            i += 1
            continue
        if ch.isalpha():
            j = i + 1
            while j < n and (text[j].isalpha() or unicodedata.combining(text[j])) \
                    and _digit(text[j]) is None:
                j += 1
            word = fold(text[i:j])
            if word in DIGIT_WORDS:
                yield _Unit("d", DIGIT_WORDS[word], i, j)
            else:
                yield _Unit("w", len(word), i, j)
            i = j
            continue
        if unicodedata.combining(ch) or unicodedata.category(ch) == "Cf":
            i += 1  # soft hyphens, zero-width and bidi marks: invisible, no gap at all
            continue
        yield _Unit("s", 0, i, i + 1)
        i += 1


def _runs(text: str) -> list[list[_Unit]]:
    """Digit runs (see the module docstring)."""
    runs: list[list[_Unit]] = []
    current: list[_Unit] = []
    gap = 0
    for unit in _units(text):
        if unit.kind == "d":
            current.append(unit)
            gap = 0
            continue
        if not current:
            continue
        gap += unit.end - unit.start
        if (unit.kind == "w" and unit.digit >= 3) or gap > MAX_GAP:
            runs.append(current)
            current, gap = [], 0
    if current:
        runs.append(current)
    return runs


def _masked(run: list[_Unit]) -> bool:
    digits = [u.digit for u in run]
    if len(digits) >= 9:
        return True
    if digits[0] == 0 and len(digits) >= 4:
        return True
    return digits[:2] == [8, 4] and len(digits) >= 6


def _from_phone_start(run: list[_Unit]) -> list[_Unit]:
    """A quantity before a phone ("A1 x2 0912…") stays readable: the mask starts at the
    phone's leading 0 (or 84) when at most three digits come before it."""
    digits = [u.digit for u in run]
    for k in range(min(4, len(digits))):
        if len(digits) - k >= 9 and (digits[k] == 0 or digits[k:k + 2] == [8, 4]):
            return run[k:]
    return run


def _mask_text(run: list[_Unit]) -> str:
    digits = "".join(str(u.digit) for u in run)
    if len(digits) >= 9:
        return f"{digits[:2]}xx xxx {digits[-3:]}"
    return "x" * min(len(digits), 4)


def mask_phone_like(text: str, before: str = "") -> str:
    """Mask every phone-like run of ``text``; ``before`` is the same author's previous
    comment, read together with it so a split number is caught."""
    joined = f"{before}\n{text}" if before else text
    offset = len(joined) - len(text)
    out: list[str] = []
    cursor = offset
    for run in _runs(joined):
        if not _masked(run) or run[-1].end <= offset:
            continue  # harmless, or wholly in the previous comment (masked there)
        inside = _from_phone_start([u for u in run if u.start >= offset])
        out.append(joined[cursor:inside[0].start])
        out.append(_mask_text(inside))
        cursor = run[-1].end
    out.append(joined[cursor:])
    return "".join(out)


def mask_addresses(text: str) -> str:
    """Mask from the first address-like place to the end of the text."""
    folded = fold(text)
    starts = [m.start() for m in _MARKER.finditer(folded) if _capital_or_digit_after(text, m)]
    house = _HOUSE.search(text)
    if house is not None:
        starts.append(house.start())
    if not starts:
        return text
    first = min(starts)
    return text[:first].rstrip() + (" " if first else "") + ADDRESS_MASK


def _capital_or_digit_after(text: str, match: re.Match[str]) -> bool:
    # the marker itself matched on folded text; the next character is checked as typed
    after = match.end()
    return after < len(text) and (text[after].isdigit() or text[after].isupper())


def public_text(text: str, before: str = "") -> str:
    """A comment's text fit for the viewer page, the overlay and public JSON."""
    text = unicodedata.normalize("NFC", text[:MAX_PUBLIC_CHARS])
    return mask_phone_like(mask_addresses(text), before[-MAX_PUBLIC_CHARS:])


def digits_seen(text: str) -> str:
    """Every digit a reader can make out of the text (spelled, circled, other scripts):
    what tests check a phone against."""
    return "".join(str(u.digit) for u in _units(text) if u.kind == "d")
