"""SQLite when the disk fills up or fails: 503 ``store_unavailable``, never a 500.

A full disk (SQLITE_FULL) or an I/O error surfaces as :class:`StoreUnavailable`; the engine
remembers it so ``ping`` (and ``/healthz``) report the store down until a small probe write
succeeds again, which is also how it notices recovery without any traffic.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from ...domain.errors import StoreUnavailable

log = logging.getLogger(__name__)

_FULL = ("database or disk is full", "disk is full")
_IO = ("disk i/o error",)


def classify(exc: BaseException) -> str | None:
    """``"disk_full"``, ``"io_error"`` or None for any other error.

    The errors it caused are followed too: after SQLITE_FULL, SQLite may roll the whole
    transaction back, and the next statement then fails with "no such savepoint"."""
    seen = 0
    cause: BaseException | None = exc
    while cause is not None and seen < 10:
        if isinstance(cause, sqlite3.OperationalError):
            text = str(cause).lower()
            if any(marker in text for marker in _FULL):
                return "disk_full"
            if any(marker in text for marker in _IO):
                return "io_error"
        cause = cause.__cause__ or cause.__context__
        seen += 1
    return None


def as_unavailable(engine: Any, exc: BaseException) -> BaseException:
    """The error to raise for ``exc``: StoreUnavailable for a full or failing disk."""
    kind = classify(exc)
    if kind is None:
        return exc
    if engine.unavailable != kind:
        log.error("SQLite store unavailable (%s): %s", kind, exc)
    engine.unavailable = kind
    message = ("the database disk is full; free some space (it recovers by itself)"
               if kind == "disk_full" else "the database disk failed to read or write")
    return StoreUnavailable(message, reason=kind)


def unavailable_error(engine: Any, exc: BaseException) -> BaseException:
    return as_unavailable(engine, exc)


def probe_write(conn: sqlite3.Connection) -> None:
    """A write that needs room for 256 KB (then gives it back), to see whether the disk has
    space again: enough for a burst of orders, not just one row squeezed into a free page."""
    conn.execute("INSERT INTO meta (key, value) VALUES ('health_probe', zeroblob(262144))")
    conn.execute("DELETE FROM meta WHERE key = 'health_probe'")
