"""The SQLite store's engine and writer cache, and its life cycle."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ...domain.errors import StoreUnavailable
from ..files import private_database
from .batch import CaptureInbox
from .check import check_mode
from .engine import SqliteEngine
from .health import probe_write
from .writer import WriterCache


class SqliteConnection:
    """One database file: writes go through one writer thread; reads through one reader."""

    def __init__(self, path: Path, synchronous: str = "FULL", group_commit_ms: float = 2.0,
                 group_commit_max: int = 512, check_cache: bool | None = None) -> None:
        # check_cache not given: LIVESELL_CHECK_WRITER_CACHE decides
        self.cache = WriterCache(check=check_mode(check_cache))
        self.engine = SqliteEngine(path, synchronous, group_commit_ms, group_commit_max,
                                   on_rollback=self.cache.clear,
                                   before_commit=self.cache.before_commit)
        self.captures = CaptureInbox(self.engine, self.cache)

    async def start(self) -> None:
        private_database(self.engine.path)
        await self.engine.start()

    async def close(self) -> None:
        await self.engine.close()

    async def ping(self) -> bool:
        try:
            if self.engine.unavailable is not None:
                await self.engine.write(probe_write)  # the disk filled up: is there room now?
            return bool(await self.engine.read(lambda c: c.execute("SELECT 1").fetchone()[0]))
        except (sqlite3.Error, RuntimeError, StoreUnavailable):
            return False
