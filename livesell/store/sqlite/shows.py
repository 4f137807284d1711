"""Shows on SQLite."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from ...domain.errors import Invalid, NotFound
from ...domain.models import Show
from .conn import SqliteConnection
from .rows import load_show, save_show, show_from_doc


class SqliteShows(SqliteConnection):
    """Shows: created, read and changed field by field."""

    async def create_show(self, show: Show) -> Show:
        def run(conn: sqlite3.Connection) -> Show:
            known = {r[0].upper() for r in conn.execute("SELECT code FROM products")}
            missing = [c for c in show.lineup if c.upper() not in known]
            if missing:
                raise Invalid(f"unknown product(s) in lineup: {', '.join(missing)}",
                              codes=missing)
            conn.execute("INSERT INTO shows (id, doc, created_at) VALUES (?, ?, ?)",
                         (show.id, json.dumps(show.to_json()), show.created_at))
            return show

        return await self.engine.write(run)

    async def get_show(self, show_id: str) -> Show | None:
        return await self.engine.read(lambda c: load_show(c, show_id))

    async def list_shows(self) -> list[Show]:
        return await self.engine.read(lambda c: [
            show_from_doc(json.loads(r[0]))
            for r in c.execute("SELECT doc FROM shows ORDER BY created_at DESC, rowid DESC")])

    async def update_show(self, show_id: str, changes: Mapping[str, Any]) -> Show:
        """Change some fields of a show atomically (status, pinned, flash, lineup...)."""

        def run(conn: sqlite3.Connection) -> Show:
            show = load_show(conn, show_id)
            if show is None:
                raise NotFound(f"show {show_id} not found")
            fresh = show.changed(dict(changes))
            save_show(conn, fresh, self.cache)
            return fresh

        return await self.engine.write(run)
