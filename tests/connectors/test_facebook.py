"""Facebook Live comments connector against a local fake of the Graph API, into the real app."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from livesell import keys
from livesell.connectors.facebook import FacebookLive, FacebookLiveStream, to_comment
from livesell.connectors.runner import parse_connectors, running
from tests.conftest import seed_show
from tests.connectors.fakes import (
    FakeFacebook,
    Intake,
    eventually,
    held,
    order_count,
    started,
    wait_until,
)


@pytest.fixture
def fake() -> FakeFacebook:
    return FakeFacebook(page_size=2)


@pytest.fixture
async def base_url(aiohttp_server: Any, fake: FakeFacebook) -> str:
    server: TestServer = await aiohttp_server(fake.app())
    return str(server.make_url("")).rstrip("/")


def live(fake: FakeFacebook, base_url: str, **kw: Any) -> FacebookLive:
    opts: dict[str, Any] = {"live_video_id": fake.video_id, "access_token": fake.token,
                            "base_url": base_url, "poll_seconds": 0.02,
                            "backoff_initial": 0.01, "backoff_max": 0.05,
                            "request_timeout": 5.0}
    return FacebookLive(**(opts | kw))


def test_maps_comments() -> None:
    fake = FakeFacebook()
    fake.say("1", "chốt A1 500g", user="10", name="Trần Thị Bích")
    assert to_comment(fake.comments[0]) == {
        "source": "facebook", "id": "987654_1",
        "author": {"id": "10", "name": "Trần Thị Bích"}, "text": "chốt A1 500g"}
    assert to_comment({"id": "987654_2", "attachment": {"type": "sticker"}}) is None
    assert to_comment({"id": "987654_3", "message": "A2"})["author"] == {  # type: ignore[index]
        "id": None, "name": ""}


async def test_pages_back_and_delivers_each_comment_once_in_order(
        client: TestClient, fake: FakeFacebook, base_url: str) -> None:
    show = await seed_show(client)
    for i in range(5):
        fake.say(str(i), "chốt A2", user=f"u{i}")
    intake = Intake(client.app[keys.SERVICE], show, "facebook")
    async with started(live(fake, base_url).run(intake)):
        await eventually(lambda: intake.count("ordered") == 5)
        for i in range(5, 8):
            fake.say(str(i), "A2 x1", user=f"u{i}")
        await eventually(lambda: intake.count("ordered") == 8)
        polls = len(fake.polls)
        await eventually(lambda: len(fake.polls) >= polls + 3)  # a few quiet polls
    delivered = [cid for batch in intake.batches for cid in batch]
    assert delivered == [f"987654_{i}" for i in range(8)]  # oldest first, none twice
    assert intake.count("duplicate") == 0
    assert (await held(client, show))["A2:"] == 8


async def test_survives_rate_limits_server_errors_and_failed_intake(
        client: TestClient, fake: FakeFacebook, base_url: str) -> None:
    show = await seed_show(client)
    fake.faults.extend([(400, 4, None), (500, 2, None), (429, 32, 0.15)])
    for i in range(3):
        fake.say(str(i), "B1 500ml", user=f"u{i}")
    intake = Intake(client.app[keys.SERVICE], show, "facebook", fail_before=1, fail_after=1)
    async with started(live(fake, base_url).run(intake)):
        await eventually(lambda: len(intake.results) == 3)
    assert [status for _, status in fake.polls][:4] == [400, 500, 429, 200]
    assert fake.polls[3][0] - fake.polls[2][0] >= 0.15  # Retry-After honoured
    assert [str(r.status) for r in intake.results] == ["duplicate"] * 3
    assert (await held(client, show))["B1:500ml"] == 3
    assert await order_count(client, show) == 3


async def test_a_restart_re_reads_comments_but_orders_once(
        client: TestClient, fake: FakeFacebook, base_url: str) -> None:
    show = await seed_show(client)
    for i in range(4):
        fake.say(str(i), "C1", user=f"u{i}")
    intake = Intake(client.app[keys.SERVICE], show, "facebook")
    async with started(live(fake, base_url).run(intake)):
        await eventually(lambda: intake.count("ordered") == 4)
    # A restarted server starts with an empty window and reads everything again: intake's
    # (source, id) dedupe is the safety net.
    async with started(live(fake, base_url).run(intake)):
        await eventually(lambda: intake.count("duplicate") == 4)
    assert intake.count("ordered") == 4
    assert (await held(client, show))["C1:"] == 4


async def test_never_logs_the_access_token(client: TestClient, fake: FakeFacebook,
                                           base_url: str,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    show = await seed_show(client)
    intake = Intake(client.app[keys.SERVICE], show, "facebook")
    async with started(live(fake, base_url, access_token="expired-secret").run(intake)):
        await eventually(lambda: len(fake.polls) >= 2)
    text = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("livesell"))
    assert "190:Invalid OAuth access token" in text
    assert "expired-secret" not in text


def stream(fake: FakeFacebook, base_url: str, **kw: Any) -> FacebookLiveStream:
    opts: dict[str, Any] = {"live_video_id": fake.video_id, "access_token": fake.token,
                            "base_url": base_url, "backoff_initial": 0.01,
                            "backoff_max": 0.05, "request_timeout": 5.0}
    return FacebookLiveStream(**(opts | kw))


async def test_stream_delivers_and_reopens_after_it_ends(
        client: TestClient, fake: FakeFacebook, base_url: str) -> None:
    show = await seed_show(client)
    fake.faults.append((400, 4, None))  # throttled on the first open
    intake = Intake(client.app[keys.SERVICE], show, "facebook", fail_before=1)
    async with started(stream(fake, base_url).run(intake)):
        await eventually(lambda: len(fake.streams) == 1)
        fake.push("1", "chốt A1 500g", user="f1")
        fake.push("2", "A1 1kg", user="f2")
        await eventually(lambda: intake.count("ordered") == 2)
        fake.end_streams()
        await eventually(lambda: fake.stream_opens == 2 and len(fake.streams) == 1)
        fake.push("2", "A1 1kg", user="f2")  # re-sent after the reopen
        # One event whose data spans two lines, and a keepalive comment between events.
        fake.streams[0].put_nowait(
            b': ping\n\ndata: {"id": "987654_3", "message": "A1 500g x2",\n'
            b'data: "from": {"id": "f3", "name": "Ba"}}\n\n')
        await eventually(lambda: len(intake.results) == 4)
    assert [str(r.status) for r in intake.results] == ["ordered", "ordered", "duplicate",
                                                       "ordered"]
    stock = await held(client, show)
    assert stock["A1:500g"] == 3 and stock["A1:1kg"] == 1


async def test_stream_and_poller_together_order_once(
        client: TestClient, fake: FakeFacebook, base_url: str) -> None:
    show = await seed_show(client)
    entries = [
        {"kind": "facebook", "show": show, "live_video_id": fake.video_id,
         "access_token": fake.token, "base_url": base_url, "poll_seconds": 0.02,
         "backoff_initial": 0.01, "backoff_max": 0.05},
        {"kind": "facebook_stream", "show": show, "live_video_id": fake.video_id,
         "access_token": fake.token, "base_url": base_url,
         "backoff_initial": 0.01, "backoff_max": 0.05},
    ]
    async with running(client.app[keys.SERVICE], parse_connectors(entries, {})):
        await eventually(lambda: len(fake.streams) == 1)
        for i in range(4):
            fake.say(str(i), "chốt C1", user=f"u{i}")  # what the poller reads
            if i != 2:
                fake.push(str(i), "chốt C1", user=f"u{i}")  # the stream sampled one out

        async def all_in() -> bool:
            return (await held(client, show))["C1:"] == 4

        await wait_until(all_in)
        polls = len(fake.polls)
        await eventually(lambda: len(fake.polls) >= polls + 3)
    assert (await held(client, show))["C1:"] == 4
    assert await order_count(client, show) == 4
