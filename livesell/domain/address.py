"""Delivery addresses in comments: "giao 12 Lý Thường Kiệt P.5 Cà Mau", "đc: số 4 ngõ 12,
phường Bến Thành, Q1, TP HCM".

Reading is on a folded copy of the text that keeps every character's position, so the address
handed to staff is the buyer's own spelling. A reading is ``sure`` only on strong evidence (a
delivery word with a house number and a place, or a house number with two place words);
anything weaker that still looks like an address is returned unsure, for staff to read.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Address:
    text: str
    sure: bool


def _fold_char(ch: str) -> str:
    if ch in "đĐ":
        return "d"
    if ch.isascii():
        return ch.lower()
    base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
    base = base.lower()
    return base if len(base) == 1 and base.isascii() else " "


# Every character below U+2000 folded to one character (Vietnamese letters to their ASCII base).
_TABLE = {cp: _fold_char(chr(cp)) for cp in range(0x41, 0x2000) if _fold_char(chr(cp)) != chr(cp)}


def fold_keep_length(text: str) -> str:
    """Lower case ASCII without diacritics, one character for each character of ``text``."""
    folded = text.translate(_TABLE)
    if folded.isascii():
        return folded
    return "".join(_fold_char(ch) for ch in text)


_B = r"(?<![a-z0-9])"  # word start
_E = r"(?![a-z0-9])"  # word end
_TO = r"(?:\s+(?:ve|toi|den|cho|o|tai|qua))?"
_TRIGGER = re.compile(
    rf"{_B}(?:dia\s*chi|d\s*/\s*c|dc|add(?:ress)?|"
    rf"giao(?:\s+hang)?{_TO}|gui(?:\s+hang)?{_TO}|ship(?:\s+hang)?{_TO}|nha\s+o){_E}"
    r"\s*[:\-]?\s*")
_HOUSE = re.compile(rf"{_B}(?:so\s*)?\d{{1,5}}[a-z]?(?:\s*/\s*\d{{1,5}}[a-z]?)*{_E}")
_STREET = re.compile(
    rf"{_B}(?:duong|pho|ngo|ngach|hem|kiet|khu\s+pho|kp|ap|thon|xom|khom|to\s+\d+|"
    rf"chung\s+cu|toa|lo|khu|kdc|kcn|cu\s+xa){_E}")
_WARD = re.compile(rf"{_B}(?:phuong|xa|thi\s+tran|tt|p\s*\.?\s*\d{{1,2}}|p\s*\.){_E}")
_DISTRICT = re.compile(
    rf"{_B}(?:quan|huyen|thi\s+xa|tx|q\s*\.?\s*\d{{1,2}}|q\s*\.|h\s*\.){_E}")
_PROVINCE = re.compile(
    rf"{_B}(?:tinh|thanh\s+pho|tp\s*\.?|"
    r"ha\s+noi|hn|hcm|tphcm|sai\s+gon|sg|ho\s+chi\s+minh|ca\s+mau|can\s+tho|da\s+nang|"
    r"hai\s+phong|hue|bac\s+lieu|soc\s+trang|kien\s+giang|an\s+giang|dong\s+thap|"
    r"vinh\s+long|tra\s+vinh|ben\s+tre|tien\s+giang|long\s+an|hau\s+giang|tay\s+ninh|"
    r"binh\s+duong|dong\s+nai|ba\s+ria|vung\s+tau|binh\s+phuoc|lam\s+dong|da\s+lat|"
    r"khanh\s+hoa|nha\s+trang|phu\s+yen|binh\s+dinh|quang\s+ngai|quang\s+nam|"
    r"quang\s+tri|quang\s+binh|ha\s+tinh|nghe\s+an|thanh\s+hoa|ninh\s+binh|nam\s+dinh|"
    r"thai\s+binh|ha\s+nam|hung\s+yen|hai\s+duong|bac\s+ninh|bac\s+giang|quang\s+ninh|"
    r"lang\s+son|cao\s+bang|ha\s+giang|lao\s+cai|yen\s+bai|tuyen\s+quang|thai\s+nguyen|"
    r"phu\s+tho|vinh\s+phuc|hoa\s+binh|son\s+la|dien\s+bien|lai\s+chau|bac\s+kan|"
    rf"kon\s+tum|gia\s+lai|dak\s+lak|dak\s+nong|ninh\s+thuan|binh\s+thuan){_E}")
_PHONE = re.compile(r"(?<!\d)(?:\+?84|0)[\s.\-]{0,2}[35789](?:[\s.\-]{0,2}\d){8}(?!\d)")
_PHONE_WORD = re.compile(rf"{_B}(?:sdt|so\s+dt|dt|phone|tel|lh){_E}\s*[:\-]?")
_POLITE = re.compile(rf"(?:[\s,.;!]+{_B}(?:nha|nhe|nhen|a|ah|shop|sop|s|giup|em|voi|"
                     rf"dum|nhe\s+shop|cam\s+on|thanks|tks){_E})+[\s.,;!]*$")


# A number right after one of these words names the hamlet, lane or ward, not the house.
_NUMBERED = re.compile(rf"{_B}(?:phuong|p|quan|q|ap|to|duong|ngo|ngach|hem|kiet|khom|kp|"
                       rf"khu\s+pho|thon|xom|lo|khu|toa|tang|phong|km)\s*\.?\s*$")


def _has_house(folded: str) -> bool:
    return any(_NUMBERED.search(folded[:m.start()]) is None for m in _HOUSE.finditer(folded))


_ANY_PLACE = re.compile("|".join(p.pattern for p in (_STREET, _WARD, _DISTRICT, _PROVINCE)))


def _places(folded: str) -> dict[str, bool]:
    return {
        "house": _has_house(folded),
        "street": _STREET.search(folded) is not None,
        "ward": _WARD.search(folded) is not None,
        "district": _DISTRICT.search(folded) is not None,
        "province": _PROVINCE.search(folded) is not None,
    }


def _clean(original: str, folded: str) -> str:
    """The address without phones, phone words and a polite ending, in the buyer's spelling."""
    keep = [True] * len(original)
    for pattern in (_PHONE, _PHONE_WORD):
        for m in pattern.finditer(folded):
            for i in range(m.start(), m.end()):
                keep[i] = False
    text = "".join(ch if k else " " for ch, k in zip(original, keep, strict=True))
    folded = "".join(ch if k else " " for ch, k in zip(folded, keep, strict=True))
    if (polite := _POLITE.search(folded)) is not None:
        text = text[:polite.start()]
    return " ".join(text.split()).strip(" ,.;:-")


def read_address(text: str) -> Address | None:
    """The delivery address a comment gives, sure or not; None when it gives none."""
    if not text or len(text) > 500:
        return None
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    folded = fold_keep_length(text)
    trigger = _TRIGGER.search(folded)
    if trigger is None and not _ANY_PLACE.search(folded):
        return None  # the common case: chatter
    start = trigger.end() if trigger is not None else 0
    rest = folded[start:]
    places = _places(rest)
    where = sum(places[k] for k in ("ward", "district", "province"))
    kinds = sum(places.values())
    if trigger is not None:
        sure = places["house"] and (where >= 1 or places["street"]) and kinds >= 2
        if kinds == 0:
            return None
    else:
        sure = places["house"] and where >= 2
        if where + places["street"] < 2:
            return None
    address = _clean(text[start:], rest)
    if len(address) < 4:
        return None
    return Address(address[:300], sure)
