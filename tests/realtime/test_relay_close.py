"""An app on Redis closes its cross-node relay when it stops: no listener task, no open
connection left behind (a node restarted in-process must not leak one per restart)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from livesell import keys
from livesell.app import create_app
from livesell.config import Settings
from livesell.realtime.relay import LiveRedisManager
from tests.store.conftest import REDIS_URL

pytestmark = pytest.mark.redis


async def test_the_relay_stops_listening_and_closes_its_connections(
        aiohttp_client: Any, settings: Settings) -> None:
    prefix = f"lstest-{uuid.uuid4().hex[:10]}"
    app = create_app(settings.with_(store=REDIS_URL, redis_prefix=prefix))
    client = await aiohttp_client(app)
    manager = app[keys.HUB].sio.manager
    assert isinstance(manager, LiveRedisManager)
    await app[keys.HUB].sio.emit("tick", {}, room="show:none", namespace="/live")
    for _ in range(300):  # the listener subscribes in the background
        if manager.redis is not None and getattr(manager, "thread", None) is not None:
            break
        await asyncio.sleep(0.01)
    assert manager.redis is not None
    thread = getattr(manager, "thread", None)
    await app[keys.STORE].delete_everything()
    await client.close()
    assert manager.redis is None and manager.pubsub is None
    assert thread is None or thread.done()
