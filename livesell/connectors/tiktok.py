"""TikTok LIVE comments through the unofficial ``TikTokLive`` package (off unless configured).

TikTok offers no official API for LIVE comments. ``TikTokLive`` reads them the way the
TikTok web player does, so it may break whenever TikTok changes that, and using it may not
be allowed by TikTok's terms: it is an optional extra (``pip install 'livesell[tiktok]'``),
labelled unofficial on the host console. For a supported path, let a bridge (Social Stream
Ninja, or your own) post comments to ``/hooks/comments/tiktok``.

The package's client is built by a factory, so tests (and other libraries with the same
shape) can hand in their own: ``add_listener(event_class, handler)``, ``await connect()``
returning when the stream ends or drops, ``await disconnect()``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from typing import Any

from .base import Backoff, Comment, Deliver, read_and_deliver
from .base import author as comment_author
from .health import ConnectorHealth

log = logging.getLogger(__name__)

ClientFactory = Callable[[str], Any]


def _attr(obj: Any, *path: str) -> Any:
    for name in path:
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return obj


def to_comment(event: Any) -> Comment | None:
    """Our comment shape for one ``CommentEvent``; None when it carries no text."""
    text = getattr(event, "comment", None) or getattr(event, "content", None)
    if not isinstance(text, str) or not text.strip():
        return None
    user = getattr(event, "user", None)
    user_id = str(_attr(user, "unique_id") or _attr(user, "id") or "")
    name = str(_attr(user, "nickname") or _attr(user, "nick_name") or user_id)
    mid = (_attr(event, "base_message", "message_id") or _attr(event, "common", "msg_id")
           or _attr(event, "msg_id"))
    sent = _attr(event, "base_message", "create_time") or _attr(event, "common", "create_time")
    if not mid:
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        mid = f"{user_id}:{sent or ''}:{digest}"
    comment: Comment = {"source": "tiktok", "id": str(mid),
                        "author": comment_author(user_id, name), "text": text}
    if isinstance(sent, int | float) and sent > 0:
        comment["sent_at"] = sent / 1000 if sent > 1e11 else float(sent)
    return comment


def _package_client(unique_id: str) -> Any:
    try:
        from TikTokLive import TikTokLiveClient  # type: ignore[import-not-found]
    except ImportError:
        raise RuntimeError("the tiktok connector needs the optional TikTokLive package: "
                           "pip install 'livesell[tiktok]'") from None
    return TikTokLiveClient(unique_id=unique_id)


def _comment_event() -> Any:
    from TikTokLive.events import CommentEvent  # type: ignore[import-not-found]

    return CommentEvent


class TikTokChat:
    """Reads one creator's LIVE comments; reconnects after every drop."""

    source = "tiktok"

    def __init__(self, *, unique_id: str, client_factory: ClientFactory | None = None,
                 comment_event: Any = None, backoff_initial: float = 2.0,
                 backoff_max: float = 120.0) -> None:
        self.unique_id = "@" + unique_id.strip().lstrip("@")
        if self.unique_id == "@":
            raise ValueError("tiktok connector needs the creator's unique_id (@name)")
        self.client_factory = client_factory or _package_client
        self.comment_event = comment_event
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.name = f"tiktok {self.unique_id}"
        self.health = ConnectorHealth(kind="tiktok", name=self.name, official=False)

    async def run(self, deliver: Deliver) -> None:
        intake_backoff = Backoff(self.backoff_initial, self.backoff_max)
        await read_and_deliver(self._read_forever, deliver, intake_backoff, self.name)

    async def _read_forever(self, queue: asyncio.Queue[Comment]) -> None:
        backoff = Backoff(self.backoff_initial, self.backoff_max)
        event_class = self.comment_event or _comment_event()
        first = True
        while True:
            client = self.client_factory(self.unique_id)

            async def on_comment(event: Any) -> None:
                if (comment := to_comment(event)) is not None:
                    queue.put_nowait(comment)
                    backoff.reset()

            client.add_listener(event_class, on_comment)
            if not first:
                self.health.reconnected()
            first = False
            try:
                await client.connect()
                log.info("%s: the LIVE ended or dropped; reconnecting", self.name)
                self.health.warn("LIVE stream ended or dropped; reconnecting")
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the package raises its own types for every failure
                log.warning("%s: %s: %s; retrying", self.name, type(exc).__name__, exc)
                self.health.failed(f"{type(exc).__name__}: {exc}")
            finally:
                disconnect = getattr(client, "disconnect", None)
                if disconnect is not None:
                    try:
                        await disconnect()
                    except Exception:  # already gone
                        log.debug("%s: disconnect failed", self.name, exc_info=True)
            await backoff.wait()


def tiktok_chat(*, unique_id: str, backoff_initial: float = 2.0,
                backoff_max: float = 120.0) -> TikTokChat:
    """The ``tiktok`` entry of ``connectors:`` (the package's own client)."""
    return TikTokChat(unique_id=unique_id, backoff_initial=backoff_initial,
                      backoff_max=backoff_max)
