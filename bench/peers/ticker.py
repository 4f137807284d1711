"""The push loop and control channel shared by the Python peer servers.

Every peer pushes the same payload: a timer at the tick rate builds
``{"v": version, "t": send time in ms, "stock": {...}}`` and broadcasts it to every viewer
of the show. The ticker records per-tick lateness (how long after its scheduled time a tick
started) and fan-out time (how long the broadcast call took) for ``GET /bench/stats``.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bench.common import raise_fd_limit, summarize

Payload = dict[str, Any]
Push = Callable[[Payload], "int | Awaitable[int]"]

NAMESPACE = "/live"
EVENT = "stock"
# Engine.IO v4 handshake values, the same as python-engineio and Node's defaults.
PING_INTERVAL_MS = 25_000
PING_TIMEOUT_MS = 20_000


def make_payload(version: int) -> Payload:
    """The ~120-byte stock payload every peer sends, stamped with the send time."""
    return {
        "v": version,
        "t": round(time.time() * 1000, 1),
        "stock": {"A1:500g": version % 50, "A1:1kg": 3, "B1:1l": 12},
    }


def dumps(payload: Payload) -> str:
    return json.dumps(payload, separators=(",", ":"))


def open_packet(sid: str) -> str:
    """Engine.IO v4 open packet for a websocket-only session."""
    return "0" + dumps(
        {
            "sid": sid,
            "upgrades": [],
            "pingInterval": PING_INTERVAL_MS,
            "pingTimeout": PING_TIMEOUT_MS,
            "maxPayload": 1_000_000,
        }
    )


def connect_ack(sid: str) -> str:
    """Socket.IO v5 namespace connect acknowledgement."""
    return f"40{NAMESPACE}," + dumps({"sid": sid})


def event_packet(payload: Payload) -> str:
    """Socket.IO v5 event packet ``42/live,["stock",{...}]`` carried in one Engine.IO message."""
    return f'42{NAMESPACE},["{EVENT}",' + dumps(payload) + "]"


class Ticker:
    """Calls ``push(payload)`` at ``rate`` Hz on an absolute schedule and keeps statistics.

    ``push`` returns the number of viewers it delivered to (or an awaitable of it). Ticks
    are never skipped: a server that cannot keep up shows it as growing lateness.
    """

    def __init__(self, push: Push) -> None:
        self._push = push
        self._task: asyncio.Task[None] | None = None
        self.rate = 0.0
        self.version = 0
        self.reset()

    def reset(self) -> None:
        self.pushes = 0
        self.deliveries = 0
        self.skipped = 0
        self.fanout_ms: list[float] = []
        self.lateness_ms: list[float] = []

    def set_rate(self, hz: float) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self.rate = hz
        if hz > 0:
            self._task = asyncio.get_running_loop().create_task(self._run(1.0 / hz))

    async def _run(self, period: float) -> None:
        # perf_counter, not loop.time(): uvloop's clock has millisecond resolution.
        clock = time.perf_counter
        start = clock()
        k = 0
        while True:
            k += 1
            due = start + k * period
            # Always yield, even when behind schedule: a synchronous push would otherwise
            # starve the event loop (no joins, no control requests) once the server falls behind.
            await asyncio.sleep(max(0.0, due - clock()))
            began = clock()
            self.lateness_ms.append((began - due) * 1000)
            self.version += 1
            sent = self._push(make_payload(self.version))
            if inspect.isawaitable(sent):
                sent = await sent
            self.fanout_ms.append((clock() - began) * 1000)
            self.pushes += 1
            self.deliveries += int(sent)

    def stats(self, viewers: int, peer: str, reset: bool) -> dict[str, Any]:
        body = {
            "peer": peer,
            "pid": os.getpid(),
            "rate": self.rate,
            "version": self.version,
            "pushes": self.pushes,
            "deliveries": self.deliveries,
            "skipped": self.skipped,
            "viewers": viewers,
            "fanout_ms": summarize(self.fanout_ms),
            "lateness_ms": summarize(self.lateness_ms),
        }
        if reset:
            self.reset()
        return body


def peer_args(description: str) -> argparse.Namespace:
    """The command line every peer server accepts."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--rate", type=float, default=0.0, help="push tick rate in Hz")
    parser.add_argument("--duration", type=float, default=600.0, help="exit after this many s")
    args = parser.parse_args()
    raise_fd_limit()
    return args


def announce(port: int) -> None:
    """Tell the harness the server is listening (one JSON line on stdout)."""
    print(json.dumps({"event": "listening", "port": port, "pid": os.getpid()}), flush=True)


def aiohttp_control_routes(ticker: Ticker, peer: str, viewers: Callable[[], int]) -> list[Any]:
    """``GET /bench/stats[?reset=1]`` and ``GET /bench/rate?hz=N`` for aiohttp peers."""
    from aiohttp import web

    async def stats(request: web.Request) -> web.Response:
        reset = request.query.get("reset") == "1"
        return web.json_response(ticker.stats(viewers(), peer, reset))

    async def rate(request: web.Request) -> web.Response:
        ticker.set_rate(float(request.query.get("hz", "0")))
        return web.json_response({"rate": ticker.rate})

    return [web.get("/bench/stats", stats), web.get("/bench/rate", rate)]
