"""What a buyer writes after ordering: a phone or an address for their order.

The parser reads what a comment orders; this reads what it tells about the buyer. Pure: the
capture service consults it for every comment and the store applies the answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from .parser import Intent


@dataclass(frozen=True, slots=True)
class FollowUp:
    """How the store should treat a comment: the parser's kind, or ``contact``."""

    kind: str
    phone: str | None = None
    address: str = ""


def read_follow_up(text: str, intent: Intent) -> FollowUp:
    """A chat line that carries a phone becomes a contact follow-up for the buyer's order."""
    if intent.kind == "chat" and intent.phone:
        return FollowUp("contact", intent.phone)
    return FollowUp(intent.kind, intent.phone)
