"""The booth through HTTP: orders between shows, photos, labels, planned shows, previews."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from PIL import Image

from livesell import keys
from livesell.domain.catalog import load_catalog_file
from tests.conftest import CATALOG, ROLE_TOKENS, auth

JSON = {"Content-Type": "application/json"}


def photo(width: int = 800, height: int = 600) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 60)).save(out, "JPEG")
    return out.getvalue()


async def catalog(client: TestClient) -> list[Any]:
    products = load_catalog_file(CATALOG)
    await client.app[keys.SERVICE].put_products(products, "test")
    return products


def form(product: Any, qty: int = 2, **extra: Any) -> dict[str, Any]:
    return {"items": [{"code": product.code, "variant": product.variants[0].label, "qty": qty}],
            "name": "Trần Thị Mai", "phone": "0912 888 777",
            "address": "12 Lý Thường Kiệt, P.5, TP Cà Mau", **extra}


async def stock_of(client: TestClient, code: str, label: str) -> tuple[int, int, int]:
    for level in await client.app[keys.STORE].stock([code]):
        if level.variant == label:
            return level.available, level.held, level.sold
    raise AssertionError(code)


async def test_a_booth_order_holds_stock_and_reaches_staff(client: TestClient) -> None:
    products = await catalog(client)
    product = products[0]
    label = product.variants[0].label
    before = await stock_of(client, product.code, label)
    resp = await client.post("/api/booth/orders", json=form(product))
    assert resp.status == 201, await resp.text()
    body = await resp.json()
    assert body["status"] == "ordered"
    assert re.fullmatch(r"https?://[^/]+/o/[A-Z]+-\d+\?t=\S+", body["buyer_url"])
    after = await stock_of(client, product.code, label)
    assert (after[0], after[1]) == (before[0] - 2, before[1] + 2)
    assert sum(after) == sum(before)
    orders = await (await client.get("/api/shows/booth/orders",
                                     headers=auth(ROLE_TOKENS["staff"]))).json()
    [order] = orders["orders"]
    assert order["code"] == body["order"]
    assert order["contact"] == {"name": "Trần Thị Mai", "phone": "0912888777",
                                "address": "12 Lý Thường Kiệt, P.5, TP Cà Mau"}
    # the buyer page opens from the link
    path = body["buyer_url"].split("://", 1)[1].split("/", 1)[1]
    page = await client.get("/" + path)
    assert page.status == 200 and order["code"] in await page.text()
    # the booth is a show that stays open, with the whole catalog, hidden from the show list
    booth = await client.app[keys.STORE].get_show("booth")
    assert booth is not None and booth.kind == "booth" and booth.status == "live"
    assert set(booth.lineup) == {p.code.upper() for p in products}
    home = await (await client.get("/")).text()
    assert "/s/booth" not in home and 'href="/shop"' in home


async def test_the_same_phone_is_one_buyer_with_its_cap(client: TestClient) -> None:
    products = await catalog(client)
    product = products[0]
    settings = client.app[keys.SETTINGS]
    first = await client.post("/api/booth/orders", json=form(product, qty=settings.max_per_buyer))
    assert first.status == 201
    second = await client.post("/api/booth/orders", json=form(product, qty=1))
    body = await second.json()
    # the cap follows the phone: one order, never more than max_per_buyer of a product held
    orders = (await (await client.get("/api/shows/booth/orders", headers=auth())).json())["orders"]
    held = sum(line["qty"] for o in orders for line in o["lines"]
               if line["code"] == product.code and line["state"] in ("held", "waitlisted"))
    assert held <= settings.max_per_buyer
    assert len({o["code"] for o in orders}) == 1, body


@pytest.mark.parametrize("change, status, code", [
    ({"phone": "123"}, 400, "invalid"),
    ({"items": [{"code": "NOPE", "qty": 1}]}, 400, "invalid"),
    ({"items": [{"code": "A1", "variant": "500g", "qty": 10**30}]}, 400, "invalid"),
])
async def test_bad_booth_orders_get_clear_errors_and_hold_nothing(
        client: TestClient, change: dict[str, Any], status: int, code: str) -> None:
    products = await catalog(client)
    resp = await client.post("/api/booth/orders", json=form(products[0], **change))
    assert resp.status == status
    assert (await resp.json())["error"]["code"] == code
    assert sum(level.held for level in await client.app[keys.STORE].stock()) == 0


async def test_booth_orders_are_json_from_this_site_and_rate_limited(client: TestClient) -> None:
    products = await catalog(client)
    text = await client.post("/api/booth/orders", data="items=A1", headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    assert text.status == 415
    foreign = await client.post("/api/booth/orders", json=form(products[0]),
                                headers={"Origin": "https://evil.example"})
    assert foreign.status == 403
    limit = client.app[keys.SETTINGS].booth_orders_per_minute
    statuses = []
    for i in range(limit + 1):
        resp = await client.post("/api/booth/orders", json=form(
            products[0], qty=1, phone=f"09123456{i:02d}"))
        statuses.append(resp.status)
    assert statuses[-1] == 429 and 429 not in statuses[:-1]


async def test_photo_upload_serves_resized_copies_with_long_cache(client: TestClient) -> None:
    products = await catalog(client)
    code = products[0].code
    resp = await client.post(f"/api/products/{code}/image", data=photo(),
                             headers={**auth(ROLE_TOKENS["host"]), "Content-Type": "image/jpeg"})
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["image"].startswith(f"/media/{code}-") and "320w" in body["srcset"]
    served = await client.get(body["image"])
    assert served.status == 200 and served.headers["Content-Type"] == "image/jpeg"
    assert "immutable" in served.headers["Cache-Control"]
    product = await client.app[keys.STORE].get_product(code)
    assert product is not None and product.image == body["image"]
    assert (await stock_of(client, code, products[0].variants[0].label))[0] \
        == products[0].variants[0].stock  # the photo changed nothing else
    shop = await (await client.get("/shop")).text()
    assert body["image"].replace("-640", "-320") in shop and "srcset=" in shop
    # multipart works too (a plain HTML form)
    from aiohttp import FormData

    data = FormData()
    data.add_field("image", photo(640, 640), filename="x.jpg", content_type="image/jpeg")
    multi = await client.post(f"/api/products/{code}/image", data=data,
                              headers=auth(ROLE_TOKENS["host"]))
    assert multi.status == 200


@pytest.mark.parametrize("data, status, code", [
    (b"<svg onload=alert(1)></svg>", 400, "not_an_image"),
    (b"\xff\xd8\xff" + b"\x00" * 100, 400, "not_an_image"),
])
async def test_bad_uploads_are_refused(client: TestClient, data: bytes, status: int,
                                       code: str) -> None:
    products = await catalog(client)
    resp = await client.post(f"/api/products/{products[0].code}/image", data=data,
                             headers={**auth(ROLE_TOKENS["host"]), "Content-Type": "image/svg+xml"})
    assert resp.status == status
    assert (await resp.json())["error"]["code"] == code


async def test_uploads_need_the_host_role_and_a_product(client: TestClient) -> None:
    products = await catalog(client)
    staff = await client.post(f"/api/products/{products[0].code}/image", data=photo(),
                              headers=auth(ROLE_TOKENS["staff"]))
    assert staff.status == 403
    missing = await client.post("/api/products/NOPE/image", data=photo(), headers=auth())
    assert missing.status == 404
    assert (await client.get("/media/..%2Fsecret.key")).status == 404
    assert (await client.get("/media/nothing.jpg")).status == 404


async def test_oversized_upload_is_413(client: TestClient) -> None:
    products = await catalog(client)
    limit = client.app[keys.SETTINGS].image_max_bytes
    resp = await client.post(f"/api/products/{products[0].code}/image",
                             data=io.BytesIO(photo() + b"\x00" * limit), headers=auth())
    assert resp.status == 413
    assert (await resp.json())["error"]["code"] == "too_big"


async def test_a_phone_sized_photo_passes_the_api_body_limit(client: TestClient) -> None:
    products = await catalog(client)
    noise = Image.effect_noise((1600, 1200), 60).convert("RGB")
    out = io.BytesIO()
    noise.save(out, "JPEG", quality=92)
    big = out.getvalue()
    assert len(big) > client.app[keys.SETTINGS].max_body_bytes  # bigger than any API body
    resp = await client.post(f"/api/products/{products[0].code}/image", data=io.BytesIO(big),
                             headers={**auth(), "Content-Type": "image/jpeg"})
    assert resp.status == 200, await resp.text()


async def test_labels_need_a_host_and_list_every_size(client: TestClient) -> None:
    products = await catalog(client)
    codes = ",".join(p.code for p in products[:2])
    anonymous = await client.get(f"/p/labels?codes={codes}", allow_redirects=False)
    assert anonymous.status == 303
    resp = await client.get(f"/p/labels?codes={codes},NOPE&per_page=24", headers=auth())
    assert resp.status == 200
    html = await resp.text()
    assert html.count('class="sticker"') == sum(len(p.variants) for p in products[:2])
    assert "NOPE" in html
    # the product page itself is still the product page
    assert (await client.get(f"/p/{products[0].code}")).status == 200


async def test_planned_show_has_a_calendar_and_a_countdown(client: TestClient) -> None:
    products = await catalog(client)
    resp = await client.post("/api/shows", json={
        "title": "Phiên Tết", "lineup": [products[0].code],
        "starts_at": "2027-01-28T19:30:00+07:00"}, headers=auth())
    assert resp.status == 201, await resp.text()
    show = await resp.json()
    assert show["starts_at"] == 1801139400.0
    ics = await client.get(f"/s/{show['id']}/calendar.ics")
    assert ics.status == 200 and ics.content_type == "text/calendar"
    assert "DTSTART:20270128T123000Z" in await ics.text()
    viewer = await (await client.get(f"/s/{show['id']}")).text()
    assert "19:30 · 28/01/2027" in viewer and "calendar.ics" in viewer
    home = await (await client.get("/")).text()
    assert "Phiên Tết" in home and f"/s/{show['id']}/calendar.ics" in home
    bad = await client.post(f"/api/shows/{show['id']}/schedule", json={"starts_at": "soon"},
                            headers=auth())
    assert bad.status == 400
    cleared = await client.post(f"/api/shows/{show['id']}/schedule", json={"starts_at": None},
                                headers=auth())
    assert (await cleared.json())["starts_at"] is None


async def test_pages_carry_link_previews(client: TestClient) -> None:
    products = await catalog(client)
    client.app[keys.SETTINGS]  # public_url empty: previews use the request's own address
    product = await (await client.get(f"/p/{products[0].code}")).text()
    assert 'property="og:title"' in product and 'name="twitter:card"' in product
    assert 'property="product:price:amount"' in product
    shop = await (await client.get("/shop")).text()
    assert 'property="og:url"' in shop
