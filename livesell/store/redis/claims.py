"""Staff work on the Redis store: claims, printed marks, comment figures for the report.

    {p}:show:ID:claims     hash   order code -> {"holder", "expires_at"} (claims.lua)
    {p}:show:ID:printed    hash   order code -> when its packing slip or list was printed
    {p}:show:ID:duty       hash   staff name -> {"products", "until"} (who is on duty)

Claims change through one small script (``scripts/claims.lua``, the twin of
``domain.claims``); expired ones are dropped when listed.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from importlib import resources
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from ...domain.claims import Claim, ClaimHeld, Duty
from .conn import RedisConnection, reachable

_SCRIPTS: dict[int, AsyncScript] = {}


def claims_script(client: Redis) -> AsyncScript:
    """The claims script registered on this client (redis-py reloads it on NOSCRIPT)."""
    script = _SCRIPTS.get(id(client))
    if script is None:
        text = resources.files(__package__).joinpath("scripts/claims.lua").read_text("utf-8")
        script = _SCRIPTS[id(client)] = client.register_script(text)
    return script


class RedisClaims(RedisConnection):
    """Claims, printed marks, the duty roster and comment figures of the Redis store."""

    async def _claim_op(self, op: str, show_id: str, code: str, who: str, now: float,
                        expires_at: float) -> tuple[bool, str, float]:
        with reachable():
            done, holder, expires = await claims_script(self.client)(
                keys=[self.anchor],
                args=[op, self.key("show", show_id, "claims"), code.upper(), who, repr(now),
                      repr(expires_at)])
        if done:
            await self._durable()
        return bool(done), str(holder), float(expires)

    async def claim_order(self, show_id: str, code: str, who: str, now: float,
                          seconds: float) -> Claim:
        done, holder, expires = await self._claim_op("take", show_id, code, who, now,
                                                     now + seconds)
        claim = Claim(code.upper(), show_id, holder, expires)
        if not done:
            raise ClaimHeld(f"{holder} is working on order {code}", claim=claim)
        return claim

    async def release_claim(self, show_id: str, code: str, who: str, now: float) -> bool:
        done, _, _ = await self._claim_op("release", show_id, code, who, now, 0.0)
        return done

    async def list_claims(self, show_id: str, now: float) -> list[Claim]:
        with reachable():
            raw = await self.client.hgetall(self.key("show", show_id, "claims"))
        claims = []
        for code, doc in raw.items():
            entry = json.loads(doc)
            if float(entry["expires_at"]) > now:
                claims.append(Claim(str(code), show_id, str(entry["holder"]),
                                    float(entry["expires_at"])))
        return sorted(claims, key=lambda c: c.code)

    async def set_duty(self, show_id: str, duty: Duty) -> None:
        with reachable():
            await self.client.hset(self.key("show", show_id, "duty"), duty.holder, json.dumps(
                {"products": list(duty.products), "until": repr(duty.until)}))
        await self._durable()

    async def list_duty(self, show_id: str, now: float) -> list[Duty]:
        with reachable():
            raw = await self.client.hgetall(self.key("show", show_id, "duty"))
        roster = []
        for holder, doc in raw.items():
            entry = json.loads(doc)
            if float(entry["until"]) > now:
                roster.append(Duty(str(holder), tuple(entry["products"]), float(entry["until"])))
        return sorted(roster, key=lambda d: d.holder)

    async def mark_printed(self, show_id: str, codes: Sequence[str], now: float) -> None:
        if not codes:
            return
        with reachable():
            await self.client.hset(self.key("show", show_id, "printed"),
                                   mapping={c.upper(): repr(now) for c in codes})
        await self._durable()

    async def printed(self, show_id: str) -> dict[str, float]:
        with reachable():
            raw = await self.client.hgetall(self.key("show", show_id, "printed"))
        return {str(k): float(v) for k, v in raw.items()}

    async def comment_stats(self, show_id: str) -> dict[str, Any]:
        """Comments per minute and per source. Redis keeps comments by source id only, so this
        walks every comment key (SCAN, in batches): fine for a report after the show."""
        minutes: Counter[int] = Counter()
        sources: Counter[str] = Counter()
        with reachable():
            batch: list[str] = []
            async for name in self.client.scan_iter(match=self.key("comment", "*"), count=1000):
                batch.append(name)
                if len(batch) >= 1000:
                    await self._count(batch, show_id, minutes, sources)
                    batch = []
            await self._count(batch, show_id, minutes, sources)
        return {"minutes": sorted(minutes.items()), "sources": dict(sorted(sources.items()))}

    async def _count(self, names: list[str], show_id: str, minutes: Counter[int],
                     sources: Counter[str]) -> None:
        if not names:
            return
        pipe = self.client.pipeline(transaction=False)
        for name in names:
            pipe.hmget(name, "show_id", "source", "received_at")
        for show, source, received in await pipe.execute():
            if show == show_id and received is not None:
                minutes[int(float(received) // 60) * 60] += 1
                sources[str(source)] += 1
