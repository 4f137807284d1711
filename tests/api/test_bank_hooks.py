"""Bank transfers through the real app: SePay's payload and the signed generic feed, on both
stores, with the buyer's page and the staff console told over their sockets."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from livesell import keys
from livesell.app import create_app
from livesell.config import Settings
from livesell.http.auth import hash_token
from livesell.store.base import Store
from livesell.store.redis import RedisStore
from tests.conftest import ROLE_TOKENS, Clock, auth, comment, post_comments, seed_show
from tests.realtime.test_hub import Listener, url
from tests.store.conftest import REDIS_URL

KEY = "sepay-test-key"


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def bank(request: pytest.FixtureRequest, aiohttp_client: Any, settings: Settings,
               clock: Clock) -> AsyncIterator[TestClient]:
    store: Store | None = None
    if request.param == "redis":
        # The Redis store behind one node (the multi-node relay has tests of its own).
        store = RedisStore(REDIS_URL, prefix=f"lstest-{uuid.uuid4().hex[:10]}")
    app = create_app(settings.with_(bank_webhook_key=KEY, payment_bank="MB",
                                    payment_account="0123456789", public_url="https://shop.vn"),
                     clock=clock, store=store)
    client: TestClient = await aiohttp_client(app)
    for role, token in ROLE_TOKENS.items():
        await app[keys.STORE].add_token(hash_token(token), role, role, clock())
    yield client
    if store is not None:
        await store.delete_everything()


def sepay(tx: int, amount: int, content: str, kind: str = "in") -> dict[str, Any]:
    """SePay's webhook body, field for field."""
    return {"id": tx, "gateway": "MBBank", "transactionDate": "2026-12-02 20:15:09",
            "accountNumber": "0123456789", "code": None, "content": content,
            "transferType": kind, "transferAmount": amount, "accumulated": 19_077_000,
            "subAccount": None, "referenceCode": f"FT{tx}",
            "description": f"BankAPINotify {content}"}


async def post_sepay(client: TestClient, body: dict[str, Any], key: str = KEY) -> Any:
    resp = await client.post("/hooks/bank/sepay", json=body,
                             headers={"Authorization": f"Apikey {key}"})
    return resp.status, await resp.json()


async def confirmed(client: TestClient, show: str, cid: str, author: str) -> dict[str, Any]:
    """A confirmed order of 2 x C1 (300.000 ₫)."""
    results = await post_comments(client, show, [comment(cid, "C1 x2", author=author)])
    code = results[0]["order"]
    resp = await client.get(f"/api/orders/{code}", headers=auth())
    order = await resp.json()
    resp = await client.post(f"/api/orders/{code}/confirm", json={"version": order["version"]},
                             headers=auth())
    assert resp.status == 200, await resp.text()
    return dict(await resp.json())


async def fetch(client: TestClient, code: str) -> dict[str, Any]:
    resp = await client.get(f"/api/orders/{code}", headers=auth())
    return dict(await resp.json())


async def test_sepay_exact_under_over_duplicate_unknown_out(bank: TestClient) -> None:
    show = await seed_show(bank)
    exact = await confirmed(bank, show, "c1", "u1")
    under = await confirmed(bank, show, "c2", "u2")
    over = await confirmed(bank, show, "c3", "u3")
    assert exact["buyer_url"] == f"https://shop.vn/o/{exact['code']}?t=" + \
        exact["buyer_url"].split("?t=")[1]
    assert len(exact["buyer_url"].split("?t=")[1]) >= 16

    code = exact["code"]
    assert await post_sepay(bank, sepay(1, 300_000, f"MBVCB.123.{code.replace('-', '')}.CT")) \
        == (200, {"success": True})
    paid = await fetch(bank, code)
    assert (paid["status"], paid["received"], paid["payment_flag"]) == ("paid", 300_000, "")
    assert [a["action"] for a in paid["audit"]][-2:] == ["payment", "paid"]
    assert "sepay:1" in paid["audit"][-2]["detail"]

    # the same transaction again (SePay retries): still 200, nothing changes
    assert await post_sepay(bank, sepay(1, 300_000, code)) == (200, {"success": True})
    assert (await fetch(bank, code))["version"] == paid["version"]

    lower = under["code"].lower().replace("-", " ")
    assert (await post_sepay(bank, sepay(2, 250_000, f"thanh toan {lower}")))[0] == 200
    part = await fetch(bank, under["code"])
    assert (part["status"], part["received"], part["payment_flag"]) == (
        "confirmed", 250_000, "underpaid")

    assert (await post_sepay(bank, sepay(3, 400_000, over["code"])))[0] == 200
    more = await fetch(bank, over["code"])
    assert (more["status"], more["payment_flag"]) == ("paid", "overpaid")

    # money going out is not a payment, even with an order code in it
    assert (await post_sepay(bank, sepay(4, 250_000, under["code"], kind="out")))[0] == 200
    assert (await fetch(bank, under["code"]))["received"] == 250_000

    # no code, or a code of no order: waits in the unmatched list
    assert (await post_sepay(bank, sepay(5, 99_000, "chuyen tien mua cua")))[0] == 200
    assert (await post_sepay(bank, sepay(6, 99_000, "DD-9999")))[0] == 200
    resp = await bank.get("/api/transfers?status=unmatched", headers=auth(ROLE_TOKENS["staff"]))
    waiting = (await resp.json())["transfers"]
    assert sorted(t["id"] for t in waiting) == ["sepay:5", "sepay:6"]
    assert all(t["amount"] == 99_000 and t["order"] is None for t in waiting)

    # staff attach the rest of the underpaid order by hand
    resp = await bank.post("/api/transfers/sepay:5/attach", json={"order": under["code"]},
                           headers=auth(ROLE_TOKENS["staff"]))
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["status"] == "attached"
    settled = await fetch(bank, under["code"])
    assert (settled["status"], settled["received"], settled["payment_flag"]) == (
        "paid", 349_000, "overpaid")
    resp = await bank.post("/api/transfers/sepay:5/attach", json={"order": under["code"]},
                           headers=auth(ROLE_TOKENS["staff"]))
    assert resp.status == 409


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Apikey wrong"},
                                     {"Authorization": f"Bearer {KEY}"},
                                     {"Authorization": f"apikey {KEY}x"}])
async def test_sepay_wrong_key_is_401(bank: TestClient, headers: dict[str, str]) -> None:
    resp = await bank.post("/hooks/bank/sepay", json=sepay(1, 1000, "DD-0001"),
                           headers=headers)
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == "unauthorized"


async def test_sepay_bad_payload_is_400_not_500(bank: TestClient) -> None:
    for body in [[], {"id": 1}, {**sepay(1, 1000, "x"), "transferAmount": "lots"},
                 {**sepay(1, 1000, "x"), "transferType": "sideways"},
                 {**sepay(1, 1000, "x"), "transferAmount": 10.5}]:
        status, answer = await post_sepay(bank, body)  # type: ignore[arg-type]
        assert status == 400 and answer["error"]["code"] == "invalid", body


async def test_hooks_off_without_a_key(client: TestClient) -> None:
    resp = await client.post("/hooks/bank/sepay", json=sepay(1, 1000, "x"),
                             headers={"Authorization": "Apikey "})
    assert resp.status == 404


async def test_generic_feed_is_signed(bank: TestClient) -> None:
    show = await seed_show(bank)
    order = await confirmed(bank, show, "c1", "u1")
    body = json.dumps({"id": "tx-77", "amount": 300_000, "content": f"ck {order['code']}",
                       "time": "2026-12-02T20:15:09+07:00"}).encode()
    good = "sha256=" + hmac.new(KEY.encode(), body, hashlib.sha256).hexdigest()
    for bad in ("", "sha256=00", good[:-1] + "0"):
        resp = await bank.post("/hooks/bank/generic", data=body,
                               headers={"X-Livesell-Signature": bad,
                                        "Content-Type": "application/json"})
        assert resp.status == 401
    resp = await bank.post("/hooks/bank/generic", data=body,
                           headers={"X-Livesell-Signature": good,
                                    "Content-Type": "application/json"})
    assert (resp.status, await resp.json()) == (200, {"success": True, "result": "matched"})
    resp = await bank.post("/hooks/bank/generic", data=body,
                           headers={"X-Livesell-Signature": good,
                                    "Content-Type": "application/json"})
    assert (await resp.json())["result"] == "duplicate"
    assert (await fetch(bank, order["code"]))["status"] == "paid"


async def test_buyer_page_and_staff_console_hear_it(bank: TestClient) -> None:
    show = await seed_show(bank)
    order = await confirmed(bank, show, "c1", "u1")
    token = order["buyer_url"].split("?t=")[1]
    buyer, staff = Listener("/buyer"), Listener("/staff")
    try:
        await buyer.connect(url(bank), {"order": order["code"], "t": token})
        await staff.connect(url(bank), {"show": show, "token": ROLE_TOKENS["staff"]})
        first = await buyer.next("order")
        assert first["status"] == "confirmed" and "phone" not in first
        await post_sepay(bank, sepay(11, 300_000, order["code"]))
        paid = await buyer.until("order", lambda o: o["status"] == "paid")
        assert paid["received"] == 300_000 and paid["code"] == order["code"]
        pushed = await staff.until("order", lambda o: o["code"] == order["code"]
                                   and o["status"] == "paid")
        assert pushed["buyer_url"] == order["buyer_url"]
        await post_sepay(bank, sepay(12, 5_000, "khong co ma"))
        waiting = await staff.until("transfer", lambda t: t["id"] == "sepay:12")
        assert waiting["status"] == "unmatched"
    finally:
        await buyer.close()
        await staff.close()


async def test_buyer_socket_needs_the_link_secret(bank: TestClient) -> None:
    import socketio

    show = await seed_show(bank)
    order = await confirmed(bank, show, "c1", "u1")
    for auth_doc in [{}, {"order": order["code"]}, {"order": order["code"], "t": "nope"},
                     {"order": "DD-9999", "t": "x"}]:
        listener = Listener("/buyer")
        with pytest.raises(socketio.exceptions.ConnectionError):
            await listener.connect(url(bank), auth_doc)
