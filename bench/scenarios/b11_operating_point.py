"""B11 operating point: one show at the product's own 5 Hz tick, with news on every tick, at
1,000 / 5,000 / 10,000 viewers; each peer measured with both viewer clients, the lean Python
one (``bench/loadgen.py``) and the stock ``socket.io-client`` (``bench/peer/client.js``).

The full form, all sizes, peers and clients, about 15–17 minutes on a quiet 2-core machine
(about 15 without ``--profile``)::

    python -m bench b11 --profile --write --wait-quiet 15

``--profile`` adds, at the largest size, a py-spy window and a perf window per Python peer
(summaries in the report and under bench/results; needs the ``bench`` extra and root);
``--quick`` is the bounded form the test suite runs, about half a minute.

In one server lifetime per peer, client and size:

1. the server starts and ticks at 5 Hz: livesell (``ours``) with its own ``stock_push_hz`` = 5
   and 20 stock changes a second through the host API (``POST /api/products/A1/stock`` over
   one kept-alive connection, as from a host's console), so every tick has news; the Node
   socket.io peer and the frame floor push a changing payload on their own 5 Hz timer;
2. its RSS is read, then N viewers join in waves of 50 (at most 50 handshakes in flight):
   *join s* is first attempt → last acknowledgement; *KB/viewer* = (RSS after the joins −
   RSS before) / N;
3. after a settle, one measuring window of 25 s, a whole Engine.IO ping interval (every peer
   pings every 25 s), so each viewer's ping and pong fall in it once: with shorter windows,
   whether the ping burst that follows the join burst by 25 s falls inside one decides the
   result. Deliveries per server CPU-second, client latency p50/p99 (receive time − the
   payload's send time ``t``), pushes received per viewer per second;
4. SIGTERM with every viewer connected: *stop s* = signal → process exit (the peer is killed
   after 60 s), *disconnected* = viewers whose connection ended within 5 s of the exit.
"""

from __future__ import annotations

import asyncio
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.peers.gc_probe import read_gc
from bench.peers.operating import TICK_HZ, operating_peers
from bench.peers.peer import Peer
from bench.scenarios import b11_perf
from bench.scenarios import b11_profile as profiling
from bench.scenarios.b11_report import build_report
from bench.scenarios.harness import LoadGenRun, Options, PeerRun, Window, measure
from bench.scenarios.report import Report

DEFAULT_PEERS = "ours,node,floor"
DEFAULT_CLIENTS = ("lean", "node")
WAVE = 50
STOP_LIMIT_S = 60.0
PING_INTERVAL_S = 25.0  # Engine.IO pingInterval of every peer (livesell's ping_interval)
PERF_WINDOW_S = 10.0
DISCONNECT_WAIT_S = 5.0
PYTHON_PEERS = ("ours", "floor", "libfloor", "base")


def plan(opts: Options) -> tuple[list[int], float, int, float]:
    """Viewer counts, window seconds, windows per lifetime and settle seconds."""
    viewers = opts.viewers or ([100] if opts.quick else [1000, 5000, 10000])
    seconds = opts.seconds or (1.5 if opts.quick else PING_INTERVAL_S)
    rounds = 1
    settle = 0.5 if opts.quick else 1.5
    return viewers, seconds, rounds, settle


async def lifetime(
    peer: Peer, client: str, viewers: int, opts: Options, profile: Path | None
) -> dict[str, Any]:
    """One server lifetime: joins, windows, optional profile windows, graceful stop."""
    _, seconds, rounds, settle = plan(opts)
    join_deadline = 60.0 + viewers / 100
    budget = 60 + join_deadline + (rounds + 2) * (seconds + 2) + STOP_LIMIT_S
    out: dict[str, Any] = {"peer": peer.name, "client": client, "viewers": viewers}
    async with PeerRun(peer, duration=budget, rate=0.0) as run:
        await run.set_rate(TICK_HZ)
        await asyncio.sleep(0.5)
        rss0, cpu0 = run.rss_kb(), run.cpu()
        async with LoadGenRun(
            run.ws_url, viewers, show=peer.show, wave=WAVE, duration=budget, settle=settle,
            join_deadline=join_deadline, client=client,
        ) as load:  # fmt: skip
            joined = load.joined
            n = int(joined["joined"])
            rss1 = run.rss_kb()
            out.update(
                joined=n,
                join_errors=joined["join_errors"],
                join_error_kinds=joined["join_error_kinds"],
                join_seconds=joined["join_seconds"],
                joins_per_s=joined["joins_per_s"],
                connect_ms=joined["connect_ms"],
                deflate_negotiated=joined["deflate_negotiated"],
                join_cpu_s=run.cpu() - cpu0,
                rss_before_kb=rss0,
                rss_joined_kb=rss1,
                kb_per_viewer=(rss1 - rss0) / n if n else None,
            )
            windows = [window_row(await measure(run, load, seconds)) for _ in range(rounds)]
            out["windows"] = windows
            out["best"] = max(windows, key=lambda w: w["per_cpu_s"] or 0.0)
            if profile is not None and peer.name in PYTHON_PEERS:
                out["profile"] = await profile_windows(run, load, seconds, profile, out["best"])
            out.update(await graceful_stop(run, load, n))
    return out


def window_row(window: Window) -> dict[str, Any]:
    row = window.row()
    active = int(window.client["active"]) or 1
    client_s = float(window.client["seconds"]) or window.seconds
    row["pushes_per_viewer_s"] = window.deliveries / active / client_s
    row["server_pushes_per_s"] = (row["pushes"] or 0) / window.seconds if row["pushes"] else None
    return row


async def profile_windows(
    run: PeerRun, load: LoadGenRun, seconds: float, out_dir: Path, base: dict[str, Any]
) -> dict[str, Any]:
    """py-spy over one more window, then perf over another; a summary, also on disk.

    Sampling slows the server down, so CPU times per category are the shares seen while
    sampling applied to the CPU of the best unsampled window (``base``)."""
    name = f"b11-{run.peer.name}-{load.client}-{load.joined['viewers']}"
    raw = out_dir / f"{name}.raw.txt"
    gc_file: Path | None = getattr(run.peer, "gc_file", None)  # livesell under the GC probe
    gc0 = await read_gc(run.pid, gc_file) if gc_file else None
    spy = asyncio.ensure_future(profiling.record(run.pid, seconds, raw))
    window = await measure(run, load, seconds)
    error = await spy
    gc1 = await read_gc(run.pid, gc_file) if gc_file else None
    if error:
        print(f"  profile: {error}", flush=True)
        return {"error": error}
    summary = profiling.summarize(
        profiling.parse(raw.read_text()), base["server_cpu_s"], base["seconds"],
        base["deliveries"], gc_delta(gc0, gc1, window),
    )  # fmt: skip
    summary["sampled_window"] = {"server_cpu_s": window.server_cpu_s, "seconds": window.seconds,
                                 "deliveries": window.deliveries}  # fmt: skip
    perf_s = min(seconds, PERF_WINDOW_S)
    perf = asyncio.ensure_future(b11_perf.record(run.pid, perf_s))
    await measure(run, load, perf_s)
    perf_error, report = await perf
    summary["perf"] = {"error": perf_error} if perf_error else b11_perf.parse(report)
    summary["file"] = str(raw)
    title = f"{run.peer.name}, {load.joined['joined']:,} viewers ({load.client} client)"
    parts = [profiling.text(title, summary)]
    parts.append(f"perf not taken: {perf_error}" if perf_error else b11_perf.text(summary["perf"]))
    summary["text"] = "\n\n".join(parts)
    (out_dir / f"{name}.md").write_text(summary["text"] + "\n")
    print(summary["text"], flush=True)
    return summary


def gc_delta(
    before: dict[str, Any] | None, after: dict[str, Any] | None, window: Window
) -> dict[str, Any] | None:
    if not before or not after:
        return None
    seconds = sum(after["seconds"]) - sum(before["seconds"])
    return {
        "collections": "/".join(
            str(a - b) for a, b in zip(after["collections"], before["collections"], strict=True)
        ),
        "seconds": seconds,
        "ms_per_s": seconds * 1000 / window.seconds,
        "share": seconds / window.server_cpu_s if window.server_cpu_s else 0.0,
    }


async def graceful_stop(run: PeerRun, load: LoadGenRun, joined: int) -> dict[str, Any]:
    """SIGTERM with every viewer connected; seconds to exit, viewers that saw the end."""
    assert run.proc is not None
    before = await load.command("window")
    started = time.perf_counter()
    run.proc.send_signal(signal.SIGTERM)
    stop_s: float | None
    try:
        await asyncio.wait_for(run.proc.wait(), STOP_LIMIT_S)
        stop_s = time.perf_counter() - started
    except TimeoutError:
        stop_s = None
        run.proc.kill()
        await run.proc.wait()
    closed_at_exit = int((await load.command("window"))["closed"]) - int(before["closed"])
    deadline = time.monotonic() + DISCONNECT_WAIT_S
    after = before
    while time.monotonic() < deadline:
        after = await load.command("window")
        if int(after["closed"]) - int(before["closed"]) >= joined:
            break
        await asyncio.sleep(0.2)
    return {
        "stop_s": stop_s,
        "closed_at_exit": closed_at_exit,
        "disconnected": int(after["closed"]) - int(before["closed"]),
        "close_frames": _close_frames(after) - _close_frames(before),
        "disconnect_reasons": after.get("disconnect_reasons"),
    }


def _close_frames(window: dict[str, Any]) -> int:
    """Viewers told of the end so far: the stock client counts them; the lean client counts
    each close frame (or Engine.IO close packet) as an error, the only kind left by then."""
    return int(window.get("close_frames", window["errors"]))


async def run_one(
    peer: Peer, client: str, viewers: int, opts: Options, profile: Path | None
) -> dict[str, Any]:
    print(f"b11: {peer.name} x {viewers:,} viewers, {client} client ...", flush=True)
    try:
        result = await lifetime(peer, client, viewers, opts, profile)
    except (OSError, RuntimeError, TimeoutError, aiohttp.ClientError, KeyError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
        print(f"b11: {peer.name} x {viewers} ({client}) failed: {error}", flush=True)
        return {"peer": peer.name, "client": client, "viewers": viewers, "joined": 0,
                "error": error}  # fmt: skip
    best = result["best"]
    lat = best["latency_ms"]
    stop = result["stop_s"]
    print(
        f"  joined {result['joined']:,} in {result['join_seconds']:.1f} s, "
        f"{result['kb_per_viewer'] or 0:.1f} KB/viewer; {best['per_cpu_s'] or 0:,.0f} per CPU-s, "
        f"p50 {lat['p50']} ms, p99 {lat['p99']} ms, "
        f"{best['pushes_per_viewer_s']:.2f} pushes/viewer/s; "
        f"stop {'> 60' if stop is None else f'{stop:.2f}'} s, "
        f"{result['disconnected']:,} disconnected",
        flush=True,
    )
    return result


async def run(opts: Options) -> Report:
    viewers, seconds, rounds, _ = plan(opts)
    clients = list(opts.extra.get("clients") or DEFAULT_CLIENTS)
    profile = profiling.results_dir() if opts.extra.get("profile") else None
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-gc-") as gc_dir:
        gc_file = Path(gc_dir) / "gc.json" if profile else None
        peers = operating_peers([p.name for p in opts.peers], gc_file=gc_file)
        opts.peers[:] = peers  # so the report's header names the variants that ran
        results: list[dict[str, Any]] = []
        for n in viewers:
            for client in clients:
                # profiles at the largest size with the first client only (the server's
                # side is the same with either), to keep the full form bounded
                chosen = profile if client == clients[0] and n == max(viewers) else None
                for peer in peers:
                    results.append(await run_one(peer, client, n, opts, chosen))
    report = build_report(results, viewers, clients, seconds, rounds)
    report.sections.append(f"Whole run: {(time.monotonic() - started) / 60:.1f} min.")
    return report
