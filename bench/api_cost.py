"""``python -m bench.api_cost [--requests N] [--idle S] [--quick] [--json]``.

What the server costs when it is not fanning out: CPU per second while idle, and server
CPU per host-API request.

One ``livesell serve`` (embedded SQLite, ``synchronous=FULL``) with one product of one
variant in one live show, pinned to core 0, this process on core 1, loopback only. First
``--idle`` seconds with nothing connected (the server's own timers: ticks, stats, pings);
then ``--requests`` sequential requests of each kind on one kept-alive connection —
``GET /healthz`` (aiohttp and the middlewares alone), ``GET /api/shows/{id}`` (one store
read) and ``POST /api/products/A1/stock`` (the change B11 drives 20 times a second: a read, a
write with its commit, the events) — each as server CPU per request (all threads) and wall
time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import (
    CLIENT_CORE,
    SERVER_CORE,
    free_port,
    pin_self,
    proc_cpu_seconds,
    table,
)
from bench.intake import AUTH as HEADERS
from bench.intake import start_server, wait_ready


async def _prepare(http: aiohttp.ClientSession, base: str) -> str:
    product = {"name": "Cua gạch Đầm Dơi", "category": "food",
               "variants": [{"label": "500g", "price": 190000, "stock": 1_000_000}]}
    async with http.put(f"{base}/api/products/A1", json=product, headers=HEADERS) as r:
        r.raise_for_status()
    async with http.post(f"{base}/api/shows", headers=HEADERS,
                         json={"title": "Bench show", "lineup": ["A1"]}) as r:
        r.raise_for_status()
        show = str((await r.json())["id"])
    async with http.post(f"{base}/api/shows/{show}/start", headers=HEADERS) as r:
        r.raise_for_status()
    return show


async def _requests(http: aiohttp.ClientSession, base: str, kind: str, show: str,
                    count: int) -> None:
    for k in range(count):
        if kind == "stock":
            body = {"variant": "500g", "delta": 1 if k % 2 else -1}
            async with http.post(f"{base}/api/products/A1/stock", json=body,
                                 headers=HEADERS) as r:
                r.raise_for_status()
        else:
            path = "/healthz" if kind == "healthz" else f"/api/shows/{show}"
            async with http.get(f"{base}{path}") as r:
                r.raise_for_status()
                await r.read()


async def run(requests: int, idle: float) -> dict[str, Any]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="livesell-api-cost-") as data:
        server = start_server(port, Path(data), "sqlite", "FULL", SERVER_CORE)
        try:
            await wait_ready(base, server)
            async with aiohttp.ClientSession() as http:
                show = await _prepare(http, base)
                await _measure(http, base, show, requests, idle, server.pid, out)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return out


async def _measure(http: aiohttp.ClientSession, base: str, show: str, requests: int,
                   idle: float, pid: int, out: dict[str, Any]) -> None:
    await asyncio.sleep(2.0)  # start-up work settles
    cpu = proc_cpu_seconds(pid)
    await asyncio.sleep(idle)
    out["idle_ms_per_s"] = (proc_cpu_seconds(pid) - cpu) * 1000 / idle
    for kind in ("healthz", "show", "stock"):
        cpu, wall = proc_cpu_seconds(pid), time.perf_counter()
        await _requests(http, base, kind, show, requests)
        out[kind] = ((proc_cpu_seconds(pid) - cpu) * 1000 / requests,
                     (time.perf_counter() - wall) * 1000 / requests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--idle", type=float, default=20.0, help="seconds measured idle")
    parser.add_argument("--quick", action="store_true", help="2 s idle, 50 requests each")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    pin_self(CLIENT_CORE)
    if args.quick:
        args.requests, args.idle = 50, 2.0
    result = asyncio.run(run(args.requests, args.idle))
    if args.json:
        print(json.dumps(result))
        return
    print(f"idle: {result['idle_ms_per_s']:.2f} ms of server CPU per second")
    names = {"healthz": "GET /healthz", "show": "GET /api/shows/{id}",
             "stock": "POST /api/products/A1/stock"}
    print(table(["request", "server CPU ms", "wall ms"],
                [(names[k], f"{result[k][0]:.3f}", f"{result[k][1]:.2f}") for k in names]))


if __name__ == "__main__":
    main()
