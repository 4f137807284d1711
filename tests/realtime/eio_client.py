"""A raw Engine.IO v4 / Socket.IO v5 websocket client for wire-level tests (aiohttp's ws)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

DEADLINE = 5.0
CLOSED = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED,
          aiohttp.WSMsgType.ERROR)


class RawSocket:
    """One websocket speaking Engine.IO by hand; answers pings unless told not to."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, opened: dict[str, Any]) -> None:
        self.ws = ws
        self.opened = opened
        self.answer_pings = True
        self.pings = 0
        self.texts: list[str] = []  # every text frame received, in order

    @classmethod
    async def open(cls, session: aiohttp.ClientSession, base: str,
                   **kwargs: Any) -> RawSocket:
        url = base.rstrip("/") + "/socket.io/?EIO=4&transport=websocket"
        ws = await session.ws_connect(url, autoping=True, max_msg_size=0, **kwargs)
        first = await ws.receive_str(timeout=DEADLINE)
        assert first.startswith("0{"), first
        return cls(ws, json.loads(first[1:]))

    def send(self, text: str) -> Any:
        return self.ws.send_str(text)

    async def receive(self, timeout: float = DEADLINE) -> str | None:
        """The next text frame that is not a ping; ``None`` once the connection is over."""
        while True:
            msg = await self.ws.receive(timeout=timeout)
            if msg.type in CLOSED:
                return None
            if msg.type is not aiohttp.WSMsgType.TEXT:
                continue
            self.texts.append(msg.data)
            if msg.data == "2":
                self.pings += 1
                if self.answer_pings:
                    await self.ws.send_str("3")
                continue
            return str(msg.data)

    async def until(self, prefix: str, timeout: float = DEADLINE) -> str:
        async def find() -> str:
            while True:
                text = await self.receive(timeout)
                assert text is not None, f"closed while waiting for {prefix!r}: {self.texts}"
                if text.startswith(prefix):
                    return text

        return await asyncio.wait_for(find(), timeout)

    async def event(self, name: str, namespace: str = "/live",
                    timeout: float = DEADLINE) -> Any:
        """The data of the next event ``name`` on ``namespace``."""
        prefix = f'42{namespace},["{name}"'
        text = await self.until(prefix, timeout)
        return json.loads(text[len(namespace) + 3:])[1]

    async def join(self, show: str, namespace: str = "/live") -> str:
        """CONNECT with ``{"show": show}``; the first answer (``40...`` or ``44...``)."""
        await self.send(f"40{namespace},{json.dumps({'show': show})}")
        return await self.until("4")

    async def ended(self, timeout: float = DEADLINE) -> bool:
        """Read until the server ends the connection (True), failing at the deadline."""
        async def drain() -> bool:
            while await self.receive(timeout) is not None:
                pass
            return True

        return await asyncio.wait_for(drain(), timeout)

    async def close(self) -> None:
        await self.ws.close()
