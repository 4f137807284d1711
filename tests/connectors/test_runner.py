"""The runner: settings entries in, one supervised task per connector, all fed to the app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from livesell import keys
from livesell.app import create_app
from livesell.config import ConfigError, Settings, setting_names
from livesell.connectors.base import Backoff, Deliver
from livesell.connectors.facebook import FacebookLive
from livesell.connectors.runner import connectors_ctx, parse_connectors, running, supervise
from livesell.connectors.twitch import TwitchChat
from livesell.connectors.youtube import YouTubeChat
from tests.conftest import auth, seed_show
from tests.connectors.fakes import (
    FakeFacebook,
    FakeTwitch,
    FakeYouTube,
    eventually,
    held,
    started,
    wait_until,
)

FAST = {"backoff_initial": 0.01, "backoff_max": 0.05}


@pytest.fixture
async def twitch() -> AsyncIterator[FakeTwitch]:
    server = FakeTwitch()
    await server.start()
    yield server
    await server.stop()


async def serve(aiohttp_server: Any, app: web.Application) -> str:
    server: TestServer = await aiohttp_server(app)
    return str(server.make_url("")).rstrip("/")


def test_entries_are_checked_and_name_the_problem() -> None:
    env = {"YT_KEY": "from-env"}
    [spec] = parse_connectors([{"kind": "youtube", "show": "s1", "video_id": "v",
                                "api_key_env": "YT_KEY", "poll_seconds": "2"}], env)
    assert spec.show == "s1" and isinstance(spec.connector, YouTubeChat)
    assert spec.connector.api_key == "from-env" and spec.connector.poll_seconds == 2.0
    bad: list[tuple[dict[str, Any], str]] = [
        ({"kind": "myspace", "show": "s1"}, "'kind' must be one of"),
        ({"kind": "tiktok", "show": "s1"}, "'unique_id' is required"),
        ({"kind": "ssn", "show": "s1"}, "needs session"),
        ({"kind": "twitch", "show": "s1", "channel": "c", "enabled": "no"}, "true or false"),
        ({"kind": "twitch", "show": "s1"}, "'channel' is required"),
        ({"kind": "twitch", "channel": "c"}, "'show' is required"),
        ({"kind": "twitch", "show": "s1", "channel": "c", "chanel": "x"}, "unknown key 'chanel'"),
        ({"kind": "youtube", "show": "s1", "api_key": "k"}, "needs video_id or live_chat_id"),
        ({"kind": "youtube", "show": "s1", "video_id": "v"}, "needs 'api_key'"),
        ({"kind": "facebook", "show": "s1", "live_video_id": "1",
          "access_token_env": "NOPE"}, "NOPE is not set"),
        ({"kind": "facebook", "show": "s1", "live_video_id": "1", "access_token": "t",
          "poll_seconds": 0}, "'poll_seconds' must be positive"),
        ({"kind": "twitch", "show": "s1", "channel": "c", "oauth_token": "t"}, "needs the bot's"),
        ({"kind": "facebook_stream", "show": "s1", "live_video_id": "1"},
         "facebook_stream needs 'access_token'"),
    ]
    for entry, message in bad:
        with pytest.raises(ConfigError, match=message) as err:
            parse_connectors([{"kind": "twitch", "show": "s0", "channel": "ok"}, entry], env)
        assert str(err.value).startswith("connectors[1]: ")


async def test_all_three_platforms_feed_one_show(client: TestClient, aiohttp_server: Any,
                                                 twitch: FakeTwitch) -> None:
    show = await seed_show(client)
    youtube, facebook = FakeYouTube(), FakeFacebook()
    youtube.say("LCC.1", "chốt A2", channel="UC1")
    facebook.say("1", "A2 x2", user="f1")
    entries = [
        {"kind": "youtube", "show": show, "video_id": youtube.video_id,
         "api_key": youtube.api_key, "base_url": await serve(aiohttp_server, youtube.app()),
         **FAST},
        {"kind": "facebook", "show": show, "live_video_id": facebook.video_id,
         "access_token": facebook.token, "poll_seconds": 0.02,
         "base_url": await serve(aiohttp_server, facebook.app()), **FAST},
        {"kind": "twitch", "show": show, "channel": twitch.channel, "url": twitch.url, **FAST},
    ]
    specs = parse_connectors(entries, {})
    assert [type(s.connector) for s in specs] == [YouTubeChat, FacebookLive, TwitchChat]
    async with running(client.app[keys.SERVICE], specs) as tasks:
        await eventually(lambda: len(twitch.live()) == 1)
        await twitch.send(twitch.privmsg("t1", "A2 x3", user_id="t1"))

        async def all_in() -> bool:
            return (await held(client, show))["A2:"] == 6

        await wait_until(all_in)
        assert not any(t.done() for t in tasks)
    assert all(t.done() for t in tasks)
    assert (await held(client, show))["A2:"] == 6
    orders = await client.app[keys.STORE].list_orders(show)
    assert len(orders) == 3


async def test_cleanup_context_starts_and_stops_connectors(
        client: TestClient, aiohttp_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    show = await seed_show(client)
    youtube = FakeYouTube()
    youtube.say("LCC.1", "chốt C1", channel="UC1")
    monkeypatch.setenv("LIVESELL_TEST_YT_KEY", youtube.api_key)
    app = web.Application()
    # Settings gains a ``connectors`` field; a stand-in carries it until then.
    app[keys.SETTINGS] = SimpleNamespace(connectors=(  # type: ignore[misc]
        {"kind": "youtube", "show": show, "video_id": youtube.video_id,
         "api_key_env": "LIVESELL_TEST_YT_KEY",
         "base_url": await serve(aiohttp_server, youtube.app()), **FAST},))
    app[keys.SERVICE] = client.app[keys.SERVICE]
    ctx = connectors_ctx(app)
    await anext(ctx)
    try:
        await eventually(lambda: youtube.served() == 1)
    finally:
        with pytest.raises(StopAsyncIteration):
            await anext(ctx)
    assert (await held(client, show))["C1:"] == 1
    names = {t.get_name() for t in asyncio.all_tasks()}
    assert not any(n.startswith("connector ") for n in names)


@pytest.mark.skipif("connectors" not in setting_names(),
                    reason="Settings has no 'connectors' field yet")
async def test_configured_connectors_run_with_the_app(aiohttp_client: Any, aiohttp_server: Any,
                                                      settings: Settings) -> None:
    first = await aiohttp_client(create_app(settings))
    show = await seed_show(first)
    await first.close()  # a restart: the same data folder, now with a connector configured
    youtube = FakeYouTube()
    youtube.say("LCC.1", "chốt C1", channel="UC1")
    entry = {"kind": "youtube", "show": show, "video_id": youtube.video_id,
             "api_key": youtube.api_key,
             "base_url": await serve(aiohttp_server, youtube.app()), **FAST}
    client = await aiohttp_client(create_app(settings.with_(connectors=[entry])))

    async def ordered() -> bool:
        return (await held(client, show))["C1:"] == 1

    await wait_until(ordered)
    await client.close()
    assert not any(t.get_name().startswith("connector ") and not t.done()
                   for t in asyncio.all_tasks())


async def test_a_connector_stops_when_its_show_ends(client: TestClient,
                                                   aiohttp_server: Any) -> None:
    show = await seed_show(client)
    youtube = FakeYouTube()
    [spec] = parse_connectors([{"kind": "youtube", "show": show, "video_id": youtube.video_id,
                                "api_key": youtube.api_key,
                                "base_url": await serve(aiohttp_server, youtube.app()),
                                **FAST}], {})
    async with running(client.app[keys.SERVICE], [spec]) as [task]:
        await eventually(lambda: youtube.served() == 0 and youtube.polls)
        resp = await client.post(f"/api/shows/{show}/end", headers=auth())
        assert resp.status == 200
        youtube.say("LCC.9", "chốt A1", channel="UC9")
        await eventually(task.done)
        assert task.exception() is None


class Flaky:
    """A connector that crashes on its first run, then reads one comment and finishes."""

    source = "sim"

    def __init__(self) -> None:
        self.runs = 0

    async def run(self, deliver: Deliver) -> None:
        self.runs += 1
        if self.runs == 1:
            raise RuntimeError("unexpected platform answer")
        await deliver([{"source": "sim", "id": "s1", "author": {"id": "a", "name": "A"},
                        "text": "chốt C1"}])


async def test_a_crashed_connector_is_restarted(client: TestClient) -> None:
    show = await seed_show(client)
    flaky = Flaky()
    service = client.app[keys.SERVICE]

    async def deliver(batch: list[dict[str, Any]]) -> Any:
        return await service.ingest(show, batch, "sim")

    async with started(supervise(flaky, deliver, "flaky", Backoff(0.01, 0.02))) as task:
        await eventually(task.done)
    assert flaky.runs == 2
    assert (await held(client, show))["C1:"] == 1
