"""Payments on the consoles in Chromium: copy link and message, unmatched transfers attached
by hand and arriving live, the host's bank account form."""

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

from .test_consoles import TIMEOUT, expect, open_console, row

pytestmark = pytest.mark.browser


@pytest.fixture
async def live(aiohttp_server: Any, aiohttp_client: Any,
               settings: Settings) -> AsyncIterator[tuple[TestServer, TestClient, str]]:
    app = create_app(settings.with_(bank_webhook_key="k", public_url="https://shop.example"))
    server: TestServer = await aiohttp_server(app)
    for role, token in ROLE_TOKENS.items():
        await app[keys.STORE].add_token(hash_token(token), role, role, 0.0)
    client: TestClient = await aiohttp_client(server)
    show = await seed_show(client)
    yield server, client, show


async def sepay(client: TestClient, tx: int, amount: int, content: str) -> None:
    resp = await client.post("/hooks/bank/sepay", headers={"Authorization": "Apikey k"}, json={
        "id": tx, "gateway": "MBBank", "transactionDate": "2026-12-02 20:15:09",
        "accountNumber": "0123456789", "code": None, "content": content, "transferType": "in",
        "transferAmount": amount, "accumulated": amount, "subAccount": None,
        "referenceCode": f"FT{tx}", "description": ""})
    assert resp.status == 200


async def test_staff_copy_link_and_message_then_attach_a_transfer(live: Any,
                                                                  browser: Any) -> None:
    server, client, show = live
    results = await post_comments(client, show, [comment("c1", "C1 x2", name="Lê Thị Hồng")])
    code = results[0]["order"]
    page = await open_console(browser, server, f"/staff/{show}", "staff")
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                         origin=str(server.make_url("/")).rstrip("/"))
    await row(page, code).get_by_role("button", name="Chép link").click()
    link = await page.evaluate("navigator.clipboard.readText()")
    assert link.startswith(f"https://shop.example/o/{code}?t=")
    await row(page, code).get_by_role("button", name="Chép tin nhắn").click()
    message = await page.evaluate("navigator.clipboard.readText()")
    assert code in message and "300.000\u00a0₫" in message and link in message
    assert "Lê Thị Hồng" in message

    # confirm, then money without a code arrives: it shows up live, staff attach it
    resp = await client.get(f"/api/orders/{code}", headers=auth())
    version = (await resp.json())["version"]
    resp = await client.post(f"/api/orders/{code}/confirm", json={"version": version},
                             headers=auth())
    assert resp.status == 200
    await sepay(client, 1, 300_000, "chuyen tien mua cua")
    transfer = page.locator('#transfers li[data-id="sepay:1"]')
    await expect(transfer).to_contain_text("300.000", timeout=TIMEOUT)
    await transfer.locator("input").fill(code.lower())
    await transfer.get_by_role("button", name="Gắn vào đơn").click()
    await expect(transfer).to_be_hidden(timeout=TIMEOUT)
    await expect(row(page, code).locator(".badge")).to_have_text("Đã thanh toán",
                                                                 timeout=TIMEOUT)
    await expect(row(page, code).locator(".pay-state")).to_contain_text("300.000")
    no_overflow = await page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth")
    assert no_overflow


async def test_host_sets_the_bank_account(live: Any, browser: Any) -> None:
    server, client, show = live
    page = await open_console(browser, server, f"/host/{show}", "host")
    await expect(page.locator("#pay-account-state")).to_contain_text("Chưa có tài khoản",
                                                                     timeout=TIMEOUT)
    await page.locator("#pay-bank").fill("Nowhere")
    await page.locator("#pay-number").fill("0123456789")
    await page.get_by_role("button", name="Lưu tài khoản").click()
    await expect(page.locator("#notice")).to_be_visible(timeout=TIMEOUT)
    await page.locator("#pay-bank").fill("vcb")
    await page.locator("#pay-holder").fill("HTX Cua Dam Doi")
    await page.get_by_role("button", name="Lưu tài khoản").click()
    await expect(page.locator("#pay-account-state")).to_contain_text(
        "Vietcombank · 0123456789 · HTX Cua Dam Doi", timeout=TIMEOUT)
    resp = await client.get("/api/payment/account", headers=auth())
    assert (await resp.json())["account"]["bin"] == "970436"
    await page.reload()
    await expect(page.locator("#pay-bank")).to_have_value("Vietcombank", timeout=TIMEOUT)
    await page.locator("#pay-hours").fill("24")
    async with page.expect_response(lambda r: "payment-deadline" in r.url) as answer:
        await page.get_by_role("button", name="Lưu hạn").click()
    assert (await answer.value).status == 200
    saved = await client.app[keys.STORE].get_show(show)
    assert saved is not None and saved.payment_hours == 24
