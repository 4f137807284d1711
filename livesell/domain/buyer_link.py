"""The buyer's own order page as an absolute link: ``<public_url>/o/<code>?t=<token>``."""

from __future__ import annotations

from urllib.parse import quote


def buyer_url(public_url: str, code: str, token: str) -> str:
    """Absolute link to the buyer page of an order, from the ``public_url`` setting."""
    return f"{public_url.rstrip('/')}/o/{quote(code)}?t={quote(token)}"
