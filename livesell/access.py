"""Who may do what: roles, their ranks, and the principal a request or socket acts as.

Both the HTTP handlers and the realtime consoles import this; neither imports the other.
Roles rank owner > host > staff; ``ingest`` may only post comments.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from aiohttp import web
from aiohttp_session import get_session

ROLES = ("ingest", "staff", "host", "owner")
RANK = {"ingest": 0, "staff": 1, "host": 2, "owner": 3}


@dataclass(frozen=True, slots=True)
class Principal:
    role: str
    name: str
    via: str  # "token", "admin" or "session"

    def allows(self, role: str) -> bool:
        if role == "ingest":
            return True
        return self.role != "ingest" and RANK[self.role] >= RANK[role]

    @property
    def actor(self) -> str:
        return f"{self.role}:{self.name}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def principal_for_session(request: web.Request) -> Principal | None:
    session = await get_session(request)
    role, name = session.get("role"), session.get("user")
    if isinstance(role, str) and isinstance(name, str) and role in RANK:
        return Principal(role, name, "session")
    return None


async def session_credential(request: web.Request) -> tuple[str | None, str | None]:
    """The credential a console session was opened with (``credentials``), and its id."""
    session = await get_session(request)
    cred, sid = session.get("cred"), session.get("sid")
    return (cred if isinstance(cred, str) else None), (sid if isinstance(sid, str) else None)
