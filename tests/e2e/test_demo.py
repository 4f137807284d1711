"""`livesell serve --demo` as a user runs it: the demo show answers on every public route."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from tests.e2e import serve


@pytest.mark.slow
async def test_demo_serves_every_page(tmp_path: Path) -> None:
    port = serve.free_port()
    proc = await asyncio.to_thread(serve.start, tmp_path / "data", port, "--demo")
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base}/healthz") as resp:
                assert (await resp.json())["status"] == "ok"
            async with session.get(f"{base}/api/shows") as resp:
                shows = (await resp.json())["shows"]
            assert len(shows) == 1 and shows[0]["status"] == "live"
            show = shows[0]["id"]
            assert shows[0]["pinned"] == "A1" and len(shows[0]["lineup"]) >= 10
            for path in ("/", f"/s/{show}", f"/s/{show}/overlay", "/p/A1", "/login"):
                async with session.get(base + path) as resp:
                    assert resp.status == 200, path
                    assert "text/html" in resp.content_type
            async with session.get(f"{base}/api/shows/{show}/orders") as resp:
                assert resp.status == 401
    finally:
        out = serve.stop(proc)
    assert "owner token: ls_" in out
    assert f"/s/{show}/overlay" in out and f"/staff/{show}" in out
    # a second start keeps the same show and token (seeded once)
    proc = await asyncio.to_thread(serve.start, tmp_path / "data", port, "--demo")
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base}/api/shows") as resp:
                assert [s["id"] for s in (await resp.json())["shows"]] == [show]
    finally:
        serve.stop(proc)
