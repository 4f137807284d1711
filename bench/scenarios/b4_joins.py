"""B4 join storm: 10,000 viewers joining in waves of 50 and a burst of 2,000 at once, while
the server pushes at 5 Hz (``--rates 0``: no pushes). Budget: 10,000 viewers joined in <= 6 s."""

from __future__ import annotations

from typing import Any

from bench.common import table
from bench.scenarios.harness import LoadGenRun, Options, PeerRun
from bench.scenarios.report import REFERENCE, Report, ms, ratio

RATE_HZ = 5.0
WAVE = 50
JOIN_DEADLINE_S = 60.0  # viewers not joined by then count as errors


async def run_peer(
    opts: Options, peer: Any, viewers: int, wave: int, rate: float = RATE_HZ
) -> dict[str, Any]:
    try:
        return await _join(opts, peer, viewers, wave, rate)
    except (OSError, RuntimeError, TimeoutError) as exc:
        print(f"b4: {peer.name} failed: {type(exc).__name__}: {exc}", flush=True)
        return {
            "peer": peer.name, "mode": f"waves of {wave}" if wave else "burst",
            "viewers": viewers, "joined": 0, "errors": viewers,
            "error_kinds": {f"{type(exc).__name__}: {exc}"[:60]: 1}, "join_seconds": None,
            "joins_per_s": None, "connect_ms": {}, "first_message_ms": {},
            "first_message_n": 0, "server_cpu_s": None, "server_cpu_ms_per_join": None,
            "kb_per_viewer": None, "client_cpu_s": None,
        }  # fmt: skip


async def _join(opts: Options, peer: Any, viewers: int, wave: int, rate: float) -> dict[str, Any]:
    budget = 120 + JOIN_DEADLINE_S + viewers / 100
    async with PeerRun(peer, duration=budget, rate=0.0) as run:
        await run.set_rate(rate)
        cpu0 = run.cpu()
        before = run.rss_kb()
        async with LoadGenRun(
            run.ws_url, viewers, show=peer.show, wave=wave, deflate=opts.deflate,
            duration=budget, settle=0.5, join_deadline=JOIN_DEADLINE_S,
        ) as load:  # fmt: skip
            cpu = run.cpu() - cpu0
            joined = load.joined
            rss = run.rss_kb()
        await run.set_rate(0)
    n = int(joined["joined"])
    return {
        "peer": peer.name,
        "mode": f"waves of {wave}" if wave else "burst",
        "viewers": viewers,
        "joined": n,
        "errors": joined["join_errors"],
        "error_kinds": joined["join_error_kinds"],
        "join_seconds": joined["join_seconds"],
        "joins_per_s": joined["joins_per_s"],
        "connect_ms": joined["connect_ms"],
        "first_message_ms": joined["first_message_ms"],
        "first_message_n": joined["first_message_n"],
        "server_cpu_s": cpu,
        "server_cpu_ms_per_join": cpu * 1000 / n if n else None,
        "kb_per_viewer": (rss - before) / n if n else None,
        "client_cpu_s": joined["client_cpu_s"],
    }


async def run(opts: Options) -> Report:
    if opts.quick:
        plans = [(200, WAVE), (200, 0)]
    elif opts.viewers:
        plans = [(n, WAVE) for n in opts.viewers]
    else:
        plans = [(10_000, WAVE), (2_000, 0)]
    rate = (opts.rates or [RATE_HZ])[0]
    pushing = f"while the server pushes at {rate:g} Hz" if rate > 0 else "with no pushes"
    report = Report(
        "b4",
        "B4 join storm",
        f"Viewers join {pushing}; *waves of {WAVE}* keeps at most "
        f"{WAVE} handshakes in flight, *burst* opens them all at once. Joins/s = joined / (last "
        "acknowledgement − first attempt). Connect = from the viewer's connection attempt to its "
        "namespace acknowledgement; first message = from the attempt to the first event (these "
        "peers send no snapshot, so it includes waiting up to one tick). Server CPU covers the "
        "join phase plus 0.5 s. The join phase is cut off after "
        f"{JOIN_DEADLINE_S:g} s; viewers not joined by then count as errors.",
    )
    results: list[dict[str, Any]] = []
    for viewers, wave in plans:
        for peer in opts.peers:
            print(f"b4: {peer.name}, {viewers} viewers, wave {wave or 'burst'} ...", flush=True)
            results.append(await run_peer(opts, peer, viewers, wave, rate))
    report.data["results"] = results
    ref = {r["mode"]: r["joins_per_s"] for r in results if r["peer"] == REFERENCE}
    rows = []
    for r in results:
        con, first = r["connect_ms"], r["first_message_ms"]
        rows.append([
            r["peer"], r["mode"], f"{r['joined']:,}/{r['viewers']:,}", r["errors"],
            r["join_seconds"], r["joins_per_s"], ms(con.get("p50")), ms(con.get("p99")),
            ms(first.get("p50")), ms(first.get("p99")), r["server_cpu_ms_per_join"],
            r["kb_per_viewer"], ratio(r["joins_per_s"], ref.get(r["mode"])),
        ])  # fmt: skip
    report.sections.append(
        table(
            [
                "peer", "mode", "joined", "errors", "join s", "joins/s", "connect p50 ms",
                "connect p99 ms", "first msg p50 ms", "first msg p99 ms",
                "server CPU ms/join", "KB/viewer", "joins/s vs node",
            ],
            rows,
        )
    )  # fmt: skip
    errors = {f"{r['peer']} ({r['mode']})": r["error_kinds"] for r in results if r["errors"]}
    if errors:
        report.sections.append("Join errors: " + "; ".join(f"{k}: {v}" for k, v in errors.items()))
    return report
