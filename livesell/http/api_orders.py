"""Intake, staff and review routes."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from typing import Any

from aiohttp import web

from .. import keys
from ..domain.errors import Invalid, NotFound
from ..store.base import CaptureItem
from .auth import principal, requires
from .common import ok, read_json, want, want_int

routes = web.RouteTableDef()
ORDER_ACTIONS = ("confirm", "reject", "cancel", "paid", "shipped", "returned")


def _batch(request: web.Request, body: Any) -> list[Any]:
    comments = want(body, "comments", list)
    limit = request.app[keys.SETTINGS].max_batch
    if len(comments) > limit:
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=len(comments),
                                            text=None, reason=f"at most {limit} comments a batch")
    return list(comments)


@routes.post("/api/shows/{id}/comments")
@requires("ingest")
async def ingest(request: web.Request) -> web.Response:
    comments = _batch(request, await read_json(request))
    results = await request.app[keys.SERVICE].ingest(request.match_info["id"], comments)
    return ok({"results": [r.to_json() for r in results]})


@routes.post("/hooks/comments/{source}")
async def webhook(request: web.Request) -> web.Response:
    """Comments from any platform bridge, signed with HMAC-SHA256 of the raw body."""
    secret = request.app[keys.SETTINGS].webhook_secret
    if not secret:
        raise web.HTTPNotFound(reason="webhooks are not enabled (set webhook_secret)")
    raw = await request.read()
    sent = request.headers.get("X-Livesell-Signature", "")
    expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        raise web.HTTPUnauthorized(reason="bad or missing X-Livesell-Signature")
    body = await read_json(request)
    show_id = want(body, "show", str)
    source = request.match_info["source"]
    comments = [{**c, "source": c.get("source", source)} if isinstance(c, dict) else c
                for c in _batch(request, body)]
    results = await request.app[keys.SERVICE].ingest(show_id, comments, default_source=source)
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
    docs = [o.to_json(audit=False) for o in orders]
    return ok({"orders": await request.app[keys.CUSTOMERS].annotate(docs)})


@routes.get("/api/orders/{code}")
@requires("staff")
async def get_order(request: web.Request) -> web.Response:
    order = await request.app[keys.STORE].get_order(request.match_info["code"])
    if order is None:
        raise NotFound(f"order {request.match_info['code']} not found")
    (doc,) = await request.app[keys.CUSTOMERS].annotate([order.to_json()])
    return ok(doc)


async def _action(request: web.Request) -> web.Response:
    action = request.match_info["action"]
    if action not in ORDER_ACTIONS:
        raise web.HTTPNotFound(reason=f"unknown action {action}")
    body = await read_json(request)
    version = want_int(body, "version", minimum=1)
    order = await request.app[keys.SERVICE].order_action(
        request.match_info["code"], action, int(version or 0), principal(request).actor)
    return ok(order.to_json())


routes.post("/api/orders/{code}/{action}")(requires("staff")(_action))


def _items(raw: Any, field: str = "lines") -> list[CaptureItem]:
    if not isinstance(raw, list) or not raw:
        raise Invalid(f"field '{field}' must be a non-empty list", field=field)
    items = []
    for entry in raw:
        code = want(entry, "code", str)
        qty = want_int(entry, "qty", minimum=0 if field == "lines" else 1)
        items.append(CaptureItem(code.upper(), want(entry, "variant", str, required=False),
                                 int(qty or 0)))
    return items


@routes.patch("/api/orders/{code}")
@requires("staff")
async def patch_order(request: web.Request) -> web.Response:
    body = await read_json(request)
    version = want_int(body, "version", minimum=1)
    lines = _items(body["lines"]) if body.get("lines") is not None else None
    contact = None
    if body.get("contact") is not None:
        raw = want(body, "contact", dict)
        fields = {k: raw.get(k) for k in ("name", "phone", "address")}
        if any(v is not None and not isinstance(v, str) for v in fields.values()):
            raise Invalid("contact fields must be strings", field="contact")
        if any(len(v or "") > 300 for v in fields.values()):
            raise Invalid("contact fields must be at most 300 characters", field="contact")
        contact = {k: v for k, v in fields.items() if v is not None}
    if lines is None and contact is None:
        raise Invalid("nothing to change: send 'lines' and/or 'contact'")
    order = await request.app[keys.SERVICE].patch_order(
        request.match_info["code"], int(version or 0), lines, contact, principal(request).actor)
    return ok(order.to_json())


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
async def resolve_review(request: web.Request) -> web.Response:
    body = await read_json(request)
    items = _items(want(body, "items", list), field="items")
    order = await request.app[keys.SERVICE].resolve_review(
        _review_id(request), items, principal(request).actor)
    return ok(order.to_json())


@routes.post("/api/review/{rid}/dismiss")
@requires("staff")
async def dismiss_review(request: web.Request) -> web.Response:
    item = await request.app[keys.SERVICE].dismiss_review(_review_id(request),
                                                         principal(request).actor)
    return ok(item.to_json())


async def _report(request: web.Request) -> dict[str, Any]:
    show = await request.app[keys.VIEWS].show(request.match_info["id"])
    report = await request.app[keys.STORE].report(show.id)
    per_product: dict[str, dict[str, Any]] = {}
    for line in report["lines"]:
        key = f"{line['code']}:{line['variant']}" if line["variant"] else line["code"]
        entry = per_product.setdefault(key, {"code": line["code"], "variant": line["variant"],
                                             "held": 0, "sold": 0, "waitlisted": 0,
                                             "revenue": 0})
        state = line["state"]
        if state == "confirmed":
            entry["sold"] += line["qty"]
            entry["revenue"] += line["amount"]
        elif state in ("held", "waitlisted"):
            entry[state] += line["qty"]
    totals = {
        "orders": sum(report["orders"].values()), "by_status": report["orders"],
        "comments": sum(report["comments"].values()), "comments_by_status": report["comments"],
        "revenue": sum(p["revenue"] for p in per_product.values()),
        "units_sold": sum(p["sold"] for p in per_product.values()),
        "units_held": sum(p["held"] for p in per_product.values()),
    }
    return {"show": show.id, "totals": totals, "products": list(per_product.values()),
            "per_minute": report["minutes"]}


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
