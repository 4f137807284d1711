"""Tokens, users and settings kept with the data, on SQLite."""

from __future__ import annotations

from .conn import SqliteConnection


class SqliteCredentials(SqliteConnection):
    """Tokens, users and meta settings."""

    async def add_token(self, token_hash: str, role: str, name: str, now: float) -> None:
        await self.engine.write(lambda c: c.execute(
            "INSERT INTO tokens (hash, role, name, created_at) VALUES (?, ?, ?, ?)",
            (token_hash, role, name, now)))

    async def token_role(self, token_hash: str) -> tuple[str, str] | None:
        row = await self.engine.read(lambda c: c.execute(
            "SELECT role, name FROM tokens WHERE hash = ?", (token_hash,)).fetchone())
        return (row[0], row[1]) if row else None

    async def add_user(self, name: str, role: str, password_hash: str, now: float) -> None:
        await self.engine.write(lambda c: c.execute(
            "INSERT INTO users (name, role, password, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET role = excluded.role, "
            "password = excluded.password", (name, role, password_hash, now)))

    async def get_user(self, name: str) -> tuple[str, str] | None:
        row = await self.engine.read(lambda c: c.execute(
            "SELECT role, password FROM users WHERE name = ?", (name,)).fetchone())
        return (row[0], row[1]) if row else None

    async def get_meta(self, key: str) -> str | None:
        row = await self.engine.read(lambda c: c.execute(
            "SELECT value FROM meta WHERE key = ?", (key,)).fetchone())
        return str(row[0]) if row else None

    async def set_meta(self, key: str, value: str) -> None:
        await self.engine.write(lambda c: c.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
            "SET value = excluded.value", (key, value)))
