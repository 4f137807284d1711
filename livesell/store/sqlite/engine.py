"""SQLite plumbing: schema migrations, one writer thread with group commit, one reader thread.

Every write is a function of a connection, run by the writer inside a transaction shared with
whatever else arrived within ``group_commit_ms``; each function gets its own SAVEPOINT so one
refused operation does not undo its neighbours. Callers are answered only after COMMIT, so an
acknowledged write has reached the disk (at ``synchronous=FULL``).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from .buyers import MIGRATION as SQLITE_BUYERS_MIGRATION
from .health import unavailable_error

log = logging.getLogger(__name__)
T = TypeVar("T")

MIGRATIONS: list[str] = [
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE sequences (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    CREATE TABLE products (
        code TEXT PRIMARY KEY COLLATE NOCASE,
        doc TEXT NOT NULL,
        position INTEGER NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE variants (
        code TEXT NOT NULL COLLATE NOCASE,
        label TEXT NOT NULL COLLATE NOCASE,
        position INTEGER NOT NULL,
        price INTEGER NOT NULL CHECK (price > 0),
        total INTEGER NOT NULL,
        available INTEGER NOT NULL CHECK (available >= 0),
        held INTEGER NOT NULL CHECK (held >= 0),
        sold INTEGER NOT NULL CHECK (sold >= 0),
        PRIMARY KEY (code, label),
        CHECK (available + held + sold = total)
    );
    CREATE TABLE shows (
        id TEXT PRIMARY KEY,
        doc TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE TABLE comments (
        id INTEGER PRIMARY KEY,
        show_id TEXT NOT NULL,
        source TEXT NOT NULL,
        source_id TEXT NOT NULL,
        author_id TEXT NOT NULL,
        author_name TEXT NOT NULL,
        text TEXT NOT NULL,
        received_at REAL NOT NULL,
        status TEXT NOT NULL,
        order_code TEXT,
        reason TEXT NOT NULL DEFAULT '',
        UNIQUE (source, source_id)
    );
    CREATE INDEX comments_show ON comments (show_id, id);
    CREATE TABLE orders (
        code TEXT PRIMARY KEY COLLATE NOCASE,
        show_id TEXT NOT NULL,
        buyer TEXT NOT NULL,
        buyer_name TEXT NOT NULL,
        status TEXT NOT NULL,
        contact TEXT NOT NULL,
        version INTEGER NOT NULL,
        token TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE UNIQUE INDEX orders_one_open ON orders (show_id, buyer) WHERE status = 'captured';
    CREATE INDEX orders_show ON orders (show_id, created_at);
    CREATE INDEX orders_buyer ON orders (show_id, buyer);
    CREATE TABLE lines (
        id INTEGER PRIMARY KEY,
        order_code TEXT NOT NULL,
        code TEXT NOT NULL COLLATE NOCASE,
        variant TEXT NOT NULL COLLATE NOCASE,
        qty INTEGER NOT NULL CHECK (qty > 0),
        unit_price INTEGER NOT NULL,
        state TEXT NOT NULL,
        created_at REAL NOT NULL,
        expires_at REAL,
        wait_seq INTEGER,
        comment_id INTEGER
    );
    CREATE INDEX lines_order ON lines (order_code);
    CREATE INDEX lines_waiting ON lines (code, variant, wait_seq) WHERE state = 'waitlisted';
    CREATE INDEX lines_holds ON lines (expires_at) WHERE state = 'held';
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        order_code TEXT NOT NULL,
        at REAL NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '',
        comment_id INTEGER
    );
    CREATE INDEX audit_order ON audit (order_code, id);
    CREATE TABLE review (
        id INTEGER PRIMARY KEY,
        show_id TEXT NOT NULL,
        comment_id INTEGER NOT NULL,
        buyer TEXT NOT NULL,
        author_name TEXT NOT NULL,
        text TEXT NOT NULL,
        reason TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at REAL NOT NULL,
        order_code TEXT
    );
    CREATE INDEX review_show ON review (show_id, status, id);
    CREATE TABLE tokens (
        hash TEXT PRIMARY KEY, role TEXT NOT NULL, name TEXT NOT NULL, created_at REAL NOT NULL
    );
    CREATE TABLE users (
        name TEXT PRIMARY KEY, role TEXT NOT NULL, password TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    INSERT INTO meta (key, value) VALUES ('stock_version', '0');
    """,
    # Comment reading: the parser's confidence and the comment's words on each line it made.
    """
    ALTER TABLE lines ADD COLUMN confidence REAL;
    ALTER TABLE lines ADD COLUMN said TEXT NOT NULL DEFAULT ''
    """,
    # bank transfers and the money they brought to orders (store/sqlite/payments.py)
    """
    ALTER TABLE orders ADD COLUMN received INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE orders ADD COLUMN payment_flag TEXT NOT NULL DEFAULT '';
    CREATE TABLE transfers (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        order_code TEXT,
        doc TEXT NOT NULL,
        recorded_at REAL NOT NULL
    );
    CREATE INDEX transfers_status ON transfers (status, recorded_at);
    """,
    SQLITE_BUYERS_MIGRATION,
    # staff work: claims, printed packing slips, the duty roster (store/sqlite/claims.py)
    """
    CREATE TABLE claims (
        show_id TEXT NOT NULL, order_code TEXT NOT NULL, holder TEXT NOT NULL,
        expires_at REAL NOT NULL, PRIMARY KEY (show_id, order_code)
    );
    CREATE TABLE printed (
        show_id TEXT NOT NULL, order_code TEXT NOT NULL, printed_at REAL NOT NULL,
        PRIMARY KEY (show_id, order_code)
    );
    CREATE INDEX comments_show_time ON comments (show_id, received_at);
    CREATE TABLE duty (
        show_id TEXT NOT NULL, holder TEXT NOT NULL, products TEXT NOT NULL,
        until REAL NOT NULL, PRIMARY KEY (show_id, holder)
    );
    """,
    # Every query on a show's comments (report, comment_stats) is served as well by
    # comments_show_time, which starts with show_id too; one index fewer to update per comment.
    "DROP INDEX IF EXISTS comments_show",
    # A new order's 'opened' entry is kept in the row of the 'add' that follows it
    # (books.audit, rows.audit_trail): one audit row per new order fewer.
    "ALTER TABLE audit ADD COLUMN opened TEXT",
]

_STOP = object()


def connect(path: Path, synchronous: str) -> sqlite3.Connection:
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, cached_statements=256
    )
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA busy_timeout=5000")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema to the newest version; returns it. Each step is one transaction."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    for number, script in enumerate(MIGRATIONS[version:], version + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in script.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version={number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        log.info("database schema migrated to version %d", number)
    return len(MIGRATIONS)


class SqliteEngine:
    """Runs write functions in batched transactions on one thread; reads on another."""

    def __init__(
        self, path: Path, synchronous: str = "FULL", window_ms: float = 2.0, batch_max: int = 512,
        on_rollback: Callable[[], None] | None = None,
        before_commit: Callable[[sqlite3.Connection], None] | None = None,
    ) -> None:
        self._data_version: int | None = None
        self.on_rollback = on_rollback or (lambda: None)
        self.before_commit = before_commit or (lambda conn: None)
        self.path = path
        self.synchronous = synchronous
        self.window = window_ms / 1000.0
        self.batch_max = batch_max
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._reader: ThreadPoolExecutor | None = None
        self._read_conn: sqlite3.Connection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.batches = 0
        self.operations = 0
        self.unavailable: str | None = None  # "disk_full", "io_error" until a write succeeds
        # called on the writer thread with each group commit's seconds (metrics)
        self.commit_observer: Callable[[float], None] | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = connect(self.path, self.synchronous)
        migrate(conn)
        self._thread = threading.Thread(
            target=self._run, args=(conn,), name="livesell-sqlite-writer", daemon=True
        )
        self._thread.start()
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="livesell-sqlite-reader")
        self._read_conn = await self._loop.run_in_executor(
            self._reader, connect, self.path, self.synchronous
        )

    async def close(self) -> None:
        """Finish every queued write, then close both connections."""
        if self._thread is not None:
            self._queue.put(_STOP)
            await asyncio.to_thread(self._thread.join)
            self._thread = None
        if self._reader is not None:
            if self._read_conn is not None:
                await asyncio.get_running_loop().run_in_executor(
                    self._reader, self._read_conn.close
                )
            self._reader.shutdown(wait=True)
            self._reader = None

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in the next group commit; return its result once committed."""
        if self._thread is None or self._loop is None:
            raise RuntimeError("store is not running")
        future: asyncio.Future[T] = self._loop.create_future()
        self._queue.put((fn, future))
        try:
            result = await future
        except sqlite3.Error as exc:
            mapped = unavailable_error(self, exc)
            if mapped is exc:
                raise
            raise mapped from exc
        self.unavailable = None
        return result

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` on the reader connection (sees committed data only)."""
        if self._reader is None or self._read_conn is None:
            raise RuntimeError("store is not running")
        conn = self._read_conn
        return await asyncio.get_running_loop().run_in_executor(self._reader, fn, conn)

    def _gather(self, first: Any) -> tuple[list[Any], bool]:
        batch = [first]
        deadline = time.monotonic() + self.window
        while len(batch) < self.batch_max:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    item = self._queue.get(timeout=remaining)
                except queue.Empty:
                    break
            if item is _STOP:
                return batch, True
            batch.append(item)
        return batch, False

    def _run(self, conn: sqlite3.Connection) -> None:
        stopping = False
        try:
            while not stopping:
                first = self._queue.get()
                if first is _STOP:
                    break
                batch, stopping = self._gather(first)
                self._commit(conn, batch)
        finally:
            conn.close()

    def _commit(self, conn: sqlite3.Connection, batch: list[Any]) -> None:
        outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
        started = time.perf_counter()
        try:
            conn.execute("BEGIN IMMEDIATE")
            # Another process (``livesell import`` while serving, say) committed since our
            # last transaction: what the writer keeps in memory may be stale, drop it.
            seen = conn.execute("PRAGMA data_version").fetchone()[0]
            if self._data_version is not None and seen != self._data_version:
                self.on_rollback()
            self._data_version = seen
            for fn, future in batch:
                conn.execute("SAVEPOINT op")
                try:
                    result = fn(conn)
                except Exception as exc:  # noqa: BLE001 - handed back to the caller
                    self.on_rollback()
                    if not conn.in_transaction:
                        raise  # SQLite rolled it all back itself (disk full): batch failed
                    conn.execute("ROLLBACK TO op")
                    conn.execute("RELEASE op")
                    outcomes.append((future, None, exc))
                else:
                    conn.execute("RELEASE op")
                    outcomes.append((future, result, None))
            self.before_commit(conn)
            conn.execute("COMMIT")
        except Exception as exc:  # the whole batch failed: nobody is acknowledged
            log.exception("group commit failed")
            self.on_rollback()
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            outcomes = [(future, None, exc) for _, future in batch]
        self.batches += 1
        self.operations += len(batch)
        if self.commit_observer is not None:
            self.commit_observer(time.perf_counter() - started)
        assert self._loop is not None
        try:
            self._loop.call_soon_threadsafe(_settle, outcomes)
        except RuntimeError:  # loop closed during shutdown; nobody is waiting any more
            pass


def _settle(outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for future, result, error in outcomes:
        if future.done():
            continue
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)
