"""What a console session or socket was opened with, and whether that still holds.

A login records its credential in the session (``cred``): ``user:<name>`` for a password,
``token:<sha256>`` for a token, ``admin`` for the configured admin token. Logging out, a
revoked token (``livesell token revoke``) or a removed user (``livesell user remove``) makes
it stop holding; the HTTP edge then drops the session and open ``/staff`` sockets are closed
(``realtime.console_access``).
"""

from __future__ import annotations

from typing import Any

ENDED_PREFIX = "session_ended:"


def token_credential(token_hash: str, via_admin: bool) -> str:
    return "admin" if via_admin else f"token:{token_hash}"


def user_credential(name: str) -> str:
    return f"user:{name}"


async def still_valid(store: Any, cred: str | None, session_sid: str | None) -> bool:
    """Whether a session or socket opened with ``cred`` (and session ``sid``) may go on."""
    if session_sid and await store.get_meta(ENDED_PREFIX + session_sid):
        return False
    if not cred or cred == "admin":
        return True
    kind, _, key = cred.partition(":")
    if kind == "token":
        return await store.token_role(key) is not None
    if kind == "user":
        return await store.get_user(key) is not None
    return False
