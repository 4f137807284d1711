"""Viewer fan-out micro-benchmark: stock ``sio.emit(room=...)`` against ``ViewerFanout``.

For each mode and viewer count, starts a python-socketio server on loopback in a
subprocess pinned to core 0, then N lean engine.io v4 websocket viewers in a
subprocess pinned to core 1 (bare asyncio protocols; offer permessage-deflate like a
browser; answers pings; counts ``42/live,`` frames). The server pushes a ~120 B
stock payload at a fixed rate for a fixed window; reported:

* deliveries per server CPU-second (frames the viewers received / server CPU
  over the push window, settle included),
* server RSS per viewer (RSS after the joins minus RSS before, / N),
* an idle window before the pushes: server CPU per engine.io ping,
* push-to-receipt latency sampled on every 50th viewer.

    python bench/fanout_micro.py            # N = 1000 and 5000, stock and fanout
    python bench/fanout_micro.py --quick    # N = 500, short windows
    python bench/fanout_micro.py --modes stock,stock-nodeflate,fanout --viewers 2000

Modes: ``stock`` (emit to a room, python-engineio defaults), ``stock-nodeflate``
(emit to a room, deflate refused by the fan-out hook), ``fanout`` (ViewerFanout).
Loopback only; every run stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import resource
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NS = "/live"
SHOW = "bench"
ROOM = "show:" + SHOW


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _sys_seconds() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_stime


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _payload(version: int) -> dict[str, Any]:
    stock = {f"A{i}:{label}": 40 - i for i in range(1, 6) for label in ("500g", "1kg")}
    return {"stock": stock, "version": version, "t": time.time()}


# ----------------------------------------------------------------------------- server


def serve(args: argparse.Namespace) -> None:
    """The server subprocess: Socket.IO app plus a small control API for the load process."""
    import socketio
    from aiohttp import web

    sys.path.insert(0, str(ROOT))
    from livesell.realtime.fanout import ViewerFanout, after_join_wave

    _raise_fd_limit()
    sio = socketio.AsyncServer(async_mode="aiohttp", ping_interval=args.ping_interval)
    fanout = ViewerFanout(sio, namespace=NS) if args.mode != "stock" else None
    use_fanout = args.mode == "fanout"
    app = web.Application()
    sio.attach(app)
    baseline = {"rss": 0}

    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        if use_fanout:
            assert fanout is not None
            fanout.add(SHOW, sid)
        else:
            await sio.enter_room(sid, ROOM, namespace=NS)

    async def disconnect(sid: str, reason: str) -> None:
        if fanout is not None:
            fanout.discard(sid)

    sio.on("connect", connect, namespace=NS)
    sio.on("disconnect", disconnect, namespace=NS)

    async def state(request: web.Request) -> web.Response:
        if request.query.get("freeze") == "1":
            after_join_wave()
        return web.json_response({"rss": _rss_bytes(), "baseline_rss": baseline["rss"],
                                  "cpu": _cpu_seconds(), "sockets": len(sio.eio.sockets)})

    async def idle(request: web.Request) -> web.Response:
        seconds = float(request.query["seconds"])
        cpu0 = _cpu_seconds()
        await asyncio.sleep(seconds)
        return web.json_response({"cpu": _cpu_seconds() - cpu0})

    async def push(request: web.Request) -> web.Response:
        seconds = float(request.query["seconds"])
        rate = float(request.query["rate"])
        loop = asyncio.get_running_loop()
        cpu0, sys0 = _cpu_seconds(), _sys_seconds()
        start = next_at = loop.time()
        pushes = late = 0
        push_times: list[float] = []
        while loop.time() - start < seconds:
            pushes += 1
            data = _payload(pushes)
            t0 = time.perf_counter()
            if use_fanout:
                assert fanout is not None
                await fanout.broadcast(SHOW, "stock", data)
            else:
                await sio.emit("stock", data, room=ROOM, namespace=NS)
            push_times.append(time.perf_counter() - t0)
            next_at += 1 / rate
            delay = next_at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                late += 1  # saturated: do not burst to catch up
                next_at = loop.time()
        push_wall = loop.time() - start
        # Settle: the stock path keeps writing after emit() returns.
        deadline = loop.time() + 15
        while loop.time() < deadline and any(
            not s.queue.empty() for s in list(sio.eio.sockets.values())
        ):
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        return web.json_response({
            "cpu": _cpu_seconds() - cpu0, "sys": _sys_seconds() - sys0,
            "pushes": pushes, "late": late,
            "push_ms_max": round(1000 * max(push_times), 1),
            "push_ms_avg": round(1000 * sum(push_times) / len(push_times), 1),
            "push_wall": push_wall, "wall": loop.time() - start,
            "fanout": fanout.stats() if use_fanout and fanout is not None else None,
        })

    app.router.add_get("/bench/state", state)
    app.router.add_get("/bench/idle", idle)
    app.router.add_get("/bench/push", push)

    async def main() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
        await site.start()
        port = runner.addresses[0][1]
        baseline["rss"] = _rss_bytes()
        print(f"PORT {port}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        try:
            await asyncio.wait_for(stop.wait(), args.lifetime)
        except TimeoutError:
            pass
        await sio.shutdown()
        await runner.cleanup()

    if args.uvloop:
        import uvloop
        uvloop.run(main())
    else:
        asyncio.run(main())


# ----------------------------------------------------------------------------- load


class Counters:
    def __init__(self) -> None:
        self.received = 0
        self.pings = 0
        self.joined = 0
        self.failed = 0
        self.latencies: list[float] = []


class LeanViewer(asyncio.Protocol):
    """An engine.io v4 websocket viewer as a bare asyncio protocol.

    No task per message and no JSON parsing except on sampled viewers, so one
    load core can read far more frames than the server under test writes.
    Offers permessage-deflate like a browser and inflates when it is accepted.
    """

    def __init__(self, port: int, index: int, counters: Counters, deflate: bool,
                 joined: asyncio.Event) -> None:
        self.port = port
        self.sample = index % 50 == 0
        self.counters = counters
        self.deflate = deflate
        self.joined = joined
        self.buffer = bytearray()
        self.upgraded = False
        self.inflater: Any = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        ext = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
        transport.write(
            (f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
             f"Host: 127.0.0.1:{self.port}\r\nUpgrade: websocket\r\n"
             f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
             f"Sec-WebSocket-Version: 13\r\n{ext if self.deflate else ''}\r\n").encode())

    def send(self, text: str) -> None:
        # Masked with an all-zero key: valid framing, and servers do not check the key.
        payload = text.encode()
        assert self.transport is not None and len(payload) < 126
        self.transport.write(bytes([0x81, 0x80 | len(payload), 0, 0, 0, 0]) + payload)

    def data_received(self, data: bytes) -> None:
        buf = self.buffer
        buf += data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buf[:end]).decode("latin-1").lower()
            if not head.startswith("http/1.1 101"):
                self.fail(head.splitlines()[0])
                return
            if "permessage-deflate" in head:
                self.inflater = zlib.decompressobj(-15)
            del buf[:end + 4]
            self.upgraded = True
        pos = 0
        n = len(buf)
        while n - pos >= 2:
            first, second = buf[pos], buf[pos + 1]
            length = second & 0x7F
            at = pos + 2
            if length == 126:
                if n - at < 2:
                    break
                length = int.from_bytes(buf[at:at + 2], "big")
                at += 2
            elif length == 127:
                if n - at < 8:
                    break
                length = int.from_bytes(buf[at:at + 8], "big")
                at += 8
            if n - at < length:
                break
            payload = bytes(buf[at:at + length])
            pos = at + length
            if first & 0x40:
                payload = self.inflater.decompress(payload + b"\x00\x00\xff\xff")
            if first & 0x0F == 0x1:
                self.on_message(payload)
            elif first & 0x0F == 0x8:
                break
        del buf[:pos]

    def on_message(self, payload: bytes) -> None:
        counters = self.counters
        if payload[:2] == b"42":
            counters.received += 1
            if self.sample:
                sent = json.loads(payload[len(NS) + 3:])[1]["t"]
                counters.latencies.append(time.time() - sent)
        elif payload == b"2":
            counters.pings += 1
            self.send("3")
        elif payload[:1] == b"0":
            self.send(f'40{NS},{{"show":"{SHOW}"}}')
        elif payload[:2] == b"40":
            counters.joined += 1
            self.joined.set()

    def fail(self, why: str) -> None:
        self.counters.failed += 1
        if self.counters.failed <= 3:
            print(f"viewer failed: {why}", file=sys.stderr)
        self.joined.set()
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.joined.is_set():
            self.fail(f"connection lost: {exc!r}")


async def _load(args: argparse.Namespace) -> dict[str, Any]:
    import aiohttp

    base = f"http://127.0.0.1:{args.port}"
    counters = Counters()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def get(path: str) -> Any:
            async with session.get(base + path,
                                   timeout=aiohttp.ClientTimeout(total=120)) as r:
                return await r.json()

        state0 = await get("/bench/state")
        gate = asyncio.Semaphore(args.join_concurrency)
        join_start = time.monotonic()

        loop = asyncio.get_running_loop()
        protocols: list[LeanViewer] = []

        async def start_one(i: int) -> None:
            # Hold a slot until this viewer joined (or failed): bounded handshakes.
            async with gate:
                joined = asyncio.Event()
                try:
                    _, viewer = await loop.create_connection(
                        lambda: LeanViewer(args.port, i, counters, args.deflate, joined),
                        "127.0.0.1", args.port)
                except OSError as exc:
                    counters.failed += 1
                    print(f"viewer {i} failed: {exc!r}", file=sys.stderr)
                    return
                protocols.append(viewer)
                await asyncio.wait_for(joined.wait(), 60)

        await asyncio.gather(*(start_one(i) for i in range(args.viewers)))
        join_seconds = time.monotonic() - join_start
        await asyncio.sleep(1)
        state1 = await get("/bench/state" + ("?freeze=1" if args.freeze else ""))

        pings0 = counters.pings
        idle = await get(f"/bench/idle?seconds={args.idle}")
        idle_pings = counters.pings - pings0

        received0 = counters.received
        counters.latencies.clear()
        pushed = await get(f"/bench/push?seconds={args.seconds}&rate={args.rate}")
        last = -1
        while counters.received != last:  # until deliveries stop arriving
            last = counters.received
            await asyncio.sleep(0.3)
        delivered = counters.received - received0

        for viewer in protocols:
            if viewer.transport is not None:
                viewer.transport.close()
    lat = sorted(counters.latencies)

    def pct(p: float) -> float:
        return round(1000 * lat[min(len(lat) - 1, int(p * len(lat)))], 1) if lat else -1.0

    return {
        "viewers": args.viewers, "joined": counters.joined, "failed": counters.failed,
        "join_seconds": round(join_seconds, 2),
        "rss_per_viewer_kb": round((state1["rss"] - state0["baseline_rss"])
                                   / max(1, counters.joined) / 1024, 1),
        "idle_cpu_per_s": round(idle["cpu"] / args.idle, 4),
        "idle_pings": idle_pings,
        "us_per_ping": round(1e6 * idle["cpu"] / idle_pings, 1) if idle_pings else None,
        "pushes": pushed["pushes"], "late_pushes": pushed["late"],
        "expected": pushed["pushes"] * counters.joined, "delivered": delivered,
        "server_cpu": round(pushed["cpu"], 3), "server_sys": round(pushed["sys"], 3),
        "window": round(pushed["wall"], 2),
        "deliveries_per_cpu_s": round(delivered / pushed["cpu"]) if pushed["cpu"] else None,
        "latency_ms_p50": pct(0.5), "latency_ms_p99": pct(0.99),
        "push_ms_avg": pushed["push_ms_avg"], "push_ms_max": pushed["push_ms_max"],
        "fanout": pushed["fanout"],
    }


def load(args: argparse.Namespace) -> None:
    """The load subprocess: N viewers, then drives the server's windows; prints JSON."""
    _raise_fd_limit()
    print(json.dumps(asyncio.run(_load(args))), flush=True)


# ----------------------------------------------------------------------------- driver


def run_one(args: argparse.Namespace, mode: str, viewers: int) -> dict[str, Any]:
    me = [sys.executable, str(Path(__file__).resolve())]
    lifetime = 60 + viewers / 100 + args.seconds + args.idle
    server = subprocess.Popen(
        ["taskset", "-c", "0", *me, "serve", "--mode", mode,
         "--ping-interval", str(args.ping_interval), "--lifetime", str(lifetime),
         *(["--uvloop"] if args.uvloop else [])],
        stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"server did not start: {line!r}")
        port = line.split()[1]
        out = subprocess.run(
            ["taskset", "-c", "1", *me, "load", "--port", port, "--viewers", str(viewers),
             "--seconds", str(args.seconds), "--rate", str(args.rate),
             "--idle", str(args.idle), "--join-concurrency", str(args.join_concurrency),
             *(["--no-deflate"] if not args.deflate else []),
             *(["--freeze"] if args.freeze else [])],
            stdout=subprocess.PIPE, text=True, timeout=lifetime, check=True)
        result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
        result["mode"] = mode
        return result
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def drive(args: argparse.Namespace) -> None:
    modes = args.modes.split(",")
    counts = [int(n) for n in args.viewers.split(",")]
    results = []
    for n in counts:
        for mode in modes:
            r = run_one(args, mode, n)
            results.append(r)
            print(json.dumps(r), flush=True)
    print()
    head = (f"{'mode':16} {'N':>6} {'deliv/CPU-s':>12} {'deliv':>8} {'expect':>8} "
            f"{'late':>5} {'KB/viewer':>9} {'p50ms':>7} {'p99ms':>7} {'us/ping':>8} "
            f"{'join s':>7}")
    print(head)
    for r in results:
        print(f"{r['mode']:16} {r['viewers']:>6} {r['deliveries_per_cpu_s']!s:>12} "
              f"{r['delivered']:>8} {r['expected']:>8} {r['late_pushes']:>5} "
              f"{r['rss_per_viewer_kb']:>9} {r['latency_ms_p50']:>7} "
              f"{r['latency_ms_p99']:>7} {r['us_per_ping']!s:>8} {r['join_seconds']:>7}")
    for n in counts:
        by_mode = {r["mode"]: r for r in results if r["viewers"] == n}
        if "stock" in by_mode and "fanout" in by_mode:
            s = by_mode["stock"]["deliveries_per_cpu_s"] or 1
            f = by_mode["fanout"]["deliveries_per_cpu_s"] or 0
            print(f"N={n}: fanout / stock = {f / s:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="role")
    s = sub.add_parser("serve")
    s.add_argument("--mode", choices=["stock", "stock-nodeflate", "fanout"], required=True)
    s.add_argument("--ping-interval", type=float, default=25)
    s.add_argument("--lifetime", type=float, default=300)
    s.add_argument("--uvloop", action="store_true")
    ld = sub.add_parser("load")
    ld.add_argument("--port", type=int, required=True)
    ld.add_argument("--viewers", type=int, required=True)
    ld.add_argument("--seconds", type=float, required=True)
    ld.add_argument("--rate", type=float, required=True)
    ld.add_argument("--idle", type=float, required=True)
    ld.add_argument("--join-concurrency", type=int, default=100)
    ld.add_argument("--no-deflate", dest="deflate", action="store_false")
    ld.add_argument("--freeze", action="store_true")
    for p in (parser,):
        p.add_argument("--quick", action="store_true", help="N=500, short windows")
        p.add_argument("--modes", default="stock,fanout")
        p.add_argument("--viewers", default="1000,5000")
        p.add_argument("--seconds", type=float, default=5, help="push window")
        p.add_argument("--rate", type=float, default=10, help="pushes per second")
        p.add_argument("--idle", type=float, default=10, help="idle window (ping cost)")
        p.add_argument("--ping-interval", type=float, default=25)
        p.add_argument("--join-concurrency", type=int, default=100)
        p.add_argument("--no-deflate", dest="deflate", action="store_false",
                       help="viewers do not offer permessage-deflate")
        p.add_argument("--freeze", action="store_true", help="gc.freeze() after the joins")
        p.add_argument("--uvloop", action="store_true")
    args = parser.parse_args()
    if args.role == "serve":
        serve(args)
    elif args.role == "load":
        load(args)
    else:
        if args.quick:
            args.viewers, args.seconds, args.idle = "500", 2.0, 2.0
        drive(args)


if __name__ == "__main__":
    main()
