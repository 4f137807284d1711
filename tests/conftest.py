"""Shared fixtures: a real app built by create_app, with a real store in a temp folder."""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from livesell import keys
from livesell.app import create_app
from livesell.config import Settings, load_settings
from livesell.domain.catalog import load_catalog_file
from livesell.http.auth import hash_token

# Every SQLite store of the suite (and every server it starts) checks its writer cache.
os.environ["LIVESELL_CHECK_WRITER_CACHE"] = "1"

OWNER = "test-owner-token"
ROLE_TOKENS = {"host": "test-host-token", "staff": "test-staff-token",
               "ingest": "test-ingest-token"}
CATALOG = Path(__file__).parent / "data" / "shop.yaml"


class Clock:
    """A clock tests move by hand, so hold expiry never needs a sleep."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every async test checks it left no task behind (set up first, so checked last)."""
    for item in items:
        function = getattr(item, "obj", None)
        if inspect.iscoroutinefunction(function) and isinstance(item, pytest.Function):
            item.fixturenames.insert(0, "verify_cleanup")


@pytest.fixture
async def verify_cleanup() -> AsyncIterator[None]:
    """Fail a test that leaves asyncio tasks running once its fixtures are torn down.

    The event loop would cancel them quietly at its close, hiding a task that outlives the
    app (a loop nobody stops, a push nobody awaits)."""
    before = asyncio.all_tasks()
    yield
    lingering: set[asyncio.Task[Any]] = set()
    for _ in range(10):  # let tasks that are finishing their cancellation finish
        # (setup and teardown of a fixture each run in a task of their own)
        lingering = asyncio.all_tasks() - before - {asyncio.current_task()}  # type: ignore[operator]
        if not lingering:
            return
        await asyncio.sleep(0)
    for task in lingering:
        task.cancel()
    await asyncio.wait(lingering, timeout=5)
    pytest.fail("tasks left running after the test: " + ", ".join(
        sorted(f"{task.get_name()} {task.get_coro()!r}" for task in lingering)))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(env={}, data_dir=str(tmp_path / "data"), admin_token=OWNER,
                         sqlite_synchronous="NORMAL", sweep_seconds=3600.0,
                         stock_push_hz=20.0, webhook_secret="hook-secret",
                         check_writer_cache=True)


def auth(token: str = OWNER) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def client(aiohttp_client: Any, settings: Settings, clock: Clock) -> TestClient:
    app = create_app(settings, clock=clock)
    test_client: TestClient = await aiohttp_client(app)
    for role, token in ROLE_TOKENS.items():
        await app[keys.STORE].add_token(hash_token(token), role, role, clock())
    return test_client


async def seed_show(client: TestClient, lineup: list[str] | None = None,
                    stock: dict[str, int] | None = None, **show: Any) -> str:
    """Import the parser catalog, create a live show; returns its id."""
    products = load_catalog_file(CATALOG)
    if stock:
        products = [replace(p, variants=tuple(
            replace(v, stock=stock.get(f"{p.code}:{v.label}" if v.label else p.code, v.stock))
            for v in p.variants)) for p in products]
    await client.app[keys.SERVICE].put_products(products, "test")
    body = {"title": "Test show", "lineup": lineup or [p.code for p in products], **show}
    resp = await client.post("/api/shows", json=body, headers=auth())
    assert resp.status == 201, await resp.text()
    show_id = (await resp.json())["id"]
    resp = await client.post(f"/api/shows/{show_id}/start", headers=auth())
    assert resp.status == 200
    return str(show_id)


def comment(cid: str, text: str, author: str = "u1", name: str = "Nguyễn Văn An",
            source: str = "sim") -> dict[str, Any]:
    return {"source": source, "id": cid, "author": {"id": author, "name": name}, "text": text}


async def post_comments(client: TestClient, show_id: str, comments: list[dict[str, Any]],
                        token: str = OWNER) -> list[dict[str, Any]]:
    resp = await client.post(f"/api/shows/{show_id}/comments", json={"comments": comments},
                             headers=auth(token))
    assert resp.status == 200, await resp.text()
    return list((await resp.json())["results"])


async def wait_for(predicate: Callable[[], Any], timeout: float = 3.0) -> Any:
    """Poll a condition with a deadline (for state reached by background tasks)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met before the deadline")
        await asyncio.sleep(0.01)
