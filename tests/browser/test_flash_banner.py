"""The flash banner as viewers and the host see it: the list price struck through with the
discount, the taken count live, and "HẾT SUẤT" once the quota is used up — until a cancelled
unit comes back."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, expect

from livesell import keys
from livesell.http.auth import hash_token
from tests.conftest import ROLE_TOKENS, auth, comment, post_comments, seed_show

from .conftest import base_url
from .test_consoles import TIMEOUT, open_console
from .test_public_pages import open_page

pytestmark = pytest.mark.browser


async def test_flash_sold_out_and_back(browser: Browser, live_client: TestClient) -> None:
    for role, token in ROLE_TOKENS.items():
        await live_client.app[keys.STORE].add_token(hash_token(token), role, role, 0.0)
    show = await seed_show(live_client)
    resp = await live_client.post(f"/api/shows/{show}/flash", headers=auth(), json={
        "code": "A1", "variant": "1kg", "price": 300_000, "quantity": 2, "seconds": 900})
    assert resp.status == 200
    viewers = [await open_page(browser, f"{base_url(live_client)}/s/{show}", {"width": w,
                                                                             "height": 900})
               for w in (390, 1440)]
    overlay = await open_page(browser, f"{base_url(live_client)}/s/{show}/overlay",
                              {"width": 1920, "height": 1080})
    host = await open_console(browser, live_client.server, f"/host/{show}", "host")
    for page in (*viewers, overlay):
        await expect(page.locator("#flash-list")).to_have_text("360.000\u00a0₫")
        await expect(page.locator("#flash-off")).to_have_text("-17%")
        assert await page.locator("#flash-list").evaluate("e => e.tagName") == "S"
        await expect(page.locator("#flash-out")).to_be_hidden()
    [r] = await post_comments(live_client, show, [comment("c1", "chốt A1 1kg x2")])
    for page in (*viewers, overlay):
        await expect(page.locator("#flash-out")).to_have_text("HẾT SUẤT", timeout=TIMEOUT)
    await expect(host.locator("#flash-state")).to_contain_text("2/2 · HẾT SUẤT",
                                                               timeout=TIMEOUT)
    for page in viewers:
        no_overflow = await page.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth")
        assert no_overflow
    # the buyer cancels: the units go back and the deal is on again
    await post_comments(live_client, show, [comment("c2", "hủy A1")])
    for page in (*viewers, overlay):
        await expect(page.locator("#flash-out")).to_be_hidden(timeout=TIMEOUT)
    await expect(host.locator("#flash-state")).to_contain_text("0/2", timeout=TIMEOUT)
    [again] = await post_comments(live_client, show, [comment("c3", "+1", author="u9")])
    assert again["status"] == "ordered"
    resp = await live_client.get(f"/api/orders/{again['order']}",
                                 headers=auth(ROLE_TOKENS["staff"]))
    assert [line["unit_price"] for line in (await resp.json())["lines"]] == [300_000]
