"""The viewer page's transports in Chromium: a websocket first (the lean path), long-polling
when websockets are refused on the way."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import Browser, expect

from livesell import keys
from livesell.app import create_app
from livesell.config import Settings
from tests.conftest import comment, post_comments, seed_show

from .conftest import base_url
from .test_public_pages import open_page, pin

pytestmark = pytest.mark.browser


def python_socketio_viewers(client: TestClient) -> int:
    manager = client.app[keys.HUB].sio.manager
    return len(list(manager.get_participants("/live", None)))


async def test_page_joins_over_a_websocket_on_the_lean_path(
        browser: Browser, live_client: TestClient) -> None:
    show_id = await seed_show(live_client)
    await pin(live_client, show_id, "A2")
    page = await open_page(browser, f"{base_url(live_client)}/s/{show_id}")
    counter = page.locator('#pinned [data-sku="A2"]')
    await expect(counter).to_have_text("còn 80 hũ")
    assert len(live_client.app[keys.HUB].lean.by_live) == 1
    assert python_socketio_viewers(live_client) == 0
    await post_comments(live_client, show_id, [comment("w1", "chốt A2 x3")])
    await expect(counter).to_have_text("còn 77 hũ", timeout=5000)


@web.middleware
async def refuse_websockets(request: web.Request, handler: Any) -> web.StreamResponse:
    """What a proxy that does not pass websockets on looks like to the page."""
    if request.headers.get("Upgrade", "").lower() == "websocket":
        return web.Response(status=403, text="no websockets here")
    return await handler(request)


async def test_page_falls_back_to_polling_when_websockets_are_refused(
        browser: Browser, aiohttp_server: Any, aiohttp_client: Any,
        settings: Settings) -> None:
    app = create_app(settings)
    app.middlewares.append(refuse_websockets)
    server: TestServer = await aiohttp_server(app, host="127.0.0.1", shutdown_timeout=0.5)
    client: TestClient = await aiohttp_client(server)
    show_id = await seed_show(client)
    await pin(client, show_id, "A2")
    page = await open_page(browser, f"{base_url(client)}/s/{show_id}")
    counter = page.locator('#pinned [data-sku="A2"]')
    await expect(counter).to_have_text("còn 80 hũ")
    assert not app[keys.HUB].lean.by_live
    assert python_socketio_viewers(client) == 1
    await post_comments(client, show_id, [comment("p1", "chốt A2 x4")])
    await expect(counter).to_have_text("còn 76 hũ", timeout=5000)
