"""The declared body of every JSON route, and ``@json_body`` that checks it before the handler.

A handler decorated with ``@json_body(SCHEMA)`` is called as ``handler(request, body)`` with
the checked dict; a body that does not fit answers 400 naming the field and reaches no
service, so a refused request saves nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ..domain import limits as L
from ..domain.catalog import CODE_RE
from ..schema import Bool, Int, List, Obj, Raw, Str, optional
from .common import read_json

BodyHandler = Callable[[web.Request, dict[str, Any]], Awaitable[web.StreamResponse]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_body(schema: Obj) -> Callable[[BodyHandler], Handler]:
    """Read the request's JSON, check it against ``schema``, hand the result to the handler."""

    def wrap(handler: BodyHandler) -> Handler:
        @functools.wraps(handler)
        async def checked(request: web.Request) -> web.StreamResponse:
            return await handler(request, schema(await read_json(request)))

        checked.schema = schema  # type: ignore[attr-defined]  # for docs and the fuzz suite
        return checked

    return wrap


def _is_http_url(text: str) -> bool:
    return text == "" or text.startswith(("https://", "http://"))


CODE = Str(max_len=L.MAX_CODE, min_len=1)
VARIANT = Str(max_len=L.MAX_LABEL)
SHORT = Str(max_len=L.MAX_NAME)

STOCK_ADJUST = Obj({
    "variant": optional(VARIANT),
    "delta": Int(-L.MAX_STOCK_DELTA, L.MAX_STOCK_DELTA),
})

PRODUCT = Obj({
    "code": optional(CODE),
    "name": Str(max_len=L.MAX_NAME, min_len=1),
    "description": optional(Str(max_len=L.MAX_DESCRIPTION), ""),
    "category": optional(Str(max_len=20), "other"),
    "ocop_stars": optional(Int(0, 5)),
    "image": optional(Str(max_len=L.MAX_URL), ""),
    "producer": optional(Obj({"name": optional(SHORT, ""), "commune": optional(SHORT, ""),
                              "province": optional(SHORT, "")}), {}),
    "origin": optional(Obj({
        "batch": optional(SHORT, ""), "produced": optional(Str(max_len=40), ""),
        "expiry": optional(Str(max_len=40), ""),
        "certificates": optional(List(SHORT, max_items=L.MAX_CERTIFICATES), []),
    }), {}),
    "variants": List(Obj({
        "label": optional(VARIANT, ""),
        "price": Int(1, L.MAX_PRICE),
        "stock": optional(Int(0, L.MAX_STOCK), 0),
    }), max_items=L.MAX_VARIANTS, min_items=1),
})

# A Facebook post id: digits, maybe "<page>_<post>" (the show's live video post).
FACEBOOK_POST_ID = Str(max_len=100, test=lambda t: t == "" or t.replace("_", "").isdigit(),
                       hint="must be a Facebook post id like 123_456")

SHOW = Obj({
    "title": Str(max_len=200, min_len=1),
    "lineup": List(CODE, max_items=L.MAX_LINEUP, min_items=1),
    "stream_url": optional(Str(max_len=L.MAX_URL, test=_is_http_url,
                               hint="must be an http(s) URL"), ""),
    "hold_minutes": optional(Int(1, L.MAX_HOLD_MINUTES)),
    "max_per_buyer": optional(Int(1, L.MAX_PER_BUYER)),
    "order_prefix": optional(Str(max_len=6, min_len=1, test=str.isalnum,
                                 hint="must be 1–6 letters or digits")),
    # epoch seconds or ISO 8601; checked by domain.booth.parse_start
    "starts_at": optional(Raw()),
    "facebook_post_id": optional(FACEBOOK_POST_ID, ""),
    "talk_back": optional(Bool(), False),
})
FACEBOOK_POST = Obj({"post_id": optional(FACEBOOK_POST_ID, "")})
TALK_BACK = Obj({"enabled": Bool()})

# "code" must be sent: a product code, or null to unpin.
PIN = Obj({
    "code": Str(max_len=L.MAX_CODE, min_len=1, nullable=True),
    "variant": optional(VARIANT),
})

FLASH = Obj({
    "code": CODE,
    "price": Int(1, L.MAX_PRICE),
    "seconds": Int(1, L.MAX_FLASH_SECONDS),
    "quantity": optional(Int(1, L.MAX_STOCK)),
    "variant": optional(VARIANT),
})

# Each comment is checked on its own by the capture service: one bad comment is answered
# "rejected" without refusing the rest of the batch.
COMMENTS = Obj({"comments": List(Raw(), max_items=10**6)})
HOOK_COMMENTS = Obj({"show": Str(max_len=64, min_len=1),
                     "comments": List(Raw(), max_items=10**6)})

VERSION = Obj({"version": Int(1, L.MAX_VERSION)})


def _lines(minimum_qty: int) -> List:
    return List(Obj({
        "code": CODE, "variant": optional(VARIANT),
        "qty": Int(minimum_qty, L.MAX_LINE_QTY),
    }), max_items=L.MAX_LINES, min_items=1)


CONTACT = Obj({name: optional(Str(max_len=L.MAX_CONTACT), nullable=False)
               for name in ("name", "phone", "address")})
PATCH_ORDER = Obj({
    "version": Int(1, L.MAX_VERSION),
    "lines": optional(_lines(0)),
    "contact": optional(CONTACT),
})
RESOLVE_REVIEW = Obj({"items": _lines(1)})

__all__ = ["CODE_RE", "json_body"]
