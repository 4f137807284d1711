"""The benchmark harness in its ``--quick`` form: every scenario runs end to end against small
peers and reports well-formed results. No speed is asserted here; the figures live in
BENCHMARKS.md."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
NODE_READY = (
    shutil.which("node") is not None
    and (ROOT / "bench" / "peer" / "node_modules" / "socket.io").is_dir()
)

# A quick run takes seconds on a quiet machine; a loaded one may need minutes.
pytestmark = [
    pytest.mark.bench,
    pytest.mark.timeout(300),
    pytest.mark.skipif(shutil.which("taskset") is None, reason="needs taskset (util-linux)"),
]


def run_bench(*args: str, timeout: float = 240) -> tuple[str, dict[str, Any]]:
    proc = subprocess.run(
        [sys.executable, "-m", "bench", *args, "--quick", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    lines = proc.stdout.strip().splitlines()
    return proc.stdout, json.loads(lines[-1])


def test_b1_fanout_reports_deliveries_per_peer() -> None:
    peers = "floor,base,ours,node" if NODE_READY else "floor,base,ours"
    out, data = run_bench("b1", "--peers", peers)
    assert "| peer" in out and "per CPU-s" in out
    assert data["scenario"] == "b1"
    assert {r["peer"] for r in data["results"]} == set(peers.split(","))
    for result in data["results"]:
        assert result["joined"] == 200
        assert result["steps"], result
        for step in result["steps"]:
            assert step["deliveries"] > 0
            assert step["server_cpu_s"] > 0
            assert step["latency_ms"]["p50"] is not None


def test_ours_reports_server_side_pushes() -> None:
    out, data = run_bench("b1", "--peers", "ours", "--rates", "5")
    [result] = data["results"]
    assert result["peer"] == "ours" and result["joined"] == 200
    step = result["steps"][0]
    assert step["pushes"] and step["pushes"] > 0
    # how many pushes arrive within the window depends on the machine; that they do does not
    assert step["received_ratio"] is not None and step["received_ratio"] > 0


@pytest.mark.parametrize("scenario", ["b2", "b3", "b4", "b7", "b8"])
def test_other_scenarios_run_against_the_floor(scenario: str) -> None:
    out, data = run_bench(scenario, "--peers", "floor,ours")
    assert "| peer" in out
    assert data["scenario"] == scenario
    assert {r["peer"] for r in data["results"]} == {"floor", "ours"}
    for result in data["results"]:
        check_scenario(scenario, result)


def check_scenario(scenario: str, result: dict[str, Any]) -> None:
    if scenario == "b3":
        assert result["joined"] == 200 and result["rss_idle_kb"] > 0
    elif scenario == "b4":
        assert result["joined"] == 200 and result["errors"] == 0
    elif scenario == "b7":
        assert result["all_on_newest"] is True
    elif scenario == "b8":
        assert result["stalled"] == 20
        assert all(w["deliveries"] > 0 for w in result["windows"])
    else:
        assert result["deliveries"] > 0
