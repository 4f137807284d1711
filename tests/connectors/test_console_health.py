"""The host console shows each comment source's health, in headless Chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from livesell import keys
from livesell.app import create_app
from livesell.config import Settings
from livesell.http.auth import hash_token
from tests.conftest import ROLE_TOKENS, Clock, seed_show
from tests.connectors.fakes import FakeFacebook, eventually, wait_until
from tests.connectors.fakes.relays import FakeRelay
from tests.connectors.test_facebook_hooks import POST, change, delivery, sign

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect
pytestmark = pytest.mark.browser

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
TIMEOUT = 8000
FAST = {"backoff_initial": 0.01, "backoff_max": 0.05}


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as driver:
        chromium = await driver.chromium.launch(executable_path="/usr/bin/chromium",
                                                headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def relay() -> AsyncIterator[FakeRelay]:
    fake = FakeRelay()
    await fake.start()
    yield fake
    await fake.stop()


async def login(browser: Any, server: TestServer, path: str, width: int) -> Any:
    context = await browser.new_context(viewport={"width": width, "height": 900})
    page = await context.new_page()
    await page.goto(str(server.make_url(f"/login?next={path}")))
    await page.locator("summary").click()
    await page.locator("#token").fill(ROLE_TOKENS["host"])
    await page.locator("form.stack button[type=submit]").click()
    await expect(page).to_have_url(str(server.make_url(path)), timeout=TIMEOUT)
    return page


async def test_host_console_shows_connector_health(
        aiohttp_server: Any, aiohttp_client: Any, settings: Settings, clock: Clock,
        browser: Any, relay: FakeRelay, tmp_path: Any) -> None:
    first: TestClient = await aiohttp_client(create_app(settings, clock=clock))
    for role, token in ROLE_TOKENS.items():
        await first.app[keys.STORE].add_token(hash_token(token), role, role, clock())
    show = await seed_show(first, lineup=["A2", "C1"], facebook_post_id=POST)
    await first.close()
    facebook = FakeFacebook()
    facebook.say("c1", "chốt A2", user="f1")
    facebook.hidden = 3
    fb_server: TestServer = await aiohttp_server(facebook.app())
    entries = [
        {"kind": "ssn", "show": show, "url": relay.url, **FAST},
        {"kind": "facebook", "show": show, "live_video_id": facebook.video_id,
         "access_token": facebook.token, "poll_seconds": 0.05,
         "base_url": str(fb_server.make_url("")).rstrip("/"), **FAST},
    ]
    app = create_app(settings.with_(connectors=entries), clock=clock)
    server: TestServer = await aiohttp_server(app)
    client: TestClient = await aiohttp_client(server)
    await eventually(lambda: relay.clients)
    await relay.say(relay.message(1, "Bình", "chốt A2", userid="b1"))
    raw = delivery(change("add", "9", "chốt C1", user="w1"))
    assert (await client.post("/hooks/facebook", data=raw, headers=sign(raw))).status == 200

    page = await login(browser, server, f"/host/{show}", 1440)
    cards = page.locator("#connectors li.connector")
    await expect(cards).to_have_count(3, timeout=TIMEOUT)
    ssn = page.locator('#connectors li.connector[data-kind="ssn"]')
    await expect(ssn.locator(".state")).to_have_text("Đang nhận", timeout=TIMEOUT)
    await expect(ssn.locator(".unofficial")).to_have_text("không chính thức")
    await expect(ssn).to_contain_text("giây trước")
    hook = page.locator('#connectors li.connector[data-kind="facebook_webhook"]')
    await expect(hook.locator(".state")).to_have_text("Đang nhận")
    await expect(page.locator("#connectors-missing")).to_have_text(
        "≈ 3 bình luận có thể bị thiếu", timeout=TIMEOUT)
    await expect(page.locator("#facebook-post")).to_have_value(POST)
    await expect(page.locator("#replies-summary")).to_contain_text("Đã trả lời 0")
    await page.locator("#talk-back").check()
    await expect(page.locator("#talk-back")).to_be_checked()

    async def talk_back_on() -> bool:
        saved = await client.app[keys.STORE].get_show(show)
        return saved is not None and saved.talk_back

    await wait_until(talk_back_on)
    await page.screenshot(path=str(tmp_path / "host-connectors-1440.png"), full_page=True)
    assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth")

    # The host stops the relay from the console, then starts it again.
    await ssn.get_by_role("button", name="Dừng").click()
    await expect(ssn.locator(".state")).to_have_text("Đã dừng", timeout=TIMEOUT)
    await page.reload()
    await expect(ssn.locator(".state")).to_have_text("Đã dừng", timeout=TIMEOUT)
    await ssn.get_by_role("button", name="Chạy").click()
    await expect(ssn.locator(".state")).not_to_have_text("Đã dừng", timeout=TIMEOUT)

    phone = await login(browser, server, f"/host/{show}", 390)
    await expect(phone.locator("#connectors li.connector")).to_have_count(3, timeout=TIMEOUT)
    await phone.screenshot(path=str(tmp_path / "host-connectors-390.png"), full_page=True)
    assert await phone.evaluate("document.documentElement.scrollWidth <= innerWidth")
