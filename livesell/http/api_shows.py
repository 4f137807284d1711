"""Catalog and show routes: thin handlers that validate, call the service, answer JSON."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import keys
from ..domain.catalog import CatalogError, product_from_mapping
from ..domain.errors import Invalid
from . import bodies
from .auth import principal, requires
from .bodies import json_body
from .common import ok

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    store = request.app[keys.STORE]
    store_ok = await store.ping()
    body = {"status": "ok" if store_ok else "degraded", "store": "ok" if store_ok else "down"}
    problem = getattr(getattr(store, "engine", None), "unavailable", None)
    if not store_ok and problem:
        body["reason"] = problem  # e.g. "disk_full"
    return ok(body, status=200 if store_ok else 503)


@routes.get("/api/metrics")
@requires("owner")
async def metrics(request: web.Request) -> web.Response:
    """Fan-out totals, tick lateness and the store writer's batching; ``?reset=1`` starts a
    new measuring window for the tick figures."""
    hub = request.app[keys.HUB]
    body = hub.metrics(reset=request.query.get("reset") == "1")
    engine = getattr(request.app[keys.STORE], "engine", None)
    if engine is not None:
        body["store"] = {"batches": engine.batches, "operations": engine.operations}
    return ok(body)


@routes.get("/api/products")
@requires("host")
async def list_products(request: web.Request) -> web.Response:
    store = request.app[keys.STORE]
    products = await store.list_products()
    levels = {(s.code, s.variant): s for s in await store.stock()}
    out = []
    for product in products:
        doc = product.to_json()
        for variant in doc["variants"]:
            level = levels.get((product.code, variant["label"]))
            if level is not None:
                variant.update(level.to_json())
                variant["stock"] = level.total
        out.append(doc)
    return ok({"products": out})


@routes.put("/api/products/{code}")
@requires("host")
@json_body(bodies.PRODUCT)
async def put_product(request: web.Request, body: dict[str, Any]) -> web.Response:
    code = request.match_info["code"]
    if body.get("code") is not None and body["code"].upper() != code.upper():
        raise Invalid("code in the body does not match the URL", field="code")
    problems: list[str] = []
    product = product_from_mapping({**body, "code": code}, f"product {code}", problems)
    if problems:
        raise Invalid("; ".join(problems), problems=problems)
    await request.app[keys.SERVICE].put_products([product], principal(request).actor)
    saved = await request.app[keys.STORE].get_product(product.code)
    assert saved is not None
    return ok(saved.to_json())


@routes.post("/api/products/{code}/stock")
@requires("host")
@json_body(bodies.STOCK_ADJUST)
async def adjust_stock(request: web.Request, body: dict[str, Any]) -> web.Response:
    delta: int = body["delta"]
    if delta == 0:
        raise Invalid("field 'delta' must not be 0", field="delta")
    code = request.match_info["code"]
    product = await request.app[keys.STORE].get_product(code)
    if product is None:
        raise web.HTTPNotFound(reason=f"product {code} not found")
    variant = product.variant(body["variant"])
    if variant is None:
        raise Invalid("field 'variant' must name one of the product's variants", field="variant")
    level = await request.app[keys.SERVICE].adjust_stock(
        product.code, variant.label, delta, principal(request).actor)
    return ok(level.to_json())


@routes.get("/api/shows")
async def list_shows(request: web.Request) -> web.Response:
    shows = await request.app[keys.STORE].list_shows()
    return ok({"shows": [_public_show(s.to_json()) for s in shows]})


def _public_show(doc: dict[str, Any]) -> dict[str, Any]:
    doc.pop("order_prefix", None)
    return doc


@routes.post("/api/shows")
@requires("host")
@json_body(bodies.SHOW)
async def create_show(request: web.Request, body: dict[str, Any]) -> web.Response:
    from ..domain.booth import parse_start

    prefix = body["order_prefix"]
    starts_at = parse_start(body["starts_at"])  # before anything is saved
    show = await request.app[keys.SERVICE].create_show(
        body["title"], body["lineup"], body["stream_url"], body["hold_minutes"],
        body["max_per_buyer"], prefix.upper() if prefix else None,
        body["facebook_post_id"], body["talk_back"],
    )
    if starts_at is not None:
        show = await request.app[keys.SERVICE].schedule(show.id, starts_at)
    return ok(show.to_json(), status=201)


@routes.get("/api/shows/{id}")
async def get_show(request: web.Request) -> web.Response:
    return ok(await request.app[keys.VIEWS].snapshot(request.match_info["id"]))


@routes.post("/api/shows/{id}/start")
@requires("host")
async def start_show(request: web.Request) -> web.Response:
    return ok((await request.app[keys.SERVICE].start_show(request.match_info["id"])).to_json())


@routes.post("/api/shows/{id}/end")
@requires("host")
async def end_show(request: web.Request) -> web.Response:
    return ok((await request.app[keys.SERVICE].end_show(request.match_info["id"])).to_json())


@routes.post("/api/shows/{id}/pin")
@requires("host")
@json_body(bodies.PIN)
async def pin(request: web.Request, body: dict[str, Any]) -> web.Response:
    show = await request.app[keys.SERVICE].pin(request.match_info["id"], body["code"],
                                               body["variant"])
    return ok(show.to_json())


@routes.post("/api/shows/{id}/flash")
@requires("host")
@json_body(bodies.FLASH)
async def start_flash(request: web.Request, body: dict[str, Any]) -> web.Response:
    show = await request.app[keys.SERVICE].start_flash(
        request.match_info["id"], body["code"], body["price"], body["seconds"],
        body["variant"], body["quantity"])
    return ok(show.to_json())


@routes.delete("/api/shows/{id}/flash")
@requires("host")
async def stop_flash(request: web.Request) -> web.Response:
    return ok((await request.app[keys.SERVICE].stop_flash(request.match_info["id"])).to_json())


__all__ = ["routes", "CatalogError"]
