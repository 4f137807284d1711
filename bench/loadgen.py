"""Lean viewer load generator: N Engine.IO v4 / Socket.IO v5 WebSocket viewers in one process.

Each viewer is a bare asyncio protocol (uvloop) that does the WebSocket upgrade by hand, reads
the Engine.IO open packet, joins ``/live`` with ``{"show": ...}``, answers Engine.IO pings
(``2`` -> ``3``) and WebSocket pings, and counts ``42/live,["stock",...]`` frames (and merged
``42/live,["tick",{"stock":...`` frames), besides every push of any kind. The send time
``"t":`` is found with ``bytes.find`` (no JSON parsing) and the latency goes into a 0.1 ms
histogram, so the client stays cheap next to the server it measures.

Stalled viewers (``--stalled F``) get a small SO_RCVBUF and stop reading once joined, like a
phone on a dead network: the server sees its writes back up.

Protocol with the harness (one JSON object per line on stdout):
  on start-up, after the join phase:  {"event": "joined", ...join statistics}
  stdin "window":  statistics since the previous "window" (then reset)
  stdin "final" or end of input:  totals, then exit.
The process also exits by itself after ``--duration`` seconds.

Run alone: ``python -m bench.loadgen --url ws://127.0.0.1:8000 --viewers 1000``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import socket
import sys
import time
import zlib
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import uvloop

from bench.common import raise_fd_limit, self_cpu_seconds, summarize

HIST_BINS = 100_000  # 0.1 ms bins up to 10 s; the last bin holds everything slower
STOCK_PREFIX = b'42/live,["stock"'
TICK_STOCK_PREFIX = b'42/live,["tick",{"stock":'  # a merged tick frame with a stock part
SNAPSHOT_PREFIX = b'42/live,["snapshot"'
EVENT_PREFIX = b"42"
CONNECT_PREFIX = b"40"
T_KEY = b'"t":'
V_KEY = b'"v":'
PONG_FRAME = b"\x81\x81\x00\x00\x00\x003"  # masked text frame "3" (zero mask key)


def masked_frame(opcode: int, payload: bytes) -> bytes:
    """A client-to-server frame. The zero mask key leaves the payload bytes unchanged."""
    n = len(payload)
    if n < 126:
        header = bytes((0x80 | opcode, 0x80 | n))
    elif n < 1 << 16:
        header = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    return header + b"\x00\x00\x00\x00" + payload


class Stats:
    """Counters shared by all viewers; ``window_*`` are reset on every "window" command."""

    def __init__(self) -> None:
        self.total_hist = [0] * (HIST_BINS + 1)
        self.errors: Counter[str] = Counter()
        self.closed = 0
        self.reset_window()

    def reset_window(self) -> None:
        self.received = 0
        self.hist = [0] * (HIST_BINS + 1)
        self.window_start = time.monotonic()
        self.window_cpu = self_cpu_seconds()

    @staticmethod
    def hist_summary(hist: list[int]) -> dict[str, float | int | None]:
        n = sum(hist)
        out: dict[str, float | int | None] = {"n": n, "p50": None, "p99": None, "max": None}
        if n == 0:
            return out
        marks = {"p50": -(-50 * n // 100), "p99": -(-99 * n // 100)}
        seen = 0
        for i, count in enumerate(hist):
            if not count:
                continue
            seen += count
            for key, rank in marks.items():
                if out[key] is None and seen >= rank:
                    out[key] = i / 10
            out["max"] = i / 10
        return out


class Viewer(asyncio.Protocol):
    """One viewer connection; all work happens in ``data_received``."""

    __slots__ = (
        "gen",
        "index",
        "stalled",
        "transport",
        "upgraded",
        "buf",
        "inflater",
        "started",
        "joined_at",
        "first_at",
        "opening",
        "received",
        "pushes",
        "version",
    )

    def __init__(self, gen: LoadGen, index: int, stalled: bool) -> None:
        self.gen = gen
        self.index = index
        self.stalled = stalled
        self.transport: asyncio.Transport | None = None
        self.upgraded = False
        self.buf = b""
        self.inflater: Any = None
        self.started = time.monotonic()
        self.joined_at = 0.0  # 0 until the namespace connect is acknowledged
        self.first_at = 0.0
        self.opening: asyncio.Task[Any] | None = None  # the TCP connect, until it is made
        self.received = 0
        self.pushes = 0  # every push after the snapshot, of any event name
        self.version = 0

    # -- asyncio.Protocol -------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.opening = None
        g = self.gen
        # the upgrade request is built once; only the key (a fresh nonce) is new
        transport.write(  # type: ignore[attr-defined]
            g.request_head + base64.b64encode(os.urandom(16)) + g.request_tail
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self.gen.stats.closed += 1
        if not self.joined_at:
            self.gen.join_failed(self, "ConnectionError: closed before joining")

    def data_received(self, data: bytes) -> None:
        # Fast path: one whole small unmasked text frame, the usual case for a push.
        if self.upgraded and not self.buf and data[0] == 0x81 and len(data) == 2 + data[1]:
            self.on_message(data[2:], time.time() * 1000)
            return
        buf = self.buf + data if self.buf else data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self.buf = buf
                return
            response = buf[:end].decode("latin-1")
            if not response.startswith("HTTP/1.1 101"):
                self.fail("upgrade refused: " + response.split("\r\n", 1)[0])
                return
            if "permessage-deflate" in response.lower():
                self.inflater = zlib.decompressobj(-15)
            self.upgraded = True
            buf = buf[end + 4 :]
        now_ms = time.time() * 1000
        pos = 0
        size = len(buf)
        while size - pos >= 2:
            b0 = buf[pos]
            n = buf[pos + 1] & 0x7F
            head = 2
            if n == 126:
                if size - pos < 4:
                    break
                n = int.from_bytes(buf[pos + 2 : pos + 4], "big")
                head = 4
            elif n == 127:
                if size - pos < 10:
                    break
                n = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                head = 10
            end = pos + head + n
            if end > size:
                break
            payload = buf[pos + head : end]
            pos = end
            opcode = b0 & 0x0F
            if opcode == 1:
                if b0 & 0x40:
                    payload = self.inflater.decompress(payload + b"\x00\x00\xff\xff")
                self.on_message(payload, now_ms)
            elif opcode == 9:
                self.transport.write(masked_frame(0xA, payload))  # type: ignore[union-attr]
            elif opcode == 8:
                self.fail("closed by server")
                return
        self.buf = buf[pos:] if pos < size else b""

    # -- Engine.IO / Socket.IO --------------------------------------------------------------
    def on_message(self, msg: bytes, now_ms: float) -> None:
        if msg.startswith(STOCK_PREFIX) or msg.startswith(TICK_STOCK_PREFIX):
            self.received += 1
            self.pushes += 1
            if not self.stalled:
                stats = self.gen.stats
                stats.received += 1
                i = msg.find(T_KEY, 20)
                if i > 0:
                    j = msg.find(b",", i)
                    lat = int((now_ms - float(msg[i + 4 : j])) * 10)
                    bucket = HIST_BINS if lat > HIST_BINS else (lat if lat > 0 else 0)
                    stats.hist[bucket] += 1
                    stats.total_hist[bucket] += 1
                if self.gen.track_versions:
                    i = msg.find(V_KEY, 15)
                    if i > 0:
                        self.version = int(msg[i + 4 : msg.find(b",", i)])
            if not self.first_at:
                self.first_at = time.monotonic()
        elif msg == b"2":
            self.transport.write(PONG_FRAME)  # type: ignore[union-attr]
        elif msg.startswith(EVENT_PREFIX):
            if not msg.startswith(SNAPSHOT_PREFIX):
                self.pushes += 1
            if not self.first_at:
                self.first_at = time.monotonic()  # e.g. a snapshot on connect
        elif msg.startswith(CONNECT_PREFIX):
            if not self.joined_at:
                self.joined_at = time.monotonic()
                if self.stalled:
                    self.transport.pause_reading()  # type: ignore[union-attr]
                self.gen.joined_one(self)
        elif msg.startswith(b"0"):  # the Engine.IO open packet: join the show's namespace
            self.transport.write(self.gen.join_frame)  # type: ignore[union-attr]
        elif msg.startswith(b"44") or msg.startswith(b"1"):
            self.fail("refused or closed: " + msg[:40].decode(errors="replace"))

    def fail(self, reason: str) -> None:
        if not self.joined_at:
            self.gen.join_failed(self, f"ConnectionError: {reason}")
        else:
            self.gen.stats.errors[reason[:60]] += 1
        if self.transport is not None:
            self.transport.close()


class LoadGen:
    """The viewers, and the join phase: at most ``--wave`` handshakes in flight.

    The join path holds no task per waiting viewer, no semaphore and no per-viewer timer: a
    viewer is started when another finishes its handshake (joined or failed), its TCP connect
    is the one task it needs, and one timer sweeps for handshakes over ``--join-timeout``.
    So the client spends its time on the sockets, not on bookkeeping, and stays below the
    servers it measures."""

    def __init__(self, args: argparse.Namespace) -> None:
        url = urlsplit(args.url)
        self.host = url.hostname or "127.0.0.1"
        self.port = url.port or 80
        self.path = url.path if url.path not in ("", "/") else "/socket.io/"
        self.show: str = args.show
        self.deflate: bool = args.deflate
        self.track_versions: bool = args.versions
        self.args = args
        self.stats = Stats()
        self.viewers: list[Viewer] = []
        extensions = (
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
            if self.deflate
            else ""
        )
        self.request_head = (
            f"GET {self.path}?EIO=4&transport=websocket HTTP/1.1\r\n"
            f"Host: {self.host}:{self.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
        ).encode()
        self.request_tail = f"\r\nSec-WebSocket-Version: 13\r\n{extensions}\r\n".encode()
        # the namespace connect with the show, the same bytes for every viewer
        self.join_frame = masked_frame(1, b"40/live," + json.dumps({"show": self.show}).encode())
        self.pending: dict[int, Viewer] = {}  # handshakes in flight, by index
        self.join_errors: Counter[str] = Counter()
        self.next_index = 0
        self.stalled_every = round(1 / args.stalled) if args.stalled > 0 else 0
        self.phase_over: asyncio.Future[None] | None = None

    # -- the join phase ---------------------------------------------------------------------
    def start_next(self) -> None:
        """Open the next viewer, if any is left and the phase is still on."""
        index = self.next_index
        if index >= self.args.viewers or self.phase_over is None or self.phase_over.done():
            return
        self.next_index = index + 1
        every = self.stalled_every
        viewer = Viewer(self, index, bool(every) and index % every == every - 1)
        self.pending[index] = viewer
        loop = asyncio.get_running_loop()
        opening: asyncio.Task[Any]
        if viewer.stalled:
            opening = loop.create_task(self.open_stalled(viewer))
        else:
            opening = loop.create_task(
                loop.create_connection(lambda: viewer, self.host, self.port)
            )
        viewer.opening = opening
        opening.add_done_callback(lambda task: self.opened(viewer, task))

    async def open_stalled(self, viewer: Viewer) -> None:
        """A stalled viewer needs its own socket: a small receive buffer, set before connect."""
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        try:
            await loop.sock_connect(sock, (self.host, self.port))
            await loop.create_connection(lambda: viewer, sock=sock)
        except BaseException:
            sock.close()
            raise

    def opened(self, viewer: Viewer, task: asyncio.Task[Any]) -> None:
        if task.cancelled():
            self.join_failed(viewer, "TimeoutError: ")
        elif (exc := task.exception()) is not None:
            self.join_failed(viewer, f"{type(exc).__name__}: {exc}")

    def joined_one(self, viewer: Viewer) -> None:
        if self.pending.pop(viewer.index, None) is not None:
            self.viewers.append(viewer)
            self.start_next()
            self.check_done()

    def join_failed(self, viewer: Viewer, reason: str) -> None:
        """A handshake that ended without a join: counted once, and the next one starts."""
        if self.pending.pop(viewer.index, None) is None:
            return
        self.join_errors[reason[:60]] += 1
        if viewer.transport is not None:
            viewer.transport.abort()
        elif viewer.opening is not None:
            viewer.opening.cancel()
        self.start_next()
        self.check_done()

    def check_done(self) -> None:
        over = self.phase_over
        if over is not None and not over.done():
            if not self.pending and self.next_index >= self.args.viewers:
                over.set_result(None)

    def sweep(self) -> None:
        """Every quarter second: handshakes older than the join timeout fail."""
        over = self.phase_over
        if over is None or over.done():
            return
        limit = time.monotonic() - self.args.join_timeout
        for viewer in [v for v in self.pending.values() if v.started < limit]:
            self.join_failed(viewer, "TimeoutError: ")
        asyncio.get_running_loop().call_later(0.25, self.sweep)

    async def join_all(self) -> dict[str, Any]:
        args = self.args
        loop = asyncio.get_running_loop()
        self.phase_over = over = loop.create_future()
        cpu0 = self_cpu_seconds()
        started = time.monotonic()
        for _ in range(args.wave if args.wave > 0 else args.viewers):
            self.start_next()
        self.check_done()
        loop.call_later(0.25, self.sweep)
        try:
            # the join phase is bounded: whatever has not joined by then is not counted
            await asyncio.wait_for(asyncio.shield(over), args.join_deadline)
        except TimeoutError:
            over.set_result(None)
            for viewer in list(self.pending.values()):
                self.join_failed(viewer, "not joined by the join deadline")
            late = args.viewers - len(self.viewers) - sum(self.join_errors.values())
            self.join_errors["not joined by the join deadline"] += late
        join_errors = self.join_errors
        last = max((v.joined_at for v in self.viewers), default=started)
        if args.settle > 0:
            await asyncio.sleep(args.settle)
        connect_ms = [(v.joined_at - v.started) * 1000 for v in self.viewers]
        first_ms = [(v.first_at - v.started) * 1000 for v in self.viewers if v.first_at]
        joined = len(self.viewers)
        return {
            "event": "joined",
            "viewers": args.viewers,
            "joined": joined,
            "stalled": sum(v.stalled for v in self.viewers),
            "deflate_negotiated": sum(v.inflater is not None for v in self.viewers),
            "join_errors": sum(join_errors.values()),
            "join_error_kinds": dict(join_errors.most_common(5)),
            "join_seconds": last - started,
            "joins_per_s": joined / (last - started) if last > started else None,
            "connect_ms": summarize(connect_ms),
            "first_message_ms": summarize(first_ms),
            "first_message_n": len(first_ms),
            "client_cpu_s": self_cpu_seconds() - cpu0,
        }

    def window(self) -> dict[str, Any]:
        stats = self.stats
        wall = time.monotonic() - stats.window_start
        cpu = self_cpu_seconds() - stats.window_cpu
        body = {
            "event": "window",
            "seconds": wall,
            "received": stats.received,
            "latency_ms": Stats.hist_summary(stats.hist),
            "open": sum(1 for v in self.viewers if v.transport and not v.transport.is_closing()),
            "active": sum(1 for v in self.viewers if not v.stalled),
            "errors": sum(stats.errors.values()),
            "closed": stats.closed,
            "client_cpu_s": cpu,
            "client_cpu_util": cpu / wall if wall > 0 else None,
        }
        stats.reset_window()
        return body

    def final(self) -> dict[str, Any]:
        healthy = [v for v in self.viewers if not v.stalled]
        versions = [v.version for v in healthy]
        newest = max(versions, default=0)
        return {
            "event": "final",
            "received": sum(v.received for v in healthy),
            "pushes": sum(v.pushes for v in healthy),
            "latency_ms": Stats.hist_summary(self.stats.total_hist),
            "errors": dict(self.stats.errors.most_common(5)),
            "closed": self.stats.closed,
            "newest_version": newest,
            "viewers_on_newest": sum(1 for x in versions if x == newest),
            "oldest_version": min(versions, default=0),
            "stalled_received": sum(v.received for v in self.viewers if v.stalled),
        }

    def close(self) -> None:
        for viewer in self.viewers:
            if viewer.transport is not None:
                viewer.transport.abort()


def emit(body: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(body) + "\n")
    sys.stdout.flush()


async def serve_commands(gen: LoadGen) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = (await reader.readline()).decode().strip()
        if line == "window":
            emit(gen.window())
        elif line in ("final", ""):
            emit(gen.final())
            return


async def main(args: argparse.Namespace) -> None:
    gen = LoadGen(args)
    try:
        async with asyncio.timeout(args.duration):
            emit(await gen.join_all())
            if args.hold > 0:
                await asyncio.sleep(args.hold)
                emit(gen.window())
                emit(gen.final())
            else:
                await serve_commands(gen)
    except TimeoutError:
        emit({"event": "timeout", "after_s": args.duration})
    finally:
        gen.close()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Lean Socket.IO viewer load generator")
    parser.add_argument("--url", default="ws://127.0.0.1:8000/socket.io/")
    parser.add_argument("--viewers", type=int, default=1000)
    parser.add_argument("--show", default="show-1", help="show id sent on namespace connect")
    parser.add_argument("--wave", type=int, default=50, help="joins in flight; 0 = one burst")
    parser.add_argument("--stalled", type=float, default=0.0, help="fraction that stop reading")
    parser.add_argument("--deflate", action="store_true", help="offer permessage-deflate")
    parser.add_argument("--versions", action="store_true", help="track each viewer's version")
    parser.add_argument("--join-timeout", type=float, default=15.0, help="per viewer (s)")
    parser.add_argument("--join-deadline", type=float, default=120.0, help="whole join phase (s)")
    parser.add_argument("--settle", type=float, default=0.0, help="wait after joins (s)")
    parser.add_argument("--hold", type=float, default=0.0, help="run alone: receive for s, exit")
    parser.add_argument("--duration", type=float, default=300.0, help="hard stop (s)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise_fd_limit()
    uvloop.run(main(parse_args()))
