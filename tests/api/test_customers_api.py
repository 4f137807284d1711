"""Customers through the staff API, and never on a public channel."""

from __future__ import annotations

import asyncio
import itertools
import json

from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from livesell.domain.masking import contains_phone
from tests.conftest import ROLE_TOKENS, auth, comment, post_comments, seed_show

STAFF = auth(ROLE_TOKENS["staff"])


async def test_order_json_names_its_customer_and_search_finds_them(client: TestClient) -> None:
    show = await seed_show(client)
    answers = await post_comments(client, show, [
        comment("c1", "chốt A2 0912888777", author="a", name="Hùng", source="sim"),
        comment("c2", "chốt B1 500ml 0912 888 777", author="b", name="Nguyễn Văn Hùng",
                source="facebook"),
        comment("c3", "chốt C1", author="c", name="Nguyễn Văn Hùng", source="facebook"),
    ])
    first, second, third = (a["order"] for a in answers)
    resp = await client.get(f"/api/orders/{second}", headers=STAFF)
    customer = (await resp.json())["customer"]
    assert customer["other_open_orders"] == [first] and customer["phones"] == ["0912888777"]
    assert customer["badge"] == "returning"
    listing = await (await client.get(f"/api/shows/{show}/orders", headers=STAFF)).json()
    ids = {o["code"]: o["customer"]["id"] for o in listing["orders"]}
    assert ids[first] == ids[second] != ids[third]
    found = await (await client.get("/api/customers?q=hùng", headers=STAFF)).json()
    assert len(found["customers"]) == 2
    by_phone = await (await client.get("/api/customers?q=888777", headers=STAFF)).json()
    assert [c["id"] for c in by_phone["customers"]] == [ids[first]]
    merged = await client.post("/api/customers/merge", headers=STAFF,
                               json={"a": ids[first], "b": ids[third]})
    assert merged.status == 200 and len((await merged.json())["orders"]) == 3
    body = await merged.json()
    split = await client.post(f"/api/customers/{body['id']}/split", headers=STAFF,
                              json={"buyer": "facebook:c"})
    assert split.status == 200 and [o["code"] for o in (await split.json())["orders"]] == [third]
    for bad in ({}, {"a": 1, "b": "x"}, {"a": "nope", "b": "nada"}):
        resp = await client.post("/api/customers/merge", headers=STAFF, json=bad)
        assert resp.status in (400, 404)
    assert (await client.get("/api/customers?q=x")).status == 401
    assert (await client.get(f"/api/shows/{show}/customers", headers=STAFF)).status == 200


names = st.sampled_from(["Hùng", "Nguyễn Văn An", "Lê Thị Hồng", "Trần B"])
phones = st.from_regex(r"0[35789][0-9]{8}", fullmatch=True)
streets = st.sampled_from(["Lý Thường Kiệt", "Trần Hưng Đạo", "Lê Lợi"])
counter = itertools.count()


@settings(max_examples=10, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=names, phone=phones, street=streets, house=st.integers(1, 999))
async def test_nothing_about_a_customer_reaches_a_public_channel(
        client: TestClient, name: str, phone: str, house: int, street: str) -> None:
    n = next(counter)
    show = await seed_show(client)
    spaced = f"{phone[:4]} {phone[4:7]} {phone[7:]}"
    await post_comments(client, show, [
        comment(f"p{n}a", "chốt A2", author=f"x{n}", name=name),
        comment(f"p{n}b", f"sdt {spaced}", author=f"x{n}", name=name),
        comment(f"p{n}c", f"giao {house} {street} P.5 Cà Mau", author=f"x{n}", name=name),
        comment(f"p{n}d", "chốt B1 500ml", author=f"y{n}", name=name, source="facebook"),
        comment(f"p{n}e", f"{spaced}", author=f"y{n}", name=name, source="facebook"),
    ])
    staff = await (await client.get(f"/api/shows/{show}/orders", headers=STAFF)).json()
    customer_ids = {o["customer"]["id"] for o in staff["orders"]}
    assert len(customer_ids) == 1  # one phone, two platforms: one customer
    for path in (f"/api/shows/{show}", f"/s/{show}", f"/s/{show}/overlay", "/api/shows"):
        text = await (await client.get(path)).text()
        assert not contains_phone(text), path
        assert street not in text and '"customer"' not in text, path
        assert '"history"' not in text and '"phones"' not in text, path
        assert not any(cid in text for cid in customer_ids), path
    public = json.dumps(await (await client.get(f"/api/shows/{show}")).json(),
                        ensure_ascii=False)
    assert phone not in public


async def test_risky_customers_need_a_phone_or_staff_approval(client: TestClient) -> None:
    show = await seed_show(client)
    # a history of expired and returned orders, all under one phone
    answers = await post_comments(client, show, [
        comment(f"h{i}", "chốt A2 0912888777", author=f"old{i}", name="Bom") for i in range(3)])
    for answer in answers:
        code = answer["order"]
        for action in ("confirm", "paid", "shipped", "returned"):
            order = await (await client.get(f"/api/orders/{code}", headers=auth())).json()
            resp = await client.post(f"/api/orders/{code}/{action}", headers=auth(),
                                     json={"version": order["version"]})
            assert resp.status == 200, action
    # the customer book is rebuilt at most once a second: wait until it counts the returns
    deadline = asyncio.get_running_loop().time() + 5
    while True:
        found = await (await client.get("/api/customers?q=0912888777", headers=STAFF)).json()
        if found["customers"][0]["hint"] == "risky":
            break
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.1)
    bad = await client.post(f"/api/shows/{show}/customer-policy", json={"risky": "maybe"},
                            headers=auth())
    assert bad.status == 400
    resp = await client.post(f"/api/shows/{show}/customer-policy", json={"risky": "review"},
                             headers=auth())
    assert resp.status == 200 and (await resp.json())["risky_customers"] == "review"
    held = await post_comments(client, show, [comment("n1", "chốt C1", author="old0",
                                                      name="Bom"),
                                              comment("n2", "chốt C1", author="fresh",
                                                      name="Lan")])
    assert [a["status"] for a in held] == ["review", "ordered"]
    assert held[0]["reason"] == "customer history: staff approval"
    await client.post(f"/api/shows/{show}/customer-policy", json={"risky": "phone"},
                      headers=auth())
    again = await post_comments(client, show, [
        comment("n3", "chốt C1", author="old1", name="Bom"),
        comment("n4", "chốt C1 0912888777", author="old1", name="Bom")])
    assert [a["status"] for a in again] == ["review", "ordered"]
    await client.post(f"/api/shows/{show}/customer-policy", json={"risky": "off"},
                      headers=auth())
    (free,) = await post_comments(client, show, [comment("n5", "chốt C1", author="old2",
                                                         name="Bom")])
    assert free["status"] == "ordered"
