"""``python -m bench SCENARIO [--quick] [--write]`` — run one benchmark scenario.

Scenarios: b1 (fan-out throughput), b2 (fan-out latency), b3 (memory), b4 (join storm),
b7 (coalescing), b8 (slow consumers), b11 (operating point: 5 Hz, joins, memory, stop).
Peers: floor, libfloor, node, base, ours.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys

import uvloop

from bench.common import (
    CLIENT_CORE,
    append_section,
    command_line,
    load_average,
    machine_info,
    pin_self,
    raise_fd_limit,
)
from bench.peers.registry import (
    DEFAULT_PEERS,
    install_node_peer,
    node_client_unavailable,
    select,
)
from bench.scenarios.harness import CLIENTS, Options, PeerRun

SCENARIOS = {
    "b1": "bench.scenarios.b1_fanout",
    "b2": "bench.scenarios.b2_latency",
    "b3": "bench.scenarios.b3_memory",
    "b4": "bench.scenarios.b4_joins",
    "b7": "bench.scenarios.b7_coalescing",
    "b8": "bench.scenarios.b8_slow_consumers",
    "b11": "bench.scenarios.b11_operating_point",
}


def numbers(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--quick", action="store_true", help="small and short; for CI")
    parser.add_argument("--write", action="store_true", help="append results to BENCHMARKS.md")
    parser.add_argument(
        "--peers", help=f"comma list of peers (default {DEFAULT_PEERS}; b11: ours,node,floor)"
    )
    parser.add_argument(
        "--clients", help="b11: comma list of viewer clients, lean and/or node (default both)"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="b11: py-spy and perf profiles of each Python peer at the largest size",
    )
    parser.add_argument("--viewers", type=numbers, help="comma list of viewer counts")
    parser.add_argument("--rates", type=numbers, help="comma list of tick rates (Hz)")
    parser.add_argument("--seconds", type=float, help="measuring window (s)")
    parser.add_argument(
        "--deflate", action="store_true", help="viewers offer permessage-deflate, as browsers do"
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="S",
        help="before each server start, wait up to S s for other processes to leave core 0",
    )
    parser.add_argument("--install-node", action="store_true", help="npm ci in bench/peer first")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON line")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pin_self(CLIENT_CORE)  # the orchestrator mostly sleeps; keep it off the server's core
    raise_fd_limit()  # inherited by the peers and the load generator
    if args.install_node:
        install_node_peer()
    scenario = importlib.import_module(SCENARIOS[args.scenario])
    peers, notes = select(args.peers or getattr(scenario, "DEFAULT_PEERS", DEFAULT_PEERS))
    clients = [c.strip() for c in (args.clients or "").split(",") if c.strip()]
    if unknown := sorted(set(clients) - set(CLIENTS)):
        raise SystemExit(f"unknown viewer client(s) {unknown}; known: {', '.join(CLIENTS)}")
    if "node" in clients or (args.scenario == "b11" and not clients):
        reason = node_client_unavailable()
        if reason and clients:
            raise SystemExit(f"node client: {reason}")
        if reason:
            notes.append(f"viewers with the lean client only: {reason}")
            clients = ["lean"]
    for note in notes:
        print(note, flush=True)
    if not peers:
        print("no peer to run", file=sys.stderr)
        return 2
    opts = Options(
        quick=args.quick,
        write=args.write,
        peers=peers,
        notes=notes,
        viewers=[int(v) for v in args.viewers] if args.viewers else None,
        rates=args.rates,
        seconds=args.seconds,
        deflate=args.deflate,
        wait_quiet=args.wait_quiet,
        extra={"clients": clients, "profile": args.profile},
    )
    PeerRun.wait_quiet = args.wait_quiet
    load_before = load_average()
    report = uvloop.run(scenario.run(opts))
    load_after = load_average()
    machine = machine_info()
    print(f"\n## {report.title}\n\n{report.text()}\n")
    if args.write:
        body = [
            f"Machine: {machine.describe()}.",
            f"Command: `{command_line()}`",
            f"Load average (1/5/15 min) at start: {load_before}; at end: {load_after}.",
            f"Peers: {', '.join(f'`{p.name}` = {p.label}' for p in peers)}.",
        ]
        if args.deflate:
            body.append("Viewers offered permessage-deflate (as browsers do).")
        body += [f"Note: {n}." for n in notes]
        append_section(report.title, "\n\n".join(["  \n".join(body), report.text()]))
        print("appended to BENCHMARKS.md")
    if args.json:
        out = {
            "scenario": report.scenario,
            "machine": machine.__dict__,
            "command": command_line(),
            "skipped": notes,
            "load_average": [load_before, load_after],
            **report.data,
        }
        print(json.dumps(out, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
