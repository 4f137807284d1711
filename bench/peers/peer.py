"""The interface the harness drives a peer through.

A peer is *a command that starts a server on a port* plus *a way to trigger pushes*. The
reference peers push on their own timer and are driven over a small HTTP control channel on
the same port (``GET /bench/rate?hz=N``, ``GET /bench/stats?reset=1``). livesell itself is
driven through its public API instead (see ``bench.peers.ours``).
"""

from __future__ import annotations

from typing import Any

import aiohttp


class Peer:
    """A server under test. Subclasses say how to start it and how to make it push."""

    name = ""
    label = ""
    show = "show-1"  # the show id viewers send on namespace connect

    def unavailable(self) -> str | None:
        """Why this peer cannot run here, or None when it can."""
        return None

    def command(self, port: int, rate: float, duration: float) -> list[str]:
        raise NotImplementedError

    async def prepare(self, http: aiohttp.ClientSession, base_url: str) -> None:
        """Runs once the server listens, before any viewer joins (create a show, ...)."""

    async def set_rate(self, http: aiohttp.ClientSession, base_url: str, hz: float) -> None:
        """Push ``hz`` updates per second to every viewer from now on (0 stops pushing)."""
        async with http.get(f"{base_url}/bench/rate", params={"hz": str(hz)}) as resp:
            resp.raise_for_status()

    async def stats(
        self, http: aiohttp.ClientSession, base_url: str, reset: bool = True
    ) -> dict[str, Any]:
        """Server-side push statistics since the previous reset: ``pushes``, ``deliveries``,
        ``viewers``, ``version``, ``fanout_ms`` and ``lateness_ms`` summaries."""
        params = {"reset": "1" if reset else "0"}
        async with http.get(f"{base_url}/bench/stats", params=params) as resp:
            resp.raise_for_status()
            body: dict[str, Any] = await resp.json(content_type=None)
            return body

    async def finish(self) -> None:
        """Runs after the server stopped (stop any helper task)."""
