"""Small shared plumbing: background tasks that stop cleanly, and percentile summaries."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Iterable
from typing import Any

log = logging.getLogger(__name__)


async def stop_tasks(tasks: list[asyncio.Task[Any]], grace: float = 5.0) -> None:
    """Cancel background loops and wait for them, but never longer than ``grace``."""
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    _, stuck = await asyncio.wait(tasks, timeout=grace)
    for task in stuck:
        log.warning("%s did not stop within %.0f s; leaving it", task.get_name(), grace)


class TaskSet:
    """Fire-and-forget tasks that are kept (so they are not collected mid-flight), logged
    when they fail, and cancelled together at shutdown."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(self._log_failure)

    async def drain(self) -> None:
        """Cancel the tasks still in flight and wait for them (shutdown)."""
        await stop_tasks(list(self._tasks))

    def _log_failure(self, task: asyncio.Task[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("%s failed", self.what, exc_info=task.exception())


def summary(values: Iterable[float]) -> dict[str, float] | None:
    """p50, p99 and max of recent values (None when there are none)."""
    ordered = sorted(values)
    if not ordered:
        return None

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)

    return {"p50": at(0.5), "p99": at(0.99), "max": round(ordered[-1], 3)}
