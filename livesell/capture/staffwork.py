"""Staff work on a show's orders: claims (who is on which order) and bulk actions.

Claims are pushed to every console of the show as ``claim`` events once the store has them;
bulk actions are the single-order actions run side by side (each keeps its own version check,
so one stale order in a selection fails alone and the rest go through).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..domain.claims import Claim, Duty
from ..domain.errors import DomainError, NotFound, StaleVersion
from ..export_files import export_bytes
from ..realtime import names
from ..store.base import Store
from .service import CaptureService

Push = Callable[[str, str, Any], Awaitable[None]]
BULK_ORDER_ACTIONS = ("confirm", "reject", "cancel", "paid", "shipped")
BULK_LIMIT = 500
# A console says it is on duty every minute; a closed laptop drops off the roster after this.
DUTY_SECONDS = 90.0


@dataclass(frozen=True, slots=True)
class BulkItem:
    code: str
    version: int


class StaffWork:
    """Claims and bulk actions; ``push(show_id, event, data)`` reaches the show's consoles."""

    def __init__(self, store: Store, service: CaptureService, push: Push,
                 clock: Callable[[], float], claim_seconds: float) -> None:
        self.store = store
        self.service = service
        self.push = push
        self.clock = clock
        self.claim_seconds = claim_seconds

    async def _show_of(self, code: str) -> str:
        order = await self.store.get_order(code)
        if order is None:
            raise NotFound(f"order {code} not found")
        return order.show_id

    async def claim(self, code: str, who: str) -> Claim:
        """Take (or renew) the claim on an order; ClaimHeld if someone else holds it."""
        show_id = await self._show_of(code)
        claim = await self.store.claim_order(show_id, code, who, self.clock(),
                                             self.claim_seconds)
        await self.push(show_id, names.CLAIM, claim.to_json())
        return claim

    async def release(self, code: str, who: str) -> bool:
        """Let go of one's claim (or clear an expired one); False when there was none."""
        show_id = await self._show_of(code)
        released = await self.store.release_claim(show_id, code, who, self.clock())
        if released:
            await self.push(show_id, names.CLAIM, {"code": code.upper(), "show_id": show_id,
                                                   "holder": None, "expires_at": 0})
        return released

    async def claims(self, show_id: str) -> list[Claim]:
        return await self.store.list_claims(show_id, self.clock())

    async def duty(self, show_id: str, who: str, on: bool,
                   products: Sequence[str]) -> list[Duty]:
        """Join (or renew, or leave) the show's roster; the new roster goes to every console."""
        now = self.clock()
        until = now + DUTY_SECONDS if on else now
        await self.store.set_duty(show_id, Duty(who, tuple(p.upper() for p in products), until))
        roster = await self.store.list_duty(show_id, now)
        await self.push(show_id, names.DUTY, {"duty": [d.to_json() for d in roster]})
        return roster

    async def roster(self, show_id: str) -> list[Duty]:
        return await self.store.list_duty(show_id, self.clock())

    async def bulk(self, show_id: str, action: str, items: Sequence[BulkItem],
                   actor: str) -> list[dict[str, Any]]:
        """One action on many orders; one answer per order, in the order given."""
        async def one(item: BulkItem) -> dict[str, Any]:
            try:
                order = await self.store.get_order(item.code)
                if order is None or order.show_id != show_id:
                    raise NotFound(f"order {item.code} not found in this show")
                done = await self.service.order_action(item.code, action, item.version, actor)
            except StaleVersion as exc:
                fresh = exc.detail.get("order")
                return {"code": item.code, "ok": False,
                        "error": {"code": exc.code, "message": exc.message},
                        "order": fresh.to_json(audit=False) if fresh is not None else None}
            except DomainError as exc:
                return {"code": item.code, "ok": False,
                        "error": {"code": exc.code, "message": exc.message}}
            return {"code": item.code, "ok": True, "order": done.to_json(audit=False)}

        # Side by side: the SQLite writer commits them in a few group commits, not fifty.
        return list(await asyncio.gather(*(one(item) for item in items)))

    async def bulk_dismiss(self, show_id: str, ids: Sequence[int],
                           actor: str) -> list[dict[str, Any]]:
        """Dismiss many review items; one answer per item."""
        open_ids = {item.id for item in await self.store.list_review(show_id)}
        results = []
        for review_id in ids:
            if review_id not in open_ids:
                results.append({"id": review_id, "ok": False,
                                "error": {"code": "not_found",
                                          "message": f"review item {review_id} is not open"}})
                continue
            try:
                await self.service.dismiss_review(review_id, actor)
            except DomainError as exc:
                results.append({"id": review_id, "ok": False,
                                "error": {"code": exc.code, "message": exc.message}})
                continue
            results.append({"id": review_id, "ok": True})
        return results


async def show_export(store: Store, show_id: str, fmt: str, preset: str, lang: str,
                      default_weight_g: int) -> tuple[bytes, str] | None:
    """The export file of one show, or None when there is no such show."""
    show = await store.get_show(show_id)
    if show is None:
        return None
    orders = await store.list_orders(show.id)
    names = {p.code.upper(): p.name for p in await store.list_products()}
    return export_bytes(orders, fmt, names, preset=preset, lang=lang,
                        default_weight_g=default_weight_g)
