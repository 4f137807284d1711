"""Connector routes: the Facebook Page webhook, connector health, start/stop, the show's post.

| route | role | what |
|---|---|---|
| ``GET /hooks/facebook`` | — | webhook verification: echoes ``hub.challenge`` |
| ``POST /hooks/facebook`` | signed | Page feed comments, ``X-Hub-Signature-256`` checked first |
| ``GET /api/shows/{id}/connectors`` | staff | health of every comment source of the show |
| ``POST /api/shows/{id}/connectors/{index}/start``, ``/stop`` | host | run or pause one |
| ``POST /api/shows/{id}/facebook`` | host | ``{"post_id": "..."}``: route that post's comments |
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

from aiohttp import web

from .. import keys
from ..connectors.facebook_hooks import FacebookHooks
from ..connectors.replies import ReplyQueue
from ..connectors.reply_senders import FacebookReplier, GraphReader
from ..connectors.supervisor import ConnectorRunner
from ..domain.errors import Invalid, NotFound
from . import bodies
from .auth import principal, requires
from .bodies import json_body
from .common import ok, read_json

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
FACEBOOK_HOOKS: web.AppKey[FacebookHooks] = web.AppKey("facebook_hooks")
REPLIES: web.AppKey[ReplyQueue] = web.AppKey("replies")


def _runner(request: web.Request) -> ConnectorRunner:
    return request.app[keys.CONNECTORS]


def signature_ok(secret: str, raw: bytes, sent: str) -> bool:
    """``X-Hub-Signature-256`` is ``sha256=<hex HMAC of the raw body>``; compared in constant
    time so the answer's timing tells nothing about the expected value."""
    expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(sent.strip().encode(), expected.encode())


@routes.get("/hooks/facebook")
async def facebook_verify(request: web.Request) -> web.Response:
    """Meta's subscription check: echo the challenge when the verify token matches."""
    token = request.app[keys.SETTINGS].facebook_verify_token
    q = request.query
    sent = q.get("hub.verify_token", "")
    if (not token or q.get("hub.mode") != "subscribe"
            or not hmac.compare_digest(sent.encode(), token.encode())):
        raise web.HTTPForbidden(reason="verification failed")
    return web.Response(text=q.get("hub.challenge", ""), content_type="text/plain")


@routes.post("/hooks/facebook")
async def facebook_hook(request: web.Request) -> web.Response:
    """Page feed changes. 200 only once every comment in it is committed."""
    secret = request.app[keys.SETTINGS].facebook_app_secret
    if not secret:
        raise web.HTTPNotFound(reason="Facebook webhooks are not enabled "
                                      "(set facebook_app_secret)")
    raw = await request.read()
    if not signature_ok(secret, raw, request.headers.get("X-Hub-Signature-256", "")):
        raise web.HTTPUnauthorized(reason="bad or missing X-Hub-Signature-256")
    body = await read_json(request)
    handled = await request.app[FACEBOOK_HOOKS].receive(body)
    return ok({"received": handled})


@routes.get("/api/shows/{id}/connectors")
@requires("staff")
async def connector_health(request: web.Request) -> web.Response:
    show = await request.app[keys.VIEWS].show(request.match_info["id"])
    return ok({"connectors": [s.to_json() for s in _runner(request).statuses(show.id)]})


@routes.post("/api/shows/{id}/connectors/{index}/{action:start|stop}")
@requires("host")
async def connector_action(request: web.Request) -> web.Response:
    show = await request.app[keys.VIEWS].show(request.match_info["id"])
    try:
        index = int(request.match_info["index"])
    except ValueError:
        raise Invalid("connector index must be a number") from None
    running = _runner(request).get(show.id, index)
    if running is None:
        raise NotFound(f"show {show.id} has no connector {index}")
    if request.match_info["action"] == "start":
        running.start()
        running.health.started()
    else:
        await running.stop()
    log.info("%s: %sed by %s", running.name, request.match_info["action"],
             principal(request).actor)
    return ok(running.health.status().to_json())


@routes.post("/api/shows/{id}/facebook")
@requires("host")
@json_body(bodies.FACEBOOK_POST)
async def set_facebook_post(request: web.Request, body: dict[str, Any]) -> web.Response:
    show = await request.app[keys.SERVICE].set_facebook_post(request.match_info["id"],
                                                             body["post_id"])
    return ok(show.to_json())


@routes.post("/api/shows/{id}/talkback")
@requires("host")
@json_body(bodies.TALK_BACK)
async def set_talk_back(request: web.Request, body: dict[str, Any]) -> web.Response:
    show = await request.app[keys.SERVICE].set_talk_back(request.match_info["id"],
                                                         body["enabled"])
    return ok(show.to_json())


@routes.get("/api/shows/{id}/replies")
@requires("staff")
async def list_replies(request: web.Request) -> web.Response:
    """What was answered to buyers, what waits and what failed (newest last)."""
    show = await request.app[keys.VIEWS].show(request.match_info["id"])
    replies = request.app[REPLIES].recent(show.id)
    counts = {state: sum(1 for r in replies if r.state == state)
              for state in ("queued", "sent", "failed")}
    return ok({"talk_back": show.talk_back, **counts,
               "replies": [r.to_json() for r in replies]})


def setup(app: web.Application) -> None:
    """Routes, the runner and the Facebook webhook service (connectors start with the app)."""
    from ..connectors.runner import make_runner

    settings = app[keys.SETTINGS]
    replies = ReplyQueue(app[keys.STORE], settings.public_base, settings.language,
                         app[keys.CLOCK], facebook_mode=settings.facebook_reply)
    if settings.facebook_page_token:
        replies.add_sender(FacebookReplier(access_token=settings.facebook_page_token,
                                           mode=settings.facebook_reply,
                                           base_url=settings.facebook_graph_url))
    app[REPLIES] = replies
    runner = make_runner(app[keys.SERVICE], settings, replies)
    app[keys.CONNECTORS] = runner
    reader = (GraphReader(access_token=settings.facebook_page_token,
                          base_url=settings.facebook_graph_url)
              if settings.facebook_page_token else None)
    app[FACEBOOK_HOOKS] = FacebookHooks(app[keys.SERVICE], runner.webhook_health,
                                        app[keys.CLOCK], replies, reader)
    # /metrics reads connector health at scrape time, as plain JSON-shaped dicts.
    app[keys.METRICS].add_source(
        "connectors", lambda: {"connectors": [s.to_json() for s in runner.statuses()]})
    app.add_routes(routes)
