"""The booth in Chromium, as a buyer and a host see it: the shop with photos on a phone and a
desktop, an order placed from it reaching staff, its buyer page QR, and the QR label sheet."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

import pytest
import zxingcpp
from aiohttp.test_utils import TestClient
from PIL import Image
from playwright.async_api import Browser, Page, expect

from livesell import keys
from livesell.demo.seed import seed_demo
from tests.conftest import OWNER, auth

from .conftest import StartServer, base_url
from .test_public_pages import SCREENSHOTS

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


async def no_sideways_scroll(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    inner = await page.evaluate("window.innerWidth")
    assert width <= inner, f"page is {width}px wide on a {inner}px screen"


def decode_all(png: bytes) -> list[str]:
    with Image.open(io.BytesIO(png)) as image:
        return [r.text for r in zxingcpp.read_barcodes(image.convert("RGB"))]


async def login(page: Page, url: str, then: str) -> None:
    await page.goto(f"{url}/login?next={quote(then, safe='/')}")
    await page.locator("summary").click()
    await page.locator("#token").fill(OWNER)
    await page.locator("form.stack button[type=submit]").click()
    await page.wait_for_url(f"{url}{then}")


@pytest.fixture
async def demo(start_server: StartServer, settings: Any) -> TestClient:
    client = await start_server()
    await seed_demo(client.app)
    return client


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1440"])
async def test_the_shop_lists_the_demo_catalog_with_photos(
        browser: Browser, demo: TestClient, viewport: dict[str, int]) -> None:
    page = await browser.new_page(viewport=viewport)  # type: ignore[arg-type]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{base_url(demo)}/shop")
    products = await demo.app[keys.STORE].list_products()
    await expect(page.locator(".card")).to_have_count(len(products))
    photos = page.locator("img.card-photo")
    assert await photos.count() >= 6
    # every photo really loaded (a broken image has naturalWidth 0)
    for i in range(3):
        img = photos.nth(i)
        await img.scroll_into_view_if_needed()
        await expect(img).to_have_js_property("complete", True)
        assert await img.evaluate("i => i.naturalWidth") > 0
    await no_sideways_scroll(page)
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=str(SCREENSHOTS / f"shop-{viewport['width']}.png"),
                          full_page=False, animations="disabled")
    # the category filter narrows the list
    await page.click("a.chip[href='/shop?category=beverage']")
    await expect(page.locator(".card")).to_have_count(
        sum(1 for p in products if str(p.category) == "beverage"))
    assert errors == []
    await page.close()


async def test_a_booth_order_reaches_staff_and_its_buyer_page_qr_scans(
        browser: Browser, start_server: StartServer, settings: Any) -> None:
    client = await start_server()
    client.app[keys.SETTINGS]  # payment settings come from the test settings below
    await seed_demo(client.app)
    url = base_url(client)
    page = await browser.new_page(viewport=PHONE)  # type: ignore[arg-type]
    await page.goto(f"{url}/shop")
    first = page.locator("input[type=number]:not([disabled])").first
    await first.fill("2")
    await expect(page.locator("#cart-bar")).to_be_visible()
    await page.fill("input[name=name]", "Trần Thị Mai")
    await page.fill("input[name=phone]", "0912 888 777")
    await page.fill("textarea[name=address]", "12 Lý Thường Kiệt, P.5, TP Cà Mau")
    await page.click("#booth-submit")
    await page.wait_for_url("**/o/*")
    code = page.url.split("/o/", 1)[1].split("?", 1)[0]
    await no_sideways_scroll(page)
    # a reload keeps the buyer on their order
    await page.reload()
    await expect(page.locator("h1")).to_contain_text(code)

    staff = await browser.new_page(viewport=DESKTOP)  # type: ignore[arg-type]
    await login(staff, url, "/staff/booth")
    await expect(staff.locator(f"text={code}").first).to_be_visible()
    await staff.close()

    order = await (await client.get(f"/api/orders/{code}", headers=auth())).json()
    confirm = await client.post(f"/api/orders/{code}/confirm", json={"version": order["version"]},
                                headers=auth())
    assert confirm.status == 200
    await page.reload()
    qr = page.locator(".pay .qr svg, .pay .qr img").first
    if await qr.count():
        texts = decode_all(await qr.screenshot())
        assert texts and code.replace("-", "") in texts[0].replace("-", "")
    await page.close()


async def test_every_label_qr_decodes_to_its_product_page(
        browser: Browser, demo: TestClient) -> None:
    url = base_url(demo)
    page = await browser.new_page(viewport=DESKTOP)  # type: ignore[arg-type]
    await login(page, url, "/p/labels?codes=A1,B5,E1&per_page=24")
    stickers = page.locator(".sticker")
    count = await stickers.count()
    assert count >= 3
    for i in range(count):
        sticker = stickers.nth(i)
        expected = await sticker.get_attribute("data-url")
        texts = decode_all(await sticker.locator("svg").screenshot())
        assert texts == [expected], (i, texts)
    await no_sideways_scroll(page)
    await page.screenshot(path=str(SCREENSHOTS / "labels.png"), full_page=False)
    await page.close()
