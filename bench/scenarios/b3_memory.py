"""B3 memory: server RSS per viewer, idle after the joins and after 10 s of pushes at 5 Hz
(budget: <= 32 KB per viewer)."""

from __future__ import annotations

import asyncio
from typing import Any

from bench.common import table
from bench.scenarios.harness import LoadGenRun, Options, PeerRun
from bench.scenarios.report import BASE, REFERENCE, Report, ratio

RATE_HZ = 5.0


async def run_peer(opts: Options, peer: Any, viewers: int, push_s: float) -> dict[str, Any]:
    settle = 0.5 if opts.quick else 2.0
    budget = 60 + viewers / 100 + push_s * 2
    async with PeerRun(peer, duration=budget) as run:
        await asyncio.sleep(settle)
        before = run.rss_kb()
        async with LoadGenRun(
            run.ws_url, viewers, show=peer.show, deflate=opts.deflate, duration=budget
        ) as load:
            await asyncio.sleep(settle)
            idle = run.rss_kb()
            await run.set_rate(RATE_HZ)
            await asyncio.sleep(push_s)
            pushed = run.rss_kb()
            await run.set_rate(0)
            window = await load.command("window")
            joined = int(load.joined["joined"])
    return {
        "peer": peer.name,
        "viewers": viewers,
        "joined": joined,
        "rss_before_kb": before,
        "rss_idle_kb": idle,
        "rss_pushed_kb": pushed,
        "idle_kb_per_viewer": (idle - before) / joined if joined else None,
        "pushed_kb_per_viewer": (pushed - before) / joined if joined else None,
        "received": window["received"],
    }


async def run(opts: Options) -> Report:
    viewers = opts.viewers or ([200] if opts.quick else [1000, 5000, 10000])
    push_s = opts.seconds or (2.0 if opts.quick else 10.0)
    report = Report(
        "b3",
        "B3 memory per viewer",
        f"Server RSS before any viewer, after all joined (+{0.5 if opts.quick else 2:g} s idle) "
        f"and after {push_s:g} s of pushes at {RATE_HZ:g} Hz; KB per viewer = (RSS − RSS before) "
        "/ viewers joined. RSS counts what the allocator kept, so it includes freed-but-held "
        "memory; differences of a few KB are noise.",
    )
    results: list[dict[str, Any]] = []
    for n in viewers:
        for peer in opts.peers:
            print(f"b3: {peer.name} x {n} viewers ...", flush=True)
            results.append(await run_peer(opts, peer, n, push_s))
    report.data["results"] = results
    for n in viewers:
        rows_n = [r for r in results if r["viewers"] == n]
        by = {r["peer"]: r for r in rows_n}
        ref = by.get(REFERENCE, {}).get("pushed_kb_per_viewer")
        base = by.get(BASE, {}).get("pushed_kb_per_viewer")
        rows = [
            [
                r["peer"], f"{r['joined']:,}", r["rss_before_kb"] / 1024,
                r["rss_idle_kb"] / 1024, r["rss_pushed_kb"] / 1024,
                r["idle_kb_per_viewer"], r["pushed_kb_per_viewer"],
                ratio(r["pushed_kb_per_viewer"], ref), ratio(r["pushed_kb_per_viewer"], base),
            ]
            for r in rows_n
        ]  # fmt: skip
        report.sections.append(
            f"**{n:,} viewers**\n\n"
            + table(
                [
                    "peer", "joined", "RSS before MB", "RSS idle MB", "RSS pushed MB",
                    "KB/viewer idle", "KB/viewer after pushes", "vs node", "vs base",
                ],
                rows,
            )
        )  # fmt: skip
    return report
