"""Customer routes (staff): search by phone or name, one customer with every order, merge
and split by hand, and the customers behind a show's orders for the console."""

from __future__ import annotations

from aiohttp import web

from .. import keys
from ..capture.customers import CustomerBook, customer_json
from ..domain.customers import RISKY_POLICIES
from ..domain.errors import Invalid, NotFound
from .auth import requires
from .common import ok, read_json

routes = web.RouteTableDef()


def _book(request: web.Request) -> CustomerBook:
    return request.app[keys.CUSTOMERS]


@routes.get("/api/customers")
@requires("staff")
async def find_customers(request: web.Request) -> web.Response:
    query = request.query.get("q", "").strip()[:100]
    if not query:
        raise Invalid("q: a phone or a name to look for")
    found = await _book(request).search(query)
    return ok({"customers": [customer_json(c) for c in found[:50]]})


@routes.get("/api/customers/{id}")
@requires("staff")
async def get_customer(request: web.Request) -> web.Response:
    return ok(customer_json(await _book(request).get(request.match_info["id"])))


def _text(body: object, name: str) -> str:
    value = body.get(name) if isinstance(body, dict) else None
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise Invalid(f"{name}: required text")
    return value.strip()


@routes.post("/api/customers/merge")
@requires("staff")
async def merge_customers(request: web.Request) -> web.Response:
    body = await read_json(request)
    merged = await _book(request).merge(_text(body, "a"), _text(body, "b"))
    return ok(customer_json(merged))


@routes.post("/api/customers/{id}/split")
@requires("staff")
async def split_customer(request: web.Request) -> web.Response:
    body = await read_json(request)
    alone = await _book(request).split(request.match_info["id"], _text(body, "buyer"))
    return ok(customer_json(alone))


@routes.get("/api/orders/{code}/comments")
@requires("staff")
async def order_comments(request: web.Request) -> web.Response:
    """The comments behind an order: what the buyer said for each line and follow-up."""
    code = request.match_info["code"]
    if await request.app[keys.STORE].get_order(code) is None:
        raise NotFound(f"order {code} not found")
    return ok({"comments": await request.app[keys.STORE].order_comments(code)})


@routes.get("/api/shows/{id}/customers")
@requires("staff")
async def show_customers(request: web.Request) -> web.Response:
    """Order code -> its customer's summary, for every order of the show (console badges)."""
    show = await request.app[keys.VIEWS].show(request.match_info["id"])
    orders = await request.app[keys.STORE].list_orders(show.id)
    book = await _book(request).book(fresh=any(o.buyer not in _book(request).by_buyer
                                                 for o in orders))
    out = {}
    for order in orders:
        customer = book.get(order.buyer)
        if customer is not None:
            out[order.code] = customer.summary(order.code)
    return ok({"customers": out})


@routes.post("/api/shows/{id}/customer-policy")
@requires("host")
async def customer_policy(request: web.Request) -> web.Response:
    """``{"risky": "off" | "phone" | "review"}``: orders from customers with a risky history
    are taken, taken only with a phone in the comment, or held for staff approval."""
    body = await read_json(request)
    risky = body.get("risky") if isinstance(body, dict) else None
    policy = "" if risky == "off" else risky
    if policy not in RISKY_POLICIES:
        raise Invalid("risky: one of off, phone, review")
    show = await request.app[keys.SERVICE].set_risky_policy(request.match_info["id"],
                                                            str(policy))
    return ok(show.to_json())


def setup(app: web.Application) -> None:
    book = CustomerBook(app[keys.STORE], app[keys.BUS])
    app[keys.CUSTOMERS] = book
    app[keys.SERVICE].customers = book
    app.add_routes(routes)
