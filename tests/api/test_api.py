"""Catalog, shows, auth and error paths, through the real app."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.conftest import OWNER, ROLE_TOKENS, auth, comment, post_comments, seed_show

PRODUCT: dict[str, Any] = {
    "name": "Mật ong U Minh", "category": "food", "ocop_stars": 5,
    "producer": {"name": "HTX Ong Mật U Minh", "commune": "Khánh Thuận", "province": "Cà Mau"},
    "origin": {"batch": "2026-11", "produced": "2026-11-01", "certificates": ["OCOP 5 sao"]},
    "variants": [{"label": "chai 500ml", "price": 250000, "stock": 20}],
}


async def error_of(resp: Any) -> dict[str, Any]:
    body = await resp.json()
    assert set(body["error"]) >= {"code", "message"}, body
    return dict(body["error"])


async def test_healthz(client: TestClient) -> None:
    resp = await client.get("/healthz")
    assert resp.status == 200
    assert (await resp.json())["status"] == "ok"


async def test_put_and_list_products(client: TestClient) -> None:
    resp = await client.put("/api/products/h1", json=PRODUCT, headers=auth())
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["code"] == "H1"
    resp = await client.get("/api/products", headers=auth(ROLE_TOKENS["host"]))
    products = (await resp.json())["products"]
    assert [p["code"] for p in products] == ["H1"]
    variant = products[0]["variants"][0]
    assert (variant["stock"], variant["available"], variant["held"]) == (20, 20, 0)


async def test_put_product_validation(client: TestClient) -> None:
    bad = {**PRODUCT, "variants": [{"label": "x", "price": -5, "stock": 1.5}]}
    resp = await client.put("/api/products/H1", json=bad, headers=auth())
    assert resp.status == 400
    message = (await error_of(resp))["message"]
    assert "price" in message and "stock" in message
    resp = await client.put("/api/products/H1", json={**PRODUCT, "code": "H2"}, headers=auth())
    assert resp.status == 400
    resp = await client.put("/api/products/H1", data=b"{not json", headers=auth())
    assert resp.status == 400
    assert (await error_of(resp))["code"] == "invalid"
    resp = await client.put("/api/products/H1", json=[1, 2], headers=auth())
    assert resp.status == 400


async def test_auth_roles(client: TestClient) -> None:
    resp = await client.get("/api/products")
    assert resp.status == 401
    assert (await error_of(resp))["code"] == "unauthorized"
    resp = await client.get("/api/products", headers={"Authorization": "Bearer wrong"})
    assert resp.status == 401
    resp = await client.get("/api/products", headers={"Authorization": "Basic abc"})
    assert resp.status == 401
    for role in ("staff", "ingest"):
        resp = await client.get("/api/products", headers=auth(ROLE_TOKENS[role]))
        assert resp.status == 403, role
        assert (await error_of(resp))["code"] == "forbidden"
    resp = await client.get("/api/products", headers=auth(ROLE_TOKENS["host"]))
    assert resp.status == 200
    resp = await client.get("/api/products", headers=auth(OWNER))
    assert resp.status == 200


async def test_ingest_role_may_only_post_comments(client: TestClient) -> None:
    show = await seed_show(client)
    token = ROLE_TOKENS["ingest"]
    results = await post_comments(client, show, [comment("c1", "A2")], token=token)
    assert results[0]["status"] == "ordered"
    for path in (f"/api/shows/{show}/orders", f"/api/shows/{show}/stock",
                 f"/api/shows/{show}/review"):
        assert (await client.get(path, headers=auth(token))).status == 403
    resp = await client.post("/api/shows", json={"title": "x", "lineup": ["A1"]},
                             headers=auth(token))
    assert resp.status == 403


async def test_orders_api_needs_a_token(client: TestClient) -> None:
    show = await seed_show(client)
    assert (await client.get(f"/api/shows/{show}/orders")).status == 401
    assert (await client.get("/api/orders/DD-0001")).status == 401
    resp = await client.post("/api/orders/DD-0001/confirm", json={"version": 1})
    assert resp.status == 401


async def test_create_show_validation(client: TestClient) -> None:
    await seed_show(client)
    cases: list[tuple[Any, str]] = [
        ({"lineup": ["A1"]}, "title"),
        ({"title": "x"}, "lineup"),
        ({"title": "x", "lineup": []}, "lineup"),
        ({"title": "x", "lineup": "A1"}, "lineup"),
        ({"title": "x", "lineup": ["A1"], "hold_minutes": 0}, "hold_minutes"),
        ({"title": "x", "lineup": ["A1"], "stream_url": "javascript:alert(1)"}, "stream_url"),
    ]
    for body, field in cases:
        resp = await client.post("/api/shows", json=body, headers=auth())
        assert resp.status == 400, body
        assert field in (await error_of(resp))["message"]
    resp = await client.post("/api/shows", json={"title": "x", "lineup": ["A1", "ZZ9"]},
                             headers=auth())
    assert resp.status == 400
    assert "ZZ9" in (await error_of(resp))["message"]


async def test_shows_listed_newest_first_and_public_snapshot(client: TestClient) -> None:
    first = await seed_show(client, title="Phiên 1")
    second = await seed_show(client, title="Phiên 2")
    shows = (await (await client.get("/api/shows")).json())["shows"]
    assert [s["id"] for s in shows][:2] == [second, first]
    snap = await (await client.get(f"/api/shows/{first}")).json()
    assert snap["show"]["title"] == "Phiên 1" and snap["show"]["status"] == "live"
    assert snap["stock"]["A1:1kg"] == 30 and snap["stock"]["A2"] == 80
    assert [v["label"] for v in snap["lineup"][0]["variants"]] == ["500g", "1kg"]
    assert (await client.get("/api/shows/nope")).status == 404


async def test_pin_flash_start_end(client: TestClient) -> None:
    show = await seed_show(client)
    resp = await client.post(f"/api/shows/{show}/pin", json={"code": "b1"}, headers=auth())
    assert resp.status == 200 and (await resp.json())["pinned"] == "B1"
    resp = await client.post(f"/api/shows/{show}/pin", json={"code": "ZZ"}, headers=auth())
    assert resp.status == 400
    resp = await client.post(f"/api/shows/{show}/pin", json={}, headers=auth())
    assert resp.status == 400
    resp = await client.post(f"/api/shows/{show}/pin", json={"code": "A1", "variant": "1KG"},
                             headers=auth())
    assert (await resp.json())["pinned_variant"] == "1kg"
    results = await post_comments(client, show, [comment("p1", "+2")])
    assert results[0]["status"] == "ordered"
    resp = await client.post(f"/api/shows/{show}/pin", json={"code": "A1", "variant": "9kg"},
                             headers=auth())
    assert resp.status == 400
    resp = await client.post(f"/api/shows/{show}/pin", json={"code": None}, headers=auth())
    assert (await resp.json())["pinned"] is None
    flash = {"code": "A1", "variant": "1kg", "price": 300000, "quantity": 5, "seconds": 60}
    resp = await client.post(f"/api/shows/{show}/flash", json=flash, headers=auth())
    assert resp.status == 200, await resp.text()
    snap = await (await client.get(f"/api/shows/{show}")).json()
    assert snap["flash"]["price"] == 300000 and snap["pinned"] == "A1"
    for bad in ({**flash, "price": 0}, {**flash, "seconds": "x"}, {**flash, "variant": "2kg"},
                {**flash, "code": "ZZ"}):
        assert (await client.post(f"/api/shows/{show}/flash", json=bad,
                                  headers=auth())).status == 400
    resp = await client.delete(f"/api/shows/{show}/flash", headers=auth())
    assert (await resp.json())["flash"] is None
    resp = await client.post(f"/api/shows/{show}/end", headers=auth())
    assert (await resp.json())["status"] == "ended"
    resp = await client.post(f"/api/shows/{show}/start", headers=auth())
    assert resp.status == 409
    resp = await client.post(f"/api/shows/{show}/comments",
                             json={"comments": [comment("c1", "A2")]}, headers=auth())
    assert resp.status == 409
    assert (await error_of(resp))["code"] == "show_ended"
    assert (await client.post("/api/shows/nope/start", headers=auth())).status == 404


async def test_stock_adjust(client: TestClient) -> None:
    await seed_show(client)
    resp = await client.post("/api/products/C1/stock", json={"delta": 5}, headers=auth())
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["available"] == 15
    resp = await client.post("/api/products/A1/stock", json={"variant": "1KG", "delta": -30},
                             headers=auth())
    assert (await resp.json())["available"] == 0
    resp = await client.post("/api/products/A1/stock", json={"variant": "1kg", "delta": -1},
                             headers=auth())
    assert resp.status == 409
    assert (await error_of(resp))["code"] == "insufficient_stock"
    for body in ({"delta": 1}, {"variant": "9kg", "delta": 1}, {"variant": "1kg"},
                 {"variant": "1kg", "delta": 0}, {"variant": "1kg", "delta": True}):
        resp = await client.post("/api/products/A1/stock", json=body, headers=auth())
        assert resp.status == 400, body
    resp = await client.post("/api/products/ZZ/stock", json={"delta": 1}, headers=auth())
    assert resp.status == 404
    assert (await error_of(resp))["code"] == "not_found"


async def test_unknown_route_and_method_are_json(client: TestClient) -> None:
    resp = await client.get("/api/nothing")
    assert resp.status == 404 and (await error_of(resp))["code"] == "not_found"
    resp = await client.delete("/api/shows")
    assert resp.status == 405
