"""Invariant 1 as a property: whatever the interleaving, available + held + sold == total.

A hypothesis state machine mixes orders, cancels, expiry, confirms, rejects, restocks and
edits, and first paid, first served (the mode toggled on and off, orders made in it, bank
transfers paying them), checking the books and the waitlist order after every step, on each
store.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from livesell.domain.errors import DomainError
from livesell.domain.first_paid import REFUND, prepaid
from livesell.domain.models import LineState, OrderStatus
from livesell.domain.payments import Transfer, outcome, settle
from livesell.store.base import CaptureItem, PaymentMatch, Store
from livesell.store.redis import RedisStore
from livesell.store.sqlite import SqliteStore
from tests.store.test_contract import NOW, order_req, setup_show

SKUS = [("C1", None), ("A1", "1kg"), ("A2", None)]


REDIS_URL = os.environ.get("LIVESELL_TEST_REDIS", "redis://127.0.0.1:6379/0")


class Books(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.dir = tempfile.TemporaryDirectory()
        self.store = self.make_store()
        self.now = NOW
        self.n = 0
        self.totals: dict[str, int] = {}

    def make_store(self) -> Store:
        return SqliteStore(Path(self.dir.name) / "books.db", "OFF")

    def run(self, coro):  # type: ignore[no-untyped-def]
        return self.loop.run_until_complete(coro)

    @initialize()
    def start(self) -> None:
        self.run(self.store.start())
        self.run(setup_show(self.store, hold_minutes=5, max_per_buyer=50))
        self.totals = {f"{s.code}:{s.variant}": s.total for s in self.run(self.store.stock())}

    def teardown(self) -> None:
        if isinstance(self.store, RedisStore):
            self.run(self.store.delete_everything())
        self.run(self.store.close())
        self.loop.close()
        self.dir.cleanup()

    def orders(self) -> list:  # type: ignore[type-arg]
        return self.run(self.store.list_orders("s1"))

    @rule(buyer=st.integers(0, 5), sku=st.sampled_from(SKUS), qty=st.integers(1, 12))
    def order(self, buyer: int, sku: tuple[str, str | None], qty: int) -> None:
        self.n += 1
        self.run(self.store.capture([order_req(f"c{self.n}", [(sku[0], sku[1], qty)],
                                               buyer=f"b{buyer}")], self.now))

    @rule(buyer=st.integers(0, 5), code=st.sampled_from(["", "C1", "A1"]))
    def cancel(self, buyer: int, code: str) -> None:
        self.n += 1
        items = [(code, None, 1)] if code else []
        self.run(self.store.capture([order_req(f"c{self.n}", items, buyer=f"b{buyer}",
                                               kind="cancel")], self.now))

    @rule(on=st.booleans())
    def toggle_first_paid(self, on: bool) -> None:
        self.run(self.store.update_show("s1", {"first_paid": on}))

    @rule(buyer=st.integers(0, 5), sku=st.sampled_from(SKUS), qty=st.integers(1, 12))
    def first_paid_order(self, buyer: int, sku: tuple[str, str | None], qty: int) -> None:
        self.toggle_first_paid(True)
        self.order(buyer, sku, qty)

    @rule(pick=st.integers(0, 100), part=st.sampled_from([1.0, 0.5, 1.5]))
    def transfer(self, pick: int, part: float) -> None:
        """A bank transfer for an order: the full amount, half of it, or more."""
        orders = self.orders()
        if not orders:
            return
        order = orders[pick % len(orders)]
        amount = max(1, int(order.total * part))
        self.n += 1
        s = settle(order.status, order.total, order.received, amount,
                   prepay=prepaid(order.lines))
        self.run(self.store.record_transfer(
            Transfer(f"t:{self.n}", "sepay", amount, order.code),
            PaymentMatch(order.code, order.version, s, outcome(order.status, s)), "bank",
            self.now))

    @rule(minutes=st.integers(0, 8))
    def time_passes(self, minutes: int) -> None:
        self.now += minutes * 60
        self.run(self.store.expire_holds(self.now))

    @rule(pick=st.integers(0, 100), action=st.sampled_from(
        ["confirm", "reject", "cancel", "paid", "shipped"]))
    def staff(self, pick: int, action: str) -> None:
        orders = self.orders()
        if not orders:
            return
        order = orders[pick % len(orders)]
        try:
            self.run(self.store.order_action(order.code, action, order.version, "s", self.now))
        except DomainError:
            pass

    @rule(pick=st.integers(0, 100), sku=st.sampled_from(SKUS), qty=st.integers(0, 15))
    def edit(self, pick: int, sku: tuple[str, str | None], qty: int) -> None:
        orders = self.orders()
        if not orders:
            return
        order = orders[pick % len(orders)]
        try:
            self.run(self.store.patch_order(order.code, order.version,
                                            [CaptureItem(sku[0], sku[1], qty)], None, "s",
                                            self.now))
        except DomainError:
            pass

    @rule(sku=st.sampled_from(SKUS), delta=st.integers(-6, 6).filter(bool))
    def restock(self, sku: tuple[str, str | None], delta: int) -> None:
        try:
            self.run(self.store.adjust_stock(sku[0], sku[1] or "", delta, "host", self.now))
        except DomainError:
            return
        self.totals[f"{sku[0]}:{sku[1] or ''}"] += delta

    @invariant()
    def books_balance(self) -> None:
        if not self.totals:
            return
        orders = self.orders()
        for level in self.run(self.store.stock()):
            key = f"{level.code}:{level.variant}"
            assert min(level.available, level.held, level.sold) >= 0
            assert level.available + level.held + level.sold == self.totals[key] == level.total
            lines = [ln for o in orders for ln in o.lines
                     if ln.code == level.code and ln.variant == level.variant]
            assert level.held == sum(ln.qty for ln in lines if ln.state == LineState.HELD)
            assert level.sold == sum(ln.qty for ln in lines if ln.state == LineState.CONFIRMED)
            waiting = [ln for ln in lines if ln.state == LineState.WAITLISTED]
            # stock never sits free while someone waits for it
            assert not (waiting and level.available > 0)
        for o in orders:
            if o.status not in (OrderStatus.CAPTURED,):
                assert all(ln.state != LineState.WAITLISTED for ln in o.lines)
            # first paid, first served: paying took every requested unit, or flagged the
            # money of those it could not get for a refund
            if o.status in (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.CANCELLED,
                            OrderStatus.REJECTED, OrderStatus.EXPIRED):
                assert all(ln.state != LineState.REQUESTED for ln in o.lines), o.code
            if any(ln.state == LineState.SOLD_OUT for ln in o.lines):
                assert o.status in (OrderStatus.PAID, OrderStatus.SHIPPED), o.code
                assert o.payment_flag in (REFUND, "overpaid"), o.code


class RedisBooks(Books):
    def make_store(self) -> Store:
        return RedisStore(REDIS_URL, prefix=f"lstest-{uuid.uuid4().hex[:10]}")


Books.TestCase.settings = settings(max_examples=40, stateful_step_count=30, deadline=None)
TestBooks = Books.TestCase
RedisBooks.TestCase.settings = settings(max_examples=40, stateful_step_count=30,
                                        deadline=None)
TestRedisBooks = pytest.mark.redis(RedisBooks.TestCase)
