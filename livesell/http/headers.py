"""Security headers on every response, and the one safe way to know this server's address.

Every HTML page gets a Content-Security-Policy (public pages already carry theirs; consoles
and the login form get :data:`CONSOLE_CSP`) and may not be framed (``frame-ancestors
'none'``), except the OBS overlay, which streaming tools load as a browser source or frame.

Links and QR codes are built from ``public_url``. Without it, the request's ``Host`` is
used only when it is one of ``allowed_hosts`` (requests for any other host are refused when
that list is set) or a loopback name; otherwise from the address the server listens on.
A forged ``Host`` therefore never ends up in a printed QR code or a buyer's link.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from aiohttp import web

from .. import keys

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

NO_FRAMES = "frame-ancestors 'none'"
CONSOLE_CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: https:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    NO_FRAMES,
])
_OVERLAY = re.compile(r"^/s/[^/]+/overlay/?$")
_LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]"}


def _hostname(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_allowed(request: web.Request) -> bool:
    """Whether the request's Host may appear in links (see the module docstring)."""
    settings = request.app[keys.SETTINGS]
    name = _hostname(request.host or "")
    allowed = {h.strip().lower() for h in settings.allowed_hosts}
    return name in allowed or name in _LOOPBACK


def base_url(request: web.Request) -> str:
    """The public address of this server, never taken from an untrusted Host header."""
    settings = request.app[keys.SETTINGS]
    if not settings.public_url and host_allowed(request):
        return f"{request.scheme}://{request.host}"
    return settings.public_base


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse hosts outside ``allowed_hosts`` (when set); put CSP and framing rules on pages."""
    settings = request.app[keys.SETTINGS]
    if settings.allowed_hosts and not host_allowed(request):
        return web.Response(status=421, text="unknown host\n")
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if _OVERLAY.match(request.path):
        return response
    response.headers.setdefault("X-Frame-Options", "DENY")
    if response.content_type == "text/html":
        csp = response.headers.get("Content-Security-Policy")
        if csp is None:
            response.headers["Content-Security-Policy"] = CONSOLE_CSP
        elif "frame-ancestors" not in csp:
            response.headers["Content-Security-Policy"] = f"{csp}; {NO_FRAMES}"
    return response


@web.middleware
async def polling_limit(request: web.Request, handler: Handler) -> web.StreamResponse:
    """An Engine.IO long-polling POST over ``socket_max_message`` answers 413 at once.

    Engine.IO refuses such a body without reading it, which left the client sending into a
    connection nobody read; a POST without a length can't be read by Engine.IO at all."""
    if request.method == "POST" and request.path.startswith("/socket.io"):
        limit = request.app[keys.SETTINGS].socket_max_message
        if request.content_length is None:
            raise web.HTTPLengthRequired(headers={"Connection": "close"})
        if request.content_length > limit:
            raise web.HTTPRequestEntityTooLarge(max_size=limit,
                                                actual_size=request.content_length,
                                                headers={"Connection": "close"})
    return await handler(request)
