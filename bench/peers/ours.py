"""livesell itself (``livesell serve``) as a peer.

livesell has no timer of its own to drive: it pushes when stock changes, coalescing changes
into at most ``stock_push_hz`` pushes a second per show. Here the server runs with a 100 Hz
cap, and ``set_rate(hz)`` makes ``hz`` stock changes a second through the host API
(``POST /api/products/A1/stock``, alternately +1 and -1), so each change becomes one ``stock``
push to every viewer, the same single event with a send time ``t`` and a version ``v`` that
the reference peers send. Order comments also produce ticker and comment-feed pushes; the
intake benchmark (``python -m bench.intake``) measures that path.

Server-side figures come from ``GET /api/metrics`` (owner token): pushes and deliveries from
the viewer fan-out totals, tick lateness and tick duration.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import itertools
import os
import shutil
import sys
import tempfile
from typing import Any

import aiohttp

from bench.peers.peer import Peer

TOKEN = "bench-admin-token-0123456789abcdefghij"
HEADERS = {"Authorization": f"Bearer {TOKEN}"}
PUSH_CAP_HZ = 100


class OursPeer(Peer):
    name = "ours"
    label = "livesell serve (stock changes through the host API, coalesced pushes)"

    def __init__(self) -> None:
        self.show = "show-1"
        self._poster: asyncio.Task[None] | None = None
        self._data_dir: str | None = None
        self._totals: dict[str, int] = {}

    def unavailable(self) -> str | None:
        if importlib.util.find_spec("livesell") is None:
            return "livesell is not installed"
        return None

    def command(self, port: int, rate: float, duration: float) -> list[str]:
        self._data_dir = tempfile.mkdtemp(prefix="livesell-bench-")
        # The server inherits this process's environment.
        os.environ.update({
            "LIVESELL_ADMIN_TOKEN": TOKEN,
            "LIVESELL_STOCK_PUSH_HZ": str(PUSH_CAP_HZ),
            "LIVESELL_LOG_LEVEL": "WARNING",
        })
        return [sys.executable, "-m", "livesell", "serve", "--host", "127.0.0.1",
                "--port", str(port), "--data", self._data_dir]

    async def prepare(self, http: aiohttp.ClientSession, base_url: str) -> None:
        product = {"name": "Cua gạch Đầm Dơi", "category": "food",
                   "variants": [{"label": "500g", "price": 190000, "stock": 1_000_000}]}
        async with http.put(f"{base_url}/api/products/A1", json=product,
                            headers=HEADERS) as r:
            r.raise_for_status()
        async with http.post(f"{base_url}/api/shows", headers=HEADERS,
                             json={"title": "Bench show", "lineup": ["A1"]}) as r:
            r.raise_for_status()
            self.show = str((await r.json())["id"])
        async with http.post(f"{base_url}/api/shows/{self.show}/start", headers=HEADERS) as r:
            r.raise_for_status()
        self._totals = {}

    async def set_rate(self, http: aiohttp.ClientSession, base_url: str, hz: float) -> None:
        if self._poster is not None:
            self._poster.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poster
            self._poster = None
        if hz > 0:
            self._poster = asyncio.get_running_loop().create_task(
                self._change_stock(http, base_url, hz))

    async def _change_stock(self, http: aiohttp.ClientSession, base_url: str,
                            hz: float) -> None:
        loop = asyncio.get_running_loop()
        url = f"{base_url}/api/products/A1/stock"
        start = loop.time()
        for k in itertools.count(1):
            body = {"variant": "500g", "delta": 1 if k % 2 else -1}
            async with http.post(url, json=body, headers=HEADERS) as r:
                r.raise_for_status()
            delay = start + k / hz - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)

    async def stats(
        self, http: aiohttp.ClientSession, base_url: str, reset: bool = True
    ) -> dict[str, Any]:
        async with http.get(f"{base_url}/api/metrics", headers=HEADERS,
                            params={"reset": "1" if reset else "0"}) as r:
            r.raise_for_status()
            metrics = await r.json()
        async with http.get(f"{base_url}/api/shows/{self.show}") as r:
            r.raise_for_status()
            version = (await r.json())["version"]
        viewers = metrics["viewers"]
        totals = {"pushes": viewers["broadcasts"], "deliveries": viewers["delivered"],
                  "skipped": viewers["skipped_slow"]}
        # The fan-out keeps running totals: report what happened since the last reset.
        body: dict[str, Any] = {
            "peer": self.name, "version": version, "viewers": viewers["viewers"],
            **{k: v - self._totals.get(k, 0) for k, v in totals.items()},
            "fanout_ms": metrics["tick_ms"], "lateness_ms": metrics["lateness_ms"],
        }
        if reset:
            self._totals = totals
        return body

    async def finish(self) -> None:
        if self._poster is not None:
            self._poster.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poster
            self._poster = None
        if self._data_dir is not None:
            shutil.rmtree(self._data_dir, ignore_errors=True)
            self._data_dir = None
