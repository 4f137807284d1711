"""The platforms' reply calls: Facebook private replies or comment replies, YouTube
``liveChatMessages.insert``, Twitch ``PRIVMSG``. Each raises PlatformError on a refusal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp

from .base import PlatformError, retry_after
from .facebook import DEFAULT_API_VERSION, DEFAULT_BASE_URL, TRANSIENT_CODES, error_reason
from .replies import Reply
from .twitch import TwitchChat
from .youtube import DEFAULT_BASE_URL as YOUTUBE_URL
from .youtube import RATE_LIMITED, YouTubeChat
from .youtube import error_reason as youtube_reason

# A chat message costs this many quota units (liveChatMessages.insert).
INSERT_COST = 50


async def _post(url: str, timeout: float, reason: Any, transient_reasons: frozenset[str],
                **kwargs: Any) -> Any:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        async with session.post(url, **kwargs) as resp:
            try:
                body = await resp.json(content_type=None)
            except ValueError:
                body = None
            if resp.status >= 400:
                why = reason(body)
                status = resp.status
                if why.partition(":")[0] in transient_reasons or why in transient_reasons:
                    status = 503  # throttled: a retry later will do
                raise PlatformError(status, why, retry_after(resp.headers))
            return body


class FacebookReplier:
    """Answers Facebook comments with the Page token: privately (Messenger), or in public."""

    platform = "facebook"

    def __init__(self, *, access_token: str, mode: str = "private",
                 base_url: str = DEFAULT_BASE_URL, api_version: str = DEFAULT_API_VERSION,
                 interval: float = 1.0, request_timeout: float = 15.0) -> None:
        if mode not in ("private", "comment"):
            raise ValueError("facebook reply mode must be 'private' or 'comment'")
        self.access_token = access_token
        self.mode = mode
        self.private = mode == "private"
        self.base = f"{base_url.rstrip('/')}/{api_version}"
        self.interval = interval
        self.request_timeout = request_timeout

    async def send(self, reply: Reply, comment: Mapping[str, Any]) -> None:
        # One private reply per comment, within days of it: Facebook refuses the rest.
        edge = "private_replies" if self.private else "comments"
        await _post(f"{self.base}/{reply.comment_id}/{edge}", self.request_timeout,
                    error_reason, TRANSIENT_CODES,
                    data={"message": reply.text, "access_token": self.access_token})


class GraphReader:
    """Reads one comment's current text with the Page token (for webhook edits)."""

    def __init__(self, *, access_token: str, base_url: str = DEFAULT_BASE_URL,
                 api_version: str = DEFAULT_API_VERSION, request_timeout: float = 15.0) -> None:
        self.access_token = access_token
        self.base = f"{base_url.rstrip('/')}/{api_version}"
        self.timeout = aiohttp.ClientTimeout(total=request_timeout)

    async def __call__(self, comment_id: str) -> str | None:
        params = {"fields": "message", "access_token": self.access_token}
        async with aiohttp.ClientSession(timeout=self.timeout) as session:
            async with session.get(f"{self.base}/{comment_id}", params=params) as resp:
                try:
                    body = await resp.json(content_type=None)
                except ValueError:
                    body = None
                if resp.status >= 400:
                    raise PlatformError(resp.status, error_reason(body), retry_after(resp.headers))
        message = body.get("message") if isinstance(body, dict) else None
        return message if isinstance(message, str) else None


class YouTubeReplier:
    """Posts to the live chat the connector reads, with an OAuth token of the channel."""

    platform = "youtube"
    private = False

    def __init__(self, chat: YouTubeChat, *, oauth_token: str, base_url: str = "",
                 interval: float = 2.0, request_timeout: float = 15.0) -> None:
        self.chat = chat
        self.oauth_token = oauth_token
        self.url = f"{(base_url or chat.base_url or YOUTUBE_URL).rstrip('/')}" \
                   "/youtube/v3/liveChat/messages"
        self.interval = interval
        self.request_timeout = request_timeout

    async def send(self, reply: Reply, comment: Mapping[str, Any]) -> None:
        if not self.chat.chat_id:
            raise PlatformError(503, "live chat not found yet")
        body = {"snippet": {"liveChatId": self.chat.chat_id, "type": "textMessageEvent",
                            "textMessageDetails": {"messageText": reply.text}}}
        health = self.chat.health
        health.quota_used = (health.quota_used or 0) + INSERT_COST
        await _post(self.url, self.request_timeout, youtube_reason, RATE_LIMITED,
                    params={"part": "snippet"}, json=body,
                    headers={"Authorization": f"Bearer {self.oauth_token}"})


class TwitchReplier:
    """Replies in the channel's chat through the connector's own logged-in connection."""

    platform = "twitch"
    private = False

    def __init__(self, chat: TwitchChat, *, interval: float = 1.5) -> None:
        # Twitch lets a bot that is not a moderator send 20 messages per 30 seconds.
        self.chat = chat
        self.interval = interval

    async def send(self, reply: Reply, comment: Mapping[str, Any]) -> None:
        try:
            await self.chat.say(reply.text, reply_to=reply.comment_id)
        except PermissionError as exc:
            raise PlatformError(403, str(exc)) from None
