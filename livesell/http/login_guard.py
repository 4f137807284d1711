"""Login throttling: every attempt counted before it is checked, per address and per account.

Counting first matters: forty wrong passwords sent at once must not all be tried because
each was let in before any had failed. An attempt is recorded against the client's address
(``netaddr.client_address``) and, for password logins, the account name; a success clears
both. Passwords are checked on a worker thread: scrypt takes tens of milliseconds, which on
the event loop would freeze every viewer and console meanwhile.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field

from aiohttp import web

from .. import keys
from ..netaddr import client_address, parse_networks
from .auth import check_password

PER_ADDRESS = (5, 60.0)      # attempts, seconds
PER_ACCOUNT = (10, 900.0)
MAX_KEYS = 10_000


@dataclass
class Window:
    """Attempts per key within a sliding window."""

    limit: int
    seconds: float
    attempts: dict[str, deque[float]] = field(default_factory=dict)

    def wait(self, key: str, now: float) -> int:
        """Seconds until another attempt is allowed (0: allowed now)."""
        times = self.attempts.get(key)
        if not times:
            return 0
        while times and now - times[0] >= self.seconds:
            times.popleft()
        if not times:
            del self.attempts[key]
            return 0
        if len(times) < self.limit:
            return 0
        return max(1, int(self.seconds - (now - times[0])) + 1)

    def record(self, key: str, now: float) -> None:
        self.attempts.setdefault(key, deque(maxlen=self.limit)).append(now)
        if len(self.attempts) > MAX_KEYS:  # many addresses trying once: keep memory bounded
            for quiet in [k for k, v in self.attempts.items()
                          if not v or now - v[-1] >= self.seconds]:
                del self.attempts[quiet]

    def clear(self, key: str) -> None:
        self.attempts.pop(key, None)


@dataclass
class Locked:
    scope: str  # "address" or "account"
    seconds: int


class LoginGuard:
    """Per-address and per-account attempt windows for the login form."""

    def __init__(self) -> None:
        self.addresses = Window(*PER_ADDRESS)
        self.accounts = Window(*PER_ACCOUNT)

    def begin(self, address: str, account: str, now: float) -> Locked | None:
        """Count an attempt before it is checked; or say how long the caller must wait."""
        key = account.casefold()
        if wait := self.addresses.wait(address, now):
            return Locked("address", wait)
        if key and (wait := self.accounts.wait(key, now)):
            return Locked("account", wait)
        self.addresses.record(address, now)
        if key:
            self.accounts.record(key, now)
        return None

    def succeed(self, address: str, account: str) -> None:
        self.addresses.clear(address)
        self.accounts.clear(account.casefold())


GUARD = web.AppKey("login_guard", LoginGuard)
TRUSTED = web.AppKey("trusted_proxies", tuple)


def setup_guard(app: web.Application) -> None:
    app[GUARD] = LoginGuard()
    app[TRUSTED] = parse_networks(app[keys.SETTINGS].trusted_proxies)


def request_address(request: web.Request) -> str:
    """The client's address for limits, through the configured trusted proxies."""
    trusted = request.app[TRUSTED]
    return client_address(request.remote, request.headers.get("X-Forwarded-For"), trusted)




async def verify_password(password: str, stored: str) -> bool:
    """scrypt on a worker thread, so the event loop keeps serving while it runs."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, check_password, password, stored)
