"""Where a connector left off, kept in the store so a restart resumes instead of re-reading.

Cursors are small JSON documents (a YouTube page token, the ids a Facebook poller already
delivered and how many it counted) under ``cursor:<show>:<source>:<chat>`` in the store's
key-value ``meta`` space, which both backends keep durably. A cursor is saved only after the
comments before it were captured: on a crash between the two, the restart re-delivers a page
and intake answers ``duplicate``; nothing is ever skipped.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol

log = logging.getLogger(__name__)


class KeyValue(Protocol):
    """The part of the Store a cursor needs."""

    async def get_meta(self, key: str) -> str | None: ...
    async def set_meta(self, key: str, value: str) -> None: ...


class Cursor:
    """One connector's resume point: ``load`` at start, ``save`` after each captured page."""

    def __init__(self, store: KeyValue, show: str, source: str, chat: str) -> None:
        self.store = store
        self.key = f"cursor:{show}:{source}:{chat}"
        self._last = ""

    async def load(self) -> dict[str, Any]:
        """The saved document, or an empty one (first start, or unreadable)."""
        raw = await self.store.get_meta(self.key)
        if not raw:
            return {}
        try:
            doc = json.loads(raw)
        except ValueError:
            log.warning("cursor %s is not JSON; starting from the platform's beginning", self.key)
            return {}
        self._last = raw
        return doc if isinstance(doc, dict) else {}

    async def save(self, doc: dict[str, Any]) -> None:
        """Persist ``doc``; an unchanged document costs no write."""
        raw = json.dumps(doc, separators=(",", ":"), sort_keys=True)
        if raw != self._last:
            await self.store.set_meta(self.key, raw)
            self._last = raw
