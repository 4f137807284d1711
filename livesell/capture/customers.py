"""The customer book: every order of every show grouped into customers, kept in memory and
rebuilt after orders changed (at most once a second); staff merges and splits are kept with
the data (store meta ``customer_links``)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from ..domain.customers import Customer, Link, gate, group, search
from ..domain.errors import Invalid, NotFound
from ..domain.events import Event, OrderChanged
from ..domain.models import Show
from ..store.base import Store
from .bus import EventBus

LINKS_KEY = "customer_links"
REBUILD_SECONDS = 1.0


class CustomerBook:
    def __init__(self, store: Store, bus: EventBus) -> None:
        self.store = store
        self.by_buyer: dict[str, Customer] = {}
        self.links: list[Link] = []
        self.built_at = -1e9
        self.dirty = True
        self.lock = asyncio.Lock()
        bus.subscribe(self.on_event)

    def on_event(self, event: Event) -> None:
        if isinstance(event, OrderChanged):
            self.dirty = True

    async def _links(self) -> list[Link]:
        raw = await self.store.get_meta(LINKS_KEY)
        return [Link(**item) for item in json.loads(raw)] if raw else []

    async def book(self, fresh: bool = False) -> dict[str, Customer]:
        """Customers by buyer identity, rebuilt when orders changed since the last build (at
        most once a second, unless ``fresh``: a phone set a moment ago may join two)."""
        now = time.monotonic()
        if (fresh and self.dirty) or self.built_at < 0 or (
                self.dirty and now - self.built_at >= REBUILD_SECONDS):
            async with self.lock:
                self.dirty = False
                self.built_at = now
                self.links = await self._links()
                orders = []
                for show in await self.store.list_shows():
                    orders.extend(await self.store.list_orders(show.id))
                self.by_buyer = group(orders, self.links)
        return self.by_buyer

    def gate(self, show: Show, buyer: str, kind: str, has_phone: bool) -> str | None:
        """The show's policy for risky customers, on the book as last built."""
        customer = self.by_buyer.get(buyer)
        if customer is None:
            return None
        return gate(kind, customer.hint, show.risky_customers, has_phone)

    async def of_buyer(self, buyer: str) -> Customer | None:
        return (await self.book()).get(buyer)

    async def get(self, customer_id: str, fresh: bool = False) -> Customer:
        for customer in (await self.book(fresh)).values():
            if customer.id == customer_id:
                return customer
        raise NotFound(f"customer {customer_id} not found")

    async def search(self, query: str) -> list[Customer]:
        return search(await self.book(), query)

    async def _add_link(self, link: Link) -> None:
        async with self.lock:
            links = await self._links()
            links.append(link)
            await self.store.set_meta(LINKS_KEY, json.dumps([k.to_json() for k in links]))
        self.dirty = True

    async def merge(self, a: str, b: str) -> Customer:
        """Staff say two customers are one person."""
        first, second = await self.get(a, fresh=True), await self.get(b, fresh=True)
        if first.id == second.id:
            raise Invalid("these are already one customer")
        await self._add_link(Link("merge", min(first.identities), min(second.identities)))
        return (await self.book(fresh=True))[min(first.identities)]

    async def split(self, customer_id: str, buyer: str) -> Customer:
        """Staff say one buyer identity of a customer is somebody else."""
        customer = await self.get(customer_id, fresh=True)
        if buyer not in customer.identities or len(customer.identities) < 2:
            raise Invalid(f"{buyer!r} is not one of several buyers of this customer")
        # a split undoes the merges that named this buyer, then detaches its phones
        async with self.lock:
            links = [k for k in await self._links() if buyer not in (k.a, k.b)]
            links.append(Link("split", buyer))
            await self.store.set_meta(LINKS_KEY, json.dumps([k.to_json() for k in links]))
        self.dirty = True
        return (await self.book(fresh=True))[buyer]

    async def annotate(self, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Add ``customer`` to order JSON documents (staff answers only)."""
        book = await self.book()
        if any(str(doc.get("buyer", "")) not in book for doc in docs):
            book = await self.book(fresh=True)  # a buyer new since the last build
        for doc in docs:
            customer = book.get(str(doc.get("buyer", "")))
            doc["customer"] = customer.summary(str(doc["code"])) if customer else None
        return docs


def customer_json(customer: Customer) -> dict[str, Any]:
    return {**customer.summary(), "buyers": sorted(customer.identities),
            "orders": [o.to_json(audit=False) for o in customer.orders]}
