"""Staff work on the SQLite store: claims, printed marks, comment figures for the report."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from ...domain.claims import Claim, ClaimHeld, Duty, may_release, may_take
from .conn import SqliteConnection


class SqliteClaims(SqliteConnection):
    """Claims, printed marks, the duty roster and comment figures of the SQLite store."""

    async def claim_order(self, show_id: str, code: str, who: str, now: float,
                          seconds: float) -> Claim:
        code = code.upper()

        def run(conn: sqlite3.Connection) -> Claim:
            row = conn.execute("SELECT holder, expires_at FROM claims WHERE show_id = ? AND "
                               "order_code = ?", (show_id, code)).fetchone()
            if row is not None and not may_take(row[0], row[1], who, now):
                claim = Claim(code, show_id, row[0], row[1])
                raise ClaimHeld(f"{row[0]} is working on order {code}", claim=claim)
            conn.execute("INSERT INTO claims (show_id, order_code, holder, expires_at) "
                         "VALUES (?, ?, ?, ?) ON CONFLICT (show_id, order_code) DO UPDATE SET "
                         "holder = excluded.holder, expires_at = excluded.expires_at",
                         (show_id, code, who, now + seconds))
            return Claim(code, show_id, who, now + seconds)

        return await self.engine.write(run)

    async def release_claim(self, show_id: str, code: str, who: str, now: float) -> bool:
        code = code.upper()

        def run(conn: sqlite3.Connection) -> bool:
            row = conn.execute("SELECT holder, expires_at FROM claims WHERE show_id = ? AND "
                               "order_code = ?", (show_id, code)).fetchone()
            holder, expires = (row[0], row[1]) if row else (None, 0.0)
            if not may_release(holder, expires, who, now):
                return False
            conn.execute("DELETE FROM claims WHERE show_id = ? AND order_code = ?",
                         (show_id, code))
            return True

        return await self.engine.write(run)

    async def list_claims(self, show_id: str, now: float) -> list[Claim]:
        rows = await self.engine.read(lambda c: c.execute(
            "SELECT order_code, holder, expires_at FROM claims WHERE show_id = ? AND "
            "expires_at > ? ORDER BY order_code", (show_id, now)).fetchall())
        return [Claim(r[0], show_id, r[1], r[2]) for r in rows]

    async def set_duty(self, show_id: str, duty: Duty) -> None:
        await self.engine.write(lambda c: c.execute(
            "INSERT INTO duty (show_id, holder, products, until) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (show_id, holder) DO UPDATE SET products = excluded.products, "
            "until = excluded.until",
            (show_id, duty.holder, json.dumps(list(duty.products)), duty.until)))

    async def list_duty(self, show_id: str, now: float) -> list[Duty]:
        rows = await self.engine.read(lambda c: c.execute(
            "SELECT holder, products, until FROM duty WHERE show_id = ? AND until > ? "
            "ORDER BY holder", (show_id, now)).fetchall())
        return [Duty(r[0], tuple(json.loads(r[1])), r[2]) for r in rows]

    async def mark_printed(self, show_id: str, codes: Sequence[str], now: float) -> None:
        if not codes:
            return
        await self.engine.write(lambda c: c.executemany(
            "INSERT INTO printed (show_id, order_code, printed_at) VALUES (?, ?, ?) "
            "ON CONFLICT (show_id, order_code) DO UPDATE SET printed_at = excluded.printed_at",
            [(show_id, code.upper(), now) for code in codes]))

    async def printed(self, show_id: str) -> dict[str, float]:
        rows = await self.engine.read(lambda c: c.execute(
            "SELECT order_code, printed_at FROM printed WHERE show_id = ?",
            (show_id,)).fetchall())
        return {r[0]: r[1] for r in rows}

    async def comment_stats(self, show_id: str) -> dict[str, Any]:
        """Comments per minute and per source (connector figures for the report)."""
        def run(conn: sqlite3.Connection) -> dict[str, Any]:
            minutes = conn.execute(
                "SELECT CAST(received_at / 60 AS INTEGER) * 60 AS minute, COUNT(*) "
                "FROM comments WHERE show_id = ? GROUP BY minute ORDER BY minute",
                (show_id,)).fetchall()
            sources = conn.execute(
                "SELECT source, COUNT(*) FROM comments WHERE show_id = ? GROUP BY source "
                "ORDER BY source", (show_id,)).fetchall()
            return {"minutes": [(int(r[0]), int(r[1])) for r in minutes],
                    "sources": {r[0]: int(r[1]) for r in sources}}

        return await self.engine.read(run)
