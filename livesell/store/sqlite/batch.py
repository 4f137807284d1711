"""A batch of comments in one writer operation: looked up together, their rows queued and
written together at the end (``pending``), one comment failing alone if it must."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import deque
from collections.abc import Sequence

from ..base import Captured, CaptureRequest
from .books import prefetch_buyers
from .capture import capture_one
from .engine import SqliteEngine
from .writer import WriterCache

_Entry = tuple[Sequence[CaptureRequest], float, "asyncio.Future[list[Captured | Exception]]"]


class CaptureInbox:
    """Capture calls that arrive while the writer is busy share one writer operation.

    Each call queues its comments and waits; the first call that finds no operation on its
    way asks the writer for one, and that operation takes every comment queued by the time
    it runs (in arrival order), as one batch. Each caller gets its own comments' answers,
    after the COMMIT, or the operation's error.
    """

    def __init__(self, engine: SqliteEngine, cache: WriterCache) -> None:
        self.engine = engine
        self.cache = cache
        self.queued: deque[_Entry] = deque()  # appended on the loop, taken on the writer
        self.asked = False  # an operation is on its way that will take what is queued
        self.tasks: set[asyncio.Task[None]] = set()

    async def capture(self, requests: Sequence[CaptureRequest],
                      now: float) -> list[Captured | Exception]:
        future: asyncio.Future[list[Captured | Exception]] = (
            asyncio.get_running_loop().create_future())
        self.queued.append((requests, now, future))
        if not self.asked:
            self.asked = True
            task = asyncio.ensure_future(self._write())
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return await future

    async def _write(self) -> None:
        taken: list[_Entry] = []

        def run(conn: sqlite3.Connection) -> list[Captured | Exception]:
            self.asked = False  # before taking: a call queued from now on asks again
            while self.queued:
                taken.append(self.queued.popleft())
            requests = [r for reqs, _, _ in taken for r in reqs]
            nows = [now for reqs, now, _ in taken for _ in reqs]
            return capture_batch(conn, requests, nows, self.cache) if requests else []

        try:
            done = await self.engine.write(run)
        except Exception as exc:  # every caller of the operation gets it
            if not taken and self.asked:
                # The operation failed before it ran (BEGIN refused, store stopping): what is
                # queued was all waiting for it, and the next call must ask again, or every
                # later capture would wait forever.
                self.asked = False
                while self.queued:
                    taken.append(self.queued.popleft())
            for _, _, future in taken:
                if not future.done():
                    future.set_exception(exc)
            return
        except BaseException:  # cancelled (shutdown): so are the callers
            for _, _, future in taken:
                future.cancel()
            raise
        start = 0
        for reqs, _, future in taken:
            if not future.done():
                future.set_result(done[start:start + len(reqs)])
            start += len(reqs)


def capture_batch(conn: sqlite3.Connection, requests: Sequence[CaptureRequest],
                  nows: Sequence[float], cache: WriterCache) -> list[Captured | Exception]:
    """Every comment of a batch, inside the caller's transaction; rows are queued and written
    at the end (``pending``). The common case needs no savepoint per comment; if one comment
    fails, the whole batch is undone and redone one savepoint (and one flush) at a time, so
    that one comment fails alone."""
    conn.execute("SAVEPOINT batch")
    cache.pending.active = True
    try:
        _prefetch(conn, requests, cache)
        done: list[Captured | Exception] = [
            capture_one(conn, req, now, cache) for req, now in zip(requests, nows, strict=True)]
        cache.flush(conn)
    except Exception:
        cache.pending.active = False
        cache.clear()
        conn.execute("ROLLBACK TO batch")
        conn.execute("RELEASE batch")
        return one_by_one(conn, requests, nows, cache)
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


def one_by_one(conn: sqlite3.Connection, requests: Sequence[CaptureRequest],
               nows: Sequence[float], cache: WriterCache) -> list[Captured | Exception]:
    out: list[Captured | Exception] = []
    for req, now in zip(requests, nows, strict=True):
        conn.execute("SAVEPOINT comment")
        try:
            out.append(capture_one(conn, req, now, cache))
        except Exception as exc:  # this comment only; the rest of the batch goes on
            cache.clear()
            conn.execute("ROLLBACK TO comment")
            out.append(exc)
        conn.execute("RELEASE comment")
    return out
