"""Claims: a staff member says "I'm on this order" so two people don't work it at once.

A claim is advisory (the version check still settles a race, invariant 7) and short-lived: it
expires after ``claim_seconds`` unless its holder claims again, so an order is never stuck with
someone who went home. Both stores apply :func:`may_take`; the Redis store runs its Lua twin
(``redis_scripts/claims.lua``) inside one script call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import DomainError


@dataclass(frozen=True, slots=True)
class Claim:
    code: str
    show_id: str
    holder: str
    expires_at: float

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "show_id": self.show_id, "holder": self.holder,
                "expires_at": self.expires_at}


class ClaimHeld(DomainError):
    """Someone else holds a live claim on the order; ``detail['claim']`` says who, till when."""

    code = "claimed"
    status = 409


def may_take(holder: str | None, expires_at: float, who: str, now: float) -> bool:
    """Whether ``who`` may claim (or renew) an order whose current claim is ``holder`` until
    ``expires_at``: nobody holds it, ``who`` does, or the claim has run out."""
    return holder is None or holder == who or expires_at <= now


def may_release(holder: str | None, expires_at: float, who: str, now: float) -> bool:
    """Only the holder lets go of a live claim; an expired one is anyone's to clear."""
    return holder is not None and (holder == who or expires_at <= now)
