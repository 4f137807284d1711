"""What only the Redis store has to get right: scripts lost by the server, retried calls, key
prefixes and hash tags, persistence settings, a Redis that is down."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.crc import key_slot
from redis.exceptions import ResponseError

from livesell.domain.errors import StoreUnavailable
from livesell.domain.events import StockChanged
from livesell.domain.models import CommentStatus, LineState
from livesell.store.base import CaptureItem
from livesell.store.redis import CAPTURE_CHUNK, RedisStore, codec, persistence_warning
from tests.store.conftest import REDIS_URL
from tests.store.test_contract import NOW, levels, order_req, setup_show

pytestmark = pytest.mark.redis


def _prefix() -> str:
    return f"lstest-{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def rstore() -> AsyncIterator[RedisStore]:
    store = RedisStore(REDIS_URL, prefix=_prefix())
    await store.start()
    try:
        yield store
    finally:
        await store.delete_everything()
        await store.close()


@pytest.fixture
async def raw() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        yield client
    finally:
        await client.aclose()


async def test_noscript_is_recovered_single_and_pipelined(rstore: RedisStore) -> None:
    await setup_show(rstore)
    scripts = rstore.scripts.by_name
    # As if the server had lost the scripts (a restart, a failover): the cached SHA is unknown.
    scripts["capture"].sha = "0" * 40
    done = await rstore.capture([order_req("c1", [("C1", None, 1)]),
                                 order_req("c2", [("C1", None, 1)], buyer="u2")], NOW)
    assert [d.result.status for d in done] == [CommentStatus.ORDERED] * 2
    assert scripts["capture"].sha != "0" * 40
    order = done[0].result.order
    assert order is not None
    scripts["action"].sha = "f" * 40
    changed = await rstore.order_action(order, "confirm", 2, "staff", NOW)
    assert changed.order.status == "confirmed"
    assert (await levels(rstore))["C1:"][1:] == (8, 1, 1)


async def test_same_comment_twice_is_a_duplicate(rstore: RedisStore) -> None:
    await setup_show(rstore)
    req = order_req("c1", [("C1", None, 2)])
    first = await rstore.capture([req], NOW)
    before = await levels(rstore)
    # A timed-out call may have run: the retry must change nothing and say so.
    again = await rstore.capture([req, req], NOW + 1)
    assert [a.result.status for a in again] == [CommentStatus.DUPLICATE] * 2
    assert {a.result.order for a in again} == {first[0].result.order}
    assert all(a.events == () for a in again)
    assert await levels(rstore) == before


async def test_many_comments_in_one_call_act_one_after_another(rstore: RedisStore) -> None:
    """Capture sends up to CAPTURE_CHUNK comments per script call: within one call and across
    calls they act as separate calls would (first come first served, the per-buyer cap,
    a repeat is a duplicate, a comment for an unknown show refused without stopping the rest)."""
    await setup_show(rstore, max_per_buyer=3)
    reqs = [order_req(f"c{i}", [("C1", None, 1)], buyer=f"u{i % 4}")
            for i in range(CAPTURE_CHUNK * 2 + 7)]
    reqs.insert(5, reqs[2])  # a repeat within the first call
    reqs.append(reqs[0])  # and one in the last call
    done = await rstore.capture(reqs, NOW)
    statuses = [d.result.status for d in done]
    assert statuses[5] == statuses[-1] == CommentStatus.DUPLICATE
    assert done[-1].result.order == done[0].result.order and done[-1].events == ()
    rest = statuses[:5] + statuses[6:-1]
    # 4 buyers x 3 units wanted, 10 in stock: 10 held, 2 waiting, then every buyer is capped.
    assert rest[:12] == [CommentStatus.ORDERED] * 10 + [CommentStatus.WAITLISTED] * 2
    assert set(rest[12:]) == {CommentStatus.REJECTED}
    assert (await levels(rstore))["C1:"] == (10, 0, 10, 0)
    orders = await rstore.list_orders("s1")
    assert sorted(sum(line.qty for line in o.lines) for o in orders) == [3, 3, 3, 3]
    # A cancel frees 3 units: the two waiting lines are served, a later comment gets the last.
    buyer0 = next(o for o in orders if o.buyer == "sim:u0")
    again = await rstore.capture([order_req("x1", [], buyer="u0", kind="cancel"),
                                  order_req("x2", [("C1", None, 1)], buyer="u8")], NOW + 1)
    assert [a.result.status for a in again] == [CommentStatus.CANCELLED, CommentStatus.ORDERED]
    assert (await rstore.get_order(buyer0.code)).status == "cancelled"  # type: ignore[union-attr]
    assert not [line for o in await rstore.list_orders("s1") for line in o.lines
                if line.state == LineState.WAITLISTED]
    assert (await levels(rstore))["C1:"] == (10, 0, 10, 0)
    # An unknown show is refused alone; the comments around it in the same call count, once.
    mixed = [order_req("y1", [("A2", None, 1)], buyer="u7"),
             order_req("y2", [("C1", None, 1)], buyer="u9", show="nope"),
             order_req("y3", [("A2", None, 1)], buyer="u6")]
    answers = await rstore.capture(mixed, NOW + 2)
    assert answers[1].result.status == CommentStatus.REJECTED
    retried = await rstore.capture([mixed[0], mixed[2]], NOW + 3)
    assert [r.result.status for r in retried] == [CommentStatus.DUPLICATE] * 2
    assert (await levels(rstore))["A2:"][2] == 2


async def test_a_request_that_fails_in_the_script_leaves_the_others(rstore: RedisStore) -> None:
    await setup_show(rstore)
    docs = [rstore._capture_doc(order_req(f"c{i}", [("C1", None, 1)], buyer=f"u{i}"), f"{i:016}")
            for i in range(3)]
    docs[1][8][0][2] = "x"  # an item's qty; cannot happen from Python: the script raises on it
    raw = await rstore.scripts.run("capture", [rstore.anchor],
                                   [rstore.tag, "1800000000.0", json.dumps(docs)])
    outs = json.loads(raw)
    assert [o.get("err") for o in outs] == [None, "script", None]
    assert [o["r"]["status"] for o in (outs[0], outs[2])] == ["ordered", "ordered"]
    assert (await levels(rstore))["C1:"] == (10, 8, 2, 0)
    with pytest.raises(ResponseError):
        codec.raise_for(outs[1], "show s1")
    done = await rstore.capture([order_req("c3", [("C1", None, 1)], buyer="u3")], NOW)
    assert done[0].result.status == CommentStatus.ORDERED
    orders = await rstore.list_orders("s1")
    assert len({o.code for o in orders}) == 3
    assert len({line.id for o in orders for line in o.lines}) == 3


async def test_expiry_run_twice_releases_once(rstore: RedisStore, raw: Redis) -> None:
    await setup_show(rstore, hold_minutes=1)
    done = await rstore.capture([order_req("c1", [("C1", None, 3)])], NOW)
    code = done[0].result.order
    assert code is not None
    line = (await rstore.get_order(code)).lines[0]  # type: ignore[union-attr]
    first = await rstore.expire_holds(NOW + 61)
    assert any(isinstance(e, StockChanged) for e in first)
    # A stale index entry (as a retry racing the first run would leave) must not release again.
    await raw.zadd(rstore.key("holds"), {str(line.id): NOW})
    assert await rstore.expire_holds(NOW + 61) == ()
    assert await rstore.expire_holds(NOW + 62) == ()
    order = await rstore.get_order(code)
    assert order is not None and order.status == "expired"
    assert [a.action for a in order.audit].count("expired") == 1
    assert (await levels(rstore))["C1:"] == (10, 10, 0, 0)
    assert await raw.zcard(rstore.key("holds")) == 0


async def test_hold_not_yet_due_is_kept(rstore: RedisStore) -> None:
    await setup_show(rstore, hold_minutes=1)
    await rstore.capture([order_req("c1", [("C1", None, 1)])], NOW)
    assert await rstore.expire_holds(NOW + 59.999) == ()
    assert (await levels(rstore))["C1:"][2] == 1


async def test_timestamps_round_trip_exactly(rstore: RedisStore) -> None:
    await setup_show(rstore, hold_minutes=7)
    now = NOW + 0.123456789
    done = await rstore.capture([order_req("c1", [("C1", None, 1)])], now)
    order = await rstore.get_order(done[0].result.order or "")
    assert order is not None
    assert order.created_at == now and order.lines[0].created_at == now
    assert order.lines[0].expires_at == now + 7 * 60
    assert order.audit[0].at == now


async def test_prefixes_are_isolated(rstore: RedisStore, raw: Redis) -> None:
    other = RedisStore(REDIS_URL, prefix=_prefix())
    await other.start()
    try:
        await setup_show(rstore)
        await rstore.capture([order_req("c1", [("C1", None, 1)])], NOW)
        assert await other.list_products() == []
        assert await other.get_show("s1") is None
        assert await other.stock() == []
        await setup_show(other)
        done = await other.capture([order_req("c1", [("C1", None, 4)])], NOW)
        assert done[0].result.status == CommentStatus.ORDERED  # not a duplicate of rstore's
        assert (await levels(rstore))["C1:"][1] == 9
        assert (await levels(other))["C1:"][1] == 6
        await other.delete_everything()
        assert await raw.exists(rstore.key("seq")) == 1
        assert (await levels(rstore))["C1:"][1] == 9
    finally:
        await other.delete_everything()
        await other.close()


async def test_every_key_carries_the_hash_tag(rstore: RedisStore, raw: Redis) -> None:
    await setup_show(rstore, hold_minutes=1)
    await rstore.capture([order_req("c1", [("C1", None, 20)]),
                          order_req("c2", [("Z9", None, 1)], buyer="u2"),
                          order_req("c3", [], kind="review", buyer="u3")], NOW)
    await rstore.add_token("h", "staff", "Lan", NOW)
    await rstore.expire_holds(NOW + 61)
    names = [k async for k in raw.scan_iter(match=f"*{rstore.prefix}*", count=1000)]
    assert len(names) > 10
    assert all(n.startswith(rstore.tag + ":") for n in names)
    assert {key_slot(n.encode()) for n in names} == {key_slot(rstore.tag.encode())}


def test_persistence_warning() -> None:
    assert persistence_warning({"aof_enabled": 0, "save": ""}) is not None
    assert persistence_warning({"aof_enabled": 1, "save": ""}) is None
    assert persistence_warning({"aof_enabled": 0, "save": "3600 1 300 100"}) is None
    assert persistence_warning({"aof_enabled": 0}) is None  # CONFIG refused: cannot tell


async def test_persistence_info_reads_the_server(rstore: RedisStore) -> None:
    info = await rstore.persistence_info()
    assert "aof_enabled" in info
    unsafe = str(info["aof_enabled"]) != "1" and not str(info.get("save", "x")).strip()
    assert (persistence_warning(info) is not None) == unsafe


async def test_wait_aof_on_an_old_server_logs_once_and_continues(
        caplog: pytest.LogCaptureFixture) -> None:
    store = RedisStore(REDIS_URL, prefix=_prefix(), wait_aof=True)
    await store.start()
    try:
        await setup_show(store)
        with caplog.at_level(logging.WARNING):
            for n in range(3):
                done = await store.capture([order_req(f"c{n}", [("C1", None, 1)])], NOW)
                assert done[0].result.status == CommentStatus.ORDERED
        info = await store.persistence_info()
        if str(info.get("aof_enabled")) != "1":
            assert len([r for r in caplog.records if "WAITAOF" in r.getMessage()]) == 1
    finally:
        await store.delete_everything()
        await store.close()


async def test_a_dead_redis_is_unavailable_fast() -> None:
    store = RedisStore("redis://127.0.0.1:1/0", prefix=_prefix())
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        await store.start()
    assert await store.ping() is False
    with pytest.raises(StoreUnavailable):
        await store.capture([order_req("c1", [("C1", None, 1)])], NOW)
    with pytest.raises(StoreUnavailable):
        await store.stock_version()
    assert time.monotonic() - started < 10
    await store.close()


async def test_two_nodes_racing_never_oversell(rstore: RedisStore) -> None:
    node2 = RedisStore(REDIS_URL, prefix=rstore.prefix)
    await node2.start()
    try:
        await setup_show(rstore)
        batches = [[order_req(f"c{n}-{i}", [("C1", None, 1)], buyer=f"b{n}-{i}")
                    for i in range(10)] for n in range(40)]
        results = await asyncio.gather(*[
            (rstore if n % 2 else node2).capture(batch, NOW)
            for n, batch in enumerate(batches)])
        statuses = [c.result.status for batch in results for c in batch]
        assert statuses.count(CommentStatus.ORDERED) == 10
        assert statuses.count(CommentStatus.WAITLISTED) == 390
        assert (await levels(rstore))["C1:"] == (10, 0, 10, 0)
        # Restock: the oldest waiting lines are served first, across both nodes.
        _, events = await node2.adjust_stock("C1", "", 3, "host", NOW + 5)
        held = [o for o in await rstore.list_orders("s1")
                if any(line.state == LineState.HELD for line in o.lines)]
        assert len(held) == 13
        assert events
    finally:
        await node2.close()


async def test_patch_refusal_leaves_no_trace(rstore: RedisStore) -> None:
    await setup_show(rstore)
    done = await rstore.capture([order_req("c1", [("C1", None, 1), ("A2", None, 1)])], NOW)
    code = done[0].result.order or ""
    before = (await rstore.get_order(code), await levels(rstore),
              await rstore.stock_version())
    with pytest.raises(Exception, match="only"):
        # The first item is applied in the script's buffer, the second is refused: nothing
        # of either may be written.
        await rstore.patch_order(code, 3, [CaptureItem("A2", None, 5),
                                           CaptureItem("C1", None, 50)], None, "staff", NOW)
    after = (await rstore.get_order(code), await levels(rstore), await rstore.stock_version())
    assert after == before


class Proxy:
    """A TCP relay to Redis that a test can cut and restore, as a network outage would."""

    def __init__(self) -> None:
        self.port = 0
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []
        self.tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port,
                                                 reuse_address=True)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for writer in self.writers:
            writer.transport.abort()
        self.writers.clear()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", 6379)
        self.writers += [writer, up_writer]
        for src, dst in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(src, dst))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    @staticmethod
    async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        try:
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            dst.transport.abort()


@pytest.mark.skipif(not REDIS_URL.startswith("redis://127.0.0.1:6379"),
                    reason="relays to the local Redis")
async def test_outage_is_a_503_and_the_store_reconnects_by_itself() -> None:
    proxy = Proxy()
    await proxy.start()
    store = RedisStore(f"redis://127.0.0.1:{proxy.port}/0", prefix=_prefix())
    try:
        await store.start()
        await setup_show(store)
        assert (await store.capture([order_req("c1", [("C1", None, 1)])], NOW))[0].events
        await proxy.stop()
        with pytest.raises(StoreUnavailable):
            await store.capture([order_req("c2", [("C1", None, 1)], buyer="u2")], NOW)
        assert await store.ping() is False
        await proxy.start()
        assert await store.ping() is True
        done = await store.capture([order_req("c3", [("C1", None, 1)], buyer="u3")], NOW)
        assert done[0].result.status == CommentStatus.ORDERED
        assert (await levels(store))["C1:"][2] == 2
    finally:
        if proxy.server is None:
            await proxy.start()
        await store.delete_everything()
        await store.close()
        await proxy.stop()


async def test_streamed_calls_run_in_order_after_a_lost_script(rstore: RedisStore) -> None:
    """Capture streams its calls on one connection: with the script lost, every call is
    refused unrun, then made again in the order sent (first come, first served across calls)."""
    await setup_show(rstore)
    rstore.scripts.by_name["capture"].sha = "0" * 40
    reqs = [order_req(f"c{i}", [("C1", None, 1)], buyer=f"u{i}")
            for i in range(CAPTURE_CHUNK * 2 + 3)]
    done = await rstore.capture(reqs, NOW)
    assert [d.result.status for d in done] == (
        [CommentStatus.ORDERED] * 10 + [CommentStatus.WAITLISTED] * (len(reqs) - 10))
    assert [d.result.id for d in done] == [f"c{i}" for i in range(len(reqs))]
    assert (await levels(rstore))["C1:"] == (10, 0, 10, 0)
