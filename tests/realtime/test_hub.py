"""The realtime contract with real Socket.IO clients over real sockets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import socketio
from aiohttp.test_utils import TestClient

from livesell import keys
from livesell.app import create_app
from livesell.config import Settings
from livesell.domain.masking import contains_phone
from livesell.realtime.shows import FEED_PER_PUSH
from livesell.realtime.ticks import PARTS
from tests.conftest import ROLE_TOKENS, Clock, comment, post_comments, seed_show


class Listener:
    """A socket.io client that queues every event it receives, for deadline-based waits.

    A ``tick`` frame is queued as itself, then as one event per part (``stock``, ``flash``,
    ``ticker``, ``comment``), the way the page applies it."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.seen: list[tuple[str, Any]] = []
        self.frames: list[dict[str, Any]] = []

        async def catch_all(event: str, *args: Any) -> None:
            data = args[0] if args else None
            if event == "tick":
                self.frames.append(data)
                await self.events.put((event, data))
                for kind in PARTS:
                    if kind in data:
                        self.seen.append((kind, data[kind]))
                        await self.events.put((kind, data[kind]))
                return
            item = (event, data)
            self.seen.append(item)
            await self.events.put(item)

        self.client.on("*", catch_all, namespace=namespace)

    async def connect(self, url: str, auth: dict[str, Any], **kwargs: Any) -> None:
        await self.client.connect(url, namespaces=[self.namespace], auth=auth,
                                  transports=["websocket"], wait_timeout=5, **kwargs)

    async def next(self, event: str, timeout: float = 3.0) -> Any:
        """The next event of this name (others are skipped), or fail at the deadline."""
        async def find() -> Any:
            while True:
                name, data = await self.events.get()
                if name == event:
                    return data

        return await asyncio.wait_for(find(), timeout)

    async def until(self, event: str, predicate: Any, timeout: float = 3.0) -> Any:
        async def find() -> Any:
            while True:
                data = await self.next(event, timeout)
                if predicate(data):
                    return data

        return await asyncio.wait_for(find(), timeout)

    async def close(self) -> None:
        await self.client.disconnect()


@pytest.fixture
async def listeners() -> AsyncIterator[list[Listener]]:
    made: list[Listener] = []
    yield made
    for listener in made:
        await listener.close()


def url(client: TestClient) -> str:
    return str(client.make_url("/"))


async def viewer(client: TestClient, show: str, listeners: list[Listener]) -> Listener:
    listener = Listener("/live")
    listeners.append(listener)
    await listener.connect(url(client), {"show": show})
    return listener


async def test_snapshot_first_then_live_stock(client: TestClient,
                                              listeners: list[Listener]) -> None:
    show = await seed_show(client)
    v = await viewer(client, show, listeners)
    snapshot = await v.next("snapshot")
    assert snapshot["stock"]["C1"] == 10 and snapshot["show"]["id"] == show
    assert v.seen[0][0] == "snapshot"
    await post_comments(client, show, [comment("c1", "C1 x3")])
    push = await v.until("stock", lambda d: d["stock"]["C1"] == 7)
    # a push is never older than the snapshot the viewer holds (clients drop older ones)
    assert push["v"] >= snapshot["version"]


async def test_unknown_show_is_refused(client: TestClient) -> None:
    listener = Listener("/live")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await listener.connect(url(client), {"show": "nope"})
    await listener.close()


@pytest.fixture
async def ticked_by_hand(aiohttp_client: Any, settings: Settings, clock: Clock) -> TestClient:
    """An app whose tick loop ticks once at start, then not for 1,000 s: the test ticks."""
    app = create_app(settings.with_(stock_push_hz=0.001), clock=clock)
    test_client: TestClient = await aiohttp_client(app)
    return test_client


async def test_stock_pushes_are_coalesced_and_end_true(ticked_by_hand: TestClient,
                                                       listeners: list[Listener]) -> None:
    client = ticked_by_hand
    live = client.app[keys.HUB].live
    show = await seed_show(client)
    v = await viewer(client, show, listeners)
    snapshot = await v.next("snapshot")
    batches = [[comment(f"b{n}-{i}", "A2", author=f"u{n}-{i}") for i in range(20)]
               for n in range(4)]
    await asyncio.gather(*(post_comments(client, show, b) for b in batches))
    await live.tick()
    # 80 orders between two ticks: one stock push, with the true value, and one ticker
    # push with the newest lines a viewer can read
    final = await v.until("stock", lambda d: d["stock"]["A2"] == 0)
    ticker = await v.next("ticker")
    assert [name for name, _ in v.seen if name == "stock"] == ["stock"]
    assert len(v.frames) == 1
    assert final["v"] >= snapshot["version"]
    assert len(ticker["items"]) == FEED_PER_PUSH
    await post_comments(client, show, [comment("late", "hủy A2", author="u0-0")])
    await live.tick()
    again = await v.until("stock", lambda d: d["stock"]["A2"] == 1)
    assert again["v"] > final["v"]
    assert [name for name, _ in v.seen if name == "stock"] == ["stock", "stock"]


async def test_a_burst_within_one_tick_reaches_a_viewer_as_one_frame(
        ticked_by_hand: TestClient, listeners: list[Listener]) -> None:
    client = ticked_by_hand
    live = client.app[keys.HUB].live
    show = await seed_show(client)
    v = await viewer(client, show, listeners)
    await v.next("snapshot")
    frames: list[dict[str, Any]] = []
    available = 80
    for round_ in range(3):
        # orders and chat from many buyers, all between two ticks
        orders = [comment(f"o{round_}-{i}", "A2", author=f"o{round_}-{i}") for i in range(12)]
        chat = [comment(f"c{round_}-{i}", f"đẹp quá {round_}-{i}", author=f"c{round_}-{i}")
                for i in range(12)]
        await asyncio.gather(*(post_comments(client, show, [o, c])
                               for o, c in zip(orders, chat, strict=True)))
        available -= len(orders)
        await live.tick()
        await live.tick()  # nothing new since the last tick: no frame
        frames.append(await v.next("tick"))
    await post_comments(client, show, [comment("last", "A2", author="last")])
    await live.tick()
    frames.append(await v.next("tick"))
    available -= 1
    # one frame per tick with news, nothing else: no separate stock, ticker or comment push
    assert [name for name, _ in v.seen if name not in PARTS] == ["snapshot"]
    assert v.frames == frames
    for frame in frames[:3]:
        assert set(frame) >= {"stock", "ticker", "comment"}
        assert len(frame["ticker"]["items"]) == 12 and len(frame["comment"]["items"]) >= 12
    assert frames[3]["stock"]["stock"]["A2"] == available
    for kind in ("stock", "ticker", "comment"):
        versions = [f[kind]["v"] for f in frames if kind in f]
        assert versions == sorted(versions) and len(set(versions)) == len(versions), kind
    # the last frame holds the true value
    snap = await (await client.get(f"/api/shows/{show}")).json()
    assert snap["stock"]["A2"] == available == frames[-1]["stock"]["stock"]["A2"]


async def test_ticks_with_nobody_watching_skip_the_work_and_lose_nothing(
        ticked_by_hand: TestClient, listeners: list[Listener]) -> None:
    """With no viewer here and no other node, a tick reads nothing and masks nothing; the
    first viewer's snapshot and first frame still hold the true stock."""
    client = ticked_by_hand
    live = client.app[keys.HUB].live
    show = await seed_show(client)
    await post_comments(client, show, [comment(f"n{i}", "A2", author=f"n{i}") for i in range(5)])
    calls = 0
    store_stock = live.views.stock

    async def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return await store_stock(*args, **kwargs)

    live.views.stock = counted  # type: ignore[method-assign]
    await live.tick()
    assert calls == 0  # nobody to send to: no stock read, no feed masked
    state = live.state(show)
    assert not state.ticker and not state.comments
    v = await viewer(client, show, listeners)
    snapshot = await v.next("snapshot")
    await post_comments(client, show, [comment("w1", "A2", author="w1")])
    await live.tick()
    frame = await v.next("tick")
    assert snapshot["stock"]["A2"] - 1 == frame["stock"]["stock"]["A2"]
    snap = await (await client.get(f"/api/shows/{show}")).json()
    assert snap["stock"]["A2"] == frame["stock"]["stock"]["A2"]


async def test_pin_and_flash_reach_viewers(client: TestClient,
                                           listeners: list[Listener]) -> None:
    show = await seed_show(client)
    v = await viewer(client, show, listeners)
    await v.next("snapshot")
    owner = {"Authorization": "Bearer test-owner-token"}
    await client.post(f"/api/shows/{show}/pin", json={"code": "B1"}, headers=owner)
    assert (await v.until("pinned", lambda d: d["pinned"] == "B1"))["pinned"] == "B1"
    await client.post(f"/api/shows/{show}/flash", headers=owner,
                      json={"code": "A2", "price": 99000, "seconds": 30})
    flash = await v.until("flash", lambda d: d["flash"] is not None)
    assert flash["flash"]["price"] == 99000 and "server_time" in flash


async def test_viewer_comment_ack_and_rate_limit(client: TestClient,
                                                 listeners: list[Listener]) -> None:
    show = await seed_show(client)
    v = await viewer(client, show, listeners)
    await v.next("snapshot")
    ack = await v.client.call("comment", {"name": "Trần Thị Bé", "text": "chốt A2 x2"},
                              namespace="/live", timeout=5)
    assert ack["status"] == "ordered" and ack["order"].startswith("DD-")
    assert ack["order_url"].startswith(f"/o/{ack['order']}?t=")
    answers = [await v.client.call("comment", {"name": "Bé", "text": "hello"},
                                   namespace="/live", timeout=5) for _ in range(6)]
    assert {"status": "rejected", "reason": "rate_limited"} in answers
    bad = await v.client.call("comment", "not an object", namespace="/live", timeout=5)
    assert bad["status"] == "rejected"


async def test_staff_namespace_needs_credentials(client: TestClient,
                                                 listeners: list[Listener]) -> None:
    show = await seed_show(client)
    for auth in ({"show": show}, {"show": show, "token": "wrong"},
                 {"show": show, "token": ROLE_TOKENS["ingest"]}):
        refused = Listener("/staff")
        with pytest.raises(socketio.exceptions.ConnectionError):
            await refused.connect(url(client), auth)
        await refused.close()
    staff = Listener("/staff")
    listeners.append(staff)
    await staff.connect(url(client), {"show": show, "token": ROLE_TOKENS["staff"]})
    await post_comments(client, show, [comment("c1", "A2 x2 0912345678"),
                                       comment("c2", "chốt ZZ9", author="u2")])
    order = await staff.next("order")
    assert order["contact"]["phone"] == "0912345678" and order["lines"][0]["qty"] == 2
    # review items go out at once, orders at the next console flush: either may come first
    reviews = [d for name, d in staff.seen if name == "review"] or [await staff.next("review")]
    assert reviews[0]["text"] == "chốt ZZ9"
    stats = await staff.next("stats", timeout=3)
    assert stats["show"] == show and stats["orders_per_min"] >= 1


async def test_console_flush_wakes_for_changes_not_on_a_timer(
        client: TestClient, listeners: list[Listener]) -> None:
    """With a console open and nothing changing, the flush loop does not run at all; an
    order wakes it and reaches the console, and a flush that fails is tried again."""
    consoles = client.app[keys.HUB].consoles
    show = await seed_show(client)
    staff = Listener("/staff")
    listeners.append(staff)
    await staff.connect(url(client), {"show": show, "token": ROLE_TOKENS["staff"]})
    flushes = 0
    flush = consoles.flush_staff
    failing = False

    async def counted() -> None:
        nonlocal flushes
        flushes += 1
        if failing:
            failing_once()
        await flush()

    def failing_once() -> None:
        nonlocal failing
        failing = False
        raise RuntimeError("store hiccup")

    consoles.flush_staff = counted  # type: ignore[method-assign]
    await asyncio.sleep(0.3)  # twelve flush periods, nothing changed
    assert flushes == 0
    failing = True
    await post_comments(client, show, [comment("c1", "A2 x2 0912345678")])
    order = await staff.next("order")  # the failed flush was tried again
    assert order["lines"][0]["qty"] == 2 and flushes >= 2
    settled = flushes
    await asyncio.sleep(0.3)
    assert flushes == settled


async def test_public_payloads_never_carry_a_phone_or_full_name(
        client: TestClient, listeners: list[Listener]) -> None:
    show = await seed_show(client)
    v = await viewer(client, show, listeners)
    await v.next("snapshot")
    phones = ["0912345678", "0912.345.678", "+84 912 345 678", "84912345678", "091-234-5678"]
    storm = [comment(f"s{i}", f"chốt A2 sdt {phones[i % 5]}", author=f"p{i}",
                     name="Nguyễn Văn Phúc Hậu") for i in range(40)]
    storm += [comment(f"q{i}", f"ship về {phones[i % 5]} nha", author=f"q{i}",
                      name="Lê Thị Thu") for i in range(10)]
    answers = await post_comments(client, show, storm)
    # "ship về <phone>" is a contact follow-up: it never reaches the public feed at all
    assert {a["status"] for a in answers[40:]} == {"ignored"}
    await v.until("comment", lambda d: any("sdt" in i["text"] for i in d["items"]))
    # the tick sends the ticker batch before the comment batch
    assert any(name == "ticker" for name, _ in v.seen)
    public = json.dumps(v.seen, ensure_ascii=False)
    assert not contains_phone(public) and "ship" not in public
    assert "Nguyễn Văn Phúc Hậu" not in public and "Nguyễn V. P. H." in public
    snap = await (await client.get(f"/api/shows/{show}")).text()
    assert not contains_phone(snap) and "Lê Thị Thu" not in snap


async def test_metrics_count_pushes_and_ticks(client: TestClient,
                                              listeners: list[Listener]) -> None:
    show = await seed_show(client)
    v = await viewer(client, show, listeners)
    await v.next("snapshot")
    assert (await client.get("/api/metrics")).status == 401
    staff = {"Authorization": f"Bearer {ROLE_TOKENS['staff']}"}
    assert (await client.get("/api/metrics", headers=staff)).status == 403
    owner = {"Authorization": "Bearer test-owner-token"}
    await post_comments(client, show, [comment("m1", "A2")])
    await v.until("stock", lambda d: d["stock"]["A2"] == 79)
    body = await (await client.get("/api/metrics?reset=1", headers=owner)).json()
    assert body["viewers"]["viewers"] == 1 and body["viewers"]["broadcasts"] >= 1
    assert body["viewers"]["delivered"] + body["viewers"]["via_slow_path"] >= 1
    assert body["ticks"] > 0 and body["lateness_ms"]["p99"] >= 0
    assert body["store"]["operations"] >= body["store"]["batches"] >= 1
