"""Tokens, users and settings kept with the data, on Redis."""

from __future__ import annotations

import json

from .conn import RedisConnection
from .conn import reachable as _reachable


class RedisCredentials(RedisConnection):
    """Tokens, users and meta settings."""

    async def _hset(self, name: str, field: str, value: str) -> None:
        with _reachable():
            await self.client.hset(self.key(name), field, value)
            await self._durable()

    async def _hget(self, name: str, field: str) -> str | None:
        with _reachable():
            value = await self.client.hget(self.key(name), field)
        return None if value is None else str(value)

    async def add_token(self, token_hash: str, role: str, name: str, now: float) -> None:
        await self._hset("token", token_hash, json.dumps([role, name, now]))

    async def token_role(self, token_hash: str) -> tuple[str, str] | None:
        raw = await self._hget("token", token_hash)
        if raw is None:
            return None
        role, name, _ = json.loads(raw)
        return str(role), str(name)

    async def add_user(self, name: str, role: str, password_hash: str, now: float) -> None:
        await self._hset("user", name, json.dumps([role, password_hash, now]))

    async def get_user(self, name: str) -> tuple[str, str] | None:
        raw = await self._hget("user", name)
        if raw is None:
            return None
        role, password, _ = json.loads(raw)
        return str(role), str(password)

    async def get_meta(self, key: str) -> str | None:
        return await self._hget("meta", key)

    async def set_meta(self, key: str, value: str) -> None:
        await self._hset("meta", key, value)
