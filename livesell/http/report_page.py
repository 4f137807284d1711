"""``/staff/{id}/report``: the show in figures and charts, for staff after the stream.

The per-minute charts are drawn in the browser by uPlot (vendored, MIT, ~50 KB, no
dependencies: ``static/vendor/uPlot.*``) from the figures the page carries in a JSON block,
so the CSP stays ``script-src 'self'`` and nothing is fetched twice. uPlot was chosen over a
server-side SVG library because the one that fits (pygal) installs a legacy import hook on
import. The funnel and the per-product bars are plain ``<meter>`` elements, readable without
any script; every chart has its numbers in a table too, for screen readers and print.

Every figure comes from :func:`report_figures`; revenue there is the JSON report's, so the
page, ``GET /api/shows/{id}/report`` and the CSV never disagree.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from aiohttp import web

from .. import keys
from ..domain.errors import NotFound
from ..domain.show_report import build_figures
from .api_orders import _report as revenue_report
from .packing import is_staff, staff_page

routes = web.RouteTableDef()
REVIEW_STATUSES = ("open", "resolved", "dismissed")
# Shows run in Vietnam; minute labels are in its time (UTC+7, no daylight saving).
SHOW_TZ = timezone(timedelta(hours=7))


async def report_figures(request: web.Request) -> dict[str, Any]:
    """All figures of one show's report (404 for an unknown show)."""
    app = request.app
    store = app[keys.STORE]
    show = await store.get_show(request.match_info["id"])
    if show is None:
        raise NotFound(f"show {request.match_info['id']} not found")
    revenue = await revenue_report(request)
    orders = await store.list_orders(show.id)
    review = {status: len(await store.list_review(show.id, status))
              for status in REVIEW_STATUSES}
    comments = await store.comment_stats(show.id)
    stock = await store.stock(show.lineup)
    names = {p.code.upper(): p.name for p in await store.list_products()}
    figures = build_figures(show, orders, revenue, comments, review, stock, names)
    figures["show"] = show.to_json()
    return figures


def _clock(minute: int) -> str:
    return datetime.fromtimestamp(minute, UTC).astimezone(SHOW_TZ).strftime("%H:%M")


@routes.get("/staff/{id}/report")
async def report_view(request: web.Request) -> web.StreamResponse:
    if not await is_staff(request):
        return await staff_page(request, "report.html")
    try:
        figures = await report_figures(request)
    except NotFound:
        return await staff_page(request, "report.html")
    top = max((p["sold"] + p["held"] + p["waitlisted"] for p in figures["products"]),
              default=0)
    chart_data = {"minutes": [p["minute"] for p in figures["per_minute"]],
                  "comments": [p["comments"] for p in figures["per_minute"]],
                  "orders": [p["orders"] for p in figures["per_minute"]],
                  "revenue": [p["revenue"] for p in figures["per_minute"]],
                  "tz_offset": 7 * 3600}
    return await staff_page(request, "report.html", figures=figures, clock=_clock,
                            bar_max=max(1, top), chart_data=chart_data)
