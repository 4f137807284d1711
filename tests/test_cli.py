"""The livesell command, run as users run it."""

from __future__ import annotations

import asyncio
import gc
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from livesell import cli
from livesell.http.auth import hash_token
from livesell.store.sqlite import SqliteStore

SHOP = Path(__file__).parent / "data" / "shop.yaml"


def run(*args: str, stdin: str | None = None, cwd: Path | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "livesell", *args], input=stdin,
                          capture_output=True, text=True, timeout=60, cwd=cwd,
                          env={**os.environ, **(env or {})})


def products_in(data: Path) -> list[str]:
    async def read() -> list[str]:
        store = SqliteStore(data / "livesell.db")
        await store.start()
        try:
            return [p.code for p in await store.list_products()]
        finally:
            await store.close()

    return asyncio.run(read())


def test_import_yaml_and_csv(tmp_path: Path) -> None:
    data = tmp_path / "data"
    done = run("import", str(SHOP), "--data", str(data))
    assert done.returncode == 0, done.stderr
    assert "imported 4 products (6 variants)" in done.stdout
    csv_file = tmp_path / "more.csv"
    csv_file.write_text("code,name,category,variant,price,stock\n"
                        "T1,Tôm khô,food,250g,280000,40\nT1,Tôm khô,food,500g,540000,20\n"
                        "K1,Khô cá bổi,food,,150000,35\n", encoding="utf-8")
    done = run("import", str(csv_file), "--data", str(data))
    assert done.returncode == 0, done.stderr
    assert products_in(data) == ["A1", "A2", "B1", "C1", "T1", "K1"]


@pytest.mark.parametrize("body, words", [
    ("products:\n  - {code: '', name: X, variants: [{label: a, price: 1, stock: 1}]}\n",
     ["product 1", "code"]),
    ("products:\n  - {code: A1, name: X, variants: [{label: a, price: 1, stock: 1}]}\n"
     "  - {code: a1, name: Y, variants: [{label: a, price: 1, stock: 1}]}\n",
     ["A1", "duplicate"]),
    ("products:\n  - {code: A1, name: X, variants: [{label: a, price: -1, stock: 1}]}\n",
     ["A1", "price"]),
    ("products:\n  - {code: A1, name: X, variants: [{label: a, price: 1, stock: 2.5}]}\n",
     ["A1", "stock"]),
    ("products:\n  - {code: A1, name: X, category: toys, variants: [{price: 1}]}\n",
     ["category"]),
    ("nothing: here\n", ["products"]),
])
def test_bad_catalog_names_product_and_field_and_changes_nothing(
        tmp_path: Path, body: str, words: list[str]) -> None:
    data = tmp_path / "data"
    assert run("import", str(SHOP), "--data", str(data)).returncode == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(body)
    done = run("import", str(bad), "--data", str(data))
    assert done.returncode == 1
    for word in words:
        assert word in done.stderr, (word, done.stderr)
    assert products_in(data) == ["A1", "A2", "B1", "C1"]


def test_bad_csv_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,variant,price,stock\nA1,Cua,500g,abc,1\n,X,1kg,5,1\n")
    done = run("import", str(bad), "--data", str(tmp_path / "d"))
    assert done.returncode == 1
    assert "line 2" in done.stderr and "price" in done.stderr and "line 3" in done.stderr


def test_token_create_prints_a_working_token(tmp_path: Path) -> None:
    data = tmp_path / "data"
    done = run("token", "create", "--role", "staff", "--name", "desk", "--data", str(data))
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert token.startswith("ls_")

    async def role() -> tuple[str, str] | None:
        store = SqliteStore(data / "livesell.db")
        await store.start()
        try:
            return await store.token_role(hash_token(token))
        finally:
            await store.close()

    assert asyncio.run(role()) == ("staff", "desk")
    assert run("token", "create", "--role", "king", "--data", str(data)).returncode == 2


def test_user_add_with_password_stdin(tmp_path: Path) -> None:
    data = tmp_path / "data"
    done = run("user", "add", "lan", "--role", "staff", "--password-stdin", "--data", str(data),
               stdin="a long enough secret\n")
    assert done.returncode == 0, done.stderr
    short = run("user", "add", "lan", "--role", "staff", "--password-stdin", "--data",
                str(data), stdin="short\n")
    assert short.returncode == 2 and "8 characters" in short.stderr
    no_tty = run("user", "add", "lan", "--role", "staff", "--data", str(data), stdin="")
    assert no_tty.returncode == 2 and "--password-stdin" in no_tty.stderr


def test_serve_refuses_a_busy_port(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run("serve", "--port", str(port), "--data", str(tmp_path / "d"))
    assert done.returncode == 2
    assert "already in use" in done.stderr


def test_serve_refuses_an_unusable_data_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    done = run("serve", "--data", str(blocker / "sub"))
    assert done.returncode == 2
    assert "data folder" in done.stderr


def test_serve_names_a_bad_config_key(tmp_path: Path) -> None:
    config = tmp_path / "livesell.yaml"
    config.write_text("prot: 8080\n")
    done = run("serve", "--config", str(config), "--data", str(tmp_path / "d"))
    assert done.returncode == 2
    assert "prot" in done.stderr and "livesell.yaml" in done.stderr
    done = run("serve", "--data", str(tmp_path / "d"), env={"LIVESELL_PORT": "http"})
    assert done.returncode == 2 and "LIVESELL_PORT" in done.stderr


async def test_serve_freezes_start_up_and_spaces_full_collections() -> None:
    threshold = gc.get_threshold()
    try:
        await cli._tune_gc(object())
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (threshold[0], threshold[1], cli.GC_FULL_EVERY)
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
