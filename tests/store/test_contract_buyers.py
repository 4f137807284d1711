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
    assert status == "ordered" and "limit 3 without a phone" in reason
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
