"""A full disk on SQLite answers 503 store_unavailable, /healthz says so, and it recovers.

The disk is "filled" for real by SQLite itself: ``PRAGMA max_page_count`` on the writer's
connection makes every write that needs a new page fail with SQLITE_FULL, exactly as a
full file system does.
"""

from __future__ import annotations

import sqlite3

from aiohttp.test_utils import TestClient

from livesell import keys
from tests.conftest import auth, comment, seed_show


async def _limit_pages(client: TestClient, extra: int | None) -> None:
    engine = client.app[keys.STORE].engine  # type: ignore[attr-defined]

    def run(conn: sqlite3.Connection) -> None:
        count = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {count + extra if extra is not None else 2**30}")

    await engine.write(run)


async def test_disk_full_is_503_and_recovers(client: TestClient) -> None:
    show = await seed_show(client)
    await _limit_pages(client, 0)
    big = "chốt A2 " + "x" * 1900
    statuses = set()
    for n in range(40):
        batch = [comment(f"f{n}-{i}", big, author=f"u{n}-{i}") for i in range(20)]
        resp = await client.post(f"/api/shows/{show}/comments", json={"comments": batch},
                                 headers=auth())
        statuses.add(resp.status)
        if resp.status == 503:
            body = await resp.json()
            assert body["error"]["code"] == "store_unavailable"
            assert "full" in body["error"]["message"]
            break
    assert 503 in statuses and 500 not in statuses
    health = await client.get("/healthz")
    assert health.status == 503
    assert (await health.json())["reason"] == "disk_full"
    await _limit_pages(client, None)  # space again
    health = await client.get("/healthz")
    assert health.status == 200, await health.text()
    resp = await client.post(f"/api/shows/{show}/comments",
                             json={"comments": [comment("after", "A2", author="late")]},
                             headers=auth())
    assert resp.status == 200
    assert (await resp.json())["results"][0]["status"] == "ordered"
