"""Hostile payloads on /live: each answered in the ack, none crashes the handler."""

from __future__ import annotations

import json

from aiohttp.test_utils import TestClient

from tests.conftest import auth, seed_show
from tests.realtime.test_hub import Listener, listeners, viewer

__all__ = ["listeners"]


async def test_lone_surrogate_on_live_gets_a_rejected_ack(
        client: TestClient, listeners: list[Listener]) -> None:
    show = await seed_show(client)
    v = await viewer(client, show, listeners)
    await v.next("snapshot")
    ack = await v.client.call("comment", {"name": "Bé", "text": "chốt A2 \ud800"},
                              namespace="/live", timeout=5)
    assert ack["status"] == "rejected"
    assert ack["error"]["code"] == "invalid" and ack["error"]["field"] == "text"
    assert "Traceback" not in json.dumps(ack)
    ok = await v.client.call("comment", {"name": "Bé", "text": "chốt A2"},
                             namespace="/live", timeout=5)
    assert ok["status"] == "ordered"


async def test_live_payloads_checked_like_http(client: TestClient,
                                               listeners: list[Listener]) -> None:
    show = await seed_show(client)
    v = await viewer(client, show, listeners)
    await v.next("snapshot")
    for payload, field in [({"text": 5}, "text"), ({"text": "A2", "name": ["x"]}, "name"),
                           ({"name": "x"}, "text"), ({"text": "A2", "id": True}, "id")]:
        ack = await v.client.call("comment", payload, namespace="/live", timeout=5)
        assert ack["status"] == "rejected", payload
        assert ack["error"]["field"] == field, payload
    ack = await v.client.call("comment", [1, 2], namespace="/live", timeout=5)
    assert ack["error"]["code"] == "invalid"


async def test_a_viewer_cannot_reuse_another_viewers_comment_id(
        client: TestClient, listeners: list[Listener]) -> None:
    show = await seed_show(client)
    first = await viewer(client, show, listeners)
    second = await viewer(client, show, listeners)
    await first.next("snapshot")
    await second.next("snapshot")
    mine = await first.client.call("comment", {"id": "c-1", "name": "An", "text": "chốt A2"},
                                   namespace="/live", timeout=5)
    again = await first.client.call("comment", {"id": "c-1", "name": "An", "text": "chốt A2"},
                                    namespace="/live", timeout=5)
    theirs = await second.client.call("comment", {"id": "c-1", "name": "Bình",
                                                  "text": "chốt A2"},
                                      namespace="/live", timeout=5)
    assert mine["status"] == "ordered" and mine["id"] == "c-1"
    assert again["status"] == "duplicate"
    assert theirs["status"] == "ordered" and theirs["order"] != mine["order"]
    stock = await (await client.get(f"/api/shows/{show}/stock", headers=auth())).json()
    assert next(s for s in stock if s["code"] == "A2")["held"] == 2
