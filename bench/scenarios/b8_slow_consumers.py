"""B8 slow consumers: a fraction of viewers stop reading (small SO_RCVBUF, reading paused once
joined) while the others keep receiving. Budget: a stalled viewer costs bounded memory
(<= 64 KB) and never slows the others.

Watched over consecutive windows: server RSS growth per stalled viewer since the joins, the
healthy viewers' latency and share received, and pushes the server skipped (the floor skips a
viewer whose write buffer is over its cap).
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench.common import table
from bench.scenarios.harness import LoadGenRun, Options, PeerRun, measure
from bench.scenarios.report import Report, ms, pct

STALLED = 0.1


async def run_peer(
    opts: Options, peer: Any, viewers: int, rate: float, seconds: float, windows: int
) -> dict[str, Any]:
    budget = 60 + viewers / 100 + windows * seconds * 2
    out: list[dict[str, Any]] = []
    async with PeerRun(peer, duration=budget) as run, LoadGenRun(
        run.ws_url, viewers, show=peer.show, stalled=STALLED, deflate=opts.deflate,
        duration=budget,
    ) as load:  # fmt: skip
        stalled = int(load.joined["stalled"])
        await asyncio.sleep(0.5)
        start_rss = run.rss_kb()
        await run.set_rate(rate)
        for i in range(windows):
            window = await measure(run, load, seconds)
            row = window.row()
            row["t_s"] = (i + 1) * seconds
            row["kb_per_stalled"] = (window.rss_kb - start_rss) / stalled if stalled else None
            row["skipped"] = window.server.get("skipped")
            out.append(row)
        await run.set_rate(0)
    return {"peer": peer.name, "viewers": viewers, "stalled": stalled, "windows": out}


async def run(opts: Options) -> Report:
    viewers = (opts.viewers or ([200] if opts.quick else [1000]))[0]
    rate = (opts.rates or [20.0])[0]
    seconds = opts.seconds or (1.5 if opts.quick else 10.0)
    windows = 2 if opts.quick else 3
    report = Report(
        "b8",
        "B8 slow consumers",
        f"{viewers:,} viewers, {STALLED * 100:g} % of them stalled; {rate:g} Hz pushes, "
        f"{windows} windows of {seconds:g} s. KB per stalled viewer = server RSS growth since "
        "pushes began / stalled viewers; latency and received are for the healthy viewers.",
    )
    results = []
    for peer in opts.peers:
        print(f"b8: {peer.name} x {viewers} viewers ...", flush=True)
        results.append(await run_peer(opts, peer, viewers, rate, seconds, windows))
    report.data["results"] = results
    rows = []
    for r in results:
        for w in r["windows"]:
            lat = w["latency_ms"]
            rows.append([
                r["peer"], r["stalled"], w["t_s"], w["kb_per_stalled"], ms(lat.get("p50")),
                ms(lat.get("p99")), pct(w["received_ratio"]), w["skipped"], w["per_cpu_s"],
                w["errors"], w["closed"],
            ])  # fmt: skip
    report.sections.append(
        table(
            [
                "peer", "stalled", "after s", "KB per stalled viewer", "healthy p50 ms",
                "healthy p99 ms", "healthy received", "skipped", "per CPU-s", "errors", "closed",
            ],
            rows,
        )
    )  # fmt: skip
    return report
