"""Joins, memory and stop of N /live viewers: the lean path against python-engineio.

For each mode a real ``livesell serve`` (SQLite, uvloop) runs pinned to core 0; this script,
pinned to core 1, joins N raw Engine.IO v4 websocket viewers to one show in waves (each join:
handshake, open packet, ``40/live,{auth}``, wait for the snapshot), then SIGTERMs the server.
Reported per mode: server CPU per join, RSS growth per viewer, wall time of the joins, tick
deliveries per server CPU-second while an order a tick (5 Hz) moves the stock for ``--hold``
seconds, and the stop (SIGTERM to exit) with how many viewers were told (``41/live,``) before
their close.

    python -m bench.lean_micro --viewers 2000 [--hold 10] [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import (
    CLIENT_CORE,
    SERVER_CORE,
    append_section,
    fmt,
    free_port,
    pin_self,
    pinned,
    proc_cpu_seconds,
    proc_rss_kb,
    raise_fd_limit,
    table,
)

TOKEN = "bench-owner-token-0123456789-abcdef"
MODES = {"lean": "true", "engineio": "false"}


def _start(mode: str, data: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LIVESELL_ADMIN_TOKEN": TOKEN, "LIVESELL_LEAN_LIVE": MODES[mode],
           "LIVESELL_LOG_LEVEL": "WARNING"}
    cmd = pinned([sys.executable, "-m", "livesell", "serve", "--data", str(data),
                  "--port", str(port)], SERVER_CORE)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not start")


def _call(base: str, method: str, path: str, body: object) -> Any:
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {TOKEN}",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as resp:
        return json.loads(resp.read())


def _seed(base: str) -> str:
    _call(base, "PUT", "/api/products/A1",
          {"name": "Cua", "variants": [{"price": 1000, "stock": 100_000}]})
    show = str(_call(base, "POST", "/api/shows", {"title": "Bench", "lineup": ["A1"]})["id"])
    _call(base, "POST", f"/api/shows/{show}/start", {})
    return show


async def _viewer(session: aiohttp.ClientSession, url: str, show: str,
                  joined: asyncio.Event, results: list[str], ticks: list[int]) -> None:
    told = False
    try:
        async with session.ws_connect(url, autoping=True, max_msg_size=0) as ws:
            await ws.receive_str(timeout=30)
            await ws.send_str(f'40/live,{{"show":"{show}"}}')
            async for msg in ws:
                if msg.type is not aiohttp.WSMsgType.TEXT:
                    break
                if msg.data.startswith('42/live,["tick"'):
                    ticks[0] += 1
                elif msg.data.startswith('42/live,["snapshot"'):
                    joined.set()
                elif msg.data == "2":
                    await ws.send_str("3")
                elif msg.data == "41/live,":
                    told = True
            results.append(f"told {ws.close_code}" if told else f"close {ws.close_code}")
    except Exception as exc:  # a failed viewer is counted, not fatal
        joined.set()
        results.append(type(exc).__name__)


async def _orders(base: str, show: str, seconds: float, hz: float) -> None:
    """One order a tick: every tick then carries new stock to every viewer."""
    for i in range(int(seconds * hz)):
        await asyncio.to_thread(_call, base, "POST", f"/api/shows/{show}/comments", {
            "comments": [{"source": "sim", "id": f"o{i}", "author": {"id": f"b{i}"},
                          "text": "chốt A1"}]})
        await asyncio.sleep(1 / hz)


async def run_mode(mode: str, viewers: int, wave: int, hold: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = _start(mode, Path(tmp), port)
        try:
            base = f"http://127.0.0.1:{port}"
            show = await asyncio.to_thread(_seed, base)
            url = f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"
            await asyncio.sleep(1.0)
            rss0, cpu0 = proc_rss_kb(proc.pid), proc_cpu_seconds(proc.pid)
            results: list[str] = []
            ticks = [0]
            tasks = []
            async with aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(limit=0)) as session:
                started = time.monotonic()
                for first in range(0, viewers, wave):
                    events = [asyncio.Event() for _ in range(first, min(viewers, first + wave))]
                    tasks += [asyncio.create_task(_viewer(session, url, show, e, results,
                                                          ticks)) for e in events]
                    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in events)), 60)
                join_s = time.monotonic() - started
                cpu1 = proc_cpu_seconds(proc.pid)
                await asyncio.sleep(2.0)
                rss1 = proc_rss_kb(proc.pid)
                ticks[0], cpu2 = 0, proc_cpu_seconds(proc.pid)
                if hold:
                    await _orders(base, show, hold, 5.0)
                    await asyncio.sleep(0.5)
                per_cpu_s = ticks[0] / max(1e-9, proc_cpu_seconds(proc.pid) - cpu2)
                stop_at = time.monotonic()
                proc.send_signal(signal.SIGTERM)
                await asyncio.to_thread(proc.wait, 60)
                stop_s = time.monotonic() - stop_at
                await asyncio.wait_for(asyncio.gather(*tasks), 30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    failed = sum(1 for r in results if not r.startswith(("told", "close")))
    return {"mode": mode, "viewers": viewers, "join_s": join_s,
            "cpu_ms_per_join": (cpu1 - cpu0) * 1000 / viewers,
            "kb_per_viewer": (rss1 - rss0) / viewers, "stop_s": stop_s,
            "deliveries_per_cpu_s": per_cpu_s if hold else None,
            "told": sum(1 for r in results if r.startswith("told")), "failed": failed}


async def main(args: argparse.Namespace) -> list[dict[str, Any]]:
    raise_fd_limit()
    pin_self(CLIENT_CORE)
    return [await run_mode(mode, args.viewers, args.wave, args.hold)
            for mode in args.modes.split(",")]


def report(rows: list[dict[str, Any]]) -> str:
    return table(["path", "viewers", "joins (s)", "CPU per join (ms)", "RSS per viewer (KB)",
                  "ticks per CPU-s at 5 Hz", "SIGTERM to exit (s)", "told before close",
                  "failed"],
                 [[r["mode"], r["viewers"], fmt(r["join_s"], 2), fmt(r["cpu_ms_per_join"], 3),
                   fmt(r["kb_per_viewer"], 1), fmt(r["deliveries_per_cpu_s"], 0),
                   fmt(r["stop_s"], 2), r["told"], r["failed"]] for r in rows])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=2000)
    parser.add_argument("--wave", type=int, default=50, help="joins in flight at once")
    parser.add_argument("--modes", default="lean,engineio")
    parser.add_argument("--hold", type=float, default=10.0, help="5 Hz phase (s); 0: none")
    parser.add_argument("--write", action="store_true", help="append to BENCHMARKS.md")
    parsed = parser.parse_args()
    found = asyncio.run(main(parsed))
    body = report(found)
    print(body)
    if parsed.write:
        append_section("Lean /live path vs python-engineio: joins, memory, stop",
                       f"`python -m bench.lean_micro {' '.join(sys.argv[1:])}`\n\n{body}\n")
