"""``python -m bench.peers.gc_probe serve ...`` = ``python -m livesell serve ...`` with every
garbage collection timed.

A ``gc.callbacks`` hook adds up the CPU time of each collection per generation (the thread's
CPU clock, so time the process spends preempted does not count); on SIGUSR1 the
totals are written as JSON to ``$BENCH_GC_FILE`` (with a sequence number), so the benchmark
can read the GC time over a window from outside (:func:`read_gc`). The hook costs two clock
reads per collection, nothing else runs until asked. Used by ``python -m bench b11 --profile``.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import runpy
import signal
import sys
import time
from pathlib import Path
from typing import Any


class GcTimer:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.collections = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self.collected = 0
        self.seq = 0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.thread_time()
            return
        generation = int(info.get("generation", 0))
        self.collections[generation] += 1
        self.seconds[generation] += time.thread_time() - self._started
        self.collected += int(info.get("collected", 0))

    def write(self, *_: object) -> None:
        self.seq += 1
        body = {
            "seq": self.seq,
            "collections": self.collections,
            "seconds": self.seconds,
            "collected": self.collected,
            "cpu_s": time.process_time(),
        }
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(body))
        tmp.replace(self.path)


def _read(path: Path) -> dict[str, Any] | None:
    try:
        body: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return body


async def read_gc(pid: int, path: Path, timeout: float = 2.0) -> dict[str, Any] | None:
    """Ask the server at ``pid`` for its GC totals; None when it does not answer in time."""
    seq = (_read(path) or {}).get("seq", 0)
    try:
        os.kill(pid, signal.SIGUSR1)
    except ProcessLookupError:
        return None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = _read(path)
        if body is not None and body.get("seq", 0) > seq:
            return body
        await asyncio.sleep(0.02)
    return None


def main() -> None:
    target = os.environ.get("BENCH_GC_FILE")
    if target:
        timer = GcTimer(Path(target))
        gc.callbacks.append(timer)
        signal.signal(signal.SIGUSR1, timer.write)
    sys.argv = ["livesell", *sys.argv[1:]]
    runpy.run_module("livesell", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
