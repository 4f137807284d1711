"""The QR codes people scan, as a phone would: rendered by Chromium at phone and desktop
widths, screenshotted, decoded with zxing-cpp, compared with the exact payload."""

from __future__ import annotations

import io
from typing import Any

import pytest
import zxingcpp
from aiohttp.test_utils import TestClient
from PIL import Image
from playwright.async_api import Browser, Page, expect

from livesell.config import Settings
from livesell.domain.vietqr import crc16_ccitt_false
from tests.conftest import auth, comment, post_comments, seed_show

from .conftest import StartServer, base_url

pytestmark = pytest.mark.browser

WIDTHS = (390, 1440)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(payment_bank="MB", payment_account="0123456789",
                          payment_account_name="HTX CUA DAM DOI", bank_webhook_key="k")


async def decode_qr(page: Page, selector: str) -> str:
    """The text of the QR drawn in ``selector``, read from a screenshot of it."""
    element = page.locator(selector)
    await expect(element).to_be_visible()
    png = await element.screenshot()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(found) == 1, f"{len(found)} codes decoded in {selector}"
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    return str(found[0].text)


def tlv(payload: str) -> dict[str, str]:
    fields, i = {}, 0
    while i < len(payload):
        tag, size = payload[i:i + 2], int(payload[i + 2:i + 4])
        fields[tag] = payload[i + 4:i + 4 + size]
        i += 4 + size
    return fields


async def open_at(browser: Browser, url: str, width: int) -> Page:
    page = await browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(url)
    no_overflow = await page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth")
    assert no_overflow, f"horizontal overflow at {width} px"
    assert errors == []
    return page


async def confirmed_order(client: TestClient) -> dict[str, Any]:
    show = await seed_show(client)
    results = await post_comments(client, show, [comment("c1", "chốt C1 x2 0912345678")])
    code = results[0]["order"]
    resp = await client.get(f"/api/orders/{code}", headers=auth())
    order = await resp.json()
    resp = await client.post(f"/api/orders/{code}/confirm", json={"version": order["version"]},
                             headers=auth())
    assert resp.status == 200
    return dict(await resp.json())


async def test_order_page_vietqr_decodes_to_the_exact_payment(
        browser: Browser, start_server: StartServer) -> None:
    client = await start_server()
    order = await confirmed_order(client)
    path = order["buyer_url"].split("/", 3)[3]
    for width in WIDTHS:
        page = await open_at(browser, f"{base_url(client)}/{path}", width)
        text = await decode_qr(page, "#pay-qr svg")
        assert text == await page.locator("#pay-qr").get_attribute("data-payload")
        fields = tlv(text)
        assert text[-4:] == f"{crc16_ccitt_false(text[:-4].encode()):04X}"  # CRC valid
        assert fields["54"] == "300000" and fields["53"] == "704" and fields["58"] == "VN"
        assert tlv(fields["62"])["08"] == order["code"].replace("-", "")  # message = code
        bank = tlv(tlv(fields["38"])["01"])
        assert (bank["00"], bank["01"]) == ("970422", "0123456789")
        for copy, value in [("#pay-account", "0123456789"), ("#pay-message", "DD0001")]:
            assert await page.locator(copy).text_content() == value
        assert await page.locator("button.copy").count() == 3
        await page.close()


async def test_product_page_qr_decodes_to_its_address(
        browser: Browser, start_server: StartServer) -> None:
    client = await start_server()
    await seed_show(client)
    for width in WIDTHS:
        page = await open_at(browser, f"{base_url(client)}/p/A1", width)
        text = await decode_qr(page, "figure.qr svg")
        assert text.endswith("/p/A1") and text.startswith("http")
        await page.close()


async def test_buyer_page_turns_paid_live_and_copies(
        browser: Browser, start_server: StartServer) -> None:
    client = await start_server()
    order = await confirmed_order(client)
    path = order["buyer_url"].split("/", 3)[3]
    context = await browser.new_context(viewport={"width": 390, "height": 900})
    await context.grant_permissions(["clipboard-read", "clipboard-write"],
                                    origin=base_url(client))
    page = await context.new_page()
    await page.goto(f"{base_url(client)}/{path}")
    await expect(page.locator("body")).to_have_attribute("data-live", "on", timeout=5000)
    await page.locator("button.copy").nth(1).click()
    assert await page.evaluate("navigator.clipboard.readText()") == "300000"
    body = {"id": 1, "gateway": "MBBank", "transactionDate": "2026-12-02 20:15:09",
            "accountNumber": "0123456789", "code": None, "content": f"CK {order['code']}",
            "transferType": "in", "transferAmount": 300_000, "accumulated": 300_000,
            "subAccount": None, "referenceCode": "FT1", "description": ""}
    resp = await client.post("/hooks/bank/sepay", json=body,
                             headers={"Authorization": "Apikey k"})
    assert resp.status == 200
    await expect(page.locator("#status")).to_have_text("Đã thanh toán", timeout=3000)
    await expect(page.locator("#pay")).to_be_hidden()
    await expect(page.locator("#received")).to_have_text("300.000\u00a0₫")
    await page.reload()  # the server's page agrees after a reload
    await expect(page.locator("#status")).to_have_text("Đã thanh toán")
    await context.close()


async def test_label_sheet_qr_decodes_to_the_product_page(
        browser: Browser, start_server: StartServer) -> None:
    client = await start_server()
    await seed_show(client)
    for width in WIDTHS:
        page = await browser.new_page(viewport={"width": width, "height": 900},
                                      extra_http_headers=auth())
        await page.goto(f"{base_url(client)}/p/labels?codes=A1,B1&per_page=24")
        sticker = page.locator(".sticker").first
        text = await decode_qr(page, ".sticker >> nth=0 >> svg")
        assert text == await sticker.get_attribute("data-url")
        assert text.endswith("/p/A1")
        await page.close()


async def test_the_qr_appears_live_when_staff_confirm(
        browser: Browser, start_server: StartServer) -> None:
    client = await start_server()
    show = await seed_show(client)
    [r] = await post_comments(client, show, [comment("c1", "chốt C1 x1")])
    resp = await client.get(f"/api/orders/{r['order']}", headers=auth())
    order = await resp.json()
    token = order["buyer_url"].split("?t=")[1]
    page = await open_at(browser, f"{base_url(client)}/o/{order['code']}?t={token}", 390)
    await expect(page.locator("body")).to_have_attribute("data-live", "on", timeout=5000)
    assert await page.locator("#pay").count() == 0
    resp = await client.post(f"/api/orders/{order['code']}/confirm",
                             json={"version": order["version"]}, headers=auth())
    assert resp.status == 200
    await expect(page.locator("#status")).to_have_text("Đã xác nhận", timeout=5000)
    text = await decode_qr(page, "#pay-qr svg")
    assert tlv(text)["54"] == "150000"
    await page.close()
