"""The host and staff consoles in headless Chromium, against the real app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from livesell import keys
from livesell.app import create_app
from livesell.config import Settings
from livesell.http.auth import hash_token
from tests.conftest import ROLE_TOKENS, auth, comment, post_comments, seed_show

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
TIMEOUT = 5000

# Makes a console deaf to `order` pushes, the way a lagging connection would be, so the
# next action it takes carries a stale version.
DEAF_TO_ORDERS = """
(() => {
  let real;
  Object.defineProperty(window, "io", {
    configurable: true,
    set(value) { real = value; },
    get() {
      return (...args) => {
        const socket = real(...args);
        const on = socket.on.bind(socket);
        socket.on = (name, handler) => (name === "order" ? socket : on(name, handler));
        return socket;
      };
    },
  });
})();
"""


@pytest.fixture
async def live(aiohttp_server: Any, aiohttp_client: Any,
               settings: Settings) -> AsyncIterator[tuple[TestServer, TestClient, str]]:
    app = create_app(settings)
    server: TestServer = await aiohttp_server(app)
    for role, token in ROLE_TOKENS.items():
        await app[keys.STORE].add_token(hash_token(token), role, role, 0.0)
    client: TestClient = await aiohttp_client(server)
    show = await seed_show(client)
    yield server, client, show


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as driver:
        chromium = await driver.chromium.launch(executable_path="/usr/bin/chromium",
                                                headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


async def open_console(browser: Any, server: TestServer, path: str, role: str,
                       init_script: str | None = None) -> Any:
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    if init_script:
        await context.add_init_script(init_script)
    page = await context.new_page()
    await page.goto(str(server.make_url(f"/login?next={path}")))
    await page.locator("summary").click()
    await page.locator("#token").fill(ROLE_TOKENS[role])
    await page.locator("form.stack button[type=submit]").click()
    await expect(page).to_have_url(str(server.make_url(path)), timeout=TIMEOUT)
    await expect(page.locator("#conn")).to_have_text("Đã kết nối", timeout=TIMEOUT)
    return page


def row(page: Any, code: str) -> Any:
    return page.locator(f'#orders li[data-code="{code}"]')


async def test_confirm_in_one_console_shows_in_the_other(live: Any, browser: Any) -> None:
    server, client, show = live
    first = await open_console(browser, server, f"/staff/{show}", "staff")
    second = await open_console(browser, server, f"/staff/{show}", "staff")
    results = await post_comments(client, show, [comment("c1", "chốt A1 1kg x2 0912345678",
                                                         name="Nguyễn <b>Thị</b> Hồng")])
    code = results[0]["order"]
    for page in (first, second):
        await expect(row(page, code).locator(".badge")).to_have_text("Mới", timeout=TIMEOUT)
    # Names are shown as text, never parsed as markup.
    await expect(row(second, code).locator(".buyer")).to_have_text("Nguyễn <b>Thị</b> Hồng")
    await row(first, code).get_by_role("button", name="Xác nhận").click()
    await expect(row(second, code).locator(".badge")).to_have_text("Đã xác nhận",
                                                                   timeout=TIMEOUT)
    await expect(row(second, code).get_by_role("button", name="Đã trả tiền")).to_be_enabled()


async def test_stale_console_gets_a_conflict_message(live: Any, browser: Any) -> None:
    server, client, show = live
    results = await post_comments(client, show, [comment("c1", "chốt A2 x1")])
    code = results[0]["order"]
    fresh = await open_console(browser, server, f"/staff/{show}", "staff")
    stale = await open_console(browser, server, f"/staff/{show}", "staff", DEAF_TO_ORDERS)
    await expect(row(stale, code).locator(".badge")).to_have_text("Mới", timeout=TIMEOUT)
    await row(fresh, code).get_by_role("button", name="Xác nhận").click()
    await expect(row(fresh, code).locator(".badge")).to_have_text("Đã xác nhận", timeout=TIMEOUT)
    # The stale console still shows the old version and acts on it.
    await expect(row(stale, code).locator(".badge")).to_have_text("Mới")
    await row(stale, code).get_by_role("button", name="Từ chối").click()
    # Reject asks first, then waits out its undo time before it is sent.
    await row(stale, code).locator(".act-reject-yes").click()
    await expect(stale.locator("#notice")).to_be_visible(timeout=TIMEOUT * 2)
    await expect(stale.locator("#notice-text")).to_contain_text(code)
    await expect(stale.locator("#notice-text")).to_contain_text("người khác")
    # The row now holds the fresh order from the 409 body.
    await expect(row(stale, code).locator(".badge")).to_have_text("Đã xác nhận", timeout=TIMEOUT)
    resp = await client.get(f"/api/orders/{code}", headers=auth())
    assert (await resp.json())["status"] == "confirmed"


async def test_keyboard_j_then_c_confirms_the_selected_order(live: Any, browser: Any) -> None:
    server, client, show = live
    await post_comments(client, show, [comment("c1", "chốt A2 x1", author="u1", name="An"),
                                       comment("c2", "chốt B1 500ml", author="u2", name="Bình")])
    page = await open_console(browser, server, f"/staff/{show}", "staff")
    await expect(page.locator("#orders li.order")).to_have_count(2, timeout=TIMEOUT)
    first_code = await page.locator("#orders li.order").nth(0).get_attribute("data-code")
    second_code = await page.locator("#orders li.order").nth(1).get_attribute("data-code")
    await expect(page.locator("#orders li.selected")).to_have_attribute("data-code", first_code)
    await page.keyboard.press("j")
    await expect(page.locator("#orders li.selected")).to_have_attribute("data-code", second_code)
    await page.keyboard.press("c")
    await expect(row(page, second_code).locator(".badge")).to_have_text("Đã xác nhận",
                                                                        timeout=TIMEOUT)
    await expect(row(page, first_code).locator(".badge")).to_have_text("Mới")
    await page.keyboard.press("/")
    await expect(page.locator("#search")).to_be_focused()


async def test_host_pins_and_starts_a_flash_deal(live: Any, browser: Any) -> None:
    server, client, show = live
    page = await open_console(browser, server, f"/host/{show}", "host")
    pin = page.locator('button[data-pin="B1"]')
    await pin.click()
    await expect(pin).to_have_attribute("aria-pressed", "true", timeout=TIMEOUT)
    await page.locator("#flash-sku").select_option("B1:500ml")
    await page.locator("#flash-price").fill("79000")
    await page.locator("#flash-quantity").fill("20")
    await page.locator("#flash-seconds").fill("300")
    await page.get_by_role("button", name="Bắt đầu flash sale").click()
    await expect(page.locator("#flash-state")).to_contain_text("B1:500ml", timeout=TIMEOUT)
    await expect(page.locator("#flash-stop")).to_be_visible()
    snapshot = await (await client.get(f"/api/shows/{show}")).json()
    assert snapshot["pinned"] == "B1"
    assert snapshot["flash"]["code"] == "B1"
    assert snapshot["flash"]["variant"] == "500ml"
    assert snapshot["flash"]["price"] == 79000
    assert snapshot["flash"]["quantity"] == 20
    # Stats pushes keep the lineup's stock live.
    await post_comments(client, show, [comment("c1", "chốt C1 x3")])
    await expect(page.locator('tr[data-sku="C1"] td.strong')).to_have_text("7", timeout=TIMEOUT)


async def test_review_item_is_resolved_into_an_order(live: Any, browser: Any) -> None:
    server, client, show = live
    page = await open_console(browser, server, f"/staff/{show}", "staff")
    results = await post_comments(client, show, [comment("c1", "chốt CUA9 x2", name="Hà")])
    assert results[0]["status"] == "review"
    item = page.locator("#review li.review-item")
    await expect(item.locator(".comment-text")).to_have_text("chốt CUA9 x2", timeout=TIMEOUT)
    await item.locator("select.product").select_option("A1")
    await item.locator("select.size").select_option("500g")
    await item.locator("input.qty").fill("2")
    await item.get_by_role("button", name="Tạo đơn").click()
    await expect(page.locator("#review li.review-item")).to_have_count(0, timeout=TIMEOUT)
    order = page.locator("#orders li.order").first
    await expect(order.locator(".lines")).to_contain_text("A1:500g × 2", timeout=TIMEOUT)


async def test_edit_quantity_and_contact(live: Any, browser: Any) -> None:
    server, client, show = live
    # Two comments for the same variant make two lines; the dialog edits their sum.
    results = await post_comments(client, show, [comment("c1", "chốt A1 500g x1"),
                                                 comment("c2", "thêm A1 500g x1")])
    code = results[0]["order"]
    page = await open_console(browser, server, f"/staff/{show}", "staff")
    await row(page, code).get_by_role("button", name="Sửa").click()
    quantity = page.locator("#edit-lines input")
    await expect(quantity).to_have_count(1)
    await expect(quantity).to_have_value("2")
    await quantity.fill("3")
    await page.locator("#edit-address").fill("<img src=x onerror=alert(1)> Cà Mau")
    await page.get_by_role("button", name="Lưu").click()
    await expect(row(page, code).locator(".contact")).to_contain_text("<img src=x", timeout=TIMEOUT)
    order = await (await client.get(f"/api/orders/{code}", headers=auth())).json()
    assert sum(line["qty"] for line in order["lines"] if line["state"] == "held") == 3
    assert order["contact"]["address"] == "<img src=x onerror=alert(1)> Cà Mau"
