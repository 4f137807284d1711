"""``create_app(settings)``: the one place that wires livesell together.

Each resource has its own cleanup context, started in order and closed in reverse: the store,
the realtime hub, then background tasks (hold sweeper, connectors). Nothing happens at import.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import os
import secrets
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp_session import setup as setup_session
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from . import keys
from .backup import periodic_backup_ctx
from .capture.bus import EventBus
from .capture.service import CaptureService
from .capture.views import ShowViews
from .config import Settings
from .connectors.runner import connectors_ctx
from .http import api_orders, api_shows, booth, buyers, consoles, customers, ops, pages, staffwork
from .http import connectors as connector_routes
from .http import payments as payment_routes
from .http.auth import principal_for_token
from .http.common import errors_middleware
from .http.headers import polling_limit, security_headers
from .http.show_settings import setup as setup_show_settings
from .metrics import Metrics
from .plumbing import stop_tasks
from .store.base import Store
from .store.files import private_dir

if TYPE_CHECKING:
    from .realtime.relay import LiveRedisManager

CleanupContext = Callable[[web.Application], AsyncIterator[None]]

log = logging.getLogger(__name__)


def make_store(settings: Settings) -> Store:
    """The configured store backend (not started)."""
    if settings.store.startswith(("redis://", "rediss://")):
        from .store.redis import RedisStore

        return RedisStore(settings.store, prefix=settings.redis_prefix,
                          wait_aof=settings.redis_wait_aof)
    from .store.sqlite import SqliteStore

    return SqliteStore(settings.data_path / "livesell.db", settings.sqlite_synchronous,
                       settings.group_commit_ms, settings.group_commit_max,
                       check_cache=settings.check_writer_cache)


def session_key(settings: Settings) -> bytes:
    """32 bytes for the console cookie: from settings, or made once and kept in data_dir."""
    secret = settings.secret_key
    if not secret:
        path = Path(settings.data_dir) / "secret.key"
        private_dir(path.parent)
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(32))
        secret = path.read_text().strip()
    return hashlib.sha256(secret.encode()).digest()


async def _store_ctx(app: web.Application) -> AsyncIterator[None]:
    store = app[keys.STORE]
    await store.start()
    app[keys.LIFECYCLE]["started"] = True
    info = getattr(store, "persistence_info", None)
    if info is not None:
        from .store.redis.codec import persistence_warning

        if warning := persistence_warning(await info()):
            log.warning("%s", warning)
    yield
    await store.close()


async def _sweeper_ctx(app: web.Application) -> AsyncIterator[None]:
    interval = app[keys.SETTINGS].sweep_seconds
    task = asyncio.create_task(app[keys.SERVICE].run_sweeper(interval), name="hold-sweeper")
    yield
    await stop_tasks([task])


def _closing(manager: LiveRedisManager) -> CleanupContext:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        yield
        await manager.close()
    return ctx


def create_app(settings: Settings, *, clock: Callable[[], float] | None = None,
               store: Store | None = None) -> web.Application:
    """Build the whole application for these settings. Tests and the CLI both call this."""
    clock = clock or time.time
    app = web.Application(client_max_size=settings.max_body_bytes,
                          middlewares=[security_headers, polling_limit,
                                       errors_middleware, ops.context_middleware])
    secret = session_key(settings)
    setup_session(app, EncryptedCookieStorage(
        secret, cookie_name="livesell_session", httponly=True,
        secure=settings.cookie_secure, samesite="Lax", max_age=12 * 3600))
    app[keys.SETTINGS] = settings
    app[keys.TOKEN_CACHE] = {}
    app[keys.CLOCK] = clock
    app[keys.METRICS] = Metrics()
    app[keys.LIFECYCLE] = {"started": False, "stopping": False}
    app[keys.STORE] = store or make_store(settings)
    app[keys.BUS] = EventBus()
    app[keys.SERVICE] = CaptureService(app[keys.STORE], app[keys.BUS], settings, clock)
    app[keys.VIEWS] = ShowViews(app[keys.STORE], settings.ticker_size, clock)
    app.cleanup_ctx.append(_store_ctx)
    buyers.setup(app, secret)
    customers.setup(app)

    from .realtime.buyers import setup_buyers
    from .realtime.hub import RealtimeHub, setup_realtime

    manager = None
    if settings.store.startswith(("redis://", "rediss://")):
        from .realtime.relay import redis_manager

        manager = redis_manager(settings.store, settings.redis_prefix)
        app.cleanup_ctx.append(_closing(manager))  # after the hub's own cleanup (reverse order)
    app[keys.HUB] = RealtimeHub(
        settings, store=app[keys.STORE], views=app[keys.VIEWS], service=app[keys.SERVICE],
        clock=clock, tokens=functools.partial(principal_for_token, app), manager=manager,
        token_cache=app[keys.TOKEN_CACHE], buyers=app[keys.BUYERS])
    setup_realtime(app, app[keys.HUB], app[keys.BUS])
    setup_buyers(app)
    app.cleanup_ctx.append(_sweeper_ctx)
    app.cleanup_ctx.append(connectors_ctx)
    app.cleanup_ctx.append(periodic_backup_ctx)
    app.add_routes(api_shows.routes)
    staffwork.setup(app)  # before api_orders: /api/orders/{code}/claim is not an order action
    app.add_routes(api_orders.routes)
    booth.setup(app)  # before pages: /p/labels must win over /p/{code}
    pages.setup(app)
    consoles.setup(app)
    ops.setup(app)
    payment_routes.setup(app)
    connector_routes.setup(app)
    setup_show_settings(app)
    return app
