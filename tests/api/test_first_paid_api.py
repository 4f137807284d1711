"""First paid, first served through the API: the show option, payments taking the units, what
the buyer sees, and nothing of it on a public channel."""

from __future__ import annotations

import itertools
import json

from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from livesell import keys
from livesell.domain.masking import contains_phone
from livesell.domain.payments import Transfer
from tests.conftest import ROLE_TOKENS, auth, comment, post_comments, seed_show

STAFF = auth(ROLE_TOKENS["staff"])
HOST = auth(ROLE_TOKENS["host"])


async def test_the_option_is_set_through_patch_and_checked(client: TestClient) -> None:
    show = await seed_show(client)
    assert (await (await client.get(f"/api/shows/{show}")).json())["show"]["first_paid"] is False
    resp = await client.patch(f"/api/shows/{show}", json={"first_paid": True}, headers=HOST)
    assert resp.status == 200 and (await resp.json())["first_paid"] is True
    public = await (await client.get(f"/api/shows/{show}")).json()
    assert public["show"]["first_paid"] is True  # viewers may know how the show sells
    for bad in ({}, {"first_paid": "yes"}, {"firstpaid": True}, [1]):
        resp = await client.patch(f"/api/shows/{show}", json=bad, headers=HOST)
        assert resp.status == 400, bad
        assert "error" in await resp.json()
    assert (await client.patch(f"/api/shows/{show}", json={"first_paid": False},
                               headers=STAFF)).status == 403
    assert (await client.patch(f"/api/shows/{show}", json={"first_paid": False})).status == 401
    assert (await client.patch("/api/shows/nope", json={"first_paid": False},
                               headers=HOST)).status == 404
    host_page = await (await client.get(f"/host/{show}", headers=HOST)).text()
    assert 'id="first-paid" checked' in host_page


async def _order(client: TestClient, code: str) -> dict:  # type: ignore[type-arg]
    return dict(await (await client.get(f"/api/orders/{code}", headers=STAFF)).json())


async def test_first_paid_wins_and_the_other_is_told_it_sold_out(client: TestClient) -> None:
    show = await seed_show(client, stock={"C1": 1})
    await client.patch(f"/api/shows/{show}", json={"first_paid": True}, headers=HOST)
    first, second = (a["order"] for a in await post_comments(client, show, [
        comment("c1", "chốt C1", author="a", name="Hùng"),
        comment("c2", "chốt C1", author="b", name="Lan"),
    ]))
    stock = await (await client.get(f"/api/shows/{show}/stock", headers=STAFF)).json()
    c1 = next(s for s in stock if s["code"] == "C1")
    assert (c1["available"], c1["held"]) == (1, 0)  # viewers see the unsold stock
    # the second buyer pays first, by bank transfer: paid straight from "captured"
    await client.app[keys.PAYMENTS].receive(Transfer("sepay:1", "sepay", 150_000, second))
    won = await _order(client, second)
    assert won["status"] == "paid" and [ln["state"] for ln in won["lines"]] == ["confirmed"]
    # the first buyer's staff confirm and mark paid (cash): the unit is gone
    order = await _order(client, first)
    order = dict(await (await client.post(f"/api/orders/{first}/confirm", headers=STAFF,
                                          json={"version": order["version"]})).json())
    resp = await client.post(f"/api/orders/{first}/paid", headers=STAFF,
                             json={"version": order["version"]})
    lost = dict(await resp.json())
    assert resp.status == 200 and lost["status"] == "paid"
    assert [ln["state"] for ln in lost["lines"]] == ["sold_out"]
    assert lost["payment_flag"] == "refund"
    review = await (await client.get(f"/api/shows/{show}/review", headers=STAFF)).json()
    assert [i["reason"] for i in review["review"]] == [f"paid_sold_out:{first}:C1 x1"]
    # more money for it later is still money to give back
    await client.app[keys.PAYMENTS].receive(Transfer("sepay:2", "sepay", 10_000, first))
    assert (await _order(client, first))["payment_flag"] == "refund"
    # the buyer's page says so
    token = (await client.app[keys.STORE].get_order(first)).token  # type: ignore[union-attr]
    page = await (await client.get(f"/o/{first}?t={token}")).text()
    assert "line-sold_out" in page and "hoàn tiền" in page


names = st.sampled_from(["Hùng", "Nguyễn Văn An", "Lê Thị Hồng"])
phones = st.from_regex(r"0[35789][0-9]{8}", fullmatch=True)
streets = st.sampled_from(["Lý Thường Kiệt", "Trần Hưng Đạo", "Lê Lợi"])
counter = itertools.count()


@settings(max_examples=6, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=names, phone=phones, street=streets, house=st.integers(1, 999))
async def test_nothing_of_a_first_paid_sale_reaches_a_public_channel(
        client: TestClient, name: str, phone: str, house: int, street: str) -> None:
    """Refund flags, sold-out alerts, money received, contacts: staff only."""
    n = next(counter)
    show = await seed_show(client, stock={"C1": 1})
    await client.patch(f"/api/shows/{show}", json={"first_paid": True}, headers=HOST)
    answers = await post_comments(client, show, [
        comment(f"f{n}a", f"chốt C1 {phone}", author=f"x{n}", name=name),
        comment(f"f{n}b", f"giao {house} {street} P.5 Cà Mau", author=f"x{n}", name=name),
        comment(f"f{n}c", "chốt C1", author=f"y{n}", name=name, source="facebook"),
    ])
    for i, code in enumerate({a["order"] for a in answers if a.get("order")}):
        order = await _order(client, code)
        await client.app[keys.PAYMENTS].receive(
            Transfer(f"sepay:f{n}{i}", "sepay", order["total"], code))
    staff = await (await client.get(f"/api/shows/{show}/orders", headers=STAFF)).json()
    assert "refund" in {o["payment_flag"] for o in staff["orders"]}
    for path in (f"/api/shows/{show}", f"/s/{show}", f"/s/{show}/overlay", "/api/shows"):
        text = await (await client.get(path)).text()
        assert not contains_phone(text), path
        assert street not in text and "paid_sold_out" not in text, path
        assert '"payment_flag"' not in text and '"received"' not in text, path
    public = json.dumps(await (await client.get(f"/api/shows/{show}")).json(),
                        ensure_ascii=False)
    assert phone not in public
