"""Site buyers: the signed, HttpOnly cookie that makes a viewer the same buyer across reloads.

The viewer page (``/s/{id}``) hands out the cookie; the ``/live`` socket reads it on connect
(the browser sends it with the handshake). Scripts on the page never see it, so neither can
anything injected into the page; it is signed, so nobody can claim another buyer's id.
"""

from __future__ import annotations

import re
from http.cookies import SimpleCookie

from aiohttp import hdrs, web

from .. import keys
from ..domain.identity import new_buyer_id
from .buyer_ids import BUYER_COOKIE, BuyerIds

# The viewer page only: the overlay is an OBS source, not a buyer.
_VIEWER_PAGE = re.compile(r"^/s/[^/]+/?$")


async def _issue(request: web.Request, response: web.StreamResponse) -> None:
    """Give every viewer page a buyer cookie (renewed on each visit, same id)."""
    if request.method != "GET" or response.status != 200 or not _VIEWER_PAGE.match(
            request.path):
        return
    ids = request.app[keys.BUYERS]
    buyer = ids.buyer_of(request.cookies) or new_buyer_id()
    # Headers are already built when this signal runs: add the cookie header itself.
    cookie: SimpleCookie = SimpleCookie()
    cookie[BUYER_COOKIE] = ids.signed(buyer)
    morsel = cookie[BUYER_COOKIE]
    morsel["max-age"] = str(ids.max_age)
    morsel["path"] = "/"
    morsel["httponly"] = True
    morsel["samesite"] = "Lax"
    morsel["secure"] = ids.secure
    response.headers.add(hdrs.SET_COOKIE, morsel.OutputString())


def setup(app: web.Application, secret: bytes) -> None:
    app[keys.BUYERS] = BuyerIds.for_settings(app[keys.SETTINGS], secret)
    app.on_response_prepare.append(_issue)
