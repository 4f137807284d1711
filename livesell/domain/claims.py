"""Claims: a staff member says "I'm on this order" so two people don't work it at once.

A claim is advisory (the version check still settles a race, invariant 7) and short-lived: it
expires after ``claim_seconds`` unless its holder claims again, so an order is never stuck with
someone who went home. Both stores apply :func:`may_take`; the Redis store runs its Lua twin
(``store/redis/scripts/claims.lua``) inside one script call.
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


@dataclass(frozen=True, slots=True)
class Duty:
    """A staff member on duty for a show, optionally for some products only."""

    holder: str
    products: tuple[str, ...]
    until: float

    def to_json(self) -> dict[str, Any]:
        return {"holder": self.holder, "products": list(self.products), "until": self.until}


def assignee(seq: int, codes: tuple[str, ...] | list[str], roster: list[Duty]) -> str | None:
    """Who an order goes to: among the staff on duty for one of its products (or, when none
    is, everyone on duty), the ``seq``-th in name order, round robin. None with nobody on duty.

    Every console computes the same answer from the same roster, so no server has to deal the
    orders out; the staff console's ``assignee`` in ``staff_tools.js`` is this function's twin.
    """
    if not roster:
        return None
    wanted = {c.upper() for c in codes}
    chosen = [d for d in roster if wanted & {p.upper() for p in d.products}]
    pool = sorted(d.holder for d in (chosen or [d for d in roster if not d.products] or roster))
    return pool[seq % len(pool)]
