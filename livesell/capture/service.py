"""The capture service: comments in, durable orders out, events published after commit.

Handlers and socket events call these methods; they hold no rules themselves.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..config import Settings
from ..domain.errors import Invalid, NotFound, ShowClosed
from ..domain.models import (
    CaptureResult,
    Comment,
    CommentStatus,
    Contact,
    FlashDeal,
    Order,
    Product,
    ReviewItem,
    Show,
    ShowStatus,
)
from ..domain.parser import Parser, lineup_product
from ..log_limits import LogLimiter
from ..store.base import CaptureItem, CaptureRequest, Store
from .bus import EventBus
from .comments import ShowReader, comment_id, read_comment

log = logging.getLogger(__name__)
Clock = Callable[[], float]
SHOW_TTL = 0.5
SAID_CHARS = 200  # of a comment's words kept on the order line it made, for the console


class CaptureService:
    """Everything that changes a show's catalog, orders and stock goes through here."""

    def __init__(self, store: Store, bus: EventBus, settings: Settings,
                 clock: Clock = time.time) -> None:
        self.store = store
        self.bus = bus
        self.settings = settings
        self.clock = clock
        # show -> (when checked, (lineup, pinned), the lineup as the parser sees it, reader)
        self._parsers: dict[str, tuple[float, tuple[Any, ...], tuple[Any, ...],
                                       ShowReader]] = {}
        self.customers: Any = None  # the customer book, when the app has one (gate())
        self._shows: dict[str, tuple[float, Show]] = {}
        self.log_limits = LogLimiter(log)
        # told (sources, statuses, seconds) after each answered batch (metrics)
        self.observer: Callable[[list[str], list[str], float], None] | None = None

    # -- parsing ---------------------------------------------------------------------------

    async def parser_for(self, show: Show) -> Parser:
        """A compiled parser for the show's lineup, rebuilt when lineup, pin or catalog moved."""
        return (await self.reader_for(show)).parser

    async def reader_for(self, show: Show) -> ShowReader:
        """The show's parser with its memory of recent texts (see :class:`ShowReader`)."""
        now = time.monotonic()
        cached = self._parsers.get(show.id)
        key = (show.lineup, show.pinned)
        if cached and cached[1] == key and now - cached[0] < 5.0:
            return cached[3]
        products = {p.code: p for p in await self.store.list_products()}
        lineup = tuple(
            lineup_product(p)
            for code in show.lineup if (p := products.get(code.upper())) is not None
        )
        if cached and cached[1] == key and cached[2] == lineup:
            reader = cached[3]  # nothing the parser reads has moved: keep it and its memory
        else:
            reader = ShowReader(Parser(lineup, show.pinned, max_qty=self.settings.max_qty,
                                       min_confidence=self.settings.order_min_confidence))
        self._parsers[show.id] = (now, key, lineup, reader)
        return reader

    def forget_parsers(self) -> None:
        self._parsers.clear()

    # -- intake ----------------------------------------------------------------------------

    async def live_show(self, show_id: str) -> Show:
        """The show, if it takes comments. Kept for half a second: a burst of batches costs
        one read, and the store still refuses comments for a show that ended meanwhile."""
        now = time.monotonic()
        cached = self._shows.get(show_id)
        if cached is not None and now - cached[0] < SHOW_TTL:
            show: Show | None = cached[1]
        else:
            show = await self.store.get_show(show_id)
            if show is not None:
                self._shows[show_id] = (now, show)
        if show is None:
            raise NotFound(f"show {show_id} not found")
        if show.status == ShowStatus.ENDED:
            raise ShowClosed(f"show {show_id} has ended")
        return show

    async def ingest(self, show_id: str, batch: Sequence[Any],
                     default_source: str = "webhook",
                     origin: str | None = None) -> list[CaptureResult]:
        """Parse, store and act on a batch; answers come back only once all are committed.

        ``origin`` (a viewer socket's client address, hashed) puts the batch under the
        anti-hoarding limits: few units without a phone, bounded units per address."""
        limits: dict[str, Any] = {} if origin is None else {
            "anonymous_cap": self.settings.anonymous_max_units, "origin": origin,
            "origin_cap": self.settings.address_max_holds}
        started = time.perf_counter()
        show = await self.live_show(show_id)
        reader = await self.reader_for(show)
        if show.risky_customers and self.customers is not None:
            await self.customers.book()  # fresh enough (rebuilt at most once a second)
        now = self.clock()
        answers: list[CaptureResult | None] = []
        requests: list[CaptureRequest] = []
        sources: list[str] = []
        for raw in batch:
            incoming = read_comment(raw, default_source)
            sources.append(default_source if isinstance(incoming, str) else incoming.source)
            if isinstance(incoming, str):
                answers.append(CaptureResult(comment_id(raw), CommentStatus.REJECTED,
                                             reason=incoming))
                continue
            answers.append(None)
            comment = Comment(show.id, incoming.source, incoming.id, incoming.author_id,
                              incoming.author_name, incoming.text, now)
            if len(incoming.text) > self.settings.max_comment_chars:
                requests.append(CaptureRequest(
                    comment, "chat", reject=f"text over {self.settings.max_comment_chars} chars"))
                continue
            intent, follow = reader.read(incoming.text)
            said = incoming.text[:SAID_CHARS]
            if show.risky_customers and self.customers is not None:
                held_back = self.customers.gate(show, comment.buyer, follow.kind,
                                                bool(follow.phone))
                if held_back:
                    requests.append(CaptureRequest(comment, "review", reason=held_back))
                    continue
            requests.append(CaptureRequest(
                comment, follow.kind,
                tuple(CaptureItem(i.code, i.variant, i.qty, intent.confidence, said)
                      for i in (intent.items if follow.items is None else follow.items)),
                follow.phone, intent.reason, address=follow.address, note=follow.note,
                **limits))
        captured = await self.store.capture(requests, now) if requests else []
        results = iter(captured)
        out: list[CaptureResult] = []
        for answer in answers:
            if answer is not None:
                out.append(answer)
                continue
            done = next(results)
            self.bus.publish(done.events)
            out.append(done.result)
        if self.observer is not None:
            self.observer(sources, [str(r.status) for r in out], time.perf_counter() - started)
        return out

    # -- staff -----------------------------------------------------------------------------

    async def order_action(self, code: str, action: str, version: int, actor: str) -> Order:
        changed = await self.store.order_action(code, action, version, actor, self.clock())
        self.bus.publish(changed.events)
        return changed.order

    async def patch_order(self, code: str, version: int, lines: Sequence[CaptureItem] | None,
                          contact: Mapping[str, str] | None, actor: str) -> Order:
        """Change quantities and/or some contact fields (the others are kept).

        The merge reads the order first; the store refuses the write if that version is no
        longer current, so a concurrent edit is never overwritten."""
        merged = None
        if contact is not None:
            order = await self.store.get_order(code)
            if order is None:
                raise NotFound(f"order {code} not found")
            merged = Contact(**{"name": order.contact.name, "phone": order.contact.phone,
                                "address": order.contact.address, **contact})
        changed = await self.store.patch_order(code, version, lines, merged, actor, self.clock())
        self.bus.publish(changed.events)
        return changed.order

    async def resolve_review(self, review_id: int, items: Sequence[CaptureItem],
                             actor: str) -> Order:
        changed = await self.store.resolve_review(review_id, items, actor, self.clock())
        self.bus.publish(changed.events)
        return changed.order

    async def dismiss_review(self, review_id: int, actor: str) -> ReviewItem:
        return await self.store.dismiss_review(review_id, actor, self.clock())

    async def expire_holds(self) -> int:
        """Release holds past their time; returns how many events it caused."""
        events = await self.store.expire_holds(self.clock())
        self.bus.publish(events)
        return len(events)

    # -- host ------------------------------------------------------------------------------

    async def put_products(self, products: Sequence[Product], actor: str) -> None:
        self.bus.publish(await self.store.put_products(products, actor, self.clock()))
        self.forget_parsers()

    async def set_product_image(self, code: str, image: str, actor: str) -> Product:
        """Point a product at a photo; shows carrying it redraw (their snapshot changed)."""
        from ..domain.events import ShowChanged

        product = await self.store.set_product_image(code, image, self.clock())
        self.forget_parsers()
        self.bus.publish(ShowChanged(show) for show in await self.store.list_shows()
                         if show.status != ShowStatus.ENDED and product.code in show.lineup)
        return product

    async def adjust_stock(self, code: str, variant: str, delta: int, actor: str) -> Any:
        level, events = await self.store.adjust_stock(code, variant, delta, actor, self.clock())
        self.bus.publish(events)
        return level

    async def create_show(self, title: str, lineup: Sequence[str], stream_url: str = "",
                          hold_minutes: int | None = None, max_per_buyer: int | None = None,
                          order_prefix: str | None = None, facebook_post_id: str = "",
                          talk_back: bool = False) -> Show:
        show = Show(
            id=secrets.token_hex(4), title=title, lineup=tuple(c.upper() for c in lineup),
            stream_url=stream_url,
            hold_minutes=hold_minutes or self.settings.hold_minutes,
            max_per_buyer=max_per_buyer or self.settings.max_per_buyer,
            order_prefix=order_prefix or self.settings.order_prefix,
            created_at=self.clock(), facebook_post_id=facebook_post_id, talk_back=talk_back,
        )
        return await self.store.create_show(show)

    async def _update(self, show_id: str, changes: Mapping[str, Any]) -> Show:
        from ..domain.events import ShowChanged

        show = await self.store.update_show(show_id, changes)
        self._shows.pop(show_id, None)  # a pin or an end takes effect on the next comment here
        self.bus.publish([ShowChanged(show)])
        return show

    async def schedule(self, show_id: str, starts_at: float | None) -> Show:
        """Plan (or clear) a show's start time, shown with a countdown before it goes live."""
        return await self._update(show_id, {"starts_at": starts_at})

    async def set_facebook_post(self, show_id: str, post_id: str) -> Show:
        """Route the Page webhook comments of this Facebook post to the show ("" stops it)."""
        await self._get(show_id)
        return await self._update(show_id, {"facebook_post_id": post_id})

    async def set_talk_back(self, show_id: str, enabled: bool) -> Show:
        """Turn replies to this show's buyers on their platforms on or off."""
        await self._get(show_id)
        return await self._update(show_id, {"talk_back": enabled})

    async def set_first_paid(self, show_id: str, enabled: bool) -> Show:
        """Turn first paid, first served on or off for later comments (domain/first_paid.py)."""
        await self._get(show_id)
        return await self._update(show_id, {"first_paid": enabled})

    async def start_show(self, show_id: str) -> Show:
        show = await self._get(show_id)
        if show.status == ShowStatus.ENDED:
            raise ShowClosed(f"show {show_id} has ended")
        return await self._update(show_id, {"status": "live", "started_at": self.clock()})

    async def end_show(self, show_id: str) -> Show:
        await self._get(show_id)
        return await self._update(show_id, {"status": "ended", "ended_at": self.clock(),
                                            "flash": None})

    async def pin(self, show_id: str, code: str | None, variant: str | None = None) -> Show:
        """Pin a product (optionally one of its sizes, which "+1" then means), or unpin."""
        show = await self._get(show_id)
        if code is not None and code.upper() not in show.lineup:
            raise Invalid(f"{code} is not in this show's lineup", code=code)
        label = None
        if code is not None and variant is not None:
            product = await self.store.get_product(code)
            chosen = product.variant(variant) if product else None
            if chosen is None:
                raise Invalid(f"{code} has no variant {variant!r}")
            label = chosen.label
        return await self._update(show_id, {"pinned": code.upper() if code else None,
                                            "pinned_variant": label})

    async def start_flash(self, show_id: str, code: str, price: int, seconds: int,
                          variant: str | None = None, quantity: int | None = None) -> Show:
        show = await self._get(show_id)
        product = await self.store.get_product(code)
        if product is None or code.upper() not in show.lineup:
            raise Invalid(f"{code} is not in this show's lineup", code=code)
        if variant is not None and product.variant(variant) is None:
            raise Invalid(f"{code} has no variant {variant!r}")
        label = product.variant(variant).label if variant else None  # type: ignore[union-attr]
        now = self.clock()
        prices = [v.price for v in product.variants if label is None or v.label == label]
        flash = FlashDeal(code=product.code, variant=label, price=price, quantity=quantity,
                          ends_at=now + seconds, started_at=now,
                          list_price=min(prices) if prices else None)
        changes: dict[str, Any] = {"flash": flash.to_json(), "pinned": product.code}
        if (show.pinned or "").upper() != product.code.upper():
            # The size pinned for another product means nothing for this one.
            changes["pinned_variant"] = None
        return await self._update(show_id, changes)

    async def set_risky_policy(self, show_id: str, policy: str) -> Show:
        """What the show does with orders from customers whose history is risky."""
        await self._get(show_id)
        return await self._update(show_id, {"risky_customers": policy})

    async def stop_flash(self, show_id: str) -> Show:
        await self._get(show_id)
        return await self._update(show_id, {"flash": None})

    async def _get(self, show_id: str) -> Show:
        show = await self.store.get_show(show_id)
        if show is None:
            raise NotFound(f"show {show_id} not found")
        return show

    # -- background ------------------------------------------------------------------------

    async def run_sweeper(self, interval: float) -> None:
        """Release expired holds every ``interval`` seconds until cancelled."""
        while True:
            try:
                await self.expire_holds()
            except asyncio.CancelledError:
                raise
            except Exception:
                self.log_limits.error("sweep", "hold sweep failed; trying again next round")
            await asyncio.sleep(interval)
