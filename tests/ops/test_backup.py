"""``livesell backup`` while serving, ``livesell restore``, and periodic backups."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from livesell.backup import BackupError, backup, integrity, prune, restore
from livesell.cli import main
from tests.conftest import comment, post_comments, seed_show


def orders_in(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT count(*) FROM orders").fetchone()[0])
    finally:
        conn.close()


async def test_backup_of_a_serving_database_holds_the_orders(
        client: TestClient, tmp_path: Path) -> None:
    show = await seed_show(client)
    await post_comments(client, show, [comment(f"b{i}", "chốt A1 500g", author=f"u{i}")
                                       for i in range(20)])
    data = Path(client.app["settings"].data_dir) if "settings" in client.app else None
    data = data or Path(str(tmp_path / "data"))
    out = tmp_path / "copy.db"
    # the server keeps running and writing while the CLI copies
    assert main(["backup", str(out), "--data", str(data), "--quiet"]) == 0
    await post_comments(client, show, [comment("after", "chốt A1 500g", author="late")])
    assert integrity(out) == "ok"
    assert orders_in(out) == 20
    assert oct(out.stat().st_mode & 0o777) == oct(0o600)


def test_restore_refuses_without_force_and_keeps_the_old_database(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    db = data / "livesell.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE orders (code TEXT)")
    conn.execute("INSERT INTO orders VALUES ('DD-1')")
    conn.commit()
    conn.close()
    copy = backup(data, tmp_path / "b.db")
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO orders VALUES ('DD-2')")
    conn.commit()
    conn.close()
    with pytest.raises(BackupError, match="--force"):
        restore(copy, data)
    restore(copy, data, force=True)
    assert orders_in(db) == 1
    assert orders_in(data / "livesell.db.before-restore") == 2


def test_restore_refuses_a_damaged_file(tmp_path: Path, capsys: Any) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x07" * 4000)
    assert main(["restore", str(bad), "--data", str(tmp_path / "d"), "--force"]) == 1
    assert "not a sound database" in capsys.readouterr().err


def test_backup_without_a_database_says_so(tmp_path: Path, capsys: Any) -> None:
    assert main(["backup", str(tmp_path / "x.db"), "--data", str(tmp_path / "none")]) == 1
    assert "no database" in capsys.readouterr().err


def test_prune_keeps_the_newest(tmp_path: Path) -> None:
    import os
    for i in range(5):
        path = tmp_path / f"livesell-2026120{i}.db"
        path.write_text("x")
        os.utime(path, (1000 + i, 1000 + i))
    removed = prune(tmp_path, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["livesell-20261203.db",
                                                          "livesell-20261204.db"]
    assert len(removed) == 3


async def test_the_server_makes_periodic_backups(
        aiohttp_client: Any, settings: Any, tmp_path: Path, monkeypatch: Any) -> None:
    import livesell.backup as backup_module
    from livesell.app import create_app
    from tests.conftest import wait_for

    monkeypatch.setattr(backup_module, "interval_seconds", lambda minutes: 0.05)
    folder = tmp_path / "periodic"
    client = await aiohttp_client(create_app(settings.with_(
        backup_every_minutes=1, backup_dir=str(folder), backup_keep=2)))
    assert (await client.get("/healthz")).status == 200
    await wait_for(lambda: len(list(folder.glob("livesell-*.db"))) >= 2, timeout=10)
    await wait_for(lambda: not list(folder.glob("*.partial")), timeout=5)
    for made in folder.glob("livesell-*.db"):
        assert integrity(made) == "ok"
