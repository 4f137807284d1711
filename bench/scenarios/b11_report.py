"""The B11 report: per size, a fan-out table and a joins/memory/stop table (ratios against
Node socket.io and the frame floor in the same run, same client), the issue's budgets for
livesell, every window, and the profiles when there are any."""

from __future__ import annotations

from typing import Any

from bench.common import table
from bench.peers.operating import CHANGES_PER_TICK, TICK_HZ
from bench.scenarios.b11_profile import CATEGORIES
from bench.scenarios.report import REFERENCE, Report, ms, pct, ratio

FLOOR = "floor"
OURS = "ours"
CLIENT_NAMES = {"lean": "lean (Python)", "node": "socket.io-client"}
BUDGET_VIEWERS = 10_000


def _get(rows: list[dict[str, Any]], peer: str, client: str) -> dict[str, Any]:
    for r in rows:
        if r["peer"] == peer and r["client"] == client and not r.get("error"):
            return r
    return {}


def _best(r: dict[str, Any], key: str) -> Any:
    return (r.get("best") or {}).get(key)


def _p99(r: dict[str, Any]) -> float | None:
    value = ((r.get("best") or {}).get("latency_ms") or {}).get("p99")
    return float(value) if value is not None else None


def _inverse(value: float | None, other: float | None) -> str:
    """``other / value``: how many times faster (or leaner) ``value`` is than ``other``."""
    return ratio(other, value) if value else "-"


def fanout_table(rows: list[dict[str, Any]], clients: list[str]) -> str:
    out = []
    for r in rows:
        if r.get("error"):
            continue
        node, floor = _get(rows, REFERENCE, r["client"]), _get(rows, FLOOR, r["client"])
        b, lat = r["best"], r["best"]["latency_ms"]
        out.append([
            CLIENT_NAMES.get(r["client"], r["client"]), r["peer"], f"{r['joined']:,}",
            b["per_cpu_s"], pct(b["server_util"]), ms(lat.get("p50")), ms(lat.get("p99")),
            f"{b['pushes_per_viewer_s']:.2f}", ms((b.get("lateness_ms") or {}).get("p99")),
            pct(b["received_ratio"]), pct(b["client_cpu_util"]), pct(b["other_load"]),
            ratio(b["per_cpu_s"], _best(node, "per_cpu_s")),
            ratio(b["per_cpu_s"], _best(floor, "per_cpu_s")),
            ratio(_p99(r), _p99(floor)),
        ])  # fmt: skip
    return table(
        ["client", "peer", "joined", "per CPU-s", "server CPU", "client p50 ms", "client p99 ms",
         "pushes/viewer/s", "lateness p99 ms", "received", "client CPU", "other load",
         "vs node", "vs floor", "p99 / floor's"],
        out,
    )  # fmt: skip


def lifecycle_table(rows: list[dict[str, Any]]) -> str:
    out = []
    for r in rows:
        if r.get("error"):
            continue
        node = _get(rows, REFERENCE, r["client"])
        n = r["joined"] or 1
        out.append([
            CLIENT_NAMES.get(r["client"], r["client"]), r["peer"],
            f"{r['joined']:,}/{r['viewers']:,}", r["join_errors"], r["join_seconds"],
            r["joins_per_s"], ms(r["connect_ms"].get("p99")), r["join_cpu_s"] * 1000 / n,
            r["kb_per_viewer"], r["stop_s"] if r["stop_s"] is not None else "> 60",
            f"{r['disconnected']:,}", f"{r['close_frames']:,}",
            _inverse(r["join_seconds"], node.get("join_seconds")),
            _inverse(r["kb_per_viewer"], node.get("kb_per_viewer")),
        ])  # fmt: skip
    return table(
        ["client", "peer", "joined", "join errors", "join s", "joins/s", "connect p99 ms",
         "server CPU ms/join", "KB/viewer", "stop s", "disconnected", "told (close)",
         "joins vs node", "memory vs node"],
        out,
    )  # fmt: skip


def _mark(ok: bool | None) -> str:
    return "-" if ok is None else ("✓" if ok else "✗")


def budget_table(rows: list[dict[str, Any]], clients: list[str], n: int) -> str:
    """livesell against the issue's budgets, per client, at ``n`` viewers."""

    def cell(client: str, value: float | None, ok: bool | None, text: str) -> str:
        return "-" if value is None else f"{text} {_mark(ok)}"

    lines: list[list[object]] = []
    checks = [
        "fan-out ≥ 1.5× node", "fan-out ≥ 0.9× floor", "client p99 ≤ 1.2× floor's",
        "join time ≤ node's", "join time ≤ 5 s (10,000)", "memory ≤ 24 KB/viewer (10,000)",
        "graceful stop ≤ 5 s (10,000)",
    ]  # fmt: skip
    cells: dict[str, list[str]] = {c: [] for c in checks}
    for client in clients:
        ours, node, floor = (_get(rows, p, client) for p in (OURS, REFERENCE, FLOOR))
        per, node_per, floor_per = (_best(x, "per_cpu_s") for x in (ours, node, floor))
        r_node = per / node_per if per and node_per else None
        r_floor = per / floor_per if per and floor_per else None
        p99, floor_p99 = _p99(ours), _p99(floor)
        r_p99 = p99 / floor_p99 if p99 is not None and floor_p99 else None
        join, node_join = ours.get("join_seconds"), node.get("join_seconds")
        kb, stop = ours.get("kb_per_viewer"), ours.get("stop_s")
        values = [
            (r_node, r_node is not None and r_node >= 1.5, f"{r_node or 0:.2f}×"),
            (r_floor, r_floor is not None and r_floor >= 0.9, f"{r_floor or 0:.2f}×"),
            (r_p99, r_p99 is not None and r_p99 <= 1.2, f"{r_p99 or 0:.2f}×"),
            (join, join is not None and node_join is not None and join <= node_join,
             f"{join or 0:.1f} vs {node_join or 0:.1f} s"),
            (join, join is not None and join <= 5.0, f"{join or 0:.1f} s"),
            (kb, kb is not None and kb <= 24.0, f"{kb or 0:.1f} KB"),
            (stop if ours else None, stop is not None and stop <= 5.0,
             f"{stop:.1f} s" if stop is not None else "> 60 s"),
        ]  # fmt: skip
        for check, (value, ok, text) in zip(checks, values, strict=True):
            cells[check].append(cell(client, value, ok if value is not None else None, text))
    for check in checks:
        lines.append([check, *cells[check]])
    note = (
        ""
        if n == BUDGET_VIEWERS
        else (f" (measured at {n:,} viewers; the absolute budgets are for {BUDGET_VIEWERS:,})")
    )
    return f"**livesell against the budgets at {n:,} viewers**{note}\n\n" + table(
        ["budget", *(CLIENT_NAMES.get(c, c) for c in clients)], lines
    )


def windows_table(results: list[dict[str, Any]]) -> str:
    out = []
    for r in results:
        for i, w in enumerate(r.get("windows") or [], 1):
            lat = w["latency_ms"]
            out.append([
                r["viewers"], CLIENT_NAMES.get(r["client"], r["client"]), r["peer"], i,
                w["deliveries"], w["server_cpu_s"], w["per_cpu_s"], ms(lat.get("p50")),
                ms(lat.get("p99")), f"{w['pushes_per_viewer_s']:.2f}", pct(w["client_cpu_util"]),
                pct(w["other_load"]),
            ])  # fmt: skip
    return table(
        ["viewers", "client", "peer", "window", "deliveries", "server CPU s", "per CPU-s",
         "client p50 ms", "client p99 ms", "pushes/viewer/s", "client CPU", "other load"],
        out,
    )  # fmt: skip


def _kernel(profile: dict[str, Any]) -> str:
    share = (profile.get("perf") or {}).get("kernel_share")
    return "-" if share is None else f"{share * 100:.0f} %"


def profile_sections(results: list[dict[str, Any]]) -> list[str]:
    profiled = [r for r in results if (r.get("profile") or {}).get("shares")]
    failed = [r for r in results if (r.get("profile") or {}).get("error")]
    parts = []
    if profiled:
        rows = []
        for r in profiled:
            p = r["profile"]
            gc = p.get("gc") or {}
            rows.append([
                r["viewers"], CLIENT_NAMES.get(r["client"], r["client"]), r["peer"],
                p["deliveries_per_cpu_s"], p["fanout_only_per_cpu_s"],
                *(f"{p['cpu_ms_per_s'][c]:.0f}" for c in CATEGORIES),
                f"{gc['ms_per_s']:.1f}" if gc else "-", _kernel(p),
            ])  # fmt: skip
        parts.append(
            "**Profile (py-spy, one more 5 Hz window): server CPU ms per second by where it "
            "went** (shares while sampled, applied to the best unsampled window's CPU); "
            "*fan-out only* = deliveries / the CPU of the socket writes and the per-viewer loop "
            "alone, what the rate would be without the fixed costs; *kernel* = the kernel's "
            "share of the server's CPU (perf, another window)\n\n"
            + table(
                [
                    "viewers",
                    "client",
                    "peer",
                    "per CPU-s",
                    "fan-out only per CPU-s",
                    *CATEGORIES,
                    "GC ms/s (timed)",
                    "kernel (perf)",
                ],
                rows,
            )  # fmt: skip
        )
        details = "\n\n".join(r["profile"]["text"] for r in profiled)
        parts.append(f"<details><summary>profiles</summary>\n\n{details}\n\n</details>")
    if failed:
        parts.append(
            "Profile not taken: "
            + "; ".join(f"{r['peer']} x {r['viewers']:,}: {r['profile']['error']}" for r in failed)
        )
    return parts


def _windows(rounds: int, seconds: float) -> str:
    text = f"{rounds} window(s) of {seconds:g} s" if rounds > 1 else f"one {seconds:g} s window"
    if seconds >= 25:
        text += " (a whole ping interval: each viewer's ping and pong fall in it once)"
    if rounds > 1:
        text += " (the table shows the one with the most deliveries per CPU-s)"
    return text


def build_report(
    results: list[dict[str, Any]], viewers: list[int], clients: list[str], seconds: float,
    rounds: int,
) -> Report:  # fmt: skip
    report = Report(
        "b11",
        "B11 operating point (5 Hz, news every tick)",
        f"One show at a {TICK_HZ:g} Hz tick: livesell at its own `stock_push_hz` with "
        f"{TICK_HZ * CHANGES_PER_TICK:g} stock changes a second through the host API (one "
        "kept-alive connection), Node socket.io and the frame floor on their own timer with a "
        f"changing payload. Per peer, client and size, one server lifetime: joins in waves of "
        f"50, {_windows(rounds, seconds)}, then SIGTERM with every viewer connected. "
        "Clients: *lean* = "
        "`bench/loadgen.py`; *socket.io-client* = `bench/peer/client.js`, the stock client "
        "from bench/peer's lock file, websocket only, `auth: {show}`. *pushes/viewer/s* counts "
        "stock deliveries per viewer; *KB/viewer* = (RSS after the joins − before) / joined; "
        "*stop s* = SIGTERM → exit; *disconnected* = viewers whose connection ended within "
        "5 s of the exit; *told (close)* = of those, the ones that got a disconnect packet or "
        "a close frame first. Ratios compare peers with the same client in the same run.",
    )
    report.data["results"] = results
    for n in viewers:
        rows = [r for r in results if r["viewers"] == n]
        report.sections.append(
            f"**{n:,} viewers: fan-out at {TICK_HZ:g} Hz**\n\n" + fanout_table(rows, clients)
        )
        report.sections.append(
            f"**{n:,} viewers: joins, memory, graceful stop**\n\n" + lifecycle_table(rows)
        )
    if any(r["peer"] == OURS for r in results):
        top = max(viewers)
        report.sections.append(
            budget_table([r for r in results if r["viewers"] == top], clients, top)
        )
    report.sections.extend(profile_sections(results))
    failed = [r for r in results if r.get("error")]
    if failed:
        report.sections.append(
            "Runs that failed: "
            + "; ".join(
                f"{r['peer']} x {r['viewers']:,} ({r['client']}): {r['error']}" for r in failed
            )
        )
    report.sections.append(
        "<details><summary>every window</summary>\n\n" + windows_table(results) + "\n\n</details>"
    )
    return report
