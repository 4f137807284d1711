"""Rendering helpers shared by every page: language, translations, money, templates.

Translations live in ``livesell/web/i18n/*.json`` as ``{"key": {"vi": "...", "en": "..."}}``; every
file is merged at start-up. Vietnamese is the default; ``?lang=en`` switches and is remembered
in a cookie.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from aiohttp import web

from .. import keys
from ..domain.money import format_vnd

LANGS = ("vi", "en")
I18N = Path(__file__).resolve().parent.parent / "web" / "i18n"


@lru_cache(maxsize=1)
def catalog() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(I18N.glob("*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def language(request: web.Request) -> str:
    lang = request.query.get("lang") or request.cookies.get("lang")
    return lang if lang in LANGS else request.app[keys.SETTINGS].language


def translator(lang: str) -> Any:
    table = catalog()

    def t(key: str, **values: Any) -> str:
        entry = table.get(key)
        text = (entry.get(lang) or entry.get("vi") or key) if entry else key
        return text.format(**values) if values else text

    return t


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    """Render a template with ``t`` (translate), ``vnd`` (money), ``lang`` and the context."""
    lang = language(request)
    env = request.app[keys.JINJA]
    html = env.get_template(template).render(
        t=translator(lang), vnd=format_vnd, lang=lang, request=request,
        i18n={k: v.get(lang, v.get("vi", k)) for k, v in catalog().items()}, **context)
    response = web.Response(text=html, content_type="text/html", status=status)
    if request.query.get("lang") in LANGS:
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="Lax")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response
