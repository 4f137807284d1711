"""``python -m bench.stores [--quick] [--write]`` — reservations per second on each store.

The same oversubscribed race on every store: 20,000 one-unit order comments from 20,000 buyers
for 4,000 units spread over 20 variants (5x oversubscription), through the real capture path
(dedupe, comment, hold or waitlist, order, audit, events). Modes:

- SQLite ``synchronous=FULL`` and ``NORMAL``: 256 concurrent one-comment calls, so the writer's
  group commit batches them; and FULL with 250-comment batches (how the HTTP ingest calls it).
- Redis: one script call at a time; 16 concurrent callers; pipelined 250-comment batches.

Each mode starts from an empty store and checks afterwards that exactly 4,000 comments were
ordered, 16,000 waitlisted, and that every variant's held + sold equals its units with none
available (no oversell, nothing lost). Latency is per store call (one commit or script call,
or one batch in the batch modes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import uuid
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from bench.common import append_section, command_line, machine_info, summarize, table
from livesell.domain.models import Comment, CommentStatus, Product, Show, ShowStatus, Variant
from livesell.store.base import CaptureItem, CaptureRequest, Store
from livesell.store.redis import RedisStore
from livesell.store.sqlite import SqliteStore

REDIS_URL = os.environ.get("LIVESELL_BENCH_REDIS", "redis://127.0.0.1:6379/0")
NOW = 1_800_000_000.0
VARIANTS = 20
T = TypeVar("T")


@dataclass
class Outcome:
    mode: str
    requests: int
    seconds: float
    latencies_ms: list[float]
    ordered: int
    waitlisted: int
    held_sold: int
    available: int
    units: int
    books_ok: bool
    redis_us_per_call: float | None = None

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def ok(self) -> bool:
        return (self.books_ok and self.ordered == self.units and self.held_sold == self.units
                and self.available == 0 and self.ordered + self.waitlisted == self.requests)


def catalog(units: int) -> list[Product]:
    """Five products of four variants each; ``units`` spread evenly over the 20 variants."""
    each = units // VARIANTS
    return [Product(code=f"P{p}", name=f"Sản phẩm {p}", variants=tuple(
        Variant(label=f"{v + 1}kg", price=100_000 + 10_000 * v, stock=each) for v in range(4)))
        for p in range(VARIANTS // 4)]


def requests(count: int) -> list[CaptureRequest]:
    return [CaptureRequest(
        Comment("bench", "sim", f"c{n}", f"b{n}", f"Người {n}", "chốt", NOW), "order",
        (CaptureItem(f"P{n % 5}", f"{(n // 5) % 4 + 1}kg", 1),), None)
        for n in range(count)]


async def prepare(store: Store, units: int) -> None:
    products = catalog(units)
    await store.put_products(products, "bench", NOW)
    await store.create_show(Show(id="bench", title="Bench", status=ShowStatus.LIVE,
                                 lineup=tuple(p.code for p in products), created_at=NOW))


async def timed(call: Awaitable[T], latencies: list[float]) -> T:
    started = time.perf_counter()
    result = await call
    latencies.append((time.perf_counter() - started) * 1000)
    return result


async def drive(store: Store, reqs: Sequence[CaptureRequest], concurrency: int,
                batch: int) -> tuple[float, list[float], list[CommentStatus]]:
    """Send ``reqs`` as ``batch``-sized calls with ``concurrency`` callers in flight."""
    chunks = [list(reqs[i:i + batch]) for i in range(0, len(reqs), batch)]
    latencies: list[float] = []
    statuses: list[CommentStatus] = []
    queue = iter(chunks)

    async def caller() -> None:
        for chunk in queue:
            done = await timed(store.capture(chunk, NOW), latencies)
            statuses.extend(d.result.status for d in done)

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies, statuses


async def evalsha_usec(client: Any) -> tuple[int, float]:
    stats = await client.info("commandstats")
    entry = stats.get("cmdstat_evalsha", {})
    return int(entry.get("calls", 0)), float(entry.get("usec", 0))


async def run_mode(mode: str, store: Store, count: int, units: int, concurrency: int,
                   batch: int) -> Outcome:
    await prepare(store, units)
    reqs = requests(count)
    client = store.client if isinstance(store, RedisStore) else None
    before = await evalsha_usec(client) if client is not None else (0, 0.0)
    seconds, latencies, statuses = await drive(store, reqs, concurrency, batch)
    per_call = None
    if client is not None:
        after = await evalsha_usec(client)
        calls = after[0] - before[0]
        # The server is shared: other clients' calls are counted too, so this is an upper bound.
        per_call = (after[1] - before[1]) / calls if calls else None
    levels = await store.stock()
    return Outcome(
        mode=mode, requests=count, seconds=seconds, latencies_ms=latencies,
        ordered=statuses.count(CommentStatus.ORDERED),
        waitlisted=statuses.count(CommentStatus.WAITLISTED),
        held_sold=sum(s.held + s.sold for s in levels),
        available=sum(s.available for s in levels), units=units,
        books_ok=all(min(s.available, s.held, s.sold) >= 0
                     and s.available + s.held + s.sold == s.total for s in levels),
        redis_us_per_call=per_call)


async def sqlite_mode(mode: str, synchronous: str, count: int, units: int, concurrency: int,
                      batch: int) -> Outcome:
    with tempfile.TemporaryDirectory() as folder:
        store = SqliteStore(Path(folder) / "bench.db", synchronous)
        await store.start()
        try:
            return await run_mode(mode, store, count, units, concurrency, batch)
        finally:
            await store.close()


async def redis_mode(mode: str, count: int, units: int, concurrency: int,
                     batch: int) -> Outcome:
    store = RedisStore(REDIS_URL, prefix=f"lsbench-{uuid.uuid4().hex[:8]}")
    await store.start()
    try:
        return await run_mode(mode, store, count, units, concurrency, batch)
    finally:
        await store.delete_everything()
        await store.close()


async def run_all(count: int, units: int) -> list[Outcome]:
    return [
        await sqlite_mode("SQLite FULL, 256 concurrent calls (group commit)", "FULL", count,
                          units, 256, 1),
        await sqlite_mode("SQLite FULL, batches of 250", "FULL", count, units, 1, 250),
        await sqlite_mode("SQLite NORMAL, 256 concurrent calls", "NORMAL", count, units, 256,
                          1),
        await redis_mode("Redis EVALSHA one at a time", count, units, 1, 1),
        await redis_mode("Redis EVALSHA, 16 concurrent callers", count, units, 16, 1),
        await redis_mode("Redis EVALSHA pipelined, batches of 250", count, units, 1, 250),
    ]


def report(outcomes: Sequence[Outcome], count: int, units: int) -> str:
    rows = []
    for o in outcomes:
        lat = summarize(o.latencies_ms)
        rows.append([o.mode, round(o.rate), lat["p50"], lat["p99"], o.redis_us_per_call,
                     o.ordered, o.waitlisted, o.held_sold, o.available,
                     "ok" if o.ok else "FAILED"])
    headers = ["mode", "reservations/s", "call p50 ms", "call p99 ms", "Redis µs/script",
               "ordered", "waitlisted", "held+sold", "available", "books"]
    return (f"{count:,} one-unit order comments from distinct buyers for {units:,} units over "
            f"{VARIANTS} variants ({count // units}x oversubscribed), full capture path.\n\n"
            + table(headers, rows))


def main(argv: list[str] | None = None) -> int:
    """Run every mode; exit status 1 if any run oversold or lost a reservation."""
    parser = argparse.ArgumentParser(prog="python -m bench.stores", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2,000 requests for 400 units")
    parser.add_argument("--write", action="store_true", help="append results to BENCHMARKS.md")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON line")
    args = parser.parse_args(argv)
    count, units = (2_000, 400) if args.quick else (20_000, 4_000)
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:  # the stores work on the default loop too
        runner = asyncio.run
    outcomes = runner(run_all(count, units))
    text = report(outcomes, count, units)
    print(text)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average after the run: {load}")
    if args.write:
        body = (f"Machine: {machine_info().describe()}\n\nCommand: `{command_line()}`"
                f" (load average after the run: {load})"
                f"\n\n{text}\n")
        append_section("Stores: reservations under oversubscription", body)
    if args.json:
        print(json.dumps([{"mode": o.mode, "rate": o.rate, "ok": o.ok,
                           "p99_ms": summarize(o.latencies_ms)["p99"]} for o in outcomes]))
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
