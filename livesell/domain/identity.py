"""Who a site buyer is: a random id the server signs, so a buyer keeps one identity across
reloads and reconnects (invariant 9) and nobody can claim another buyer's.

The signature binds the id to the site it was issued for: an id signed for one livesell
deployment (or for another use of the same key) is refused by every other. Pure functions:
the HTTP edge stores the signed value in an HttpOnly cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

# 16 random bytes: never guessed, and short enough for an author id.
_ID_BYTES = 16
_SIG_CHARS = 32


def buyer_key(secret: bytes) -> bytes:
    """A key of its own for buyer ids, derived from the deployment's secret."""
    return hmac.new(secret, b"livesell buyer id v1", hashlib.sha256).digest()


def new_buyer_id() -> str:
    return secrets.token_urlsafe(_ID_BYTES)


def _signature(key: bytes, site: str, buyer_id: str) -> str:
    message = f"{site}\n{buyer_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:_SIG_CHARS]


def sign_buyer(key: bytes, site: str, buyer_id: str) -> str:
    """The value a buyer's browser keeps: ``id.signature``."""
    return f"{buyer_id}.{_signature(key, site, buyer_id)}"


def read_buyer(key: bytes, site: str, value: str | None) -> str | None:
    """The buyer id in a signed value, or None when it is missing, malformed or forged."""
    if not value or len(value) > 200:
        return None
    buyer_id, dot, signature = value.rpartition(".")
    if not dot or not buyer_id or not buyer_id.replace("-", "").replace("_", "").isalnum():
        return None
    if not hmac.compare_digest(signature, _signature(key, site, buyer_id)):
        return None
    return buyer_id


def address_key(key: bytes, address: str) -> str:
    """A stable, non-reversible name for a client address (orders never store the address)."""
    return hmac.new(key, f"address\n{address}".encode(), hashlib.sha256).hexdigest()[:16]
