"""Connector tests: settings with the Facebook webhook on, and apps on either store."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import suppress
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from livesell import keys
from livesell.app import create_app
from livesell.config import Settings
from livesell.http.auth import hash_token
from tests.conftest import ROLE_TOKENS, Clock

FB_SECRET = "fb-app-secret"
FB_VERIFY = "fb-verify-token"
REDIS_URL = os.environ.get("LIVESELL_TEST_REDIS", "redis://127.0.0.1:6379/0")

AppFactory = Callable[..., Awaitable[TestClient]]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(facebook_app_secret=FB_SECRET, facebook_verify_token=FB_VERIFY)


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def make_app(request: pytest.FixtureRequest, aiohttp_client: Any, settings: Settings,
                   clock: Clock) -> AsyncIterator[AppFactory]:
    """Builds apps on one data set (a SQLite folder or a Redis prefix), as restarts would."""
    base = settings
    if request.param == "redis":
        base = settings.with_(store=REDIS_URL, redis_prefix=f"lstest-{uuid.uuid4().hex[:10]}")
    made: list[TestClient] = []

    async def build(**changes: Any) -> TestClient:
        app = create_app(base.with_(**changes) if changes else base, clock=clock)
        client: TestClient = await aiohttp_client(app)
        if not made:  # the tokens are kept with the data, like everything else
            for role, token in ROLE_TOKENS.items():
                await app[keys.STORE].add_token(hash_token(token), role, role, clock())
        made.append(client)
        return client

    yield build
    if request.param == "redis":
        for client in made:
            await client.close()
            await close_socketio_redis(client)
        from livesell.store.redis import RedisStore

        cleanup = RedisStore(REDIS_URL, prefix=base.redis_prefix)
        await cleanup.start()
        await cleanup.delete_everything()
        await cleanup.close()


async def close_socketio_redis(client: TestClient) -> None:
    """Stop python-socketio's Redis manager of a closed app: the app's shutdown leaves its
    listener task and connections open, which a long-running server never notices but a test
    process does (unclosed sockets)."""
    manager = client.app[keys.HUB].sio.manager
    task = getattr(manager, "thread", None)
    if isinstance(task, asyncio.Task):
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
    for name in ("pubsub", "redis"):
        resource = getattr(manager, name, None)
        if resource is not None:
            await resource.aclose()
