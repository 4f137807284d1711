"""Facebook Page webhooks: verification, signatures checked first, feed comments into the
show whose facebook_post_id they name, edits to review, removals flagged, repeats harmless."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livesell import keys
from livesell.connectors.facebook_hooks import created_time, feed_changes
from livesell.domain import reasons
from tests.conftest import auth, seed_show
from tests.connectors.conftest import FB_SECRET, FB_VERIFY, AppFactory
from tests.connectors.fakes import held

PAGE = "1122334455"
POST = f"{PAGE}_998877"


def change(verb: str, cid: str, text: str = "", user: str | None = "u1",
           name: str = "Trần Thị Bình", post: str = POST,
           created: Any = 1_800_000_000) -> dict[str, Any]:
    value: dict[str, Any] = {"item": "comment", "verb": verb, "post_id": post,
                             "comment_id": f"998877_{cid}", "parent_id": post,
                             "created_time": created}
    if text:
        value["message"] = text
    if user is not None:
        value["from"] = {"id": user, "name": name}
    return {"field": "feed", "value": value}


def delivery(*changes: dict[str, Any], page: str = PAGE) -> bytes:
    body = {"object": "page", "entry": [{"id": page, "time": 1_800_000_000,
                                         "changes": list(changes)}]}
    return json.dumps(body, ensure_ascii=False).encode()


def sign(raw: bytes, secret: str = FB_SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}


async def push(client: TestClient, raw: bytes, headers: dict[str, str] | None = None) -> int:
    resp = await client.post("/hooks/facebook", data=raw,
                             headers=sign(raw) if headers is None else headers)
    return resp.status


async def fb_show(client: TestClient, **extra: Any) -> str:
    return await seed_show(client, facebook_post_id=POST, **extra)


async def review(client: TestClient, show: str) -> list[dict[str, Any]]:
    resp = await client.get(f"/api/shows/{show}/review", headers=auth())
    assert resp.status == 200
    body = await resp.json()
    return list(body["review"])


async def test_verification_echoes_the_challenge_only_for_the_right_token(
        client: TestClient) -> None:
    ok = {"hub.mode": "subscribe", "hub.verify_token": FB_VERIFY, "hub.challenge": "1158201444"}
    resp = await client.get("/hooks/facebook", params=ok)
    assert resp.status == 200 and await resp.text() == "1158201444"
    for bad in ({**ok, "hub.verify_token": "wrong"}, {**ok, "hub.mode": "unsubscribe"},
                {"hub.challenge": "x"}):
        resp = await client.get("/hooks/facebook", params=bad)
        assert resp.status == 403


async def test_signature_is_checked_before_the_body_is_read(client: TestClient) -> None:
    show = await fb_show(client)
    raw = delivery(change("add", "1", "chốt A1"))
    assert await push(client, raw, {}) == 401
    assert await push(client, raw, sign(raw, "another-secret")) == 401
    assert await push(client, raw + b" ", sign(raw)) == 401  # body changed after signing
    assert await push(client, raw, {"X-Hub-Signature-256": "sha1=" + "0" * 40}) == 401
    # Garbage that is not JSON, unsigned: refused for the signature, never parsed (no 400).
    assert await push(client, b"{not json", {}) == 401
    assert await push(client, b"{not json", sign(b"{not json")) == 400
    assert await client.app[keys.STORE].list_orders(show) == []


async def test_comments_go_to_the_show_of_their_post_once(make_app: AppFactory) -> None:
    client = await make_app()
    show = await fb_show(client)
    other = await seed_show(client)  # no Facebook post: gets nothing
    raw = delivery(
        change("add", "1", "chốt A2 x2", user="u1"),
        change("add", "2", "C1", user="u2", name="Lê Văn Cường",
               created="2026-11-28T06:30:00+0000"),
        change("add", "3", "Cảm ơn mọi người!", user=PAGE, name="HTX Cua"),  # the Page itself
        change("add", "4", "chốt C1", post=f"{PAGE}_111"),  # another post
        change("add", "5", "chốt C1", user=None),  # from absent: the comment is the buyer
        {"field": "feed", "value": {"item": "reaction", "verb": "add", "post_id": POST}},
    )
    assert await push(client, raw) == 200
    assert (await held(client, show))["A2:"] == 2
    assert (await held(client, show))["C1:"] == 2
    assert len(await client.app[keys.STORE].list_orders(show)) == 3
    assert await client.app[keys.STORE].list_orders(other) == []
    # Facebook retries the same delivery (it never saw our 200): nothing changes.
    assert await push(client, raw) == 200
    assert (await held(client, show))["A2:"] == 2
    assert len(await client.app[keys.STORE].list_orders(show)) == 3
    resp = await client.get(f"/api/shows/{show}/connectors", headers=auth())
    [hook] = (await resp.json())["connectors"]
    assert hook["kind"] == "facebook_webhook" and hook["comments"] == 3
    assert hook["duplicates"] == 3 and hook["state"] == "live"


async def test_an_edit_that_changes_the_order_goes_to_review(client: TestClient) -> None:
    show = await fb_show(client)
    assert await push(client, delivery(change("add", "1", "chốt A2"))) == 200
    assert (await held(client, show))["A2:"] == 1
    # Same order, other words: nothing to review.
    assert await push(client, delivery(change("edited", "1", "chốt A2 nha shop"))) == 200
    assert await review(client, show) == []
    # Now it would buy something else: the hold stays, staff decide.
    edit = delivery(change("edited", "1", "chốt A2 x3"))
    assert await push(client, edit) == 200
    assert await push(client, edit) == 200  # a repeat of the same edit
    [item] = await review(client, show)
    assert item["text"] == "chốt A2 x3" and item["reason"].startswith("edited_on_platform")
    assert "edited on Facebook" in reasons.describe(item["reason"], "en")
    assert (await held(client, show))["A2:"] == 1
    # An edit of a comment we never saw is simply a comment.
    assert await push(client, delivery(change("edited", "9", "chốt C1", user="u9"))) == 200
    assert (await held(client, show))["C1:"] == 1
    # Chatter edited into more chatter stays out of the queue.
    await push(client, delivery(change("add", "7", "hello shop", user="u7")))
    await push(client, delivery(change("edited", "7", "hello shop ơi", user="u7")))
    assert len(await review(client, show)) == 1


async def test_a_removed_comment_is_flagged_for_staff(client: TestClient) -> None:
    show = await fb_show(client)
    await push(client, delivery(change("add", "1", "chốt A2"), change("add", "2", "đẹp quá",
                                                                       user="u2")))
    [order] = await client.app[keys.STORE].list_orders(show)
    removal = delivery(change("remove", "1", user="u1"), change("remove", "2", user="u2"))
    assert await push(client, removal) == 200
    assert await push(client, removal) == 200
    [item] = await review(client, show)
    assert item["reason"] == f"deleted_on_platform_order:Facebook:{order.code}"
    assert "deleted on Facebook" in reasons.describe(item["reason"], "en")
    assert item["text"] == "chốt A2"
    assert (await held(client, show))["A2:"] == 1  # nothing released behind staff's back


async def test_the_post_is_set_at_creation_or_later_and_checked(client: TestClient) -> None:
    resp = await client.post("/api/shows", json={"title": "x", "lineup": ["A1"],
                                                 "facebook_post_id": "not a post"},
                             headers=auth())
    assert resp.status == 400
    show = await seed_show(client)
    resp = await client.post(f"/api/shows/{show}/facebook", json={"post_id": POST},
                             headers=auth("test-staff-token"))
    assert resp.status == 403
    resp = await client.post(f"/api/shows/{show}/facebook", json={"post_id": POST},
                             headers=auth())
    assert resp.status == 200 and (await resp.json())["facebook_post_id"] == POST
    await push(client, delivery(change("add", "1", "chốt A2")))
    assert (await held(client, show))["A2:"] == 1
    # Ended shows take nothing, and Facebook still gets its 200.
    await client.post(f"/api/shows/{show}/end", headers=auth())
    assert await push(client, delivery(change("add", "2", "chốt A2", user="u2"))) == 200
    assert (await held(client, show))["A2:"] == 1


async def test_off_without_an_app_secret(aiohttp_client: Any, settings: Any) -> None:
    from livesell.app import create_app

    client = await aiohttp_client(create_app(settings.with_(facebook_app_secret="")))
    raw = delivery(change("add", "1", "chốt A1"))
    assert await push(client, raw) == 404


def test_created_time_takes_epoch_and_iso() -> None:
    assert created_time(1_800_000_000) == 1_800_000_000.0
    assert created_time("1800000000") == 1_800_000_000.0
    assert created_time("2026-11-28T06:30:00+0000") == created_time("2026-11-28T06:30:00+00:00")
    assert created_time("soon") is None and created_time(None) is None


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.sampled_from(
                               ["entry", "changes", "field", "value", "item", "verb",
                                "post_id", "comment_id", "from", "id", "message"]),
                               inner, max_size=5), max_leaves=20)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_any_json_body_parses_without_crashing(body: Any) -> None:
    for found in feed_changes(body):
        assert found.verb in ("add", "edited", "remove") and found.comment_id
