"""Site buyers over real sockets: the signed cookie is one buyer across sockets; sockets
without it are each their own buyer, all under the per-address limit."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from livesell import keys
from livesell.config import Settings
from livesell.http.buyers import BUYER_COOKIE
from tests.conftest import seed_show

from .test_hub import Listener, listeners, url

__all__ = ["listeners"]  # the fixture


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # generous per-socket rates: these tests are about holds, not about comment rates
    return settings.with_(address_max_holds=7, comment_rate=100.0, comment_burst=100)


async def viewer_cookie(client: TestClient, show: str) -> str:
    resp = await client.get(f"/s/{show}")
    assert resp.status == 200
    morsel = resp.cookies[BUYER_COOKIE]
    assert morsel["httponly"] and morsel["samesite"] == "Lax" and morsel["path"] == "/"
    return morsel.value


async def connect(client: TestClient, show: str, listeners: list[Listener],
                  cookie: str | None = None) -> Listener:
    listener = Listener("/live")
    listeners.append(listener)
    headers = {"Cookie": f"{BUYER_COOKIE}={cookie}"} if cookie else {}
    await listener.connect(url(client), {"show": show}, headers=headers)
    await listener.next("snapshot")
    return listener


async def say(listener: Listener, text: str) -> dict[str, Any]:
    ack: dict[str, Any] = await listener.client.call(
        "comment", {"name": "Trần Thị Bé", "text": text}, namespace="/live", timeout=5)
    return ack


async def held(client: TestClient, code: str) -> int:
    levels = await client.app[keys.STORE].stock()
    return sum(level.held for level in levels if level.code == code)


async def test_the_cookie_is_one_buyer_across_sockets(client: TestClient,
                                                     listeners: list[Listener]) -> None:
    show = await seed_show(client)
    cookie = await viewer_cookie(client, show)
    # the page renews the same id on every visit
    again = await client.get(f"/s/{show}", headers={"Cookie": f"{BUYER_COOKIE}={cookie}"})
    assert again.cookies[BUYER_COOKIE].value == cookie
    first = await connect(client, show, listeners, cookie)
    ack = await say(first, "chốt A2 x2")
    assert ack["status"] == "ordered"
    await first.close()
    second = await connect(client, show, listeners, cookie)
    more = await say(second, "chốt A2 x2")  # the same buyer: no phone yet, 3 units at most
    assert more["status"] == "ordered" and more["order"] == ack["order"]
    assert "anonymous_limit:3" in more["reason"]
    assert await held(client, "A2") == 3
    phone = await say(second, "sdt 0912 888 777")
    assert phone["status"] == "contact" and phone["order"] == ack["order"]
    order = await client.app[keys.STORE].get_order(ack["order"])
    assert order is not None and order.contact.phone == "0912888777"
    cancelled = await say(second, "huỷ")
    assert cancelled["status"] == "cancelled" and cancelled["order"] == ack["order"]
    assert await held(client, "A2") == 0


async def test_a_forged_cookie_is_nobody(client: TestClient,
                                         listeners: list[Listener]) -> None:
    show = await seed_show(client)
    cookie = await viewer_cookie(client, show)
    owner = await connect(client, show, listeners, cookie)
    ack = await say(owner, "chốt A2")
    buyer_id = cookie.rpartition(".")[0]
    for forged in (buyer_id, f"{buyer_id}.{'0' * 32}", f"x{cookie}", "a.b"):
        thief = await connect(client, show, listeners, forged)
        answer = await say(thief, "huỷ")
        assert answer["status"] == "ignored", forged
    order = await client.app[keys.STORE].get_order(ack["order"])
    assert order is not None and order.status == "captured"


async def test_many_sockets_from_one_address_hold_at_most_the_address_limit(
        client: TestClient, listeners: list[Listener]) -> None:
    show = await seed_show(client)
    answers = []
    for n in range(8):
        # half with a fresh cookie each (a script that loads the page every time), half bare
        cookie = await viewer_cookie(client, show) if n % 2 else None
        sock = await connect(client, show, listeners, cookie)
        answers.append(await say(sock, "chốt A2 x3 0912888777"))
    assert await held(client, "A2") == 7
    assert [a["status"] for a in answers[:3]] == ["ordered"] * 3
    assert {a["status"] for a in answers[3:]} == {"rejected"}
    assert all("address_limit:" in a["reason"] for a in answers[3:])
