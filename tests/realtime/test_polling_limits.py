"""Engine.IO long-polling: an oversized POST is answered 413 at once, not left hanging."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from aiohttp.test_utils import TestClient

from tests.conftest import seed_show


async def _polling_sid(client: TestClient) -> str:
    resp = await client.get("/socket.io/", params={"EIO": "4", "transport": "polling"})
    assert resp.status == 200
    text = await resp.text()
    return str(json.loads(text[text.index("{"):])["sid"])


async def test_oversized_polling_post_is_413(client: TestClient) -> None:
    await seed_show(client)
    sid = await _polling_sid(client)
    body = "4" + "x" * 20_000
    resp = await asyncio.wait_for(client.post(
        "/socket.io/", params={"EIO": "4", "transport": "polling", "sid": sid},
        data=body.encode(), headers={"Content-Type": "text/plain"}), 3)
    assert resp.status == 413

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"x" * 5000

    resp = await asyncio.wait_for(client.post(
        "/socket.io/", params={"EIO": "4", "transport": "polling", "sid": sid},
        data=chunks()), 3)
    assert resp.status in (411, 413)
    # a normal-sized post on a live session still works
    resp = await client.post("/socket.io/", params={"EIO": "4", "transport": "polling",
                                                    "sid": sid}, data=b"40/live,{}")
    assert resp.status == 200
