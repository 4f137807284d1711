"""Cross-node fan-out through python-socketio's Redis manager, keeping the fast local path.

Every node publishes its viewer pushes with ``sio.emit(room="show:ID", namespace="/live")``;
AsyncRedisManager hands the message to this node and, through Redis pub/sub, to every other
one. Instead of re-emitting it client by client, each node gives ``/live`` show pushes to its
own encode-once fan-out. Console (``/staff``) events take the manager's normal path. A node's
own ``tick`` parts coming back are skipped: its tick wrote them to its viewers already.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import socketio  # type: ignore[import-untyped,unused-ignore]

from . import names

LocalPush = Callable[[str, str, Any], Awaitable[Any]]


class LiveRedisManager(socketio.AsyncRedisManager):  # type: ignore[misc]
    """AsyncRedisManager that delivers show pushes through a local fan-out function."""

    local_push: LocalPush | None = None

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        room = message.get("room")
        push = self.local_push
        if (push is not None and message.get("namespace") == names.LIVE
                and isinstance(room, str) and room.startswith("show:")
                and not message.get("binary") and message.get("callback") is None):
            if message.get("event") == names.TICK and message.get("host_id") == self.host_id:
                return  # our own tick parts: this node's frame carried them already
            data = message["data"]
            payload = data[0] if isinstance(data, list) and len(data) == 1 else data
            await push(room.removeprefix("show:"), message["event"], payload)
            return
        await super()._handle_emit(message)

    async def close(self) -> None:
        """Stop listening and close both Redis connections (the library has no close of its
        own); safe to call when it never started."""
        thread = getattr(self, "thread", None)
        if isinstance(thread, asyncio.Future) and not thread.done():
            thread.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await thread
        conns: list[Any] = [getattr(self, "pubsub", None), getattr(self, "redis", None)]
        for conn in conns:
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.aclose()
        self.pubsub = None
        self.redis = None


def redis_manager(url: str, prefix: str) -> LiveRedisManager:
    """A manager on the store's Redis, on a channel of this deployment's own."""
    return LiveRedisManager(url, channel=f"{prefix}:socketio")
