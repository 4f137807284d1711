"""Console pages (host, staff) and the login/logout forms behind them.

A login stores ``role``, ``user``, a fresh ``csrf`` and a random ``sid`` in the encrypted
session cookie. The cookie alone can't be taken back once issued, so logout also records the
``sid`` as ended in the store; a middleware drops any session whose ``sid`` has ended before a
handler (API, console or Socket.IO handshake) reads it. Failed logins are counted per client
address and per account (``login_guard``) so a password can't be guessed at speed.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from aiohttp import web
from aiohttp_session import get_session, new_session

from .. import keys
from ..credentials import ENDED_PREFIX, still_valid, token_credential, user_credential
from ..domain.vietqr import BANKS
from .auth import RANK, Principal, csrf_token, hash_token, identify, principal_for_token
from .login_guard import GUARD, request_address, setup_guard, verify_password
from .render import catalog, language, render, translator

routes = web.RouteTableDef()

COOKIE = "livesell_session"
# Hashing a password nobody has keeps an unknown name as slow as a wrong password, so response
# time does not tell which user names exist.
_DUMMY_HASH = (
    "scrypt$16384$8$1$00000000000000000000000000000000$"
    "0000000000000000000000000000000000000000000000000000000000000000"
)




def setup(app: web.Application) -> None:
    """Console routes, the login throttle and the ended-session check."""
    setup_guard(app)
    app.middlewares.append(ended_sessions_middleware)
    app.add_routes(routes)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def ended_sessions_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Forget a session that was logged out, even when its old cookie is sent again."""
    # Static files never read the session; skip the store read for them.
    if COOKIE in request.cookies and not request.path.startswith("/static/"):
        session = await get_session(request)
        sid = session.get("sid")
        cred = session.get("cred")
        if (isinstance(sid, str) or isinstance(cred, str)) and not await still_valid(
                request.app[keys.STORE], cred if isinstance(cred, str) else None,
                sid if isinstance(sid, str) else None):
            session.invalidate()
    return await handler(request)


def _now(request: web.Request) -> float:
    return float(request.app[keys.CLOCK]())


def safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no host, no protocol-relative ``//`` trick."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(ord(ch) < 32 or ch == "\\" for ch in target):
        return "/"
    return target


def _login_page(request: web.Request, status: int, csrf: str, *, next_url: str = "/",
                message: str = "", username: str = "") -> web.Response:
    response = render(request, "login.html", status=status, csrf=csrf, next_url=next_url,
                      message=message, username=username, user=None)
    response.headers["Cache-Control"] = "no-store"
    return response


@routes.get("/login")
async def login_form(request: web.Request) -> web.Response:
    # The pre-session token ties the form to this browser, so another site can't post a
    # login (login CSRF) into it.
    csrf = await csrf_token(request)
    return _login_page(request, 200, csrf, next_url=safe_next(request.query.get("next")))


async def _password_principal(request: web.Request, username: str,
                              password: str) -> Principal | None:
    found = await request.app[keys.STORE].get_user(username) if username else None
    if found is None:
        await verify_password(password, _DUMMY_HASH)
        return None
    role, stored = found
    if not await verify_password(password, stored) or role not in RANK or role == "ingest":
        return None
    return Principal(role, username, "session")


@routes.post("/login")
async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    session = await get_session(request)
    expected = session.get("csrf")
    sent = str(form.get("csrf", ""))
    next_url = safe_next(str(form.get("next", "")) or None)
    username = str(form.get("username", "")).strip()[:80]
    t = _translate(request)
    if not isinstance(expected, str) or not sent or not hmac.compare_digest(sent, expected):
        return _login_page(request, 403, await csrf_token(request), next_url=next_url,
                           message=t("console.login.expired"), username=username)
    who = request_address(request)
    password = str(form.get("password", ""))
    token = str(form.get("token", "")).strip()
    account = "" if token else username
    guard = request.app[GUARD]
    locked = guard.begin(who, account, _now(request))
    if locked is not None:
        key = "console.login.locked" if locked.scope == "account" else "console.login.throttled"
        response = _login_page(request, 429, expected, next_url=next_url,
                               message=t(key, seconds=locked.seconds,
                                         minutes=max(1, -(-locked.seconds // 60))),
                               username=username)
        response.headers["Retry-After"] = str(locked.seconds)
        return response
    principal: Principal | None = None
    cred = ""
    if token:
        found = await principal_for_token(request.app, token)
        if found is not None and found.role in RANK and found.role != "ingest":
            principal = Principal(found.role, found.name, "session")
            cred = token_credential(hash_token(token), found.via == "admin")
    elif username and password:
        principal = await _password_principal(request, username, password)
        cred = user_credential(username)
    if principal is None:
        return _login_page(request, 401, expected, next_url=next_url,
                           message=t("console.login.failed"), username=username)
    guard.succeed(who, account)
    # A fresh session on every login: a cookie planted before login never gains the role.
    session.invalidate()
    fresh = await new_session(request)
    fresh["role"] = principal.role
    fresh["user"] = principal.name
    fresh["csrf"] = secrets.token_urlsafe(16)
    fresh["sid"] = secrets.token_urlsafe(16)
    fresh["cred"] = cred
    raise web.HTTPSeeOther(next_url)


@routes.post("/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    session = await get_session(request)
    expected = session.get("csrf")
    sent = str(form.get("csrf", ""))
    if not isinstance(expected, str) or not sent or not hmac.compare_digest(sent, expected):
        t = _translate(request)
        return render(request, "console_base.html", status=403, user=None,
                      title=t("console.forbidden"), message=t("console.logout.csrf"))
    sid = session.get("sid")
    if isinstance(sid, str):
        await request.app[keys.STORE].set_meta(ENDED_PREFIX + sid, str(int(_now(request))))
        await request.app[keys.HUB].access.close_session(sid)  # its open consoles, at once
    session.invalidate()
    raise web.HTTPSeeOther("/login")


def _translate(request: web.Request) -> Any:
    return translator(language(request))


async def _console(request: web.Request, role: str, template: str) -> web.StreamResponse:
    show_id = request.match_info["id"]
    principal = await identify(request)
    if principal is None:
        raise web.HTTPSeeOther("/login?next=" + quote(request.path_qs, safe="/"))
    t = _translate(request)
    if not principal.allows(role) or principal.role == "ingest":
        csrf = await csrf_token(request)
        return _login_page(request, 403, csrf, next_url=safe_next(request.path_qs),
                           message=t("console.forbidden.role", role=principal.role,
                                     needed=role))
    show = await request.app[keys.STORE].get_show(show_id)
    if show is None:
        return render(request, "console_base.html", status=404, user=principal,
                      csrf=await csrf_token(request), title=t("console.notfound"),
                      message=t("console.notfound.show", show=show_id))
    base = request.app[keys.SETTINGS].public_url.rstrip("/")
    response = render(
        request, template, show=show.to_json(), user=principal,
        csrf=await csrf_token(request), base_url=base,
        can_host=principal.allows("host"), banks=sorted(BANKS),
        js_i18n={k: v for k, v in _strings(request).items() if k.startswith("console.")},
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _strings(request: web.Request) -> dict[str, str]:
    lang = language(request)
    return {k: v.get(lang) or v.get("vi") or k for k, v in catalog().items()}


@routes.get("/host/{id}")
async def host_console(request: web.Request) -> web.StreamResponse:
    return await _console(request, "host", "host.html")


@routes.get("/staff/{id}")
async def staff_console(request: web.Request) -> web.StreamResponse:
    return await _console(request, "staff", "staff.html")
