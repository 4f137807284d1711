"""``python -m bench.writer_micro`` — writer CPU per captured order comment on SQLite.

Builds a store in a temporary folder (5 products x 4 variants = 20 variants), then calls
``store.sqlite.batch.capture_batch`` directly on a connection from ``engine.connect``, in
batches of 250 inside BEGIN IMMEDIATE / COMMIT (one savepoint per batch, like the engine),
and reports ``time.process_time`` per capture. Two scenarios:

- ``held``: plenty of stock, every comment holds one unit (buyers repeat, so most comments
  extend an open order);
- ``oversold``: 5x oversubscribed like ``bench.stores`` (one new buyer per comment; 80 % of
  the comments end up waitlisted).

    python -m bench.writer_micro [--count 20000] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

from livesell.domain.models import Comment, CommentStatus, Product, Show, ShowStatus, Variant
from livesell.store.base import CaptureItem, CaptureRequest
from livesell.store.sqlite import SqliteStore
from livesell.store.sqlite.batch import capture_batch
from livesell.store.sqlite.engine import connect
from livesell.store.sqlite.writer import WriterCache

NOW = 1_800_000_000.0
BATCH = 250


async def _prepare(path: Path, stock: int) -> None:
    store = SqliteStore(path, "OFF")
    await store.start()
    products = [Product(code=f"P{p}", name=f"Sản phẩm {p}", variants=tuple(
        Variant(label=f"{v + 1}kg", price=100_000 + 10_000 * v, stock=stock) for v in range(4)))
        for p in range(5)]
    await store.put_products(products, "bench", NOW)
    await store.create_show(Show(id="bench", title="bench", lineup=tuple(p.code for p in products),
                                 status=ShowStatus.LIVE, max_per_buyer=1_000_000,
                                 created_at=NOW))
    await store.close()


def _requests(count: int, buyers: int) -> list[CaptureRequest]:
    return [CaptureRequest(
        Comment("bench", "sim", f"c{n}", f"b{n % buyers}", f"Người {n % buyers}", "chốt", NOW),
        "order", (CaptureItem(f"P{n % 5}", f"{(n // 5) % 4 + 1}kg", 1),), None)
        for n in range(count)]


def run(scenario: str, count: int, profile: bool = False) -> tuple[float, dict[str, int]]:
    """Microseconds of writer CPU per capture, and the comment statuses it produced."""
    if scenario == "held":
        stock, buyers = count, max(1, count // 5)
    else:
        stock, buyers = count // 5 // 20, count
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "micro.db"
        asyncio.run(_prepare(path, stock))
        conn = connect(path, "FULL")
        cache = WriterCache()
        reqs = _requests(count, buyers)
        statuses: dict[str, int] = {}

        def loop() -> None:
            for start in range(0, count, BATCH):
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("SAVEPOINT op")
                for done in capture_batch(conn, reqs[start:start + BATCH], [NOW] * BATCH, cache):
                    assert not isinstance(done, Exception), done
                    key = str(done.result.status)
                    statuses[key] = statuses.get(key, 0) + 1
                conn.execute("RELEASE op")
                cache.before_commit(conn)
                conn.execute("COMMIT")

        began = time.process_time()
        if profile:
            profiler = cProfile.Profile()
            profiler.runcall(loop)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
        else:
            loop()
        spent = time.process_time() - began
        conn.close()
    return spent / count * 1e6, statuses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    for scenario in ("held", "oversold"):
        best = float("inf")
        statuses: dict[str, int] = {}
        for _ in range(1 if args.profile else args.repeat):
            us, statuses = run(scenario, args.count, args.profile)
            best = min(best, us)
        assert statuses.get(str(CommentStatus.ORDERED), 0) > 0
        print(f"{scenario:9s} {best:7.1f} us/capture  {statuses}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
