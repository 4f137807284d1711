"""Public pages: the show list, the viewer page, the OBS overlay, product and order pages.

Server-rendered with jinja2 (autoescape on) so every page reads before any script runs; the
viewer and overlay then go live over Socket.IO (``livesell/web/static/js/live.js``). Pages carry a
Content-Security-Policy without inline scripts: data reaches the scripts through a
``<script type="application/json">`` block rendered with ``|tojson``.
"""

from __future__ import annotations

import hmac
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jinja2
from aiohttp import web
from markupsafe import Markup

from .. import keys
from ..domain.errors import NotFound
from ..domain.first_paid import prepaid
from ..domain.masking import mask_phone, short_name
from ..domain.models import LineState, Order, OrderStatus, Product, Show, ShowStatus, sku
from ..domain.money import format_vnd
from ..domain.qr import qr_svg
from ..domain.vietqr import fold_message, vietqr_payload
from ..media import sized
from .display import local_time, photo
from .headers import base_url
from .render import catalog, language, render, translator

WEB = Path(__file__).resolve().parent.parent / "web"
routes = web.RouteTableDef()

# Only these hosts may ever be framed; the embed URL is rebuilt from parsed parts, so a
# stream URL can never smuggle another host, a javascript: URL or extra parameters in.
FRAME_HOSTS = ("https://www.youtube-nocookie.com", "https://www.facebook.com",
               "https://www.tiktok.com")
CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: https:",
    "media-src 'self' https: http: blob:",
    "connect-src 'self'",
    "frame-src " + " ".join(FRAME_HOSTS),
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
])

_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_DIGITS = re.compile(r"\d{5,25}")
_FB_PATH = re.compile(r"/(?:[A-Za-z0-9.\-_]{1,80}/videos/(?:[^/]{1,80}/)?\d{5,25}|reel/\d{5,25}"
                      r"|watch/live|watch)/?")
_YT_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com"}
_FB_HOSTS = {"facebook.com", "www.facebook.com", "m.facebook.com", "web.facebook.com"}
_TT_HOSTS = {"tiktok.com", "www.tiktok.com", "m.tiktok.com"}

STATUS_ORDER = {ShowStatus.LIVE: 0, ShowStatus.DRAFT: 1, ShowStatus.ENDED: 2}
OVERLAY_WIDGETS = ("product", "flash", "ticker")


@dataclass(frozen=True, slots=True)
class Embed:
    """How the viewer page shows a stream: an allow-listed iframe, a video tag, or a link."""

    kind: str  # "iframe" | "video" | "link"
    src: str
    provider: str = ""


def stream_embed(url: str) -> Embed | None:
    """The embed for a stream URL, built only from recognised hosts and checked IDs."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    query = parse_qs(parts.query)
    path = parts.path
    video_id = ""
    if host in _YT_HOSTS:
        if path == "/watch":
            video_id = (query.get("v") or [""])[0]
        elif path.startswith(("/live/", "/embed/", "/shorts/")):
            video_id = path.split("/")[2]
    elif host == "youtu.be":
        video_id = path.lstrip("/").split("/")[0]
    if video_id:
        if not _YOUTUBE_ID.fullmatch(video_id):
            return Embed("link", url, "youtube")
        return Embed("iframe", f"https://www.youtube-nocookie.com/embed/{video_id}?"
                     + urlencode({"autoplay": 1, "mute": 1, "playsinline": 1}), "youtube")
    if host in _FB_HOSTS and _FB_PATH.fullmatch(path):
        href = "https://www.facebook.com" + path
        watch_id = (query.get("v") or [""])[0]
        if path.startswith("/watch"):
            if not _DIGITS.fullmatch(watch_id):
                return Embed("link", url, "facebook")
            href = "https://www.facebook.com/watch/?" + urlencode({"v": watch_id})
        return Embed("iframe", "https://www.facebook.com/plugins/video.php?"
                     + urlencode({"href": href, "show_text": "false"}), "facebook")
    if host in _TT_HOSTS:
        match = re.fullmatch(r"/@[A-Za-z0-9._]{1,40}/video/(\d{5,25})/?", path)
        if match:
            return Embed("iframe", f"https://www.tiktok.com/embed/v2/{match.group(1)}",
                         "tiktok")
        return Embed("link", url, "tiktok")
    if path.lower().endswith(".m3u8"):
        return Embed("video", parts.geturl(), "hls")
    return Embed("link", parts.geturl())


def page(request: web.Request, template: str, status: int = 200,
         **context: Any) -> web.Response:
    """Render a public page with its security headers."""
    response = render(request, template, status, js_strings=_strings(language(request)),
                      **context)
    response.headers["Content-Security-Policy"] = CSP
    return response


def _strings(lang: str) -> dict[str, str]:
    """Translations the scripts need (keys ``public.js.*``), in the page's language."""
    return {key[len("public.js."):]: entry.get(lang) or entry.get("vi") or key
            for key, entry in catalog().items() if key.startswith("public.js.")}


def not_found(request: web.Request, what: str) -> web.Response:
    return page(request, "error.html", status=404, what=what)


# -- view models -----------------------------------------------------------------------------


def product_view(product: Product, stock: dict[str, int] | None = None) -> dict[str, Any]:
    """A product as the templates and the viewer script both draw it."""
    return {
        "code": product.code, "name": product.name, "description": product.description,
        "category": str(product.category), "ocop_stars": product.ocop_stars,
        "image": _image(product.image),
        "producer": {"name": product.producer.name, "commune": product.producer.commune,
                     "province": product.producer.province},
        "variants": [{"label": v.label, "price": v.price, "key": sku(product.code, v.label),
                      "available": (stock or {}).get(sku(product.code, v.label))}
                     for v in product.variants],
    }


def _image(url: str) -> str:
    # Only same-site paths and https images: img-src allows nothing else anyway.
    return url if url.startswith(("/static/", "/media/", "https://")) else ""


def _show_sort_key(show: Show) -> tuple[int, float]:
    return STATUS_ORDER.get(show.status, 3), -(show.started_at or show.created_at)


def overlay_options(query: Any) -> dict[str, Any]:
    """Overlay query options, clamped to what the overlay knows how to draw."""
    position = query.get("position", "bottom")
    theme = query.get("theme", "dark")
    try:
        scale = float(query.get("scale", "1"))
    except ValueError:
        scale = 1.0
    scale = min(2.0, max(0.5, scale)) if math.isfinite(scale) else 1.0
    asked = [w.strip() for w in query.get("widgets", ",".join(OVERLAY_WIDGETS)).split(",")]
    widgets = [w for w in OVERLAY_WIDGETS if w in asked]
    return {"position": position if position in ("bottom", "top") else "bottom",
            "theme": theme if theme in ("dark", "light") else "dark",
            "scale": round(scale, 2), "widgets": widgets or list(OVERLAY_WIDGETS)}


def link_preview(request: web.Request, image: str) -> dict[str, str]:
    """Absolute page and image URLs for link previews (from ``public_url``)."""
    base = base_url(request)
    return {"url": base + request.path,
            "image": base + sized(image, 1280) if image.startswith("/") else image}


# -- routes ----------------------------------------------------------------------------------


@routes.get("/")
async def index(request: web.Request) -> web.Response:
    from ..domain.booth import upcoming

    shows = sorted((s for s in await request.app[keys.STORE].list_shows() if s.kind != "booth"),
                   key=_show_sort_key)
    return page(request, "index.html", shows=shows, when=local_time,
                upcoming=upcoming(shows, request.app[keys.CLOCK]()))


async def _snapshot(request: web.Request) -> dict[str, Any] | None:
    try:
        return await request.app[keys.VIEWS].snapshot(request.match_info["id"])
    except NotFound:
        return None


@routes.get("/s/{id}")
async def viewer(request: web.Request) -> web.Response:
    snapshot = await _snapshot(request)
    if snapshot is None:
        return not_found(request, "show")
    show = snapshot["show"]
    pinned = next((p for p in snapshot["lineup"] if p["code"] == snapshot["pinned"]), None)

    return page(request, "viewer.html", snap=snapshot, show=show, pinned=pinned,
                embed=stream_embed(show["stream_url"]) if show["stream_url"] else None,
                when=local_time, og_info=link_preview(request, (pinned or {}).get("image", "")),
                boot={"show": show["id"], "lang": language(request)})


@routes.get("/s/{id}/overlay")
async def overlay(request: web.Request) -> web.Response:
    snapshot = await _snapshot(request)
    if snapshot is None:
        return not_found(request, "show")
    options = overlay_options(request.query)
    pinned = next((p for p in snapshot["lineup"] if p["code"] == snapshot["pinned"]), None)
    return page(request, "overlay.html", snap=snapshot, show=snapshot["show"], pinned=pinned,
                opts=options, boot={"show": snapshot["show"]["id"],
                                    "lang": language(request), **options})


@routes.get("/p/{code}")
async def product_page(request: web.Request) -> web.Response:
    product = await request.app[keys.STORE].get_product(request.match_info["code"])
    if product is None:
        return not_found(request, "product")

    url = f"{base_url(request)}/p/{product.code}"
    preview = link_preview(request, product.image)
    preview["description"] = " · ".join(filter(None, [
        product.producer.name, product.producer.province,
        f"OCOP {product.ocop_stars}★" if product.ocop_stars else "",
        format_vnd(min(v.price for v in product.variants)) if product.variants else ""]))
    return page(request, "product.html", product=product, view=product_view(product),
                url=url, photo=photo(request.app, product.image, 160), og_info=preview,
                qr=_trusted_svg(qr_svg(url, scale=5, title=f"QR {product.code}")))


@routes.get("/o/{code}")
async def order_page(request: web.Request) -> web.Response:
    order = await request.app[keys.STORE].get_order(request.match_info["code"])
    token = request.query.get("t", "")
    # Constant-time comparison on bytes: a str compare_digest refuses non-ASCII input.
    if order is None or not order.token or not hmac.compare_digest(
            token.encode("utf-8"), order.token.encode("utf-8")):
        return not_found(request, "order")
    products = {p.code.upper(): p for p in await request.app[keys.STORE].list_products()}
    response = page(request, "order.html", order=order, products=products,
                    phone=_masked_phone(order.contact.phone),
                    buyer=short_name(order.contact.name or order.buyer_name),
                    hold_until=_hold_until(order), payment=await _payment(request, order),
                    server_time=request.app[keys.CLOCK](),
                    boot={"server_time": request.app[keys.CLOCK](),
                          "lang": language(request),
                          "order": order.code, "token": order.token,
                          "statuses": _status_texts(language(request))})
    # The token is in the URL: keep the page out of caches and other sites' referrers.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _status_texts(lang: str) -> dict[str, list[str]]:
    """Each order status's badge and explanation, for the page's live redraw."""
    t = translator(lang)
    return {s.value: [t(f"public.order.status.{s.value}"), t(f"public.order.explain.{s.value}")]
            for s in OrderStatus}


def _masked_phone(phone: str) -> str:
    try:
        return mask_phone(phone) if phone else ""
    except ValueError:
        return ""


def _hold_until(order: Order) -> float | None:
    ends = [line.expires_at for line in order.lines
            if line.state == LineState.HELD and line.expires_at is not None]
    return min(ends) if ends else None


async def _payment(request: web.Request, order: Order) -> dict[str, Any] | None:
    """The VietQR transfer for what a confirmed order still owes, when the shop set its bank
    account (on the host console or in config)."""
    due = order.total - order.received
    # First paid, first served: paying is what takes the units, so it need not wait.
    payable = order.status == OrderStatus.CONFIRMED or (
        order.status == OrderStatus.CAPTURED and prepaid(order.lines))
    if not payable or due <= 0:
        return None
    account = await request.app[keys.PAYMENTS].account()
    if account is None:
        return None
    try:
        payload = vietqr_payload(account.bin, account.number, due, order.code)
    except ValueError:
        return None
    return {"bank": account.bank, "bin": account.bin, "account": account.number,
            "name": account.holder, "amount": due, "message": fold_message(order.code),
            "payload": payload,
            "qr": _trusted_svg(qr_svg(payload, scale=5, title=f"VietQR {order.code}"))}


def _trusted_svg(svg: str) -> Markup:
    # segno builds the markup itself and escapes the title: safe to insert unescaped.
    return Markup(svg)


def setup(app: web.Application) -> None:
    """Template environment, static files and the page routes."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(WEB / "templates"), autoescape=True,
        enable_async=False, trim_blocks=True, lstrip_blocks=True,
    )
    app[keys.JINJA] = env
    app.router.add_static("/static", WEB / "static", append_version=False)
    app.add_routes(routes)
