"""Twitch IRC-over-WebSocket connector against a local fake IRC server, into the real app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from livesell import keys
from livesell.connectors.twitch import TwitchChat, parse_line, to_comment
from tests.conftest import seed_show
from tests.connectors.fakes import FakeTwitch, Intake, eventually, held, order_count, started


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwitch]:
    server = FakeTwitch()
    await server.start()
    yield server
    await server.stop()


def chat(fake: FakeTwitch, **kw: Any) -> TwitchChat:
    opts: dict[str, Any] = {"channel": f"#{fake.channel.title()}", "url": fake.url,
                            "backoff_initial": 0.01, "backoff_max": 0.05, "open_timeout": 5.0}
    return TwitchChat(**(opts | kw))


def test_parses_tags_prefix_and_trailing() -> None:
    line = FakeTwitch().privmsg("m-1", "chốt A1 x2 : nhé", user_id="77", login="lan",
                                display="Lan\\sAnh")
    msg = parse_line(line + "\r\n")
    assert msg is not None and msg.command == "PRIVMSG"
    assert msg.params == ["#shopchannel", "chốt A1 x2 : nhé"]
    assert to_comment(msg) == {"source": "twitch", "id": "m-1",
                               "author": {"id": "77", "name": "Lan Anh"},
                               "text": "chốt A1 x2 : nhé"}
    ping = parse_line("PING :tmi.twitch.tv")
    assert ping is not None and ping.params == ["tmi.twitch.tv"]
    action = parse_line(":bob!bob@bob.tmi.twitch.tv PRIVMSG #c :\x01ACTION A2\x01")
    assert action is not None and to_comment(action) is None  # untagged: no message id
    tagged = parse_line("@id=m-2 :bob!bob@bob.tmi.twitch.tv PRIVMSG #c :\x01ACTION A2\x01")
    assert tagged is not None
    assert to_comment(tagged) == {"source": "twitch", "id": "m-2",
                                  "author": {"id": "bob", "name": "bob"}, "text": "A2"}
    assert parse_line("") is None


async def test_orders_once_across_pings_and_a_dropped_connection(
        client: TestClient, fake: FakeTwitch) -> None:
    show = await seed_show(client)
    intake = Intake(client.app[keys.SERVICE], show, "twitch")
    async with started(chat(fake).run(intake)):
        await eventually(lambda: len(fake.live()) == 1)
        assert fake.received[0] == ["CAP REQ :twitch.tv/tags twitch.tv/commands",
                                    "PASS SCHMOOPIIE", "NICK justinfan12345",
                                    "JOIN #shopchannel"]
        await fake.send("PING :tmi.twitch.tv")
        await eventually(lambda: fake.pongs == 1)
        assert fake.received[0][-1] == "PONG :tmi.twitch.tv"
        await fake.send(*(fake.privmsg(f"m{i}", "chốt A2", user_id=f"u{i}") for i in range(3)))
        await eventually(lambda: intake.count("ordered") == 3)
        await fake.drop()
        await eventually(lambda: len(fake.live()) == 1 and len(fake.joined) == 2)
        # A relay replaying recent lines after the reconnect must not double an order.
        await fake.send(fake.privmsg("m2", "chốt A2", user_id="u2"),
                        fake.privmsg("m3", "chốt A2", user_id="u3"))
        await eventually(lambda: len(intake.results) == 5)
    assert intake.count("ordered") == 4 and intake.count("duplicate") == 1
    assert (await held(client, show))["A2:"] == 4
    assert await order_count(client, show) == 4


async def test_failed_intake_is_retried_while_chat_keeps_flowing(
        client: TestClient, fake: FakeTwitch) -> None:
    show = await seed_show(client)
    intake = Intake(client.app[keys.SERVICE], show, "twitch", fail_before=2, fail_after=1)
    intake.gate = asyncio.Event()
    async with started(chat(fake, oauth_token="oauth:tw-secret", nick="ShopBot").run(intake)):
        await eventually(lambda: len(fake.live()) == 1)
        assert fake.received[0][1:3] == ["PASS oauth:tw-secret", "NICK shopbot"]
        await fake.send(fake.privmsg("m0", "B1 1l", user_id="u0"))
        await eventually(lambda: intake.calls == 1)
        # Intake is stuck: keepalives are still answered and new lines still read.
        await fake.send("PING :tmi.twitch.tv",
                        *(fake.privmsg(f"m{i}", "B1 1l", user_id=f"u{i}") for i in range(1, 4)))
        await eventually(lambda: fake.pongs == 1)
        intake.gate.set()
        await eventually(lambda: {c for b in intake.batches for c in b} == {"m0", "m1", "m2", "m3"})
    # m0 failed twice, was stored by a call whose answer was lost, then came back duplicate;
    # the lines read meanwhile went in together as one batch.
    assert intake.batches == [["m0"], ["m1", "m2", "m3"]]
    assert [str(r.status) for r in intake.results] == ["duplicate"] + ["ordered"] * 3
    assert (await held(client, show))["B1:1l"] == 4
    assert await order_count(client, show) == 4


async def test_reconnects_when_asked_or_refused(client: TestClient, fake: FakeTwitch) -> None:
    show = await seed_show(client)
    intake = Intake(client.app[keys.SERVICE], show, "twitch")
    fake.refuse_login = True
    async with started(chat(fake).run(intake)):
        await eventually(lambda: len(fake.received) >= 2)  # refused, tried again
        fake.refuse_login = False
        await eventually(lambda: len(fake.live()) == 1)
        await fake.send(":tmi.twitch.tv RECONNECT")
        await eventually(lambda: len(fake.joined) == 2 and len(fake.live()) == 1)
        await fake.send(fake.privmsg("m1", "C1", user_id="u1"))
        await eventually(lambda: intake.count("ordered") == 1)
    assert (await held(client, show))["C1:"] == 1
