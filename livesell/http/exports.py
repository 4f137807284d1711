"""Staff exports: ``GET /api/shows/{id}/orders.csv`` and ``orders.xlsx`` (one row per order).

``?preset=shipping`` gives the shipping partners' columns instead; ``?lang=en`` English
headings. Both come from :mod:`livesell.domain.exports`, like ``livesell export``.
"""

from __future__ import annotations

from aiohttp import web

from .. import keys
from ..capture.staffwork import show_export
from ..domain.errors import Invalid, NotFound
from ..domain.exports import PRESETS
from .auth import requires
from .render import language

routes = web.RouteTableDef()


async def _export(request: web.Request, fmt: str) -> web.Response:
    preset = request.query.get("preset", "orders")
    if preset not in PRESETS:
        raise Invalid(f"preset must be one of {', '.join(PRESETS)}", field="preset")
    show_id = request.match_info["id"]
    found = await show_export(request.app[keys.STORE], show_id, fmt, preset, language(request),
                              request.app[keys.SETTINGS].export_default_weight_g)
    if found is None:
        raise NotFound(f"show {show_id} not found")
    body, content_type = found
    name = f"{show_id}-{preset}.{fmt}".replace('"', "")
    return web.Response(body=body, content_type=content_type,
                        charset="utf-8" if fmt == "csv" else None,
                        headers={"Content-Disposition": f'attachment; filename="{name}"',
                                 "Cache-Control": "no-store"})


@routes.get("/api/shows/{id}/orders.csv")
@requires("staff")
async def orders_csv(request: web.Request) -> web.Response:
    return await _export(request, "csv")


@routes.get("/api/shows/{id}/orders.xlsx")
@requires("staff")
async def orders_xlsx(request: web.Request) -> web.Response:
    return await _export(request, "xlsx")
