"""After-the-show work for staff: exports, claims and bulk actions, packing, the report."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import keys
from ..capture.staffwork import StaffWork
from . import claims, exports, packing, report_page


def setup(app: web.Application) -> None:
    """The staff work service and every route of the staff work modules."""

    async def push(show_id: str, event: str, data: Any) -> None:
        await app[keys.HUB].consoles.push_staff(show_id, event, data)

    app[keys.STAFFWORK] = StaffWork(app[keys.STORE], app[keys.SERVICE], push, app[keys.CLOCK],
                                    app[keys.SETTINGS].claim_seconds)
    for module in (exports, claims, packing, report_page):
        app.add_routes(module.routes)
