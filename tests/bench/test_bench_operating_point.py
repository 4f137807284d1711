"""B11 (the operating point) in its ``--quick`` form: livesell, the floor and (when Node is
installed) Node socket.io, each with the lean client and the stock ``socket.io-client``; every
viewer joins, gets pushes, and learns of the graceful stop. No speed is asserted here; the
figures live in BENCHMARKS.md."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from bench.scenarios.b11_profile import classify, parse

from .test_bench_quick import run_bench

ROOT = Path(__file__).resolve().parents[2]
PEER_DIR = ROOT / "bench" / "peer" / "node_modules"
NODE_READY = shutil.which("node") is not None and (PEER_DIR / "socket.io-client").is_dir()
QUICK_VIEWERS = 100


def run_b11(*args: str, timeout: float = 240) -> tuple[str, dict[str, Any]]:
    return run_bench("b11", *args, timeout=timeout)


# A quick run takes about half a minute on a quiet machine; a loaded one may need minutes.
@pytest.mark.bench
@pytest.mark.timeout(300)
@pytest.mark.skipif(shutil.which("taskset") is None, reason="needs taskset (util-linux)")
def test_b11_quick_measures_every_peer_with_both_clients() -> None:
    peers = "ours,node,floor" if NODE_READY else "ours,floor"
    clients = "lean,node" if NODE_READY else "lean"
    out, data = run_b11("--peers", peers, "--clients", clients)
    assert "| client" in out and "per CPU-s" in out and "stop s" in out
    assert data["scenario"] == "b11"
    results = data["results"]
    assert {(r["peer"], r["client"]) for r in results} == {
        (p, c) for p in peers.split(",") for c in clients.split(",")
    }
    for r in results:
        assert not r.get("error"), r
        assert r["joined"] == QUICK_VIEWERS and r["join_errors"] == 0
        best = r["best"]
        assert best["deliveries"] > 0 and best["server_cpu_s"] > 0
        assert best["latency_ms"]["p50"] is not None
        assert r["kb_per_viewer"] is not None
        # every peer exits on SIGTERM within the bench's limit, and every viewer sees its end
        assert r["stop_s"] is not None
        assert r["disconnected"] == QUICK_VIEWERS
    ours = [r for r in results if r["peer"] == "ours"]
    # livesell closes each viewer on a stop: a close frame, whatever the client
    assert all(r["close_frames"] == QUICK_VIEWERS for r in ours)


def test_profile_samples_are_classified_by_where_they_run() -> None:
    root = "_run_module_as_main (<frozen runpy>:198);run_app (aiohttp/web.py:502)"
    tick = f"{root};ViewerNamespace.run_ticks (livesell/realtime/viewers.py:200)"
    raw = "\n".join([
        f"{tick};ViewerFanout.broadcast (livesell/realtime/fanout.py:263);write (libc.so.6) 7",
        f"{tick};ViewerNamespace._parts (livesell/realtime/viewers.py:170) 2",
        f"{root};RequestHandler._handle_request (aiohttp/web_protocol.py:577) 3",
        f"{root};uv__io_poll (linux.c:1452);epoll_pwait (libc.so.6) 50",
        f"{tick};gc_collect_main (gcmodule.c:1200) 1",
    ])  # fmt: skip
    prof = parse(raw)
    assert prof.samples == 63 and prof.busy == 13
    assert prof.categories == {
        "fan-out: socket writes": 7,
        "per-tick fixed work": 2,
        "HTTP driving (API requests)": 3,
        "GC": 1,
    }
    assert classify(["Thread.run (threading.py:982)", "PyThread_acquire_lock_timed (x)"]) is None
