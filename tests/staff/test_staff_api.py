"""Claims, bulk actions, packing views and the report page through the real app."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from livesell import keys
from livesell.http.auth import hash_token
from tests.conftest import ROLE_TOKENS, Clock, auth, comment, post_comments, seed_show

AN, BINH = "claims-token-an-0123456789", "claims-token-binh-0123456789"


async def _staff(client: TestClient) -> None:
    store = client.app[keys.STORE]
    await store.add_token(hash_token(AN), "staff", "An", 0.0)
    await store.add_token(hash_token(BINH), "staff", "Bình", 0.0)


async def _orders(client: TestClient, show: str, n: int) -> list[dict[str, Any]]:
    results = await post_comments(client, show, [
        comment(f"c{i}", f"chốt A2 x1 09{i:08d}", author=f"u{i}", name=f"Khách {i}")
        for i in range(n)])
    codes = [r["order"] for r in results]
    return [await (await client.get(f"/api/orders/{c}", headers=auth())).json() for c in codes]


async def test_claims_expire_and_name_the_holder(client: TestClient, clock: Clock) -> None:
    await _staff(client)
    show = await seed_show(client)
    [order] = await _orders(client, show, 1)
    code = order["code"]
    resp = await client.post(f"/api/orders/{code}/claim", headers=auth(AN))
    assert resp.status == 200
    assert (await resp.json())["holder"] == "An"
    refused = await client.post(f"/api/orders/{code}/claim", headers=auth(BINH))
    assert refused.status == 409
    body = await refused.json()
    assert body["error"]["code"] == "claimed" and body["claim"]["holder"] == "An"
    listed = await (await client.get(f"/api/shows/{show}/claims", headers=auth(BINH))).json()
    assert [c["holder"] for c in listed["claims"]] == ["An"]
    clock.advance(client.app[keys.SETTINGS].claim_seconds + 1)
    assert (await client.post(f"/api/orders/{code}/claim", headers=auth(BINH))).status == 200
    released = await client.delete(f"/api/orders/{code}/claim", headers=auth(AN))
    assert (await released.json())["released"] is False
    assert (await client.post("/api/orders/DD-9999/claim", headers=auth(AN))).status == 404
    assert (await client.post(f"/api/orders/{code}/claim")).status == 401


async def test_bulk_confirm_goes_through_except_the_stale_one(client: TestClient) -> None:
    show = await seed_show(client)
    orders = await _orders(client, show, 5)
    stale = orders[0]
    await client.patch(f"/api/orders/{stale['code']}", headers=auth(),
                       json={"version": stale["version"], "contact": {"name": "Mới"}})
    resp = await client.post(f"/api/shows/{show}/orders/bulk", headers=auth(), json={
        "action": "confirm",
        "orders": [{"code": o["code"], "version": o["version"]} for o in orders]})
    assert resp.status == 200
    body = await resp.json()
    assert body["done"] == 4
    first = body["results"][0]
    assert first["ok"] is False and first["error"]["code"] == "stale_version"
    assert first["order"]["contact"]["name"] == "Mới"
    assert all(r["order"]["status"] == "confirmed" for r in body["results"][1:])


async def test_bulk_refuses_bad_input_without_a_500(client: TestClient) -> None:
    show = await seed_show(client)
    url = f"/api/shows/{show}/orders/bulk"
    for body in ({}, {"action": "explode", "orders": [{"code": "x", "version": 1}]},
                 {"action": "confirm", "orders": []}, {"action": "confirm", "orders": "x"},
                 {"action": "confirm", "orders": [{"code": 5, "version": 1}]},
                 {"action": "confirm", "orders": [{"code": "x", "version": 0}]},
                 {"action": "confirm", "orders": [{"code": "x", "version": 1}] * 501}):
        resp = await client.post(url, headers=auth(), json=body)
        assert resp.status == 400, body
    other = await client.post(url, headers=auth(), json={
        "action": "confirm", "orders": [{"code": "DD-4040", "version": 1}]})
    assert (await other.json())["results"][0]["error"]["code"] == "not_found"
    review = f"/api/shows/{show}/review/bulk"
    for body in ({"action": "dismiss", "ids": ["1"]}, {"action": "nuke", "ids": [1]},
                 {"action": "dismiss", "ids": [True]}):
        assert (await client.post(review, headers=auth(), json=body)).status == 400


async def test_bulk_dismiss_of_review_items(client: TestClient) -> None:
    show = await seed_show(client)
    await post_comments(client, show, [comment("r1", "chốt CUA9 x2", author="a"),
                                       comment("r2", "chốt CUA8", author="b")])
    items = (await (await client.get(f"/api/shows/{show}/review", headers=auth())).json())
    ids = [i["id"] for i in items["review"]]
    assert len(ids) == 2
    resp = await client.post(f"/api/shows/{show}/review/bulk", headers=auth(),
                             json={"action": "dismiss", "ids": [*ids, 999]})
    body = await resp.json()
    assert body["done"] == 2 and body["results"][2]["ok"] is False
    left = await (await client.get(f"/api/shows/{show}/review", headers=auth())).json()
    assert left["review"] == []


async def test_print_views_list_confirmed_orders_and_mark_them(client: TestClient) -> None:
    show = await seed_show(client)
    orders = await _orders(client, show, 3)
    for order in orders[:2]:
        await client.post(f"/api/orders/{order['code']}/confirm", headers=auth(),
                          json={"version": order["version"]})
    slip = await client.get(f"/staff/{show}/print?format=slip", headers=auth())
    assert slip.status == 200
    html = await slip.text()
    assert html.count('<article class="slip"') == 2
    assert html.count("<svg") == 2
    a4 = await (await client.get(f"/staff/{show}/print?format=a4", headers=auth())).text()
    assert a4.count('<span class="box"') == 2
    mark = await client.post(f"/api/shows/{show}/printed", headers=auth(), json={
        "codes": [orders[0]["code"], "DD-NOPE"]})
    assert (await mark.json())["printed"] == 1
    fresh = await (await client.get(f"/staff/{show}/print?format=slip&only=new",
                                    headers=auth())).text()
    assert fresh.count('<article class="slip"') == 1
    bad = await client.post(f"/api/shows/{show}/printed", headers=auth(), json={"codes": [1]})
    assert bad.status == 400
    ingest = await client.get(f"/staff/{show}/print", headers=auth(ROLE_TOKENS["ingest"]))
    assert ingest.status == 403
    anonymous = await client.get(f"/staff/{show}/print", allow_redirects=False)
    assert anonymous.status == 303


async def test_report_page_shows_the_json_reports_revenue(client: TestClient) -> None:
    show = await seed_show(client)
    orders = await _orders(client, show, 3)
    await client.post(f"/api/orders/{orders[0]['code']}/confirm", headers=auth(),
                      json={"version": orders[0]["version"]})
    report = await (await client.get(f"/api/shows/{show}/report", headers=auth())).json()
    page = await client.get(f"/staff/{show}/report", headers=auth(ROLE_TOKENS["staff"]))
    assert page.status == 200
    html = await page.text()
    assert report["totals"]["revenue"] == 120_000
    assert 'data-total="revenue">120.000\u00a0₫' in html
    assert 'id="report-data"' in html and "uPlot.iife.min.js" in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    missing = await client.get("/staff/nope/report", headers=auth())
    assert missing.status == 404


async def test_duty_roster_joins_and_leaves(client: TestClient) -> None:
    await _staff(client)
    show = await seed_show(client)
    url = f"/api/shows/{show}/duty"
    resp = await client.post(url, headers=auth(AN), json={"on": True, "products": ["b1"]})
    assert [d["products"] for d in (await resp.json())["duty"]] == [["B1"]]
    await client.post(url, headers=auth(BINH), json={"on": True})
    listed = await (await client.get(f"/api/shows/{show}/claims", headers=auth())).json()
    assert [d["holder"] for d in listed["duty"]] == ["An", "Bình"]
    left = await client.post(url, headers=auth(AN), json={"on": False})
    assert [d["holder"] for d in (await left.json())["duty"]] == ["Bình"]
    for body in ({}, {"on": "yes"}, {"on": True, "products": [1]}):
        assert (await client.post(url, headers=auth(AN), json=body)).status == 400
