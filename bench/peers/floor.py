"""The floor: an aiohttp server that speaks just enough Engine.IO v4 / Socket.IO v5 over
WebSocket (open packet, namespace connect, pings) and pushes by writing one pre-built
WebSocket frame to every viewer's transport. Compression off.

A viewer whose transport write buffer is over ``WRITE_BUFFER_CAP`` is skipped for that push
(latest value wins) instead of being buffered, which bounds what a stalled viewer costs.

Run: ``python -m bench.peers.floor --port 8000 --rate 5 --duration 60``.
"""

from __future__ import annotations

import asyncio
import secrets
import struct

import uvloop
from aiohttp import WSMsgType, web

from bench.peers.ticker import (
    NAMESPACE,
    Payload,
    Ticker,
    aiohttp_control_routes,
    announce,
    connect_ack,
    event_packet,
    open_packet,
    peer_args,
)

WRITE_BUFFER_CAP = 64 * 1024


def text_frame(text: str) -> bytes:
    """One unmasked, final WebSocket text frame (server to client)."""
    data = text.encode()
    n = len(data)
    if n < 126:
        header = struct.pack("!BB", 0x81, n)
    elif n < 1 << 16:
        header = struct.pack("!BBH", 0x81, 126, n)
    else:
        header = struct.pack("!BBQ", 0x81, 127, n)
    return header + data


PING_FRAME = text_frame("2")


class Room:
    """The transports of every joined viewer."""

    def __init__(self) -> None:
        self.transports: set[asyncio.Transport] = set()
        self.ticker = Ticker(self.push)

    def push(self, payload: Payload) -> int:
        frame = text_frame(event_packet(payload))
        sent = 0
        for transport in self.transports:
            if transport.get_write_buffer_size() > WRITE_BUFFER_CAP:
                self.ticker.skipped += 1
                continue
            transport.write(frame)
            sent += 1
        return sent

    async def ping_forever(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            for transport in self.transports:
                transport.write(PING_FRAME)


def make_app(room: Room) -> web.Application:
    async def viewer(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False, autoping=True)
        await ws.prepare(request)
        sid = secrets.token_urlsafe(12)
        await ws.send_str(open_packet(sid))
        transport = request.transport
        joined = False
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                if not joined and msg.data.startswith(f"40{NAMESPACE}"):
                    await ws.send_str(connect_ack(sid))
                    if transport is not None:
                        room.transports.add(transport)
                        joined = True
                # "3" (pong) and anything else: nothing to do.
        finally:
            if transport is not None:
                room.transports.discard(transport)
        return ws

    app = web.Application()
    app.router.add_get("/socket.io/", viewer)
    app.add_routes(aiohttp_control_routes(room.ticker, "floor", lambda: len(room.transports)))
    return app


async def main() -> None:
    args = peer_args(__doc__ or "")
    room = Room()
    runner = web.AppRunner(make_app(room), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, args.host, args.port, backlog=1024).start()
    pinger = asyncio.get_running_loop().create_task(room.ping_forever(25.0))
    announce(args.port)
    room.ticker.set_rate(args.rate)
    try:
        await asyncio.sleep(args.duration)
    finally:
        pinger.cancel()
        room.ticker.set_rate(0)
        await runner.cleanup()


if __name__ == "__main__":
    uvloop.run(main())
