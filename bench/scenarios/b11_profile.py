"""Where a Python peer's CPU goes during a 5 Hz window: ``py-spy record`` and a summary.

``py-spy record --native`` samples the server (200 Hz, all threads, Python and C frames) for
the length of one window; samples whose stack waits (epoll, a lock, a condition, fsync) are
idle and dropped, so the rest are on-CPU samples (kernel time inside a syscall shows as
that syscall's frame, e.g. ``write`` for a socket write). Each on-CPU sample goes to the
first of these that matches its stack:

* **GC**: a CPython collection (``gc_collect_*``), whatever triggered it;
* **fan-out: socket writes**: a write syscall under the per-viewer broadcast;
* **fan-out: per-viewer Python**: the rest of the per-viewer broadcast loop;
* **per-tick fixed work**: the tick outside the per-viewer loop (reading the show's state,
  building and encoding the frame once);
* **HTTP driving (API requests)**: HTTP requests that are not a viewer's WebSocket (the stock
  changes of the host API, the harness's metrics calls), parsing included;
* **store (writer thread)**: the SQLite writer and executor threads (the stock changes'
  commits);
* **per-connection: pings, reads, timers**: what each connection costs whether or not
  anything is pushed: Engine.IO pings and the pongs read back, python-engineio's timeout scan
  (``_service_task`` wakes once per socket per ping timeout), timers, socket reads;
* **event loop, other**: everything else (uvloop's own work, callbacks, ...).

Sampling pauses the server for each sample and so slows it down: the share of each category
is applied to the CPU of an unsampled window of the same lifetime to give CPU ms per second
and the deliveries per CPU-second the fan-out alone would allow. Requires py-spy (the
``bench`` extra) and ptrace rights (root, or ``kernel.yama.ptrace_scope`` = 0).
"""

from __future__ import annotations

import asyncio
import re
import shutil
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import CLIENT_CORE, REPO_ROOT, pinned, table

RESULTS_DIR = REPO_ROOT / "bench" / "results"
SAMPLE_HZ = 200

WAITS = {
    "epoll_pwait", "epoll_wait", "PyThread_acquire_lock_timed", "pthread_cond_timedwait",
    "pthread_cond_wait", "pthread_cond_clockwait", "sem_clockwait", "sem_timedwait", "sem_wait",
    "clock_nanosleep", "nanosleep", "fdatasync", "fsync", "select", "poll", "accept4",
}  # fmt: skip
FANOUT = ("ViewerFanout.broadcast", "Room.push", "broadcast (websockets", "AsyncServer.emit")
TICK = ("run_ticks", "ViewerNamespace.tick", "Ticker._run", "send_frame")
SYSCALL_WRITE = ("write (libc", "writev (libc", "send (libc", "sendmsg (libc", "__try_write")
HTTP = ("RequestHandler._handle_request", "llhttp", "_http_parser", "HttpRequestParser")
WEBSOCKET = ("engineio", "socketio", "web_ws", "WebSocketReader", "_websocket", "viewer (bench")
CONNECTION = (
    *WEBSOCKET, "uv__read", "read (libc", "recv (libc", "uv__run_timers", "TimerHandle",
    "call_later", "ping", "data_received",
)  # fmt: skip
THREAD = ("Thread._bootstrap", "thread_run (libpython")
GC = re.compile(r"\bgc_collect|collect_generations|\(gcmodule\.c")

CATEGORIES = (
    "GC",
    "fan-out: socket writes",
    "fan-out: per-viewer Python",
    "per-tick fixed work",
    "HTTP driving (API requests)",
    "store (writer thread)",
    "per-connection: pings, reads, timers",
    "event loop, other",
)
PER_DELIVERY = ("fan-out: socket writes", "fan-out: per-viewer Python")


def py_spy() -> str | None:
    """The py-spy executable beside this Python, or on PATH."""
    here = Path(sys.executable).with_name("py-spy")
    return str(here) if here.exists() else shutil.which("py-spy")


def _has(frames: list[str], needles: tuple[str, ...]) -> bool:
    return any(n in f for f in frames for n in needles)


def _name(frame: str) -> str:
    return frame.split(" (", 1)[0]


def classify(frames: list[str]) -> str | None:
    """The category of one sample (frames root first), or None for an idle one."""
    if any(_name(f) in WAITS for f in frames):
        return None
    if any(GC.search(f) for f in frames):
        return "GC"
    if _has(frames, FANOUT):
        if _has(frames, SYSCALL_WRITE):
            return "fan-out: socket writes"
        if not _has(frames, ("ViewerFanout.encode",)):
            return "fan-out: per-viewer Python"
    if _has(frames, TICK):
        return "per-tick fixed work"
    if _has(frames, THREAD):
        return "store (writer thread)"
    if _has(frames, HTTP) and not _has(frames, WEBSOCKET):
        return "HTTP driving (API requests)"
    if _has(frames, CONNECTION):
        return "per-connection: pings, reads, timers"
    return "event loop, other"


@dataclass
class Profile:
    samples: int = 0  # all samples, idle ones included
    busy: int = 0
    categories: Counter[str] = field(default_factory=Counter)
    own: Counter[str] = field(default_factory=Counter)  # leaf frame -> samples
    total: Counter[str] = field(default_factory=Counter)  # frame anywhere -> samples


def parse(raw: str) -> Profile:
    """Summarise py-spy's raw (collapsed-stack) output: ``frame;frame;... count`` lines."""
    prof = Profile()
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")]
        prof.samples += count
        category = classify(frames)
        if category is None:
            continue
        prof.busy += count
        prof.categories[category] += count
        prof.own[frames[-1]] += count
        for frame in set(frames):
            prof.total[frame] += count
    return prof


async def record(pid: int, seconds: float, out: Path) -> str | None:
    """Run py-spy on ``pid`` for ``seconds``; return an error text or None."""
    exe = py_spy()
    if exe is None:
        return "py-spy is not installed (pip install -e '.[bench]')"
    cmd = [
        exe,
        "record",
        "--pid",
        str(pid),
        "--duration",
        f"{max(1, round(seconds))}",
        "--rate",
        str(SAMPLE_HZ),
        "--native",
        "--format",
        "raw",
        "--output",
        str(out),
    ]
    proc = await asyncio.create_subprocess_exec(
        *pinned(cmd, CLIENT_CORE), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)  # fmt: skip
    try:
        text, _ = await asyncio.wait_for(proc.communicate(), seconds + 30)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return "py-spy did not finish"
    if proc.returncode != 0 or not out.exists():
        return "py-spy failed: " + text.decode(errors="replace")[-300:].strip()
    return None


def summarize(
    prof: Profile, cpu_s: float, seconds: float, deliveries: int, gc: dict[str, Any] | None
) -> dict[str, Any]:
    """Shares of the on-CPU samples, turned into CPU time with the CPU (``cpu_s`` over
    ``seconds``, ``deliveries`` made) of an unsampled window."""
    busy = prof.busy or 1
    shares = {c: prof.categories.get(c, 0) / busy for c in CATEGORIES}
    per_delivery = sum(shares[c] for c in PER_DELIVERY)
    body: dict[str, Any] = {
        "samples": prof.samples,
        "busy_samples": prof.busy,
        "sampled_cpu_s": prof.busy / SAMPLE_HZ,
        "measured_cpu_s": cpu_s,
        "seconds": seconds,
        "deliveries": deliveries,
        "shares": shares,
        "cpu_ms_per_s": {c: shares[c] * cpu_s * 1000 / seconds for c in CATEGORIES},
        "per_delivery_share": per_delivery,
        "deliveries_per_cpu_s": deliveries / cpu_s if cpu_s else None,
        # what the deliveries would cost if the fan-out were all there was
        "fanout_only_per_cpu_s": deliveries / (cpu_s * per_delivery) if per_delivery else None,
        "top_own": prof.own.most_common(15),
        # frames on (nearly) every stack, such as the event loop's, say nothing: left out
        "top_total": [(f, n) for f, n in prof.total.most_common(60) if n < 0.9 * busy][:15],
        "gc": gc,
    }
    return body


def text(title: str, summary: dict[str, Any]) -> str:
    """A Markdown summary: categories, then the top functions by own and total time."""
    busy = summary["busy_samples"] or 1
    rows = [
        [c, f"{summary['shares'][c] * 100:.1f} %", summary["cpu_ms_per_s"][c]] for c in CATEGORIES
    ]
    parts = [
        f"**{title}**: {summary['busy_samples']:,} on-CPU samples of {summary['samples']:,} "
        f"({summary['sampled_cpu_s']:.2f} s of CPU sampled{_sampled(summary)}). Unsampled: "
        f"{summary['deliveries']:,} deliveries for {summary['measured_cpu_s']:.2f} s of CPU in "
        f"{summary['seconds']:.1f} s, {_num(summary['deliveries_per_cpu_s'])} per CPU-s; the "
        f"fan-out alone (writes + per-viewer loop, {summary['per_delivery_share'] * 100:.0f} % "
        f"of the CPU) would give {_num(summary['fanout_only_per_cpu_s'])} per CPU-s.",
        table(["where", "share of CPU", "CPU ms per s"], rows),
    ]
    window = summary.get("sampled_window") or {}
    if window.get("server_cpu_s") and summary["sampled_cpu_s"] > 1.5 * window["server_cpu_s"]:
        parts.append(
            "Far more samples were on CPU than the CPU the server used: it was often runnable "
            "but not running (another process on its core), so these shares lean toward code "
            "that waited for the CPU; perf's figures below count CPU time only."
        )
    gc = summary.get("gc")
    if gc:
        parts.append(
            f"GC (timed in the server by gc.callbacks): {gc['collections']} collections "
            f"(gen 0/1/2), {gc['ms_per_s']:.1f} ms per s, "
            f"{gc['share'] * 100:.1f} % of the server's CPU."
        )
    own = [[_short(f), n, f"{n / busy * 100:.1f} %"] for f, n in summary["top_own"]]
    total = [[_short(f), n, f"{n / busy * 100:.1f} %"] for f, n in summary["top_total"]]
    parts.append(table(["function (own time)", "samples", "share"], own))
    parts.append(table(["function (total time)", "samples", "share"], total))
    return "\n\n".join(parts)


def _sampled(summary: dict[str, Any]) -> str:
    window = summary.get("sampled_window")
    if not window:
        return ""
    return f"; the sampled window used {window['server_cpu_s']:.2f} s of CPU"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _short(frame: str, limit: int = 90) -> str:
    frame = frame.replace("|", "/")
    return frame if len(frame) <= limit else frame[: limit - 1] + "…"


def results_dir() -> Path:
    """bench/results, made on first use and kept out of the repository."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    ignore = RESULTS_DIR / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    return RESULTS_DIR
