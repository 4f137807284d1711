"""The SQLite writer cache's check mode: on in the suite, and loud when the cache is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from livesell.store.sqlite import SqliteStore
from livesell.store.sqlite.check import StaleCache
from tests.store.test_contract import NOW, order_req, setup_show


def test_check_mode_comes_from_the_argument_or_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert SqliteStore(tmp_path / "a.db").cache.check  # the suite switches it on
    assert not SqliteStore(tmp_path / "a.db", check_cache=False).cache.check
    monkeypatch.delenv("LIVESELL_CHECK_WRITER_CACHE")
    assert not SqliteStore(tmp_path / "a.db").cache.check
    assert SqliteStore(tmp_path / "a.db", check_cache=True).cache.check


async def test_a_stale_answer_fails_this_write_and_every_later_one(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "check.db", "OFF", check_cache=True)
    await store.start()
    try:
        await setup_show(store)
        await store.capture([order_req("c1", [("C1", None, 1)])], NOW)
        # The writer now believes in units SQL does not have.
        store.cache.available[("c1", "")] += 5
        with pytest.raises(StaleCache, match="available"):
            await store.capture([order_req("c2", [("C1", None, 1)], buyer="u2")], NOW)
        # A rollback rebuilds the cache; the failure must not go away with it.
        with pytest.raises(StaleCache):
            await store.capture([order_req("c3", [("A2", None, 1)], buyer="u3")], NOW)
    finally:
        await store.close()
