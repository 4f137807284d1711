"""``PATCH /api/shows/{id}``: a show's selling options that the host may change at any time.

Today: ``first_paid`` (first paid, first served, ``domain/first_paid.py``). Turning it on or
off changes what later comments do; lines already held or requested keep their state (a
requested line is still taken when its order is paid).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import keys
from ..domain.errors import Invalid
from ..schema import Bool, Obj, optional
from .auth import requires
from .bodies import json_body
from .common import ok

routes = web.RouteTableDef()

SHOW_PATCH = Obj({"first_paid": optional(Bool())})


@routes.patch("/api/shows/{id}")
@requires("host")
@json_body(SHOW_PATCH)
async def patch_show(request: web.Request, body: dict[str, Any]) -> web.Response:
    """``{"first_paid": true}`` → the show as changed."""
    if body["first_paid"] is None:
        raise Invalid("nothing to change: send first_paid", field="first_paid")
    show = await request.app[keys.SERVICE].set_first_paid(request.match_info["id"],
                                                          body["first_paid"])
    return ok(show.to_json())


def setup(app: web.Application) -> None:
    app.add_routes(routes)
