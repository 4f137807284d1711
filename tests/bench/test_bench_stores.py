"""The store benchmark in its ``--quick`` form: every mode runs and no mode oversells or loses a
reservation. No speed is asserted; the figures live in BENCHMARKS.md."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A quick run takes seconds on a quiet machine; a loaded one may need minutes.
pytestmark = [pytest.mark.bench, pytest.mark.redis, pytest.mark.timeout(300)]


def test_store_bench_quick_books_balance() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.stores", "--quick", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    modes = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(modes) == 6
    assert all(m["ok"] and m["rate"] > 0 for m in modes), modes
