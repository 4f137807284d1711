"""Redis against SQLite, step for step: the same random show played on both stores must give
the same answers, errors, events, orders, books and reports (order tokens aside, which are
random by design)."""

from __future__ import annotations

import dataclasses
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from livesell.domain.catalog import load_catalog_file
from livesell.domain.errors import DomainError
from livesell.domain.events import OrderChanged
from livesell.domain.models import Comment, Contact, Show, ShowStatus
from livesell.store.base import CaptureItem, CaptureRequest, Store
from livesell.store.sqlite import SqliteStore
from tests.store.conftest import REDIS_URL
from tests.store.test_contract import CATALOG, NOW

pytestmark = pytest.mark.redis

ITEMS: list[tuple[str, str | None]] = [
    ("A1", "500g"), ("A1", "1kg"), ("A1", None), ("a2", None), ("B1", "1L"), ("C1", None),
    ("Z9", None), ("A1", "2kg"),
]
ACTIONS = ["confirm", "reject", "cancel", "paid", "shipped", "refund"]


def norm(value: Any) -> Any:
    """Comparable plain data; drops order tokens (random per store)."""
    if isinstance(value, DomainError):
        return (type(value).__name__, value.message, norm(value.detail))
    if isinstance(value, OrderChanged):
        # a store may attach the fresh order or leave listeners to load it
        return ("OrderChanged", value.code, value.show_id)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        doc = {f.name: norm(getattr(value, f.name)) for f in dataclasses.fields(value)}
        doc.pop("token", None)
        return (type(value).__name__, doc)
    if isinstance(value, list | tuple):
        return [norm(v) for v in value]
    if isinstance(value, dict):
        return {k: norm(v) for k, v in value.items()}
    return value


def first_difference(a: Any, b: Any, path: str = "") -> str:
    """Where two normalised answers part ways, for a readable failure."""
    if type(a) is not type(b) or not isinstance(a, list | tuple | dict):
        return f"{path}: {a!r} != {b!r}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b), key=str):
            if a.get(key) != b.get(key):
                return first_difference(a.get(key), b.get(key), f"{path}.{key}")
    elif len(a) != len(b):
        return f"{path}: {len(a)} items != {len(b)} items: {a!r} != {b!r}"
    else:
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return first_difference(x, y, f"{path}[{i}]")
    return f"{path}: equal"


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[Store, Store]]:
    from livesell.store.redis import RedisStore

    sqlite = SqliteStore(tmp_path / "pair.db", "OFF")
    redis_store = RedisStore(REDIS_URL, prefix=f"lstest-{uuid.uuid4().hex[:10]}")
    await sqlite.start()
    await redis_store.start()
    try:
        yield sqlite, redis_store
    finally:
        await sqlite.close()
        await redis_store.delete_everything()
        await redis_store.close()


class Play:
    """One random show, its steps drawn from a seed, each run on both stores."""

    def __init__(self, stores: tuple[Store, Store], seed: int) -> None:
        self.stores = stores
        self.rng = random.Random(seed)
        self.now = NOW
        self.n = 0
        self.sent: list[CaptureRequest] = []
        self.versions = [0, 0]

    async def both(self, name: str, *args: Any) -> Any:
        answers = []
        for store in self.stores:
            try:
                answers.append(norm(await getattr(store, name)(*args)))
            except DomainError as exc:
                answers.append(norm(exc))
        assert answers[0] == answers[1], (name, first_difference(answers[0], answers[1]))
        return answers[0]

    def request(self) -> CaptureRequest:
        rng = self.rng
        if self.sent and rng.random() < 0.08:
            return rng.choice(self.sent)
        self.n += 1
        kind = rng.choices(["order", "cancel", "question", "review", "chat"],
                           [70, 14, 5, 5, 6])[0]
        picks = [rng.choice(ITEMS) for _ in range(rng.choice([1, 1, 2]))]
        items = tuple(CaptureItem(c, v, rng.randint(1, 4)) for c, v in picks)
        if kind == "cancel" and rng.random() < 0.5:
            items = ()
        buyer = f"u{rng.randint(1, 5)}"
        show = rng.choices(["s1", "s2", "nope"], [70, 29, 1])[0]
        req = CaptureRequest(
            Comment(show, rng.choice(["sim", "site"]), f"c{self.n}", buyer, f"Người {buyer}",
                    f"text {self.n}", self.now),
            kind, items, rng.choice([None, None, "0912345678"]),
            reason="unclear" if kind == "review" else "",
            reject="too_long" if rng.random() < 0.03 else "")
        self.sent.append(req)
        return req

    async def codes(self) -> list[tuple[str, int]]:
        orders = [*await self.stores[0].list_orders("s1"),
                  *await self.stores[0].list_orders("s2")]
        return [(o.code, o.version) for o in orders]

    async def step(self) -> None:
        rng = self.rng
        self.now += rng.choice([0.0, 0.5, 7.25, 31.0])
        op = rng.choices(["capture", "action", "patch", "expire", "adjust", "flash", "review",
                          "catalog"], [45, 15, 10, 10, 7, 5, 8, 3])[0]
        if op == "capture":
            batch = [self.request() for _ in range(rng.randint(1, 4))]
            await self.both("capture", batch, self.now)
        elif op in ("action", "patch"):
            codes = await self.codes()
            if not codes:
                return
            code, version = rng.choice(codes)
            version -= rng.random() < 0.15
            if op == "action":
                await self.both("order_action", code, rng.choice(ACTIONS), version, "staff",
                                self.now)
            else:
                lines = [CaptureItem(c, v, rng.randint(0, 5))
                         for c, v in rng.sample(ITEMS[:6], 2)] if rng.random() < 0.8 else None
                contact = Contact("Chị Lan", "0987654321", "Cà Mau") \
                    if rng.random() < 0.3 else None
                await self.both("patch_order", code, version, lines, contact, "staff",
                                self.now)
        elif op == "expire":
            self.now += rng.choice([30.0, 61.0, 120.0])
            await self.both("expire_holds", self.now)
        elif op == "adjust":
            code, label = rng.choice([("A1", "500g"), ("A1", "1kg"), ("A2", ""), ("C1", ""),
                                      ("B9", "")])
            await self.both("adjust_stock", code, label, rng.randint(-3, 4), "host", self.now)
        elif op == "flash":
            flash = {"code": "A1", "variant": rng.choice(["500g", None]), "price": 100000,
                     "quantity": rng.choice([3, None]), "ends_at": self.now + 45,
                     "started_at": self.now} if rng.random() < 0.7 else None
            await self.both("update_show", rng.choice(["s1", "s2", "s9"]), {"flash": flash})
        elif op == "catalog":
            # Re-put with new totals: some below what is held or sold (refused, nothing kept).
            products = [replace(p, code=p.code.lower() if rng.random() < 0.3 else p.code,
                                variants=tuple(replace(v, stock=rng.randint(0, 8))
                                               for v in p.variants))
                        for p in load_catalog_file(CATALOG)]
            await self.both("put_products", rng.sample(products, 2), "host", self.now)
        else:
            items = await self.stores[0].list_review(rng.choice(["s1", "s2"]))
            if not items:
                return
            item = rng.choice(items)
            if rng.random() < 0.7:
                await self.both("resolve_review", item.id,
                                [CaptureItem(*rng.choice(ITEMS), rng.randint(1, 3))], "staff",
                                self.now)
            else:
                await self.both("dismiss_review", item.id, "staff", self.now)

    async def compare_everything(self) -> None:
        for status in (None, "captured", "confirmed", "cancelled", "expired"):
            await self.both("list_orders", "s1", status)
            await self.both("list_orders", "s2", status)
        for code, _ in await self.codes():
            await self.both("get_order", code)
            await self.both("get_order", code.lower())
        await self.both("get_order", "DD-9999")
        await self.both("report", "s2")
        await self.both("list_review", "s2", "open")
        await self.both("list_shows")
        await self.both("stock")
        await self.both("stock", ["a1", "C1", "nope"])
        # Versions are opaque and only ever grow (SQLite bumps once per group commit, Redis
        # once per script), so compare their direction, not their values.
        versions = [await store.stock_version() for store in self.stores]
        assert all(v >= last for v, last in zip(versions, self.versions, strict=True))
        self.versions = versions
        await self.both("list_review", "s1", "open")
        await self.both("list_review", "s1", "resolved")
        await self.both("list_review", "s1", "dismissed")
        await self.both("report", "s1")
        await self.both("get_show", "s1")
        await self.both("list_products")


@pytest.mark.parametrize("seed", range(12))
async def test_redis_plays_like_sqlite(pair: tuple[Store, Store], seed: int) -> None:
    products = [replace(p, variants=tuple(replace(v, stock=3 + i % 4)
                                          for i, v in enumerate(p.variants)))
                for p in load_catalog_file(CATALOG)]
    play = Play(pair, seed)
    await play.both("put_products", products, "host", NOW)
    show = Show(id="s1", title="Show", lineup=("A1", "A2", "B1", "C1"),
                status=ShowStatus.LIVE, created_at=NOW, hold_minutes=1, max_per_buyer=5)
    await play.both("create_show", show)
    await play.both("create_show", replace(show, id="s2", lineup=("A1", "C1"), hold_minutes=2,
                                           max_per_buyer=3, order_prefix="HN",
                                           created_at=NOW + 1))
    await play.both("create_show", replace(show, id="s3", lineup=("A1", "Q7", "q8")))
    for _ in range(70):
        await play.step()
    await play.compare_everything()
    await play.both("update_show", "s1", {"status": "ended"})
    await play.both("capture", [play.request()], play.now)
    await play.compare_everything()
