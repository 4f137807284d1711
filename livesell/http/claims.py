"""Claims and bulk actions for staff at rush hour.

- ``GET /api/shows/{id}/claims``: live claims of a show (who is on which order) and the roster.
- ``POST /api/shows/{id}/duty`` ``{"on", "products"?}``: join, renew or leave the roster.
- ``POST /api/orders/{code}/claim``, ``DELETE …/claim``: take or renew, let go.
- ``POST /api/shows/{id}/orders/bulk`` ``{"action", "orders": [{"code", "version"}]}``.
- ``POST /api/shows/{id}/review/bulk`` ``{"action": "dismiss", "ids": [...]}``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import keys
from ..capture.staffwork import BULK_LIMIT, BULK_ORDER_ACTIONS, BulkItem
from ..domain import limits as L
from ..domain.claims import ClaimHeld
from ..domain.errors import Invalid
from ..schema import Bool, Int, List, Obj, Str, optional
from .auth import principal, requires
from .bodies import CODE, json_body
from .common import error, ok

routes = web.RouteTableDef()

ORDER_CODE = Str(max_len=40, min_len=1)
DUTY = Obj({"on": Bool(), "products": optional(List(CODE, max_items=200), [])})
BULK_ORDERS = Obj({
    "action": Str(max_len=20, min_len=1),
    "orders": List(Obj({"code": ORDER_CODE, "version": Int(1, L.MAX_VERSION)}),
                   max_items=BULK_LIMIT, min_items=1),
})
BULK_REVIEW = Obj({
    "action": Str(max_len=20, min_len=1),
    "ids": List(Int(1, L.MAX_VERSION), max_items=BULK_LIMIT, min_items=1),
})


@routes.get("/api/shows/{id}/claims")
@requires("staff")
async def list_claims(request: web.Request) -> web.Response:
    show = await request.app[keys.VIEWS].show(request.match_info["id"])
    work = request.app[keys.STAFFWORK]
    claims = await work.claims(show.id)
    roster = await work.roster(show.id)
    return ok({"claims": [c.to_json() for c in claims], "duty": [d.to_json() for d in roster],
               "server_time": request.app[keys.CLOCK]()})


@routes.post("/api/shows/{id}/duty")
@requires("staff")
@json_body(DUTY)
async def duty(request: web.Request, body: dict[str, Any]) -> web.Response:
    on, products = body["on"], body["products"]
    show = await request.app[keys.VIEWS].show(request.match_info["id"])
    roster = await request.app[keys.STAFFWORK].duty(show.id, principal(request).name, on,
                                                    products)
    return ok({"duty": [d.to_json() for d in roster]})


@routes.post("/api/orders/{code}/claim")
@requires("staff")
async def claim(request: web.Request) -> web.Response:
    try:
        taken = await request.app[keys.STAFFWORK].claim(request.match_info["code"],
                                                        principal(request).name)
    except ClaimHeld as exc:
        held = exc.detail["claim"]
        return error(409, exc.code, exc.message, claim=held.to_json())
    return ok(taken.to_json())


@routes.delete("/api/orders/{code}/claim")
@requires("staff")
async def release(request: web.Request) -> web.Response:
    released = await request.app[keys.STAFFWORK].release(request.match_info["code"],
                                                         principal(request).name)
    return ok({"released": released})


@routes.post("/api/shows/{id}/orders/bulk")
@requires("staff")
@json_body(BULK_ORDERS)
async def bulk_orders(request: web.Request, body: dict[str, Any]) -> web.Response:
    action = body["action"]
    if action not in BULK_ORDER_ACTIONS:
        raise Invalid(f"action must be one of {', '.join(BULK_ORDER_ACTIONS)}", field="action")
    items = [BulkItem(entry["code"].upper(), entry["version"]) for entry in body["orders"]]
    show = await request.app[keys.VIEWS].show(request.match_info["id"])
    results = await request.app[keys.STAFFWORK].bulk(show.id, action, items,
                                                     principal(request).actor)
    return ok({"results": results, "done": sum(1 for r in results if r["ok"])})


@routes.post("/api/shows/{id}/review/bulk")
@requires("staff")
@json_body(BULK_REVIEW)
async def bulk_review(request: web.Request, body: dict[str, Any]) -> web.Response:
    if body["action"] != "dismiss":
        raise Invalid("action must be 'dismiss'", field="action")
    show = await request.app[keys.VIEWS].show(request.match_info["id"])
    results = await request.app[keys.STAFFWORK].bulk_dismiss(
        show.id, body["ids"], principal(request).actor)
    return ok({"results": results, "done": sum(1 for r in results if r["ok"])})
