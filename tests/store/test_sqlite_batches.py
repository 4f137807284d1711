"""SQLite capture batches queue their rows and write them at the end (store/sqlite/pending.py):
the database must come out exactly as one comment per call leaves it, with the writer cache's
check mode off (check mode flushes the queue before each comparison, so it would hide a
difference between the two)."""

from __future__ import annotations

import asyncio
import random
import re
import sqlite3
from pathlib import Path

from livesell.domain.errors import NotFound
from livesell.domain.models import CommentStatus
from livesell.store.base import CaptureRequest, Store
from livesell.store.sqlite import SqliteStore
from tests.store.test_contract import NOW, order_req, setup_show

TABLES = {
    "comments": "SELECT * FROM comments ORDER BY id",
    # tokens are random per order
    "orders": "SELECT code, show_id, buyer, buyer_name, status, contact, version, created_at, "
              "updated_at, origin FROM orders ORDER BY code",
    "lines": "SELECT * FROM lines ORDER BY id",
    "audit": "SELECT * FROM audit ORDER BY id",
    "variants": "SELECT * FROM variants ORDER BY code, label",
    "sequences": "SELECT * FROM sequences ORDER BY name",
    "review": "SELECT * FROM review ORDER BY id",
}  # not the stock version: it moves once per group commit, and the runs commit differently


def storm(seed: int, count: int) -> list[CaptureRequest]:
    """Orders (some oversold, some repeated, some with a phone), cancels, changes, contact
    details and chat from a few buyers, so that batches mix queued and direct comments."""
    rng = random.Random(seed)
    items = [("A1", "500g"), ("A1", "1kg"), ("A2", None), ("B1", None), ("C1", None),
             ("Z9", None)]
    out: list[CaptureRequest] = []
    for n in range(count):
        buyer = f"u{rng.randrange(12)}"
        roll = rng.random()
        if roll < 0.08 and out:
            out.append(rng.choice(out))  # the same comment again
            continue
        if roll < 0.6:
            code, variant = rng.choice(items)
            out.append(order_req(f"c{n}", [(code, variant, rng.randint(1, 3))], buyer=buyer,
                                 phone="0912345678" if rng.random() < 0.1 else None))
        elif roll < 0.7:
            out.append(order_req(f"c{n}", [], buyer=buyer, kind="cancel"))
        elif roll < 0.78:
            out.append(order_req(f"c{n}", [("A1", None, 1)], buyer=buyer, kind="reduce"))
        elif roll < 0.85:
            out.append(order_req(f"c{n}", [], buyer=buyer, kind="contact", phone="0987654321"))
        else:
            out.append(order_req(f"c{n}", [], buyer=buyer, kind="chat"))
    return out


def dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(path)
    try:
        return {name: conn.execute(sql).fetchall() for name, sql in TABLES.items()}
    finally:
        conn.close()


async def run(path: Path, requests: list[CaptureRequest], batch: int) -> list[object]:
    store = SqliteStore(path, "OFF", check_cache=False)
    await store.start()
    try:
        await setup_show(store, max_per_buyer=5)
        answers: list[object] = []
        for start in range(0, len(requests), batch):
            done = await store.capture(requests[start:start + batch], NOW)
            answers.extend((d.result.status, d.result.order, d.result.reason) for d in done)
        return answers
    finally:
        await store.close()


async def test_batches_write_what_single_comments_write(tmp_path: Path) -> None:
    for seed in range(3):
        requests = storm(seed, 300)
        one = await run(tmp_path / f"one{seed}.db", requests, 1)
        many = await run(tmp_path / f"many{seed}.db", requests, 40)
        assert many == one
        assert dump(tmp_path / f"many{seed}.db") == dump(tmp_path / f"one{seed}.db")


async def test_calls_arriving_together_share_one_writer_operation(tmp_path: Path) -> None:
    """Each caller gets its own comments' answers; a call whose comments all fail is refused
    alone, the others of the same operation stored."""
    store = SqliteStore(tmp_path / "inbox.db", "OFF")
    await store.start()
    try:
        await setup_show(store)
        calls = [[order_req(f"k{i}-{j}", [("A2", None, 1)], buyer=f"b{i}") for j in range(3)]
                 for i in range(20)]
        bad = [order_req("bad", [("A2", None, 1)], show="nope")]
        before = store.engine.operations
        results = await asyncio.gather(*(store.capture(c, NOW) for c in calls[:10]),
                                       store.capture(bad, NOW),
                                       *(store.capture(c, NOW) for c in calls[10:]),
                                       return_exceptions=True)
        assert store.engine.operations - before < len(calls)
        assert isinstance(results.pop(10), NotFound)
        for call, done in zip(calls, results, strict=True):
            assert not isinstance(done, BaseException), done
            assert [d.result.id for d in done] == [r.comment.source_id for r in call]
        statuses = [d.result.status for done in results if isinstance(done, list)
                    for d in done]
        assert statuses.count(CommentStatus.ORDERED) + statuses.count(
            CommentStatus.WAITLISTED) == 60
        assert await store.capture([], NOW) == []
    finally:
        await store.close()


async def test_a_writer_operation_refused_before_it_ran_does_not_stall_later_captures(
        tmp_path: Path) -> None:
    """BEGIN refused (another process holds the write lock): the waiting call gets an error,
    and the next capture is written once the lock is free (it must not wait forever)."""
    path = tmp_path / "locked.db"
    store = SqliteStore(path, "OFF")
    await store.start()
    other = sqlite3.connect(path, isolation_level=None)
    try:
        await setup_show(store)
        await store.engine.write(lambda conn: conn.execute("PRAGMA busy_timeout=50"))
        other.execute("BEGIN IMMEDIATE")
        refused = await asyncio.wait_for(asyncio.gather(
            store.capture([order_req("l1", [("A2", None, 1)], buyer="b1")], NOW),
            return_exceptions=True), 10)
        assert isinstance(refused[0], Exception)
        other.execute("ROLLBACK")
        done = await asyncio.wait_for(
            store.capture([order_req("l2", [("A2", None, 1)], buyer="b2")], NOW), 10)
        assert done[0].result.status is CommentStatus.ORDERED
    finally:
        other.close()
        await store.close()


async def test_several_orders_read_at_once_come_in_the_order_asked(store: Store) -> None:
    await setup_show(store)
    done = await store.capture([order_req("o1", [("A2", None, 1)], buyer="x"),
                                order_req("o2", [("C1", None, 2)], buyer="y"),
                                order_req("o3", [("A1", "1kg", 1)], buyer="x")], NOW)
    first, second = done[0].result.order or "", done[1].result.order or ""
    asked = [second, first.lower(), "NOPE-0001", second]
    got = await store.get_orders(asked)
    assert [o.code for o in got] == [second, first, second]
    for order in got:
        alone = await store.get_order(order.code)
        assert alone is not None and order.lines == alone.lines and order.version == alone.version
    assert await store.get_orders([]) == []


async def test_order_tokens_are_unguessable_and_never_repeat(store: Store) -> None:
    """Tokens come from a pool (``WriterCache.order_token``): each order its own, shaped
    as ``secrets.token_urlsafe(12)`` makes them, across more than one refill."""
    await setup_show(store)
    done = await store.capture([order_req(f"t{n}", [("A2", None, 1)], buyer=f"t{n}")
                                for n in range(300)], NOW)
    tokens = [d.result.token for d in done]
    assert len(set(tokens)) == len(tokens) == 300
    assert all(len(t) == 16 and re.fullmatch(r"[A-Za-z0-9_-]+", t) for t in tokens)
