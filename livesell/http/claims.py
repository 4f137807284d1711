"""Claims and bulk actions for staff at rush hour.

- ``GET /api/shows/{id}/claims``: live claims of a show (who is on which order) and the roster.
- ``POST /api/shows/{id}/duty`` ``{"on", "products"?}``: join, renew or leave the roster.
- ``POST /api/orders/{code}/claim``, ``DELETE …/claim``: take or renew, let go.
- ``POST /api/shows/{id}/orders/bulk`` ``{"action", "orders": [{"code", "version"}]}``.
- ``POST /api/shows/{id}/review/bulk`` ``{"action": "dismiss", "ids": [...]}``.
"""

from __future__ import annotations

from aiohttp import web

from .. import keys
from ..capture.staffwork import BULK_LIMIT, BULK_ORDER_ACTIONS, BulkItem
from ..domain.claims import ClaimHeld
from ..domain.errors import Invalid
from .auth import principal, requires
from .common import error, ok, read_json, want, want_int

routes = web.RouteTableDef()


def _selection(body: object, key: str) -> list[object]:
    chosen = want(body, key, list)
    if not chosen:
        raise Invalid(f"field '{key}' must not be empty", field=key)
    if len(chosen) > BULK_LIMIT:
        raise Invalid(f"at most {BULK_LIMIT} at once", field=key)
    return list(chosen)


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
async def duty(request: web.Request) -> web.Response:
    body = await read_json(request)
    on = want(body, "on", bool)
    products = want(body, "products", list, required=False, default=[])
    if len(products) > 200 or any(not isinstance(p, str) or len(p) > 40 for p in products):
        raise Invalid("field 'products' must be a list of product codes", field="products")
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
async def bulk_orders(request: web.Request) -> web.Response:
    body = await read_json(request)
    action = want(body, "action", str)
    if action not in BULK_ORDER_ACTIONS:
        raise Invalid(f"action must be one of {', '.join(BULK_ORDER_ACTIONS)}", field="action")
    items = []
    for entry in _selection(body, "orders"):
        code = want(entry, "code", str)
        version = want_int(entry, "version", minimum=1)
        items.append(BulkItem(code.upper()[:40], int(version or 0)))
    show = await request.app[keys.VIEWS].show(request.match_info["id"])
    results = await request.app[keys.STAFFWORK].bulk(show.id, action, items,
                                                     principal(request).actor)
    return ok({"results": results, "done": sum(1 for r in results if r["ok"])})


@routes.post("/api/shows/{id}/review/bulk")
@requires("staff")
async def bulk_review(request: web.Request) -> web.Response:
    body = await read_json(request)
    if want(body, "action", str) != "dismiss":
        raise Invalid("action must be 'dismiss'", field="action")
    ids = _selection(body, "ids")
    if any(not isinstance(i, int) or isinstance(i, bool) for i in ids):
        raise Invalid("field 'ids' must hold review item ids (integers)", field="ids")
    show = await request.app[keys.VIEWS].show(request.match_info["id"])
    results = await request.app[keys.STAFFWORK].bulk_dismiss(
        show.id, [int(i) for i in ids if isinstance(i, int)], principal(request).actor)
    return ok({"results": results, "done": sum(1 for r in results if r["ok"])})
