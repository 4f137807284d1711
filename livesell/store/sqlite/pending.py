"""Rows a batch of order comments writes at its end, several per statement.

While a capture batch runs (``active``), the order path queues its new comments, orders,
lines and audit entries, and the order-version bumps, books moves and sequence values it
makes, instead of writing each one; ``flush`` writes them with one ``executemany`` per table,
inside the batch's savepoint, before the batch answers. Queued rows keep the order they were
made in, so ids (lines, audit) come out as the one-statement-per-row writes gave them.

Nothing reads the database behind the queue's back: the writer's caches hold what was queued,
every SQL read that could see a queued row flushes first (``books``, ``capture``), and every
path other than a plain order comment flushes before it starts and writes directly. When a
batch fails, the queue is dropped with the rest of the writer's cache and the savepoint is
rolled back, so nothing of it reaches the database.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from ...domain.errors import NotFound

ORDER = ("INSERT INTO orders (code, show_id, buyer, buyer_name, status, contact, version, "
         "token, created_at, updated_at) VALUES (?, ?, ?, ?, 'captured', ?, ?, ?, ?, ?)")
LINE = ("INSERT INTO lines (order_code, code, variant, qty, unit_price, state, created_at, "
        "expires_at, wait_seq, comment_id, confidence, said) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
AUDIT = ("INSERT INTO audit (order_code, at, actor, action, detail, comment_id, opened) "
         "VALUES (?, ?, ?, ?, ?, ?, ?)")
COMMENT = ("INSERT INTO comments (id, show_id, source, source_id, author_id, author_name, "
           "text, received_at, status, order_code, reason) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
BUMP = "UPDATE orders SET version = version + ?, updated_at = ? WHERE code = ?"
BOOKS = ("UPDATE variants SET available = available + ?, held = held + ?, sold = sold + ? "
         "WHERE code = ? AND label = ?")
SEQUENCE = "UPDATE sequences SET value = ? WHERE name = ?"


class Pending:
    """The queue of one capture batch (see the module docstring)."""

    __slots__ = ("active", "orders", "lines", "audit", "comments", "bumps", "books",
                 "sequences", "seen", "fresh", "next_comment")

    def __init__(self) -> None:
        self.active = False
        # The next comment id; None: ask SQL (after a clear, or before the first comment).
        self.next_comment: int | None = None
        self.orders: list[tuple[Any, ...]] = []
        self.lines: list[tuple[Any, ...]] = []
        self.audit: list[tuple[Any, ...]] = []
        self.comments: list[tuple[Any, ...]] = []
        # order code -> [bumps, updated_at]
        self.bumps: dict[str, list[Any]] = {}
        # (nocase code, nocase label) -> [available, held, sold, code, label]
        self.books: dict[tuple[str, str], list[Any]] = {}
        # sequence name -> value to write
        self.sequences: dict[str, int] = {}
        # (source, source id) -> (status, order) of the comments queued
        self.seen: dict[tuple[str, str], tuple[str, str | None]] = {}
        # (source, source id) of comments not stored when the batch began and not seen since
        self.fresh: set[tuple[str, str]] = set()

    def __bool__(self) -> bool:
        return bool(self.comments or self.orders or self.lines or self.audit or self.bumps
                    or self.books or self.sequences)

    def reset(self) -> None:
        """Forget the queue (the batch was rolled back) and the comment id counter."""
        self.next_comment = None
        self.fresh = set()
        self._empty()

    def _empty(self) -> None:
        self.orders, self.lines, self.audit, self.comments = [], [], [], []
        self.bumps, self.books, self.sequences, self.seen = {}, {}, {}, {}

    def prefetch(self, conn: sqlite3.Connection, keys: Iterable[tuple[str, str]]) -> None:
        """Look up a batch's comments, several per query: the stored ones go to ``seen`` (with
        their outcome), the others to ``fresh``, so that each needs no query of its own."""
        by_source: dict[str, set[str]] = {}
        for source, source_id in keys:
            by_source.setdefault(source, set()).add(source_id)
        for source, ids in by_source.items():
            wanted = sorted(ids)
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                stored = set()
                for r in conn.execute(
                        "SELECT source_id, status, order_code FROM comments WHERE source = ? "
                        f"AND source_id IN ({', '.join('?' * len(chunk))})", (source, *chunk)):
                    stored.add(r[0])
                    self.seen[(source, r[0])] = (r[1], r[2])
                self.fresh.update((source, i) for i in chunk if i not in stored)

    def known(self, conn: sqlite3.Connection,
              key: tuple[str, str]) -> tuple[str, str | None] | None:
        """(status, order) of a stored or queued comment; None for a new one."""
        seen = self.seen.get(key)
        if seen is not None:
            return seen
        if key in self.fresh:
            self.fresh.discard(key)
            return None
        row = conn.execute("SELECT status, order_code FROM comments WHERE source = ? AND "
                           "source_id = ?", key).fetchone()
        return None if row is None else (row[0], row[1])

    def comment_id(self, conn: sqlite3.Connection) -> int:
        """An id for a new comment row (the row itself is queued with its outcome)."""
        if self.next_comment is None:
            self.next_comment = int(conn.execute(
                "SELECT COALESCE(MAX(id), 0) FROM comments").fetchone()[0]) + 1
        value = self.next_comment
        self.next_comment = value + 1
        return value

    def flush(self, conn: sqlite3.Connection) -> None:
        """Write the queue: rows first (in the order they were made), then the counters."""
        if not self:
            return
        if self.orders:
            conn.executemany(ORDER, self.orders)
        if self.lines:
            conn.executemany(LINE, self.lines)
        if self.audit:
            conn.executemany(AUDIT, self.audit)
        if self.comments:
            conn.executemany(COMMENT, self.comments)
        if self.bumps:
            cur = conn.executemany(BUMP, [(n, at, code) for code, (n, at) in self.bumps.items()])
            if cur.rowcount != len(self.bumps):
                raise NotFound("order not found")
        if self.books:
            cur = conn.executemany(BOOKS, [tuple(b) for b in self.books.values()])
            if cur.rowcount != len(self.books):
                raise NotFound("variant not found")
        if self.sequences:
            conn.executemany(SEQUENCE, [(v, n) for n, v in self.sequences.items()])
        self._empty()
