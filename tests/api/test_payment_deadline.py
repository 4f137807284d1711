"""The payment deadline through the app: warned and flagged first, then released to the
waitlist; staff see both over their socket."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from livesell import keys
from tests.conftest import ROLE_TOKENS, Clock, auth, comment, post_comments, seed_show
from tests.realtime.test_hub import Listener, url


async def test_unpaid_confirmed_order_is_warned_then_released(client: TestClient,
                                                              clock: Clock) -> None:
    show = await seed_show(client, stock={"C1": 2})
    resp = await client.post(f"/api/shows/{show}/payment-deadline", json={"hours": 2},
                             headers=auth(ROLE_TOKENS["host"]))
    assert resp.status == 200 and (await resp.json())["payment_hours"] == 2
    resp = await client.post(f"/api/shows/{show}/payment-deadline", json={"hours": 0},
                             headers=auth(ROLE_TOKENS["host"]))
    assert resp.status == 400
    [a] = await post_comments(client, show, [comment("c1", "C1 x2", author="a")])
    [b] = await post_comments(client, show, [comment("c2", "C1 x1", author="b")])
    assert b["status"] == "waitlisted"
    resp = await client.get(f"/api/orders/{a['order']}", headers=auth())
    resp = await client.post(f"/api/orders/{a['order']}/confirm",
                             json={"version": (await resp.json())["version"]}, headers=auth())
    assert resp.status == 200
    payments = client.app[keys.PAYMENTS]
    staff = Listener("/staff")
    try:
        await staff.connect(url(client), {"show": show, "token": ROLE_TOKENS["staff"]})
        clock.advance(2 * 3600 - 5)
        assert await payments.sweep_deadlines() == 0
        clock.advance(5)
        assert await payments.sweep_deadlines() == 1
        warned = await staff.until("order", lambda o: o["code"] == a["order"]
                                   and o["payment_flag"] == "overdue")
        assert warned["status"] == "confirmed"
        assert await payments.sweep_deadlines() == 0  # warned once, not every sweep
        clock.advance(60 * 60)
        assert await payments.sweep_deadlines() == 1
        await staff.until("order", lambda o: o["code"] == a["order"]
                          and o["status"] == "cancelled")
        promoted = await staff.until("order", lambda o: o["code"] == b["order"]
                                     and o["lines"][0]["state"] == "held")
        assert promoted["lines"][0]["qty"] == 1
    finally:
        await staff.close()
    resp = await client.get(f"/api/orders/{a['order']}", headers=auth())
    trail = [(e["actor"], e["action"]) for e in (await resp.json())["audit"]]
    assert trail[-2:] == [("system:payment-deadline", "payment_overdue"),
                          ("system:payment-deadline", "cancel")]


async def test_a_paid_order_is_never_released(client: TestClient, clock: Clock) -> None:
    show = await seed_show(client)
    await client.post(f"/api/shows/{show}/payment-deadline", json={"hours": 1}, headers=auth())
    [a] = await post_comments(client, show, [comment("c1", "C1 x1", author="a")])
    for action in ("confirm", "paid"):
        resp = await client.get(f"/api/orders/{a['order']}", headers=auth())
        resp = await client.post(f"/api/orders/{a['order']}/{action}",
                                 json={"version": (await resp.json())["version"]},
                                 headers=auth())
        assert resp.status == 200
    clock.advance(48 * 3600)
    assert await client.app[keys.PAYMENTS].sweep_deadlines() == 0
