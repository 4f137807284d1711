"""The review queue on Redis: ``review.lua`` (resolve) and ``dismiss.lua``."""

from __future__ import annotations

import json
from collections.abc import Sequence

from ...domain.models import ReviewItem
from ..base import CaptureItem, Changed
from . import codec
from .conn import RedisConnection
from .conn import reachable as _reachable
from .orders import _items, _token


class RedisReview(RedisConnection):
    """The review queue."""

    async def list_review(self, show_id: str, status: str = "open") -> list[ReviewItem]:
        with _reachable():
            ids = await self.client.zrange(self.key("show", show_id, "review"), 0, -1)
            names = [self.key("review", str(i)) for i in ids]
            docs = await self.client.mget(names) if names else []
        items = [codec.review_from(json.loads(d)) for d in docs if d is not None]
        return sorted((i for i in items if i.status == status), key=lambda i: i.id)

    async def resolve_review(self, review_id: int, items: Sequence[CaptureItem], actor: str,
                             now: float) -> Changed:
        out = await self._run("review", now, review_id, _items(items), actor, _token())
        codec.raise_for(out, f"review item {review_id}")
        return Changed(codec.fresh_order(out), codec.events_from(out, now))

    async def dismiss_review(self, review_id: int, actor: str, now: float) -> ReviewItem:
        out = await self._run("dismiss", now, review_id)
        codec.raise_for(out, f"review item {review_id}")
        return codec.review_from(out["r"]["item"])
