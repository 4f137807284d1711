"""Declared payloads of the socket events clients emit, and ``@socket_event`` to check them.

The same rule as HTTP bodies (``livesell.schema``): a handler sees only checked values, and a
payload that does not fit is answered in the ack with the HTTP error shape,
``{"status": "rejected", "reason": "invalid", "error": {"code", "message", "field"}}``.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

from ..domain import limits
from ..schema import Invalid, Key, Obj, Str, error_body, optional

EventHandler = Callable[[Any, str, dict[str, Any]], Awaitable[dict[str, Any]]]
RawHandler = Callable[[Any, str, Any], Awaitable[dict[str, Any]]]

# /live "comment": what a viewer's page sends.
LIVE_COMMENT = Obj({
    "id": optional(Key(max_len=limits.MAX_COMMENT_ID)),
    "name": optional(Str(max_len=limits.MAX_AUTHOR, strip=False), ""),
    "text": Str(max_len=10**6, strip=False),
})


def rejected(exc: Invalid) -> dict[str, Any]:
    """The ack for a payload that does not fit its schema."""
    return {"status": "rejected", "reason": exc.code, **error_body(exc)}


def socket_event(schema: Obj) -> Callable[[EventHandler], RawHandler]:
    """Check an event's payload against ``schema`` before the (method) handler sees it."""

    def wrap(handler: EventHandler) -> RawHandler:
        @functools.wraps(handler)
        async def checked(self: Any, sid: str, data: Any = None) -> dict[str, Any]:
            try:
                body = schema(data)
            except Invalid as exc:
                return rejected(exc)
            return await handler(self, sid, body)

        checked.schema = schema  # type: ignore[attr-defined]
        return checked

    return wrap


def scoped_comment_id(author: str, client_id: str) -> str:
    """A viewer's comment id as stored: the id its page chose, scoped to that viewer, so a
    page retrying after a reconnect is answered ``duplicate`` but no viewer can reach
    another's comment (and order) by reusing its id."""
    digest = hashlib.sha256(f"{author}\x00{client_id}".encode()).hexdigest()[:32]
    return f"v-{digest}"
