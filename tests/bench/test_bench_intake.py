"""The intake benchmark in its ``--quick`` form: real server, real comments, books balanced.
No speed is asserted; the figures live in BENCHMARKS.md."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A quick run takes seconds on a quiet machine; a loaded one may need minutes.
pytestmark = [pytest.mark.bench, pytest.mark.timeout(300)]


def test_intake_bench_quick_runs_and_never_oversells() -> None:
    proc = subprocess.run([sys.executable, "-m", "bench.intake", "--quick"], cwd=ROOT,
                          capture_output=True, text=True, timeout=240, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    header = next(line for line in lines if line.startswith("| store"))
    row = next(line for line in lines if line.startswith("| sqlite"))
    cells = dict(zip([c.strip() for c in header.strip("|").split("|")],
                     [c.strip() for c in row.strip("|").split("|")], strict=True))
    assert float(cells["comments/s"].replace(",", "")) > 0
    assert cells["oversell"] == "0" and cells["books"] == "ok"
