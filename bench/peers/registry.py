"""The peers the scenarios can measure: the reference servers and livesell itself.

The interface the harness drives them through is :class:`bench.peers.peer.Peer`.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from bench.peers.ours import OursPeer
from bench.peers.peer import Peer

PEER_DIR = Path(__file__).resolve().parent.parent / "peer"


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


def node_client_unavailable() -> str | None:
    """Why the stock socket.io-client viewers (bench/peer/client.js) cannot run here."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (PEER_DIR / "node_modules" / "socket.io-client").is_dir():
        return "bench/peer/node_modules is missing (run with --install-node)"
    return None


def all_peers() -> dict[str, Peer]:
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
