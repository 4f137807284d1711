"""Operator routes: ``/readyz`` for the proxy, ``/metrics`` for Prometheus; request ids.

``/healthz`` (liveness, in api_shows) answers as long as the process and its store do;
``/readyz`` also turns 503 once the node starts shutting down, so a reverse proxy or an
orchestrator stops sending traffic before the node closes its sockets.
"""

from __future__ import annotations

import hmac
import re
import secrets
import time
from collections import Counter
from typing import Any

from aiohttp import web

from .. import keys
from ..domain.errors import StoreUnavailable
from ..domain.models import ShowStatus
from ..logs import REQUEST_ID, SHOW_ID
from ..metrics import CONTENT_TYPE, Metrics
from .common import Handler, error, ok

routes = web.RouteTableDef()
ORDERS_REFRESH_SECONDS = 10.0
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_SHOW_PATH = re.compile(r"^/(?:api/shows|s|host|staff)/([A-Za-z0-9_-]{1,64})")


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    state = request.app[keys.LIFECYCLE]
    problems = []
    if not state.get("started"):
        problems.append("starting")
    if state.get("stopping"):
        problems.append("shutting down")
    if not problems and not await request.app[keys.STORE].ping():
        problems.append("store down")
    if problems:
        return ok({"status": "not_ready", "problems": problems}, status=503)
    return ok({"status": "ready"})


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    """Prometheus text format; guarded by ``metrics_token`` (Bearer) when it is set."""
    token = request.app[keys.SETTINGS].metrics_token
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return error(401, "unauthorized", "a valid metrics token is required")
    registry = request.app[keys.METRICS]
    await _refresh_orders(request.app, registry)
    return web.Response(body=registry.exposition(), headers={"Content-Type": CONTENT_TYPE})


async def _refresh_orders(app: web.Application, registry: Metrics) -> None:
    """Orders by status over shows not ended, recounted at most every few seconds."""
    state = app[keys.LIFECYCLE]
    now = time.monotonic()
    if now - state.get("orders_counted", -1e9) < ORDERS_REFRESH_SECONDS:
        return
    state["orders_counted"] = now
    store = app[keys.STORE]
    counts: Counter[str] = Counter()
    try:
        for show in await store.list_shows():
            if show.status != ShowStatus.ENDED:
                counts.update(str(order.status) for order in await store.list_orders(show.id))
    except StoreUnavailable:
        return
    registry.set_orders_by_status(counts)


@web.middleware
async def context_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A request id for every log line of this request (taken from a proxy's X-Request-Id
    when it looks like one), the show id when the path names one, and store outages counted."""
    given = request.headers.get("X-Request-Id", "")
    request_id = given if _REQUEST_ID.fullmatch(given) else secrets.token_hex(8)
    match = _SHOW_PATH.match(request.path)
    tokens = (REQUEST_ID.set(request_id), SHOW_ID.set(match.group(1) if match else None))
    try:
        response = await handler(request)
    except StoreUnavailable:
        store = request.app[keys.SETTINGS].store.split(":", 1)[0]
        request.app[keys.METRICS].store_errors.labels(store).inc()
        raise
    finally:
        REQUEST_ID.reset(tokens[0])
        SHOW_ID.reset(tokens[1])
    if not response.prepared:
        response.headers["X-Request-Id"] = request_id
    return response


def setup(app: web.Application) -> None:
    """Wire the metrics registry to the service, store and hub; add the routes."""
    registry = app[keys.METRICS]
    app[keys.SERVICE].observer = registry.comments_answered
    engine: Any = getattr(app[keys.STORE], "engine", None)
    if engine is not None and hasattr(engine, "commit_observer"):
        engine.commit_observer = registry.committed
        registry.add_source("store", lambda: {"batches": engine.batches,
                                              "operations": engine.operations})
    registry.add_source("hub", lambda: app[keys.HUB].metrics())

    async def on_shutdown(app: web.Application) -> None:
        app[keys.LIFECYCLE]["stopping"] = True

    app.on_shutdown.append(on_shutdown)
    app.add_routes(routes)
