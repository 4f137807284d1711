"""B7 coalescing: a burst of stock changes must reach each viewer as a few pushes per second
that always end on the true value.

For livesell (``ours``) the trigger is order comments posted to the API at the given rate and
the server is expected to coalesce them to ~5 pushes per second per show. The reference peers
have no coalescing (every trigger is a push), so against them this scenario measures the
uncoalesced cost and checks the end-on-the-newest-version bookkeeping of the harness.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench.common import table
from bench.scenarios.harness import LoadGenRun, Options, PeerRun, measure
from bench.scenarios.report import Report, ms

COALESCED_MAX_PER_S = 6.0  # ~5 Hz tick plus an immediate flush now and then


async def run_peer(
    opts: Options, peer: Any, viewers: int, rate: float, seconds: float
) -> dict[str, Any]:
    budget = 60 + viewers / 100 + seconds * 2
    async with PeerRun(peer, duration=budget) as run, LoadGenRun(
        run.ws_url, viewers, show=peer.show, deflate=opts.deflate, versions=True,
        duration=budget,
    ) as load:  # fmt: skip
        await run.set_rate(rate)
        await asyncio.sleep(0.5)
        window = await measure(run, load, seconds)
        await run.set_rate(0)
        await asyncio.sleep(1.0)  # let the last push land
        server = await run.stats(reset=False)
        final = await load.command("final")
    active = int(window.client["active"])
    per_viewer_s = window.deliveries / active / window.seconds if active else None
    server_version = server.get("version")
    on_newest = final["viewers_on_newest"] == active and (
        server_version is None or final["newest_version"] == server_version
    )
    return {
        "peer": peer.name,
        "viewers": active,
        "trigger_per_s": rate,
        "updates_per_viewer_s": per_viewer_s,
        "coalesced": per_viewer_s is not None and per_viewer_s <= COALESCED_MAX_PER_S,
        "per_cpu_s": window.per_cpu_s,
        "latency_p99_ms": window.client["latency_ms"].get("p99"),
        "server_version": server_version,
        "newest_version": final["newest_version"],
        "viewers_on_newest": final["viewers_on_newest"],
        "all_on_newest": on_newest,
    }


async def run(opts: Options) -> Report:
    viewers = (opts.viewers or ([200] if opts.quick else [1000]))[0]
    rate = (opts.rates or ([20.0] if opts.quick else [50.0]))[0]
    seconds = opts.seconds or (1.5 if opts.quick else 5.0)
    report = Report(
        "b7",
        "B7 coalescing",
        f"{viewers:,} viewers; {rate:g} stock changes per second for {seconds:g} s, then none. "
        "Updates per viewer per second are viewer-counted; *all on newest* means every viewer's "
        "last payload carries the server's last version 1 s after the changes stopped. "
        f"Coalesced = at most {COALESCED_MAX_PER_S:g} updates per viewer per second.",
    )
    results = []
    for peer in opts.peers:
        print(f"b7: {peer.name} x {viewers} viewers ...", flush=True)
        results.append(await run_peer(opts, peer, viewers, rate, seconds))
    report.data["results"] = results
    rows = [
        [
            r["peer"], f"{r['viewers']:,}", r["trigger_per_s"], r["updates_per_viewer_s"],
            r["coalesced"], r["per_cpu_s"], ms(r["latency_p99_ms"]), r["server_version"],
            f"{r['viewers_on_newest']:,}", r["all_on_newest"],
        ]
        for r in results
    ]  # fmt: skip
    report.sections.append(
        table(
            [
                "peer", "viewers", "changes/s", "updates/viewer/s", "coalesced", "per CPU-s",
                "client p99 ms", "server version", "viewers on newest", "all on newest",
            ],
            rows,
        )
    )  # fmt: skip
    return report
