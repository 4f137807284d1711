"""First paid, first served as people see it: the host's switch, the buyer's payment QR before
any confirmation, and the sold-out notice appearing live when someone else paid first."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, expect

from livesell import keys
from livesell.config import Settings
from tests.browser.test_booth_pages import login
from tests.browser.test_payment_qr import decode_qr, open_at, tlv
from tests.conftest import auth, comment, post_comments, seed_show

from .conftest import StartServer, base_url

pytestmark = pytest.mark.browser


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(payment_bank="MB", payment_account="0123456789",
                          payment_account_name="HTX CUA DAM DOI", bank_webhook_key="k")


def sepay(tx: int, code: str, amount: int) -> dict[str, Any]:
    return {"id": tx, "gateway": "MBBank", "transactionDate": "2026-12-02 20:15:09",
            "accountNumber": "0123456789", "code": None, "content": f"CK {code}",
            "transferType": "in", "transferAmount": amount, "accumulated": amount,
            "subAccount": None, "referenceCode": f"FT{tx}", "description": ""}


async def test_the_host_turns_it_on(browser: Browser, start_server: StartServer) -> None:
    client = await start_server()
    show = await seed_show(client)
    page = await browser.new_page(viewport={"width": 390, "height": 900})
    await login(page, base_url(client), f"/host/{show}")
    box = page.locator("#first-paid")
    await expect(box).not_to_be_checked()
    await box.check()
    for _ in range(50):  # the switch saves in the background; wait for the store to agree
        saved = await client.app[keys.STORE].get_show(show)
        if saved is not None and saved.first_paid:
            break
        await page.wait_for_timeout(100)
    assert saved is not None and saved.first_paid
    no_overflow = await page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth")
    assert no_overflow
    await page.close()


async def test_a_buyer_pays_before_confirmation_and_learns_it_sold_out(
        browser: Browser, start_server: StartServer) -> None:
    client = await start_server()
    show = await seed_show(client, stock={"C1": 1})
    resp = await client.patch(f"/api/shows/{show}", json={"first_paid": True}, headers=auth())
    assert resp.status == 200
    mine, theirs = (a["order"] for a in await post_comments(client, show, [
        comment("c1", "chốt C1", author="a", name="Hùng"),
        comment("c2", "chốt C1", author="b", name="Lan"),
    ]))
    order = await (await client.get(f"/api/orders/{mine}", headers=auth())).json()
    path = order["buyer_url"].split("/", 3)[3]
    for width in (1440, 390):
        page = await open_at(browser, f"{base_url(client)}/{path}", width)
        await expect(page.locator("#first-paid")).to_be_visible()
        # a captured order of such a show can be paid at once: the QR is there
        assert tlv(await decode_qr(page, "#pay-qr svg"))["54"] == "150000"
        if width == 1440:
            await page.close()
    await expect(page.locator("body")).to_have_attribute("data-live", "on", timeout=5000)
    # the other buyer pays first and wins the last unit; then this buyer's money arrives
    for tx, code in ((1, theirs), (2, mine)):
        resp = await client.post("/hooks/bank/sepay", json=sepay(tx, code, 150_000),
                                 headers={"Authorization": "Apikey k"})
        assert resp.status == 200
    await expect(page.locator("tr.line-sold_out")).to_have_count(1, timeout=5000)
    await expect(page.locator("#pay-flag")).to_have_text("Hết hàng: shop sẽ hoàn tiền")
    await expect(page.locator("#pay")).to_have_count(0)  # nothing more to pay
    no_overflow = await page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth")
    assert no_overflow
    await page.close()
    won = await (await client.get(f"/api/orders/{theirs}", headers=auth())).json()
    assert [line["state"] for line in won["lines"]] == ["confirmed"]
