"""The viewer sees which size "+1" buys, and "+1" from the page orders that size."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, expect

from tests.conftest import auth, seed_show

from .conftest import base_url
from .test_public_pages import open_page

pytestmark = pytest.mark.browser


async def test_pinned_size_is_marked_and_plus_one_buys_it(browser: Browser,
                                                          live_client: TestClient) -> None:
    show_id = await seed_show(live_client)
    resp = await live_client.post(f"/api/shows/{show_id}/pin", headers=auth(),
                                  json={"code": "A1", "variant": "1kg"})
    assert resp.status == 200
    page = await open_page(browser, f"{base_url(live_client)}/s/{show_id}")
    marked = page.locator("#pinned li.is-pinned-size")
    await expect(marked).to_have_count(1)
    await expect(marked.locator(".v-label")).to_have_text("1kg")
    await expect(marked.locator(".pinned-size")).to_have_text("+1 là cỡ này")
    await page.fill("#c-name", "Trần Thị Bé")
    await page.fill("#c-text", "+1")
    await page.click("#c-send")
    await expect(page.locator('#pinned [data-sku="A1:1kg"]')).to_have_text("còn 29 hộp")
    # the host moves the pin to the other size: the mark follows without a reload
    await live_client.post(f"/api/shows/{show_id}/pin", headers=auth(),
                           json={"code": "A1", "variant": "500g"})
    await expect(marked.locator(".v-label")).to_have_text("500g")
