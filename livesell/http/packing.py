"""Packing after the show: ``/staff/{id}/print?format=a4`` (a packing list to tick off) and
``?format=slip`` (80 mm thermal slips, one per order, the order code as a QR code).

Both list the orders ready to pack: confirmed, or paid and not yet shipped. ``&only=new``
leaves out orders already printed; the page marks what it printed once the browser's print
dialog closes (``POST /api/shows/{id}/printed``), so the console shows "printed".
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from markupsafe import Markup

from .. import keys
from ..domain.exports import TO_SHIP, cod_due, customer, line_text
from ..domain.models import Order, OrderStatus
from ..domain.qr import qr_svg
from ..schema import List, Obj, Str
from .auth import csrf_token, identify, requires
from .bodies import json_body
from .common import ok
from .consoles import _login_page, _translate
from .pages import CSP
from .render import render

routes = web.RouteTableDef()
FORMATS = ("a4", "slip")
PRINTED = Obj({"codes": List(Str(max_len=40, min_len=1), max_items=5000)})


async def staff_page(request: web.Request, template: str, **context: Any) -> web.StreamResponse:
    """A staff-only page for one show: login first, then the template with the show."""
    from urllib.parse import quote

    principal = await identify(request)
    if principal is None:
        raise web.HTTPSeeOther("/login?next=" + quote(request.path_qs, safe="/"))
    t = _translate(request)
    if not principal.allows("staff") or principal.role == "ingest":
        return _login_page(request, 403, await csrf_token(request), next_url=request.path,
                           message=t("console.forbidden.role", role=principal.role,
                                     needed="staff"))
    show = await request.app[keys.STORE].get_show(request.match_info["id"])
    if show is None:
        return render(request, "console_base.html", status=404, user=principal,
                      csrf=await csrf_token(request), title=t("console.notfound"),
                      message=t("console.notfound.show", show=request.match_info["id"]))
    response = render(request, template, show=show.to_json(), user=principal,
                      csrf=await csrf_token(request), can_host=principal.allows("host"),
                      **context)
    response.headers["Cache-Control"] = "no-store"
    # The public pages' policy: no inline script or style, so the charts and slips are drawn
    # under the same rules as everything else.
    response.headers["Content-Security-Policy"] = CSP
    return response


async def is_staff(request: web.Request) -> bool:
    """Whether the caller may see staff pages (anything below staff, or ingest, may not)."""
    found = await identify(request)
    return found is not None and found.allows("staff") and found.role != "ingest"


def packing_view(order: Order, names: dict[str, str], printed: float | None,
                 with_qr: bool) -> dict[str, Any]:
    """What a packing list row or a slip shows for one order."""
    cod = cod_due(order)
    view: dict[str, Any] = {
        "code": order.code, "customer": customer(order), "phone": order.contact.phone,
        "address": order.contact.address, "lines": line_text(order, names, with_names=True),
        "items": [{"sku": f"{line.code} {line.variant}".strip(),
                   "name": names.get(line.code.upper(), ""), "qty": line.qty,
                   "amount": line.amount}
                  for line in order.lines if line.state in ("held", "confirmed")],
        "total": order.total, "cod": cod, "paid": order.status == OrderStatus.PAID,
        "printed": printed,
    }
    if with_qr:
        view["qr"] = Markup(qr_svg(order.code, scale=3, title=order.code))
    return view


@routes.get("/staff/{id}/print")
async def print_view(request: web.Request) -> web.StreamResponse:
    fmt = request.query.get("format", "a4")
    if fmt not in FORMATS:
        fmt = "a4"
    store = request.app[keys.STORE]
    show_id = request.match_info["id"]
    if not await is_staff(request) or await store.get_show(show_id) is None:
        return await staff_page(request, "print.html")
    orders = [o for o in await store.list_orders(show_id) if o.status in TO_SHIP]
    orders.sort(key=lambda o: (o.created_at, o.code))
    printed = await store.printed(show_id)
    if request.query.get("only") == "new":
        orders = [o for o in orders if o.code not in printed]
    names = {p.code.upper(): p.name for p in await store.list_products()}
    views = [packing_view(o, names, printed.get(o.code), fmt == "slip") for o in orders]
    return await staff_page(request, "print.html", fmt=fmt, orders=views,
                            only_new=request.query.get("only") == "new",
                            cod_total=sum(v["cod"] for v in views))


@routes.get("/api/shows/{id}/printed")
@requires("staff")
async def printed_list(request: web.Request) -> web.Response:
    show = await request.app[keys.VIEWS].show(request.match_info["id"])
    return ok({"printed": await request.app[keys.STORE].printed(show.id)})


@routes.post("/api/shows/{id}/printed")
@requires("staff")
@json_body(PRINTED)
async def mark_printed(request: web.Request, body: dict[str, Any]) -> web.Response:
    codes = body["codes"]
    show = await request.app[keys.VIEWS].show(request.match_info["id"])
    known = {o.code for o in await request.app[keys.STORE].list_orders(show.id)}
    chosen = [c for c in codes if c in known]
    await request.app[keys.STORE].mark_printed(show.id, chosen, request.app[keys.CLOCK]())
    return ok({"printed": len(chosen)})
