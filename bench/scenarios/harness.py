"""Running a peer and the load generator side by side, and measuring a window.

The server is started pinned to core 0 and the load generator to core 1 (this process, the
orchestrator, pins itself to core 1 too: it mostly sleeps). Both are bounded in time and are
killed when the ``async with`` block ends, whatever happened inside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import aiohttp

from bench.common import (
    CLIENT_CORE,
    SERVER_CORE,
    core_busy_seconds,
    free_port,
    pinned,
    proc_cpu_seconds,
    proc_rss_kb,
)
from bench.peers.peer import Peer

# The viewer clients a scenario can use: the lean Python client and the stock
# socket.io-client (Node), which speak the same protocol with the harness.
CLIENTS = ("lean", "node")
NODE_CLIENT = Path(__file__).resolve().parent.parent / "peer" / "client.js"


@dataclass
class Options:
    """What every scenario receives from the command line."""

    quick: bool
    write: bool
    peers: list[Peer]
    notes: list[str]
    viewers: list[int] | None = None
    rates: list[float] | None = None
    seconds: float | None = None
    deflate: bool = False
    wait_quiet: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


QUIET_LOAD = 0.1
CONTROL_TIMEOUT_S = 20.0


async def wait_for_quiet_core(max_wait: float, core: int = SERVER_CORE) -> float:
    """Wait (at most ``max_wait`` s) until other processes use < 10 % of the server's core
    over one second; return the last share seen. On a shared machine this keeps a run from
    starting in the middle of someone else's burst. No processes of ours run meanwhile."""
    deadline = time.monotonic() + max_wait
    share = 0.0
    while True:
        busy0 = core_busy_seconds(core)
        await asyncio.sleep(1.0)
        share = core_busy_seconds(core) - busy0
        if share < QUIET_LOAD or time.monotonic() >= deadline:
            return share


async def _kill(proc: asyncio.subprocess.Process, grace: float = 3.0) -> None:
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.terminate()
    try:
        await asyncio.wait_for(proc.wait(), grace)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


def _tail(log: IO[bytes], limit: int = 2000) -> str:
    log.flush()
    data = Path(log.name).read_bytes()
    return data[-limit:].decode(errors="replace")


class PeerRun:
    """A peer server running on a fresh port, pinned to the server core."""

    # Set from --wait-quiet: how long to wait for a quiet server core before each start.
    wait_quiet = 0.0

    def __init__(self, peer: Peer, duration: float, rate: float = 0.0) -> None:
        self.peer = peer
        self.duration = duration
        self.rate = rate
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/socket.io/"
        self.proc: asyncio.subprocess.Process | None = None
        self.http: aiohttp.ClientSession | None = None
        self._log = tempfile.NamedTemporaryFile(prefix=f"bench-{peer.name}-", suffix=".log")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def __aenter__(self) -> PeerRun:
        if self.wait_quiet > 0:
            share = await wait_for_quiet_core(self.wait_quiet)
            print(f"  server core busy with other processes: {share:.0%}", flush=True)
        cmd = pinned(self.peer.command(self.port, self.rate, self.duration), SERVER_CORE)
        self.proc = await asyncio.create_subprocess_exec(
            *cmd, stdin=asyncio.subprocess.DEVNULL, stdout=self._log, stderr=self._log
        )
        # A fresh connection per control request and a bounded wait: a control call must never
        # hang a run, whatever state the server's keep-alive handling is in.
        self.http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(force_close=True),
            timeout=aiohttp.ClientTimeout(total=CONTROL_TIMEOUT_S),
        )
        try:
            await self._wait_listening(15.0)
            await self.peer.prepare(self.http, self.base_url)
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    async def _wait_listening(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.returncode is not None:
                raise RuntimeError(f"{self.peer.name} exited early:\n{_tail(self._log)}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5),
            ):
                return
            await asyncio.sleep(0.05)
        raise RuntimeError(f"{self.peer.name} did not listen within {timeout} s")

    async def __aexit__(self, *exc: object) -> None:
        try:
            if self.proc is not None:
                if exc and exc[0] is not None:
                    print(
                        f"{self.peer.name} server (exit code {self.proc.returncode}) log tail:\n"
                        + _tail(self._log),
                        file=sys.stderr,
                    )
                await _kill(self.proc)
            await self.peer.finish()
        finally:
            if self.http is not None:
                await self.http.close()
            self._log.close()

    async def set_rate(self, hz: float) -> None:
        assert self.http is not None
        try:
            await self.peer.set_rate(self.http, self.base_url, hz)
        except (TimeoutError, aiohttp.ClientError):
            await self.peer.set_rate(self.http, self.base_url, hz)  # one retry

    async def stats(self, reset: bool = True) -> dict[str, Any]:
        assert self.http is not None
        try:
            return await self.peer.stats(self.http, self.base_url, reset)
        except (TimeoutError, aiohttp.ClientError):
            return await self.peer.stats(self.http, self.base_url, reset)  # one retry

    def cpu(self) -> float:
        return proc_cpu_seconds(self.pid)

    def rss_kb(self) -> int:
        return proc_rss_kb(self.pid)


class LoadGenRun:
    """The load generator process, pinned to the client core, driven over stdin/stdout."""

    def __init__(
        self,
        ws_url: str,
        viewers: int,
        *,
        show: str = "show-1",
        wave: int = 50,
        stalled: float = 0.0,
        deflate: bool = False,
        versions: bool = False,
        duration: float = 300.0,
        settle: float = 0.0,
        join_deadline: float | None = None,
        client: str = "lean",
    ) -> None:
        if client not in CLIENTS:
            raise ValueError(f"unknown viewer client {client!r}; known: {', '.join(CLIENTS)}")
        if client == "node" and (stalled or deflate):
            raise ValueError("the stock client neither stalls nor takes a deflate switch")
        self.client = client
        deadline = join_deadline if join_deadline is not None else 30.0 + viewers / 100
        self.args = [
            "--url", ws_url,
            "--viewers", str(viewers),
            "--show", show,
            "--wave", str(wave),
            "--stalled", str(stalled),
            "--duration", str(duration),
            "--settle", str(settle),
            "--join-deadline", str(deadline),
        ]  # fmt: skip
        if deflate:
            self.args.append("--deflate")
        if versions:
            self.args.append("--versions")
        self.join_timeout = deadline + settle + 30.0
        self.proc: asyncio.subprocess.Process | None = None
        self.joined: dict[str, Any] = {}
        self._log = tempfile.NamedTemporaryFile(prefix="bench-loadgen-", suffix=".log")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def __aenter__(self) -> LoadGenRun:
        if self.client == "node":
            program = ["node", str(NODE_CLIENT)]
        else:
            program = [sys.executable, "-m", "bench.loadgen"]
        cmd = pinned([*program, *self.args], CLIENT_CORE)
        self.proc = await asyncio.create_subprocess_exec(
            *cmd,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=self._log,
            limit=1 << 20,
        )
        try:
            self.joined = await self._read("joined", self.join_timeout)
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    async def _read(self, event: str, timeout: float) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        if not line:
            raise RuntimeError(f"load generator stopped:\n{_tail(self._log)}")
        body: dict[str, Any] = json.loads(line)
        if body.get("event") != event:
            raise RuntimeError(f"load generator sent {body.get('event')!r}, wanted {event!r}")
        return body

    async def command(self, name: str, timeout: float = 30.0) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(f"{name}\n".encode())
        await self.proc.stdin.drain()
        return await self._read(name, timeout)

    async def __aexit__(self, *exc: object) -> None:
        try:
            if self.proc is not None:
                if exc and exc[0] is not None:
                    print("load generator log tail:\n" + _tail(self._log), file=sys.stderr)
                await _kill(self.proc)
        finally:
            self._log.close()


@dataclass
class Window:
    """One measuring window: server CPU and RSS, server push stats, viewer stats."""

    seconds: float
    server_cpu_s: float
    server: dict[str, Any]
    client: dict[str, Any]
    rss_kb: int
    other_cpu_s: float = 0.0  # CPU others used on the server's core during the window

    @property
    def deliveries(self) -> int:
        return int(self.client["received"])

    @property
    def per_cpu_s(self) -> float | None:
        return self.deliveries / self.server_cpu_s if self.server_cpu_s > 0 else None

    @property
    def server_util(self) -> float:
        return self.server_cpu_s / self.seconds if self.seconds > 0 else 0.0

    @property
    def expected(self) -> int | None:
        pushes = self.server.get("pushes")
        if pushes is None:
            return None
        return int(pushes) * int(self.client["active"])

    @property
    def received_ratio(self) -> float | None:
        expected = self.expected
        return self.deliveries / expected if expected else None

    def row(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 3),
            "server_cpu_s": round(self.server_cpu_s, 4),
            "server_util": round(self.server_util, 3),
            "deliveries": self.deliveries,
            "per_cpu_s": self.per_cpu_s,
            "received_ratio": self.received_ratio,
            "pushes": self.server.get("pushes"),
            "fanout_ms": self.server.get("fanout_ms"),
            "lateness_ms": self.server.get("lateness_ms"),
            "latency_ms": self.client["latency_ms"],
            "client_cpu_util": self.client["client_cpu_util"],
            "errors": self.client["errors"],
            "closed": self.client["closed"],
            "rss_kb": self.rss_kb,
            "other_load": self.other_cpu_s / self.seconds if self.seconds > 0 else None,
        }


async def measure(run: PeerRun, load: LoadGenRun, seconds: float) -> Window:
    """Reset both sides, then measure ``seconds`` of whatever the peer is doing.

    The viewer window is nested inside the server's, and the CPU readings inside the viewer
    window, so window-edge skew can only make "received / expected" read a little low.
    """
    await run.stats(reset=True)
    await load.command("window")
    cpu0, core0 = run.cpu(), core_busy_seconds(SERVER_CORE)
    t0 = time.monotonic()
    await asyncio.sleep(seconds)
    cpu1, core1 = run.cpu(), core_busy_seconds(SERVER_CORE)
    t1 = time.monotonic()
    client = await load.command("window")
    server = await run.stats(reset=True)
    other = max(0.0, (core1 - core0) - (cpu1 - cpu0))
    return Window(t1 - t0, cpu1 - cpu0, server, client, run.rss_kb(), other)


def lateness_p99(window: Window) -> float | None:
    value = (window.server.get("lateness_ms") or {}).get("p99")
    return float(value) if value is not None else None


def latency(window: Window, key: str) -> float | None:
    value = window.client["latency_ms"].get(key)
    return float(value) if value is not None else None
