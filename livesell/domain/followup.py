"""What a buyer writes after ordering: a phone or an address for their order.

The parser reads what a comment orders; this reads what it tells about the buyer. Pure: the
capture service consults it for every comment and the store applies the answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from .address import read_address
from .parser import Intent


@dataclass(frozen=True, slots=True)
class FollowUp:
    """How the store should treat a comment: the parser's kind, or ``contact``."""

    kind: str
    phone: str | None = None
    address: str = ""
    note: str = ""  # an address that may be one: staff read it, nothing is set from it


def read_follow_up(text: str, intent: Intent) -> FollowUp:
    """A chat line that carries a phone or an address becomes a contact follow-up for the
    buyer's order; an address read without confidence becomes a note for staff."""
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
