"""The booth between shows: the public shop page and its order form, product photos (upload,
serving), printable QR label sheets, calendar files for planned shows, and link previews.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any
from urllib.parse import quote

from aiohttp import BodyPartReader, web

from .. import keys
from ..capture.booth import Booth
from ..domain.booth import BOOTH_ID, ics_event, parse_start, read_booth_order, upcoming
from ..domain.errors import Invalid, NotFound
from ..domain.models import Product
from ..domain.qr import qr_svg
from ..media import ImageRejected, process, srcset
from .auth import identify, principal, requires
from .common import error, ok, read_json
from .display import image_dir, local_time, photo
from .headers import base_url
from .pages import _trusted_svg, link_preview, not_found, page, product_view
from .render import catalog, language

routes = web.RouteTableDef()
BOOTH = web.AppKey("booth", Booth)
BOOTH_RATE = web.AppKey("booth_rate", dict)
CATEGORIES = ("food", "beverage", "herbal", "handicraft", "other")
LABELS_PER_PAGE = (12, 21, 24, 40)
MAX_LABEL_CODES = 60


# -- the shop page -------------------------------------------------------------------------


@routes.get("/shop")
async def shop(request: web.Request) -> web.Response:
    store = request.app[keys.STORE]
    category = request.query.get("category", "")
    products = await store.list_products()
    stock: dict[str, int] = {}
    for level in await store.stock():
        stock[f"{level.code.upper()}:{level.variant}"] = level.available
    shown = [p for p in products if not category or str(p.category) == category]
    cards = []
    for product in shown:
        view = product_view(product, {k: v for k, v in stock.items()
                                      if k.split(":", 1)[0] == product.code.upper()})
        view["photo"] = photo(request.app, product.image, 320)
        view["available"] = sum(v["available"] or 0 for v in view["variants"])
        cards.append(view)
    now = request.app[keys.CLOCK]()
    shows = [s for s in await store.list_shows() if s.kind != "booth"]
    present = sorted({str(p.category) for p in products}, key=CATEGORIES.index
                     if all(str(p.category) in CATEGORIES for p in products) else str)
    response = page(request, "shop.html", cards=cards, category=category,
                    categories=present, upcoming=upcoming(shows, now), now=now,
                    live=[s for s in shows if s.status == "live"],
                    og_info=link_preview(request, next(
                        (c["photo"]["url"] for c in cards if c["photo"]), "")),
                    when=local_time, booth_strings=_booth_strings(request),
                    boot={"max_qty": request.app[keys.SETTINGS].max_qty})
    # stock moves: a short shared-cache lifetime keeps the page fast and nearly fresh
    response.headers["Cache-Control"] = "public, max-age=10"
    return response


def _booth_strings(request: web.Request) -> dict[str, str]:
    lang = language(request)
    return {key[len("booth.js."):]: entry.get(lang) or entry.get("vi") or key
            for key, entry in catalog().items() if key.startswith("booth.js.")}


# -- booth orders --------------------------------------------------------------------------


def _allow(request: web.Request) -> bool:
    """At most ``booth_orders_per_minute`` booth orders a minute from one address."""
    limit = request.app[keys.SETTINGS].booth_orders_per_minute
    seen: dict[str, deque[float]] = request.app[BOOTH_RATE]
    who = request.remote or "?"
    now = time.monotonic()
    times = seen.setdefault(who, deque())
    while times and now - times[0] > 60:
        times.popleft()
    if len(times) >= limit:
        return False
    times.append(now)
    if len(seen) > 10_000:
        for key in [k for k, v in seen.items() if not v]:
            del seen[key]
    return True


@routes.post("/api/booth/orders")
async def booth_order(request: web.Request) -> web.Response:
    """A booth order from the shop page: JSON only (a cross-site form cannot send it)."""
    if request.content_type != "application/json":
        return error(415, "unsupported_media_type", "send the order as application/json")
    origin = request.headers.get("Origin")
    if origin and origin.rstrip("/") != base_url(request).rstrip("/") \
            and origin != f"{request.scheme}://{request.host}":
        return error(403, "forbidden", "orders are taken from this site's own shop page")
    if not _allow(request):
        return error(429, "rate_limited", "too many orders from this address; try in a minute")
    body = await read_json(request)
    store = request.app[keys.STORE]
    form = read_booth_order(body, await store.list_products(),
                            request.app[keys.SETTINGS].max_qty)
    result = await request.app[BOOTH].place(form, request.remote or "?")
    if result.order is None:
        return ok({"status": result.status, "reason": result.reason}, status=409)
    order = result.order
    url = f"{base_url(request)}/o/{order.code}?t={quote(order.token)}"
    return ok({"status": result.status, "order": order.code, "total": order.total,
               "buyer_url": url}, status=201)


@routes.get("/staff/booth")
async def booth_staff(request: web.Request) -> web.StreamResponse:
    """The staff console of booth orders: the booth show exists once anyone asks for it."""
    from .consoles import staff_console

    if await identify(request) is not None:
        await request.app[BOOTH].show()
    request.match_info["id"] = BOOTH_ID
    return await staff_console(request)


# -- product photos ------------------------------------------------------------------------


@routes.post("/api/products/{code}/image")
@requires("host")
async def upload_image(request: web.Request) -> web.Response:
    """The photo as the raw body (``Content-Type: image/…``) or a multipart field ``image``."""
    settings = request.app[keys.SETTINGS]
    code = request.match_info["code"]
    store = request.app[keys.STORE]
    if await store.get_product(code) is None:
        raise NotFound(f"product {code} not found")
    # Photos are bigger than API bodies: read the stream with the photo limit instead of the
    # app-wide body limit, and stop reading as soon as it is passed.
    limit = settings.image_max_bytes
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        data = b""
        while (part := await reader.next()) is not None:
            if isinstance(part, BodyPartReader) and part.name == "image":
                data = await _read_limited(part.read_chunk, limit)
                break
    else:
        data = await _read_limited(request.content.read, limit)
    try:
        stored = await asyncio.get_running_loop().run_in_executor(
            None, lambda: process(data, code.upper(), image_dir(request.app),
                                  max_bytes=settings.image_max_bytes,
                                  max_pixels=settings.image_max_pixels))
    except ImageRejected as exc:
        status = 413 if exc.code == "too_big" else 400
        return error(status, exc.code, str(exc))
    product = await request.app[keys.SERVICE].set_product_image(
        code, stored.url, principal(request).actor)
    return ok({"code": product.code, "image": product.image,
               "srcset": srcset(stored.url, image_dir(request.app))})


async def _read_limited(read: Any, limit: int) -> bytes:
    """Up to ``limit + 1`` bytes from a chunk reader (one byte more says "too big")."""
    chunks, size = [], 0
    while size <= limit:
        chunk = await read(65_536)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


@routes.delete("/api/products/{code}/image")
@requires("host")
async def remove_image(request: web.Request) -> web.Response:
    product = await request.app[keys.SERVICE].set_product_image(
        request.match_info["code"], "", principal(request).actor)
    return ok({"code": product.code, "image": ""})


@routes.get("/media/{name}")
async def media(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    path = image_dir(request.app) / name
    if "/" in name or name.startswith(".") or not name.endswith(".jpg") or not path.is_file():
        raise web.HTTPNotFound()
    response = web.FileResponse(path, headers={
        "Cache-Control": "public, max-age=31536000, immutable",
        "Content-Type": "image/jpeg", "X-Content-Type-Options": "nosniff"})
    return response


# -- QR label sheets -----------------------------------------------------------------------


@routes.get("/p/labels")
async def labels(request: web.Request) -> web.StreamResponse:
    """An A4 sheet of stickers, each with the product's QR to its traceability page."""
    who = await identify(request)
    if who is None:
        raise web.HTTPSeeOther("/login?next=" + quote(request.path_qs, safe="/"))
    if not who.allows("host"):
        return page(request, "error.html", status=403, what="labels")
    store = request.app[keys.STORE]
    wanted = [c.strip().upper() for c in request.query.get("codes", "").split(",") if c.strip()]
    try:
        per_page = int(request.query.get("per_page", "24"))
    except ValueError:
        per_page = 24
    per_page = min(LABELS_PER_PAGE, key=lambda n: abs(n - per_page))
    products = {p.code.upper(): p for p in await store.list_products()}
    chosen = [products[c] for c in wanted if c in products][:MAX_LABEL_CODES] \
        if wanted else list(products.values())[:MAX_LABEL_CODES]
    base = base_url(request)
    stickers = []
    for product in chosen:
        url = f"{base}/p/{product.code}"
        for variant in product.variants:
            stickers.append(_sticker(product, variant.label, url))
    pages = [stickers[i:i + per_page] for i in range(0, len(stickers), per_page)] or [[]]
    response = page(request, "labels.html", pages=pages, per_page=per_page,
                    missing=[c for c in wanted if c not in products])
    response.headers["Cache-Control"] = "no-store"
    return response


def _sticker(product: Product, label: str, url: str) -> dict[str, Any]:
    return {"code": product.code, "name": product.name, "label": label,
            "batch": product.origin.batch, "stars": product.ocop_stars, "url": url,
            "producer": product.producer.name,
            "qr": _trusted_svg(qr_svg(url, scale=4, title=f"QR {product.code}"))}


# -- planned shows -------------------------------------------------------------------------


@routes.post("/api/shows/{id}/schedule")
@requires("host")
async def schedule(request: web.Request) -> web.Response:
    """``{"starts_at": "2027-01-28T19:30:00+07:00"}`` (or epoch seconds, or null to clear)."""
    body = await read_json(request)
    if not isinstance(body, dict) or "starts_at" not in body:
        raise Invalid("field 'starts_at' is required", field="starts_at")
    show = await request.app[keys.SERVICE].schedule(request.match_info["id"],
                                                    parse_start(body["starts_at"]))
    return ok(show.to_json())


@routes.get("/s/{id}/calendar.ics")
async def calendar(request: web.Request) -> web.Response:
    show = await request.app[keys.STORE].get_show(request.match_info["id"])
    if show is None or show.starts_at is None:
        return not_found(request, "show")
    text = ics_event(show, f"{base_url(request)}/s/{show.id}", request.app[keys.CLOCK]())
    return web.Response(text=text, content_type="text/calendar", charset="utf-8", headers={
        "Content-Disposition": f'attachment; filename="livesell-{show.id}.ics"'})


def setup(app: web.Application) -> None:
    """The booth service and routes; must run before the pages' ``/p/{code}`` route."""
    settings = app[keys.SETTINGS]
    app[BOOTH] = Booth(app[keys.SERVICE], settings.booth_title, settings.booth_hold_minutes)
    app[BOOTH_RATE] = {}
    app.add_routes(routes)

