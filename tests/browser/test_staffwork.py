"""Staff work in Chromium: claims seen live, bulk confirm of 50, reject with undo, print views
with one QR slip per confirmed order, the report's charts, and no sideways scroll on a phone."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from aiohttp.test_utils import TestServer
from PIL import Image

from livesell import keys
from livesell.app import create_app
from livesell.config import Settings
from livesell.http.auth import hash_token
from tests.browser.test_consoles import TIMEOUT, live, row  # noqa: F401
from tests.conftest import ROLE_TOKENS, Clock, auth, comment, post_comments, seed_show

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect
pytestmark = pytest.mark.browser

# Pixels drawn on each chart canvas (alpha > 0).
PAINTED = """() => [...document.querySelectorAll('.chart-box canvas')].map((c) => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; })"""
# What sticks out past the right edge (named in the failure, to fix it quickly).
WIDE = """() => [...document.querySelectorAll('body *')]
  .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
  .map((e) => `${e.tagName}#${e.id}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)
  .slice(0, 8)"""
STAFF = {"An": "token-staff-an-0123456789", "Bình": "token-staff-binh-0123456789"}
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
README_SHOTS = {"report-1440": "report", "report-390": "report-phone",
                "staff-390": "staff-phone", "host-390": "host-phone"}


@pytest.fixture
async def timed(aiohttp_server: Any, aiohttp_client: Any,
                settings: Settings) -> AsyncIterator[tuple[TestServer, Any, str, Clock]]:
    """Like ``live``, on a clock the test moves: a show that lasts a quarter of an hour."""
    clock = Clock(1_800_000_000.0)
    app = create_app(settings, clock=clock)
    server: TestServer = await aiohttp_server(app)
    for role, token in ROLE_TOKENS.items():
        await app[keys.STORE].add_token(hash_token(token), role, role, 0.0)
    client = await aiohttp_client(server)
    show = await seed_show(client, stock={"A1:500g": 12, "B1:500ml": 30})
    yield server, client, show, clock


async def a_show(client: Any, show: str, clock: Clock) -> None:
    """Fourteen minutes of a show: a slow start, a flash-deal rush, a sell-out, then staff."""
    texts = ["chốt A1 500g", "lấy B1 500ml x2", "A2 x1", "chốt C1", "mua B1 1l",
             "giá A1 bao nhiêu?", "đẹp quá", "chốt A1 1kg x1"]
    n = 0
    for count in [3, 5, 8, 14, 22, 30, 18, 12, 9, 6, 4, 3, 2, 1]:
        batch = []
        for _ in range(count):
            n += 1
            batch.append(comment(f"m{n}", f"{texts[n % len(texts)]} 09{n:08d}",
                                 author=f"buyer{n % 40}", name=f"Khách {n % 40}"))
        await post_comments(client, show, batch)
        clock.advance(60)
    listed = (await (await client.get(f"/api/shows/{show}/orders", headers=auth())).json())
    for i, order in enumerate(listed["orders"]):
        if i % 3 == 2:
            continue
        resp = await client.post(f"/api/orders/{order['code']}/confirm", headers=auth(),
                                 json={"version": order["version"]})
        if resp.status == 200 and i % 3 == 0:
            done = await resp.json()
            await client.post(f"/api/orders/{order['code']}/paid", headers=auth(),
                              json={"version": done["version"]})
    await client.post(f"/api/shows/{show}/end", headers=auth())


async def login(chromium: Any, server: TestServer, path: str, token: str,
                width: int = 1280) -> Any:
    context = await chromium.new_context(viewport={"width": width, "height": 860})
    page = await context.new_page()
    await page.goto(str(server.make_url(f"/login?next={path}")))
    await page.locator("summary").click()
    await page.locator("#token").fill(token)
    await page.locator("form.stack button[type=submit]").click()
    await expect(page).to_have_url(str(server.make_url(path)), timeout=TIMEOUT)
    return page


async def staff_tokens(server: TestServer) -> None:
    for name, token in STAFF.items():
        await server.app[keys.STORE].add_token(hash_token(token), "staff", name, 0.0)


async def no_overflow(page: Any) -> None:
    # What a person sees is the settled page: a width seen while live updates reflow it is
    # measured again (for up to 2 s) before it counts; an overflow that stays fails.
    for _ in range(10):
        widths = await page.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth]")
        if widths[0] <= widths[1]:
            break
        await page.wait_for_timeout(200)
    if widths[0] > widths[1]:
        wide = await page.evaluate(WIDE)
        raise AssertionError(f"{page.url}: {widths[0]} px wide at {widths[1]} px: {wide}")
    assert widths[0] <= widths[1], f"{page.url}: {widths[0]} px wide at {widths[1]} px"


async def orders(client: Any, show: str, n: int, text: str = "chốt C1 x1") -> list[str]:
    results = await post_comments(client, show, [
        comment(f"b{i}", f"{text} 09{i:08d}", author=f"buyer{i}", name=f"Khách {i}")
        for i in range(n)])
    return [r["order"] for r in results if r.get("order")]


async def test_two_staff_see_each_others_claims_live(live: Any, browser: Any) -> None:  # noqa: F811
    server, client, show = live
    await staff_tokens(server)
    [code] = await orders(client, show, 1)
    an = await login(browser, server, f"/staff/{show}", STAFF["An"])
    binh = await login(browser, server, f"/staff/{show}", STAFF["Bình"])
    await expect(row(binh, code)).to_be_visible(timeout=TIMEOUT)
    await row(an, code).locator(".act-claim").click()
    await expect(row(an, code).locator(".claim-chip.mine")).to_be_visible(timeout=TIMEOUT)
    await expect(row(binh, code).locator(".claim-chip.other")).to_have_text(
        "An đang xử lý", timeout=TIMEOUT)
    # Bình's console offers no claim button while An holds it; the API refuses with who.
    await expect(row(binh, code).locator(".act-claim")).to_have_count(0)
    resp = await client.post(f"/api/orders/{code}/claim", headers=auth(STAFF["Bình"]))
    assert resp.status == 409
    assert (await resp.json())["claim"]["holder"] == "An"
    # A reload keeps the claim (it lives in the store), and letting go shows everywhere.
    await binh.reload()
    await expect(row(binh, code).locator(".claim-chip.other")).to_be_visible(timeout=TIMEOUT)
    await row(an, code).locator(".act-claim").click()
    await expect(row(binh, code).locator(".claim-chip")).to_have_count(0, timeout=TIMEOUT)
    await expect(row(binh, code).locator(".act-claim")).to_be_visible()


async def test_bulk_confirm_of_fifty_orders(live: Any, browser: Any) -> None:  # noqa: F811
    server, client, show = live
    codes = await orders(client, show, 50, "chốt A2 x1")
    assert len(codes) == 50
    await staff_tokens(server)
    page = await login(browser, server, f"/staff/{show}", STAFF["An"])
    await expect(page.locator("#orders li.order")).to_have_count(50, timeout=TIMEOUT)
    await page.locator("#bulk-all").click()
    await expect(page.locator("#bulk-count")).to_have_text("Đã chọn 50")
    await page.locator("#bulk-confirm").click()
    await expect(page.locator('#orders li.order[data-status="confirmed"]')).to_have_count(
        50, timeout=TIMEOUT * 2)
    await expect(page.locator("#notice-text")).to_have_text("Xong 50/50 đơn")
    listed = await (await client.get(f"/api/shows/{show}/orders?status=confirmed",
                                     headers=auth())).json()
    assert len(listed["orders"]) == 50


async def test_reject_asks_then_can_be_undone(live: Any, browser: Any) -> None:  # noqa: F811
    server, client, show = live
    await staff_tokens(server)
    first, second = await orders(client, show, 2)
    page = await login(browser, server, f"/staff/{show}", STAFF["An"])
    await row(page, first).get_by_role("button", name="Từ chối").first.click()
    await row(page, first).locator(".act-reject-yes").click()
    await expect(page.locator("#undo")).to_be_visible()
    await page.locator("#undo-button").click()
    await expect(page.locator("#undo")).to_be_hidden()
    await expect(page.locator("#notice-text")).to_contain_text(first)
    # Past the undo time nothing was sent: the order is still captured.
    got = await (await client.get(f"/api/orders/{first}", headers=auth())).json()
    assert got["status"] == "captured"
    # Without undo, the reject goes through once the five seconds have run.
    await row(page, second).get_by_role("button", name="Từ chối").first.click()
    await row(page, second).locator(".act-reject-yes").click()
    await expect(row(page, second).locator(".badge").first).to_have_text("Từ chối",
                                                                          timeout=9000)
    got = await (await client.get(f"/api/orders/{first}", headers=auth())).json()
    assert got["status"] == "captured"


async def test_slips_one_per_confirmed_order_with_a_readable_qr(live: Any,  # noqa: F811
                                                                browser: Any) -> None:
    server, client, show = live
    await staff_tokens(server)
    codes = await orders(client, show, 4, "chốt A2 x1")
    for code in codes[:3]:
        order = await (await client.get(f"/api/orders/{code}", headers=auth())).json()
        resp = await client.post(f"/api/orders/{code}/confirm", headers=auth(),
                                 json={"version": order["version"]})
        assert resp.status == 200
    page = await login(browser, server, f"/staff/{show}/print?format=slip", STAFF["An"],
                       width=390)
    slips = page.locator("article.slip")
    await expect(slips).to_have_count(3)
    found = []
    for i in range(3):
        shot = await slips.nth(i).locator(".slip-qr svg").screenshot()
        decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
        found.append(decoded[0].text if decoded else None)
    assert sorted(found) == sorted(codes[:3])
    await no_overflow(page)
    await page.emulate_media(media="print")
    await page.set_viewport_size({"width": 302, "height": 800})
    await no_overflow(page)
    # The A4 list: one row per confirmed order, each with a tick box.
    await page.goto(str(server.make_url(f"/staff/{show}/print?format=a4")))
    await expect(page.locator("table.packing tbody tr")).to_have_count(3)
    await expect(page.locator("table.packing .box")).to_have_count(3)
    # Printing marks the orders as printed; the console shows it.
    await page.emulate_media(media="screen")
    await page.evaluate("window.dispatchEvent(new Event('beforeprint'));"
                        "window.dispatchEvent(new Event('afterprint'))")
    printed = await (await client.get(f"/api/shows/{show}/printed", headers=auth())).json()
    for _ in range(50):
        if len(printed["printed"]) == 3:
            break
        await page.wait_for_timeout(100)
        printed = await (await client.get(f"/api/shows/{show}/printed", headers=auth())).json()
    assert sorted(printed["printed"]) == sorted(codes[:3])


@pytest.mark.parametrize("width", [390, 1440])
async def test_no_sideways_scroll_and_the_report_draws(timed: Any, browser: Any,  # noqa: F811
                                                       width: int) -> None:
    server, client, show, clock = timed
    await post_comments(client, show, [comment("r1", "chốt CUA9 x2", author="z", name="Hà")])
    await a_show(client, show, clock)
    report = await (await client.get(f"/api/shows/{show}/report", headers=auth())).json()
    page = await login(browser, server, f"/host/{show}", "test-host-token", width=width)
    await expect(page.locator(".product").first).to_be_visible(timeout=TIMEOUT)
    await expect(page.locator("#report-link")).to_be_visible()
    await no_overflow(page)
    await shot(page, f"host-{width}")
    await page.goto(str(server.make_url(f"/staff/{show}")))
    await expect(page.locator("#orders li.order").first).to_be_visible(timeout=TIMEOUT)
    await expect(page.locator("#review li.review-item").first).to_be_visible(timeout=TIMEOUT)
    # The review picker lists products, and sizes only for the chosen one.
    options = await page.locator("#review li.review-item").first.locator(
        "select.product option").count()
    assert options == len((await (await client.get(f"/api/shows/{show}")).json())["lineup"])
    await no_overflow(page)
    await shot(page, f"staff-{width}")
    await page.goto(str(server.make_url(f"/staff/{show}/report")))
    await expect(page.locator("body")).to_have_attribute("data-charts", "2", timeout=TIMEOUT)
    await expect(page.locator("#chart-minutes canvas")).to_have_count(1)
    await expect(page.locator("#chart-revenue canvas")).to_have_count(1)
    painted = await page.evaluate(PAINTED)
    assert all(n > 500 for n in painted), painted
    # The page's figures are the JSON report's (one definition of revenue).
    revenue = await page.locator('[data-total="revenue"]').text_content()
    assert revenue is not None
    assert revenue.replace("\u00a0", " ") == f"{report['totals']['revenue']:,} ₫".replace(",", ".")
    await expect(page.locator('[data-total="orders"]')).to_have_text(
        str(report["totals"]["orders"]))
    await no_overflow(page)
    await shot(page, f"report-{width}")
    await page.emulate_media(media="print")
    await no_overflow(page)


async def shot(page: Any, name: str) -> None:
    target = Path(os.environ.get("LIVESELL_SHOT_DIR", "/tmp/livesell-shots"))
    target.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(target / f"{name}.png"), full_page=True)
    readme = README_SHOTS.get(name)
    if readme and os.environ.get("LIVESELL_SCREENSHOTS") == "1":
        await page.screenshot(path=str(SHOTS / f"{readme}.png"),
                              full_page=name in ("report-390", "host-390"))


async def test_edit_changes_a_size_and_adds_a_line(live: Any, browser: Any) -> None:  # noqa: F811
    server, client, show = live
    await staff_tokens(server)
    [code] = [r["order"] for r in await post_comments(client, show, [
        comment("e1", "chốt A1 500g x2 0912345678")])]
    page = await login(browser, server, f"/staff/{show}", STAFF["An"])
    await row(page, code).get_by_role("button", name="Sửa").click()
    await page.locator("#edit-lines select.size").select_option("1kg")
    await page.locator("#edit-add-product").select_option("C1")
    await page.locator("#edit-add").click()
    await expect(page.locator("#edit-lines .edit-line")).to_have_count(2)
    await page.get_by_role("button", name="Lưu").click()
    await expect(row(page, code).locator(".lines")).to_contain_text("A1:1kg × 2",
                                                                    timeout=TIMEOUT)
    order = await (await client.get(f"/api/orders/{code}", headers=auth())).json()
    live_lines = {(line["code"], line["variant"]): line["qty"] for line in order["lines"]
                  if line["state"] in ("held", "waitlisted")}
    assert live_lines == {("A1", "1kg"): 2, ("C1", ""): 1}


async def test_new_orders_fade_and_group_by_customer(live: Any, browser: Any) -> None:  # noqa: F811
    server, client, show = live
    await staff_tokens(server)
    page = await login(browser, server, f"/staff/{show}", STAFF["An"])
    await expect(page.locator("body")).to_have_attribute("data-loaded", "1", timeout=TIMEOUT)
    first = (await post_comments(client, show, [
        comment("g1", "chốt A2", author="same", name="Lan"),
        comment("g2", "chốt C1", author="other", name="Mai")]))[0]["order"]
    await expect(page.locator("#orders li.order.fresh").first).to_be_visible(timeout=TIMEOUT)
    # The highlight is gone once its fade has run (5 s).
    await expect(page.locator("#orders li.order.fresh")).to_have_count(0, timeout=8000)
    await page.locator("#group-customer").check()
    await expect(page.locator("#orders li.group-head")).to_have_count(0)
    await page.locator("#alerts").check()  # sound on: a new order must not break the queue
    # Lan's first order is confirmed, so her next comment opens a second order: one group.
    order = await (await client.get(f"/api/orders/{first}", headers=auth())).json()
    await client.post(f"/api/orders/{first}/confirm", headers=auth(),
                      json={"version": order["version"]})
    await post_comments(client, show, [comment("g3", "chốt B1 500ml", author="same",
                                               name="Lan")])
    await expect(page.locator("#orders li.order")).to_have_count(3, timeout=TIMEOUT)
    await expect(page.locator("#orders li.group-head")).to_have_count(1, timeout=TIMEOUT)
    await expect(page.locator("#orders li.group-head .buyer")).to_have_text("Lan")
    grouped = await page.locator("#orders > li").evaluate_all(
        "(items) => items.map((li) => li.className.split(' ')[0])")
    assert grouped[:3] == ["group-head", "order", "order"]


async def test_round_robin_deals_each_order_to_one_console(live: Any,  # noqa: F811
                                                           browser: Any) -> None:
    server, client, show = live
    await staff_tokens(server)
    codes = await orders(client, show, 6)
    an = await login(browser, server, f"/staff/{show}", STAFF["An"])
    binh = await login(browser, server, f"/staff/{show}", STAFF["Bình"])
    for page in (an, binh):
        await expect(page.locator("#orders li.order")).to_have_count(6, timeout=TIMEOUT)
        await page.locator("#assign").select_option("mine")
    for page in (an, binh):
        await expect(page.locator("#roster")).to_contain_text("An", timeout=TIMEOUT)
        await expect(page.locator("#roster")).to_contain_text("Bình", timeout=TIMEOUT)
        await expect(page.locator("#orders li.order:visible")).to_have_count(3, timeout=TIMEOUT)
    mine = set()
    for page in (an, binh):
        shown = await page.locator("#orders li.order:visible").evaluate_all(
            "(rows) => rows.map((r) => r.dataset.code)")
        assert not mine & set(shown)
        mine |= set(shown)
    assert mine == set(codes)
