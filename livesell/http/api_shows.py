"""Catalog and show routes: thin handlers that validate, call the service, answer JSON."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import keys
from ..domain.catalog import CatalogError, product_from_mapping
from ..domain.errors import Invalid
from .auth import principal, requires
from .common import ok, read_json, want, want_int
from .connectors import facebook_post_field

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    store_ok = await request.app[keys.STORE].ping()
    body = {"status": "ok" if store_ok else "degraded", "store": "ok" if store_ok else "down"}
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
async def put_product(request: web.Request) -> web.Response:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise Invalid("request body must be a product object")
    code = request.match_info["code"]
    if body.get("code") is not None and str(body["code"]).upper() != code.upper():
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
async def adjust_stock(request: web.Request) -> web.Response:
    body = await read_json(request)
    delta = want_int(body, "delta")
    if delta == 0:
        raise Invalid("field 'delta' must not be 0", field="delta")
    code = request.match_info["code"]
    product = await request.app[keys.STORE].get_product(code)
    if product is None:
        raise web.HTTPNotFound(reason=f"product {code} not found")
    label = want(body, "variant", str, required=False)
    variant = product.variant(label)
    if variant is None:
        raise Invalid("field 'variant' must name one of the product's variants", field="variant")
    level = await request.app[keys.SERVICE].adjust_stock(
        product.code, variant.label, int(delta or 0), principal(request).actor)
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
async def create_show(request: web.Request) -> web.Response:
    body = await read_json(request)
    title = want(body, "title", str).strip()
    if not title or len(title) > 200:
        raise Invalid("field 'title' must be 1–200 characters", field="title")
    lineup = want(body, "lineup", list)
    if not lineup or not all(isinstance(c, str) and c.strip() for c in lineup):
        raise Invalid("field 'lineup' must be a non-empty list of product codes", field="lineup")
    stream_url = want(body, "stream_url", str, required=False, default="")
    if stream_url and not stream_url.startswith(("https://", "http://")):
        raise Invalid("field 'stream_url' must be an http(s) URL", field="stream_url")
    prefix = want(body, "order_prefix", str, required=False)
    if prefix is not None and not (prefix.isalnum() and 1 <= len(prefix) <= 6):
        raise Invalid("field 'order_prefix' must be 1–6 letters or digits", field="order_prefix")
    show = await request.app[keys.SERVICE].create_show(
        title, [c.strip() for c in lineup], stream_url,
        want_int(body, "hold_minutes", required=False, minimum=1),
        want_int(body, "max_per_buyer", required=False, minimum=1),
        prefix.upper() if prefix else None,
        facebook_post_field(body),
        bool(want(body, "talk_back", bool, required=False, default=False)),
    )
    if "starts_at" in body:
        from ..domain.booth import parse_start

        show = await request.app[keys.SERVICE].schedule(show.id, parse_start(body["starts_at"]))
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
async def pin(request: web.Request) -> web.Response:
    body = await read_json(request)
    if not isinstance(body, dict) or "code" not in body:
        raise Invalid("field 'code' is required (a product code or null)", field="code")
    code = want(body, "code", str, required=False)
    variant = want(body, "variant", str, required=False)
    show = await request.app[keys.SERVICE].pin(request.match_info["id"], code, variant)
    return ok(show.to_json())


@routes.post("/api/shows/{id}/flash")
@requires("host")
async def start_flash(request: web.Request) -> web.Response:
    body = await read_json(request)
    code = want(body, "code", str)
    price = want_int(body, "price", minimum=1)
    seconds = want_int(body, "seconds", minimum=1)
    if seconds is not None and seconds > 24 * 3600:
        raise Invalid("field 'seconds' must be at most a day", field="seconds")
    quantity = want_int(body, "quantity", required=False, minimum=1)
    variant = want(body, "variant", str, required=False)
    show = await request.app[keys.SERVICE].start_flash(
        request.match_info["id"], code, int(price or 0), int(seconds or 0), variant, quantity)
    return ok(show.to_json())


@routes.delete("/api/shows/{id}/flash")
@requires("host")
async def stop_flash(request: web.Request) -> web.Response:
    return ok((await request.app[keys.SERVICE].stop_flash(request.match_info["id"])).to_json())


__all__ = ["routes", "CatalogError"]
