"""The API cost benchmark in its ``--quick`` form: the server comes up, idles, answers every
kind of request. No speed is asserted; the figures live in BENCHMARKS.md."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.bench, pytest.mark.timeout(300)]


def test_api_cost_quick_runs_every_request() -> None:
    proc = subprocess.run([sys.executable, "-m", "bench.api_cost", "--quick", "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=240, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["idle_ms_per_s"] >= 0
    for kind in ("healthz", "show", "stock"):
        cpu_ms, wall_ms = result[kind]
        assert cpu_ms > 0 and wall_ms > 0
