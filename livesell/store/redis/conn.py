"""The Redis store's connection: client settings, scripts, durability, errors as 503s."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeout

from ...domain.errors import StoreUnavailable
from . import codec
from .lua import Scripts

log = logging.getLogger(__name__)


@contextmanager
def reachable() -> Iterator[None]:
    """A dead or unreachable Redis becomes a 503, never a silent success."""
    try:
        yield
    except (ConnectionError, RedisTimeout) as exc:
        raise StoreUnavailable("the Redis store is unreachable", cause=str(exc)) from exc


class RedisConnection:
    """One client and its scripts, under one key prefix (hash tag ``{prefix}``)."""

    def __init__(self, url: str, prefix: str = "ls", wait_aof: bool = False,
                 aof_timeout_ms: int = 1000) -> None:
        self.url = url
        self.prefix = prefix
        self.tag = "{" + prefix + "}"
        self.anchor = self.key("seq")
        self.wait_aof = wait_aof
        self.aof_timeout_ms = aof_timeout_ms
        self._client: Redis | None = None
        self._scripts: Scripts | None = None

    def key(self, *parts: str) -> str:
        return ":".join((self.tag, *parts))

    @property
    def client(self) -> Redis:
        if self._client is None:
            raise RuntimeError("store is not running")
        return self._client

    @property
    def scripts(self) -> Scripts:
        if self._scripts is None:
            raise RuntimeError("store is not running")
        return self._scripts

    async def start(self) -> None:
        self._client = Redis.from_url(
            self.url, decode_responses=True, socket_timeout=2.0, socket_connect_timeout=2.0,
            health_check_interval=10,
            retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=3),
            retry_on_error=[ConnectionError, RedisTimeout],
        )
        self._scripts = Scripts(self._client)
        with reachable():
            await self.client.hsetnx(self.key("meta"), "stock_version", 0)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def ping(self) -> bool:
        try:
            return bool(await self.client.ping())
        except (RedisError, OSError, RuntimeError):
            return False

    async def persistence_info(self) -> dict[str, Any]:
        """INFO persistence plus the RDB ``save`` setting when CONFIG is allowed."""
        with reachable():
            info: dict[str, Any] = dict(await self.client.info("persistence"))
            try:
                info["save"] = (await self.client.config_get("save")).get("save", "")
            except ResponseError:  # managed services often disable CONFIG
                pass
        return info

    async def delete_everything(self) -> None:
        """Delete every key under this store's prefix (tests), never anything else."""
        pattern = self.tag.replace("[", "\\[").replace("*", "\\*").replace("?", "\\?") + ":*"
        batch: list[str] = []
        async for name in self.client.scan_iter(match=pattern, count=500):
            batch.append(name)
            if len(batch) >= 500:
                await self.client.unlink(*batch)
                batch = []
        if batch:
            await self.client.unlink(*batch)

    # -- plumbing --------------------------------------------------------------------------

    async def _run(self, name: str, now: float, *args: Any) -> dict[str, Any]:
        """Run one write script and wait for its durability; returns its decoded answer."""
        with reachable():
            raw = await self.scripts.run(name, [self.anchor], [self.tag, codec.stamp(now),
                                                               *args])
            await self._durable()
        return codec.decode(raw)

    async def _durable(self) -> None:
        """With ``wait_aof``, wait until the write reached the local append-only file."""
        if not self.wait_aof:
            return
        try:
            local, _replicas = await self.client.execute_command(  # type: ignore[no-untyped-call]
                "WAITAOF", 1, 0, self.aof_timeout_ms)
        except ResponseError as exc:  # Redis < 7.2, or appendonly off: said once, then skipped
            log.warning("WAITAOF unavailable (%s); continuing without it", exc)
            self.wait_aof = False
            return
        if int(local) < 1:
            # Not on disk in time: answer 503 so the sender retries (a retry is a duplicate).
            raise StoreUnavailable("the write did not reach the append-only file in time")

