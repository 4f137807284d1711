"""Vietnamese đồng amounts: display and lenient parsing.

Amounts are always whole đồng held in an ``int``; the đồng has no minor unit in
everyday trade, so a fraction of a đồng is an input error, never rounded away.
"""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction

__all__ = ["MAX_VND", "format_vnd", "parse_vnd"]

#: Largest amount ``parse_vnd`` accepts (one quadrillion đồng). A typo or a pasted
#: account number should fail loudly instead of becoming an absurd price.
MAX_VND = 10**15

# U+00A0 NO-BREAK SPACE between the number and the symbol: an overlay or a
# narrow phone screen must never wrap "350.000" and "₫" onto separate lines.
_NBSP = "\u00a0"

# Currency markers people type after (or occasionally before) a price. Longest
# first so "vnđ" is not read as "vn" + "đ".
_CURRENCY = r"(?:đồng|dong|vnđ|vnd|₫|đ|d)"
_CURRENCY_AROUND = re.compile(rf"^(?:{_CURRENCY}\s*)?(.*?)(?:\s*{_CURRENCY})?$")

# Thousands grouping must be consistent ("350.000.000", "350,000", "350 000");
# a lone separator with fewer than three digits after it is not grouping.
_GROUPED = re.compile(r"\d{1,3}(?P<sep>[., ])\d{3}(?:(?P=sep)\d{3})*")
_PLAIN = re.compile(r"\d+")

# "350k", "1.5k", "1tr2", "1,2 triệu", "2 triệu 5": the digits after the unit
# continue the number as its decimal part, the way sellers say prices aloud.
_SCALED = re.compile(
    r"(?P<int>\d+)(?:[.,](?P<frac>\d+))?\s*"
    r"(?P<unit>k|nghìn|nghin|ngàn|ngan|tr|triệu|trieu)"
    r"(?:\s*(?P<tail>\d{1,3}))?"
)
_UNIT_SCALE = {
    "k": 1_000,
    "nghìn": 1_000,
    "nghin": 1_000,
    "ngàn": 1_000,
    "ngan": 1_000,
    "tr": 1_000_000,
    "triệu": 1_000_000,
    "trieu": 1_000_000,
}

# Every Unicode space becomes a plain space so pasted prices behave alike.
_SPACES = re.compile(r"\s+")


def format_vnd(amount: int) -> str:
    """Format whole đồng for display: ``350000`` → ``"350.000 ₫"``.

    Dots group thousands (the Vietnamese convention) and a NO-BREAK SPACE
    (U+00A0) separates the number from ``₫`` so the two never wrap apart.
    Negative amounts (refunds, write-offs) keep their sign: ``"-5.000 ₫"``.
    """
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"amount must be an int number of đồng, not {type(amount).__name__}")
    sign = "-" if amount < 0 else ""
    grouped = f"{abs(amount):,}".replace(",", ".")
    return f"{sign}{grouped}{_NBSP}₫"


def parse_vnd(text: str) -> int:
    """Parse a price as typed by a host or a buyer into whole đồng.

    Accepted forms include ``"350000"``, ``"350.000"``, ``"350,000"``,
    ``"350 000"``, ``"350k"``, ``"1.5k"``, ``"1tr2"`` (1 200 000), ``"1.2tr"``,
    ``"2 triệu 5"``, ``"350.000đ"``, ``"350.000 ₫"`` and ``"350000 vnd"``; case
    and surrounding whitespace are ignored, and a leading ``-`` is kept so that
    ``parse_vnd(format_vnd(x)) == x``. Anything else, a fraction of a đồng, or
    an amount above :data:`MAX_VND` raises :class:`ValueError`.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected text, not {type(text).__name__}")
    cleaned = _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip().casefold()
    negative = cleaned.startswith("-")
    if negative:
        cleaned = cleaned[1:].lstrip()
    match = _CURRENCY_AROUND.fullmatch(cleaned)
    body = match.group(1) if match else cleaned
    if not body:
        raise ValueError(f"not a VND amount: {text!r} (no number found)")

    value = _parse_body(body)
    if value is None:
        raise ValueError(
            f"not a VND amount: {text!r} (expected e.g. 350000, 350.000, 350k, 1tr2, 1.2tr)"
        )
    if value.denominator != 1:
        raise ValueError(f"not a whole number of đồng: {text!r}")
    amount = value.numerator
    if amount > MAX_VND:
        raise ValueError(f"VND amount too large: {text!r}")
    return -amount if negative else amount


def _parse_body(body: str) -> Fraction | None:
    """The exact value of a number without sign or currency, or ``None``."""
    # Checked before _GROUPED would see it, guards against Python's limit on
    # converting very long digit strings (a ValueError with an unclear message).
    if sum(ch.isdigit() for ch in body) > 24:
        return None
    if _PLAIN.fullmatch(body):
        return Fraction(int(body))
    if _GROUPED.fullmatch(body):
        return Fraction(int(re.sub(r"[., ]", "", body)))
    scaled = _SCALED.fullmatch(body)
    if scaled is None:
        return None
    frac, tail = scaled.group("frac"), scaled.group("tail")
    if frac is not None and tail is not None:
        return None  # "1.2tr5" mixes two ways of writing the decimals
    decimals = frac if frac is not None else tail or ""
    number = Fraction(int(scaled.group("int") + decimals), 10 ** len(decimals))
    return number * _UNIT_SCALE[scaled.group("unit")]
