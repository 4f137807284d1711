"""First paid, first served, Redis against SQLite step for step: the random shows of
``test_contract_redis_extra`` with the mode toggled on and off and bank transfers paying
orders (in full, in part, or more) must give the same answers, events, orders and books."""

from __future__ import annotations

from dataclasses import replace

import pytest

from livesell.domain.catalog import load_catalog_file
from livesell.domain.first_paid import prepaid
from livesell.domain.models import Show, ShowStatus
from livesell.domain.payments import Transfer, outcome, settle
from livesell.store.base import PaymentMatch, Store
from tests.store.test_contract import CATALOG, NOW
from tests.store.test_contract_redis_extra import Play, pair

pytestmark = pytest.mark.redis
__all__ = ["pair"]


class FirstPaidPlay(Play):
    transfers = 0

    async def step(self) -> None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.08:
            await self.both("update_show", rng.choice(["s1", "s2"]),
                            {"first_paid": rng.random() < 0.7})
        elif roll < 0.3:
            await self.pay()
        else:
            await super().step()

    async def pay(self) -> None:
        codes = await self.codes()
        if not codes:
            return
        code, _ = self.rng.choice(codes)
        order = await self.stores[0].get_order(code)
        assert order is not None
        amount = max(1, int(order.total * self.rng.choice([1.0, 1.0, 0.5, 1.5])))
        s = settle(order.status, order.total, order.received, amount,
                   prepay=prepaid(order.lines))
        self.transfers += 1
        await self.both("record_transfer",
                        Transfer(f"t:{self.transfers}", "sepay", amount, order.code),
                        PaymentMatch(order.code, order.version, s, outcome(order.status, s)),
                        "bank", self.now)


@pytest.mark.parametrize("seed", range(8))
async def test_first_paid_plays_alike(pair: tuple[Store, Store], seed: int) -> None:
    products = [replace(p, variants=tuple(replace(v, stock=2 + i % 3)
                                          for i, v in enumerate(p.variants)))
                for p in load_catalog_file(CATALOG)]
    play = FirstPaidPlay(pair, 1000 + seed)
    await play.both("put_products", products, "host", NOW)
    show = Show(id="s1", title="Show", lineup=("A1", "A2", "B1", "C1"),
                status=ShowStatus.LIVE, created_at=NOW, hold_minutes=1, max_per_buyer=5,
                first_paid=True)
    await play.both("create_show", show)
    await play.both("create_show", replace(show, id="s2", lineup=("A1", "C1"), hold_minutes=2,
                                           max_per_buyer=3, order_prefix="HN",
                                           created_at=NOW + 1, first_paid=False))
    for _ in range(70):
        await play.step()
    await play.compare_everything()
    await play.both("list_transfers")
