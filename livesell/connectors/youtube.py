"""YouTube Live chat through the Data API v3 (``liveChatMessages.list``), polled.

The API hands out pages with a ``nextPageToken`` and tells us how long to wait before asking
again (``pollingIntervalMillis``). The token is our cursor: it moves only after intake took
the page, so a failed intake re-delivers the same comments instead of skipping them.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

import aiohttp

from .base import Backoff, Comment, Deliver, PlatformError, deliver_reliably, get_json, redact
from .base import author as comment_author
from .cursors import Cursor
from .health import ConnectorHealth

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://www.googleapis.com"
# Error reasons meaning the chat is gone for good: polling again cannot bring it back.
CHAT_OVER = frozenset({"liveChatEnded", "liveChatDisabled", "liveChatNotFound"})
# 403 reasons that clear within seconds, unlike a bad key or a spent daily quota.
RATE_LIMITED = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
NETWORK_ERRORS = (aiohttp.ClientError, TimeoutError)
# Quota units one liveChatMessages.list call costs, and a project's default daily quota.
LIST_COST = 5
DEFAULT_QUOTA = 10_000


def budget_interval(quota_per_day: int, show_hours: float, cost: int = LIST_COST) -> float:
    """The shortest poll interval (seconds) that lets the day's quota last the whole show."""
    calls = max(1, quota_per_day // cost)
    return show_hours * 3600.0 / calls


def error_reason(body: Any) -> str:
    """The machine reason of a Google API error body (``error.errors[0].reason``)."""
    if isinstance(body, dict) and isinstance(err := body.get("error"), dict):
        errors = err.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("reason", ""))
        return str(err.get("status", ""))
    return ""


def to_comment(item: Any) -> Comment | None:
    """Our comment shape for a chat text message; None for anything else (joins, deletions)."""
    if not isinstance(item, dict):
        return None
    snippet = item.get("snippet") or {}
    author = item.get("authorDetails") or {}
    if not isinstance(snippet, dict) or not isinstance(author, dict):
        return None
    if snippet.get("type") != "textMessageEvent" or not item.get("id"):
        return None
    text = snippet.get("displayMessage")
    if not isinstance(text, str):
        details = snippet.get("textMessageDetails") or {}
        text = details.get("messageText") if isinstance(details, dict) else None
    if not isinstance(text, str):
        return None
    comment: Comment = {
        "source": "youtube",
        "id": str(item["id"]),
        "author": comment_author(str(author.get("channelId") or snippet.get("authorChannelId")
                                  or ""), str(author.get("displayName") or "")),
        "text": text,
    }
    if sent := published(snippet.get("publishedAt")):
        comment["sent_at"] = sent
    return comment


def published(value: Any) -> float | None:
    """An RFC 3339 ``publishedAt`` as epoch seconds."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class YouTubeChat:
    """Polls one live chat, found from ``live_chat_id`` or the live ``video_id``."""

    source = "youtube"

    def __init__(self, *, api_key: str, video_id: str = "", live_chat_id: str = "",
                 base_url: str = DEFAULT_BASE_URL, poll_seconds: float = 5.0,
                 backoff_initial: float = 1.0, backoff_max: float = 60.0,
                 request_timeout: float = 30.0, quota_per_day: int = DEFAULT_QUOTA,
                 show_hours: float = 0.0, oauth_token: str = "") -> None:
        if not (video_id or live_chat_id):
            raise ValueError("youtube connector needs video_id or live_chat_id")
        self.api_key = api_key
        self.video_id = video_id
        self.live_chat_id = live_chat_id
        self.base_url = base_url.rstrip("/")
        self.poll_seconds = poll_seconds
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.request_timeout = request_timeout
        self.name = f"youtube {live_chat_id or video_id}"
        # Polls never come faster than this, so the day's quota lasts the whole show
        # (``show_hours`` set); 0 trusts YouTube's own pollingIntervalMillis.
        self.min_interval = budget_interval(quota_per_day, show_hours) if show_hours else 0.0
        self.quota_budget = quota_per_day
        self.cursor_id = live_chat_id or video_id
        self.chat_id = live_chat_id
        self.oauth_token = oauth_token  # only to post replies; reading needs the API key
        self.cursor: Cursor | None = None
        self.health = ConnectorHealth(kind="youtube", name=self.name)
        self.health.quota_budget = quota_per_day
        self.health.quota_used = 0

    def _backoff(self) -> Backoff:
        return Backoff(self.backoff_initial, self.backoff_max)

    async def run(self, deliver: Deliver) -> None:
        """Poll until cancelled or the chat ends."""
        timeout = aiohttp.ClientTimeout(total=self.request_timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            backoff = self._backoff()
            chat_id = self.live_chat_id or await self._resolve(session, backoff)
            self.chat_id = chat_id  # where replies go
            if not chat_id:
                return
            await self._poll(session, chat_id, deliver, backoff)

    async def _resolve(self, session: aiohttp.ClientSession, backoff: Backoff) -> str:
        """The video's active chat id, waiting while the stream has not started yet."""
        url = f"{self.base_url}/youtube/v3/videos"
        params = {"part": "liveStreamingDetails", "id": self.video_id, "key": self.api_key}
        while True:
            try:
                doc = await get_json(session, url, params, error_reason)
            except PlatformError as exc:
                await self._platform_error(exc, backoff)
                continue
            except NETWORK_ERRORS as exc:
                self._warn("video lookup failed", exc)
                await backoff.wait()
                continue
            items = doc.get("items") if isinstance(doc, dict) else None
            details = (items[0].get("liveStreamingDetails") or {}
                       if isinstance(items, list) and items and isinstance(items[0], dict)
                       else None)
            if not isinstance(details, dict):
                log.error("%s: no such live video; check video_id", self.name)
                await backoff.wait_longest()
                continue
            if chat_id := details.get("activeLiveChatId"):
                log.info("%s: reading live chat", self.name)
                return str(chat_id)
            if details.get("actualEndTime"):
                log.info("%s: the stream has ended; nothing to read", self.name)
                return ""
            # Scheduled but not live yet: hosts start the connector before going on air.
            log.info("%s: waiting for the stream to go live", self.name)
            await backoff.wait()

    async def _poll(self, session: aiohttp.ClientSession, chat_id: str, deliver: Deliver,
                    backoff: Backoff) -> None:
        url = f"{self.base_url}/youtube/v3/liveChat/messages"
        intake_backoff = self._backoff()
        saved = await self.cursor.load() if self.cursor else {}
        # Resume where the last run left off, if it read this same chat.
        page_token = str(saved.get("token") or "") if saved.get("chat") == chat_id else ""
        if page_token:
            log.info("%s: resuming after a restart", self.name)
        while True:
            params = {"liveChatId": chat_id, "part": "snippet,authorDetails",
                      "key": self.api_key}
            if page_token:
                params["pageToken"] = page_token
            try:
                self.health.quota_used = (self.health.quota_used or 0) + LIST_COST
                page = await get_json(session, url, params, error_reason)
                if not isinstance(page, dict):
                    raise PlatformError(502, "malformed answer")
            except PlatformError as exc:
                if exc.reason in CHAT_OVER:
                    log.info("%s: chat is over (%s)", self.name, exc.reason)
                    return
                await self._platform_error(exc, backoff)
                continue
            except NETWORK_ERRORS as exc:
                self._warn("poll failed", exc)
                await backoff.wait()
                continue
            backoff.reset()
            self.health.working()
            batch = [c for item in page.get("items") or () if (c := to_comment(item))]
            if batch:
                await deliver_reliably(deliver, batch, intake_backoff, self.name)
            # Only now, with the page safely captured, may the cursor move past it.
            page_token = str(page.get("nextPageToken") or page_token)
            if self.cursor is not None:
                await self.cursor.save({"chat": chat_id, "token": page_token})
            if page.get("offlineAt"):
                log.info("%s: chat went offline", self.name)
                return
            interval = page.get("pollingIntervalMillis")
            wait = interval / 1000 if isinstance(interval, int | float) else self.poll_seconds
            if wait < self.min_interval:
                wait = self.min_interval
                self.health.warn(f"polling every {wait:.1f} s so the quota lasts the show")
            self.health.poll_seconds = round(wait, 2)
            await asyncio.sleep(max(0.0, wait))

    async def _platform_error(self, exc: PlatformError, backoff: Backoff) -> None:
        self._warn("API error", exc)
        if exc.reason in ("quotaExceeded", "dailyLimitExceeded"):
            self.health.warn("YouTube quota spent for today; waiting for it to reset")
        if exc.transient or exc.reason in RATE_LIMITED:
            await backoff.wait(exc.retry_after)
        else:
            # Bad key, spent quota, forbidden: a quick retry only burns quota. Keep trying,
            # slowly, so a fixed key or a new quota day resumes capture without a restart.
            await backoff.wait_longest()

    def _warn(self, what: str, exc: BaseException) -> None:
        self.health.failed(f"{what}: {redact(str(exc), [self.api_key])}")
        log.warning("%s: %s (%s: %s); retrying", self.name, what, type(exc).__name__,
                    redact(str(exc), [self.api_key]))
