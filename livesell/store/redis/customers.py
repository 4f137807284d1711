"""Reads for buyers and customers on Redis: the comments behind an order."""

from __future__ import annotations

from typing import Any

from .conn import RedisConnection
from .conn import reachable as _reachable

FIELDS = ("id", "source", "author_name", "text", "received_at", "status", "order")


class RedisCustomers(RedisConnection):
    async def order_comments(self, code: str) -> list[dict[str, Any]]:
        """Every comment that acted on the order, oldest first (staff see what was said)."""
        with _reachable():
            keys = await self.client.lrange(self.key("ordercomments", code.upper()), 0, -1)
            unique = list(dict.fromkeys(str(k) for k in keys))
            async with self.client.pipeline(transaction=False) as pipe:
                for key in unique:
                    pipe.hmget(key, FIELDS)
                rows = await pipe.execute()
        out: dict[int, dict[str, Any]] = {}
        for row in rows:
            doc = dict(zip(FIELDS, row, strict=True))
            if doc["id"] is None or str(doc["order"]).upper() != code.upper():
                continue  # moved to another order since (a review resolved elsewhere)
            doc.pop("order")
            doc["id"] = int(doc["id"])
            doc["received_at"] = float(doc["received_at"])
            out[doc["id"]] = doc
        return [out[i] for i in sorted(out)]
