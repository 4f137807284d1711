"""A batch of comments in one writer operation: looked up together, their rows queued and
written together at the end (``pending``), one comment failing alone if it must."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from ..base import Captured, CaptureRequest
from .books import prefetch_buyers
from .capture import capture_one
from .writer import WriterCache


def capture_batch(conn: sqlite3.Connection, requests: Sequence[CaptureRequest], now: float,
                  cache: WriterCache) -> list[Captured | Exception]:
    """Every comment of a batch, inside the caller's transaction; rows are queued and written
    at the end (``pending``). The common case needs no savepoint per comment; if one comment
    fails, the whole batch is undone and redone one savepoint (and one flush) at a time, so
    that one comment fails alone."""
    conn.execute("SAVEPOINT batch")
    cache.pending.active = True
    try:
        _prefetch(conn, requests, cache)
        done: list[Captured | Exception] = [capture_one(conn, req, now, cache)
                                            for req in requests]
        cache.flush(conn)
    except Exception:
        cache.pending.active = False
        cache.clear()
        conn.execute("ROLLBACK TO batch")
        conn.execute("RELEASE batch")
        return one_by_one(conn, requests, now, cache)
    cache.pending.active = False
    conn.execute("RELEASE batch")
    return done


def _prefetch(conn: sqlite3.Connection, requests: Sequence[CaptureRequest],
              cache: WriterCache) -> None:
    """What each comment would look up alone, a few queries for the whole batch."""
    if len(requests) < 2:
        return
    cache.pending.prefetch(conn, ((r.comment.source, r.comment.source_id) for r in requests))
    shows: dict[str, list[str]] = {}
    for r in requests:
        if r.kind == "order" and not r.reject:
            shows.setdefault(r.comment.show_id, []).append(r.comment.buyer)
    for show_id, buyers in shows.items():
        prefetch_buyers(conn, cache, show_id, buyers)


def one_by_one(conn: sqlite3.Connection, requests: Sequence[CaptureRequest], now: float,
               cache: WriterCache) -> list[Captured | Exception]:
    out: list[Captured | Exception] = []
    for req in requests:
        conn.execute("SAVEPOINT comment")
        try:
            out.append(capture_one(conn, req, now, cache))
        except Exception as exc:  # this comment only; the rest of the batch goes on
            cache.clear()
            conn.execute("ROLLBACK TO comment")
            out.append(exc)
        conn.execute("RELEASE comment")
    return out
