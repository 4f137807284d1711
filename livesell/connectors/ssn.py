"""Social Stream Ninja relay: every chat SSN collects (TikTok, Facebook, YouTube, Instagram,
Twitch, Kick...) read from one WebSocket API channel.

SSN is an open-source chat collector many streamers already run in their browser. Its relay
(``wss://io.socialstream.ninja``, or a self-hosted one) forwards each message to the API
clients that joined the session: ``/join/<session>/<in channel>``. A message is JSON with
``id``, ``chatname``, ``chatmessage`` (may hold HTML), ``type`` (the platform), ``userid``
and, for follows, gifts and other stream events, ``event``. SSN keeps no history for us: the
reader reconnects at once and never waits on intake.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
import logging
import re
from collections.abc import Mapping
from typing import Any

import websockets
from websockets.asyncio.client import connect

from ..domain.models import SOURCES
from .base import Backoff, Comment, Deliver, SeenWindow, read_and_deliver, redact
from .base import author as comment_author
from .health import ConnectorHealth

log = logging.getLogger(__name__)

DEFAULT_RELAY = "wss://io.socialstream.ninja"
API_CHANNEL = 4
_TAGS = re.compile(r"<[^>]*>")
# SSN platform names that are a source of ours under another name.
_ALIASES = {"youtubeshorts": "youtube", "fb": "facebook", "tiktoklive": "tiktok"}


def ssn_text(value: Any) -> str:
    """Plain text from an SSN ``chatmessage``: tags dropped, entities decoded, emoji kept."""
    if not isinstance(value, str):
        return ""
    # <img alt=":)"> emotes carry their meaning in alt; drop the rest of the markup.
    value = re.sub(r"<img[^>]*\balt=\"([^\"]*)\"[^>]*>", r" \1 ", value)
    return " ".join(html.unescape(_TAGS.sub(" ", value)).split())


def to_comment(message: Any) -> Comment | None:
    """Our comment shape for one SSN chat message; None for events and anything else."""
    if isinstance(message, Mapping) and isinstance(message.get("overlayNinja"), Mapping):
        message = message["overlayNinja"]  # the form SSN uses when it forwards to a dock
    if not isinstance(message, Mapping) or message.get("event"):
        return None
    text = ssn_text(message.get("chatmessage"))
    platform = str(message.get("type") or "").strip().lower()
    name = str(message.get("chatname") or "").strip()
    if not text or not platform:
        return None
    platform = _ALIASES.get(platform, platform)
    source = platform if platform in SOURCES and platform not in ("site", "sim") else "webhook"
    user = str(message.get("userid") or name)
    mid = message.get("id")
    if mid in (None, ""):
        # No id from the relay: one from who said what when, so a re-send is still a repeat.
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        mid = f"{user}:{message.get('timestamp') or ''}:{digest}"
    comment: Comment = {
        # Relay ids are SSN's, not the platform's: kept apart from a direct connector's ids.
        "source": source, "id": f"ssn:{platform}:{mid}",
        "author": comment_author(f"{platform}:{user}" if source == "webhook" else user, name),
        "text": text,
    }
    stamp = message.get("timestamp")
    if isinstance(stamp, int | float) and not isinstance(stamp, bool) and stamp > 0:
        comment["sent_at"] = stamp / 1000 if stamp > 1e11 else float(stamp)
    return comment


class SocialStreamRelay:
    """Joins one SSN session's API channel and reads its chat messages."""

    source = "webhook"  # each comment names its own platform

    def __init__(self, *, session: str = "", url: str = "", backoff_initial: float = 1.0,
                 backoff_max: float = 30.0, open_timeout: float = 10.0,
                 seen_window: int = 5000) -> None:
        if not (session or url):
            raise ValueError("ssn connector needs session (or the full relay url)")
        self.url = url or f"{DEFAULT_RELAY}/join/{session}/{API_CHANNEL}"
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.open_timeout = open_timeout
        self.seen = SeenWindow(seen_window)
        self.name = f"social stream ninja {session or 'relay'}"
        self.secrets = [session] if session else []  # whoever has it reads the chat
        self.health = ConnectorHealth(kind="ssn", name=self.name, official=False)

    async def run(self, deliver: Deliver) -> None:
        """Read and deliver until cancelled; reconnects on every drop."""
        intake_backoff = Backoff(self.backoff_initial, self.backoff_max)
        await read_and_deliver(self._read_forever, deliver, intake_backoff, self.name)

    async def _read_forever(self, queue: asyncio.Queue[Comment]) -> None:
        backoff = Backoff(self.backoff_initial, self.backoff_max)
        first = True
        while True:
            try:
                async with connect(self.url, open_timeout=self.open_timeout,
                                   close_timeout=2) as ws:
                    if not first:
                        self.health.reconnected()
                    first = False
                    log.info("%s: joined", self.name)
                    self.health.working()
                    backoff.reset()
                    async for frame in ws:
                        self._take(frame, queue)
                raise ConnectionError("closed by the relay")
            except (OSError, TimeoutError, websockets.WebSocketException) as exc:
                reason = redact(f"{type(exc).__name__}: {exc}", self.secrets)
                log.warning("%s: connection lost (%s); reconnecting", self.name, reason)
                self.health.failed(reason)
            await backoff.wait()

    def _take(self, frame: str | bytes, queue: asyncio.Queue[Comment]) -> None:
        try:
            doc = json.loads(frame)
        except ValueError:
            return
        # A relay may batch messages in a list.
        for message in doc if isinstance(doc, list) else [doc]:
            comment = to_comment(message)
            if comment is None or comment["id"] in self.seen:
                continue
            # The seen window only spares intake a repeat; intake's (source, id) check is
            # what makes a repeat harmless.
            self.seen.add([comment["id"]])
            queue.put_nowait(comment)
