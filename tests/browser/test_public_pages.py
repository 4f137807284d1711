"""The public pages in headless Chromium against a real server: live stock, overlay, escaping,
reconnection after a restart, and ordering from the comment box."""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, Dialog, Page, expect

from tests.conftest import auth, comment, post_comments, seed_show

from .conftest import StartServer, base_url

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"
# The README's screenshots are refreshed with LIVESELL_SCREENSHOTS=1; other runs write them to
# a scratch folder so the suite never touches tracked files.
SCREENSHOTS = (Path(__file__).resolve().parents[2] / "docs" / "screenshots"
               if os.environ.get("LIVESELL_SCREENSHOTS") else
               Path(tempfile.gettempdir()) / "livesell-screenshots")
SCREENSHOTS.mkdir(parents=True, exist_ok=True)
PHONE = {"width": 390, "height": 844}
FULL_HD = {"width": 1920, "height": 1080}


async def open_page(browser: Browser, url: str, viewport: dict[str, int] = PHONE,
                    dialogs: list[str] | None = None) -> Page:
    page = await browser.new_page(viewport=viewport)  # type: ignore[arg-type]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def on_dialog(dialog: Dialog) -> None:
        if dialogs is not None:
            dialogs.append(dialog.message)
        asyncio.ensure_future(dialog.dismiss())

    page.on("dialog", on_dialog)
    await page.goto(url)
    # Connected once the first snapshot is drawn and the socket is up.
    await expect(page.locator("body")).to_have_attribute("data-live", "on", timeout=5000)
    assert errors == []
    return page


async def pin(client: TestClient, show_id: str, code: str) -> None:
    resp = await client.post(f"/api/shows/{show_id}/pin", json={"code": code}, headers=auth())
    assert resp.status == 200


async def test_viewer_counter_drops_when_an_order_comes_in(
        browser: Browser, live_client: TestClient) -> None:
    show_id = await seed_show(live_client)
    await pin(live_client, show_id, "A2")
    page = await open_page(browser, f"{base_url(live_client)}/s/{show_id}")
    counter = page.locator('#pinned [data-sku="A2"]')
    await expect(counter).to_have_text("còn 80 hũ")
    await post_comments(live_client, show_id, [comment("c1", "chốt A2 x2")])
    await expect(counter).to_have_text("còn 78 hũ", timeout=1000)
    await expect(page.locator("#ticker li").first).to_contain_text("Nguyễn V. A.")


async def test_overlay_is_transparent_full_hd_with_pinned_product(
        browser: Browser, live_client: TestClient) -> None:
    show_id = await seed_show(live_client)
    await pin(live_client, show_id, "A1")
    resp = await live_client.post(f"/api/shows/{show_id}/flash", headers=auth(), json={
        "code": "A1", "variant": "1kg", "price": 299000, "quantity": 20, "seconds": 900})
    assert resp.status == 200
    page = await open_page(browser, f"{base_url(live_client)}/s/{show_id}/overlay",
                           viewport=FULL_HD)
    await post_comments(live_client, show_id, [
        comment("c1", "chốt A1 1kg x2"),
        comment("c2", "lấy A1 500g", author="u2", name="Lê Thị Hồng"),
        comment("c3", "A2 x3", author="u3", name="Phạm Minh Tuấn"),
    ])
    await expect(page.locator("#p-name")).to_have_text("Cua gạch Đầm Dơi")
    await expect(page.locator('#product [data-sku="A1:1kg"]')).to_have_text("còn 28 hộp")
    await expect(page.locator("#flash-price")).to_have_text("299.000\u00a0₫")
    await expect(page.locator("#ticker li")).to_have_count(3)
    looks = await page.evaluate("""() => ({
        html: getComputedStyle(document.documentElement).backgroundColor,
        body: getComputedStyle(document.body).backgroundColor,
        w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight,
        innerW: innerWidth, innerH: innerHeight})""")
    assert looks["html"] == looks["body"] == "rgba(0, 0, 0, 0)"
    assert (looks["w"], looks["h"]) == (looks["innerW"], looks["innerH"]) == (1920, 1080)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "overlay.png"), omit_background=True,
                          animations="disabled")
    # Hours of orders never grow the page: the ticker keeps a fixed number of lines.
    await post_comments(live_client, show_id, [
        comment(f"t{i}", "chốt A2", author=f"t{i}", name=f"Khách {i}") for i in range(8)])
    await expect(page.locator("#ticker li").last).to_contain_text("Khách 7")
    await expect(page.locator("#ticker li")).to_have_count(5)


async def test_html_in_names_and_comments_stays_text(
        browser: Browser, live_client: TestClient) -> None:
    show_id = await seed_show(live_client)
    dialogs: list[str] = []
    page = await open_page(browser, f"{base_url(live_client)}/s/{show_id}", dialogs=dialogs)
    await post_comments(live_client, show_id, [
        comment("x1", f"giá bao nhiêu {XSS}", name=XSS),
        comment("x2", f"chốt A2 {XSS}", author="u2", name=f"Lan {XSS}"),
    ])
    feed = page.locator("#feed")
    await expect(feed).to_contain_text(f"giá bao nhiêu {XSS}", timeout=2000)
    await expect(page.locator("#ticker")).to_contain_text("Lan")
    await page.fill("#c-name", XSS)
    await page.fill("#c-text", f"hello {XSS}")
    await page.click("#c-send")
    await expect(page.locator("#c-result")).not_to_have_text("")
    await expect(feed).to_contain_text(f"hello {XSS}", timeout=2000)
    # A fresh server-side render of the same feed escapes it too.
    await page.reload()
    await expect(page.locator("body")).to_have_attribute("data-live", "on", timeout=5000)
    await expect(feed).to_contain_text(f"hello {XSS}")
    assert await page.locator("#feed img, #ticker img").count() == 0
    assert dialogs == []


async def test_viewer_reconnects_after_a_server_restart(
        browser: Browser, start_server: StartServer) -> None:
    first = await start_server()
    port = first.server.port
    show_id = await seed_show(first)
    await pin(first, show_id, "A2")
    page = await open_page(browser, f"{base_url(first)}/s/{show_id}")
    counter = page.locator('#pinned [data-sku="A2"]')
    await expect(counter).to_have_text("còn 80 hũ")
    await first.close()
    await expect(page.locator("#conn")).to_be_visible(timeout=5000)
    second = await start_server(port=port)
    await post_comments(second, show_id, [comment("r1", "chốt A2 x5")])
    await expect(page.locator("#conn")).to_be_hidden(timeout=10000)
    await expect(counter).to_have_text("còn 75 hũ", timeout=5000)


async def test_comment_box_places_an_order(browser: Browser, live_client: TestClient) -> None:
    show_id = await seed_show(live_client, title="Đặc sản OCOP Cà Mau — phiên live tối nay")
    await pin(live_client, show_id, "A1")
    resp = await live_client.post(f"/api/shows/{show_id}/flash", headers=auth(), json={
        "code": "A1", "variant": "1kg", "price": 299000, "quantity": 20, "seconds": 900})
    assert resp.status == 200
    await post_comments(live_client, show_id, [
        comment("c1", "chốt A1 1kg x2"),
        comment("c2", "B1 500ml còn không shop?", author="u2", name="Lê Thị Hồng"),
    ])
    page = await open_page(browser, f"{base_url(live_client)}/s/{show_id}")
    await page.fill("#c-name", "Võ Thị Lan")
    await page.fill("#c-text", "chốt A1 500g x2")
    await page.press("#c-text", "Enter")
    result = page.locator("#c-result")
    await expect(result).to_contain_text("Đã giữ hàng cho bạn: DD-", timeout=3000)
    await expect(page.locator('#pinned [data-sku="A1:500g"]')).to_have_text("còn 48 hộp")
    await expect(page.locator("#flash-countdown")).to_have_text(re.compile(r"1[45]:\d\d"))
    await page.evaluate("window.scrollTo(0, 0)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "viewer-phone.png"), animations="disabled")
    # The name is remembered for the next visit; the order link opens the buyer's order.
    link = result.locator("a.order-link")
    href = await link.get_attribute("href")
    assert href is not None and href.startswith("/o/DD-")
    await link.click()
    await expect(page.locator("h1")).to_contain_text("Đơn hàng DD-")
    await expect(page.locator("#total")).to_have_text("380.000\u00a0₫")
    await page.go_back()
    await expect(page.locator("#c-name")).to_have_value("Võ Thị Lan")


async def test_live_state_drops_pushes_older_than_it_holds(
        browser: Browser, live_client: TestClient) -> None:
    show_id = await seed_show(live_client)
    page = await open_page(browser, f"{base_url(live_client)}/s/{show_id}")
    held = await page.evaluate("""async () => {
        const { LiveShow } = await import("/static/js/live.js");
        const live = new LiveShow("x");
        live._snapshot({ show: { id: "x" }, lineup: [], stock: { A2: 80 }, version: 10 });
        live._push("stock", { v: 12, stock: { A2: 70 } });
        live._push("stock", { v: 11, stock: { A2: 75 } });   // late: dropped
        live._push("pinned", { v: 5000, pinned: "A1" });
        live._push("pinned", { v: 4999, pinned: "B1" });     // late: dropped
        const kept = [live.state.stock.A2, live.state.pinned];
        // A fresh snapshot (e.g. after a server restart) is the truth again.
        live._snapshot({ show: { id: "x" }, lineup: [], stock: { A2: 60 }, version: 3 });
        live._push("stock", { v: 4, stock: { A2: 59 } });
        return [...kept, live.state.stock.A2];
    }""")
    assert held == [70, "A1", 59]


async def test_a_tick_frame_applies_each_part_by_its_own_version(
        browser: Browser, live_client: TestClient) -> None:
    show_id = await seed_show(live_client)
    page = await open_page(browser, f"{base_url(live_client)}/s/{show_id}")
    held = await page.evaluate("""async () => {
        const { LiveShow } = await import("/static/js/live.js");
        const live = new LiveShow("x");
        const seen = [];
        for (const kind of ["stock", "ticker", "comment"]) {
            live.addEventListener(kind, () => seen.push(kind));
        }
        live._snapshot({ show: { id: "x" }, lineup: [], stock: { A2: 80 }, version: 10 });
        live._tick({ stock: { v: 12, t: 1, stock: { A2: 70 } },
                     ticker: { v: 100, items: [{ name: "A", code: "A2", qty: 1 }] },
                     comment: { v: 101, items: [{ name: "A", text: "one" }] } });
        // A late frame: its stock and ticker parts are older than what is held and are
        // dropped; its comment part is newer and still applies.
        live._tick({ stock: { v: 11, t: 1, stock: { A2: 75 } },
                     ticker: { v: 99, items: [{ name: "B", code: "A2", qty: 9 }] },
                     comment: { v: 102, items: [{ name: "C", text: "two" }] } });
        return { stock: live.state.stock.A2, ticker: live.state.ticker.map((i) => i.name),
                 comments: live.state.comments.map((i) => i.text), seen };
    }""")
    assert held == {"stock": 70, "ticker": ["A"], "comments": ["one", "two"],
                    "seen": ["stock", "ticker", "comment", "comment"]}
