"""Social Stream Ninja relay and TikTok LIVE: mapping, dedupe, reconnects; YouTube's quota."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from livesell import keys
from livesell.connectors import ssn, tiktok
from livesell.connectors.ssn import SocialStreamRelay
from livesell.connectors.tiktok import TikTokChat
from livesell.connectors.youtube import YouTubeChat, budget_interval
from tests.conftest import seed_show
from tests.connectors.fakes import FakeYouTube, Intake, eventually, held, started
from tests.connectors.fakes.relays import CommentEvent, FakeRelay, FakeTikTok

FAST = {"backoff_initial": 0.01, "backoff_max": 0.05}


def test_ssn_messages_map_to_comments_with_the_platform_as_source() -> None:
    msg = FakeRelay.message
    got = ssn.to_comment(msg("77", "Bình", "<b>chốt</b> A1 &amp; B1 <img alt=\"😀\" src=x>",
                             platform="tiktok", userid="binh"))
    assert got is not None
    assert got["source"] == "tiktok" and got["id"] == "ssn:tiktok:77"
    assert got["author"] == {"id": "binh", "name": "Bình"}
    assert got["text"] == "chốt A1 & B1 😀"
    assert got["sent_at"] == 1_800_000_000.0
    # Platforms without a source of their own keep their name in the buyer id.
    kick = ssn.to_comment(msg("5", "Dũng", "A2", platform="rumble"))
    assert kick is not None and kick["source"] == "webhook"
    assert kick["author"]["id"] == "rumble:Dũng"
    wrapped = ssn.to_comment({"overlayNinja": msg("6", "An", "C1", platform="facebook")})
    assert wrapped is not None and wrapped["source"] == "facebook"
    # Follows, gifts, empty messages and junk are not comments.
    assert ssn.to_comment(msg("8", "An", "followed", event="follow")) is None
    assert ssn.to_comment(msg("9", "An", "")) is None
    assert ssn.to_comment([1, 2]) is None and ssn.to_comment({"chatmessage": "x"}) is None
    # No id from the relay: the same message maps to the same id, so a repeat is one.
    one = ssn.to_comment({"chatname": "An", "chatmessage": "A2", "type": "kick"})
    two = ssn.to_comment({"chatname": "An", "chatmessage": "A2", "type": "kick"})
    assert one is not None and two is not None and one["id"] == two["id"]
    assert one["source"] == "kick"


def test_ssn_default_url_is_the_public_relay_api_channel() -> None:
    relay = SocialStreamRelay(session="abc123")
    assert relay.url == "wss://io.socialstream.ninja/join/abc123/4"
    assert SocialStreamRelay(url="ws://127.0.0.1:1/join/x/4").url == "ws://127.0.0.1:1/join/x/4"
    with pytest.raises(ValueError):
        SocialStreamRelay()


async def test_ssn_reconnects_after_a_drop_and_dedupes(client: TestClient) -> None:
    show = await seed_show(client, lineup=["A2", "C1"])
    relay = FakeRelay()
    await relay.start()
    try:
        connector = SocialStreamRelay(url=relay.url, **FAST)
        intake = Intake(client.app[keys.SERVICE], show, "webhook")
        async with started(connector.run(intake)):
            await eventually(lambda: relay.clients)
            first = relay.message("1", "Bình", "chốt A2", userid="b")
            await relay.say(first, first, relay.message("2", "An", "xin chào", event="joined"))
            await eventually(lambda: intake.count("ordered") == 1)
            await relay.drop()
            await eventually(lambda: len(relay.paths) == 2 and relay.clients)
            await relay.say(first, relay.message("3", "Cường", "C1 x2", platform="youtube"))
            await eventually(lambda: intake.count("ordered") == 2)
        assert connector.health.reconnects == 1 and connector.health.errors >= 1
        assert (await held(client, show)) == {"A2:": 1, "C1:": 2}
        assert intake.count("duplicate") == 0  # the seen window spared intake the repeats
    finally:
        await relay.stop()


def test_tiktok_events_map_to_comments() -> None:
    got = tiktok.to_comment(CommentEvent("7301", "binh.tran", "Bình 🦀", "chốt A1 500g"))
    assert got == {"source": "tiktok", "id": "7301", "text": "chốt A1 500g",
                   "author": {"id": "binh.tran", "name": "Bình 🦀"},
                   "sent_at": 1_800_000_000.0}
    assert tiktok.to_comment(CommentEvent("7302", "x", "X", "   ")) is None


async def test_tiktok_retries_while_the_creator_is_offline(client: TestClient) -> None:
    show = await seed_show(client, lineup=["A2"])
    fake = FakeTikTok()
    fake.fail_connects = 2
    chat = TikTokChat(unique_id="@htx", client_factory=fake, comment_event=CommentEvent,
                      backoff_initial=0.01, backoff_max=0.02)
    intake = Intake(client.app[keys.SERVICE], show, "tiktok")
    async with started(chat.run(intake)):
        await eventually(lambda: fake.live)
        assert chat.health.errors == 2 and "offline" in chat.health.last_error.lower()
        assert fake.live is not None
        await fake.live.emit(CommentEvent("m1", "an", "An", "A2"))
        await eventually(lambda: intake.count("ordered") == 1)
    assert [c.unique_id for c in fake.clients] == ["@htx"] * 3


def test_tiktok_without_the_package_says_how_to_install_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real = builtins.__import__

    def no_tiktok(name: str, *args: Any, **kw: Any) -> Any:
        if name.startswith("TikTokLive"):
            raise ImportError(name)
        return real(name, *args, **kw)

    monkeypatch.setattr(builtins, "__import__", no_tiktok)
    with pytest.raises(RuntimeError, match=r"livesell\[tiktok\]"):
        tiktok.tiktok_chat(unique_id="htx").client_factory("@htx")


def test_quota_budget_spreads_the_day_over_the_show() -> None:
    # 10,000 units a day at 5 a poll: 2,000 polls; over 4 hours, one every 7.2 s.
    assert budget_interval(10_000, 4) == pytest.approx(7.2)
    assert budget_interval(10_000, 1) == pytest.approx(1.8)
    assert budget_interval(1, 1) == 3600.0


async def test_youtube_polls_no_faster_than_its_quota_allows(
        client: TestClient, aiohttp_server: Any) -> None:
    show = await seed_show(client, lineup=["A2"])
    fake = FakeYouTube(interval_ms=1)
    fake.say("LCC.1", "A2", channel="UC1")
    server: TestServer = await aiohttp_server(fake.app())
    # 500 units a day for a show of 0.02 h: one poll every 0.72 s, not every millisecond.
    chat = YouTubeChat(api_key=fake.api_key, video_id=fake.video_id, quota_per_day=500,
                       show_hours=0.02, base_url=str(server.make_url("")), **FAST)
    intake = Intake(client.app[keys.SERVICE], show, "youtube")
    async with started(chat.run(intake)):
        await eventually(lambda: len(fake.polls) >= 2)
    gap = fake.polls[1][0] - fake.polls[0][0]
    assert gap >= 0.7
    status = chat.health.status()
    assert status.poll_seconds == pytest.approx(0.72) and status.quota_budget == 500
    assert any("quota lasts" in w for w in status.warnings)


async def test_youtube_quota_spent_is_shown_and_retried_slowly(
        client: TestClient, aiohttp_server: Any) -> None:
    show = await seed_show(client, lineup=["A2"])
    fake = FakeYouTube()
    fake.faults.append((403, "quotaExceeded", None))
    fake.say("LCC.1", "A2", channel="UC1")
    server: TestServer = await aiohttp_server(fake.app())
    chat = YouTubeChat(api_key=fake.api_key, video_id=fake.video_id,
                       base_url=str(server.make_url("")), **FAST)
    intake = Intake(client.app[keys.SERVICE], show, "youtube")
    async with started(chat.run(intake)):
        await eventually(lambda: intake.count("ordered") == 1)
    status = chat.health.status()
    assert status.errors == 1 and "quotaExceeded" in status.last_error
    assert any("quota spent" in w for w in status.warnings)
