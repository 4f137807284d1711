"""The library floor: a ``websockets`` server (compression off, other settings default)
speaking the same minimal Engine.IO v4 / Socket.IO v5 framing as the floor and pushing
with ``websockets.broadcast()``.

Run: ``python -m bench.peers.libfloor --port 8000 --rate 5 --duration 60``.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import uvloop
from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from bench.peers.ticker import (
    NAMESPACE,
    Payload,
    Ticker,
    announce,
    connect_ack,
    event_packet,
    open_packet,
    peer_args,
)


class Room:
    def __init__(self) -> None:
        self.viewers: set[ServerConnection] = set()
        self.ticker = Ticker(self.push)

    def push(self, payload: Payload) -> int:
        broadcast(self.viewers, event_packet(payload))
        return len(self.viewers)

    async def ping_forever(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            broadcast(self.viewers, "2")

    async def viewer(self, ws: ServerConnection) -> None:
        sid = secrets.token_urlsafe(12)
        await ws.send(open_packet(sid))
        try:
            first = await ws.recv()
            if not isinstance(first, str) or not first.startswith(f"40{NAMESPACE}"):
                return
            await ws.send(connect_ack(sid))
            self.viewers.add(ws)
            async for _ in ws:
                pass  # "3" (pong) and anything else: nothing to do.
        except ConnectionClosed:
            pass
        finally:
            self.viewers.discard(ws)

    def control(self, connection: ServerConnection, request: Request) -> Response | None:
        """``GET /bench/stats[?reset=1]`` and ``GET /bench/rate?hz=N``."""
        url = urlsplit(request.path)
        query = parse_qs(url.query)
        if url.path == "/bench/stats":
            reset = query.get("reset", ["0"])[0] == "1"
            body = self.ticker.stats(len(self.viewers), "libfloor", reset)
            return connection.respond(HTTPStatus.OK, json.dumps(body))
        if url.path == "/bench/rate":
            self.ticker.set_rate(float(query.get("hz", ["0"])[0]))
            return connection.respond(HTTPStatus.OK, json.dumps({"rate": self.ticker.rate}))
        return None


async def main() -> None:
    args = peer_args(__doc__ or "")
    room = Room()
    async with serve(
        room.viewer,
        args.host,
        args.port,
        compression=None,
        process_request=room.control,
        backlog=1024,
    ):
        pinger = asyncio.get_running_loop().create_task(room.ping_forever(25.0))
        announce(args.port)
        room.ticker.set_rate(args.rate)
        try:
            await asyncio.sleep(args.duration)
        finally:
            pinger.cancel()
            room.ticker.set_rate(0)


if __name__ == "__main__":
    uvloop.run(main())
