"""The stock Node socket.io-client (bench/peer) on the lean path, websocket only."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from livesell import keys
from tests.conftest import seed_show

ROOT = Path(__file__).resolve().parents[2]
MODULES = ROOT / "bench" / "peer" / "node_modules"
SCRIPT = Path(__file__).with_name("node") / "viewer.js"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (MODULES / "socket.io-client").is_dir(),
    reason="needs node and `npm ci` in bench/peer")


async def test_stock_client_joins_gets_snapshot_ticks_and_acks(client: TestClient) -> None:
    show = await seed_show(client)
    url = f"http://127.0.0.1:{client.server.port}"
    node = shutil.which("node")
    assert node is not None
    proc = await asyncio.create_subprocess_exec(
        node, str(SCRIPT), url, show, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env={**os.environ, "NODE_PATH": str(MODULES)},
        cwd=str(MODULES.parent))
    seen_lean = False

    async def watch() -> None:
        nonlocal seen_lean
        while proc.returncode is None:
            seen_lean = seen_lean or bool(client.app[keys.HUB].lean.by_live)
            await asyncio.sleep(0.01)

    watcher = asyncio.create_task(watch())
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    await watcher
    steps = [json.loads(line) for line in out.decode().splitlines()]
    assert proc.returncode == 0, (steps, err.decode()[-2000:])
    by_name = {step["what"]: step["data"] for step in steps}
    assert by_name["connect"] == {"transport": "websocket"}
    assert by_name["snapshot"]["show"] == show and by_name["snapshot"]["stock"]["A2"] > 0
    assert by_name["ack"]["status"] == "ordered" and by_name["ack"]["id"] == "node-1"
    assert by_name["tick"]["A2"] == by_name["snapshot"]["stock"]["A2"] - 1
    assert seen_lean  # it was served by the lean path, not python-engineio
