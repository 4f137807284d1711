"""Hostile input at the HTTP edge: every body checked once, bounded, nothing half-saved."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from livesell import keys
from livesell.http.hooks import sign
from tests.conftest import auth, comment, post_comments, seed_show

HUGE = 10**30


async def _error(resp: Any) -> dict[str, Any]:
    body = await resp.json()
    assert "Traceback" not in json.dumps(body)
    return dict(body["error"])


# -- item 2: one poisoned comment does not take the batch down --------------------------------

async def test_lone_surrogate_comment_is_rejected_alone(client: TestClient) -> None:
    show = await seed_show(client)
    batch = [comment(f"p{i}", "A2", author=f"u{i}") for i in range(6)]
    batch.insert(3, comment("bad", "A2 \ud800", author="ux"))
    raw = json.dumps({"comments": batch}).encode()  # json.dumps escapes it as \ud800
    resp = await client.post(f"/api/shows/{show}/comments", data=raw,
                             headers={**auth(), "Content-Type": "application/json"})
    assert resp.status == 200, await resp.text()
    results = (await resp.json())["results"]
    assert [r["status"] for r in results] == ["ordered"] * 3 + ["rejected"] + ["ordered"] * 3
    assert "surrogate" in results[3]["reason"]
    stock = await (await client.get(f"/api/shows/{show}/stock", headers=auth())).json()
    assert next(s for s in stock if s["code"] == "A2")["held"] == 6


@pytest.mark.parametrize("bad", [
    {"id": True, "text": "A2"}, {"id": "x", "text": 5}, {"id": "x", "text": "A2",
                                                          "author": {"name": {"a": 1}}},
    {"id": ["x"], "text": "A2"}, {"id": "x", "text": "A2", "author": "me"},
    {"id": "\ud83d", "text": "A2"}, {"id": "x", "text": "A2", "author": {"id": "\udfff"}},
])
async def test_malformed_comments_answer_rejected(client: TestClient, bad: Any) -> None:
    show = await seed_show(client)
    results = await post_comments(client, show, [bad, comment("ok", "A2")])
    assert results[0]["status"] == "rejected" and results[0]["reason"]
    assert results[1]["status"] == "ordered"
    json.dumps(results, ensure_ascii=False).encode()  # the answer itself is clean text


# -- item 3: webhooks signed over source and time -------------------------------------------

async def test_signed_webhook_cannot_be_replayed_to_another_source(client: TestClient) -> None:
    show = await seed_show(client)
    body = json.dumps({"show": show, "comments": [
        {"id": "yt1", "author": {"id": "a"}, "text": "A2"}]}).encode()
    now = int(client.app[keys.CLOCK]())
    signature = sign("hook-secret", "youtube", body, now)
    resp = await client.post("/hooks/comments/youtube", data=body,
                             headers={"X-Livesell-Signature": signature})
    assert resp.status == 200 and (await resp.json())["results"][0]["status"] == "ordered"
    for source in ("facebook", "twitch", "webhook", "site"):
        resp = await client.post(f"/hooks/comments/{source}", data=body,
                                 headers={"X-Livesell-Signature": signature})
        assert resp.status == 401, source
    stock = await (await client.get(f"/api/shows/{show}/stock", headers=auth())).json()
    assert next(s for s in stock if s["code"] == "A2")["held"] == 1


async def test_stale_or_future_webhook_is_refused(client: TestClient) -> None:
    show = await seed_show(client)
    body = json.dumps({"show": show, "comments": [comment("w1", "A2")]}).encode()
    now = int(client.app[keys.CLOCK]())
    for at in (now - 301, now + 301):
        resp = await client.post("/hooks/comments/webhook", data=body,
                                 headers={"X-Livesell-Signature": sign("hook-secret",
                                                                       "webhook", body, at)})
        assert resp.status == 401
        assert "timestamp" in (await _error(resp))["message"]
    resp = await client.post("/hooks/comments/webhook", data=body, headers={
        "X-Livesell-Signature": sign("hook-secret", "webhook", body, now - 299)})
    assert resp.status == 200


async def test_webhook_to_unknown_source_is_404(client: TestClient) -> None:
    body = b"{}"
    now = int(client.app[keys.CLOCK]())
    resp = await client.post("/hooks/comments/myspace", data=body, headers={
        "X-Livesell-Signature": sign("hook-secret", "myspace", body, now)})
    assert resp.status == 404


# -- item 5: numbers and sizes ---------------------------------------------------------------

SHOW_CASES: list[tuple[dict[str, Any], str]] = [
    ({"max_per_buyer": HUGE}, "max_per_buyer"),
    ({"max_per_buyer": 1e30}, "max_per_buyer"),
    ({"max_per_buyer": "3"}, "max_per_buyer"),
    ({"hold_minutes": HUGE}, "hold_minutes"),
    ({"hold_minutes": True}, "hold_minutes"),
    ({"title": 12}, "title"),
    ({"title": ["x"]}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"lineup": ["A1"] * 201}, "lineup"),
    ({"lineup": [12]}, "lineup[0]"),
    ({"lineup": ["A" * 13]}, "lineup[0]"),
    ({"stream_url": 5}, "stream_url"),
    ({"order_prefix": 7}, "order_prefix"),
]


@pytest.mark.parametrize("change,field", SHOW_CASES)
async def test_show_fields_bounded_and_nothing_saved(client: TestClient, change: dict[str, Any],
                                                     field: str) -> None:
    await seed_show(client)
    before = (await (await client.get("/api/shows")).json())["shows"]
    body = {"title": "Phiên", "lineup": ["A1"], **change}
    resp = await client.post("/api/shows", json=body, headers=auth())
    assert resp.status == 400, await resp.text()
    error = await _error(resp)
    assert error["code"] == "invalid" and error["field"] == field
    assert f"'{field}'" in error["message"]
    resp = await client.get("/api/shows")
    assert resp.status == 200
    assert (await resp.json())["shows"] == before


PRODUCT = {"name": "Mật ong", "variants": [{"label": "", "price": 1000, "stock": 5}]}


@pytest.mark.parametrize("change,field", [
    ({"variants": [{"price": HUGE, "stock": 1}]}, "variants[0].price"),
    ({"variants": [{"price": 10, "stock": HUGE}]}, "variants[0].stock"),
    ({"variants": [{"price": 10, "stock": -1}]}, "variants[0].stock"),
    ({"variants": [{"label": str(i), "price": 10} for i in range(51)]}, "variants"),
    ({"name": "x" * 201}, "name"),
    ({"name": 5}, "name"),
    ({"description": "x" * 5001}, "description"),
    ({"ocop_stars": "5"}, "ocop_stars"),
    ({"producer": {"name": 3}}, "producer.name"),
    ({"origin": {"certificates": "OCOP"}}, "origin.certificates"),
])
async def test_product_fields_bounded(client: TestClient, change: dict[str, Any],
                                      field: str) -> None:
    resp = await client.put("/api/products/H1", json={**PRODUCT, **change}, headers=auth())
    assert resp.status == 400, await resp.text()
    assert (await _error(resp))["field"] == field
    resp = await client.get("/api/products", headers=auth())
    assert (await resp.json())["products"] == []


@pytest.mark.parametrize("path,body,field", [
    ("/api/products/A1/stock", {"variant": "500g", "delta": HUGE}, "delta"),
    ("/api/products/A1/stock", {"variant": 500, "delta": 1}, "variant"),
    ("/api/shows/{show}/flash", {"code": "A1", "price": HUGE, "seconds": 60}, "price"),
    ("/api/shows/{show}/flash", {"code": "A1", "price": 1, "seconds": 60, "quantity": HUGE},
     "quantity"),
    ("/api/shows/{show}/pin", {"code": 7}, "code"),
    ("/api/orders/DD-0001/confirm", {"version": HUGE}, "version"),
    ("/api/orders/DD-0001/confirm", {"version": 1.0}, "version"),
])
async def test_host_and_staff_numbers_bounded(client: TestClient, path: str,
                                              body: dict[str, Any], field: str) -> None:
    show = await seed_show(client)
    resp = await client.post(path.format(show=show), json=body, headers=auth())
    assert resp.status == 400, await resp.text()
    assert (await _error(resp))["field"] == field


async def test_order_edit_numbers_bounded(client: TestClient) -> None:
    show = await seed_show(client)
    [r] = await post_comments(client, show, [comment("c1", "A2")])
    path = f"/api/orders/{r['order']}"
    before = await (await client.get(path, headers=auth())).json()
    for body, field in [
        ({"version": 1, "lines": [{"code": "A2", "qty": HUGE}]}, "lines[0].qty"),
        ({"version": 1, "lines": [{"code": "A2", "qty": 1}] * 101}, "lines"),
        ({"version": 1, "contact": {"phone": 912345678}}, "contact.phone"),
        ({"version": 1, "contact": {"address": "x" * 301}}, "contact.address"),
    ]:
        resp = await client.patch(f"/api/orders/{r['order']}", json=body, headers=auth())
        assert resp.status == 400, body
        assert (await _error(resp))["field"] == field
    assert await (await client.get(path, headers=auth())).json() == before
