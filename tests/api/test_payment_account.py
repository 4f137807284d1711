"""The shop's bank account: set on the host console (checked), over config, shown on the
order page; the demo sets a sample one so its orders show a VietQR."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from livesell import keys
from livesell.app import create_app
from livesell.config import Settings
from livesell.demo.seed import seed_demo
from tests.conftest import ROLE_TOKENS, Clock, auth, comment, post_comments, seed_show


async def test_host_sets_a_checked_account_that_wins_over_config(client: TestClient) -> None:
    resp = await client.get("/api/payment/account", headers=auth(ROLE_TOKENS["host"]))
    assert (await resp.json()) == {"account": None}
    resp = await client.get("/api/payment/account", headers=auth(ROLE_TOKENS["staff"]))
    assert resp.status == 403
    for body in [{"bank": "Nowhere", "number": "123456"}, {"bank": "999999", "number": "1234"},
                 {"bank": "MB", "number": "12"}, {"bank": "MB"}, {"number": "123456"}]:
        resp = await client.put("/api/payment/account", json=body,
                                headers=auth(ROLE_TOKENS["host"]))
        assert resp.status == 400, body
    resp = await client.put("/api/payment/account", headers=auth(ROLE_TOKENS["host"]),
                            json={"bank": "Techcombank", "number": "1903 1234 5678",
                                  "holder": "HTX Mật Ong U Minh"})
    assert (await resp.json())["account"] == {"bin": "970407", "bank": "Techcombank",
                                              "number": "190312345678",
                                              "holder": "HTX Mật Ong U Minh"}
    show = await seed_show(client)
    [r] = await post_comments(client, show, [comment("c1", "C1 x1")])
    resp = await client.get(f"/api/orders/{r['order']}", headers=auth())
    order = await resp.json()
    resp = await client.post(f"/api/orders/{r['order']}/confirm",
                             json={"version": order["version"]}, headers=auth())
    path = "/" + (await resp.json())["buyer_url"].split("/", 3)[3]
    page = await (await client.get(path)).text()
    for text in ("Techcombank", "190312345678", "HTX Mật Ong U Minh", "150.000\u00a0₫",
                 'viewBox="0 0', "Giao đến"):
        assert text in page, text


async def test_demo_sets_a_sample_account(aiohttp_client: Any, settings: Settings,
                                          clock: Clock) -> None:
    app = create_app(settings, clock=clock)
    client: TestClient = await aiohttp_client(app)
    seeded = await seed_demo(app)
    account = await app[keys.PAYMENTS].account()
    assert account is not None and account.bank == "MB"
    show = seeded["show"]
    resp = await client.get(f"/api/shows/{show}")
    code = (await resp.json())["lineup"][0]["code"]
    [r] = await post_comments(client, show, [comment("c1", f"chốt {code}")],
                              token=seeded["token"])
    resp = await client.get(f"/api/orders/{r['order']}", headers=auth(seeded["token"]))
    order = await resp.json()
    resp = await client.post(f"/api/orders/{r['order']}/confirm",
                             json={"version": order["version"]}, headers=auth(seeded["token"]))
    assert resp.status == 200, await resp.text()
    path = "/" + (await resp.json())["buyer_url"].split("/", 3)[3]
    page = await (await client.get(path)).text()
    assert "VietQR" in page and "0001234567890" in page
