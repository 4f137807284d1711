"""Taking credentials back on Redis: revoke tokens, remove console users.

Like SQLite, each change bumps ``credentials_epoch`` (a field of ``{p}:meta``) so every node
drops the credential from its caches and open consoles at once.
"""

from __future__ import annotations

import json

from .conn import RedisConnection, reachable

EPOCH = "credentials_epoch"


class RedisRevocation(RedisConnection):
    """Revoking tokens and removing users."""

    async def revoke_tokens(self, token_hash: str | None = None,
                            name: str | None = None) -> int:
        """Delete the token with this hash, or every token with this name; how many."""
        with reachable():
            if token_hash is not None:
                hashes = [token_hash]
            else:
                everything = await self.client.hgetall(self.key("token"))
                hashes = [str(h) for h, raw in everything.items() if json.loads(raw)[1] == name]
            removed = int(await self.client.hdel(self.key("token"), *hashes)) if hashes else 0
            if removed:
                await self.client.hincrby(self.key("meta"), EPOCH, 1)
                await self._durable()
        return removed

    async def remove_user(self, name: str) -> bool:
        with reachable():
            removed = bool(await self.client.hdel(self.key("user"), name))
            if removed:
                await self.client.hincrby(self.key("meta"), EPOCH, 1)
                await self._durable()
        return removed

    async def credentials_epoch(self) -> int:
        with reachable():
            value = await self.client.hget(self.key("meta"), EPOCH)
        return int(value or 0)
