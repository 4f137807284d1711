"""Secrets and data at rest: strong secrets or no start, credentials can be taken back,
nothing secret in clear on disk, private files."""

from __future__ import annotations

import asyncio
import io
import stat
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from livesell import keys
from livesell.app import create_app
from livesell.cli import main
from livesell.config import ConfigError, check_secrets, load_settings
from livesell.demo.seed import seed_demo
from livesell.http.auth import hash_token
from livesell.store.sqlite import SqliteStore
from tests.conftest import Clock
from tests.test_cli import run


@pytest.mark.parametrize("name", ["admin_token", "secret_key"])
def test_serve_refuses_short_secrets(tmp_path: Path, name: str) -> None:
    env = {f"LIVESELL_{name.upper()}": "x" * 31}
    done = run("serve", "--data", str(tmp_path / "data"), "--port", "1", env=env)
    assert done.returncode == 2
    assert f"'{name}'" in done.stderr and "32" in done.stderr
    with pytest.raises(ConfigError, match=name):
        check_secrets(load_settings(env={}, **{name: "short"}))
    check_secrets(load_settings(env={}, **{name: "x" * 32}))
    check_secrets(load_settings(env={}))  # empty: no admin token / a generated key


def _store_call(data: Path, work: Any) -> Any:
    async def go() -> Any:
        store = SqliteStore(data / "livesell.db")
        await store.start()
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(go())


def test_token_revoke_and_user_remove(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    d = ["--data", str(data)]
    assert main(["token", "create", "--role", "staff", "--name", "desk", *d]) == 0
    value = capsys.readouterr().out.strip()
    assert _store_call(data, lambda s: s.token_role(hash_token(value))) == ("staff", "desk")
    assert main(["token", "revoke", value, *d]) == 0
    assert _store_call(data, lambda s: s.token_role(hash_token(value))) is None
    assert main(["token", "revoke", value, *d]) == 1
    assert main(["token", "create", "--role", "host", "--name", "cam", *d]) == 0
    assert main(["token", "revoke", "--name", "cam", *d]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("muối-tôm-2026\n"))
    assert main(["user", "add", "lan", "--role", "staff", "--password-stdin", *d]) == 0
    assert main(["user", "remove", "lan", *d]) == 0
    assert _store_call(data, lambda s: s.get_user("lan")) is None
    assert main(["user", "remove", "lan", *d]) == 1


async def test_demo_token_is_never_stored_in_clear(aiohttp_client: Any, tmp_path: Path,
                                                   clock: Clock) -> None:
    settings = load_settings(env={}, data_dir=str(tmp_path / "data"), sqlite_synchronous="FULL")
    client: TestClient = await aiohttp_client(create_app(settings, clock=clock))
    first = await seed_demo(client.app)
    second = await seed_demo(client.app)
    assert first["show"] == second["show"]
    store = client.app[keys.STORE]
    assert await store.token_role(hash_token(second["token"])) == ("owner", "demo")
    assert await store.token_role(hash_token(first["token"])) is None  # the old one is revoked
    assert not await store.get_meta("demo_token")
    await client.close()
    for path in (tmp_path / "data").rglob("*"):
        if path.is_file():
            assert second["token"].encode() not in path.read_bytes(), path.name


async def test_data_dir_and_database_are_private(aiohttp_client: Any, tmp_path: Path,
                                                 clock: Clock) -> None:
    data = tmp_path / "fresh" / "data"
    settings = load_settings(env={}, data_dir=str(data))
    client: TestClient = await aiohttp_client(create_app(settings, clock=clock))
    assert (await client.get("/healthz")).status == 200
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for name in ("livesell.db", "secret.key"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name
