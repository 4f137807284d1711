"""Shared helpers for the benchmark harness: machine facts, pinning, process CPU and RSS,
percentiles, tables and the BENCHMARKS.md log.

Kept free of third-party imports so the peer servers and the load generator can use it
without pulling in anything they do not need.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import resource
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS_MD = REPO_ROOT / "BENCHMARKS.md"
SERVER_CORE = 0
CLIENT_CORE = 1
_CLK_TCK = os.sysconf("SC_CLK_TCK")
_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

BENCHMARKS_INTRO = """\
# Benchmarks

Each section is appended by a benchmark script run with `--write` and records the machine, the
exact command and the results of one run. Compare figures within a section, not across
sections or machines.
"""

METHOD_TITLE = "Fan-out harness (`python -m bench`): how the figures are computed"

METHOD = """\
Sections titled B1–B8 come from `python -m bench SCENARIO --write`. Every peer server runs in the
same run against the same load generator (`bench/loadgen.py`), so compare peers within a section.

Peers, all pushing the same ~120-byte payload
(`{"v":123,"t":1732771200123.4,"stock":{"A1:500g":7,"A1:1kg":3,"B1:1l":12}}`) as the Socket.IO
event `42/live,["stock",{...}]` to every viewer of one show, on a timer at the tick rate:
`floor` (aiohttp, minimal Engine.IO/Socket.IO framing, one pre-built WebSocket frame written to
each viewer's transport, compression off), `libfloor` (`websockets` server, same framing,
`websockets.broadcast()`, compression off), `node` (Node.js socket.io 4.8, defaults,
`io.of('/live').to('show').emit(...)`; the reference), `base` (python-socketio `AsyncServer` on
aiohttp, defaults, `await sio.emit(..., room=...)`). The Python peers run on uvloop.

Viewers are lean Engine.IO v4 WebSocket clients (no per-message deflate unless a section says
otherwise), all in one load-generator process. Method, for every scenario:

- The server under test is pinned to core 0 (`taskset -c 0`), the load generator to core 1; all
  traffic is loopback (127.0.0.1). Every run is bounded in time and connections and kills its
  children when it ends.
- **Deliveries per server CPU-second** (the primary figure): stock messages counted by the
  viewers during a measuring window, divided by the server process's CPU time over the same
  window (all threads, from `/proc/PID/task/*/schedstat`, nanosecond resolution). It stays
  stable when the load generator shares the machine, unlike messages per wall-clock second.
- **Tick lateness**: reported by the server; how long after its scheduled time each push tick
  started (a saturated event loop starts ticks late; ticks are never skipped). **Fan-out
  time**: server-side time of one broadcast call (for python-socketio this is the time to queue
  the packets, not to write them).
- **Client latency**: every payload carries the server's send time `t` (ms since the epoch);
  the viewer subtracts it from its receive time (same clock, loopback). Kept in a 0.1 ms
  histogram, so percentiles are exact to 0.1 ms.
- **Received**: viewer-counted deliveries over server pushes × connected viewers in the window.
  The viewer window is nested inside the server's, so one push at the edge can make it read a
  little low; well below 100 % is loss or a growing backlog.
- **KB per viewer**: server RSS (resident pages from `/proc/PID/statm`) after all viewers
  joined (and after pushes, where stated) minus RSS before the first join, divided by the
  number of viewers.
- **Joins/s**: viewers joined (Socket.IO namespace connect acknowledged) divided by the time
  from the first connection attempt to the last acknowledgement; joins are made in waves (at
  most W handshakes in flight) or as one burst.
- **Client CPU**: the load generator's own CPU share of its core, so a saturated client is
  visible: above ~90 %, client-side figures (latency, received) are suspect, the server CPU
  figure is not.
- **Other load**: core 0's busy time (`/proc/stat`, steal excluded) minus the server's own CPU
  over the window, as a share of the window. Well above a few % means another process competed
  for the server's core: lateness, latency and join rates from that run are pessimistic; CPU per
  delivery is affected much less. The load average at the start and end of each run is
  recorded for the same reason.
"""


@dataclass(frozen=True)
class Machine:
    """Facts about the machine a run was made on."""

    cores: int
    ram_gb: float
    cpu_model: str
    kernel: str
    python: str
    node: str
    redis: str

    def describe(self) -> str:
        return (
            f"{self.cores} cores, {self.ram_gb:.1f} GB RAM, {self.cpu_model}, Linux {self.kernel}; "
            f"Python {self.python}, Node {self.node}, Redis {self.redis}"
        )


def _version_of(cmd: Sequence[str]) -> str:
    if shutil.which(cmd[0]) is None:
        return "not installed"
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else ""


def machine_info() -> Machine:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_kb = int(line.split()[1])
                break
    except OSError:
        pass
    redis = _version_of(["redis-server", "--version"])
    for part in redis.split():
        if part.startswith("v="):
            redis = part[2:]
            break
    return Machine(
        cores=os.cpu_count() or 1,
        ram_gb=ram_kb / 1024 / 1024,
        cpu_model=model,
        kernel=platform.release(),
        python=platform.python_version(),
        node=_version_of(["node", "--version"]).lstrip("v"),
        redis=redis,
    )


def pinned(cmd: Sequence[str], core: int) -> list[str]:
    """Prefix ``cmd`` with ``taskset -c core`` when taskset exists and the core does."""
    if shutil.which("taskset") is None or core >= (os.cpu_count() or 1):
        return list(cmd)
    return ["taskset", "-c", str(core), *cmd]


def pin_self(core: int) -> None:
    """Pin the calling process (and the children it starts later) to one core."""
    if hasattr(os, "sched_setaffinity") and core < (os.cpu_count() or 1):
        os.sched_setaffinity(0, {core})


def raise_fd_limit() -> int:
    """Raise the soft open-file limit to the hard limit; return the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def proc_cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by a process, all its threads.

    Sums the on-CPU nanoseconds of every thread from ``/proc/PID/task/*/schedstat``
    (nanosecond resolution); falls back to utime + stime from ``/proc/PID/stat`` (clock-tick
    resolution, 10 ms) where schedstat is missing.
    """
    total_ns = 0
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                total_ns += int((task / "schedstat").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue  # the thread ended between listing and reading
    except OSError:
        total_ns = 0
    if total_ns:
        return total_ns / 1e9
    raw = Path(f"/proc/{pid}/stat").read_text()
    # The command name may hold spaces and parentheses: split after the last ")".
    fields = raw[raw.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / _CLK_TCK


def core_busy_seconds(core: int) -> float:
    """Seconds one core spent running tasks (user, nice, system, irq, softirq), from
    /proc/stat. Steal time is left out: some hypervisors report it for idle guests."""
    prefix = f"cpu{core} "
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith(prefix):
            ticks = [int(x) for x in line.split()[1:8]]
            return (ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6]) / _CLK_TCK
    return 0.0


def load_average() -> str:
    """The 1, 5 and 15-minute load averages, as /proc/loadavg shows them."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def self_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def proc_rss_kb(pid: int) -> int:
    """Resident set size of a process in KiB."""
    fields = Path(f"/proc/{pid}/statm").read_text().split()
    return int(fields[1]) * _PAGE_KB


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (fresh per run, so TIME_WAIT pairs of a previous run
    never collide with the next one)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile, ``q`` in 0..100; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def summarize(values: Sequence[float]) -> dict[str, float | int | None]:
    """n, mean, p50, p99 and max of ``values``."""
    if not values:
        return {"n": 0, "mean": None, "p50": None, "p99": None, "max": None}
    ordered = sorted(values)
    n = len(ordered)
    return {
        "n": n,
        "mean": sum(ordered) / n,
        "p50": ordered[max(0, -(-50 * n // 100) - 1)],
        "p99": ordered[max(0, -(-99 * n // 100) - 1)],
        "max": ordered[-1],
    }


def fmt(value: object, digits: int = 1) -> str:
    """Format a table cell: thousands separators for big numbers, '-' for missing."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.{digits}f}"
    return str(value)


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table (readable as plain text too)."""
    cells = [[fmt(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], len(c))
    lines = [
        "| " + " | ".join(h.ljust(widths[i]) for i, h in enumerate(headers)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    for row in cells:
        lines.append("| " + " | ".join(c.rjust(widths[i]) for i, c in enumerate(row)) + " |")
    return "\n".join(lines)


def command_line() -> str:
    """The command that started this process, as it could be typed again."""
    spec = getattr(sys.modules["__main__"], "__spec__", None)
    module = spec.name.removesuffix(".__main__") if spec is not None else "bench"
    return " ".join(["python", "-m", module, *sys.argv[1:]])


def ensure_method_section(path: Path = BENCHMARKS_MD) -> None:
    """Create BENCHMARKS.md if missing and append the harness's method section once."""
    if not path.exists():
        path.write_text(BENCHMARKS_INTRO)
    if METHOD_TITLE not in path.read_text():
        with path.open("a") as out:
            out.write(f"\n## {METHOD_TITLE}\n\n{METHOD}")


def append_section(title: str, body: str, path: Path = BENCHMARKS_MD) -> None:
    """Append a dated section to BENCHMARKS.md, creating the file with its intro if missing
    and adding the harness's method section the first time."""
    ensure_method_section(path)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    with path.open("a") as out:
        out.write(f"\n## {title} — {stamp}\n\n{body.rstrip()}\n")
