"""Open ``/staff`` sockets follow their credential: closed at logout, revocation or removal.

Each console socket is remembered with the credential it was opened with. Logging out on
this node closes that session's sockets at once; a watcher re-checks every console every
``WATCH_SECONDS`` (one store read each; consoles are few) so a logout on another node, a
revoked token or a removed user closes them too, and it clears the token cache whenever
``credentials_epoch`` moves so the HTTP edge forgets a revoked token as quickly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ..credentials import still_valid
from ..log_limits import LogLimiter

log = logging.getLogger(__name__)
WATCH_SECONDS = 1.0

Disconnect = Callable[[str], Awaitable[None]]


class ConsoleAccess:
    """Console socket id -> (credential, session id), and the closing of stale ones."""

    def __init__(self, store: Any, disconnect: Disconnect, token_cache: dict[str, Any]) -> None:
        self.store = store
        self.disconnect = disconnect
        self.token_cache = token_cache
        self.sockets: dict[str, tuple[str | None, str | None]] = {}
        self.epoch: int | None = None
        self.running = True
        self.log_limits = LogLimiter(log)

    def opened(self, sid: str, cred: str | None, session_sid: str | None) -> None:
        self.sockets[sid] = (cred, session_sid)

    def closed(self, sid: str) -> None:
        self.sockets.pop(sid, None)

    async def close_session(self, session_sid: str) -> int:
        """Close every console socket of a session that just logged out; how many."""
        gone = [sid for sid, (_, s) in self.sockets.items() if s == session_sid]
        await self._close(gone)
        return len(gone)

    async def _close(self, sids: list[str]) -> None:
        for sid in sids:
            self.sockets.pop(sid, None)
        if sids:
            await asyncio.gather(*(self.disconnect(sid) for sid in sids),
                                 return_exceptions=True)

    async def check(self) -> None:
        """One watch round: follow the epoch, close consoles whose credential is gone."""
        epoch = await self.store.credentials_epoch()
        if epoch != self.epoch:
            if self.epoch is not None:
                self.token_cache.clear()
            self.epoch = epoch
        stale = [sid for sid, (cred, session_sid) in list(self.sockets.items())
                 if not await still_valid(self.store, cred, session_sid)]
        await self._close(stale)

    async def run(self) -> None:
        while self.running:
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception:
                self.log_limits.error("check", "console access check failed; trying again")
            await asyncio.sleep(WATCH_SECONDS)
