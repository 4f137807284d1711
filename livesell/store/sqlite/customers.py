"""Reads for buyers and customers on SQLite: the comments behind an order."""

from __future__ import annotations

from typing import Any

from .conn import SqliteConnection


class SqliteCustomers(SqliteConnection):
    async def order_comments(self, code: str) -> list[dict[str, Any]]:
        """Every comment that acted on the order, oldest first (staff see what was said)."""
        return await self.engine.read(lambda c: [dict(r) for r in c.execute(
            "SELECT id, source, author_name, text, received_at, status FROM comments "
            "WHERE order_code = ? COLLATE NOCASE ORDER BY id", (code,))])
