"""Comment intake and staff actions through HTTP: the invariants under concurrency."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import json
from typing import Any

from aiohttp.test_utils import TestClient

from livesell import keys
from livesell.http.hooks import sign
from tests.conftest import ROLE_TOKENS, Clock, auth, comment, post_comments, seed_show


async def stock_of(client: TestClient, show: str) -> dict[str, tuple[int, int, int]]:
    resp = await client.get(f"/api/shows/{show}/stock", headers=auth(ROLE_TOKENS["staff"]))
    assert resp.status == 200
    return {f"{s['code']}:{s['variant']}": (s["available"], s["held"], s["sold"])
            for s in await resp.json()}


async def test_two_thousand_concurrent_orders_for_ten_units(client: TestClient) -> None:
    show = await seed_show(client)
    sem = asyncio.Semaphore(100)

    async def one(i: int) -> str:
        async with sem:
            [result] = await post_comments(client, show, [comment(f"c{i}", "chốt C1",
                                                                  author=f"buyer{i}")])
            return str(result["status"])

    statuses = await asyncio.gather(*(one(i) for i in range(2000)))
    assert statuses.count("ordered") == 10
    assert statuses.count("waitlisted") == 1990
    assert (await stock_of(client, show))["C1:"] == (0, 10, 0)
    orders = (await (await client.get(f"/api/shows/{show}/orders",
                                      headers=auth())).json())["orders"]
    held = [ln for o in orders for ln in o["lines"] if ln["state"] == "held"]
    assert sum(ln["qty"] for ln in held) == 10


async def test_same_batch_from_five_clients_creates_each_order_once(client: TestClient) -> None:
    show = await seed_show(client)
    batch = [comment(f"dup{i}", f"A2 x{1 + i % 2}", author=f"b{i}") for i in range(100)]
    answers = await asyncio.gather(*(post_comments(client, show, batch) for _ in range(5)))
    per_comment: dict[str, list[str]] = {}
    for answer in answers:
        for result in answer:
            per_comment.setdefault(result["id"], []).append(result["status"])
    assert len(per_comment) == 100
    for statuses in per_comment.values():
        assert statuses.count("duplicate") == 4
        assert {s for s in statuses if s != "duplicate"} <= {"ordered", "waitlisted"}
    # 150 units asked for 80 in stock: all held once, never more
    assert (await stock_of(client, show))["A2:"] == (0, 80, 0)


async def test_results_for_each_kind(client: TestClient) -> None:
    show = await seed_show(client)
    results = await post_comments(client, show, [
        comment("1", "chốt A1 1kg x2 0912.345.678", author="a"),
        comment("2", "còn hàng không shop?", author="b"),
        comment("3", "hay quá", author="c"),
        comment("4", "hủy A1", author="a"),
        comment("5", "chốt mã ZZ9", author="d"),
        comment("6", "x" * 2001, author="e"),
        {"source": "sim", "text": "no id"},
        {"source": "nowhere", "id": "7", "text": "A2"},
        comment("8", "A2", author="f"),
    ])
    statuses = [r["status"] for r in results]
    assert statuses == ["ordered", "question", "ignored", "cancelled", "review", "rejected",
                        "rejected", "rejected", "ordered"]
    assert results[0]["order"] == results[3]["order"]
    assert "2000" in results[5]["reason"]


async def test_bad_input_is_refused_clearly(client: TestClient) -> None:
    show = await seed_show(client)
    url = f"/api/shows/{show}/comments"
    resp = await client.post(url, data=b"{oops", headers=auth())
    assert resp.status == 400 and (await resp.json())["error"]["code"] == "invalid"
    resp = await client.post(url, data=b"\xff\xfe", headers=auth())
    assert resp.status == 400
    resp = await client.post(url, json={"comments": "A1"}, headers=auth())
    assert resp.status == 400
    resp = await client.post(url, json={"comments": [comment(str(i), "A2") for i in range(501)]},
                             headers=auth())
    assert resp.status == 413 and (await resp.json())["error"]["code"] == "too_large"
    resp = await client.post(url, data=io.BytesIO(b"x" * (1_048_576 + 10)), headers=auth())
    assert resp.status == 413
    resp = await client.post("/api/shows/nope/comments", json={"comments": []}, headers=auth())
    assert resp.status == 404
    # nothing above reserved anything
    assert (await stock_of(client, show))["A2:"] == (80, 0, 0)


async def test_html_and_control_characters_are_kept_as_text(client: TestClient) -> None:
    show = await seed_show(client)
    evil = 'chốt A2 <img src=x onerror=alert(1)>\x00\x07'
    [r] = await post_comments(client, show, [comment("e1", evil, name="<b>bad</b>")])
    assert r["status"] == "ordered"
    order = await (await client.get(f"/api/orders/{r['order']}", headers=auth())).json()
    assert order["buyer_name"] == "<b>bad</b>"
    snap = await (await client.get(f"/api/shows/{show}")).json()
    assert snap["comments"][-1]["text"] == "chốt A2 <img src=x onerror=alert(1)>"


async def test_staff_race_one_wins_other_gets_409_with_fresh_order(client: TestClient) -> None:
    show = await seed_show(client)
    [r] = await post_comments(client, show, [comment("c1", "A2 x2")])
    code = r["order"]
    order = await (await client.get(f"/api/orders/{code}", headers=auth())).json()
    staff = auth(ROLE_TOKENS["staff"])
    first, second = await asyncio.gather(
        client.post(f"/api/orders/{code}/confirm", json={"version": order["version"]},
                    headers=staff),
        client.post(f"/api/orders/{code}/reject", json={"version": order["version"]},
                    headers=staff))
    assert sorted([first.status, second.status]) == [200, 409]
    loser = second if second.status == 409 else first
    body = await loser.json()
    assert body["error"]["code"] == "stale_version"
    assert body["order"]["version"] == order["version"] + 1


async def test_staff_flow_and_illegal_transitions(client: TestClient) -> None:
    show = await seed_show(client)
    [r] = await post_comments(client, show, [comment("c1", "A2 x2 0912345678")])
    code = r["order"]
    staff = auth(ROLE_TOKENS["staff"])

    async def act(action: str, version: int) -> Any:
        return await client.post(f"/api/orders/{code}/{action}", json={"version": version},
                                 headers=staff)

    resp = await act("paid", 2)
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "illegal_transition"
    version = 2
    for action, status in (("confirm", "confirmed"), ("paid", "paid"), ("shipped", "shipped")):
        resp = await act(action, version)
        assert resp.status == 200, await resp.text()
        body = await resp.json()
        assert body["status"] == status
        version = body["version"]
    assert (await stock_of(client, show))["A2:"] == (78, 0, 2)
    assert (await act("teleport", version)).status == 404
    resp = await client.post(f"/api/orders/{code}/confirm", json={}, headers=staff)
    assert resp.status == 400
    assert (await act("confirm", version)).status == 409
    resp = await client.post("/api/orders/XX-9999/confirm", json={"version": 1}, headers=staff)
    assert resp.status == 404
    listed = await (await client.get(f"/api/shows/{show}/orders?status=shipped",
                                     headers=staff)).json()
    assert [o["code"] for o in listed["orders"]] == [code]
    assert listed["orders"][0]["contact"]["phone"] == "0912345678"


async def test_patch_lines_and_contact(client: TestClient) -> None:
    show = await seed_show(client)
    [r] = await post_comments(client, show, [comment("c1", "C1 x4")])
    code = r["order"]
    staff = auth(ROLE_TOKENS["staff"])
    resp = await client.patch(f"/api/orders/{code}", headers=staff, json={
        "version": 2, "lines": [{"code": "C1", "qty": 11}]})
    assert resp.status == 409
    assert (await resp.json())["error"]["code"] == "insufficient_stock"
    resp = await client.patch(f"/api/orders/{code}", headers=staff, json={
        "version": 2, "lines": [{"code": "C1", "qty": 6}],
        "contact": {"phone": "0987654321", "address": "Ấp 3, Tân Thành, Cà Mau"}})
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert sum(ln["qty"] for ln in body["lines"] if ln["state"] == "held") == 6
    assert body["contact"] == {"name": "Nguyễn Văn An", "phone": "0987654321",
                               "address": "Ấp 3, Tân Thành, Cà Mau"}
    for bad in ({"version": body["version"]}, {"version": body["version"], "lines": []},
                {"version": body["version"], "contact": {"name": 5}},
                {"lines": [{"code": "C1", "qty": 1}]}):
        resp = await client.patch(f"/api/orders/{code}", headers=staff, json=bad)
        assert resp.status == 400, bad


async def test_hold_expiry_with_the_injected_clock(client: TestClient, clock: Clock) -> None:
    show = await seed_show(client, hold_minutes=15)
    [a] = await post_comments(client, show, [comment("c1", "C1 x10", author="a")])
    [b] = await post_comments(client, show, [comment("c2", "C1 x3", author="b")])
    assert b["status"] == "waitlisted"
    service = client.app[keys.SERVICE]
    clock.advance(14 * 60)
    assert await service.expire_holds() == 0
    clock.advance(60)
    assert await service.expire_holds() > 0
    order_a = await (await client.get(f"/api/orders/{a['order']}", headers=auth())).json()
    order_b = await (await client.get(f"/api/orders/{b['order']}", headers=auth())).json()
    assert order_a["status"] == "expired"
    assert [(ln["qty"], ln["state"]) for ln in order_b["lines"]] == [(3, "held")]
    assert (await stock_of(client, show))["C1:"] == (7, 3, 0)


async def test_review_queue_resolve_and_dismiss(client: TestClient) -> None:
    show = await seed_show(client)
    await post_comments(client, show, [comment("r1", "chốt A1", author="a"),
                                       comment("r2", "lấy cái đó", author="b")])
    staff = auth(ROLE_TOKENS["staff"])
    items = (await (await client.get(f"/api/shows/{show}/review", headers=staff)).json())[
        "review"]
    assert [i["text"] for i in items] == ["chốt A1", "lấy cái đó"]
    resp = await client.post(f"/api/review/{items[0]['id']}/resolve", headers=staff,
                             json={"items": [{"code": "A1", "variant": "500g", "qty": 2}]})
    assert resp.status == 200, await resp.text()
    assert [(ln["variant"], ln["qty"]) for ln in (await resp.json())["lines"]] == [("500g", 2)]
    resp = await client.post(f"/api/review/{items[0]['id']}/dismiss", headers=staff)
    assert resp.status == 409
    resp = await client.post(f"/api/review/{items[1]['id']}/dismiss", headers=staff)
    assert resp.status == 200
    for path in ("/api/review/999/dismiss", "/api/review/abc/dismiss"):
        assert (await client.post(path, headers=staff)).status == 404
    resp = await client.post(f"/api/review/{items[1]['id']}/resolve", headers=staff,
                             json={"items": []})
    assert resp.status == 400


async def test_report_json_and_csv(client: TestClient) -> None:
    show = await seed_show(client)
    [r, _] = await post_comments(client, show, [comment("c1", "A2 x2", author="a"),
                                             comment("c2", "B1 1l", author="b")])
    await client.post(f"/api/orders/{r['order']}/confirm", json={"version": 2},
                      headers=auth())
    report = await (await client.get(f"/api/shows/{show}/report", headers=auth())).json()
    assert report["totals"]["revenue"] == 240000
    assert report["totals"]["units_sold"] == 2 and report["totals"]["units_held"] == 1
    resp = await client.get(f"/api/shows/{show}/report.csv", headers=auth())
    text = await resp.text()
    assert resp.content_type == "text/csv"
    assert "A2,,0,2,0,240000" in text


async def test_webhook_needs_a_valid_signature(client: TestClient) -> None:
    show = await seed_show(client)
    body = json.dumps({"show": show, "comments": [comment("w1", "A2", source="webhook")]})
    old = "sha256=" + hmac.new(b"hook-secret", body.encode(), hashlib.sha256).hexdigest()
    good = sign("hook-secret", "webhook", body.encode(), int(client.app[keys.CLOCK]()))
    for signature in ("", "sha256=00", old, good.replace("v1=", "v0=")):
        resp = await client.post("/hooks/comments/webhook", data=body,
                                 headers={"X-Livesell-Signature": signature})
        assert resp.status == 401
    resp = await client.post("/hooks/comments/webhook", data=body,
                             headers={"X-Livesell-Signature": good})
    assert resp.status == 200
    assert (await resp.json())["results"][0]["status"] == "ordered"
    resp = await client.post("/hooks/comments/webhook", data=body,
                             headers={"X-Livesell-Signature": good})
    assert (await resp.json())["results"][0]["status"] == "duplicate"
