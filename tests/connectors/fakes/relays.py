"""Push-source fakes: a Social Stream Ninja relay (WebSocket, SSN JSON) and a TikTokLive-shaped
client, each able to drop, repeat and resend like the real thing."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.server import ServerConnection

from .wsserver import LoopbackWebSocketServer


class FakeRelay(LoopbackWebSocketServer):
    """``/join/<session>/<channel>`` on a local WebSocket server, forwarding SSN messages."""

    def __init__(self, session: str = "htxsession") -> None:
        self.session = session
        self.paths: list[str] = []  # the path each client joined with
        self.clients: list[ServerConnection] = []
        self.sent: list[dict[str, Any]] = []
        self.resend_on_join = 0  # a reconnecting client gets the last N messages again
        super().__init__()

    @property
    def path(self) -> str:
        return f"/join/{self.session}/4"

    async def _handler(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        self.paths.append(ws.request.path)
        if ws.request.path != f"/join/{self.session}/4":
            await ws.close(1008, "unknown session")
            return
        self.clients.append(ws)
        for message in self.sent[len(self.sent) - self.resend_on_join:] if self.resend_on_join \
                else ():
            await ws.send(json.dumps(message))
        try:
            await ws.wait_closed()
        finally:
            self.clients.remove(ws)

    @staticmethod
    def message(mid: Any, name: str, text: str, platform: str = "tiktok",
                userid: str | None = None, **extra: Any) -> dict[str, Any]:
        doc: dict[str, Any] = {"id": mid, "chatname": name, "chatmessage": text,
                               "chatimg": "https://example.invalid/a.png", "type": platform,
                               "hasDonation": "", "membership": "", "textonly": False,
                               "timestamp": 1_800_000_000_000}
        if userid is not None:
            doc["userid"] = userid
        doc.update(extra)
        return doc

    async def say(self, *messages: dict[str, Any]) -> None:
        """Forward messages, one frame each, to every joined client."""
        for message in messages:
            self.sent.append(message)
            for ws in list(self.clients):
                await ws.send(json.dumps(message, ensure_ascii=False))

    async def drop(self) -> None:
        """Cut every client without a closing handshake."""
        for ws in list(self.clients):
            ws.transport.abort()


class CommentEvent:
    """The shape of TikTokLive's CommentEvent that the connector reads."""

    def __init__(self, mid: str, unique_id: str, nickname: str, text: str,
                 create_time: int = 1_800_000_000_000) -> None:
        self.comment = text
        self.user = type("User", (), {"unique_id": unique_id, "nickname": nickname})()
        self.base_message = type("Base", (), {"message_id": mid, "create_time": create_time})()


class FakeTikTok:
    """Makes TikTokLiveClient-shaped clients; the test feeds them events and drops them."""

    def __init__(self) -> None:
        self.clients: list[FakeTikTokClient] = []
        self.fail_connects = 0  # the next N connects raise, like an offline creator

    def __call__(self, unique_id: str) -> FakeTikTokClient:
        client = FakeTikTokClient(self, unique_id)
        self.clients.append(client)
        return client

    @property
    def live(self) -> FakeTikTokClient | None:
        found = [c for c in self.clients if c.connected]
        return found[-1] if found else None


class FakeTikTokClient:
    def __init__(self, owner: FakeTikTok, unique_id: str) -> None:
        self.owner = owner
        self.unique_id = unique_id
        self.listeners: list[tuple[Any, Any]] = []
        self.connected = False
        self.disconnects = 0
        self._ended = asyncio.Event()

    def add_listener(self, event: Any, handler: Any) -> None:
        self.listeners.append((event, handler))

    async def connect(self) -> None:
        if self.owner.fail_connects:
            self.owner.fail_connects -= 1
            raise ConnectionError("UserOfflineError: the creator is not live")
        self.connected = True
        try:
            await self._ended.wait()
        finally:
            self.connected = False

    async def disconnect(self) -> None:
        self.disconnects += 1
        self._ended.set()

    async def emit(self, event: Any) -> None:
        for kind, handler in self.listeners:
            if isinstance(event, kind):
                await handler(event)

    def drop(self) -> None:
        self._ended.set()
