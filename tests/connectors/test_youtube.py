"""YouTube Live chat connector against a local fake of the Data API, into the real app."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from livesell import keys
from livesell.connectors.youtube import YouTubeChat, to_comment
from tests.conftest import seed_show
from tests.connectors.fakes import FakeYouTube, Intake, eventually, held, order_count, started


@pytest.fixture
def fake() -> FakeYouTube:
    return FakeYouTube()


@pytest.fixture
async def base_url(aiohttp_server: Any, fake: FakeYouTube) -> str:
    server: TestServer = await aiohttp_server(fake.app())
    return str(server.make_url("")).rstrip("/")


def chat(fake: FakeYouTube, base_url: str, **kw: Any) -> YouTubeChat:
    opts: dict[str, Any] = {"api_key": fake.api_key, "video_id": fake.video_id,
                            "base_url": base_url, "backoff_initial": 0.01,
                            "backoff_max": 0.05, "request_timeout": 5.0}
    return YouTubeChat(**(opts | kw))


def test_maps_text_messages_and_skips_other_events() -> None:
    fake = FakeYouTube()
    fake.say("LCC.1", "chốt A1 1kg", channel="UCabc", name="Lan Anh")
    fake.say("LCC.2", "", kind="newSponsorEvent")
    assert to_comment(fake.messages[0]) == {
        "source": "youtube", "id": "LCC.1", "author": {"id": "UCabc", "name": "Lan Anh"},
        "text": "chốt A1 1kg"}
    assert to_comment(fake.messages[1]) is None
    assert to_comment({"id": "x", "snippet": "bad"}) is None


async def test_waits_for_the_stream_then_orders_each_comment_once(
        client: TestClient, fake: FakeYouTube, base_url: str) -> None:
    show = await seed_show(client)
    fake.not_live_lookups = 2
    fake.overlap = 2  # every page re-sends the last two messages of the previous one
    for i in range(7):
        fake.say(f"LCC.{i}", "chốt A2", channel=f"UC{i}", name=f"Viewer {i}")
    fake.say("LCC.join", "", kind="newSponsorEvent")
    intake = Intake(client.app[keys.SERVICE], show, "youtube")
    async with started(chat(fake, base_url).run(intake)):
        await eventually(lambda: fake.served() == 8 and intake.count("ordered") == 7)
        fake.say("LCC.late", "A2 x2", channel="UC0", name="Viewer 0")
        await eventually(lambda: fake.served() == 9 and len(intake.results) >= 12)
    assert fake.lookups == 3
    assert intake.count("duplicate") > 0  # the re-sent items came back and were refused
    assert (await held(client, show))["A2:"] == 9
    assert await order_count(client, show) == 7  # viewer 0's second comment joined its order


async def test_backs_off_on_errors_and_honours_the_polling_interval(
        client: TestClient, fake: FakeYouTube, base_url: str) -> None:
    show = await seed_show(client)
    fake.interval_ms = 60
    fake.faults.extend([(429, "rateLimitExceeded", 0.2), (500, "backendError", None),
                        (403, "forbidden", None)])
    fake.say("LCC.1", "chốt C1", channel="UC1")
    intake = Intake(client.app[keys.SERVICE], show, "youtube")
    async with started(chat(fake, base_url).run(intake)):
        await eventually(lambda: intake.count("ordered") == 1)
        await eventually(lambda: sum(1 for p in fake.polls if p[2] == 200) >= 3)
    times = [t for t, _, _ in fake.polls]
    assert times[1] - times[0] >= 0.2  # Retry-After honoured
    ok = [t for t, _, status in fake.polls if status == 200]
    assert all(b - a >= 0.055 for a, b in zip(ok, ok[1:], strict=False))
    assert (await held(client, show))["C1:"] == 1


async def test_failed_intake_keeps_the_page_until_it_is_captured(
        client: TestClient, fake: FakeYouTube, base_url: str) -> None:
    show = await seed_show(client)
    for i in range(3):
        fake.say(f"LCC.{i}", "B1 1l", channel=f"UC{i}")
    intake = Intake(client.app[keys.SERVICE], show, "youtube", fail_before=1, fail_after=1)
    async with started(chat(fake, base_url).run(intake)):
        await eventually(lambda: fake.served() == 3)
    # The page was fetched once and the cursor moved past it only after the third try.
    assert [token for _, token, status in fake.polls if status == 200][:2] == ["", "3"]
    assert intake.calls == 3
    assert [r.status for r in intake.results] == ["duplicate"] * 3  # stored by the lost call
    assert (await held(client, show))["B1:1l"] == 3
    assert await order_count(client, show) == 3


async def test_returns_when_the_chat_ends(client: TestClient, fake: FakeYouTube,
                                          base_url: str) -> None:
    show = await seed_show(client)
    fake.ended = True
    intake = Intake(client.app[keys.SERVICE], show, "youtube")
    async with started(chat(fake, base_url, live_chat_id=fake.chat_id).run(intake)) as task:
        await eventually(task.done)
    assert task.exception() is None and fake.lookups == 0


async def test_unknown_video_is_asked_again_slowly(client: TestClient, fake: FakeYouTube,
                                           base_url: str) -> None:
    show = await seed_show(client)
    intake = Intake(client.app[keys.SERVICE], show, "youtube")
    connector = chat(fake, base_url, video_id="other-video")
    async with started(connector.run(intake)):
        await eventually(lambda: fake.lookups >= 2)  # unknown video: keeps asking, slowly
    assert fake.polls == []


async def test_never_logs_the_api_key(client: TestClient, fake: FakeYouTube, base_url: str,
                                      caplog: pytest.LogCaptureFixture,
                                      unused_tcp_port: int) -> None:
    caplog.set_level(logging.DEBUG)
    show = await seed_show(client)
    intake = Intake(client.app[keys.SERVICE], show, "youtube")
    bad = chat(fake, base_url, api_key="wrong-secret-key")
    down = chat(fake, f"http://127.0.0.1:{unused_tcp_port}")
    async with started(bad.run(intake)), started(down.run(intake)):
        await eventually(lambda: ours(caplog).count("retrying") >= 4)
    # Only our loggers: the fake server's own access log prints the query string.
    assert "keyInvalid" in ours(caplog) and "ClientConnectorError" in ours(caplog)
    assert "wrong-secret-key" not in ours(caplog) and fake.api_key not in ours(caplog)


def ours(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("livesell"))
