"""Never lose a comment: each connector resumes after a restart (of the server, or a
stop/start from the host console) from the cursor it kept in the store, so no comment is lost
and none is captured twice."""

from __future__ import annotations

import json
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from livesell import keys
from livesell.connectors.health import ConnectorStatus
from livesell.connectors.supervisor import ConnectorSpec, running
from livesell.connectors.tiktok import TikTokChat
from tests.conftest import auth, seed_show
from tests.connectors.conftest import AppFactory
from tests.connectors.fakes import FakeFacebook, FakeYouTube, eventually, held, wait_until
from tests.connectors.fakes.relays import CommentEvent, FakeRelay, FakeTikTok

FAST = {"backoff_initial": 0.01, "backoff_max": 0.05}


async def serve(aiohttp_server: Any, app: Any) -> str:
    server: TestServer = await aiohttp_server(app)
    return str(server.make_url("")).rstrip("/")


def status(client: TestClient, show: str) -> ConnectorStatus:
    [found] = [s for s in client.app[keys.CONNECTORS].statuses(show) if s.index >= 0]
    return found


async def held_is(client: TestClient, show: str, key: str, units: int) -> None:
    async def check() -> bool:
        return (await held(client, show)).get(key) == units

    await wait_until(check)


async def new_show(make_app: AppFactory) -> str:
    first = await make_app()
    show = await seed_show(first, lineup=["A2", "C1"])
    await first.close()
    return show


async def test_youtube_resumes_from_its_page_token(make_app: AppFactory,
                                                   aiohttp_server: Any) -> None:
    youtube = FakeYouTube(page_size=2)
    for i in range(4):
        youtube.say(f"LCC.{i}", "chốt A2", channel=f"UC{i}")
    show = await new_show(make_app)
    entry = {"kind": "youtube", "show": show, "video_id": youtube.video_id,
             "api_key": youtube.api_key, "base_url": await serve(aiohttp_server, youtube.app()),
             **FAST}
    client = await make_app(connectors=[entry])
    await held_is(client, show, "A2:", 4)
    # The poll after the last page carries its token: the cursor was saved before it.
    await eventually(lambda: any(token == "4" for _, token, _ in youtube.polls))
    await client.close()
    for i in range(4, 7):
        youtube.say(f"LCC.{i}", "chốt A2", channel=f"UC{i}")
    before = len(youtube.polls)
    client = await make_app(connectors=[entry])
    await held_is(client, show, "A2:", 7)
    assert youtube.polls[before][1] == "4"  # resumed, not re-read from the start
    assert len(await client.app[keys.STORE].list_orders(show)) == 7
    health = status(client, show)
    assert health.comments == 3 and health.duplicates == 0
    assert health.quota_used is not None and health.quota_used >= 5


async def test_facebook_poller_resumes_and_counts_what_is_missing(
        make_app: AppFactory, aiohttp_server: Any) -> None:
    facebook = FakeFacebook(page_size=2)
    for i in range(3):
        facebook.say(f"c{i}", "chốt A2", user=f"u{i}")
    show = await new_show(make_app)
    entry = {"kind": "facebook", "show": show, "live_video_id": facebook.video_id,
             "access_token": facebook.token, "poll_seconds": 0.02,
             "base_url": await serve(aiohttp_server, facebook.app()), **FAST}
    client = await make_app(connectors=[entry])
    key = f"cursor:{show}:facebook:{facebook.video_id}"

    async def saved(count: int) -> bool:
        raw = await client.app[keys.STORE].get_meta(key)
        return raw is not None and json.loads(raw)["count"] == count

    await wait_until(lambda: saved(3))
    await held_is(client, show, "A2:", 3)
    await client.close()
    facebook.say("c3", "chốt A2", user="u3")
    facebook.say("c4", "chốt C1", user="u4")
    facebook.hidden = 2  # Facebook counts two comments it never lists to this token
    client = await make_app(connectors=[entry])
    await held_is(client, show, "C1:", 1)
    assert (await held(client, show))["A2:"] == 4
    assert len(await client.app[keys.STORE].list_orders(show)) == 5
    await eventually(lambda: status(client, show).missing == 2)
    health = status(client, show)
    assert health.comments == 2 and health.duplicates == 0
    resp = await client.get(f"/api/shows/{show}/connectors", headers=auth())
    [doc] = (await resp.json())["connectors"]
    assert doc["missing"] == 2 and doc["kind"] == "facebook" and doc["official"] is True


async def test_facebook_page_limit_overflow_is_a_warning(client: TestClient,
                                                         aiohttp_server: Any) -> None:
    show = await seed_show(client, lineup=["A2"])
    facebook = FakeFacebook(page_size=2)
    for i in range(7):
        facebook.say(f"c{i}", "chốt A2", user=f"u{i}")
    from livesell.connectors.runner import parse_connectors

    [spec] = parse_connectors([{"kind": "facebook", "show": show, "max_pages": 2,
                                "live_video_id": facebook.video_id, "poll_seconds": 0.02,
                                "access_token": facebook.token,
                                "base_url": await serve(aiohttp_server, facebook.app()),
                                **FAST}], {})
    async with running(client.app[keys.SERVICE], [spec]):
        await held_is(client, show, "A2:", 4)
        warnings = spec.connector.health.status().warnings  # type: ignore[attr-defined]
        assert any("page limit" in w for w in warnings)


async def test_social_stream_relay_restart_captures_each_comment_once(
        make_app: AppFactory) -> None:
    relay = FakeRelay()
    await relay.start()
    try:
        show = await new_show(make_app)
        entry = {"kind": "ssn", "show": show, "url": relay.url, **FAST}
        client = await make_app(connectors=[entry])
        await eventually(lambda: relay.clients)
        await relay.say(relay.message(1, "Bình", "chốt A2", userid="b1"),
                        relay.message(2, "Cường", "A2 x2", platform="youtube", userid="c2"))
        await held_is(client, show, "A2:", 3)
        await client.close()
        # The relay repeats what it sent before, then goes on.
        relay.resend_on_join = 2
        client = await make_app(connectors=[entry])
        await eventually(lambda: relay.clients)
        await relay.say(relay.message(3, "Dung", "chốt C1", platform="instagram", userid="d3"))
        await held_is(client, show, "C1:", 1)
        assert (await held(client, show))["A2:"] == 3
        orders = await client.app[keys.STORE].list_orders(show)
        assert len(orders) == 3
        assert {o.buyer.split(":")[0] for o in orders} == {"tiktok", "youtube", "instagram"}
        await eventually(lambda: status(client, show).duplicates == 2)
        assert status(client, show).official is False
    finally:
        await relay.stop()


async def test_tiktok_stop_and_start_from_the_host(client: TestClient) -> None:
    show = await seed_show(client, lineup=["A2", "C1"])
    fake = FakeTikTok()
    chat = TikTokChat(unique_id="htxcuadamdoi", client_factory=fake, comment_event=CommentEvent,
                      backoff_initial=0.01, backoff_max=0.05)
    runner_spec = ConnectorSpec("tiktok", show, chat)
    async with running(client.app[keys.SERVICE], [runner_spec]):
        await eventually(lambda: fake.live)
        assert fake.live is not None
        await fake.live.emit(CommentEvent("m1", "binh.tran", "Bình", "chốt A2"))
        await fake.live.emit(CommentEvent("m1", "binh.tran", "Bình", "chốt A2"))  # repeated
        await held_is(client, show, "A2:", 1)
        fake.live.drop()  # the LIVE dropped: the connector reconnects by itself
        await eventually(lambda: fake.live is not None and len(fake.clients) == 2)
        await fake.live.emit(CommentEvent("m2", "cuong", "Cường", "C1"))
        await held_is(client, show, "C1:", 1)
        assert chat.health.reconnects == 1 and chat.health.official is False
    assert len(await client.app[keys.STORE].list_orders(show)) == 2
    assert fake.clients[-1].disconnects == 1


async def test_host_stops_and_starts_a_connector(make_app: AppFactory,
                                                 aiohttp_server: Any) -> None:
    youtube = FakeYouTube(page_size=5)
    youtube.say("LCC.1", "chốt A2", channel="UC1")
    show = await new_show(make_app)
    entry = {"kind": "youtube", "show": show, "video_id": youtube.video_id,
             "api_key": youtube.api_key, "base_url": await serve(aiohttp_server, youtube.app()),
             **FAST}
    client = await make_app(connectors=[entry, {**entry, "show": "another", "enabled": False}])
    await held_is(client, show, "A2:", 1)
    await eventually(lambda: any(token == "1" for _, token, _ in youtube.polls))
    path = f"/api/shows/{show}/connectors/0"
    resp = await client.post(f"{path}/stop", headers=auth("test-staff-token"))
    assert resp.status == 403
    resp = await client.post(f"{path}/stop", headers=auth())
    assert resp.status == 200 and (await resp.json())["state"] == "stopped"
    polls = len(youtube.polls)
    youtube.say("LCC.2", "chốt A2", channel="UC2")
    resp = await client.post(f"{path}/start", headers=auth())
    assert resp.status == 200
    await held_is(client, show, "A2:", 2)
    assert youtube.polls[polls][1] == "1"
    assert status(client, show).duplicates == 0
    # Another show's connector is not this show's to touch; a missing one is a 404.
    assert (await client.post(f"/api/shows/{show}/connectors/1/start",
                              headers=auth())).status == 404
    assert (await client.post(f"/api/shows/{show}/connectors/x/start",
                              headers=auth())).status in (400, 404)


async def test_a_crash_mid_backlog_loses_and_doubles_nothing(make_app: AppFactory,
                                                             aiohttp_server: Any) -> None:
    youtube = FakeYouTube(page_size=2, interval_ms=30)
    facebook = FakeFacebook(page_size=3)
    for i in range(12):
        youtube.say(f"LCC.{i}", "chốt A2", channel=f"UC{i}")
        facebook.say(f"c{i}", "chốt C1" if i < 8 else "hello", user=f"f{i}")
    show = await new_show(make_app)
    entries = [
        {"kind": "youtube", "show": show, "video_id": youtube.video_id,
         "api_key": youtube.api_key, "base_url": await serve(aiohttp_server, youtube.app()),
         **FAST},
        {"kind": "facebook", "show": show, "live_video_id": facebook.video_id,
         "access_token": facebook.token, "poll_seconds": 0.02,
         "base_url": await serve(aiohttp_server, facebook.app()), **FAST},
    ]
    client = await make_app(connectors=entries)

    async def some() -> bool:
        return (await held(client, show)).get("A2:", 0) >= 4

    await wait_until(some)
    await client.close()  # wherever the connectors were, between capture and cursor
    client = await make_app(connectors=entries)  # and once more, later in the backlog

    async def more() -> bool:
        return (await held(client, show)).get("A2:", 0) >= 8

    await wait_until(more)
    await client.close()
    client = await make_app(connectors=entries)
    await held_is(client, show, "A2:", 12)
    await held_is(client, show, "C1:", 8)
    orders = await client.app[keys.STORE].list_orders(show)
    assert len(orders) == 12 + 8


async def test_the_watchdog_flags_a_quiet_connector(make_app: AppFactory,
                                                    aiohttp_server: Any) -> None:
    youtube = FakeYouTube()
    show = await new_show(make_app)
    entry = {"kind": "youtube", "show": show, "video_id": youtube.video_id,
             "api_key": youtube.api_key, "base_url": await serve(aiohttp_server, youtube.app()),
             **FAST}
    client = await make_app(connectors=[entry], connector_watchdog_seconds=0.3)
    await eventually(lambda: status(client, show).state == "quiet")
    youtube.say("LCC.1", "chốt A2", channel="UC1")
    await eventually(lambda: status(client, show).state == "live")
