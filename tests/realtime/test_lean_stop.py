"""Stopping with many viewers connected: every one is told the server disconnected it.

Lean viewers (raw Engine.IO websockets) and python-engineio viewers (long-polling upgraded to
a websocket) side by side; the server stops with its usual runner shutdown. No timing is
asserted here (the 2,000-viewer SIGTERM run in tests/e2e measures it).
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import aiohttp
import socketio
from aiohttp.test_utils import TestClient, TestServer

from livesell import keys
from livesell.app import create_app
from livesell.config import Settings
from livesell.realtime.lean import abort_stragglers
from tests.conftest import Clock, seed_show, wait_for
from tests.realtime.eio_client import CLOSED, RawSocket
from tests.realtime.test_fanout import StalledViewer

LEAN_VIEWERS = 300
ENGINEIO_VIEWERS = 8


async def _watch(raw: RawSocket) -> tuple[bool, int | None]:
    """Read until the end: whether ``41/live,`` came before it, and the close code."""
    told = False
    while True:
        msg = await raw.ws.receive(timeout=30)
        if msg.type in CLOSED:
            return told, raw.ws.close_code
        if msg.type is aiohttp.WSMsgType.TEXT:
            if msg.data == "2":
                await raw.ws.send_str("3")
            told = told or msg.data == "41/live,"


async def test_stop_tells_every_viewer_on_both_transports(
        aiohttp_server: Any, aiohttp_client: Any, settings: Settings, clock: Clock) -> None:
    app = create_app(settings, clock=clock)
    server: TestServer = await aiohttp_server(app, shutdown_timeout=5)
    client: TestClient = await aiohttp_client(server)
    hub = app[keys.HUB]
    show = await seed_show(client)
    base = str(client.make_url("/"))
    reasons: list[Any] = []
    engine_viewers = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        raws = await asyncio.gather(*(RawSocket.open(session, base)
                                      for _ in range(LEAN_VIEWERS)))
        for raw in raws:
            await raw.send(f'40/live,{{"show":"{show}"}}')
        for raw in raws:
            await raw.until('42/live,["snapshot"')
        for _ in range(ENGINEIO_VIEWERS):
            sio = socketio.AsyncClient(reconnection=False)
            sio.on("disconnect", lambda *args: reasons.append(args), namespace="/live")
            await sio.connect(base, namespaces=["/live"], auth={"show": show},
                              transports=["polling", "websocket"], wait_timeout=5)
            engine_viewers.append(sio)
        await wait_for(lambda: all(s.transport() == "websocket" for s in engine_viewers)
                       and hub.fanout.count(show) == LEAN_VIEWERS + ENGINEIO_VIEWERS,
                       timeout=15)
        watchers = [asyncio.create_task(_watch(raw)) for raw in raws]
        await server.close()
        endings = await asyncio.wait_for(asyncio.gather(*watchers), 30)
        await wait_for(lambda: len(reasons) == ENGINEIO_VIEWERS, timeout=10)
        for sio in engine_viewers:
            await sio.disconnect()
    assert endings == [(True, 1001)] * LEAN_VIEWERS
    # python-socketio names "io server disconnect" so: it got the DISCONNECT packet
    assert all(args and args[0] == "server disconnect" for args in reasons), reasons
    # lean viewers' bookkeeping ran (python-engineio's is skipped at shutdown, as before)
    assert not hub.lean.conns and not hub.lean.by_live
    assert len(hub.live.viewers) <= ENGINEIO_VIEWERS


async def test_a_viewer_that_stopped_reading_is_aborted_after_the_grace(
        client: TestClient) -> None:
    hub = client.app[keys.HUB]
    show = await seed_show(client)
    stalled, sid = await StalledViewer.join(cast(Any, client), show)
    conn = hub.lean.by_live[sid]
    conn.transport.write(b"\x00" * 4_000_000)  # more than the socket buffers can take
    transports = hub.lean.close_all({})
    assert transports == [conn.transport] and conn.transport.get_write_buffer_size() > 0
    assert await abort_stragglers(transports, grace=0.2) == 1
    await wait_for(lambda: not hub.lean.conns and not hub.live.viewers)
    await stalled.close()
