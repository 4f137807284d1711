"""The staff console shows how each comment was read: the comment, the reading and its
confidence on every line, and review reasons in words (Vietnamese by default)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_consoles import TIMEOUT, expect, open_console, row
from tests.browser.test_consoles import browser as browser  # noqa: F401  (fixture)
from tests.browser.test_consoles import live as live  # noqa: F401  (fixture)
from tests.conftest import comment, post_comments

pytestmark = pytest.mark.browser


async def test_lines_show_comment_reading_and_confidence(live: Any, browser: Any) -> None:  # noqa: F811
    server, client, show = live
    page = await open_console(browser, server, f"/staff/{show}", "staff")
    [ordered, unclear] = await post_comments(client, show, [
        comment("c1", "chốt A2 x2 nha shop", name="Lan"),
        comment("c2", "chốt CUA9 x2", author="u2", name="Hà"),
    ])
    line = row(page, ordered["order"]).locator(".lines li").first
    await expect(line).to_contain_text("A2 × 2", timeout=TIMEOUT)
    await expect(line.locator(".line-said")).to_have_text("chốt A2 x2 nha shop")
    await expect(line.locator(".line-confidence")).to_have_text("độ tin cậy 97%")
    assert unclear["reason"] == "unknown_code:CUA9"
    reason = page.locator("#review li.review-item .review-reason")
    await expect(reason).to_have_text("mã CUA9 không có trong phiên live", timeout=TIMEOUT)
    for width in (390, 1440):
        await page.set_viewport_size({"width": width, "height": 900})
        assert await page.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth")
