"""Connector health: what each comment source is doing, as plain data for consoles and metrics.

Every running source (a platform connector, or the Facebook webhook of a show) owns one
``ConnectorHealth`` that it updates as it works; ``status()`` freezes it into a
``ConnectorStatus`` that the host console, ``GET /api/shows/{id}/connectors`` and any metrics
exporter read. Nothing here does I/O.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

Clock = Callable[[], float]

# States a source can be in, in the words the console shows.
STARTING = "starting"  # not read anything yet
LIVE = "live"  # connected and reading
QUIET = "quiet"  # reading, but no comment for longer than the watchdog allows
RETRYING = "retrying"  # the platform or the network failed; retrying with backoff
STOPPED = "stopped"  # stopped by the host (or configured off)
ENDED = "ended"  # the platform's chat is over, or the show ended

WARNINGS_KEPT = 5


@dataclass(frozen=True, slots=True)
class ConnectorStatus:
    """One source's health at one instant; ``to_json`` is what the API and console get."""

    index: int
    kind: str
    show: str
    name: str
    state: str
    official: bool
    started_at: float | None
    last_comment_at: float | None
    lag_seconds: float | None
    comments: int
    duplicates: int
    comments_per_minute: int
    errors: int
    reconnects: int
    last_error: str
    missing: int
    warnings: tuple[str, ...]
    poll_seconds: float | None
    quota_used: int | None
    quota_budget: int | None

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["warnings"] = list(self.warnings)
        return doc


@dataclass(slots=True)
class ConnectorHealth:
    """The running counters of one source. Updated only by its own task."""

    kind: str
    name: str = ""
    show: str = ""
    index: int = 0
    official: bool = True
    clock: Clock = time.time
    state: str = STARTING
    started_at: float | None = None
    last_comment_at: float | None = None
    lag_seconds: float | None = None
    comments: int = 0
    duplicates: int = 0
    errors: int = 0
    reconnects: int = 0
    last_error: str = ""
    missing: int = 0
    poll_seconds: float | None = None
    quota_used: int | None = None
    quota_budget: int | None = None
    warnings: deque[str] = field(default_factory=lambda: deque(maxlen=WARNINGS_KEPT))
    _recent: deque[float] = field(default_factory=deque)
    _quiet_logged: bool = False

    def started(self) -> None:
        self.started_at = self.clock()
        if self.state in (STARTING, STOPPED, ENDED):
            self.state = STARTING

    def got_comments(self, count: int, sent_at: float | None = None) -> None:
        """``count`` comments were captured; ``sent_at`` is the platform's time of the newest."""
        if count <= 0:
            return
        now = self.clock()
        self.comments += count
        self.last_comment_at = now
        self._recent.extend([now] * min(count, 1000))
        if sent_at is not None:
            self.lag_seconds = round(max(0.0, now - sent_at), 3)
        self.state = LIVE
        self._quiet_logged = False

    def working(self) -> None:
        """The platform answered (or the stream is joined): the source is reading."""
        if self.state in (STARTING, RETRYING):
            self.state = LIVE

    def failed(self, reason: str) -> None:
        self.errors += 1
        self.last_error = reason[:300]
        self.state = RETRYING

    def reconnected(self) -> None:
        self.reconnects += 1

    def warn(self, text: str) -> None:
        if not self.warnings or self.warnings[-1] != text:
            self.warnings.append(text)

    def check_quiet(self, limit: float) -> bool:
        """Watchdog: True (once per quiet spell) when nothing came for ``limit`` seconds."""
        if self.state not in (LIVE, STARTING, QUIET):
            return False
        since = self.last_comment_at or self.started_at
        if since is None or self.clock() - since < limit:
            return False
        self.state = QUIET
        if self._quiet_logged:
            return False
        self._quiet_logged = True
        return True

    def per_minute(self) -> int:
        cutoff = self.clock() - 60.0
        while self._recent and self._recent[0] < cutoff:
            self._recent.popleft()
        return len(self._recent)

    def status(self) -> ConnectorStatus:
        return ConnectorStatus(
            index=self.index, kind=self.kind, show=self.show, name=self.name, state=self.state,
            official=self.official, started_at=self.started_at,
            last_comment_at=self.last_comment_at, lag_seconds=self.lag_seconds,
            comments=self.comments, duplicates=self.duplicates,
            comments_per_minute=self.per_minute(), errors=self.errors,
            reconnects=self.reconnects, last_error=self.last_error, missing=self.missing,
            warnings=tuple(self.warnings), poll_seconds=self.poll_seconds,
            quota_used=self.quota_used, quota_budget=self.quota_budget)
