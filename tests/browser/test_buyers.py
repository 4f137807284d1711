"""A viewer is one buyer across reloads (Chromium against a real server): cancels, caps and
follow-ups reach the order made before the reload; a client minting buyers is bounded."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, Page, expect

from livesell import keys
from livesell.config import Settings
from tests.conftest import auth, seed_show

from .conftest import base_url
from .test_public_pages import PHONE, SCREENSHOTS, open_page, pin

pytestmark = pytest.mark.browser
WIDE = {"width": 1440, "height": 900}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(address_max_holds=8)


async def say(page: Page, text: str, expected: str) -> str:
    await page.fill("#c-name", "Võ Thị Lan")
    await page.fill("#c-text", text)
    await page.press("#c-text", "Enter")
    result = page.locator("#c-result")
    await expect(result).to_contain_text(expected, timeout=3000)
    return await result.inner_text()


async def reload(page: Page) -> None:
    await page.reload()
    await expect(page.locator("body")).to_have_attribute("data-live", "on", timeout=5000)


async def order_of(client: TestClient, show_id: str) -> list[dict[str, Any]]:
    resp = await client.get(f"/api/shows/{show_id}/orders", headers=auth())
    assert resp.status == 200
    orders: list[dict[str, Any]] = (await resp.json())["orders"]
    return orders


async def no_overflow(page: Page) -> None:
    assert await page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth")


async def test_order_reload_cancel_returns_the_stock(browser: Browser,
                                                     live_client: TestClient) -> None:
    show_id = await seed_show(live_client)
    await pin(live_client, show_id, "A2")
    page = await open_page(browser, f"{base_url(live_client)}/s/{show_id}")
    counter = page.locator('#pinned [data-sku="A2"]')
    await say(page, "chốt A2 x2", "Đã giữ hàng cho bạn: DD-")
    await expect(counter).to_have_text("còn 78 hũ")
    await reload(page)
    await say(page, "huỷ", "Đã hủy")
    await expect(counter).to_have_text("còn 80 hũ")
    (order,) = await order_of(live_client, show_id)
    assert order["status"] == "cancelled"


async def test_the_cap_holds_across_reloads_until_a_phone(browser: Browser,
                                                          live_client: TestClient) -> None:
    show_id = await seed_show(live_client)
    await pin(live_client, show_id, "A2")
    page = await open_page(browser, f"{base_url(live_client)}/s/{show_id}")
    counter = page.locator('#pinned [data-sku="A2"]')
    await say(page, "chốt A2 x2", "Đã giữ hàng cho bạn: DD-")
    await reload(page)
    text = await say(page, "chốt A2 x2", "bình luận số điện thoại")
    assert "DD-0001" in text  # the same order, one unit more
    await expect(counter).to_have_text("còn 77 hũ")
    await reload(page)
    await say(page, "chốt A2", "bình luận số điện thoại")
    await expect(counter).to_have_text("còn 77 hũ")
    await no_overflow(page)
    await page.screenshot(path=str(SCREENSHOTS / "viewer-limit-phone.png"), animations="disabled")
    await page.set_viewport_size(WIDE)  # type: ignore[arg-type]
    await no_overflow(page)
    await page.screenshot(path=str(SCREENSHOTS / "viewer-limit-wide.png"), animations="disabled")
    (order,) = await order_of(live_client, show_id)
    assert sum(line["qty"] for line in order["lines"]) == 3


async def test_phone_only_follow_up_sets_the_orders_phone(browser: Browser,
                                                          live_client: TestClient) -> None:
    show_id = await seed_show(live_client)
    page = await open_page(browser, f"{base_url(live_client)}/s/{show_id}", viewport=PHONE)
    await say(page, "chốt A1 500g", "Đã giữ hàng cho bạn: DD-")
    await reload(page)
    await say(page, "sdt 0912 888 777", "Đã ghi thông tin liên hệ vào đơn DD-0001")
    (order,) = await order_of(live_client, show_id)
    assert order["contact"]["phone"] == "0912888777"
    resp = await live_client.get(f"/api/orders/{order['code']}", headers=auth())
    audit = (await resp.json())["audit"]
    assert audit[-1]["action"] == "contact" and "sdt 0912 888 777" in audit[-1]["detail"]
    # the public feed never carries the number
    await expect(page.locator("#feed")).not_to_contain_text("888")


async def test_one_address_minting_buyers_holds_at_most_the_address_limit(
        browser: Browser, live_client: TestClient) -> None:
    show_id = await seed_show(live_client)
    await pin(live_client, show_id, "A2")
    url = f"{base_url(live_client)}/s/{show_id}"
    held, limited = "Đã giữ hàng cho bạn: DD-", "nhân viên có thể giúp bạn"
    # each page is its own browser context: a fresh cookie, a new buyer, the same address
    for expected in (held, held, limited, limited):
        page = await open_page(browser, url)
        text = await say(page, "chốt A2 x3 0912888777", expected)
        await page.context.close()
    assert not text.startswith("Đã giữ")
    levels = await live_client.app[keys.STORE].stock()
    assert sum(level.held for level in levels if level.code == "A2") == 8
