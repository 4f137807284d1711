"""Browser fixtures: a real server on 127.0.0.1 and headless Debian Chromium via Playwright."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import Browser, async_playwright

from livesell.app import create_app
from livesell.config import Settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]

StartServer = Callable[..., Awaitable[TestClient]]


@pytest.fixture
async def browser(start_server: StartServer) -> AsyncIterator[Browser]:
    # Depends on the server factory so that it closes first: no page is left connected
    # while the servers shut down.
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
def start_server(aiohttp_server: Any, aiohttp_client: Any, settings: Settings) -> StartServer:
    """Start the app on a real port (a given one to restart); a client for it (owner: OWNER)."""

    async def start(port: int | None = None) -> TestClient:
        app = create_app(settings)
        # A connected viewer's socket keeps its request open through shutdown; a short grace
        # period makes a stop behave like a restart on show night instead of a 60 s stall.
        server: TestServer = await aiohttp_server(app, host="127.0.0.1", port=port,
                                                  shutdown_timeout=0.5)
        client: TestClient = await aiohttp_client(server)
        return client

    return start


@pytest.fixture
async def live_client(start_server: StartServer) -> TestClient:
    return await start_server()


def base_url(client: TestClient) -> str:
    return f"http://127.0.0.1:{client.server.port}"
