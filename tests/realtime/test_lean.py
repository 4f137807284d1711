"""The lean /live path on the wire: raw Engine.IO v4 / Socket.IO v5 over real websockets."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import AsyncIterator
from typing import Any, cast

import aiohttp
import pytest
import socketio
from aiohttp.test_utils import TestClient

from livesell import keys
from livesell.app import create_app
from livesell.config import Settings
from livesell.realtime import lean as lean_module
from tests.conftest import OWNER, Clock, comment, post_comments, seed_show, wait_for
from tests.realtime.eio_client import RawSocket
from tests.realtime.test_fanout import StalledViewer


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as made:
        yield made


def base(client: TestClient) -> str:
    return str(client.make_url("/"))


async def test_open_packet_has_the_v4_fields(client: TestClient,
                                             session: aiohttp.ClientSession) -> None:
    settings = client.app[keys.SETTINGS]
    raw = await RawSocket.open(session, base(client))
    opened = raw.opened
    assert set(opened) == {"sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"}
    assert isinstance(opened["sid"], str) and len(opened["sid"]) >= 16
    assert opened["upgrades"] == []
    assert opened["pingInterval"] == settings.ping_interval * 1000
    assert opened["pingTimeout"] == 20_000
    assert opened["maxPayload"] == settings.socket_max_message
    assert opened["sid"] in client.app[keys.HUB].lean.conns
    await raw.close()


async def test_the_101_and_the_open_packet_leave_in_one_write(
        client: TestClient, session: aiohttp.ClientSession,
        monkeypatch: pytest.MonkeyPatch) -> None:
    writes: list[bytes] = []
    real_write = lean_module.LeanConn.write

    def recording(self: lean_module.LeanConn, frame: bytes) -> None:
        writes.append(frame)
        real_write(self, frame)

    monkeypatch.setattr(lean_module.LeanConn, "write", recording)
    raw = await RawSocket.open(session, base(client))
    head, _, rest = writes[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101 ")
    assert b"sec-websocket-accept:" in head.lower()
    assert rest[2:] == b"0" + json.dumps(raw.opened, separators=(",", ":")).encode()
    await raw.close()


def test_take_head_sends_the_headers_when_aiohttp_keeps_them_elsewhere() -> None:
    class Writer:
        sent = 0

        def send_headers(self) -> None:
            self.sent += 1

    writer = Writer()
    assert lean_module.take_head(cast(Any, writer)) == b""
    assert writer.sent == 1


async def test_polling_still_goes_to_python_engineio(client: TestClient) -> None:
    resp = await client.get("/socket.io/", params={"EIO": "4", "transport": "polling"})
    assert resp.status == 200
    opened = json.loads((await resp.text())[1:])
    assert opened["upgrades"] == ["websocket"]
    assert opened["sid"] not in client.app[keys.HUB].lean.conns


async def test_shared_timer_pings_and_a_pong_keeps_the_connection(
        client: TestClient, session: aiohttp.ClientSession) -> None:
    lean = client.app[keys.HUB].lean
    lean.ping_interval, lean.ping_timeout = 0.1, 0.5
    show = await seed_show(client)
    raw = await RawSocket.open(session, base(client))
    assert (await raw.join(show)).startswith("40/live,")
    pings = 0
    while pings < 3:
        msg = await raw.ws.receive(timeout=5)
        assert msg.type is aiohttp.WSMsgType.TEXT, msg
        if msg.data == "2":
            pings += 1
            await raw.send("3")
    assert raw.opened["sid"] in lean.conns
    assert all(conn.pong_due == 0 or conn.pong_due > 0 for conn in lean.conns.values())
    await raw.close()


async def test_a_missing_pong_closes_the_connection(client: TestClient,
                                                    session: aiohttp.ClientSession) -> None:
    hub = client.app[keys.HUB]
    hub.lean.ping_interval, hub.lean.ping_timeout = 0.1, 0.2
    show = await seed_show(client)
    raw = await RawSocket.open(session, base(client))
    raw.answer_pings = False
    assert (await raw.join(show)).startswith("40/live,")
    assert await raw.ended(timeout=10)
    assert raw.pings >= 1
    await wait_for(lambda: not hub.lean.conns and hub.fanout.count(show) == 0)
    assert not hub.live.viewers


async def test_join_gets_sid_then_snapshot_then_ticks(client: TestClient,
                                                      session: aiohttp.ClientSession) -> None:
    hub = client.app[keys.HUB]
    show = await seed_show(client)
    raw = await RawSocket.open(session, base(client))
    answer = await raw.join(show)
    assert answer.startswith("40/live,")
    live_sid = json.loads(answer[len("40/live,"):])["sid"]
    assert live_sid != raw.opened["sid"] and live_sid in hub.live.viewers
    snapshot = await raw.event("snapshot")
    assert snapshot["show"]["id"] == show and snapshot["stock"]["C1"] == 10
    # the snapshot is the first event, right after the CONNECT answer
    assert [t[:10] for t in raw.texts if t != "2"][:2] == ["40/live,{\"", '42/live,["']
    await wait_for(lambda: hub.fanout.count(show) == 1)
    await post_comments(client, show, [comment("c1", "C1 x3")])
    while True:
        tick = await raw.event("tick")
        if tick.get("stock", {}).get("stock", {}).get("C1") == 7:
            break
    assert tick["stock"]["v"] >= snapshot["version"]
    await raw.close()


async def test_unknown_show_and_other_namespaces_get_connect_error(
        client: TestClient, session: aiohttp.ClientSession) -> None:
    await seed_show(client)
    raw = await RawSocket.open(session, base(client))
    refused = await raw.join("nope")
    assert refused.startswith("44/live,")
    assert json.loads(refused[len("44/live,"):]) == {"message": "unknown show"}
    # other namespaces are python-socketio's: an unknown one is refused there
    assert (await raw.join("x", namespace="/nope")).startswith("44/nope,")
    await raw.close()
    client.app[keys.HUB].lean.bridge = None  # without the bridge, refused here
    raw = await RawSocket.open(session, base(client))
    refused = await raw.join("x", namespace="/staff")
    assert refused.startswith("44/staff,") and "message" in json.loads(refused[9:])
    await raw.close()


async def comment_ack(raw: RawSocket, ack: int, body: Any) -> Any:
    await raw.send(f"42/live,{ack}" + json.dumps(["comment", body]))
    text = await raw.until(f"43/live,{ack}[")
    return json.loads(text[len(f"43/live,{ack}"):])[0]


async def test_comment_ack_is_the_same_result_as_on_python_socketio(
        client: TestClient, session: aiohttp.ClientSession) -> None:
    show = await seed_show(client)
    raw = await RawSocket.open(session, base(client))
    await raw.join(show)
    await raw.event("snapshot")
    lean = await comment_ack(raw, 1, {"id": "p-1", "name": "An", "text": "chốt A2"})
    again = await comment_ack(raw, 2, {"id": "p-1", "name": "An", "text": "chốt A2"})
    bad = await comment_ack(raw, 3, {"text": 5})
    # the same comments through python-socketio (long-polling) answer the same way
    other = socketio.AsyncClient(reconnection=False)
    await other.connect(base(client), namespaces=["/live"], auth={"show": show},
                        transports=["polling"], wait_timeout=5)
    try:
        sio = await other.call("comment", {"id": "p-1", "name": "Bình", "text": "chốt A2"},
                               namespace="/live", timeout=5)
        sio_bad = await other.call("comment", {"text": 5}, namespace="/live", timeout=5)
    finally:
        await other.eio.disconnect(abort=True)  # a long-poll would otherwise wait it out
    assert lean["status"] == sio["status"] == "ordered" and lean["id"] == "p-1"
    assert set(lean) == set(sio) and lean["order"] != sio["order"]
    assert lean["order_url"].startswith(f"/o/{lean['order']}?t=")
    assert again["status"] == "duplicate"
    assert bad == sio_bad and bad["error"]["field"] == "text"
    await raw.close()


@pytest.mark.parametrize("send", ["oversize", "binary", "4x", "42/live,[1,2", "9", "45/live,"])
async def test_garbage_closes_the_connection_cleanly(
        client: TestClient, session: aiohttp.ClientSession, send: str,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    hub = client.app[keys.HUB]
    show = await seed_show(client)
    raw = await RawSocket.open(session, base(client))
    await raw.join(show)
    await raw.event("snapshot")
    if send == "oversize":
        await raw.send("42/live," + json.dumps(["comment", {"text": "x" * 20_000}]))
    elif send == "binary":
        await raw.ws.send_bytes(b"\x04binary")
    else:
        await raw.send(send)
    assert await raw.ended()
    await wait_for(lambda: not hub.lean.conns and not hub.live.viewers)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    # the server is fine: the next viewer joins
    again = await RawSocket.open(session, base(client))
    assert (await again.join(show)).startswith("40/live,")
    await again.close()


async def test_disconnect_packet_updates_the_viewer_count(
        client: TestClient, session: aiohttp.ClientSession) -> None:
    hub = client.app[keys.HUB]
    show = await seed_show(client)
    raws = [await RawSocket.open(session, base(client)) for _ in range(3)]
    for raw in raws:
        await raw.join(show)
        await raw.event("snapshot")
    await wait_for(lambda: hub.fanout.count(show) == 3)
    await raws[0].send("41/live,")
    await wait_for(lambda: hub.fanout.count(show) == 2 and len(hub.live.viewers) == 2)
    assert len(hub.lean.conns) == 3  # leaving the namespace keeps the connection
    await raws[1].close()
    await wait_for(lambda: hub.fanout.count(show) == 1 and len(hub.lean.conns) == 2)
    for raw in raws:
        await raw.close()


async def test_targeted_send_and_disconnect_reach_a_lean_viewer(
        client: TestClient, session: aiohttp.ClientSession) -> None:
    hub = client.app[keys.HUB]
    show = await seed_show(client)
    raw = await RawSocket.open(session, base(client))
    live_sid = json.loads((await raw.join(show))[len("40/live,"):])["sid"]
    await raw.event("snapshot")
    await hub.live.send_to(live_sid, "flash", {"v": 1, "flash": None})
    assert (await raw.event("flash")) == {"v": 1, "flash": None}
    await hub.live.disconnect_viewer(live_sid)
    assert await raw.until("41/live,")
    await wait_for(lambda: hub.fanout.count(show) == 0)
    await raw.close()


@pytest.fixture
async def lean_off(aiohttp_client: Any, settings: Settings, clock: Clock) -> TestClient:
    app = create_app(dataclasses.replace(settings, lean_live=False), clock=clock)
    made: TestClient = await aiohttp_client(app)
    return made


async def test_lean_live_false_serves_websockets_through_python_engineio(
        lean_off: TestClient, session: aiohttp.ClientSession) -> None:
    hub = lean_off.app[keys.HUB]
    assert hub.lean is None
    show = await seed_show(lean_off)
    raw = await RawSocket.open(session, base(lean_off))
    assert "upgrades" in raw.opened and raw.opened["pingTimeout"] == 20_000
    assert (await raw.join(show)).startswith("40/live,")
    assert (await raw.event("snapshot"))["show"]["id"] == show
    await wait_for(lambda: hub.fanout.count(show) == 1)
    await raw.close()


async def test_a_stalled_lean_viewer_is_skipped_then_cut_off(client: TestClient) -> None:
    hub = client.app[keys.HUB]
    show = await seed_show(client)
    # a hand-made client with a tiny receive window that stops reading after joining
    stalled, sid = await StalledViewer.join(cast(Any, client), show)
    await wait_for(lambda: hub.fanout.count(show) == 1)
    assert sid in hub.lean.by_live  # a lean viewer, on the fan-out's direct path
    results = []
    for version in range(400):
        outcome = await hub.fanout.broadcast(show, "stock", {"v": version, "pad": "x" * 60_000})
        results.append(outcome)
        if outcome.disconnected_slow:
            break
    assert results[0].delivered == 1
    assert sum(r.skipped_slow for r in results) >= 1
    assert results[-1].disconnected_slow == 1
    await wait_for(lambda: not hub.lean.by_live and not hub.lean.conns)
    assert hub.fanout.count(show) == 0 and not hub.live.viewers
    await stalled.close()


async def test_a_websocket_from_another_origin_is_refused(
        client: TestClient, session: aiohttp.ClientSession) -> None:
    url = str(client.make_url("/socket.io/?EIO=4&transport=websocket"))
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await session.ws_connect(url, headers={"Origin": "http://elsewhere.example"})
    assert refused.value.status == 400
    host = f"http://127.0.0.1:{client.server.port}"
    same = await session.ws_connect(url, headers={"Origin": host})
    assert (await same.receive_str(timeout=5)).startswith("0{")
    await same.close()


async def test_a_connection_that_joins_nothing_is_closed_after_a_ping_round(
        client: TestClient, session: aiohttp.ClientSession) -> None:
    lean = client.app[keys.HUB].lean
    lean.ping_interval = 0.2
    idle = await RawSocket.open(session, base(client))
    assert await idle.ended(timeout=10)
    assert idle.pings >= 1  # it answered its pings, and was still closed
    await wait_for(lambda: not lean.conns)


async def test_a_console_on_a_direct_websocket_is_handed_to_python_socketio(
        client: TestClient) -> None:
    lean = client.app[keys.HUB].lean
    show = await seed_show(client)
    console = socketio.AsyncClient(reconnection=False)
    orders: list[Any] = []
    console.on("order", orders.append, namespace="/staff")
    await console.connect(base(client), namespaces=["/staff"], transports=["websocket"],
                          auth={"show": show, "token": OWNER}, wait_timeout=5)
    try:
        assert [conn.bridged for conn in lean.conns.values()] == [True]
        await post_comments(client, show, [comment("s1", "chốt A2")])
        await wait_for(lambda: orders)
        assert orders[0]["lines"][0]["code"] == "A2"
        # pushed as a frame built once, not encoded again by python-socketio per console
        pushes = client.app[keys.HUB].staff_fanout.stats()
        assert pushes["delivered"] >= 1 and pushes["via_slow_path"] == 0
    finally:
        await console.disconnect()
    await wait_for(lambda: not lean.conns)
