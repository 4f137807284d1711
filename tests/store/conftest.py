"""The contract suite runs every test against each store backend."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from livesell.store.base import Store

REDIS_URL = os.environ.get("LIVESELL_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """A started, empty store; Redis ones use their own key prefix and delete only it."""
    if request.param == "sqlite":
        from livesell.store.sqlite import SqliteStore

        sqlite = SqliteStore(tmp_path / "contract.db", "NORMAL")
        await sqlite.start()
        yield sqlite
        await sqlite.close()
        return
    from livesell.store.redis import RedisStore

    prefix = f"lstest-{uuid.uuid4().hex[:10]}"
    redis_store = RedisStore(REDIS_URL, prefix=prefix)
    await redis_store.start()
    try:
        yield redis_store
    finally:
        await redis_store.delete_everything()
        await redis_store.close()
