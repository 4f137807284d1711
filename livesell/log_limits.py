"""Logging that cannot flood: the same trouble is said once a minute, with a count.

During a Redis outage every loop (ticks at 5 Hz, console flushes up to 40 Hz) fails on each
round; a client sending garbage packets fails on each packet. One line per key per window
says all there is to say, and keeps the disk and the log reader alive.
"""

from __future__ import annotations

import logging
import time
from typing import Any


class LogLimiter:
    """At most one record per key per ``seconds``; the next one says how many were held."""

    def __init__(self, logger: logging.Logger, seconds: float = 60.0,
                 max_keys: int = 10_000) -> None:
        self.logger = logger
        self.seconds = seconds
        self.max_keys = max_keys
        self.last: dict[str, float] = {}
        self.held: dict[str, int] = {}

    def log(self, level: int, key: str, message: str, *args: Any,
            exc_info: Any = None) -> bool:
        """Log unless this key was logged within the window; True when it was written."""
        now = time.monotonic()
        last = self.last.get(key)
        if last is not None and now - last < self.seconds:
            self.held[key] = self.held.get(key, 0) + 1
            return False
        if len(self.last) >= self.max_keys:
            self.last.clear()
            self.held.clear()
        self.last[key] = now
        held = self.held.pop(key, 0)
        if held:
            message += f" ({held} more like it in the last {self.seconds:.0f} s)"
        self.logger.log(level, message, *args, exc_info=exc_info)
        return True

    def error(self, key: str, message: str, *args: Any, exc_info: Any = True) -> bool:
        """An error with its traceback, at most once per window for this key."""
        return self.log(logging.ERROR, key, message, *args, exc_info=exc_info)

    def forget(self, key: str) -> None:
        self.last.pop(key, None)
        self.held.pop(key, None)
