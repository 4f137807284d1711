"""Follow-up comments through the real intake: the buyer's words reach the right order."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from tests.conftest import auth, comment, post_comments, seed_show


async def order_json(client: TestClient, code: str) -> dict:  # type: ignore[type-arg]
    resp = await client.get(f"/api/orders/{code}", headers=auth())
    assert resp.status == 200
    return await resp.json()  # type: ignore[no-any-return]


async def test_follow_ups_through_the_intake(client: TestClient) -> None:
    show = await seed_show(client)
    resp = await client.post(f"/api/shows/{show}/pin", json={"code": "A1"}, headers=auth())
    assert resp.status == 200
    (first,) = await post_comments(client, show, [comment("c1", "chốt A1 500g x2, A2 x3")])
    code = first["order"]
    answers = await post_comments(client, show, [
        comment("c2", "huỷ 1 A2"),
        comment("c3", "đổi sang 1kg"),
        comment("c4", "sdt 0912 888 777"),
        comment("c5", "giao 12 Lý Thường Kiệt P.5 Cà Mau nha shop"),
        comment("c6", "ship về Cà Mau nha"),
    ])
    assert [a["status"] for a in answers] == ["cancelled", "ordered", "contact", "contact",
                                              "review"]
    order = await order_json(client, code)
    live = sorted((ln["code"], ln["variant"], ln["qty"]) for ln in order["lines"]
                  if ln["state"] == "held")
    assert live == [("A1", "1kg", 2), ("A2", "", 2)]
    assert order["contact"]["phone"] == "0912888777"
    assert order["contact"]["address"] == "12 Lý Thường Kiệt P.5 Cà Mau"
    actions = [a["action"] for a in order["audit"] if a["comment_id"]]
    assert actions == ["opened", "add", "add", "cancel", "change", "add", "contact", "contact",
                       "note"]
    review = await (await client.get(f"/api/shows/{show}/review", headers=auth())).json()
    assert any(r["reason"] == "contact note: address unclear" for r in review["review"])
    # nothing of the contact reaches the public snapshot
    public = await (await client.get(f"/api/shows/{show}")).text()
    # (the phone's digits as typed and as stored: a bare "888" can occur in a timestamp)
    assert "Lý Thường Kiệt" not in public
    assert "888 777" not in public and "888777" not in public
