"""Intake, staff and review routes."""

from __future__ import annotations

import csv
import io
from typing import Any

from aiohttp import web

from .. import keys
from ..domain.errors import Invalid, NotFound
from ..domain.report import show_report
from ..store.base import CaptureItem
from . import bodies
from .auth import principal, requires
from .bodies import json_body
from .common import ok, parse_json
from .hooks import verify_hook

routes = web.RouteTableDef()
ORDER_ACTIONS = ("confirm", "reject", "cancel", "paid", "shipped", "returned")


def _batch(request: web.Request, comments: list[Any]) -> list[Any]:
    limit = request.app[keys.SETTINGS].max_batch
    if len(comments) > limit:
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=len(comments),
                                            text=None, reason=f"at most {limit} comments a batch")
    return comments


@routes.post("/api/shows/{id}/comments")
@requires("ingest")
@json_body(bodies.COMMENTS)
async def ingest(request: web.Request, body: dict[str, Any]) -> web.Response:
    comments = _batch(request, body["comments"])
    results = await request.app[keys.SERVICE].ingest(request.match_info["id"], comments)
    return ok({"results": [r.to_json() for r in results]})


@routes.post("/hooks/comments/{source}")
async def webhook(request: web.Request) -> web.Response:
    """Comments from any platform bridge, signed over source, timestamp and body."""
    source = request.match_info["source"]
    raw = await verify_hook(request, source)
    body = bodies.HOOK_COMMENTS(parse_json(raw))
    comments = [{**c, "source": c.get("source", source)} if isinstance(c, dict) else c
                for c in _batch(request, body["comments"])]
    results = await request.app[keys.SERVICE].ingest(body["show"], comments,
                                                     default_source=source)
    return ok({"results": [r.to_json() for r in results]})


@routes.get("/api/shows/{id}/stock")
@requires("staff")
async def stock(request: web.Request) -> web.Response:
    show = await request.app[keys.VIEWS].show(request.match_info["id"])
    levels = await request.app[keys.STORE].stock(show.lineup)
    return ok([level.to_json() for level in levels])


@routes.get("/api/shows/{id}/orders")
@requires("staff")
async def list_orders(request: web.Request) -> web.Response:
    show = await request.app[keys.VIEWS].show(request.match_info["id"])
    status = request.query.get("status") or None
    orders = await request.app[keys.STORE].list_orders(show.id, status)
    base = request.app[keys.SETTINGS].public_base
    docs = [o.to_json(audit=False, base_url=base) for o in orders]
    return ok({"orders": await request.app[keys.CUSTOMERS].annotate(docs)})


@routes.get("/api/orders/{code}")
@requires("staff")
async def get_order(request: web.Request) -> web.Response:
    order = await request.app[keys.STORE].get_order(request.match_info["code"])
    if order is None:
        raise NotFound(f"order {request.match_info['code']} not found")
    (doc,) = await request.app[keys.CUSTOMERS].annotate(
        [order.to_json(base_url=request.app[keys.SETTINGS].public_base)])
    return ok(doc)


@json_body(bodies.VERSION)
async def _action(request: web.Request, body: dict[str, Any]) -> web.Response:
    action = request.match_info["action"]
    if action not in ORDER_ACTIONS:
        raise web.HTTPNotFound(reason=f"unknown action {action}")
    order = await request.app[keys.SERVICE].order_action(
        request.match_info["code"], action, body["version"], principal(request).actor)
    return ok(order.to_json(base_url=request.app[keys.SETTINGS].public_base))


routes.post("/api/orders/{code}/{action}")(requires("staff")(_action))


def _items(lines: list[dict[str, Any]]) -> list[CaptureItem]:
    return [CaptureItem(line["code"].upper(), line["variant"], line["qty"]) for line in lines]


@routes.patch("/api/orders/{code}")
@requires("staff")
@json_body(bodies.PATCH_ORDER)
async def patch_order(request: web.Request, body: dict[str, Any]) -> web.Response:
    lines = _items(body["lines"]) if body["lines"] is not None else None
    contact = None
    if body["contact"] is not None:
        contact = {k: v for k, v in body["contact"].items() if v is not None}
    if lines is None and contact is None:
        raise Invalid("nothing to change: send 'lines' and/or 'contact'")
    order = await request.app[keys.SERVICE].patch_order(
        request.match_info["code"], body["version"], lines, contact, principal(request).actor)
    return ok(order.to_json(base_url=request.app[keys.SETTINGS].public_base))


@routes.get("/api/shows/{id}/review")
@requires("staff")
async def list_review(request: web.Request) -> web.Response:
    show = await request.app[keys.VIEWS].show(request.match_info["id"])
    status = request.query.get("status", "open")
    items = await request.app[keys.STORE].list_review(show.id, status)
    return ok({"review": [i.to_json() for i in items]})


def _review_id(request: web.Request) -> int:
    try:
        return int(request.match_info["rid"])
    except ValueError:
        raise NotFound("review item not found") from None


@routes.post("/api/review/{rid}/resolve")
@requires("staff")
@json_body(bodies.RESOLVE_REVIEW)
async def resolve_review(request: web.Request, body: dict[str, Any]) -> web.Response:
    items = _items(body["items"])
    order = await request.app[keys.SERVICE].resolve_review(
        _review_id(request), items, principal(request).actor)
    return ok(order.to_json(base_url=request.app[keys.SETTINGS].public_base))


@routes.post("/api/review/{rid}/dismiss")
@requires("staff")
async def dismiss_review(request: web.Request) -> web.Response:
    item = await request.app[keys.SERVICE].dismiss_review(_review_id(request),
                                                         principal(request).actor)
    return ok(item.to_json())


async def _report(request: web.Request) -> dict[str, Any]:
    show = await request.app[keys.VIEWS].show(request.match_info["id"])
    return show_report(show.id, await request.app[keys.STORE].report(show.id))


@routes.get("/api/shows/{id}/report")
@requires("staff")
async def report_json(request: web.Request) -> web.Response:
    return ok(await _report(request))


@routes.get("/api/shows/{id}/report.csv")
@requires("staff")
async def report_csv(request: web.Request) -> web.Response:
    report = await _report(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["code", "variant", "held", "sold", "waitlisted", "revenue_vnd"])
    for p in report["products"]:
        writer.writerow([p["code"], p["variant"], p["held"], p["sold"], p["waitlisted"],
                         p["revenue"]])
    return web.Response(
        text=out.getvalue(), content_type="text/csv", charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="show-{report["show"]}.csv"'})
