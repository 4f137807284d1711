"""Local stand-ins for the platforms, speaking the shapes of their real protocols.

YouTube and Facebook are aiohttp apps served by pytest-aiohttp's ``aiohttp_server`` on
127.0.0.1; Twitch is a ``websockets`` server speaking IRC. Each can inject the failures the
connectors must survive: rate limits, server errors, re-sent pages, dropped connections.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from websockets.asyncio.server import ServerConnection

from livesell import keys
from livesell.capture.service import CaptureService
from livesell.domain.models import CaptureResult
from tests.conftest import auth, wait_for

from .wsserver import LoopbackWebSocketServer


def _json(status: int, body: Any, retry_after: float | None = None) -> web.Response:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return web.json_response(body, status=status, headers=headers)


class FakeYouTube:
    """``videos.list`` and ``liveChatMessages.list`` with page tokens and a polling interval."""

    def __init__(self, api_key: str = "yt-secret-key", video_id: str = "vid1",
                 chat_id: str = "chat-1", page_size: int = 3, interval_ms: int = 20) -> None:
        self.api_key = api_key
        self.video_id = video_id
        self.chat_id = chat_id
        self.page_size = page_size
        self.interval_ms = interval_ms
        self.messages: list[dict[str, Any]] = []
        # (status, reason, Retry-After) answered to the next chat polls, one each.
        self.faults: deque[tuple[int, str, float | None]] = deque()
        self.not_live_lookups = 0  # video lookups answered "scheduled, not live yet"
        self.overlap = 0  # each page also re-sends this many items from before its token
        self.ended = False
        self.lookups = 0
        self.polls: list[tuple[float, str, int]] = []  # (loop time, pageToken, status)
        self.oauth_token = "yt-oauth-token"
        self.inserted: list[dict[str, Any]] = []  # liveChatMessages.insert bodies
        self.insert_faults: deque[tuple[int, str]] = deque()

    def say(self, mid: str, text: str, channel: str = "UC1", name: str = "Viewer",
            kind: str = "textMessageEvent") -> None:
        self.messages.append({
            "kind": "youtube#liveChatMessage", "id": mid,
            "snippet": {"type": kind, "liveChatId": self.chat_id, "authorChannelId": channel,
                        "displayMessage": text, "hasDisplayContent": True,
                        "textMessageDetails": {"messageText": text}},
            "authorDetails": {"channelId": channel, "displayName": name},
        })

    def served(self) -> int:
        """How far the newest poll's token reached."""
        tokens = [int(t or 0) for _, t, status in self.polls if status == 200]
        return max(tokens, default=0)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/youtube/v3/videos", self._videos)
        app.router.add_get("/youtube/v3/liveChat/messages", self._messages)
        app.router.add_post("/youtube/v3/liveChat/messages", self._insert)
        return app

    @staticmethod
    def _error(status: int, reason: str, retry_after: float | None = None) -> web.Response:
        return _json(status, {"error": {"code": status, "message": f"{reason} happened",
                                        "errors": [{"reason": reason, "domain": "youtube"}]}},
                     retry_after)

    async def _videos(self, request: web.Request) -> web.Response:
        if request.query.get("key") != self.api_key:
            return self._error(400, "keyInvalid")
        self.lookups += 1
        if request.query.get("id") != self.video_id:
            return _json(200, {"items": []})
        details: dict[str, Any] = {"scheduledStartTime": "2026-11-28T06:00:00Z"}
        if self.lookups > self.not_live_lookups:
            details["activeLiveChatId"] = self.chat_id
        return _json(200, {"items": [{"id": self.video_id, "liveStreamingDetails": details}]})

    async def _insert(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.oauth_token}":
            return self._error(401, "authError")
        if request.query.get("part") != "snippet":
            return self._error(400, "invalidPart")
        if self.insert_faults:
            status, reason = self.insert_faults.popleft()
            return self._error(status, reason)
        body = await request.json()
        snippet = body.get("snippet", {})
        if snippet.get("liveChatId") != self.chat_id:
            return self._error(404, "liveChatNotFound")
        self.inserted.append(body)
        return _json(200, {"kind": "youtube#liveChatMessage", "id": f"LCI.{len(self.inserted)}",
                           "snippet": snippet})

    async def _messages(self, request: web.Request) -> web.Response:
        now = asyncio.get_running_loop().time()
        token = request.query.get("pageToken", "")
        if request.query.get("key") != self.api_key:
            return self._error(400, "keyInvalid")
        if request.query.get("liveChatId") != self.chat_id:
            return self._error(404, "liveChatNotFound")
        if self.faults:
            status, reason, retry_after = self.faults.popleft()
            self.polls.append((now, token, status))
            return self._error(status, reason, retry_after)
        if self.ended:
            self.polls.append((now, token, 403))
            return self._error(403, "liveChatEnded")
        self.polls.append((now, token, 200))
        offset = int(token or 0)
        page = self.messages[offset:offset + self.page_size]
        start = max(0, offset - self.overlap)
        return _json(200, {
            "kind": "youtube#liveChatMessageListResponse",
            "nextPageToken": str(offset + len(page)),
            "pollingIntervalMillis": self.interval_ms,
            "pageInfo": {"totalResults": len(page), "resultsPerPage": self.page_size},
            "items": self.messages[start:offset + len(page)],
        })


class FakeFacebook:
    """The Graph API comments edge of one live video: newest first, cursor paging."""

    def __init__(self, token: str = "fb-secret-token", video_id: str = "987654",
                 page_size: int = 100) -> None:
        self.token = token
        self.video_id = video_id
        self.page_size = page_size
        self.comments: list[dict[str, Any]] = []  # oldest first
        # (status, Graph error code, Retry-After) answered to the next polls, one each.
        self.faults: deque[tuple[int, int, float | None]] = deque()
        self.polls: list[tuple[float, int]] = []  # (loop time, status)
        self.streams: list[asyncio.Queue[bytes | None]] = []  # one per open live stream
        self.stream_opens = 0
        self.hidden = 0  # comments Facebook counts but never lists (so they go missing)
        self.replies: list[dict[str, str]] = []  # {comment, edge, message} as received
        self.reply_faults: deque[tuple[int, int]] = deque()  # (status, Graph code) to answer

    def say(self, cid: str, text: str, user: str = "u1", name: str = "Viewer") -> None:
        self.comments.append({"id": f"{self.video_id}_{cid}", "message": text,
                              "from": {"id": user, "name": name},
                              "created_time": "2026-11-28T06:30:00+0000"})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v19.0/{video}/comments", self._comments)
        app.router.add_post("/v19.0/{comment}/{edge:private_replies|comments}", self._reply)
        app.router.add_get("/v19.0/{comment}", self._one)
        app.router.add_get("/{video}/live_comments", self._live_comments)
        return app

    def push(self, cid: str, text: str, user: str = "u1", name: str = "Viewer") -> None:
        """Send one comment to every open live stream, as a server-sent event."""
        doc = {"id": f"{self.video_id}_{cid}", "message": text,
               "from": {"id": user, "name": name}, "created_time": "2026-11-28T06:30:00+0000"}
        for queue in self.streams:
            queue.put_nowait(f"data: {json.dumps(doc, ensure_ascii=False)}\n\n".encode())

    def end_streams(self) -> None:
        for queue in self.streams:
            queue.put_nowait(None)

    async def _live_comments(self, request: web.Request) -> web.StreamResponse:
        q = request.query
        if q.get("access_token") != self.token:
            return self._error(400, 190, "Invalid OAuth access token")
        if request.match_info["video"] != self.video_id or "message" not in q.get("fields", ""):
            return self._error(400, 100, "Unsupported get request")
        if self.faults:
            status, code, retry_after = self.faults.popleft()
            return self._error(status, code, "Application request limit reached", retry_after)
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-cache"})
        await resp.prepare(request)
        await resp.write(b": keepalive\n\n")
        self.stream_opens += 1
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.streams.append(queue)
        try:
            while True:
                try:
                    chunk = await asyncio.wait_for(queue.get(), 0.05)
                except TimeoutError:
                    # The client went away: stop, or the server's shutdown would wait on us.
                    if request.transport is None or request.transport.is_closing():
                        break
                    continue
                if chunk is None:
                    break
                await resp.write(chunk)
        finally:
            self.streams.remove(queue)
        return resp

    async def _one(self, request: web.Request) -> web.Response:
        if request.query.get("access_token") != self.token:
            return self._error(400, 190, "Invalid OAuth access token")
        wanted = request.match_info["comment"]
        for item in self.comments:
            if item["id"] == wanted or item["id"].endswith(f"_{wanted.rpartition('_')[2]}"):
                return _json(200, {"id": wanted, "message": item["message"]})
        return self._error(400, 100, "Object does not exist")

    async def _reply(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("access_token") != self.token:
            return self._error(400, 190, "Invalid OAuth access token")
        if self.reply_faults:
            status, code = self.reply_faults.popleft()
            return self._error(status, code, "Please retry your request later")
        comment, edge = request.match_info["comment"], request.match_info["edge"]
        if edge == "private_replies" and any(
                r["comment"] == comment and r["edge"] == edge for r in self.replies):
            # Facebook: one private reply per comment.
            return self._error(400, 10900, "Activity already replied to")
        self.replies.append({"comment": comment, "edge": edge,
                             "message": str(form.get("message", ""))})
        return _json(200, {"id": f"m_{len(self.replies)}"} if edge == "private_replies"
                     else {"id": f"{comment}_r{len(self.replies)}"})

    async def _comments(self, request: web.Request) -> web.Response:
        now = asyncio.get_running_loop().time()
        q = request.query
        if q.get("access_token") != self.token:
            self.polls.append((now, 400))
            return self._error(400, 190, "Invalid OAuth access token")
        if request.match_info["video"] != self.video_id:
            return self._error(400, 100, "Unsupported get request")
        if self.faults:
            status, code, retry_after = self.faults.popleft()
            self.polls.append((now, status))
            return self._error(status, code, "Application request limit reached", retry_after)
        if q.get("order") != "reverse_chronological" or q.get("filter") != "stream":
            return self._error(400, 100, "unexpected order or filter")
        self.polls.append((now, 200))
        newest_first = list(reversed(self.comments))
        start = 0
        if after := q.get("after"):
            ids = [c["id"] for c in newest_first]
            start = ids.index(after) + 1
        limit = min(int(q.get("limit", "25")), self.page_size)
        data = newest_first[start:start + limit]
        body: dict[str, Any] = {"data": data}
        if q.get("summary") == "true":
            body["summary"] = {"order": "reverse_chronological",
                               "total_count": len(self.comments) + self.hidden,
                               "can_comment": True}
        if data:
            body["paging"] = {"cursors": {"before": data[0]["id"], "after": data[-1]["id"]}}
            if start + limit < len(newest_first):
                body["paging"]["next"] = f"{request.url}&after={data[-1]['id']}"
        return _json(200, body)

    @staticmethod
    def _error(status: int, code: int, message: str,
               retry_after: float | None = None) -> web.Response:
        return _json(status, {"error": {"message": message, "type": "OAuthException",
                                        "code": code, "fbtrace_id": "Afake"}}, retry_after)


class FakeTwitch(LoopbackWebSocketServer):
    """Twitch IRC over WebSocket: CAP/PASS/NICK/JOIN, PING, tagged PRIVMSG, drops."""

    def __init__(self, channel: str = "shopchannel") -> None:
        self.channel = channel
        self.received: list[list[str]] = []  # lines each connection sent, per connection
        self.joined: list[ServerConnection] = []
        self.pongs = 0
        self.refuse_login = False
        super().__init__()

    async def _handler(self, ws: ServerConnection) -> None:
        lines: list[str] = []
        self.received.append(lines)
        nick = ""
        async for frame in ws:
            assert isinstance(frame, str)
            for line in frame.split("\r\n"):
                if not line:
                    continue
                lines.append(line)
                command = line.split(" ", 1)[0]
                if command == "CAP":
                    await ws.send(":tmi.twitch.tv CAP * ACK :twitch.tv/tags twitch.tv/commands")
                elif command == "NICK":
                    nick = line.split(" ", 1)[1]
                    if self.refuse_login:
                        await ws.send(":tmi.twitch.tv NOTICE * :Login authentication failed")
                        return
                    await ws.send(f":tmi.twitch.tv 001 {nick} :Welcome, GLHF!")
                elif command == "JOIN":
                    await ws.send(f":{nick}!{nick}@{nick}.tmi.twitch.tv JOIN #{self.channel}")
                    self.joined.append(ws)
                elif command == "PONG":
                    self.pongs += 1

    def live(self) -> list[ServerConnection]:
        return [ws for ws in self.joined if ws.state.name == "OPEN"]

    def privmsg(self, mid: str, text: str, user_id: str = "1001", login: str = "viewer",
                display: str = "Viewer") -> str:
        tags = (f"@badge-info=;badges=;color=#1E90FF;display-name={display};emotes=;"
                f"first-msg=0;id={mid};mod=0;room-id=42;subscriber=0;"
                f"tmi-sent-ts=1800000000000;turbo=0;user-id={user_id};user-type=")
        return f"{tags} :{login}!{login}@{login}.tmi.twitch.tv PRIVMSG #{self.channel} :{text}"

    async def send(self, *lines: str) -> None:
        """Send lines to every joined connection, all in one frame (as Twitch batches)."""
        for ws in self.live():
            await ws.send("\r\n".join(lines) + "\r\n")

    async def drop(self) -> None:
        """Cut every connection without a closing handshake, as a network failure would."""
        for ws in self.live():
            ws.transport.abort()


class Intake:
    """A connector's ``deliver`` into the real app, able to fail like a store that went away.

    ``fail_before`` calls raise before intake (nothing stored); ``fail_after`` calls raise
    after intake committed (the answer is lost, so the connector must re-send).
    """

    def __init__(self, service: CaptureService, show: str, source: str,
                 fail_before: int = 0, fail_after: int = 0) -> None:
        self.service = service
        self.show = show
        self.source = source
        self.fail_before = fail_before
        self.fail_after = fail_after
        self.gate: asyncio.Event | None = None  # when set and clear, intake stalls on it
        self.calls = 0
        self.batches: list[list[str]] = []  # ids of every batch intake answered
        self.results: list[CaptureResult] = []

    async def __call__(self, batch: list[dict[str, Any]]) -> list[CaptureResult]:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.fail_before:
            self.fail_before -= 1
            raise ConnectionError("store unavailable")
        results = await self.service.ingest(self.show, batch, self.source)
        if self.fail_after:
            self.fail_after -= 1
            raise ConnectionError("connection lost before the answer")
        self.batches.append([str(c["id"]) for c in batch])
        self.results.extend(results)
        return results

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)


@asynccontextmanager
async def started(run: Coroutine[Any, Any, None]) -> AsyncIterator[asyncio.Task[None]]:
    """Run a connector while the block runs; cancel it after, surfacing any crash it had."""
    task = asyncio.create_task(run)
    try:
        yield task
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


async def held(client: TestClient, show: str) -> dict[str, int]:
    """Units held per ``code:variant``, read through the stock API."""
    resp = await client.get(f"/api/shows/{show}/stock", headers=auth())
    assert resp.status == 200
    return {f"{s['code']}:{s['variant']}": int(s["held"]) for s in await resp.json()}


async def order_count(client: TestClient, show: str) -> int:
    return len(await client.app[keys.STORE].list_orders(show))


# Generous: these deadlines only bound a failing test; a passing one returns at once.
WAIT = 10.0


async def eventually(predicate: Callable[[], Any], timeout: float = WAIT) -> Any:
    """The suite's ``wait_for``, with room for a loaded CI machine."""
    return await wait_for(predicate, timeout)


async def wait_until(predicate: Callable[[], Awaitable[bool]], timeout: float = WAIT) -> None:
    """``wait_for`` for a condition that needs awaiting (an API read)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met before the deadline")
        await asyncio.sleep(0.01)
