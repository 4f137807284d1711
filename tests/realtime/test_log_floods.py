"""Logs stay readable under garbage packets and store outages: one line a minute, not a flood."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from livesell import keys
from livesell.domain.errors import StoreUnavailable
from livesell.log_limits import LogLimiter
from tests.conftest import seed_show

GARBAGE = ['42/live,["comment"', "4x", "42[1,2", "451-/live,{}", "4{{{", '42/live,{"a":}']


async def test_malformed_packets_log_one_line_per_connection(
        client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    await seed_show(client)
    caplog.set_level(logging.INFO)
    async with aiohttp.ClientSession() as session:
        url = client.make_url("/socket.io/?EIO=4&transport=websocket")
        ws = await session.ws_connect(str(url))
        await ws.receive(timeout=2)  # engine.io open
        for _ in range(2000 // len(GARBAGE)):
            for packet in GARBAGE:
                await ws.send_str(packet)
        await ws.send_str("3")  # a pong: the server is still reading after the garbage
        await asyncio.sleep(0)
        await ws.close()
    await asyncio.sleep(0.2)
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not any(r.exc_info for r in records)
    assert len(records) <= 2, [r.getMessage() for r in records][:5]
    assert sum(len(r.getMessage()) for r in records) < 2000


async def test_store_outage_errors_are_rate_limited(
        client: TestClient, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    show = await seed_show(client)
    hub = client.app[keys.HUB]

    async def down(*args: object) -> None:
        raise StoreUnavailable("the Redis store is unreachable")

    monkeypatch.setattr(hub.live, "tick", down)
    monkeypatch.setattr(hub.consoles, "flush_staff", down)
    hub.shows.state(show)
    caplog.set_level(logging.INFO)
    await asyncio.sleep(1.0)  # ~20 ticks and ~40 staff flushes fail meanwhile
    failures = [r for r in caplog.records if "failed" in r.getMessage()]
    assert 1 <= len(failures) <= 2, len(failures)


def test_limiter_counts_what_it_held() -> None:
    logger = logging.getLogger("test.limiter")
    limiter = LogLimiter(logger, seconds=0.0)
    assert limiter.log(logging.ERROR, "k", "one")
    slow = LogLimiter(logger, seconds=60.0)
    assert slow.log(logging.ERROR, "k", "first")
    assert not slow.log(logging.ERROR, "k", "second")
    assert slow.held["k"] == 1
    assert slow.log(logging.ERROR, "other", "another key")
