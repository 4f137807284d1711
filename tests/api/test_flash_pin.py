"""A flash deal on another product resets the pinned size; on the pinned product it keeps it."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from tests.conftest import auth, seed_show


async def test_flash_on_another_product_resets_the_size_pin(client: TestClient) -> None:
    show = await seed_show(client)
    resp = await client.post(f"/api/shows/{show}/pin", json={"code": "A1", "variant": "1kg"},
                             headers=auth())
    assert (await resp.json())["pinned_variant"] == "1kg"
    resp = await client.post(f"/api/shows/{show}/flash", headers=auth(), json={
        "code": "A1", "price": 150_000, "seconds": 60})
    doc = await resp.json()
    assert (doc["pinned"], doc["pinned_variant"]) == ("A1", "1kg")
    assert doc["flash"]["list_price"] == 190_000  # no size named: the lowest list price
    resp = await client.post(f"/api/shows/{show}/flash", headers=auth(), json={
        "code": "B1", "variant": "1l", "price": 150_000, "seconds": 60})
    doc = await resp.json()
    assert (doc["pinned"], doc["pinned_variant"]) == ("B1", None)
    assert doc["flash"]["list_price"] == 170_000
