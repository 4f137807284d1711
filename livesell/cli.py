"""The ``livesell`` command: serve, import, token, user, backup, restore, parse, export,
connectors, simulate."""

from __future__ import annotations

import argparse
import asyncio
import errno
import getpass
import logging
import socket
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from .config import ConfigError, Settings, check_secrets, load_settings

T = TypeVar("T")
SHUTDOWN_GRACE_SECONDS = 10.0
log = logging.getLogger("livesell")


def _settings(args: argparse.Namespace, **extra: Any) -> Settings:
    """Settings from --config (if given), LIVESELL_* variables, then command-line flags."""
    overrides = {"data_dir": getattr(args, "data", None), **extra}
    return load_settings(getattr(args, "config", None),
                         **{k: v for k, v in overrides.items() if v is not None})


def _check_data_dir(path: Path) -> str | None:
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        return f"data folder {path} is not usable: {exc.strerror}"
    return None


def _with_store(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    from .app import make_store

    async def run() -> T:
        store = make_store(settings)
        await store.start()
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(run())


# -- serve ---------------------------------------------------------------------------------

def _port_free(host: str, port: int) -> str | None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"port {port} on {host} is already in use (another livesell running?)"
            return f"cannot listen on {host}:{port}: {exc.strerror}"
    return None


# A full collection once per this many young (generation 1) ones instead of Python's 10.
GC_FULL_EVERY = 100


async def _tune_gc(app: object) -> None:
    """Garbage collection for a server that gains thousands of connections in seconds.

    What start-up built (modules, the app, its stores) lives as long as the process:
    frozen, no collection walks it again. And while a join storm grows the heap, Python
    runs a full collection every 10 young ones (once the heap grew by a quarter), each
    walking every viewer's connection again: 9 or 10 of them cost about 0.18 ms of CPU per
    join at 10,000 joins; one every 100 young ones leaves 1 to 3. Nothing is frozen after
    start-up, so a leaving viewer's cycles are still reclaimed, only later."""
    import gc

    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, GC_FULL_EVERY)


def cmd_serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from .app import create_app
    from .demo.seed import announce, seed_demo

    settings = _settings(args, host=args.host, port=args.port,
                         demo=True if args.demo else None)
    check_secrets(settings)
    from .logs import setup_logging

    setup_logging(settings.log_level, settings.log_format)
    if settings.store == "sqlite" and (problem := _check_data_dir(settings.data_path)):
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if problem := _port_free(settings.host, settings.port):
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - optional speed-up
        pass
    app = create_app(settings)
    if settings.demo:
        async def on_startup(app: web.Application) -> None:
            announce(settings, await seed_demo(app))

        app.on_startup.append(on_startup)
    app.on_startup.append(_tune_gc)
    print(f"livesell listening on http://{settings.host}:{settings.port}/", flush=True)
    # A flash deal announced on stream brings thousands of viewers in the same second: a
    # deeper accept queue than aiohttp's 128 keeps their connections from being dropped.
    # On SIGTERM aiohttp stops listening, then runs on_shutdown (every viewer gets its close
    # frame in one pass), then waits for open handlers; by then only websocket handlers
    # unwinding are left, so two seconds bound the stop without losing any answer.
    web.run_app(app, host=settings.host, port=settings.port, print=None,
                access_log=None, shutdown_timeout=SHUTDOWN_GRACE_SECONDS, backlog=2048)
    return 0


# -- import, token, user -------------------------------------------------------------------

def cmd_import(args: argparse.Namespace) -> int:
    from .domain.catalog import CatalogError, load_catalog_file

    try:
        products = load_catalog_file(args.file)
    except CatalogError as exc:
        print(f"error: {args.file} was not imported:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    settings = _settings(args)
    if settings.store == "sqlite" and (unusable := _check_data_dir(settings.data_path)):
        print(f"error: {unusable}", file=sys.stderr)
        return 2
    from .domain.errors import DomainError
    from .media import import_images

    catalog_dir = Path(args.file).resolve().parent
    products, image_problems = import_images(
        list(products), lambda name: (catalog_dir / name).read_bytes(),
        Path(settings.image_dir) if settings.image_dir else settings.data_path / "images",
        max_bytes=settings.image_max_bytes, max_pixels=settings.image_max_pixels)
    for problem in image_problems:
        print(f"warning: {problem}; imported without a photo", file=sys.stderr)
    try:
        _with_store(settings, lambda store: store.put_products(products, "cli", time.time()))
    except DomainError as exc:
        print(f"error: {exc.message}; nothing was imported", file=sys.stderr)
        return 1
    variants = sum(len(p.variants) for p in products)
    print(f"imported {len(products)} products ({variants} variants) from {args.file}")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from .http.auth import hash_token, new_token

    settings = _settings(args)
    token = new_token()
    name = args.name or args.role
    _with_store(settings, lambda s: s.add_token(hash_token(token), args.role, name, time.time()))
    print(token)
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    from .http.auth import hash_token

    if bool(args.token) == bool(args.name):
        print("error: give either the token or --name NAME", file=sys.stderr)
        return 2
    settings = _settings(args)
    if args.token:
        removed = _with_store(settings, lambda s: s.revoke_tokens(token_hash=hash_token(
            args.token.strip())))
    else:
        removed = _with_store(settings, lambda s: s.revoke_tokens(name=args.name))
    if not removed:
        print("error: no such token", file=sys.stderr)
        return 1
    print(f"revoked {removed} token(s); open consoles using them are closed")
    return 0


def cmd_user_remove(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if not _with_store(settings, lambda s: s.remove_user(args.name)):
        print(f"error: no user {args.name}", file=sys.stderr)
        return 1
    print(f"user {args.name} removed; their open consoles are closed")
    return 0


def cmd_user(args: argparse.Namespace) -> int:
    from .http.auth import hash_password

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        if not sys.stdin.isatty():
            print("error: no terminal for the password prompt; use --password-stdin",
                  file=sys.stderr)
            return 2
        password = getpass.getpass(f"password for {args.name}: ")
        if password != getpass.getpass("again: "):
            print("error: passwords differ", file=sys.stderr)
            return 2
    if len(password) < 8:
        print("error: password must be at least 8 characters", file=sys.stderr)
        return 2
    settings = _settings(args)
    hashed = hash_password(password)
    _with_store(settings, lambda s: s.add_user(args.name, args.role, hashed, time.time()))
    print(f"user {args.name} ({args.role}) saved")
    return 0


# -- parser --------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="livesell", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data", metavar="DIR", help="data folder (default ./data)")
        p.add_argument("--config", metavar="FILE", help="config.yaml to read")

    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--demo", action="store_true",
                       help="seed the demo catalog and a live demo show on first start")
    common(serve)
    serve.set_defaults(func=cmd_serve)

    imp = sub.add_parser("import", help="load a catalog (YAML or CSV)")
    imp.add_argument("file")
    common(imp)
    imp.set_defaults(func=cmd_import)

    token = sub.add_parser("token", help="API tokens")
    token_sub = token.add_subparsers(dest="action", required=True)
    create = token_sub.add_parser("create", help="print a new bearer token")
    create.add_argument("--role", required=True, choices=("owner", "host", "staff", "ingest"))
    create.add_argument("--name")
    common(create)
    create.set_defaults(func=cmd_token)
    revoke = token_sub.add_parser("revoke", help="revoke a token (or every token of a name)")
    revoke.add_argument("token", nargs="?", help="the token itself")
    revoke.add_argument("--name", help="revoke every token created with this --name")
    common(revoke)
    revoke.set_defaults(func=cmd_token_revoke)

    user = sub.add_parser("user", help="console logins")
    user_sub = user.add_subparsers(dest="action", required=True)
    add = user_sub.add_parser("add", help="add or update a console login")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=("owner", "host", "staff"))
    add.add_argument("--password-stdin", action="store_true")
    common(add)
    add.set_defaults(func=cmd_user)
    remove = user_sub.add_parser("remove", help="remove a console login")
    remove.add_argument("name")
    common(remove)
    remove.set_defaults(func=cmd_user_remove)

    from .commands import backup as backup_cmd
    from .commands import parse as parse_cmd

    backup_cmd.add_commands(sub)

    parse = sub.add_parser("parse", help="parse comments from stdin to JSON lines")
    parse_cmd.add_arguments(parse)
    parse.set_defaults(func=parse_cmd.run)

    from .commands import export as export_cmd

    export = sub.add_parser("export", help="a show's orders as CSV, XLSX or a shipping sheet")
    export_cmd.add_arguments(export)
    export.set_defaults(func=lambda args: export_cmd.run(
        args, _settings(args), lambda work: _with_store(_settings(args), work)))

    from .commands import connectors as connectors_cmd

    conn = sub.add_parser("connectors", help="check, list, start or stop platform connectors")
    connectors_cmd.add_arguments(conn)
    conn.set_defaults(func=connectors_cmd.run)

    try:
        from .commands import simulate as simulate_cmd
    except ImportError:  # pragma: no cover
        simulate_cmd = None  # type: ignore[assignment]
    if simulate_cmd is not None:
        sim = sub.add_parser("simulate", help="post a realistic comment storm to a server")
        simulate_cmd.add_arguments(sim)
        sim.set_defaults(func=simulate_cmd.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
