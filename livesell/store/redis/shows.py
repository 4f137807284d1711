"""Shows on Redis (plain commands; a WATCH transaction for changes)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from redis.asyncio.client import Pipeline

from ...domain.errors import Invalid, NotFound
from ...domain.models import Show
from . import codec
from .conn import RedisConnection
from .conn import reachable as _reachable


class RedisShows(RedisConnection):
    """Shows: created, read and changed field by field."""

    async def create_show(self, show: Show) -> Show:
        with _reachable():
            pipe = self.client.pipeline(transaction=False)
            for code in show.lineup:
                pipe.exists(self.key("product", code.upper()))
            found = await pipe.execute()
            missing = [c for c, ok in zip(show.lineup, found, strict=True) if not ok]
            if missing:
                raise Invalid(f"unknown product(s) in lineup: {', '.join(missing)}",
                              codes=missing)
            if await self.client.exists(self.key("show", show.id)):
                # Never overwrite a show: its flash counter and orders hang off its id.
                raise Invalid(f"show {show.id} already exists", id=show.id)
            seq = await self.client.hincrby(self.key("seq"), "show", 1)
            async with self.client.pipeline(transaction=True) as tx:
                tx.hset(self.key("show", show.id), mapping={
                    "doc": json.dumps(show.to_json()), "seq": seq,
                    "taken": show.flash.taken if show.flash else 0})
                tx.zadd(self.key("shows"), {show.id: show.created_at})
                await tx.execute()
            await self._durable()
        return show

    @staticmethod
    def _show(doc: Any, taken: Any) -> Show | None:
        return None if doc is None else codec.show_from(str(doc), taken)

    async def get_show(self, show_id: str) -> Show | None:
        with _reachable():
            doc, taken = await self.client.hmget(self.key("show", show_id), ["doc", "taken"])
        return self._show(doc, taken)

    async def list_shows(self) -> list[Show]:
        with _reachable():
            ids = await self.client.zrange(self.key("shows"), 0, -1)
            pipe = self.client.pipeline(transaction=False)
            for show_id in ids:
                pipe.hmget(self.key("show", str(show_id)), ["doc", "taken", "seq"])
            rows = await pipe.execute()
        found = [(self._show(doc, taken), int(seq or 0)) for doc, taken, seq in rows]
        shows = [(s, seq) for s, seq in found if s is not None]
        shows.sort(key=lambda pair: (pair[0].created_at, pair[1]), reverse=True)
        return [s for s, _ in shows]

    async def update_show(self, show_id: str, changes: Mapping[str, Any]) -> Show:
        """Change some fields of a show atomically (status, pinned, flash, lineup...)."""
        key = self.key("show", show_id)
        fresh: list[Show] = []

        async def change(pipe: Pipeline) -> None:
            doc, taken = await pipe.hmget(key, ["doc", "taken"])
            show = self._show(doc, taken)
            if show is None:
                raise NotFound(f"show {show_id} not found")
            new = show.changed(dict(changes))
            pipe.multi()  # type: ignore[no-untyped-call]
            pipe.hset(key, mapping={"doc": json.dumps(new.to_json()),
                                    "taken": new.flash.taken if new.flash else 0})
            fresh[:] = [new]

        with _reachable():
            # WATCH: a capture taking flash units meanwhile makes this retry, not overwrite.
            await self.client.transaction(change, key)
            await self._durable()
        return fresh[0]
