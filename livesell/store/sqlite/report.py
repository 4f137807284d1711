"""A show's report on SQLite."""

from __future__ import annotations

import sqlite3
from typing import Any

from .conn import SqliteConnection


class SqliteReport(SqliteConnection):
    """A show's totals, per product and per minute."""

    async def report(self, show_id: str) -> dict[str, Any]:
        def run(conn: sqlite3.Connection) -> dict[str, Any]:
            statuses = {r[0]: r[1] for r in conn.execute(
                "SELECT status, COUNT(*) FROM orders WHERE show_id = ? GROUP BY status",
                (show_id,))}
            comments = {r[0]: r[1] for r in conn.execute(
                "SELECT status, COUNT(*) FROM comments WHERE show_id = ? GROUP BY status",
                (show_id,))}
            # Grouped by order status too: paid and unpaid revenue (domain/report.py).
            lines = conn.execute(
                "SELECT l.code, l.variant, l.state, o.status, SUM(l.qty) AS qty, "
                "SUM(l.qty * l.unit_price) AS amount FROM lines l JOIN orders o "
                "ON o.code = l.order_code WHERE o.show_id = ? GROUP BY l.code, l.variant, "
                "l.state, o.status", (show_id,)).fetchall()
            minutes = conn.execute(
                "SELECT CAST(l.created_at / 60 AS INTEGER) * 60 AS minute, SUM(l.qty), "
                "SUM(l.qty * l.unit_price) FROM lines l JOIN orders o ON o.code = l.order_code "
                "WHERE o.show_id = ? AND l.state IN ('held', 'confirmed') "
                "GROUP BY minute ORDER BY minute", (show_id,)).fetchall()
            return {"orders": statuses, "comments": comments,
                    "lines": [dict(r) for r in lines],
                    "minutes": [{"minute": r[0], "units": r[1], "amount": r[2]}
                                for r in minutes]}

        return await self.engine.read(run)
