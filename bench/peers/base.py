"""The base: stock python-socketio ``AsyncServer`` on aiohttp, library defaults. Viewers
join the room of their show on connect; every tick is
``await sio.emit("stock", payload, room="show", namespace="/live")``.

Run: ``python -m bench.peers.base --port 8000 --rate 5 --duration 60``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import socketio
import uvloop
from aiohttp import web

from bench.peers.ticker import (
    EVENT,
    NAMESPACE,
    Payload,
    Ticker,
    aiohttp_control_routes,
    announce,
    peer_args,
)

ROOM = "show"


def build() -> tuple[web.Application, Ticker]:
    sio = socketio.AsyncServer(async_mode="aiohttp")

    def room_size() -> int:
        return len(sio.manager.rooms.get(NAMESPACE, {}).get(ROOM, {}))

    async def push(payload: Payload) -> int:
        await sio.emit(EVENT, payload, room=ROOM, namespace=NAMESPACE)
        return room_size()

    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        await sio.enter_room(sid, ROOM, namespace=NAMESPACE)

    sio.on("connect", connect, namespace=NAMESPACE)
    ticker = Ticker(push)
    app = web.Application()
    sio.attach(app)
    app.add_routes(aiohttp_control_routes(ticker, "base", room_size))
    return app, ticker


async def main() -> None:
    args = peer_args(__doc__ or "")
    app, ticker = build()
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, args.host, args.port, backlog=1024).start()
    announce(args.port)
    ticker.set_rate(args.rate)
    try:
        await asyncio.sleep(args.duration)
    finally:
        ticker.set_rate(0)
        await runner.cleanup()


if __name__ == "__main__":
    uvloop.run(main())
