"""The kernel's side of a 5 Hz window: ``perf record`` on the server, user vs kernel time.

py-spy sees a socket write as one ``write`` frame; what the kernel does inside it (TCP over
loopback, waking the reader) is invisible to it. ``perf record -e cpu-clock -p PID`` samples
the whole process (all threads, kernel included) for one window; the summary gives the share
of kernel time and the top symbols by own time. Needs ``perf`` and root (or a permissive
``kernel.perf_event_paranoid``); without them the scenario says so and goes on.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bench.common import CLIENT_CORE, pinned, table

PERF_HZ = 499
LINE = re.compile(r"^\s*([\d.]+)%\s+(\S+)\s+\[([k.])\]\s+(.+?)\s*$")


async def record(pid: int, seconds: float) -> tuple[str | None, str]:
    """``perf report`` text for ``seconds`` of ``pid``, or (error, "")."""
    perf = shutil.which("perf")
    if perf is None:
        return "perf is not installed", ""
    with tempfile.TemporaryDirectory(prefix="bench-perf-") as tmp:
        data = Path(tmp) / "perf.data"
        cmd = [perf, "record", "-q", "-e", "cpu-clock", "-F", str(PERF_HZ), "-p", str(pid),
               "-o", str(data), "--", "sleep", f"{seconds:g}"]  # fmt: skip
        err = await _run(pinned(cmd, CLIENT_CORE), seconds + 30)
        if err is not None or not data.exists():
            return err or "perf wrote no data", ""
        report = [perf, "report", "-i", str(data), "--no-children", "--sort", "dso,sym",
                  "--stdio", "-g", "none", "--percent-limit", "0.3"]  # fmt: skip
        proc = await asyncio.create_subprocess_exec(
            *report, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
        )
        out, _ = await asyncio.wait_for(proc.communicate(), 120)
        return None, out.decode(errors="replace")


async def _run(cmd: list[str], timeout: float) -> str | None:
    proc = await asyncio.create_subprocess_exec(
        *cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return "perf did not finish"
    if proc.returncode != 0:
        return "perf failed: " + out.decode(errors="replace")[-300:].strip()
    return None


def parse(report: str) -> dict[str, Any]:
    """Kernel share and the top symbols from ``perf report --sort dso,sym`` text."""
    kernel = 0.0
    total = 0.0
    symbols: dict[str, float] = {}
    for line in report.splitlines():
        match = LINE.match(line)
        if not match:
            continue
        share, dso, kind, symbol = float(match[1]), match[2], match[3], match[4]
        total += share
        if kind == "k":
            kernel += share
        name = f"{symbol} ({'kernel' if kind == 'k' else Path(dso).name})"
        symbols[name] = symbols.get(name, 0.0) + share
    return {"kernel_share": kernel / 100, "listed_share": total / 100,
            "top": sorted(symbols.items(), key=lambda kv: -kv[1])[:20]}  # fmt: skip


def text(summary: dict[str, Any]) -> str:
    rows = [[name, f"{share:.1f} %"] for name, share in summary["top"]]
    return (
        f"perf (whole process, kernel included): kernel {summary['kernel_share'] * 100:.0f} % "
        "of the server's CPU.\n\n" + table(["symbol (own time, perf)", "share"], rows)
    )
