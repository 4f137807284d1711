"""Buyers on every store: anti-hoarding limits and follow-up comments, books checked after
every step."""

from __future__ import annotations

from dataclasses import replace

from livesell.domain.models import Comment, CommentStatus, OrderStatus
from livesell.store.base import CaptureItem, CaptureRequest, Store

from .test_contract import NOW, assert_conserved, order_req, setup_show


def site_req(cid: str, items: list[tuple[str, str | None, int]], buyer: str = "b1", *,
             phone: str | None = None, origin: str = "addr1", anonymous_cap: int = 3,
             origin_cap: int = 30, kind: str = "order") -> CaptureRequest:
    req = order_req(cid, items, buyer=buyer, phone=phone, kind=kind)
    return replace(req, comment=replace(req.comment, source="site"), anonymous_cap=anonymous_cap,
                   origin=origin, origin_cap=origin_cap)


async def capture(store: Store, req: CaptureRequest) -> tuple[str, str | None, str]:
    (done,) = await store.capture([req], NOW)
    await assert_conserved(store)
    return done.result.status.value, done.result.order, done.result.reason


async def test_anonymous_buyer_holds_a_few_units_until_a_phone(store: Store) -> None:
    await setup_show(store)
    assert (await capture(store, site_req("c1", [("A2", None, 2)])))[0] == "ordered"
    status, code, reason = await capture(store, site_req("c2", [("A1", "1kg", 2)]))
    assert status == "ordered" and "anonymous_limit:3" in reason
    assert (await capture(store, site_req("c3", [("C1", None, 1)])))[:1] == ("rejected",)
    order = await store.get_order(code or "")
    assert order is not None and sum(line.qty for line in order.lines) == 3
    # a phone in the comment lifts the limit to the show's per-buyer cap
    status, _, reason = await capture(store, site_req("c4", [("C1", None, 2)],
                                                      phone="0912888777"))
    assert status == "ordered" and reason == ""
    # ...and from then on, the phone on the order does
    assert (await capture(store, site_req("c5", [("C1", None, 1)])))[0] == "ordered"
    order = await store.get_order(code or "")
    assert order is not None and order.contact.phone == "0912888777"
    assert sum(line.qty for line in order.lines) == 6


async def test_many_buyers_from_one_address_share_one_limit(store: Store) -> None:
    await setup_show(store)
    statuses = []
    for n in range(12):
        status, _, _ = await capture(store, site_req(f"c{n}", [("A2", None, 2)], buyer=f"b{n}",
                                                     origin_cap=7))
        statuses.append(status)
    held = {s.code: s.held for s in await store.stock()}
    assert held["A2"] == 7
    assert statuses[:3] == ["ordered"] * 3 and statuses[3] == "ordered"  # 2+2+2+1
    assert set(statuses[4:]) == {"rejected"}
    # another address is not affected; a platform comment has no such limit
    assert (await capture(store, site_req("x1", [("A2", None, 2)], buyer="far",
                                          origin="addr2", origin_cap=7)))[0] == "ordered"
    assert (await capture(store, order_req("x2", [("A2", None, 5)], buyer="fb")))[0] == "ordered"
    # a cancelled order no longer counts against its address
    status, code, _ = await capture(store, site_req("k1", [], buyer="b0", kind="cancel",
                                                    origin_cap=7))
    assert status == "cancelled"
    assert (await capture(store, site_req("n1", [("A2", None, 2)], buyer="b20",
                                          origin_cap=7)))[0] == "ordered"
    assert {s.code: s.held for s in await store.stock()}["A2"] == 7 + 2 + 5


async def test_limits_hold_within_one_batch(store: Store) -> None:
    await setup_show(store)
    reqs = [site_req(f"c{n}", [("A2", None, 1), ("C1", None, 1)], buyer=f"b{n}", origin_cap=5)
            for n in range(6)]
    await store.capture(reqs, NOW)
    await assert_conserved(store)
    held = {s.code: s.held for s in await store.stock()}
    assert held["A2"] + held["C1"] == 5


async def test_phone_follow_up_sets_the_contact_of_the_open_order(store: Store) -> None:
    await setup_show(store)
    status, _, reason = await capture(store, site_req("p0", [], kind="contact",
                                                      phone="0912888777"))
    assert (status, reason) == ("ignored", "no order to attach to")
    _, code, _ = await capture(store, site_req("c1", [("A2", None, 1)]))
    req = replace(site_req("p1", [], kind="contact", phone="0912888777"))
    req = replace(req, comment=replace(req.comment, text="sdt 0912 888 777"))
    status, order_code, _ = await capture(store, req)
    assert (status, order_code) == ("contact", code)
    order = await store.get_order(code or "")
    assert order is not None and order.contact.phone == "0912888777"
    entry = order.audit[-1]
    assert entry.action == "contact" and "sdt 0912 888 777" in entry.detail
    assert entry.comment_id is not None
    # an address follow-up after staff confirmed still lands on that order
    confirmed = await store.order_action(code or "", "confirm", order.version, "staff", NOW)
    assert confirmed.order.status == OrderStatus.CONFIRMED
    address = CaptureRequest(Comment("s1", "site", "p2", "b1", "Nguyễn Văn An",
                                     "giao 12 Lý Thường Kiệt", NOW), "contact",
                             address="12 Lý Thường Kiệt")
    (done,) = await store.capture([address], NOW)
    assert done.result.status == CommentStatus.CONTACT and done.result.order == code
    order = await store.get_order(code or "")
    assert order is not None and order.contact.address == "12 Lý Thường Kiệt"
    assert order.contact.phone == "0912888777"


async def test_resolving_review_is_not_limited(store: Store) -> None:
    await setup_show(store)
    (done,) = await store.capture([site_req("r1", [("A1", None, 1)])], NOW)
    assert done.result.status == CommentStatus.REVIEW
    items = await store.list_review("s1")
    changed = await store.resolve_review(items[0].id, [CaptureItem("A1", "1kg", 5)], "staff",
                                         NOW)
    assert sum(line.qty for line in changed.order.lines) == 5
    await assert_conserved(store)


async def test_unclear_contact_becomes_a_note_and_a_review_item(store: Store) -> None:
    await setup_show(store)
    (none,) = await store.capture([replace(site_req("n0", [], kind="contact"),
                                           note="Cà Mau")], NOW)
    assert none.result.status == CommentStatus.REVIEW  # no order: still kept for staff
    _, code, _ = await capture(store, site_req("c1", [("A2", None, 1)]))
    req = replace(site_req("n1", [], kind="contact"), note="Cà Mau")
    req = replace(req, comment=replace(req.comment, text="ship về Cà Mau nha"))
    (done,) = await store.capture([req], NOW)
    assert done.result.status == CommentStatus.REVIEW and done.result.order == code
    assert not any(type(e).__name__ == "CommentReceived" for e in done.events)
    order = await store.get_order(code or "")
    assert order is not None and order.contact.address == ""
    assert order.audit[-1].action == "note" and "ship về Cà Mau nha" in order.audit[-1].detail
    reasons = [item.reason for item in await store.list_review("s1")]
    assert reasons == ["contact note: address unclear"] * 2
    await assert_conserved(store)


def follow_req(cid: str, kind: str, items: list[tuple[str, str | None, int]],
               text: str = "") -> CaptureRequest:
    req = order_req(cid, items, kind=kind)
    return replace(req, comment=replace(req.comment, text=text or f"text {cid}"))


async def lines_of(store: Store, code: str) -> list[tuple[str, int, str]]:
    order = await store.get_order(code)
    assert order is not None
    return [(f"{line.code}:{line.variant}", line.qty, line.state.value) for line in order.lines
            if line.state.value != "released"]


async def test_cancelling_one_unit_keeps_the_rest(store: Store) -> None:
    await setup_show(store, max_per_buyer=20)
    _, code, _ = await capture(store, order_req("c1", [("A2", None, 3)]))
    await capture(store, order_req("c2", [("A2", None, 2)]))
    status, order, _ = await capture(store, follow_req("r1", "reduce", [("A2", None, 1)],
                                                       "huỷ 1 A2"))
    assert (status, order) == ("cancelled", code)
    assert sorted(await lines_of(store, code or "")) == [("A2:", 1, "held"), ("A2:", 3, "held")]
    assert (await store.stock(["A2"]))[0].held == 4
    status, _, _ = await capture(store, follow_req("r2", "reduce", [("A2", None, 9)]))
    assert status == "cancelled"
    fresh = await store.get_order(code or "")
    assert fresh is not None and fresh.status == OrderStatus.CANCELLED
    assert "huỷ 1 A2" in next(a.detail for a in fresh.audit if a.comment_id and
                              a.action == "cancel")
    assert (await capture(store, follow_req("r3", "reduce", [("A2", None, 1)])))[0] == "ignored"


async def test_a_partial_cancel_serves_the_waitlist(store: Store) -> None:
    await setup_show(store)
    await capture(store, order_req("c1", [("C1", None, 10)]))
    _, waiting, _ = await capture(store, order_req("c2", [("C1", None, 2)], buyer="u2"))
    await capture(store, follow_req("r1", "reduce", [("C1", None, 3)]))
    assert await lines_of(store, waiting or "") == [("C1:", 2, "held")]


async def test_changing_the_size_moves_the_units_when_stock_allows(store: Store) -> None:
    await setup_show(store, max_per_buyer=50)
    _, code, _ = await capture(store, order_req("c1", [("A1", "500g", 2)]))
    status, order, _ = await capture(store, follow_req(
        "d1", "change", [("A1", None, 0), ("A1", "1kg", 0)], "đổi sang 1kg"))
    assert (status, order) == ("ordered", code)
    assert await lines_of(store, code or "") == [("A1:1kg", 2, "held")]
    books = {f"{s.code}:{s.variant}": s.held for s in await store.stock(["A1"])}
    assert books == {"A1:500g": 0, "A1:1kg": 2}
    fresh = await store.get_order(code or "")
    assert fresh is not None and any(a.action == "change" and "đổi sang 1kg" in a.detail
                                     for a in fresh.audit)
    # not enough of the other size: nothing moves, staff decide
    await capture(store, order_req("big", [("A1", "500g", 50)], buyer="u9"))
    status, _, reason = await capture(store, follow_req(
        "d2", "change", [("A1", None, 0), ("A1", "500g", 0)], "đổi qua 500g"))
    assert status == "review" and reason.startswith("only 0 of A1 500g")
    assert await lines_of(store, code or "") == [("A1:1kg", 2, "held")]
    # nothing of that product in the order: staff read it
    status, _, _ = await capture(store, follow_req("d3", "change",
                                                   [("B1", None, 0), ("B1", "1l", 0)]))
    assert status == "review"


async def test_cancel_or_change_after_confirm_goes_to_review_with_an_alert(
        store: Store) -> None:
    await setup_show(store)
    _, code, _ = await capture(store, order_req("c1", [("A2", None, 2)]))
    order = await store.get_order(code or "")
    assert order is not None
    await store.order_action(code or "", "confirm", order.version, "staff", NOW)
    for cid, kind, items in (("k1", "cancel", []), ("k2", "reduce", [("A2", None, 1)]),
                             ("k3", "change", [("A1", None, 0), ("A1", "1kg", 0)])):
        status, order_code, reason = await capture(store, follow_req(cid, kind, items))
        assert (status, order_code) == ("review", code), kind
        assert reason.startswith("alert:") and code in reason
    reviews = await store.list_review("s1")
    assert [r.reason.split(" after")[0] for r in reviews] == [
        "alert: cancel", "alert: cancel", "alert: change"]
    fresh = await store.get_order(code or "")
    assert fresh is not None and fresh.status == OrderStatus.CONFIRMED
    assert (await store.stock(["A2"]))[0].sold == 2


async def test_the_comments_behind_an_order(store: Store) -> None:
    await setup_show(store)
    first = follow_req("c1", "order", [("A2", None, 2)], "chốt A2 x2")
    (done,) = await store.capture([first], NOW)
    code = done.result.order or ""
    await store.capture([follow_req("c2", "reduce", [("A2", None, 1)], "huỷ 1 A2"),
                         follow_req("c3", "chat", [], "hello"),
                         replace(follow_req("c4", "contact", [], "sdt 0912888777"),
                                 phone="0912888777")], NOW)
    said = await store.order_comments(code.lower())
    assert [(c["text"], c["status"]) for c in said] == [
        ("chốt A2 x2", "ordered"), ("huỷ 1 A2", "cancelled"), ("sdt 0912888777", "contact")]
    order = await store.get_order(code)
    assert order is not None and order.lines[0].comment_id == said[0]["id"]
    assert await store.order_comments("DD-9999") == []
