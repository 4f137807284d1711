"""B1 fan-out throughput: N viewers in one show, the tick rate stepped up until the server's
core is saturated; deliveries per server CPU-second per peer.

A step is *sustained* when the server keeps its schedule (tick lateness p99 <= 50 ms) and the
viewers keep up: they received >= 95 % of what was pushed in the window (less one push for
window-edge skew) and latency p99 stays under 500 ms, far above the time one tick takes to
reach 10,000 viewers, so only a growing backlog fails it.

Stepping goes on past a step that is not sustained as long as the server's core still had
room (server + other processes < 90 % of it) and the viewers got >= 80 %: on a shared machine
another process can make a step late without the server being at its limit. It stops at the
first step that is not sustained with the core saturated or with a backlog.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from bench.common import table
from bench.scenarios.harness import (
    LoadGenRun,
    Options,
    PeerRun,
    Window,
    latency,
    lateness_p99,
    measure,
)
from bench.scenarios.report import BASE, REFERENCE, Report, ms, pct, ratio

LATENESS_LIMIT_MS = 50.0
LATENCY_LIMIT_MS = 500.0
RECEIVED_MIN = 0.95
CORE_SATURATED = 0.9
BACKLOG_RECEIVED = 0.8


def sustained(window: Window) -> tuple[bool, str]:
    late = lateness_p99(window)
    p99 = latency(window, "p99")
    got = window.received_ratio
    if late is not None and late > LATENESS_LIMIT_MS:
        return False, f"lateness p99 {late:.0f} ms"
    if p99 is None or p99 > LATENCY_LIMIT_MS:
        return False, f"client p99 {ms(p99)} ms"
    pushes = window.server.get("pushes")
    if got is not None and pushes:
        # One push may straddle the window edge (the viewer window is nested in the server's).
        floor = RECEIVED_MIN * (int(pushes) - 1) / int(pushes)
        if got < floor:
            return False, f"received {got * 100:.0f} %"
    return True, ""


def saturated(window: Window) -> bool:
    """The server's core was (nearly) all used, by the server or by others, or a backlog
    built up: a higher rate would measure nothing new."""
    core = window.server_util + (window.row()["other_load"] or 0.0)
    got = window.received_ratio
    return core >= CORE_SATURATED or (got is not None and got < BACKLOG_RECEIVED)


def client_bound(window: Window) -> bool:
    """The load generator used nearly all of its core: client-side figures are suspect."""
    util = window.client.get("client_cpu_util")
    return util is not None and util > 0.9


async def run_peer(
    opts: Options, peer: Any, viewers: int, rates: list[float], seconds: float
) -> dict[str, Any]:
    settle = 0.5 if opts.quick else 1.0
    # A backstop only: the harness stops both processes as soon as the steps are done.
    budget = 120 + viewers / 50 + len(rates) * (seconds + settle) * 3
    steps: list[dict[str, Any]] = []
    error = None
    try:
        await _step_through(opts, peer, viewers, rates, seconds, settle, budget, steps)
    except (OSError, RuntimeError, TimeoutError, aiohttp.ClientError) as exc:
        error = f"{type(exc).__name__}: {exc}"
        print(f"b1: {peer.name} x {viewers} failed: {error}", flush=True)
    good = [s for s in steps if s["sustained"]]
    best = max(good, key=lambda s: s["rate"]) if good else None
    return {
        "peer": peer.name,
        "viewers": viewers,
        "joined": steps[0]["joined"] if steps else 0,
        "error": error,
        "steps": steps,
        "max_rate": best["rate"] if best else None,
        "per_cpu_s": best["per_cpu_s"] if best else None,
        "saturated_per_cpu_s": max((s["per_cpu_s"] or 0 for s in steps), default=None),
        "best": best,
    }


async def _step_through(
    opts: Options,
    peer: Any,
    viewers: int,
    rates: list[float],
    seconds: float,
    settle: float,
    budget: float,
    steps: list[dict[str, Any]],
) -> None:
    async with (
        PeerRun(peer, duration=budget) as run,
        LoadGenRun(
            run.ws_url, viewers, show=peer.show, deflate=opts.deflate, duration=budget
        ) as load,
    ):
        for hz in rates:
            await run.set_rate(hz)
            await asyncio.sleep(settle)
            window = await measure(run, load, seconds)
            ok, why = sustained(window)
            if not ok and client_bound(window):
                why += " (load generator at its limit)"
            joined = load.joined["joined"]
            steps.append(
                {"rate": hz, "sustained": ok, "why": why, "joined": joined, **window.row()}
            )
            print(
                f"  {hz:g} Hz: {window.deliveries:,} deliveries, "
                f"{window.per_cpu_s or 0:,.0f} per CPU-s, server {window.server_util:.0%}, "
                f"client {window.client['client_cpu_util']:.0%}, "
                f"others on server core {window.row()['other_load']:.0%}, "
                f"{'sustained' if ok else 'not sustained: ' + why}",
                flush=True,
            )
            if not ok and saturated(window):
                break
        await run.set_rate(0)


async def run(opts: Options) -> Report:
    viewers = opts.viewers or ([200] if opts.quick else [1000, 5000, 10000])
    rates = opts.rates or ([2.0, 5.0] if opts.quick else [1.0, 2.0, 5.0, 10.0, 20.0, 40.0, 80.0])
    seconds = opts.seconds or (1.5 if opts.quick else 5.0)
    report = Report(
        "b1",
        "B1 fan-out throughput",
        f"Viewers in one show; tick rate stepped through {', '.join(f'{r:g}' for r in rates)} Hz, "
        f"{seconds:g} s measuring window per step after a short settle. A step is sustained when "
        "tick lateness p99 <= 50 ms, viewers received >= 95 % (less one push of window-edge "
        "skew) and viewer latency p99 <= 500 ms (no growing backlog); stepping stops at the "
        "first step that is not, once the server's core is saturated (server + other "
        "processes >= 90 %) or viewers fall below 80 % received. "
        "*Per CPU-s* is viewer-counted deliveries / server CPU seconds at the highest sustained "
        "step; *best per CPU-s* is the highest over all steps (usually the saturated one) and is "
        "what the ratios compare. *Other load* is the largest share of the server's core that "
        "other processes used during a step.",
    )
    results: list[dict[str, Any]] = []
    for n in viewers:
        for peer in opts.peers:
            print(f"b1: {peer.name} x {n} viewers ...", flush=True)
            results.append(await run_peer(opts, peer, n, rates, seconds))
    report.data["results"] = results

    for n in viewers:
        rows = [r for r in results if r["viewers"] == n]
        by = {r["peer"]: r for r in rows}
        ref = by.get(REFERENCE, {}).get("saturated_per_cpu_s")
        base = by.get(BASE, {}).get("saturated_per_cpu_s")
        headline = []
        for r in rows:
            b = r["best"] or {}
            lat = b.get("latency_ms") or {}
            headline.append([
                r["peer"], f"{r['joined']:,}", r["max_rate"],
                (r["max_rate"] or 0) * n or None, r["per_cpu_s"], r["saturated_per_cpu_s"],
                pct(b.get("server_util")), ms((b.get("lateness_ms") or {}).get("p99")),
                ms(lat.get("p50")), ms(lat.get("p99")), pct(b.get("received_ratio")),
                pct(b.get("client_cpu_util")),
                pct(max((s["other_load"] or 0 for s in r["steps"]), default=None)),
                ratio(r["saturated_per_cpu_s"], ref), ratio(r["saturated_per_cpu_s"], base),
            ])  # fmt: skip
        report.sections.append(
            f"**{n:,} viewers**\n\n"
            + table(
                [
                    "peer", "joined", "max Hz", "deliveries/s", "per CPU-s", "best per CPU-s",
                    "server CPU", "lateness p99 ms", "client p50 ms", "client p99 ms",
                    "received", "client CPU", "other load", "vs node", "vs base",
                ],
                headline,
            )
        )  # fmt: skip
    failed = [r for r in results if r["error"]]
    if failed:
        report.sections.append(
            "Runs that ended early (steps before the failure are kept): "
            + "; ".join(f"{r['peer']} x {r['viewers']:,}: {r['error']}" for r in failed)
        )
    detail = []
    for r in results:
        for s in r["steps"]:
            lat = s["latency_ms"]
            detail.append([
                r["peer"], r["viewers"], s["rate"], s["deliveries"], s["per_cpu_s"],
                pct(s["server_util"]), ms((s["lateness_ms"] or {}).get("p99")),
                ms(lat.get("p50")), ms(lat.get("p99")), pct(s["received_ratio"]),
                pct(s["client_cpu_util"]), pct(s["other_load"]),
                "yes" if s["sustained"] else f"no: {s['why']}",
            ])  # fmt: skip
    report.sections.append(
        "<details><summary>every step</summary>\n\n"
        + table(
            [
                "peer", "viewers", "Hz", "deliveries", "per CPU-s", "server CPU",
                "lateness p99 ms", "client p50 ms", "client p99 ms", "received", "client CPU",
                "other load", "sustained",
            ],
            detail,
        )
        + "\n\n</details>"
    )  # fmt: skip
    return report
