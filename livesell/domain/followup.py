"""What a buyer writes after ordering: a phone or an address for their order.

The parser reads what a comment orders; this reads what it tells about the buyer. Pure: the
capture service consults it for every comment and the store applies the answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .address import read_address
from .parser import Intent, Item, normalize


@dataclass(frozen=True, slots=True)
class FollowUp:
    """How the store should treat a comment: the parser's kind, or ``contact``."""

    kind: str
    phone: str | None = None
    address: str = ""
    note: str = ""  # an address that may be one: staff read it, nothing is set from it
    # reduce: (code, variant, units to cancel); change: (code, from variant, 0) then
    # (code, to variant, 0)
    items: tuple[Item, ...] | None = None


# "huỷ 1 A2", "huỷ A2 x1", "hủy 2 cái A1 1kg": a count stated beside the code.
_COUNT = re.compile(r"(?<![a-z0-9])(?:x\s*)?(?:\d{1,3}|mot|hai)(?![a-z0-9])")
_SIZE = re.compile(r"\d+(?:[.,]\d+)?\s*(?:kg|g|gr|gram|ml|l|lit|ki|ky|kilo)(?![a-z])")
_CHANGE = re.compile(r"^(?:cho\s+)?(?:em\s+|minh\s+|e\s+)?(?:doi|chuyen)(?=\s|$)\s*(?P<before>.*?)"
                     r"\s*(?<![a-z])(?:sang|qua|thanh|lay)\s+(?P<after>.+)$")
Parse = Callable[[str], Intent]


def _stated_count(text: str, item: Item) -> bool:
    folded = normalize(text)
    code = item.code.lower()
    folded = re.sub(rf"(?<![a-z0-9]){re.escape(code)}(?![a-z0-9])", " ", folded)
    folded = _SIZE.sub(" ", folded)
    return _COUNT.search(folded) is not None


# A cheap look at the raw text before folding it: "đổi", "doi", "đôi", "chuyển"...
_MAYBE_CHANGE = re.compile(r"[dđĐD][oOôÔơƠổốồộỗòóỏõọỔỐỒỘỖ][iI]|chuy|CHUY|Chuy")


def _change(text: str, parse: Parse) -> FollowUp | None:
    """``đổi sang 1kg`` / ``đổi A1 500g thành 1kg``: (code, from, 0), (code, to, 0)."""
    if _MAYBE_CHANGE.search(text) is None:
        return None
    m = _CHANGE.match(normalize(text))
    if m is None:
        return None
    before = parse(m["before"]).items if m["before"] else ()
    if len(before) > 1:
        return None
    prefix = before[0].code + " " if before else ""
    after = parse(prefix + m["after"]).items
    if len(after) != 1 or after[0].variant is None:
        return None
    target = after[0]
    source = before[0] if before else Item(target.code, None, 0)
    if source.code.upper() != target.code.upper() or source.variant == target.variant:
        return None
    return FollowUp("change", items=(Item(source.code, source.variant, 0),
                                     Item(target.code, target.variant, 0)))


def read_follow_up(text: str, intent: Intent, parse: Parse | None = None) -> FollowUp:
    """What a comment does to the buyer's order beyond what the parser read.

    A chat line that carries a phone or an address is a contact follow-up (an address read
    without confidence becomes a note for staff); ``huỷ 1 A2`` cancels one unit (``reduce``),
    not the whole A2 line; ``đổi sang 1kg`` changes the size of what the buyer has (``change``;
    needs ``parse``, the show's parser, to read sizes).
    """
    if parse is not None and intent.kind in ("order", "review") and (
            changed := _change(text, parse)) is not None:
        return changed
    if intent.kind == "cancel" and intent.items and all(
            _stated_count(text, item) for item in intent.items):
        return FollowUp("reduce", intent.phone, items=intent.items)
    if intent.kind != "chat":
        return FollowUp(intent.kind, intent.phone)
    address = read_address(text)
    if address is not None:
        if address.sure:
            return FollowUp("contact", intent.phone, address.text)
        return FollowUp("contact", intent.phone, note=address.text)
    if intent.phone:
        return FollowUp("contact", intent.phone)
    return FollowUp(intent.kind, intent.phone)
