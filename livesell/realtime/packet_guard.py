"""Malformed Socket.IO packets are dropped with one log line per connection per minute.

python-socketio raises while decoding a garbled packet and python-engineio logs the whole
traceback, for every packet: 2,000 bad packets made megabytes of log. The decode step is
wrapped here so a bad packet costs one rate-limited line naming the connection.
"""

from __future__ import annotations

import logging
from typing import Any

from ..log_limits import LogLimiter

log = logging.getLogger(__name__)
# What decoding a garbled packet raises (json's JSONDecodeError is a ValueError).
DECODE_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError)


def guard_packets(sio: Any, limiter: LogLimiter | None = None) -> bool:
    """Wrap the Socket.IO server's packet handler; False when the hook is not there."""
    limits = limiter or LogLimiter(log)
    handlers = getattr(getattr(sio, "eio", None), "handlers", None)
    if not isinstance(handlers, dict) or handlers.get("message") is None:
        return False
    original = handlers["message"]

    async def guarded(eio_sid: str, data: Any) -> Any:
        try:
            return await original(eio_sid, data)
        except DECODE_ERRORS as exc:
            limits.log(logging.WARNING, f"packet:{eio_sid}",
                       "malformed Socket.IO packet from connection %s dropped (%s)",
                       eio_sid, type(exc).__name__)
            return None

    handlers["message"] = guarded
    return True
