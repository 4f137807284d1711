"""Edge helpers: JSON bodies in, JSON errors out, domain errors mapped to statuses."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from .. import keys
from ..domain.errors import DomainError, Invalid, StaleVersion

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def ok(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status,
                        content_type="application/json")


def error(status: int, code: str, message: str, **extra: Any) -> web.Response:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    body.update(extra)
    return ok(body, status)


async def read_json(request: web.Request) -> Any:
    """The request body as JSON, or a 400 that says what is wrong (413 past the size limit)."""
    return parse_json(await request.read())


def parse_json(raw: bytes) -> Any:
    """Bytes as JSON, or Invalid saying what is wrong."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid("request body is not UTF-8") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise Invalid(f"malformed JSON: {exc.msg} at line {exc.lineno}") from None


def want(body: Any, key: str, kind: type | tuple[type, ...], *, required: bool = True,
         default: Any = None) -> Any:
    """A field of a JSON object body, checked for type; Invalid names the field."""
    if not isinstance(body, dict):
        raise Invalid("request body must be a JSON object")
    if key not in body or body[key] is None:
        if required:
            raise Invalid(f"field '{key}' is required", field=key)
        return default
    value = body[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        raise Invalid(f"field '{key}' has the wrong type", field=key)
    if not isinstance(value, kinds):
        raise Invalid(f"field '{key}' has the wrong type", field=key)
    return value


def want_int(body: Any, key: str, *, required: bool = True, minimum: int | None = None,
             default: int | None = None) -> int | None:
    value = want(body, key, int, required=required, default=default)
    if value is not None and minimum is not None and value < minimum:
        raise Invalid(f"field '{key}' must be >= {minimum}", field=key)
    return value  # type: ignore[no-any-return]


def _is_api(request: web.Request) -> bool:
    return request.path.startswith(("/api/", "/hooks/", "/healthz", "/login"))


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Map domain errors and HTTP errors to the contract's JSON error body."""
    try:
        return await handler(request)
    except StaleVersion as exc:
        order = exc.detail.get("order")
        return error(exc.status, exc.code, exc.message,
                     order=order.to_json(base_url=request.app[keys.SETTINGS].public_base)
                     if order is not None else None)
    except DomainError as exc:
        detail = {k: v for k, v in exc.detail.items() if isinstance(v, str | int | list)}
        body: dict[str, Any] = {"code": exc.code, "message": exc.message}
        if isinstance(exc.detail.get("field"), str):
            body["field"] = exc.detail["field"]  # the shape socket acks carry too
        return ok({"error": body, **({"detail": detail} if detail else {})}, exc.status)
    except web.HTTPException as exc:
        if exc.status < 400 or not _is_api(request):
            raise
        code = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                413: "too_large", 429: "rate_limited"}.get(exc.status, "http_error")
        response = error(exc.status, code, exc.reason)
        for header in ("WWW-Authenticate", "Allow", "Retry-After"):
            if header in exc.headers:
                response.headers[header] = exc.headers[header]
        return response
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error(500, "internal", "internal error; see the server log")
