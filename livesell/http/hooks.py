"""Signed comment webhooks: what a bridge signs, and the check that refuses anything else.

A bridge sends ``X-Livesell-Signature: t=<unix seconds>,v1=<hex>`` where ``hex`` is
HMAC-SHA256 with ``webhook_secret`` over ``"<t>.<source>." + raw body`` and ``source`` is
the last part of the path it posts to (``/hooks/comments/youtube`` → ``youtube``). Signing
the source stops a body signed for one route being replayed to another (each would make new
orders: the same comment id is new under another source); signing the time bounds a replay
to five minutes, within which intake is idempotent anyway (the same comment answers
``duplicate``). The old body-only ``sha256=`` form is refused for exactly those reasons.
"""

from __future__ import annotations

import hashlib
import hmac

from aiohttp import web

from .. import keys
from ..domain.models import SOURCES

HEADER = "X-Livesell-Signature"
TOLERANCE_SECONDS = 300


def sign(secret: str, source: str, body: bytes, timestamp: int) -> str:
    """The header value a bridge sends for this body (also used by the tests and tools)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{source}.".encode() + body,
                      hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _parts(header: str) -> tuple[int, list[str]] | None:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        return None
    return timestamp, signatures


async def verify_hook(request: web.Request, source: str) -> bytes:
    """The raw body, once its signature is good for this source and recent; else 401/404."""
    secret = request.app[keys.SETTINGS].webhook_secret
    if not secret:
        raise web.HTTPNotFound(reason="webhooks are not enabled (set webhook_secret)")
    if source not in SOURCES:
        raise web.HTTPNotFound(reason=f"unknown comment source {source[:40]!r}")
    raw = await request.read()
    parsed = _parts(request.headers.get(HEADER, ""))
    if parsed is None:
        raise web.HTTPUnauthorized(
            reason=f"missing or malformed {HEADER} (expected t=<unix seconds>,v1=<hex>)")
    timestamp, sent = parsed
    now = float(request.app[keys.CLOCK]())
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise web.HTTPUnauthorized(reason=f"{HEADER} timestamp is more than "
                                          f"{TOLERANCE_SECONDS} s from the server's clock")
    expected = sign(secret, source, raw, timestamp).rpartition("v1=")[2]
    if not any(hmac.compare_digest(s.encode(), expected.encode()) for s in sent):
        raise web.HTTPUnauthorized(reason=f"bad {HEADER} for this source and body")
    return raw
