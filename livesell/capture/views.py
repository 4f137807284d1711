"""Public read models of a show: what viewers, the overlay and the public JSON may see.

Nothing here carries a phone, an address or a full name (invariant 6): ticker names are
shortened and comment text has phone numbers masked before it is kept.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

from ..domain.errors import NotFound
from ..domain.events import CommentReceived, Event, OrderPlaced
from ..domain.masking import mask_phones, short_name
from ..domain.models import Show, StockLevel, sku
from ..store.base import Store


def stock_map(levels: list[StockLevel]) -> dict[str, int]:
    return {sku(level.code, level.variant): level.available for level in levels}


def public_item(event: OrderPlaced | CommentReceived) -> dict[str, Any]:
    """The public form of a ticker or comment event: short name, phones masked."""
    if isinstance(event, OrderPlaced):
        return {"name": short_name(event.buyer_name), "code": event.code,
                "variant": event.variant, "qty": event.qty, "at": event.at}
    return {"name": short_name(event.author_name), "text": mask_phones(event.text[:300]),
            "status": event.status, "at": event.at}


class ShowViews:
    """Builds public snapshots and keeps each show's recent ticker and comment feed."""

    def __init__(self, store: Store, ticker_size: int = 20,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock
        self.ticker_size = ticker_size
        self._ticker: dict[str, deque[OrderPlaced]] = {}
        self._feed: dict[str, deque[CommentReceived]] = {}

    def remember(self, event: Event) -> None:
        """Keep a ticker or feed event (raw; masked only when someone reads it)."""
        if isinstance(event, OrderPlaced):
            self._ticker.setdefault(event.show_id, deque(maxlen=self.ticker_size)).append(event)
        elif isinstance(event, CommentReceived):
            self._feed.setdefault(event.show_id, deque(maxlen=50)).append(event)

    def ticker(self, show_id: str) -> list[dict[str, Any]]:
        return [public_item(e) for e in self._ticker.get(show_id, ())]

    def feed(self, show_id: str) -> list[dict[str, Any]]:
        return [public_item(e) for e in self._feed.get(show_id, ())]

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
                     "kind": show.kind},
            "lineup": lineup, "pinned": show.pinned, "pinned_variant": show.pinned_variant,
            "flash": flash, "stock": stock,
            "version": version, "server_time": now,
            "ticker": self.ticker(show.id), "comments": self.feed(show.id),
        }
