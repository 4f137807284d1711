"""ViewerFanout against real sockets: aiohttp + python-socketio server, real clients."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import socketio
from aiohttp import web
from aiohttp.test_utils import TestServer

from livesell.plumbing import stop_tasks
from livesell.realtime import engineio_compat
from livesell.realtime.fanout import FanoutStats, ViewerFanout
from livesell.realtime.framing import websocket_text_frame

NS = "/live"
DEADLINE = 2.0


@dataclass
class LiveServer:
    sio: socketio.AsyncServer
    fanout: ViewerFanout
    server: TestServer
    disconnects: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    # What a broadcast made in the connect handler, right after add(), did.
    racing: list[FanoutStats] = field(default_factory=list)

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")


MakeServer = Callable[..., Awaitable[LiveServer]]


@pytest.fixture
async def make_server(aiohttp_server: Any) -> AsyncIterator[MakeServer]:
    """Start the viewer namespace the way the app wires it: snapshot, then add()."""
    sios: list[socketio.AsyncServer] = []
    tasks: list[set[asyncio.Task[Any]]] = []

    async def make(discard_on_disconnect: bool = True, **fanout_options: Any) -> LiveServer:
        sio = socketio.AsyncServer(async_mode="aiohttp")
        fanout = ViewerFanout(sio, namespace=NS, **fanout_options)
        app = web.Application()
        sio.attach(app)
        sios.append(sio)
        tasks.append(engineio_compat.track_tasks(sio))
        server = await aiohttp_server(app)
        live = LiveServer(sio, fanout, server)

        async def connect(sid: str, environ: dict[str, Any], auth: dict[str, Any]) -> None:
            await sio.emit("snapshot", {"version": 0}, to=sid, namespace=NS)
            fanout.add(auth["show"], sid)
            if auth.get("race"):
                stats = await fanout.broadcast(auth["show"], "stock", {"version": 1})
                live.racing.append(stats)

        async def disconnect(sid: str, reason: str) -> None:
            if discard_on_disconnect:
                fanout.discard(sid)
            live.disconnects.put_nowait(sid)

        sio.on("connect", connect, namespace=NS)
        sio.on("disconnect", disconnect, namespace=NS)
        return live

    yield make
    for sio in sios:
        await sio.shutdown()
    # engine.io's ping tasks sleep out the ping interval unless cancelled
    await stop_tasks([task for started in tasks for task in started])


class Viewer:
    """A socketio.AsyncClient that queues every ``stock`` push it receives."""

    def __init__(self, live: LiveServer) -> None:
        self.live = live
        # Our own session: the client does not close its own after a server-side close.
        self.http = aiohttp.ClientSession()
        self.client = socketio.AsyncClient(reconnection=False, http_session=self.http)
        self.pushes: asyncio.Queue[Any] = asyncio.Queue()
        self.events: list[str] = []  # names of snapshot and stock events, in arrival order
        self.client.on("stock", self._stock, namespace=NS)
        self.client.on("snapshot", lambda data: self.events.append("snapshot"), namespace=NS)
        self.polling_only = False

    def _stock(self, data: Any) -> None:
        self.events.append("stock")
        self.pushes.put_nowait(data)

    async def connect(self, show: str, transports: list[str], **auth: Any) -> Viewer:
        self.polling_only = transports == ["polling"]
        await self.client.connect(self.live.url, namespaces=[NS], transports=transports,
                                  auth={"show": show, **auth}, wait_timeout=DEADLINE)
        return self

    async def close(self) -> None:
        if self.polling_only and self.client.connected:
            # A client-side close leaves the server's pending long-poll GET open
            # until its 30 s timeout; closing from the server end answers it.
            await self.live.sio.eio.disconnect(self.client.eio.sid)
        await self.client.disconnect()
        await self.http.close()

    @property
    def sid(self) -> str:
        sid = self.client.get_sid(NS)
        assert isinstance(sid, str)
        return sid

    async def next_push(self) -> Any:
        return await asyncio.wait_for(self.pushes.get(), DEADLINE)


@pytest.fixture
async def viewers() -> AsyncIterator[list[Viewer]]:
    made: list[Viewer] = []
    yield made
    for viewer in made:
        await viewer.close()


async def connect_viewer(viewers: list[Viewer], live: LiveServer, show: str,
                         transports: list[str], **auth: Any) -> Viewer:
    viewer = Viewer(live)
    viewers.append(viewer)
    return await viewer.connect(show, transports, **auth)


async def test_frame_is_socketio_event_in_engineio_message(make_server: MakeServer) -> None:
    live = await make_server()
    frame = live.fanout.encode("stock", {"A1:1kg": 7, "v": 3})
    assert frame == websocket_text_frame(b'42/live,["stock",{"A1:1kg":7,"v":3}]')
    assert frame is not None and frame[:2] == bytes([0x81, len(frame) - 2])
    big = websocket_text_frame(b"x" * 300)
    assert big[:4] == bytes([0x81, 126]) + struct.pack("!H", 300)
    huge = websocket_text_frame(b"x" * 70000)
    assert huge[:10] == bytes([0x81, 127]) + struct.pack("!Q", 70000)


async def test_broadcast_reaches_every_viewer_once(
    make_server: MakeServer, viewers: list[Viewer]
) -> None:
    live = await make_server()
    assert live.fanout.fast_path_enabled
    ws_a = await connect_viewer(viewers, live, "s1", ["websocket"])
    ws_b = await connect_viewer(viewers, live, "s1", ["websocket"])
    polling = await connect_viewer(viewers, live, "s1", ["polling"])
    other_show = await connect_viewer(viewers, live, "s2", ["websocket"])
    assert live.fanout.count("s1") == 3
    s1 = [ws_a, ws_b, polling]

    first = await live.fanout.broadcast("s1", "stock", {"A1:1kg": 7, "version": 1})
    assert first.delivered + first.via_slow_path == 3
    assert [await v.next_push() for v in s1] == [{"A1:1kg": 7, "version": 1}] * 3

    second_push = {"A1:1kg": 6, "version": 2, "buyer": "Nguyễn V. A."}
    second = await live.fanout.broadcast("s1", "stock", second_push)
    assert second == FanoutStats(delivered=2, via_slow_path=1)
    # The next thing each viewer holds is version 2: nothing was delivered twice.
    assert [await v.next_push() for v in s1] == [second_push] * 3
    assert other_show.pushes.empty()

    totals = live.fanout.stats()
    assert totals["delivered"] == first.delivered + 2
    assert totals["viewers"] == 4


async def test_upgraded_polling_viewer_and_binary_push(
    make_server: MakeServer, viewers: list[Viewer]
) -> None:
    live = await make_server()
    upgrading = await connect_viewer(viewers, live, "s1", ["polling", "websocket"])
    for version in range(1, 4):
        await live.fanout.broadcast("s1", "stock", {"version": version})
        assert await upgrading.next_push() == {"version": version}
    stats = await live.fanout.broadcast("s1", "stock", b"\x00\x01")
    assert stats.via_slow_path == 1
    assert await upgrading.next_push() == b"\x00\x01"


async def test_unknown_engineio_internals_fall_back_to_emit(
    make_server: MakeServer, viewers: list[Viewer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engineio_compat, "_engineio_major", lambda: 5)
    live = await make_server()
    assert not live.fanout.fast_path_enabled
    viewer = await connect_viewer(viewers, live, "s1", ["websocket"])
    for version in (1, 2):
        stats = await live.fanout.broadcast("s1", "stock", {"version": version})
        assert stats == FanoutStats(via_slow_path=1)
        assert await viewer.next_push() == {"version": version}


async def test_viewer_websocket_has_no_permessage_deflate(make_server: MakeServer) -> None:
    live = await make_server()
    async with aiohttp.ClientSession() as session:
        url = live.url + "/socket.io/?EIO=4&transport=websocket"
        async with session.ws_connect(url, compress=15) as ws:
            assert ws.compress == 0
            assert "permessage-deflate" not in ws._response.headers.get(
                "Sec-WebSocket-Extensions", "")
            opened = await ws.receive_str(timeout=DEADLINE)
            assert opened.startswith("0{")


async def test_stock_server_would_negotiate_deflate(aiohttp_server: Any) -> None:
    """The control for the test above: without the fan-out hook, deflate is on."""
    sio = socketio.AsyncServer(async_mode="aiohttp")
    tasks = engineio_compat.track_tasks(sio)
    app = web.Application()
    sio.attach(app)
    server = await aiohttp_server(app)
    try:
        async with aiohttp.ClientSession() as session:
            url = str(server.make_url("/socket.io/?EIO=4&transport=websocket"))
            async with session.ws_connect(url, compress=15) as ws:
                assert ws.compress == 15
    finally:
        await sio.shutdown()
        await stop_tasks(list(tasks))


async def test_disconnected_viewer_is_discarded(
    make_server: MakeServer, viewers: list[Viewer]
) -> None:
    live = await make_server()
    staying = await connect_viewer(viewers, live, "s1", ["websocket"])
    leaving = await connect_viewer(viewers, live, "s1", ["websocket"])
    sid = leaving.sid
    assert live.fanout.count("s1") == 2
    await leaving.client.disconnect()
    assert await asyncio.wait_for(live.disconnects.get(), DEADLINE) == sid
    assert live.fanout.count("s1") == 1
    stats = await live.fanout.broadcast("s1", "stock", {"version": 1})
    assert stats.delivered + stats.via_slow_path == 1
    assert await staying.next_push() == {"version": 1}
    assert leaving.pushes.empty()


async def test_push_never_overtakes_the_snapshot(
    make_server: MakeServer, viewers: list[Viewer]
) -> None:
    """A broadcast right after add(), snapshot still queued: the emit path keeps the order."""
    live = await make_server()
    viewer = await connect_viewer(viewers, live, "s1", ["websocket"], race=True)
    assert live.racing == [FanoutStats(via_slow_path=1)]
    assert await viewer.next_push() == {"version": 1}
    assert viewer.events == ["snapshot", "stock"]
    # Once the queue is flushed the viewer moves to the fast path.
    assert await live.fanout.broadcast("s1", "stock", {"version": 2}) == FanoutStats(delivered=1)
    assert await viewer.next_push() == {"version": 2}


async def test_viewer_gone_without_discard_is_forgotten(
    make_server: MakeServer, viewers: list[Viewer]
) -> None:
    live = await make_server(discard_on_disconnect=False)
    leaving = await connect_viewer(viewers, live, "s1", ["websocket"])
    polling = await connect_viewer(viewers, live, "s1", ["polling"])
    await live.fanout.broadcast("s1", "stock", {"version": 1})
    await leaving.next_push()
    await polling.next_push()
    await leaving.close()
    await polling.close()
    for _ in range(2):
        await asyncio.wait_for(live.disconnects.get(), DEADLINE)
    assert live.fanout.count("s1") == 2
    assert await live.fanout.broadcast("s1", "stock", {"version": 2}) == FanoutStats()
    assert live.fanout.count("s1") == 0
    assert live.fanout.stats()["viewers"] == 0


async def test_adding_a_sid_that_is_not_connected_is_ignored(make_server: MakeServer) -> None:
    live = await make_server()
    live.fanout.add("s1", "no-such-sid")
    assert live.fanout.count("s1") == 0


async def test_broadcast_to_empty_show_is_a_no_op(make_server: MakeServer) -> None:
    live = await make_server()
    assert await live.fanout.broadcast("nobody", "stock", {"version": 1}) == FanoutStats()
    assert live.fanout.count("nobody") == 0
    assert live.fanout.stats() == {"delivered": 0, "skipped_slow": 0, "via_slow_path": 0,
                                   "disconnected_slow": 0, "caught_up": 0, "broadcasts": 0,
                                   "viewers": 0}
    assert live.fanout.catch_up() == 0
    live.fanout.discard("unknown-sid")


class StalledViewer:
    """A hand-made engine.io/socket.io websocket client that stops reading."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def join(cls, live: LiveServer, show: str) -> tuple[StalledViewer, str]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # A tiny receive window so the server's buffer fills after a few pushes.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        port = live.server.port
        assert port is not None
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        reader, writer = await asyncio.open_connection(sock=sock)
        viewer = cls(reader, writer)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
             f"Host: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), DEADLINE)
        assert head.startswith(b"HTTP/1.1 101")
        assert (await viewer.receive()).startswith("0{")
        viewer.send(f"40{NS},{json.dumps({'show': show})}")
        while True:
            message = await viewer.receive()
            if message.startswith(f"40{NS},"):
                return viewer, json.loads(message[len(NS) + 3:])["sid"]

    async def receive(self) -> str:
        first, second = await asyncio.wait_for(self.reader.readexactly(2), DEADLINE)
        assert first == 0x81 and not second & 0x80
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
        return (await self.reader.readexactly(length)).decode()

    async def next_event(self) -> tuple[str, Any]:
        """The next socket.io event on the viewer namespace, as (name, data)."""
        prefix = f"42{NS},"
        while True:
            message = await self.receive()
            if message.startswith(prefix):
                name, data = json.loads(message[len(prefix):])
                return name, data

    def send(self, text: str) -> None:
        payload = text.encode()
        assert len(payload) < 126
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.writer.write(bytes([0x81, 0x80 | len(payload)]) + mask + masked)

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except ConnectionError:
            pass


async def test_stalled_viewer_is_skipped_then_cut_off(
    make_server: MakeServer, viewers: list[Viewer]
) -> None:
    live = await make_server(max_buffer=64 * 1024, max_skips=5)
    prompt = await connect_viewer(viewers, live, "s1", ["websocket"])
    stalled, stalled_sid = await StalledViewer.join(live, "s1")
    try:
        assert live.fanout.count("s1") == 2
        bulky = {"version": 0, "pad": "x" * 32 * 1024}
        first_skip: FanoutStats | None = None
        for version in range(1, 500):
            stats = await live.fanout.broadcast("s1", "stock", {**bulky, "version": version})
            # The prompt viewer gets every push while the stalled one backs up.
            assert (await prompt.next_push())["version"] == version
            if stats.skipped_slow:
                first_skip = stats
                break
        assert first_skip == FanoutStats(delivered=1, skipped_slow=1)
        assert live.fanout.stats()["skipped_slow"] == 1

        # Still over the cap: skipped again, the others unaffected, then cut off.
        for version in range(1000, 1010):
            stats = await live.fanout.broadcast("s1", "stock", {"version": version})
            assert await prompt.next_push() == {"version": version}
            if stats.disconnected_slow:
                break
        assert stats == FanoutStats(delivered=1, skipped_slow=1, disconnected_slow=1)
        assert live.fanout.stats()["skipped_slow"] == 5
        assert live.fanout.count("s1") == 1
        assert await asyncio.wait_for(live.disconnects.get(), DEADLINE) == stalled_sid
        stats = await live.fanout.broadcast("s1", "stock", {"version": 2000})
        assert stats == FanoutStats(delivered=1)
        assert await prompt.next_push() == {"version": 2000}
    finally:
        await stalled.close()


@pytest.mark.parametrize("resume", ["catch_up", "next_broadcast"])
async def test_skipped_viewer_gets_the_latest_pushes_once_it_drains(
    make_server: MakeServer, resume: str
) -> None:
    live = await make_server(max_buffer=64 * 1024)
    stalled, _ = await StalledViewer.join(live, "s1")
    try:
        pad = "x" * 32 * 1024
        delivered = 0
        for version in range(1, 500):
            stats = await live.fanout.broadcast("s1", "stock", {"version": version, "pad": pad})
            if stats.skipped_slow:
                break
            delivered = version
        assert delivered >= 1
        latest = version + 1
        assert (await live.fanout.broadcast("s1", "stock", {"version": latest})).skipped_slow
        assert (await live.fanout.broadcast("s1", "pinned", {"version": 1})).skipped_slow
        assert live.fanout.catch_up() == 0  # still over the cap

        # The viewer reads again: everything written before the first skip arrives.
        for version in range(1, delivered + 1):
            name, data = await stalled.next_event()
            assert (name, data["version"]) == ("stock", version)
        # Its buffer is empty now; the skipped pushes come back, latest per event only.
        if resume == "catch_up":
            assert live.fanout.catch_up() == 2
            expected = [("stock", latest), ("pinned", 1)]
        else:
            stats = await live.fanout.broadcast("s1", "stock", {"version": latest + 1})
            assert stats == FanoutStats(delivered=1)
            expected = [("pinned", 1), ("stock", latest + 1)]
        got = []
        for _ in expected:
            name, data = await stalled.next_event()
            got.append((name, data["version"]))
        assert got == expected
        assert live.fanout.stats()["caught_up"] == (2 if resume == "catch_up" else 1)
        assert live.fanout.catch_up() == 0
    finally:
        await stalled.close()
