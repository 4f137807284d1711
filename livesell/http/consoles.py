"""Console pages (host, staff) and the login/logout forms behind them.

A login stores ``role``, ``user``, a fresh ``csrf`` and a random ``sid`` in the encrypted
session cookie. The cookie alone can't be taken back once issued, so logout also records the
``sid`` as ended in the store; a middleware drops any session whose ``sid`` has ended before a
handler (API, console or Socket.IO handshake) reads it. Failed logins are counted per client
address so a password can't be guessed at speed.
"""

from __future__ import annotations

import hmac
import secrets
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from aiohttp import web
from aiohttp_session import get_session, new_session

from .. import keys
from ..domain.vietqr import BANKS
from .auth import RANK, Principal, check_password, csrf_token, identify, principal_for_token
from .render import catalog, language, render, translator

routes = web.RouteTableDef()

COOKIE = "livesell_session"
ENDED_PREFIX = "session_ended:"
MAX_FAILURES = 5
FAILURE_WINDOW = 60.0
# Hashing a password nobody has keeps an unknown name as slow as a wrong password, so response
# time does not tell which user names exist.
_DUMMY_HASH = (
    "scrypt$16384$8$1$00000000000000000000000000000000$"
    "0000000000000000000000000000000000000000000000000000000000000000"
)


@dataclass
class LoginThrottle:
    """Failed logins per client address within a sliding window."""

    limit: int = MAX_FAILURES
    window: float = FAILURE_WINDOW
    failures: dict[str, deque[float]] = field(default_factory=dict)

    def _recent(self, who: str, now: float) -> deque[float]:
        times = self.failures.get(who)
        if times is None:
            return deque()
        while times and now - times[0] >= self.window:
            times.popleft()
        if not times:
            del self.failures[who]
        return times

    def retry_after(self, who: str, now: float) -> int:
        """Seconds until another try is allowed; 0 when it is allowed now."""
        times = self._recent(who, now)
        if len(times) < self.limit:
            return 0
        return max(1, int(self.window - (now - times[0])) + 1)

    def fail(self, who: str, now: float) -> None:
        self._recent(who, now)
        self.failures.setdefault(who, deque(maxlen=self.limit * 2)).append(now)
        # Bound memory when many addresses fail once and never come back.
        if len(self.failures) > 10_000:
            quiet = [k for k, v in self.failures.items() if not v or now - v[-1] > self.window]
            for who_else in quiet:
                del self.failures[who_else]

    def succeed(self, who: str) -> None:
        self.failures.pop(who, None)


THROTTLE = web.AppKey("login_throttle", LoginThrottle)


def setup(app: web.Application) -> None:
    """Console routes, the login throttle and the ended-session check."""
    app[THROTTLE] = LoginThrottle()
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
        if isinstance(sid, str) and await request.app[keys.STORE].get_meta(ENDED_PREFIX + sid):
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
        check_password(password, _DUMMY_HASH)
        return None
    role, stored = found
    if not check_password(password, stored) or role not in RANK or role == "ingest":
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
    who = request.remote or "?"
    now = _now(request)
    throttle = request.app[THROTTLE]
    wait = throttle.retry_after(who, now)
    if wait:
        response = _login_page(request, 429, expected, next_url=next_url,
                               message=t("console.login.throttled", seconds=wait),
                               username=username)
        response.headers["Retry-After"] = str(wait)
        return response
    password = str(form.get("password", ""))
    token = str(form.get("token", "")).strip()
    principal: Principal | None = None
    if token:
        found = await principal_for_token(request.app, token)
        if found is not None and found.role in RANK and found.role != "ingest":
            principal = Principal(found.role, found.name, "session")
    elif username and password:
        principal = await _password_principal(request, username, password)
    if principal is None:
        throttle.fail(who, now)
        return _login_page(request, 401, expected, next_url=next_url,
                           message=t("console.login.failed"), username=username)
    throttle.succeed(who)
    # A fresh session on every login: a cookie planted before login never gains the role.
    session.invalidate()
    fresh = await new_session(request)
    fresh["role"] = principal.role
    fresh["user"] = principal.name
    fresh["csrf"] = secrets.token_urlsafe(16)
    fresh["sid"] = secrets.token_urlsafe(16)
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
