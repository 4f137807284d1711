"""Invariant 2: an acknowledged comment survives a SIGKILL of the server."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.e2e import serve

AUTH = {"Authorization": "Bearer e2e-owner-token-for-tests-0123456789"}
CATALOG = Path(__file__).parent.parent / "data" / "shop.yaml"


async def setup(session: aiohttp.ClientSession, base: str) -> str:
    import yaml

    doc = yaml.safe_load(CATALOG.read_text())
    for product in doc["products"]:
        body = {**product, "origin": {k: str(v) for k, v in (product.get("origin") or {}).items()
                                      if k != "certificates"}}
        async with session.put(f"{base}/api/products/{product['code']}", json=body,
                               headers=AUTH) as resp:
            assert resp.status == 200, await resp.text()
    async with session.post(f"{base}/api/shows", headers=AUTH,
                            json={"title": "Crash", "lineup": ["A1", "A2", "C1"]}) as resp:
        show = str((await resp.json())["id"])
    async with session.post(f"{base}/api/shows/{show}/start", headers=AUTH) as resp:
        assert resp.status == 200
    return show


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["kill", "term"])
async def test_stopping_mid_stream_loses_nothing_acknowledged(tmp_path: Path,
                                                              sig: signal.Signals) -> None:
    """SIGKILL: nothing acknowledged is lost. SIGTERM: the same, and a clean exit."""
    data = tmp_path / "data"
    port = serve.free_port()
    base = f"http://127.0.0.1:{port}"
    proc = await asyncio.to_thread(serve.start, data, port,
                                   env={"LIVESELL_SQLITE_SYNCHRONOUS": "FULL"})
    acked: dict[str, dict[str, Any]] = {}
    try:
        async with aiohttp.ClientSession() as session:
            show = await setup(session, base)

            async def stream(worker: int) -> None:
                n = 0
                while True:
                    batch = [{"source": "sim", "id": f"w{worker}-{n + i}",
                              "author": {"id": f"b{worker}-{(n + i) % 40}", "name": "An"},
                              "text": ["A2", "C1 x2", "A1 1kg", "hủy A2"][(n + i) % 4]}
                             for i in range(5)]
                    n += 5
                    try:
                        async with session.post(f"{base}/api/shows/{show}/comments",
                                                json={"comments": batch}, headers=AUTH) as resp:
                            if resp.status != 200:
                                return
                            for result in (await resp.json())["results"]:
                                acked[result["id"]] = result
                    except aiohttp.ClientError:
                        return

            workers = [asyncio.create_task(stream(w)) for w in range(8)]
            while len(acked) < 400:
                await asyncio.sleep(0.01)
            proc.send_signal(sig)
            await asyncio.gather(*workers)
            code = await asyncio.to_thread(proc.wait, 15)
    finally:
        serve.stop(proc)
    assert code == (0 if sig == signal.SIGTERM else -signal.SIGKILL)

    assert len(acked) >= 400
    proc = await asyncio.to_thread(serve.start, data, port)
    try:
        async with aiohttp.ClientSession() as session:
            redo = [{"source": "sim", "id": cid, "author": {"id": "x", "name": "x"},
                     "text": "A2"} for cid in acked]
            for i in range(0, len(redo), 500):
                async with session.post(f"{base}/api/shows/{show}/comments", headers=AUTH,
                                        json={"comments": redo[i:i + 500]}) as resp:
                    results = (await resp.json())["results"]
                # every acknowledged comment is still known, with the order it made
                for result in results:
                    assert result["status"] == "duplicate", result
                    assert result.get("order") == acked[result["id"]].get("order")
            async with session.get(f"{base}/api/shows/{show}/orders", headers=AUTH) as resp:
                codes = {o["code"] for o in (await resp.json())["orders"]}
            assert {r["order"] for r in acked.values() if r.get("order")} <= codes
            async with session.get(f"{base}/api/shows/{show}/stock", headers=AUTH) as resp:
                stock = await resp.json()
            totals = {"A1:500g": 50, "A1:1kg": 30, "A2:": 80, "C1:": 10}
            for level in stock:
                key = f"{level['code']}:{level['variant']}"
                assert level["available"] + level["held"] + level["sold"] == totals[key]
    finally:
        serve.stop(proc)
