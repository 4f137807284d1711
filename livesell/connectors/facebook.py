"""Facebook Live comments through the Graph API: polled newest-first, or streamed.

The comments edge has no "since my last page" token that survives new comments arriving, so
each poll reads newest-first until it meets a comment already delivered, and a window of
recently delivered ids keeps the same comment from being sent twice in a row. Intake's own
(source, id) dedupe stays the safety net when the window forgets.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from .base import (
    Backoff,
    Comment,
    Deliver,
    PlatformError,
    SeenWindow,
    deliver_reliably,
    get_json,
    read_and_deliver,
    redact,
    retry_after,
)
from .base import author as comment_author
from .cursors import Cursor
from .health import ConnectorHealth

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v19.0"
FIELDS = "id,message,from,created_time"
# Graph API throttling codes (app, user, page, custom and page-level limits) and its
# "temporary" errors: they come back as 400/403, yet they clear on their own.
TRANSIENT_CODES = frozenset({"1", "2", "4", "17", "32", "341", "613", "80001"})
NETWORK_ERRORS = (aiohttp.ClientError, TimeoutError)
# How many recently delivered ids the cursor keeps: enough to find our place after a restart.
CURSOR_IDS = 300


def error_reason(body: Any) -> str:
    """``"<code>:<message>"`` from a Graph API error body."""
    if isinstance(body, dict) and isinstance(err := body.get("error"), dict):
        return f"{err.get('code', '')}:{err.get('message', '')}"
    return ""


def to_comment(item: Any) -> Comment | None:
    """Our comment shape for one Graph comment; None when it carries no text."""
    if not isinstance(item, dict) or not item.get("id"):
        return None
    text = item.get("message")
    if not isinstance(text, str):
        return None  # sticker or photo only: nothing to parse
    author = item.get("from") or {}
    if not isinstance(author, dict):
        author = {}
    # ``from`` is only present when the token may see the commenter; intake falls back to
    # the comment id as the buyer, so such viewers still get an order each.
    return {"source": "facebook", "id": str(item["id"]),
            "author": comment_author(str(author.get("id") or ""), str(author.get("name") or "")),
            "text": text}


class FacebookLive:
    """Polls the comments of one live video with a page access token."""

    source = "facebook"

    def __init__(self, *, live_video_id: str, access_token: str,
                 base_url: str = DEFAULT_BASE_URL, api_version: str = DEFAULT_API_VERSION,
                 poll_seconds: float = 3.0, max_pages: int = 10, seen_window: int = 5000,
                 backoff_initial: float = 1.0, backoff_max: float = 60.0,
                 request_timeout: float = 30.0) -> None:
        if not live_video_id:
            raise ValueError("facebook connector needs live_video_id")
        self.live_video_id = live_video_id
        self.access_token = access_token
        self.url = f"{base_url.rstrip('/')}/{api_version}/{live_video_id}/comments"
        self.base_url = base_url
        self.api_version = api_version
        self.poll_seconds = poll_seconds
        self.max_pages = max_pages
        self.seen_window = seen_window
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.request_timeout = request_timeout
        self.name = f"facebook {live_video_id}"
        self.cursor_id = live_video_id
        self.cursor: Cursor | None = None
        self.health = ConnectorHealth(kind="facebook", name=self.name)
        self.counted = 0  # distinct comments met on this video, for loss detection

    async def run(self, deliver: Deliver) -> None:
        """Poll until cancelled (a Facebook live video has no "chat over" signal)."""
        seen = SeenWindow(self.seen_window)
        saved = await self.cursor.load() if self.cursor else {}
        ids = saved.get("seen")
        if isinstance(ids, list):
            seen.add(str(i) for i in ids)
        self.counted = max(self.counted, int(saved.get("count") or 0))
        backoff = Backoff(self.backoff_initial, self.backoff_max)
        intake_backoff = Backoff(self.backoff_initial, self.backoff_max)
        timeout = aiohttp.ClientTimeout(total=self.request_timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                try:
                    fresh = await self._fetch_new(session, seen)
                except PlatformError as exc:
                    self._warn("API error", exc)
                    code = exc.reason.partition(":")[0]
                    if exc.transient or code in TRANSIENT_CODES:
                        await backoff.wait(exc.retry_after)
                    else:
                        # Expired token, missing permission: keep trying slowly so a fixed
                        # token resumes capture without restarting the server.
                        await backoff.wait_longest()
                    continue
                except NETWORK_ERRORS as exc:
                    self._warn("poll failed", exc)
                    await backoff.wait()
                    continue
                backoff.reset()
                self.health.working()
                comments, met = fresh
                if comments:
                    await deliver_reliably(deliver, comments, intake_backoff, self.name)
                if met:
                    # Remembered only once captured: a failed intake is retried above and
                    # never leaves these ids looking "already delivered".
                    seen.add(met)
                    self.counted += len(met)
                    if self.cursor is not None:
                        await self.cursor.save({"seen": seen.recent(CURSOR_IDS),
                                                "count": self.counted})
                if self.total is not None:
                    self.health.missing = max(0, self.total - self.counted)
                await asyncio.sleep(self.poll_seconds)

    total: int | None = None  # Facebook's own count of the video's comments, when it gives one

    async def _fetch_new(self, session: aiohttp.ClientSession,
                         seen: SeenWindow) -> tuple[list[Comment], list[str]]:
        """Comments not yet delivered, oldest first, reading back until a known one; and the
        ids of every new item met (text or not)."""
        params = {"access_token": self.access_token, "order": "reverse_chronological",
                  "fields": FIELDS, "filter": "stream", "limit": "100", "summary": "true"}
        fresh: dict[str, Comment] = {}
        met: dict[str, None] = {}
        for number in range(self.max_pages):
            page = await get_json(session, self.url, params, error_reason)
            data = page.get("data") if isinstance(page, dict) else None
            if not isinstance(data, list):
                raise PlatformError(502, "malformed answer")
            if number == 0:
                summary = page.get("summary")
                count = summary.get("total_count") if isinstance(summary, dict) else None
                if isinstance(count, int):
                    self.total = count
            reached_known = False
            for item in data:
                cid = str(item.get("id") or "") if isinstance(item, dict) else ""
                if not cid:
                    continue
                if cid in seen:
                    reached_known = True
                    break
                met[cid] = None
                if (comment := to_comment(item)) is not None:
                    fresh.setdefault(cid, comment)
            paging = page.get("paging")
            paging = paging if isinstance(paging, dict) else {}
            cursors = paging.get("cursors")
            after = cursors.get("after") if isinstance(cursors, dict) else None
            if reached_known or not after or not paging.get("next"):
                break
            params = {**params, "after": str(after)}
        else:
            # Read max_pages of new comments and there are more: the older ones of this
            # burst are not read. Say so instead of dropping them silently.
            log.warning("%s: more than %d pages of new comments in one poll; older ones "
                        "were not read (raise max_pages or lower poll_seconds)",
                        self.name, self.max_pages)
            self.health.warn(f"page limit reached: more than {self.max_pages} pages of new "
                             "comments in one poll, older ones not read")
        return list(reversed(fresh.values())), list(reversed(met))

    def _warn(self, what: str, exc: BaseException) -> None:
        self.health.failed(f"{what}: {redact(str(exc), [self.access_token])}")
        log.warning("%s: %s (%s: %s); retrying", self.name, what, type(exc).__name__,
                    redact(str(exc), [self.access_token]))


STREAM_BASE_URL = "https://streaming-graph.facebook.com"
STREAM_FIELDS = "from{name,id},message,created_time"


async def sse_data(content: aiohttp.StreamReader) -> AsyncIterator[str]:
    """The ``data`` of each server-sent event, multi-line data joined with newlines."""
    data: list[str] = []
    async for raw in content:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if not line:
            if data:
                yield "\n".join(data)
                data = []
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
        # Other fields (event, id, retry) and ":" keepalive comments carry nothing we need.


class FacebookLiveStream:
    """Live comments pushed as server-sent events: lower latency than polling.

    The stream samples at ``comment_rate`` and has no replay after a reconnect, so for a
    show where every comment counts, run it beside a ``facebook`` poller on the same video:
    the stream brings comments in fast, the poller catches any the stream missed, and
    intake answers ``duplicate`` to the overlap.
    """

    source = "facebook"

    def __init__(self, *, live_video_id: str, access_token: str,
                 base_url: str = STREAM_BASE_URL, comment_rate: str = "one_hundred_per_second",
                 idle_seconds: float = 300.0, backoff_initial: float = 1.0,
                 backoff_max: float = 60.0, request_timeout: float = 30.0) -> None:
        if not live_video_id:
            raise ValueError("facebook_stream connector needs live_video_id")
        self.access_token = access_token
        self.url = f"{base_url.rstrip('/')}/{live_video_id}/live_comments"
        self.comment_rate = comment_rate
        self.idle_seconds = idle_seconds
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.request_timeout = request_timeout
        self.name = f"facebook stream {live_video_id}"
        self.health = ConnectorHealth(kind="facebook_stream", name=self.name)

    async def run(self, deliver: Deliver) -> None:
        """Stream until cancelled; reconnects after every drop."""
        intake_backoff = Backoff(self.backoff_initial, self.backoff_max)
        await read_and_deliver(self._read_forever, deliver, intake_backoff, self.name)

    async def _read_forever(self, queue: asyncio.Queue[Comment]) -> None:
        backoff = Backoff(self.backoff_initial, self.backoff_max)
        # No total timeout: the stream lasts the whole show. A silent connection for
        # idle_seconds is treated as dead and reopened.
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=self.request_timeout,
                                        sock_read=self.idle_seconds)
        params = {"access_token": self.access_token, "comment_rate": self.comment_rate,
                  "fields": STREAM_FIELDS}
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                try:
                    await self._stream(session, params, queue, backoff)
                except PlatformError as exc:
                    self._warn("API error", exc)
                    code = exc.reason.partition(":")[0]
                    if exc.transient or code in TRANSIENT_CODES:
                        await backoff.wait(exc.retry_after)
                    else:
                        await backoff.wait_longest()
                    continue
                except (*NETWORK_ERRORS, ValueError) as exc:
                    # ValueError: a line past aiohttp's limit; the stream is unusable as is.
                    self._warn("stream lost", exc)
                self.health.reconnected()
                await backoff.wait()

    async def _stream(self, session: aiohttp.ClientSession, params: dict[str, str],
                      queue: asyncio.Queue[Comment], backoff: Backoff) -> None:
        headers = {"Accept": "text/event-stream"}
        async with session.get(self.url, params=params, headers=headers) as resp:
            if resp.status >= 400:
                try:
                    body = await resp.json(content_type=None)
                except ValueError:
                    body = None
                raise PlatformError(resp.status, error_reason(body), retry_after(resp.headers))
            async for data in sse_data(resp.content):
                try:
                    comment = to_comment(json.loads(data))
                except ValueError:
                    continue  # not JSON: nothing a viewer typed
                if comment is not None:
                    queue.put_nowait(comment)
                    backoff.reset()  # the stream works: a later drop retries quickly
        log.info("%s: stream closed by the server; reopening", self.name)

    def _warn(self, what: str, exc: BaseException) -> None:
        self.health.failed(f"{what}: {redact(str(exc), [self.access_token])}")
        log.warning("%s: %s (%s: %s); retrying", self.name, what, type(exc).__name__,
                    redact(str(exc), [self.access_token]))
