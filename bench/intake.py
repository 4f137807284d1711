"""Intake benchmark: comments in over HTTP, durable orders out, seen on a staff socket.

Starts ``livesell serve`` pinned to core 0 (SQLite FULL or NORMAL, or a Redis URL), seeds a
show of 20 variants with finite stock, and from core 1 posts comment batches at a fixed rate
(or flat out), while a staff Socket.IO client measures comment -> ``order`` event latency.
Reports sustained comments/s, reservations/s, HTTP and staff-console latency percentiles,
server CPU per comment, and checks that nothing was oversold.

    python -m bench.intake --rate 1000 --duration 20 --sync FULL [--write]
    python -m bench.intake --rate 0 --duration 20 --sync NORMAL      # flat out
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import socketio

from bench.common import (
    append_section,
    free_port,
    machine_info,
    pin_self,
    pinned,
    proc_cpu_seconds,
    proc_rss_kb,
    summarize,
    table,
)
from livesell.commands.simulate import CommentStorm

TOKEN = "bench-owner-token-0123456789abcdefghij"
CODES = [f"{chr(65 + i)}{i + 1}" for i in range(10)]  # A1, B2, ... J10
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def open_files(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def catalog(stock: int) -> list[dict[str, Any]]:
    """Ten products with two variants each: 20 variants of finite stock."""
    return [{"code": CODES[i], "name": f"Đặc sản {i}", "category": "food",
             "variants": [{"label": "500g", "price": 100000 + i * 1000, "stock": stock},
                          {"label": "1kg", "price": 190000 + i * 1000, "stock": stock}]}
            for i in range(10)]


async def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError("server exited during start-up")
            try:
                async with session.get(f"{url}/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("server did not start")


def start_server(port: int, data: Path, store: str, sync: str, core: int | None,
                 extra_env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LIVESELL_ADMIN_TOKEN": TOKEN, "LIVESELL_STORE": store,
           "LIVESELL_LOG_LEVEL": "WARNING", **(extra_env or {})}
    if store == "sqlite":
        env["LIVESELL_SQLITE_SYNCHRONOUS"] = sync
    cmd = [sys.executable, "-m", "livesell", "serve", "--port", str(port), "--data", str(data)]
    if core is not None:
        cmd = pinned(cmd, core)
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def seed(url: str, stock: int) -> tuple[str, list[tuple[str, list[str]]]]:
    async with aiohttp.ClientSession(headers=AUTH) as session:
        for product in catalog(stock):
            async with session.put(f"{url}/api/products/{product['code']}", json=product) as r:
                assert r.status == 200, await r.text()
        body = {"title": "Bench", "lineup": CODES, "max_per_buyer": 1000}
        async with session.post(f"{url}/api/shows", json=body) as r:
            show = str((await r.json())["id"])
        async with session.post(f"{url}/api/shows/{show}/start") as r:
            assert r.status == 200
    return show, [(code, ["500g", "1kg"]) for code in CODES]


async def drive(urls: list[str], show: str, lineup: list[tuple[str, list[str]]], rate: float,
                duration: float, batch: int, concurrency: int) -> dict[str, Any]:
    """Post the storm; return counts, latencies and the measuring window."""
    storm = CommentStorm(lineup, buyers=1000, seed=11, duplicate_share=0.0)
    counts: Counter[str] = Counter()
    http_ms: list[float] = []
    staff_ms: list[float] = []
    pending_by_order: dict[str, list[float]] = {}
    staff = socketio.AsyncClient(reconnection=False)

    @staff.on("order", namespace="/staff")  # type: ignore[misc]
    async def on_order(order: dict[str, Any]) -> None:
        # One event carries the order's latest state, so it answers every comment to that
        # order that was already committed (answered) when it arrived; pushes are coalesced.
        sent = pending_by_order.get(order["code"])
        if sent:
            now = time.perf_counter()
            staff_ms.extend((now - t0) * 1000 for t0 in sent)
            sent.clear()

    await staff.connect(urls[-1], namespaces=["/staff"], transports=["websocket"],
                        auth={"show": show, "token": TOKEN}, wait_timeout=10)
    sem = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency * 2)
    async with aiohttp.ClientSession(headers=AUTH, connector=connector) as session:
        async def post(n: int, comments: list[dict[str, Any]]) -> None:
            try:
                t0 = time.perf_counter()
                url = urls[n % len(urls)]
                async with session.post(f"{url}/api/shows/{show}/comments",
                                        json={"comments": comments}) as resp:
                    body = await resp.json()
                http_ms.append((time.perf_counter() - t0) * 1000)
                if resp.status != 200:
                    counts[f"http {resp.status}"] += len(comments)
                    return
                for result in body["results"]:
                    counts[result["status"]] += 1
                    if result.get("order") and result["status"] in ("ordered", "waitlisted"):
                        pending_by_order.setdefault(result["order"], []).append(t0)
            finally:
                sem.release()

        tasks: set[asyncio.Task[None]] = set()
        start = time.perf_counter()
        n = 0
        batches = storm.batches(batch)
        while time.perf_counter() - start < duration:
            if rate > 0:
                await asyncio.sleep(max(0.0, start + n * batch / rate - time.perf_counter()))
            await sem.acquire()  # bounded in flight: a slow server slows the offered load
            task = asyncio.create_task(post(n, next(batches)))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            n += 1
        await asyncio.gather(*tasks)
        window = time.perf_counter() - start
    await asyncio.sleep(0.5)  # let the last order events arrive
    await staff.disconnect()
    return {"counts": counts, "http_ms": http_ms, "staff_ms": staff_ms, "window": window}


async def books(url: str, show: str) -> tuple[int, int, bool]:
    async with aiohttp.ClientSession(headers=AUTH) as session:
        async with session.get(f"{url}/api/shows/{show}/stock") as resp:
            levels = await resp.json()
    held = sum(v["held"] for v in levels)
    sold = sum(v["sold"] for v in levels)
    balanced = all(v["available"] + v["held"] + v["sold"] == v["total"] and v["available"] >= 0
                   for v in levels)
    return held, sold, balanced


async def start_viewers(url: str, show: str, viewers: int,
                        duration: float) -> asyncio.subprocess.Process:
    """The lean viewer load generator, joined to the show before the storm starts."""
    ws = url.replace("http://", "ws://") + "/socket.io/"
    cmd = pinned([sys.executable, "-m", "bench.loadgen", "--url", ws, "--viewers",
                  str(viewers), "--show", show, "--duration", str(duration + 120)], 1)
    proc = await asyncio.create_subprocess_exec(*cmd, stdin=asyncio.subprocess.PIPE,
                                                stdout=asyncio.subprocess.PIPE)
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 120)
    joined = json.loads(line)
    if joined.get("joined", 0) < viewers * 0.95:
        raise RuntimeError(f"only {joined.get('joined')} of {viewers} viewers joined")
    return proc


async def stop_viewers(proc: asyncio.subprocess.Process) -> dict[str, Any]:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b"final\n")
    await proc.stdin.drain()
    body: dict[str, Any] = {}
    while not body or body.get("event") not in ("final", "timeout"):
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        if not line:
            break
        body = json.loads(line)
    await proc.wait()
    return body


async def run_case(store: str, sync: str, rate: float, duration: float, batch: int,
                   concurrency: int, nodes: int, stock: int, viewers: int = 0) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        ports = [free_port() for _ in range(nodes)]
        extra = {"LIVESELL_REDIS_PREFIX": f"bench{os.getpid()}"} if store != "sqlite" else {}
        procs = [start_server(port, Path(tmp) / f"d{i}", store, sync,
                              0 if nodes == 1 else None, extra)
                 for i, port in enumerate(ports)]
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        try:
            for url, proc in zip(urls, procs, strict=True):
                await wait_ready(url, proc)
            show, lineup = await seed(urls[0], stock)
            # Viewers are spread over the nodes; comments go to every node in turn, so on two
            # nodes half of what each viewer sees was relayed through Redis.
            watchers = [await start_viewers(url, show, viewers // len(urls), duration)
                        for url in urls] if viewers else []
            cpu0 = sum(proc_cpu_seconds(p.pid) for p in procs)
            rss0, fds0 = proc_rss_kb(procs[0].pid), open_files(procs[0].pid)
            result = await drive(urls, show, lineup, rate, duration, batch, concurrency)
            cpu = sum(proc_cpu_seconds(p.pid) for p in procs) - cpu0
            rss1, fds1 = proc_rss_kb(procs[0].pid), open_files(procs[0].pid)
            watched = [await stop_viewers(w) for w in watchers]
            held, sold, balanced = await books(urls[0], show)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(10)
            if store != "sqlite":
                await _clean_redis(store, f"bench{os.getpid()}")
    counts = result["counts"]
    answered = sum(counts.values())
    return {
        "store": store if store == "sqlite" else "redis",
        "sync": sync if store == "sqlite" else "-",
        "nodes": nodes, "rate": rate or "max", "answered": answered,
        "comments_s": answered / result["window"],
        "reservations_s": (counts["ordered"] + counts["waitlisted"]) / result["window"],
        "http": summarize(result["http_ms"]), "staff": summarize(result["staff_ms"]),
        "cpu_us_per_comment": cpu / max(answered, 1) * 1e6, "held": held, "sold": sold,
        "capacity": stock * 20, "oversell": max(0, held + sold - stock * 20),
        "balanced": balanced, "errors": sum(v for k, v in counts.items() if k.startswith("http")),
        "viewers": viewers, "rss_start_mb": rss0 / 1024, "rss_end_mb": rss1 / 1024,
        "fds_start": fds0, "fds_end": fds1,
        # every push a viewer got (stock, ticker, comment feed, or one merged tick frame)
        "pushes_per_viewer_s": (sum(w.get("pushes", 0) for w in watched) / viewers
                                / result["window"] if viewers else None),
        "stock_per_viewer_s": (sum(w.get("received", 0) for w in watched) / viewers
                               / result["window"] if viewers else None),
        "cpu_us_per_delivery": (cpu / max(sum(w.get("pushes", 0) for w in watched), 1) * 1e6
                                if viewers else None),
        # the worst node's p99 (with two nodes, the relayed side's)
        "viewer": max((w.get("latency_ms") or {} for w in watched),
                      key=lambda s: s.get("p99") or 0, default={}),
    }


async def _clean_redis(url: str, prefix: str) -> None:
    import redis.asyncio as aioredis

    client = aioredis.from_url(url)
    try:
        keys = [k async for k in client.scan_iter(match=f"{{{prefix}}}*", count=1000)]
        keys += [k async for k in client.scan_iter(match=f"{prefix}:*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, nargs="+", default=[1000, 0],
                        help="comments/s to offer; 0 = flat out")
    parser.add_argument("--sync", nargs="+", default=["FULL", "NORMAL"])
    parser.add_argument("--store", nargs="+", default=["sqlite"],
                        help="sqlite and/or redis://127.0.0.1:6379/0")
    parser.add_argument("--nodes", type=int, nargs="+", default=[1])
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--stock", type=int, default=5000, help="units per variant (20 variants)")
    parser.add_argument("--viewers", type=int, default=0,
                        help="viewers watching the show during the storm (lean clients)")
    parser.add_argument("--quick", action="store_true", help="2 s per case, small numbers")
    parser.add_argument("--write", action="store_true", help="append to BENCHMARKS.md")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.rate, args.sync = 2.0, [300], ["NORMAL"]
    pin_self(1)
    rows = []
    for store in args.store:
        for nodes in (args.nodes if store != "sqlite" else [1]):
            for sync in (args.sync if store == "sqlite" else ["-"]):
                for rate in args.rate:
                    case = asyncio.run(run_case(store, sync, rate, args.duration, args.batch,
                                                args.concurrency, nodes, args.stock,
                                                args.viewers))
                    rows.append(case)
                    print(f"done: {case['store']} {case['sync']} x{nodes} rate={case['rate']}",
                          file=sys.stderr)
    headers = ["store", "sync", "nodes", "viewers", "offered/s", "comments/s", "reserv./s",
               "http p50 ms", "http p99 ms", "staff p50 ms", "staff p99 ms", "server µs/comment",
               "pushes/viewer/s", "stock pushes/viewer/s", "server µs/delivery", "viewer p99 ms",
               "RSS MB start→end", "open files start→end",
               "oversell", "books"]
    body = table(headers, [
        [r["store"], r["sync"], r["nodes"], r["viewers"], r["rate"], f"{r['comments_s']:.0f}",
         f"{r['reservations_s']:.0f}", r["http"]["p50"], r["http"]["p99"], r["staff"]["p50"],
         r["staff"]["p99"], f"{r['cpu_us_per_comment']:.0f}",
         f"{r['pushes_per_viewer_s']:.1f}" if r["pushes_per_viewer_s"] is not None else "-",
         f"{r['stock_per_viewer_s']:.1f}" if r["stock_per_viewer_s"] is not None else "-",
         f"{r['cpu_us_per_delivery']:.1f}" if r["cpu_us_per_delivery"] is not None else "-",
         r["viewer"].get("p99", "-"),
         f"{r['rss_start_mb']:.0f}→{r['rss_end_mb']:.0f}", f"{r['fds_start']}→{r['fds_end']}",
         r["oversell"],
         "ok" if r["balanced"] else "BROKEN"] for r in rows])
    print(body)
    if args.write:
        machine = machine_info()
        append_section("Intake (comments → durable orders → staff console)",
                       f"Command: `python -m bench.intake {' '.join(sys.argv[1:])}`\n\n"
                       f"Machine: {machine.describe()}\n\n{body}\n")
    return 0 if all(r["oversell"] == 0 and r["balanced"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
