"""Fuzz every JSON body and socket event with random JSON, extreme numbers and odd Unicode.

Whatever arrives: never a 500, never a traceback in an answer, and the books still
balance (available + held + sold = stock put in) for every variant.
"""

from __future__ import annotations

import json
from typing import Any

import socketio  # type: ignore[import-untyped,unused-ignore]
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livesell import keys
from livesell.http.hooks import sign
from tests.conftest import ROLE_TOKENS, auth, comment, post_comments, seed_show

ODD_TEXT = st.sampled_from([
    "\ud800", "\udfff", "a\ud83dz", "\u202eevil", "\u200b\u200d\ufeff", "\x00\x01\x7f",
    "chốt A1 x2", "A2", "+1", "hủy", "🦀" * 50, "x" * 5000, "", " ", "0912345678",
    "Nguyễn Văn An", "\\u0000", "%s%n", "<script>", "'; DROP TABLE orders;--", "ℌ𝔢𝔩𝔩𝔬",
    "A1", "1kg", "500g", "B1", "ZZ9", "DD-0001",
])
NUMBERS = st.one_of(
    st.integers(-10**30, 10**30), st.sampled_from([0, 1, -1, 2**31, 2**53, 2**63, 2**64, 10**19]),
    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([1.0, 0.5, -0.0, 1e308]),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, ODD_TEXT, st.text(max_size=30))
JSON = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=12), inner, max_size=5)),
    max_leaves=12)

FIELDS = {
    "title", "lineup", "stream_url", "hold_minutes", "max_per_buyer", "order_prefix", "code",
    "variant", "price", "seconds", "quantity", "delta", "version", "lines", "contact", "items",
    "qty", "name", "variants", "label", "stock", "description", "category", "ocop_stars",
    "producer", "origin", "comments", "show", "id", "author", "text", "source", "phone",
    "address", "image", "certificates", "facebook_post_id", "talk_back", "post_id", "enabled",
}
# Objects whose keys are the fields the routes know, so checks go deeper than "not an object".
SHAPED = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(sorted(FIELDS)), inner, max_size=6)),
    max_leaves=16)
BODIES = st.one_of(JSON, SHAPED, SHAPED.map(lambda v: {"comments": v if isinstance(v, list)
                                                       else [v]}))

ROUTES = [
    ("POST", "/api/shows"), ("PUT", "/api/products/{code}"),
    ("POST", "/api/products/{code}/stock"), ("POST", "/api/shows/{show}/pin"),
    ("POST", "/api/shows/{show}/flash"), ("POST", "/api/shows/{show}/comments"),
    ("POST", "/api/orders/{order}/{action}"), ("PATCH", "/api/orders/{order}"),
    ("POST", "/api/review/1/resolve"), ("POST", "/api/review/1/dismiss"),
    ("DELETE", "/api/shows/{show}/flash"), ("POST", "/hooks/comments/{source}"),
    ("POST", "/api/shows/{show}/facebook"), ("POST", "/api/shows/{show}/talkback"),
    ("POST", "/api/shows/{show}/connectors/{code}/{action}"),
]


async def _balanced(client: TestClient) -> None:
    for level in await client.app[keys.STORE].stock():
        assert level.available + level.held + level.sold == level.total, level
        assert min(level.available, level.held, level.sold) >= 0, level


def _no_leak(text: str) -> None:
    assert "Traceback" not in text and 'File "' not in text


async def _setup(client: TestClient) -> tuple[str, str]:
    show = await seed_show(client)
    [made] = await post_comments(client, show, [comment("seed", "chốt A2 x2")])
    return show, str(made["order"])


@settings(max_examples=250, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(route=st.sampled_from(ROUTES), body=BODIES, raw=st.booleans(),
       code=st.sampled_from(["A1", "A2", "zz", "Ω", "A" * 40]),
       action=st.sampled_from(["confirm", "reject", "cancel", "paid", "shipped", "bogus"]),
       source=st.sampled_from(["webhook", "youtube", "nope", "site"]),
       role=st.sampled_from(["owner", "host", "staff", "ingest"]))
async def test_http_bodies_never_500(client: TestClient, route: tuple[str, str], body: Any,
                                     raw: bool, code: str, action: str, source: str,
                                     role: str) -> None:
    state = getattr(client, "_fuzz", None)
    if state is None:
        state = await _setup(client)
        client._fuzz = state  # type: ignore[attr-defined]
    show, order = state
    method, template = route
    path = template.format(show=show, code=code, order=order, action=action, source=source)
    data = json.dumps(body).encode()  # lone surrogates travel as \\ud800 escapes
    if raw:  # and sometimes as bytes that are not UTF-8 at all
        data = data.replace(b"A", b"\xff", 1)
    headers = {"Content-Type": "application/json",
               **(auth() if role == "owner" else auth(ROLE_TOKENS[role]))}
    if template.startswith("/hooks/"):
        headers["X-Livesell-Signature"] = sign("hook-secret", source, data,
                                               int(client.app[keys.CLOCK]()))
    resp = await client.request(method, path, data=data, headers=headers)
    text = await resp.text()
    assert resp.status < 500, (resp.status, path, body, text[:300])
    _no_leak(text)
    if resp.status >= 400 and resp.content_type == "application/json":
        error = json.loads(text)["error"]
        assert isinstance(error["code"], str) and isinstance(error["message"], str)
    await _balanced(client)
    assert (await client.get("/api/shows")).status == 200
    assert (await client.get(f"/api/shows/{show}")).status == 200


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(payload=BODIES)
async def test_socket_events_never_crash(client: TestClient, payload: Any) -> None:
    state = getattr(client, "_fuzz_socket", None)
    if state is None:
        show, _ = await _setup(client)
        sio = socketio.AsyncClient(reconnection=False)
        await sio.connect(str(client.make_url("/")), namespaces=["/live"],
                          auth={"show": show}, transports=["websocket"], wait_timeout=5)
        live = client.app[keys.HUB].live
        live.buckets.rate = live.ip_buckets.rate = 1e9  # the rate limit is tested elsewhere
        live.buckets.burst = live.ip_buckets.burst = 1e9
        state = (show, sio)
        client._fuzz_socket = state  # type: ignore[attr-defined]
    _, sio = state
    if isinstance(payload, dict) and "text" not in payload and len(payload) % 2:
        payload = {**payload, "text": "chốt A2"}
    ack = await sio.call("comment", payload, namespace="/live", timeout=5)
    assert isinstance(ack, dict) and isinstance(ack.get("status"), str), ack
    _no_leak(json.dumps(ack))
    if ack["status"] == "rejected" and "error" in ack:
        assert set(ack["error"]) >= {"code", "message"}
    await _balanced(client)
    if not sio.connected:  # pragma: no cover - a crash in the handler would drop the socket
        raise AssertionError("the server dropped the viewer")
