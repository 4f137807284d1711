"""Who is calling: bearer tokens, the admin token, or a console session cookie.

Roles and the principal live in :mod:`livesell.access`. Tokens are stored as SHA-256
hashes, passwords with scrypt.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp_session import get_session

from .. import keys

# re-exported: callers that import these from here keep working
from ..access import RANK as RANK
from ..access import ROLES as ROLES
from ..access import Principal as Principal
from ..access import hash_token as hash_token
from ..access import principal_for_session as principal_for_session
from ..access import session_credential as session_credential

PRINCIPAL = web.RequestKey("principal", object)


def new_token() -> str:
    return "ls_" + secrets.token_urlsafe(24)


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt$16384$8$1${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        actual = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                                p=int(p), dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual.hex(), digest)


TOKEN_CACHE_SECONDS = 30.0


async def principal_for_token(app: web.Application, token: str) -> Principal | None:
    admin = app[keys.SETTINGS].admin_token
    if admin and hmac.compare_digest(token.encode(), admin.encode()):
        return Principal("owner", "admin", "admin")
    digest = hash_token(token)
    # A bridge posts a batch every few milliseconds during a storm: known tokens are kept
    # briefly instead of costing a store read per request. Unknown ones are never cached.
    cache = app.get(keys.TOKEN_CACHE)
    now = time.monotonic()
    hit = cache.get(digest) if cache is not None else None
    if hit is not None and now - hit[0] < TOKEN_CACHE_SECONDS:
        cached: Principal = hit[1]
        return cached
    found = await app[keys.STORE].token_role(digest)
    if not found:
        return None
    principal = Principal(found[0], found[1], "token")
    if cache is not None:
        if len(cache) > 10_000:
            cache.clear()
        cache[digest] = (now, principal)
    return principal


async def identify(request: web.Request) -> Principal | None:
    """The caller, from the Authorization header or the console session."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return await principal_for_token(request.app, token.strip())
    return await principal_for_session(request)


async def csrf_token(request: web.Request) -> str:
    session = await get_session(request)
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(16)
        session["csrf"] = token
    return token


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def requires(role: str) -> Callable[[Handler], Handler]:
    """Handler decorator: 401 without credentials, 403 with a lesser role. Cookie callers
    must also send the session's CSRF token on anything but GET."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def checked(request: web.Request) -> web.StreamResponse:
            principal = await identify(request)
            if principal is None:
                raise web.HTTPUnauthorized(reason="valid bearer token or login required",
                                           headers={"WWW-Authenticate": "Bearer"})
            if not principal.allows(role):
                raise web.HTTPForbidden(reason=f"needs the {role} role")
            if principal.via == "session" and request.method not in ("GET", "HEAD"):
                sent = request.headers.get("X-CSRF-Token", "")
                if not sent or not hmac.compare_digest(sent, await csrf_token(request)):
                    raise web.HTTPForbidden(reason="missing or wrong CSRF token")
            request[PRINCIPAL] = principal
            return await handler(request)

        return checked

    return wrap


def principal(request: web.Request) -> Principal:
    found = request[PRINCIPAL]
    assert isinstance(found, Principal)
    return found
