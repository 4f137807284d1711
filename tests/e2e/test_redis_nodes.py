"""Several nodes on one Redis, and a Redis outage: real processes, real Redis."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
import socketio

from tests.e2e import serve

AUTH = {"Authorization": "Bearer e2e-owner-token-for-tests-0123456789"}
SHARED_REDIS = "redis://127.0.0.1:6379/0"
PRODUCT = {"name": "Cua gạch Đầm Dơi", "category": "food",
           "variants": [{"label": "1kg", "price": 360000, "stock": 50}]}

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(180)]


async def seed(session: aiohttp.ClientSession, base: str, stock: int = 50) -> str:
    product = {**PRODUCT, "variants": [{**PRODUCT["variants"][0], "stock": stock}]}
    async with session.put(f"{base}/api/products/A1", json=product, headers=AUTH) as resp:
        assert resp.status == 200, await resp.text()
    honey = {"name": "Mật ong U Minh", "variants": [{"label": "", "price": 250000, "stock": 10}]}
    async with session.put(f"{base}/api/products/B1", json=honey, headers=AUTH) as resp:
        assert resp.status == 200, await resp.text()
    async with session.post(f"{base}/api/shows", headers=AUTH,
                            json={"title": "Tết", "lineup": ["A1", "B1"],
                                  "max_per_buyer": 5}) as resp:
        show = str((await resp.json())["id"])
    async with session.post(f"{base}/api/shows/{show}/start", headers=AUTH) as resp:
        assert resp.status == 200
    return show


async def delete_prefix(url: str, prefix: str) -> None:
    client = aioredis.from_url(url)
    try:
        names = [k async for k in client.scan_iter(match=f"{{{prefix}}}:*", count=1000)]
        if names:
            await client.unlink(*names)
    finally:
        await client.aclose()


@pytest.fixture
def prefix() -> Iterator[str]:
    name = f"lse2e{uuid.uuid4().hex[:8]}"
    yield name
    asyncio.run(delete_prefix(SHARED_REDIS, name))


async def start_nodes(tmp_path: Path, prefix: str, count: int = 2,
                      ) -> tuple[list[subprocess.Popen[bytes]], list[str]]:
    """``count`` serving nodes on the shared Redis under ``prefix``, and their base URLs."""
    env = {"LIVESELL_STORE": SHARED_REDIS, "LIVESELL_REDIS_PREFIX": prefix}
    ports = [serve.free_port() for _ in range(count)]
    nodes = [await asyncio.to_thread(serve.start, tmp_path / f"n{i}", port, env=env)
             for i, port in enumerate(ports)]
    return nodes, [f"http://127.0.0.1:{port}" for port in ports]


async def test_two_nodes_share_stock_and_fan_out(tmp_path: Path, prefix: str) -> None:
    nodes, (a, b) = await start_nodes(tmp_path, prefix)
    viewer = socketio.AsyncClient(reconnection=False)
    console = socketio.AsyncClient(reconnection=False)
    orders_seen: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    stock_seen: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    frames: list[dict[str, Any]] = []
    others: list[str] = []

    @console.on("order", namespace="/staff")  # type: ignore[misc]
    async def on_order(data: dict[str, Any]) -> None:
        await orders_seen.put(data)

    @viewer.on("tick", namespace="/live")  # type: ignore[misc]
    async def on_tick(data: dict[str, Any]) -> None:
        # one frame per node-B tick, carrying node A's parts (relayed) merged with B's own
        frames.append(data)
        if "stock" in data:
            await stock_seen.put(data["stock"])

    @viewer.on("*", namespace="/live")  # type: ignore[misc]
    async def on_other(event: str, *args: Any) -> None:
        others.append(event)

    try:
        async with aiohttp.ClientSession() as session:
            show = await seed(session, a)
            await viewer.connect(b, namespaces=["/live"], auth={"show": show},
                                 transports=["websocket"], wait_timeout=5)
            # a console on node B: orders taken on node A reach it through Redis
            await console.connect(b, namespaces=["/staff"], transports=["websocket"],
                                  auth={"show": show, "token": serve.OWNER_TOKEN}, wait_timeout=5)
            sem = asyncio.Semaphore(64)

            async def order(i: int) -> str:
                base = (a, b)[i % 2]
                body = {"comments": [{"source": "sim", "id": f"o{i}",
                                      "author": {"id": f"buyer{i}", "name": "Khách"},
                                      "text": "chốt A1"}]}
                async with sem, session.post(f"{base}/api/shows/{show}/comments", json=body,
                                             headers=AUTH) as resp:
                    assert resp.status == 200, await resp.text()
                    return str((await resp.json())["results"][0]["status"])

            statuses = await asyncio.gather(*(order(i) for i in range(2000)))
            assert statuses.count("ordered") == 50
            assert statuses.count("waitlisted") == 1950
            async with session.get(f"{b}/api/shows/{show}/stock", headers=AUTH) as resp:
                level = next(v for v in await resp.json() if v["code"] == "A1")
            assert (level["available"], level["held"], level["sold"]) == (0, 50, 0)

            # only node A learns of this order; node B's viewer must still see it
            async with session.post(f"{a}/api/shows/{show}/comments", headers=AUTH, json={
                    "comments": [{"source": "sim", "id": "honey",
                                  "author": {"id": "buyer0", "name": "Khách"},
                                  "text": "chốt B1 x3"}]}) as resp:
                assert (await resp.json())["results"][0]["status"] == "ordered"

            async def final_stock() -> dict[str, Any]:
                while True:
                    data = await stock_seen.get()
                    if data["stock"].get("B1") == 7:
                        return data

            pushed = await asyncio.wait_for(final_stock(), 5)
            assert pushed["stock"]["A1:1kg"] == 0
            # no separate stock/ticker/comment pushes, and each part's versions only rise
            assert set(others) <= {"snapshot", "pinned", "flash", "show"}, others
            for kind in ("stock", "ticker", "comment"):
                versions = [f[kind]["v"] for f in frames if kind in f]
                assert versions == sorted(versions) and len(set(versions)) == len(versions)
            assert any("ticker" in f for f in frames)

            async def honey_order() -> dict[str, Any]:
                while True:
                    order = await orders_seen.get()
                    if any(line["code"] == "B1" for line in order["lines"]):
                        return order

            assert (await asyncio.wait_for(honey_order(), 5))["lines"][-1]["qty"] == 3

            # node A dies; node B keeps serving
            nodes[0].kill()
            nodes[0].wait(10)
            async with session.post(f"{b}/api/shows/{show}/comments", headers=AUTH, json={
                    "comments": [{"source": "sim", "id": "after", "author": {"id": "z"},
                                  "text": "còn hàng không?"}]}) as resp:
                assert resp.status == 200
                assert (await resp.json())["results"][0]["status"] == "question"
    finally:
        await viewer.disconnect()
        await console.disconnect()
        logs = [serve.stop(node) for node in nodes]
    # node B shuts down cleanly (SIGTERM, exit 0) even after relaying console pushes
    assert nodes[1].returncode == 0, logs[1][-2000:]
    # a node warns at start exactly when this Redis would lose orders on a restart
    client = aioredis.from_url(SHARED_REDIS, decode_responses=True)
    try:
        aof = (await client.config_get("appendonly"))["appendonly"] == "yes"
        rdb = bool((await client.config_get("save"))["save"].strip())
    finally:
        await client.aclose()
    assert all(("persistence is off" in log) == (not aof and not rdb) for log in logs)


def start_private_redis(port: int, folder: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "yes", "--appendfsync", "always", "--dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        done = subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True,
                              text=True)
        if done.stdout.strip() == "PONG":
            return proc
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("private redis did not start")


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
async def test_redis_outage_answers_503_and_recovers(tmp_path: Path) -> None:
    rport = serve.free_port()
    redis_proc = start_private_redis(rport, tmp_path)
    env = {"LIVESELL_STORE": f"redis://127.0.0.1:{rport}/0"}
    port = serve.free_port()
    node = await asyncio.to_thread(serve.start, tmp_path / "node", port, env=env)
    base = f"http://127.0.0.1:{port}"
    acked: list[str] = []
    try:
        async with aiohttp.ClientSession() as session:
            show = await seed(session, base, stock=1000)

            async def post(cid: str) -> int:
                body = {"comments": [{"source": "sim", "id": cid,
                                      "author": {"id": cid, "name": "Khách"}, "text": "A1"}]}
                async with session.post(f"{base}/api/shows/{show}/comments", json=body,
                                        headers=AUTH) as resp:
                    if resp.status == 200:
                        acked.append(cid)
                    else:
                        assert resp.status == 503, await resp.text()
                        assert (await resp.json())["error"]["code"] == "store_unavailable"
                    return resp.status

            for i in range(20):
                assert await post(f"before{i}") == 200
            redis_proc.kill()
            redis_proc.wait(10)
            statuses = [await post(f"down{i}") for i in range(5)]
            assert statuses == [503] * 5
            async with session.get(f"{base}/healthz") as resp:
                assert resp.status == 503
            redis_proc = start_private_redis(rport, tmp_path)
            deadline = time.monotonic() + 20
            while await post(f"after{len(acked)}") != 200:
                assert time.monotonic() < deadline, "intake did not recover"
                await asyncio.sleep(0.2)
            # nothing acknowledged was lost: every acked comment is a duplicate now
            for cid in acked:
                body = {"comments": [{"source": "sim", "id": cid, "author": {"id": cid},
                                      "text": "A1"}]}
                async with session.post(f"{base}/api/shows/{show}/comments", json=body,
                                        headers=AUTH) as resp:
                    assert (await resp.json())["results"][0]["status"] == "duplicate", cid
            async with session.get(f"{base}/api/shows/{show}/stock", headers=AUTH) as resp:
                level = next(v for v in await resp.json() if v["code"] == "A1")
            assert level["held"] == len(acked)
    finally:
        serve.stop(node)
        redis_proc.kill()
        redis_proc.wait(10)
