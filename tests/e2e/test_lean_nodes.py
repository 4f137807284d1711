"""Lean viewers on two nodes sharing one Redis: relayed pushes reach them on every node."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.e2e import serve
from tests.e2e.test_redis_nodes import AUTH, prefix, seed, start_nodes
from tests.realtime.eio_client import RawSocket

__all__ = ["prefix"]  # the fixture
pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(120)]


async def stock_of(raw: RawSocket, code: str, wanted: int) -> dict[str, Any]:
    """The tick whose stock part says ``code`` is at ``wanted``."""
    while True:
        tick = await raw.event("tick", timeout=10)
        if tick.get("stock", {}).get("stock", {}).get(code) == wanted:
            return dict(tick)


async def test_lean_viewers_on_both_nodes_get_every_push(tmp_path: Path, prefix: str) -> None:
    nodes, (a, b) = await start_nodes(tmp_path, prefix)
    try:
        async with aiohttp.ClientSession() as session:
            show = await seed(session, a)
            on_a = await RawSocket.open(session, a)
            on_b = await RawSocket.open(session, b)
            for raw in (on_a, on_b):
                assert (await raw.join(show)).startswith("40/live,")
                assert (await raw.event("snapshot"))["stock"]["A1:1kg"] == 50
            # an order taken on node A: node B's lean viewer sees it through Redis
            async with session.post(f"{a}/api/shows/{show}/comments", headers=AUTH, json={
                    "comments": [{"source": "sim", "id": "o1", "author": {"id": "b1"},
                                  "text": "chốt A1 x2"}]}) as resp:
                assert (await resp.json())["results"][0]["status"] == "ordered"
            for raw in (on_a, on_b):
                await stock_of(raw, "A1:1kg", 48)
            # a lean viewer's comment on node B, acked there, reaches node A's viewer
            await on_b.send("42/live,5" + json.dumps(
                ["comment", {"id": "c-b", "name": "Bình", "text": "chốt B1"}]))
            ack = json.loads((await on_b.until("43/live,5["))[len("43/live,5"):])[0]
            assert ack["status"] == "ordered"
            assert (await stock_of(on_a, "B1", 9))["stock"]["stock"]["A1:1kg"] == 48
            # a push made on node B (the show changed) reaches node A's lean viewer
            async with session.post(f"{b}/api/shows/{show}/pin", headers=AUTH,
                                    json={"code": "B1"}) as resp:
                assert resp.status == 200, await resp.text()
            assert (await on_a.event("pinned", timeout=10))["pinned"] == "B1"
            for raw in (on_a, on_b):
                await raw.close()
    finally:
        logs = [serve.stop(node) for node in nodes]
    assert all(node.returncode == 0 for node in nodes), [log[-2000:] for log in logs]
