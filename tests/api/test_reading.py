"""Comment reading through the real app: the confidence gate on the capture path."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from livesell import keys
from livesell.app import create_app
from livesell.config import Settings
from livesell.domain.parser import DEFAULT_MIN_CONFIDENCE
from tests.conftest import ROLE_TOKENS, auth, comment, post_comments, seed_show


async def pinned_show(client: TestClient, code: str = "A2") -> str:
    show = await seed_show(client)
    resp = await client.post(f"/api/shows/{show}/pin", json={"code": code}, headers=auth())
    assert resp.status == 200
    return show


async def a2_stock(client: TestClient, show: str) -> dict[str, Any]:
    resp = await client.get(f"/api/shows/{show}/stock", headers=auth(ROLE_TOKENS["staff"]))
    return next(s for s in await resp.json() if s["code"] == "A2")


async def test_low_confidence_pinned_guess_lands_in_review_and_holds_nothing(
    client: TestClient,
) -> None:
    assert client.app[keys.SETTINGS].order_min_confidence == DEFAULT_MIN_CONFIDENCE
    show = await pinned_show(client)
    # "dat" typed without diacritics is "đặt" (order) or "đắt" (dear): a weak pinned guess
    [r] = await post_comments(client, show, [comment("g1", "dat")])
    assert r["status"] == "review" and r["reason"].startswith("low_confidence:")
    stock = await a2_stock(client, show)
    assert (stock["available"], stock["held"]) == (80, 0)
    resp = await client.get(f"/api/shows/{show}/review", headers=auth(ROLE_TOKENS["staff"]))
    [item] = (await resp.json())["review"]
    assert item["text"] == "dat" and item["reason"] == r["reason"]
    assert item["reason"].endswith(":A2 x1")  # the guess, for staff to accept in one click


async def test_chatter_with_a_pinned_product_holds_nothing(client: TestClient) -> None:
    show = await pinned_show(client)
    texts = ["năm mới an khang thịnh vượng, mua may bán đắt nha chị",
             "tết này mua gì cho ba mẹ đây ta", "bữa nào rảnh mua thử",
             "thấy ngon quá muốn mua ghê mà hết tiền 😂", "tui mua A2 rồi, ngon lắm"]
    results = await post_comments(client, show, [comment(f"n{i}", t, author=f"v{i}")
                                                 for i, t in enumerate(texts)])
    assert {r["status"] for r in results} <= {"ignored", "question"}
    assert (await a2_stock(client, show))["held"] == 0


async def test_confident_order_keeps_its_reading_on_the_line(client: TestClient) -> None:
    show = await pinned_show(client)
    [r] = await post_comments(client, show, [comment("o1", "chốt 2 hũ nha shop")])
    assert r["status"] == "ordered"
    order = await (await client.get(f"/api/orders/{r['order']}", headers=auth())).json()
    [line] = order["lines"]
    assert (line["code"], line["qty"], line["said"]) == ("A2", 2, "chốt 2 hũ nha shop")
    assert DEFAULT_MIN_CONFIDENCE <= line["confidence"] <= 1


async def test_threshold_is_a_setting(aiohttp_client: Any, settings: Settings) -> None:
    app = create_app(settings.with_(order_min_confidence=0.5))
    client: TestClient = await aiohttp_client(app)
    show = await pinned_show(client)
    [r] = await post_comments(client, show, [comment("g1", "dat")])
    assert r["status"] == "ordered"


async def test_pages_count_stock_in_the_catalog_unit(client: TestClient) -> None:
    show = await pinned_show(client)
    snap = await (await client.get(f"/api/shows/{show}")).json()
    a2 = next(p for p in snap["lineup"] if p["code"] == "A2")
    assert a2["variants"][0]["unit"] == "hũ"
    for path in (f"/s/{show}", f"/s/{show}/overlay"):
        html = await (await client.get(path, headers={"Cookie": "lang=vi"})).text()
        assert "còn 80 hũ" in html, path
        assert "còn 80 hộp" not in html
