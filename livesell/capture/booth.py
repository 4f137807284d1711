"""Booth orders: the standing shop show, kept in step with the catalog, fed from a form."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from ..domain.booth import BOOTH_ID, BOOTH_KIND, BoothOrder
from ..domain.errors import DomainError, Invalid
from ..domain.models import Comment, Order, Show, ShowStatus
from ..store.base import CaptureItem, CaptureRequest
from .service import CaptureService

BOOTH_SOURCE = "booth"


@dataclass(frozen=True, slots=True)
class BoothResult:
    status: str  # "ordered" | "waitlisted" | "review" | ...
    order: Order | None
    reason: str = ""


class Booth:
    """The booth show and its orders; everything goes through the capture service's store."""

    def __init__(self, service: CaptureService, title: str, hold_minutes: int) -> None:
        self.service = service
        self.title = title
        self.hold_minutes = hold_minutes

    async def show(self) -> Show:
        """The booth show, created on first use and kept live with the whole catalog."""
        store = self.service.store
        show = await store.get_show(BOOTH_ID)
        codes = tuple(p.code.upper() for p in await store.list_products())
        if show is None:
            fresh = Show(id=BOOTH_ID, title=self.title, lineup=codes, kind=BOOTH_KIND,
                         hold_minutes=self.hold_minutes,
                         max_per_buyer=self.service.settings.max_per_buyer,
                         order_prefix=self.service.settings.order_prefix,
                         created_at=self.service.clock())
            try:
                await store.create_show(fresh)
            except Invalid:  # another node made it first
                pass
            show = await store.get_show(BOOTH_ID)
            assert show is not None
        changes: dict[str, object] = {}
        if show.lineup != codes and codes:
            changes["lineup"] = codes
        if show.status != ShowStatus.LIVE:
            changes.update(status=str(ShowStatus.LIVE), started_at=self.service.clock(),
                           ended_at=None)
        if changes:
            show = await store.update_show(BOOTH_ID, changes)
            self.service.forget_parsers()
        return show

    async def place(self, form: BoothOrder, client: str) -> BoothResult:
        """Hold what the form asks for, for the buyer behind the phone number."""
        await self.show()
        service = self.service
        now = service.clock()
        comment = Comment(BOOTH_ID, BOOTH_SOURCE, f"b-{secrets.token_hex(8)}",
                          f"phone:{form.contact.phone}", form.contact.name, form.summary, now)
        request = CaptureRequest(
            comment, "order",
            tuple(CaptureItem(line.code, line.variant, line.qty) for line in form.lines),
            form.contact.phone)
        [done] = await service.store.capture([request], now)
        service.bus.publish(done.events)
        result = done.result
        if result.order is None:
            return BoothResult(str(result.status), None, result.reason)
        order = await service.store.get_order(result.order)
        if order is not None and (form.contact.address or form.contact.name) \
                and order.contact != form.contact:
            try:
                contact = {k: v for k, v in (("name", form.contact.name),
                                             ("phone", form.contact.phone),
                                             ("address", form.contact.address)) if v}
                order = await service.patch_order(order.code, order.version, None, contact,
                                                  f"booth:{client}")
            except DomainError:  # staff touched it meanwhile: the phone is on it already
                order = await service.store.get_order(result.order)
        return BoothResult(str(result.status), order, result.reason)
