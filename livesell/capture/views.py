"""Public read models of a show: what viewers, the overlay and the public JSON may see.

Nothing here carries a phone, an address or a full name (invariant 6): ticker names are
shortened and comment text has phone numbers masked before it is kept.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any

from ..domain.errors import NotFound
from ..domain.events import CommentReceived, Event, OrderPlaced
from ..domain.masking import public_text, short_name
from ..domain.models import Show, StockLevel, sku
from ..store.base import Store


def stock_map(levels: list[StockLevel]) -> dict[str, int]:
    return {sku(level.code, level.variant): level.available for level in levels}


def public_item(event: OrderPlaced | CommentReceived, before: str = "") -> dict[str, Any]:
    """The public form of a ticker or comment event: short name, anything phone-like or
    address-like masked (``before``: the author's previous comment, for split numbers)."""
    if isinstance(event, OrderPlaced):
        return {"name": short_name(event.buyer_name), "code": event.code,
                "variant": event.variant, "qty": event.qty, "at": event.at}
    return {"name": short_name(event.author_name), "text": public_text(event.text, before),
            "status": event.status, "at": event.at}


# Authors whose last comment is remembered (to catch a number split over two comments).
_AUTHORS_KEPT = 10_000
_MASKED_KEPT = 2_000


class ShowViews:
    """Builds public snapshots and keeps each show's recent ticker and comment feed."""

    def __init__(self, store: Store, ticker_size: int = 20,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock
        self.ticker_size = ticker_size
        self._ticker: dict[str, deque[OrderPlaced]] = {}
        self._feed: dict[str, deque[CommentReceived]] = {}
        self._last_text: OrderedDict[tuple[str, str], str] = OrderedDict()
        # id(event) -> [event, the author's previous text, its public form once made]
        self._public: OrderedDict[int, list[Any]] = OrderedDict()

    def remember(self, event: Event) -> None:
        """Keep a ticker or feed event, and beside a comment the author's previous one: its
        public form is made from both when first asked for (under a storm only the comments
        a push or a snapshot carries are masked), once."""
        if isinstance(event, OrderPlaced):
            self._ticker.setdefault(event.show_id, deque(maxlen=self.ticker_size)).append(event)
        elif isinstance(event, CommentReceived):
            self._feed.setdefault(event.show_id, deque(maxlen=50)).append(event)
            key = (event.show_id, event.author_name)
            before = self._last_text.pop(key, "")
            self._last_text[key] = event.text[-300:]
            self._public[id(event)] = [event, before, None]
            while len(self._last_text) > _AUTHORS_KEPT:
                self._last_text.popitem(last=False)
            while len(self._public) > _MASKED_KEPT:
                self._public.popitem(last=False)

    def public_item(self, event: OrderPlaced | CommentReceived) -> dict[str, Any]:
        """The public form of an event, as made when it was remembered."""
        if isinstance(event, CommentReceived):
            hit = self._public.get(id(event))
            if hit is not None and hit[0] is event:
                if hit[2] is None:
                    hit[2] = public_item(event, hit[1])
                item: dict[str, Any] = hit[2]
                return item
        return public_item(event)

    def ticker(self, show_id: str) -> list[dict[str, Any]]:
        return [public_item(e) for e in self._ticker.get(show_id, ())]

    def feed(self, show_id: str) -> list[dict[str, Any]]:
        return [self.public_item(e) for e in self._feed.get(show_id, ())]

    async def show(self, show_id: str) -> Show:
        show = await self.store.get_show(show_id)
        if show is None:
            raise NotFound(f"show {show_id} not found")
        return show

    async def stock(self, show: Show) -> tuple[int, dict[str, int]]:
        """(stock version, {"A1:1kg": available}) for the show's lineup."""
        version = await self.store.stock_version()
        return version, stock_map(await self.store.stock(show.lineup))

    async def snapshot(self, show_id: str) -> dict[str, Any]:
        """Everything a viewer needs to draw the show, in one object."""
        show = await self.show(show_id)
        products = {p.code: p for p in await self.store.list_products()}
        version, stock = await self.stock(show)
        lineup = []
        for code in show.lineup:
            product = products.get(code)
            if product is None:
                continue
            lineup.append({
                "code": product.code, "name": product.name, "category": str(product.category),
                "ocop_stars": product.ocop_stars, "image": product.image,
                "description": product.description,
                "producer": {"name": product.producer.name,
                             "province": product.producer.province},
                "variants": [{"label": v.label, "price": v.price,
                              "available": stock.get(sku(product.code, v.label), 0),
                              "unit": product.unit_of(v.label)}
                             for v in product.variants],
            })
        now = self.clock()
        flash = show.flash.to_json() if show.flash and show.flash.ends_at > now else None
        return {
            "show": {"id": show.id, "title": show.title, "status": str(show.status),
                     "stream_url": show.stream_url, "hold_minutes": show.hold_minutes,
                     "max_per_buyer": show.max_per_buyer, "starts_at": show.starts_at,
                     "kind": show.kind, "first_paid": show.first_paid},
            "lineup": lineup, "pinned": show.pinned, "pinned_variant": show.pinned_variant,
            "flash": flash, "stock": stock,
            "version": version, "server_time": now,
            "ticker": self.ticker(show.id), "comments": self.feed(show.id),
        }
