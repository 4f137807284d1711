"""The peers at the operating point (B11): each at a 5 Hz tick with news on every tick.

* ``ours``: livesell at its own tick rate (``stock_push_hz`` = 5, the product default) instead
  of the 100 Hz cap the saturation scenarios use. ``set_rate(hz)`` asks for ``hz`` ticks a
  second and makes ``CHANGES_PER_TICK`` × ``hz`` stock changes a second through the host API
  (``POST /api/products/A1/stock``), so every tick has something new to push; the changes
  are coalesced into one ``tick`` frame per show per tick, as in a show.
* ``node``: the reference Node.js socket.io peer; on SIGTERM it closes every client with
  ``io.close()`` before it exits, a graceful stop to compare with.
* ``floor``: unchanged; it has no graceful stop (SIGTERM ends it at once), so its stop time is
  the floor of what any stop can take.

With ``profile_gc`` set, livesell runs under :mod:`bench.peers.gc_probe`, which times every
garbage collection (used by ``--profile`` only).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from pathlib import Path

import aiohttp

from bench.peers.ours import OursPeer
from bench.peers.peer import Peer
from bench.peers.registry import NodePeer, all_peers

TICK_HZ = 5.0
CHANGES_PER_TICK = 4


class OursAtTick(OursPeer):
    label = (
        f"livesell serve at its own {TICK_HZ:g} Hz tick, stock changed through the host API "
        f"({CHANGES_PER_TICK} changes per tick)"
    )

    def __init__(self, tick_hz: float = TICK_HZ, gc_file: Path | None = None) -> None:
        super().__init__()
        self.tick_hz = tick_hz
        self.gc_file = gc_file
        self._session: aiohttp.ClientSession | None = None

    def command(self, port: int, rate: float, duration: float) -> list[str]:
        cmd = super().command(port, rate, duration)
        os.environ["LIVESELL_STOCK_PUSH_HZ"] = f"{self.tick_hz:g}"
        if self.gc_file is None:
            os.environ.pop("BENCH_GC_FILE", None)
            return cmd
        os.environ["BENCH_GC_FILE"] = str(self.gc_file)
        assert cmd[1:3] == ["-m", "livesell"], cmd
        return [sys.executable, "-m", "bench.peers.gc_probe", *cmd[3:]]

    async def set_rate(self, http: aiohttp.ClientSession, base_url: str, hz: float) -> None:
        # The changes come over one kept-alive connection, as from a host's open console
        # (the harness's own control calls use a fresh connection each).
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20))
        await super().set_rate(self._session, base_url, hz * CHANGES_PER_TICK)

    async def finish(self) -> None:
        # The server may be stopped while changes are still being made: a change refused or
        # cut off by the stop is expected then.
        poster, self._poster = self._poster, None
        if poster is not None:
            poster.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiohttp.ClientError, OSError):
                await poster
        if self._session is not None:
            await self._session.close()
            self._session = None
        await super().finish()


class NodeGraceful(NodePeer):
    label = "Node.js socket.io 4.8, defaults; io.close() on SIGTERM (reference)"

    def command(self, port: int, rate: float, duration: float) -> list[str]:
        return [*super().command(port, rate, duration), "--graceful", "1"]


def operating_peers(names: list[str], gc_file: Path | None = None) -> list[Peer]:
    """The B11 variant of each named peer (peers without one are used as they are)."""
    known = all_peers()
    out: list[Peer] = []
    for name in names:
        if name == "ours":
            out.append(OursAtTick(gc_file=gc_file))
        elif name == "node":
            out.append(NodeGraceful())
        else:
            out.append(known[name])
    return out
