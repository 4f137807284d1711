"""The staff console shows who the customer is: badge, history, tel: links, returns."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from tests.conftest import auth, comment, post_comments

from .test_consoles import TIMEOUT, browser, live, open_console, row

pytestmark = pytest.mark.browser
__all__ = ["browser", "live"]  # fixtures


async def test_customer_badge_history_and_tel_links(live: Any, browser: Any) -> None:
    server, client, show = live
    first, second, other = (r["order"] for r in await post_comments(client, show, [
        comment("c1", "chốt A2 0912888777", author="a", name="Hùng"),
        comment("c2", "chốt B1 500ml 0912 888 777", author="b", name="Nguyễn Văn Hùng",
                source="facebook"),
        comment("c3", "chốt C1", author="c", name="Lan"),
    ]))
    page = await open_console(browser, server, f"/staff/{show}", "staff")
    await expect(row(page, second).locator(".cbadge")).to_have_text("Khách quen",
                                                                    timeout=TIMEOUT)
    await expect(row(page, second).locator(".customer")).to_contain_text(first)
    await expect(row(page, other).locator(".cbadge")).to_have_text("Khách mới")
    await row(page, second).get_by_role("button", name="Bình luận gốc").click()
    await expect(row(page, second).locator(".said-list q")).to_have_text(
        "chốt B1 500ml 0912 888 777", timeout=TIMEOUT)
    tel = row(page, first).locator("a.tel")
    await expect(tel).to_have_attribute("href", "tel:0912888777")
    # a shipped order can be marked returned; the history then says so
    for action in ("confirm", "paid", "shipped"):
        order = await (await client.get(f"/api/orders/{first}", headers=auth())).json()
        resp = await client.post(f"/api/orders/{first}/{action}", headers=auth(),
                                 json={"version": order["version"]})
        assert resp.status == 200
    await row(page, first).get_by_role("button", name="Khách hoàn / từ chối nhận").click()
    await expect(row(page, second).locator(".customer")).to_contain_text("1 hoàn",
                                                                         timeout=TIMEOUT)
    assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    await page.set_viewport_size({"width": 390, "height": 844})
    assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth")
