"""Taking credentials back on SQLite: revoke tokens, remove console users.

Each change also bumps ``credentials_epoch`` in ``meta``, which running servers watch so a
revoked token or removed user is dropped from their caches and open consoles at once,
whichever process made the change (the CLI, usually).
"""

from __future__ import annotations

import sqlite3

from .conn import SqliteConnection

EPOCH = "credentials_epoch"


def _bump(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO meta (key, value) VALUES (?, '1') ON CONFLICT (key) DO UPDATE "
                 "SET value = CAST(value AS INTEGER) + 1", (EPOCH,))


class SqliteRevocation(SqliteConnection):
    """Revoking tokens and removing users."""

    async def revoke_tokens(self, token_hash: str | None = None,
                            name: str | None = None) -> int:
        """Delete the token with this hash, or every token with this name; how many."""
        def run(conn: sqlite3.Connection) -> int:
            if token_hash is not None:
                cur = conn.execute("DELETE FROM tokens WHERE hash = ?", (token_hash,))
            else:
                cur = conn.execute("DELETE FROM tokens WHERE name = ?", (name,))
            if cur.rowcount:
                _bump(conn)
            return int(cur.rowcount)

        result: int = await self.engine.write(run)
        return result

    async def remove_user(self, name: str) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            cur = conn.execute("DELETE FROM users WHERE name = ?", (name,))
            if cur.rowcount:
                _bump(conn)
            return bool(cur.rowcount)

        result: bool = await self.engine.write(run)
        return result

    async def credentials_epoch(self) -> int:
        row = await self.engine.read(lambda c: c.execute(
            "SELECT value FROM meta WHERE key = ?", (EPOCH,)).fetchone())
        return int(row[0]) if row else 0
