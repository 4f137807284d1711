"""The peers the scenarios can measure, and the interface the harness drives them through.

A peer is *a command that starts a server on a port* plus *a way to trigger pushes*. The
reference peers push on their own timer and are driven over a small HTTP control channel on
the same port (``GET /bench/rate?hz=N``, ``GET /bench/stats?reset=1``). livesell itself is
driven through its public API instead (see ``bench.peers.ours``).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import aiohttp

PEER_DIR = Path(__file__).resolve().parent.parent / "peer"


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


class PythonPeer(Peer):
    def __init__(self, name: str, label: str, module: str) -> None:
        self.name = name
        self.label = label
        self.module = module

    def command(self, port: int, rate: float, duration: float) -> list[str]:
        return [
            sys.executable,
            "-m",
            self.module,
            "--port",
            str(port),
            "--rate",
            str(rate),
            "--duration",
            str(duration),
        ]


class NodePeer(Peer):
    name = "node"
    label = "Node.js socket.io 4.8, defaults (reference)"

    def unavailable(self) -> str | None:
        if shutil.which("node") is None:
            return "node is not installed"
        if not (PEER_DIR / "node_modules" / "socket.io").is_dir():
            return "bench/peer/node_modules is missing (run with --install-node)"
        return None

    def command(self, port: int, rate: float, duration: float) -> list[str]:
        return [
            "node",
            str(PEER_DIR / "server.js"),
            "--port",
            str(port),
            "--rate",
            str(rate),
            "--duration",
            str(duration),
        ]


def all_peers() -> dict[str, Peer]:
    from bench.peers.ours import OursPeer

    peers: list[Peer] = [
        PythonPeer("floor", "floor: one pre-built frame, transport.write()", "bench.peers.floor"),
        PythonPeer("libfloor", "library floor: websockets.broadcast()", "bench.peers.libfloor"),
        NodePeer(),
        PythonPeer("base", "base: python-socketio emit(room=...), defaults", "bench.peers.base"),
        OursPeer(),
    ]
    return {p.name: p for p in peers}


DEFAULT_PEERS = "floor,libfloor,node,base,ours"


def select(names: str) -> tuple[list[Peer], list[str]]:
    """The peers named in a comma list that can run here, and notes on the ones skipped."""
    known = all_peers()
    chosen: list[Peer] = []
    notes: list[str] = []
    for name in (n.strip() for n in names.split(",") if n.strip()):
        peer = known.get(name)
        if peer is None:
            raise SystemExit(f"unknown peer {name!r}; known: {', '.join(known)}")
        reason = peer.unavailable()
        if reason:
            notes.append(f"skipping {name}: {reason}")
        else:
            chosen.append(peer)
    return chosen, notes


def install_node_peer() -> None:
    """``npm ci`` in bench/peer (uses the committed package-lock.json)."""
    import subprocess

    if shutil.which("npm") is None:
        raise SystemExit("npm is not installed")
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PEER_DIR, check=True)
