"""B2 fan-out latency: 10,000 viewers at 5 Hz for 60 s — per-tick fan-out time, tick
lateness and viewer latency (budget: every update reaches all viewers within 120 ms)."""

from __future__ import annotations

import asyncio
from typing import Any

from bench.common import table
from bench.scenarios.harness import LoadGenRun, Options, PeerRun, measure
from bench.scenarios.report import BASE, REFERENCE, Report, ms, pct, ratio


async def run(opts: Options) -> Report:
    viewers = (opts.viewers or ([200] if opts.quick else [10_000]))[0]
    rate = (opts.rates or [5.0])[0]
    seconds = opts.seconds or (3.0 if opts.quick else 60.0)
    report = Report(
        "b2",
        "B2 fan-out latency",
        f"{viewers:,} viewers, {rate:g} Hz for {seconds:g} s (one measuring window after 1 s of "
        "pushes). Fan-out = server time of one broadcast call; lateness = tick start minus its "
        "scheduled time; client = receive time minus the payload's send time.",
    )
    results: list[dict[str, Any]] = []
    for peer in opts.peers:
        print(f"b2: {peer.name} x {viewers} viewers ...", flush=True)
        budget = 60 + viewers / 100 + seconds * 1.5
        async with (
            PeerRun(peer, duration=budget) as run,
            LoadGenRun(
                run.ws_url, viewers, show=peer.show, deflate=opts.deflate, duration=budget
            ) as load,
        ):
            await run.set_rate(rate)
            await asyncio.sleep(1.0)
            window = await measure(run, load, seconds)
            await run.set_rate(0)
            results.append({"peer": peer.name, "viewers": load.joined["joined"], **window.row()})
    report.data["results"] = results
    by = {r["peer"]: r for r in results}
    ref = by.get(REFERENCE, {}).get("per_cpu_s")
    base = by.get(BASE, {}).get("per_cpu_s")
    rows = []
    for r in results:
        fan, late, lat = r["fanout_ms"] or {}, r["lateness_ms"] or {}, r["latency_ms"]
        rows.append([
            r["peer"], f"{r['viewers']:,}", ms(fan.get("p50")), ms(fan.get("p99")),
            ms(late.get("p99")), ms(lat.get("p50")), ms(lat.get("p99")), ms(lat.get("max")),
            r["per_cpu_s"], pct(r["server_util"]), pct(r["received_ratio"]), r["errors"],
            pct(r["client_cpu_util"]), ratio(r["per_cpu_s"], ref), ratio(r["per_cpu_s"], base),
        ])  # fmt: skip
    report.sections.append(
        table(
            [
                "peer", "viewers", "fan-out p50 ms", "fan-out p99 ms", "lateness p99 ms",
                "client p50 ms", "client p99 ms", "client max ms", "per CPU-s", "server CPU",
                "received", "errors", "client CPU", "vs node", "vs base",
            ],
            rows,
        )
    )  # fmt: skip
    return report
