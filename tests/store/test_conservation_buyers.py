"""The conservation state machine with the buyers' actions: partial cancels, size changes,
contact follow-ups, cancels after confirm and orders under the anti-hoarding limits, on both
stores, with the books checked after every step."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import rule

from livesell.store.redis import RedisStore
from tests.store.conftest import REDIS_URL
from tests.store.test_conservation_stateful import SKUS, Books
from tests.store.test_contract import order_req


class BuyerBooks(Books):
    @rule(buyer=st.integers(0, 5), sku=st.sampled_from(SKUS), qty=st.integers(1, 4))
    def reduce(self, buyer: int, sku: tuple[str, str | None], qty: int) -> None:
        self.n += 1
        self.run(self.store.capture([order_req(f"c{self.n}", [(sku[0], sku[1], qty)],
                                               buyer=f"b{buyer}", kind="reduce")], self.now))

    @rule(buyer=st.integers(0, 5), to=st.sampled_from(["500g", "1kg"]))
    def change(self, buyer: int, to: str) -> None:
        self.n += 1
        self.run(self.store.capture([order_req(
            f"c{self.n}", [("A1", None, 0), ("A1", to, 0)], buyer=f"b{buyer}",
            kind="change")], self.now))

    @rule(buyer=st.integers(0, 5))
    def contact(self, buyer: int) -> None:
        self.n += 1
        self.run(self.store.capture([order_req(f"c{self.n}", [], buyer=f"b{buyer}",
                                               kind="contact", phone="0912888777")], self.now))

    @rule(buyer=st.integers(0, 5), sku=st.sampled_from(SKUS), qty=st.integers(1, 5))
    def site_order(self, buyer: int, sku: tuple[str, str | None], qty: int) -> None:
        """Even buyers come from one address, odd ones from another (8 units each)."""
        self.n += 1
        origin = buyer % 2
        req = order_req(f"c{self.n}", [(sku[0], sku[1], qty)], buyer=f"site{buyer}")
        req = replace(req, anonymous_cap=3, origin=str(origin), origin_cap=8)
        before = self.site_units(origin)
        self.run(self.store.capture([req], self.now))
        # staff edits may go past the limit; a comment never does
        assert self.site_units(origin) <= max(before, 8)

    def site_units(self, origin: int) -> int:
        return sum(ln.qty for o in self.orders() if o.status == "captured"
                   and o.buyer.startswith("sim:site") and int(o.buyer[-1]) % 2 == origin
                   for ln in o.lines if ln.state in ("held", "waitlisted"))


BuyerBooks.TestCase.settings = settings(max_examples=25, stateful_step_count=30,
                                        deadline=None)
TestBuyerBooks = BuyerBooks.TestCase


class RedisBuyerBooks(BuyerBooks):
    def __init__(self) -> None:
        super().__init__()
        self.store = RedisStore(REDIS_URL, prefix=f"lstest-{uuid.uuid4().hex[:10]}")  # type: ignore[assignment]

    def teardown(self) -> None:
        self.run(self.store.delete_everything())  # type: ignore[attr-defined]
        super().teardown()


RedisBuyerBooks.TestCase.settings = settings(max_examples=15, stateful_step_count=30,
                                             deadline=None)
TestRedisBuyerBooks = pytest.mark.redis(RedisBuyerBooks.TestCase)
