"""What buyers' names and phone numbers look like on public channels.

Invariant 6: the viewer page, the overlay and public JSON never carry a full
phone number, and buyer names are shortened ("Nguyễn V. A."). Everything that
leaves through a public channel passes through :func:`short_name` or
:func:`mask_phones`; :func:`contains_phone` is the check tests run on payloads.

A *digit run* below is a stretch of digits where consecutive digits are at most
three separator characters apart (spaces, dots, dashes, brackets, zero-width
characters), because that is how people split a phone number when typing it.
"""

from __future__ import annotations

import re
import unicodedata

from .pii import mask_phone_like, public_text

__all__ = ["GUEST_NAME", "contains_phone", "mask_phone", "mask_phones", "public_text",
           "short_name"]

#: Shown instead of a name that is empty once cleaned.
GUEST_NAME = "Khách"

# Longest first word kept, counted in user-perceived characters: long enough for
# any real Vietnamese given or family name, short enough that a pasted
# paragraph in a name field cannot fill the overlay ticker.
_MAX_WORD = 12

# Characters that may sit between the digits of one number. Zero-width
# characters are included so they cannot be used to slip a phone past the mask;
# "+" is, because a masked "+84 912..." starts with a digit ("09xx") that must
# not join up with digits just before it.
_SEP = r"[\s.\-+\u2010-\u2015()·_\u200b-\u200d\u2060\ufeff]"
_GAP = rf"{_SEP}{{0,3}}"
_RUN = re.compile(rf"\+?\d(?:{_GAP}\d)*")

# A Vietnamese mobile: 0 or +84/84 (optionally followed by the trunk 0, as in
# "+84 (0) 912 ..."), a network digit 3/5/7/8/9, then eight more digits.
_PHONE_BODY = rf"(?:\+?84{_GAP}(?:0{_GAP})?|0{_GAP})[35789](?:{_GAP}\d){{8}}"
# Inside a run a phone must not be glued to a neighbouring digit: in
# "09123456789" there is no phone, only an 11-digit number (masked anyway).
_PHONE_IN_RUN = re.compile(rf"(?<![\d+]){_PHONE_BODY}(?!\d)")
# The test oracle is deliberately looser (no boundaries): any phone-shaped
# window anywhere in the text counts as a leak.
_PHONE_ANYWHERE = re.compile(_PHONE_BODY)

# Python's \d also matches other scripts' digits (e.g. full-width "０９１２");
# they are read as ASCII so a phone written with them is still recognised.
_NON_ASCII_DIGIT = re.compile(r"(?![0-9])\d")

# Masked forms show two leading and three trailing digits. Between masks a kept
# piece of a run may show at most this many digits in a row (mask tail + piece +
# next mask head), which stays below both the 9-digit run rule and the 10-digit
# phone shape, so no full number can be rebuilt from what is shown.
_MAX_VISIBLE = 8
_MASK_HEAD, _MASK_TAIL = 2, 3


def short_name(full: str) -> str:
    """Shorten a buyer's name for public display: ``"Nguyễn Văn An"`` → ``"Nguyễn V. A."``.

    The text is NFC-normalised, control and format characters (including
    zero-width and bidi overrides) are dropped, words written together
    ("NguyenVanAn", "Lê.Văn.Tám") are split, and anything phone-like in it is
    masked (``pii.mask_phone_like``). The first word is kept (at most 12
    characters); every other word becomes its first letter or digit and a dot;
    words with no letter or digit (emoji, punctuation) are left out. An empty result is ``"Khách"``.
    """
    cleaned = "".join(
        ch if not unicodedata.category(ch).startswith("C") else " "
        for ch in unicodedata.normalize("NFC", full)
    )
    words = [w for w in mask_phone_like(mask_phones(_unglue(cleaned))).split()
             if any(ch.isalnum() for ch in w)]
    if not words:
        return GUEST_NAME
    first = "".join(_clusters(words[0])[:_MAX_WORD])
    return " ".join([first, *(_initial(w) + "." for w in words[1:])])


_GLUE = re.compile(r"(?<=[^\W\d_])[.\-_·+]+(?=[^\W\d_])")


def _unglue(name: str) -> str:
    """Words written together are still words: "NguyenVanAn", "Lê.Văn.Tám",
    "Nguyễn-Văn-Bình" all read as three."""
    name = _GLUE.sub(" ", name)
    out: list[str] = []
    for index, ch in enumerate(name):
        if index and ch.isupper() and name[index - 1].islower():
            out.append(" ")
        out.append(ch)
    return "".join(out)


def mask_phone(phone: str) -> str:
    """Mask one phone number: ``"0912345678"`` → ``"09xx xxx 678"``.

    ``+84``/``84`` forms are first rewritten to the ``0`` form so a number looks
    the same however it was typed. Raises :class:`ValueError` when the text
    holds fewer than six digits (nothing meaningful would remain hidden).
    """
    digits = _ascii_digits("".join(ch for ch in phone if ch.isdecimal()))
    if len(digits) < 6:
        raise ValueError(f"not a phone number: {phone!r}")
    if len(digits) == 11 and digits.startswith("84") and digits[2] in "35789":
        digits = "0" + digits[2:]
    elif len(digits) == 12 and digits.startswith("840"):
        digits = digits[2:]
    return f"{digits[:_MASK_HEAD]}xx xxx {digits[-_MASK_TAIL:]}"


def mask_phones(text: str) -> str:
    """Mask every phone number, and every other run of nine or more digits, in text.

    Vietnamese mobiles in any common form (``0912345678``, ``0912 345 678``,
    ``0912.345.678``, ``+84 912-345-678``, ``84912345678``) become
    ``"09xx xxx 678"``; any other run of at least nine digits is masked the same
    way, so an unusual format cannot leak a number. Shorter numbers (codes,
    quantities, a single price) are left alone; two prices separated only by a
    space ("190.000 360.000") read as one long run and are masked too, the
    price of never letting a spaced-out phone through.
    """
    return _RUN.sub(_mask_run, text)


def contains_phone(text: str) -> bool:
    """Whether any Vietnamese mobile number, in any of the forms above, appears in text.

    Deliberately over-eager (a phone-shaped window inside a longer number counts)
    because it is the check that public payloads are clean.
    """
    return _PHONE_ANYWHERE.search(_ascii_digits(text)) is not None


def _mask_run(match: re.Match[str]) -> str:
    run = match.group()
    if _digit_count(run) < 9:
        return run
    phones = list(_PHONE_IN_RUN.finditer(_ascii_digits(run)))
    if not phones:
        return _mask_digits(run)
    # The pieces between masked phones are kept when short (a quantity before
    # the phone, "A1 2 0912 345 678"), unless together with the digits the
    # neighbouring masks show they would form a long visible run.
    out: list[str] = []
    pos = 0
    for index, phone in enumerate(phones):
        out.append(_mask_piece(run[pos : phone.start()], left=index > 0, right=True))
        out.append(mask_phone(phone.group()))
        pos = phone.end()
    out.append(_mask_piece(run[pos:], left=True, right=False))
    return "".join(out)


def _mask_piece(piece: str, *, left: bool, right: bool) -> str:
    count = _digit_count(piece)
    if count >= 9:
        return _mask_digits(piece)
    visible = count + (_MASK_TAIL if left and count else 0) + (_MASK_HEAD if right else 0)
    if count and visible > _MAX_VISIBLE:
        return "".join("x" if ch.isdecimal() else ch for ch in piece)
    return piece


def _mask_digits(piece: str) -> str:
    # Only the span from the first to the last digit is replaced, so the
    # separators around it (and the words they separate) stay as they were.
    positions = [i for i, ch in enumerate(piece) if ch.isdecimal()]
    first, last = positions[0], positions[-1]
    digits = _ascii_digits("".join(piece[i] for i in positions))
    masked = f"{digits[:_MASK_HEAD]}xx xxx {digits[-_MASK_TAIL:]}"
    return piece[:first] + masked + piece[last + 1 :]


def _digit_count(text: str) -> int:
    return sum(ch.isdecimal() for ch in text)


def _ascii_digits(text: str) -> str:
    return _NON_ASCII_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group())), text)


def _clusters(word: str) -> list[str]:
    """Split a word into base characters with their combining marks attached."""
    clusters: list[str] = []
    for ch in word:
        if clusters and unicodedata.combining(ch):
            clusters[-1] += ch
        else:
            clusters.append(ch)
    return clusters


def _initial(word: str) -> str:
    for cluster in _clusters(word):
        if cluster[0].isalnum():
            upper = cluster.upper()
            # Some letters upper-case to two ("ß" → "SS"); an initial stays one letter.
            return upper if len(_clusters(upper)) == 1 else cluster
    return ""  # unreachable: callers pass only words containing a letter or digit
