"""The Store contract: every backend must pass these, behaviour for behaviour."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from livesell.domain.catalog import load_catalog_file
from livesell.domain.errors import IllegalTransition, NotFound, SoldOut, StaleVersion
from livesell.domain.events import OrderChanged, OrderPlaced, ReviewAdded, StockChanged
from livesell.domain.models import (
    Comment,
    CommentStatus,
    Contact,
    FlashDeal,
    LineState,
    OrderStatus,
    Show,
    ShowStatus,
)
from livesell.store.base import CaptureItem, CaptureRequest, Store

CATALOG = Path(__file__).parent.parent / "data" / "shop.yaml"
NOW = 1_800_000_000.0


async def setup_show(store: Store, show_id: str = "s1", **fields: object) -> Show:
    await store.put_products(load_catalog_file(CATALOG), "test", NOW)
    show = Show(id=show_id, title="Show", lineup=("A1", "A2", "B1", "C1"),
                status=ShowStatus.LIVE, created_at=NOW, **fields)  # type: ignore[arg-type]
    return await store.create_show(show)


def order_req(cid: str, items: list[tuple[str, str | None, int]], buyer: str = "u1",
              show: str = "s1", kind: str = "order", phone: str | None = None,
              name: str = "Nguyễn Văn An") -> CaptureRequest:
    return CaptureRequest(
        Comment(show, "sim", cid, buyer, name, f"text {cid}", NOW), kind,
        tuple(CaptureItem(c, v, q) for c, v, q in items), phone)


async def levels(store: Store) -> dict[str, tuple[int, int, int, int]]:
    return {f"{s.code}:{s.variant}": (s.total, s.available, s.held, s.sold)
            for s in await store.stock()}


async def assert_conserved(store: Store) -> None:
    for key, (total, available, held, sold) in (await levels(store)).items():
        assert min(available, held, sold) >= 0, key
        assert available + held + sold == total, key


async def test_catalog_roundtrip(store: Store) -> None:
    await setup_show(store)
    products = await store.list_products()
    assert [p.code for p in products] == ["A1", "A2", "B1", "C1"]
    a1 = await store.get_product("a1")
    assert a1 is not None and a1.name == "Cua gạch Đầm Dơi"
    assert [v.label for v in a1.variants] == ["500g", "1kg"]
    assert a1.producer.province == "Cà Mau"
    assert await store.get_product("ZZ") is None
    assert (await levels(store))["A1:1kg"] == (30, 30, 0, 0)


async def test_show_lifecycle(store: Store) -> None:
    await setup_show(store)
    await store.create_show(Show(id="s2", title="Later", lineup=("A2",), created_at=NOW + 5))
    assert [s.id for s in await store.list_shows()] == ["s2", "s1"]
    show = await store.update_show("s1", {"pinned": "A1"})
    assert show.pinned == "A1"
    flash = FlashDeal(code="A2", price=99000, ends_at=NOW + 60, quantity=5)
    show = await store.update_show("s1", {"flash": flash.to_json()})
    assert show.flash == flash
    fetched = await store.get_show("s1")
    assert fetched is not None and fetched.flash == flash and fetched.pinned == "A1"
    with pytest.raises(NotFound):
        await store.update_show("nope", {"pinned": None})


async def test_order_holds_stock_and_reuses_open_order(store: Store) -> None:
    await setup_show(store)
    [first] = await store.capture([order_req("c1", [("A1", "1kg", 2)], phone="0912345678")], NOW)
    assert first.result.status == CommentStatus.ORDERED
    code = first.result.order
    assert code == "DD-0001"
    kinds = {type(e) for e in first.events}
    assert {StockChanged, OrderChanged, OrderPlaced} <= kinds
    [second] = await store.capture([order_req("c2", [("A2", None, 1)])], NOW + 1)
    assert second.result.order == code
    order = await store.get_order(code)
    assert order is not None
    assert [(line.code, line.variant, line.qty, line.state) for line in order.lines] == [
        ("A1", "1kg", 2, LineState.HELD), ("A2", "", 1, LineState.HELD)]
    assert order.contact.phone == "0912345678"
    assert order.total == 2 * 360000 + 120000
    assert order.status == OrderStatus.CAPTURED
    assert (await levels(store))["A1:1kg"] == (30, 28, 2, 0)
    await assert_conserved(store)


async def test_duplicate_comment_changes_nothing(store: Store) -> None:
    await setup_show(store)
    req = order_req("c1", [("A2", None, 3)])
    [first] = await store.capture([req], NOW)
    before = await levels(store)
    version = await store.stock_version()
    [again] = await store.capture([req], NOW + 1)
    assert again.result.status == CommentStatus.DUPLICATE
    assert again.result.order == first.result.order
    assert again.events == ()
    assert await levels(store) == before
    assert await store.stock_version() == version


async def test_waitlist_then_promotion_first_come_first_served(store: Store) -> None:
    await setup_show(store)
    [a] = await store.capture([order_req("c1", [("C1", None, 10)], buyer="a")], NOW)
    [b] = await store.capture([order_req("c2", [("C1", None, 3)], buyer="b")], NOW + 1)
    [c] = await store.capture([order_req("c3", [("C1", None, 1)], buyer="c")], NOW + 2)
    assert a.result.status == CommentStatus.ORDERED
    assert b.result.status == c.result.status == CommentStatus.WAITLISTED
    # a cancels 2 of... all of its order: 10 free; b (oldest, wants 3) then c get served
    order_a = await store.get_order(a.result.order or "")
    assert order_a is not None
    changed = await store.order_action(order_a.code, "cancel", order_a.version, "staff:x",
                                       NOW + 3)
    assert changed.order.status == OrderStatus.CANCELLED
    order_b = await store.get_order(b.result.order or "")
    order_c = await store.get_order(c.result.order or "")
    assert order_b is not None and order_c is not None
    assert [(ln.qty, ln.state) for ln in order_b.lines] == [(3, LineState.HELD)]
    assert [(ln.qty, ln.state) for ln in order_c.lines] == [(1, LineState.HELD)]
    assert (await levels(store))["C1:"] == (10, 6, 4, 0)
    await assert_conserved(store)


async def test_partial_fill_keeps_the_rest_waitlisted(store: Store) -> None:
    await setup_show(store)
    [a] = await store.capture([order_req("c1", [("C1", None, 9)], buyer="a")], NOW)
    [b] = await store.capture([order_req("c2", [("C1", None, 4)], buyer="b")], NOW + 1)
    assert b.result.status == CommentStatus.ORDERED  # 1 held now, 3 waitlisted
    order_b = await store.get_order(b.result.order or "")
    assert order_b is not None
    assert sorted((ln.qty, ln.state) for ln in order_b.lines) == [
        (1, LineState.HELD), (3, LineState.WAITLISTED)]
    order_a = await store.get_order(a.result.order or "")
    assert order_a is not None
    # a drops to 7: 2 free, b gets 2 of its 3 waiting
    await store.patch_order(order_a.code, order_a.version, [CaptureItem("C1", None, 7)], None,
                            "staff:x", NOW + 2)
    order_b = await store.get_order(order_b.code)
    assert order_b is not None
    assert sorted((ln.qty, ln.state) for ln in order_b.lines) == [
        (1, LineState.HELD), (1, LineState.WAITLISTED), (2, LineState.HELD)]
    assert (await levels(store))["C1:"] == (10, 0, 10, 0)
    await assert_conserved(store)


async def test_hold_expires_and_feeds_waitlist(store: Store) -> None:
    await setup_show(store, hold_minutes=10)
    [a] = await store.capture([order_req("c1", [("C1", None, 10)], buyer="a")], NOW)
    [b] = await store.capture([order_req("c2", [("C1", None, 2)], buyer="b")], NOW + 60)
    assert await store.expire_holds(NOW + 599) == ()
    events = await store.expire_holds(NOW + 600)
    assert any(isinstance(e, StockChanged) for e in events)
    order_a = await store.get_order(a.result.order or "")
    order_b = await store.get_order(b.result.order or "")
    assert order_a is not None and order_b is not None
    assert order_a.status == OrderStatus.EXPIRED
    assert [ln.state for ln in order_a.lines] == [LineState.RELEASED]
    assert [(ln.qty, ln.state) for ln in order_b.lines] == [(2, LineState.HELD)]
    # b's promoted hold runs from its promotion, not from its comment
    assert await store.expire_holds(NOW + 600 + 599) == ()
    assert await store.expire_holds(NOW + 1200) != ()
    assert (await levels(store))["C1:"] == (10, 10, 0, 0)
    await assert_conserved(store)


async def test_confirm_paid_shipped_and_illegal_transitions(store: Store) -> None:
    await setup_show(store)
    [r] = await store.capture([order_req("c1", [("A2", None, 2)])], NOW)
    order = await store.get_order(r.result.order or "")
    assert order is not None
    with pytest.raises(IllegalTransition):
        await store.order_action(order.code, "paid", order.version, "staff:x", NOW)
    confirmed = (await store.order_action(order.code, "confirm", order.version, "staff:x",
                                          NOW)).order
    assert confirmed.status == OrderStatus.CONFIRMED
    assert [ln.state for ln in confirmed.lines] == [LineState.CONFIRMED]
    assert (await levels(store))["A2:"] == (80, 78, 0, 2)
    # a confirmed line never expires
    assert await store.expire_holds(NOW + 10**6) == ()
    paid = (await store.order_action(order.code, "paid", confirmed.version, "staff:x",
                                     NOW)).order
    shipped = (await store.order_action(order.code, "shipped", paid.version, "staff:x",
                                        NOW)).order
    assert shipped.status == OrderStatus.SHIPPED
    with pytest.raises(IllegalTransition):
        await store.order_action(order.code, "cancel", shipped.version, "staff:x", NOW)
    assert [a.action for a in shipped.audit][-3:] == ["confirm", "paid", "shipped"]
    # a new comment from the same buyer opens a new cart
    [again] = await store.capture([order_req("c2", [("A2", None, 1)])], NOW)
    assert again.result.order not in (None, order.code)


async def test_stale_version_is_refused_with_the_fresh_order(store: Store) -> None:
    await setup_show(store)
    [r] = await store.capture([order_req("c1", [("A2", None, 1)])], NOW)
    order = await store.get_order(r.result.order or "")
    assert order is not None
    await store.order_action(order.code, "confirm", order.version, "staff:a", NOW)
    with pytest.raises(StaleVersion) as caught:
        await store.order_action(order.code, "reject", order.version, "staff:b", NOW)
    fresh = caught.value.detail["order"]
    assert fresh.status == OrderStatus.CONFIRMED and fresh.version == order.version + 1


async def test_reject_after_confirm_returns_sold_units(store: Store) -> None:
    await setup_show(store)
    [r] = await store.capture([order_req("c1", [("A2", None, 5)])], NOW)
    order = await store.get_order(r.result.order or "")
    assert order is not None
    done = await store.order_action(order.code, "confirm", order.version, "s", NOW)
    await store.order_action(order.code, "reject", done.order.version, "s", NOW)
    assert (await levels(store))["A2:"] == (80, 80, 0, 0)


async def test_cancel_comment_named_codes_or_whole_order(store: Store) -> None:
    await setup_show(store)
    await store.capture([order_req("c1", [("A2", None, 1), ("B1", "1l", 2)])], NOW)
    [partial] = await store.capture([order_req("c2", [("A2", None, 1)], kind="cancel")], NOW)
    assert partial.result.status == CommentStatus.CANCELLED
    order = await store.get_order(partial.result.order or "")
    assert order is not None and order.status == OrderStatus.CAPTURED
    assert {(ln.code, ln.state) for ln in order.lines} == {
        ("A2", LineState.RELEASED), ("B1", LineState.HELD)}
    [whole] = await store.capture([order_req("c3", [], kind="cancel")], NOW)
    order = await store.get_order(whole.result.order or "")
    assert order is not None and order.status == OrderStatus.CANCELLED
    [nothing] = await store.capture([order_req("c4", [], kind="cancel")], NOW)
    assert nothing.result.status == CommentStatus.IGNORED
    await assert_conserved(store)
    assert (await levels(store))["B1:1l"] == (40, 40, 0, 0)


async def test_per_buyer_cap(store: Store) -> None:
    await setup_show(store, max_per_buyer=3)
    [a] = await store.capture([order_req("c1", [("A2", None, 2)])], NOW)
    [b] = await store.capture([order_req("c2", [("A2", None, 5)])], NOW)
    [c] = await store.capture([order_req("c3", [("A2", None, 1)])], NOW)
    assert a.result.status == b.result.status == CommentStatus.ORDERED
    assert "limit" in b.result.reason
    assert c.result.status == CommentStatus.REJECTED
    order = await store.get_order(a.result.order or "")
    assert order is not None and sum(ln.qty for ln in order.lines) == 3


async def test_flash_price_and_quantity_cap(store: Store) -> None:
    await setup_show(store)
    flash = FlashDeal(code="A1", variant="500g", price=150000, quantity=3, ends_at=NOW + 60)
    await store.update_show("s1", {"flash": flash.to_json()})
    [a] = await store.capture([order_req("c1", [("A1", None, 2)], buyer="a")], NOW)
    [b] = await store.capture([order_req("c2", [("A1", "500g", 2)], buyer="b")], NOW + 1)
    order_a = await store.get_order(a.result.order or "")
    order_b = await store.get_order(b.result.order or "")
    assert order_a is not None and order_b is not None
    assert [(ln.variant, ln.qty, ln.unit_price) for ln in order_a.lines] == [
        ("500g", 2, 150000)]
    assert sorted((ln.qty, ln.unit_price) for ln in order_b.lines) == [
        (1, 150000), (1, 190000)]
    show = await store.get_show("s1")
    assert show is not None and show.flash is not None and show.flash.taken == 3
    # after the deal ends, the normal price (and no variant guessing) again
    [c] = await store.capture([order_req("c3", [("A1", None, 1)], buyer="c")], NOW + 61)
    assert c.result.status == CommentStatus.REVIEW


async def test_review_queue_resolve_and_dismiss(store: Store) -> None:
    await setup_show(store)
    [r] = await store.capture([order_req("c1", [("A1", None, 1)])], NOW)
    assert r.result.status == CommentStatus.REVIEW
    assert any(isinstance(e, ReviewAdded) for e in r.events)
    [q] = await store.capture([order_req("c2", [], kind="review")], NOW)
    items = await store.list_review("s1")
    assert len(items) == 2 and items[0].reason.startswith("variant_unclear:")
    changed = await store.resolve_review(items[0].id, [CaptureItem("A1", "1kg", 1)], "staff:x",
                                         NOW)
    assert [(ln.variant, ln.state) for ln in changed.order.lines] == [("1kg", LineState.HELD)]
    with pytest.raises(IllegalTransition):
        await store.resolve_review(items[0].id, [CaptureItem("A1", "1kg", 1)], "staff:x", NOW)
    dismissed = await store.dismiss_review(items[1].id, "staff:x", NOW)
    assert dismissed.status == "dismissed"
    assert await store.list_review("s1") == []
    assert len(await store.list_review("s1", "resolved")) == 1


async def test_patch_reserves_or_refuses_atomically(store: Store) -> None:
    await setup_show(store)
    [r] = await store.capture([order_req("c1", [("C1", None, 4)])], NOW)
    order = await store.get_order(r.result.order or "")
    assert order is not None
    with pytest.raises(SoldOut):
        await store.patch_order(order.code, order.version, [CaptureItem("C1", None, 11)], None,
                                "s", NOW)
    assert (await levels(store))["C1:"] == (10, 6, 4, 0)
    changed = await store.patch_order(order.code, order.version, [CaptureItem("C1", None, 10)],
                                      Contact("An", "0987654321", "Cà Mau"), "s", NOW)
    assert sum(ln.qty for ln in changed.order.lines if ln.state == LineState.HELD) == 10
    assert changed.order.contact.address == "Cà Mau"
    assert (await levels(store))["C1:"] == (10, 0, 10, 0)
    with pytest.raises(StaleVersion):
        await store.patch_order(order.code, order.version, None, Contact("x"), "s", NOW)


async def test_restock_and_write_off(store: Store) -> None:
    await setup_show(store)
    await store.capture([order_req("c1", [("C1", None, 10)], buyer="a")], NOW)
    [w] = await store.capture([order_req("c2", [("C1", None, 2)], buyer="b")], NOW)
    assert w.result.status == CommentStatus.WAITLISTED
    with pytest.raises(SoldOut):
        await store.adjust_stock("C1", "", -1, "host", NOW)
    level, events = await store.adjust_stock("C1", "", 5, "host", NOW)
    assert (level.total, level.available, level.held) == (15, 3, 12)
    order = await store.get_order(w.result.order or "")
    assert order is not None and [ln.state for ln in order.lines] == [LineState.HELD]
    level, _ = await store.adjust_stock("C1", "", -3, "host", NOW)
    assert (level.total, level.available) == (12, 0)
    await assert_conserved(store)


async def test_unknown_code_goes_to_review(store: Store) -> None:
    await setup_show(store)
    [r] = await store.capture([order_req("c1", [("ZZ9", None, 1)])], NOW)
    assert r.result.status == CommentStatus.REVIEW
    assert "unknown" in r.result.reason


async def test_concurrent_captures_never_oversell(store: Store) -> None:
    await setup_show(store)
    reqs = [order_req(f"c{i}", [("C1", None, 1 + i % 3)], buyer=f"b{i}") for i in range(300)]
    chunks = [reqs[i:i + 50] for i in range(0, len(reqs), 50)]
    results = await asyncio.gather(*(store.capture(chunk, NOW) for chunk in chunks))
    flat = [c.result for chunk in results for c in chunk]
    assert len(flat) == 300
    assert (await levels(store))["C1:"][1:] == (0, 10, 0)
    await assert_conserved(store)


async def test_tokens_users_meta(store: Store) -> None:
    await store.add_token("h1", "staff", "desk", NOW)
    assert await store.token_role("h1") == ("staff", "desk")
    assert await store.token_role("nope") is None
    await store.add_user("lan", "host", "scrypt$x", NOW)
    assert await store.get_user("lan") == ("host", "scrypt$x")
    await store.set_meta("k", "v")
    assert await store.get_meta("k") == "v"
    assert await store.get_meta("missing") is None
    assert await store.ping() is True


async def test_report_counts(store: Store) -> None:
    await setup_show(store)
    [r] = await store.capture([order_req("c1", [("A2", None, 2)])], NOW)
    order = await store.get_order(r.result.order or "")
    assert order is not None
    await store.order_action(order.code, "confirm", order.version, "s", NOW)
    await store.capture([order_req("c2", [("B1", "1l", 1)], buyer="b")], NOW)
    report = await store.report("s1")
    assert report["orders"] == {"confirmed": 1, "captured": 1}
    states = {(x["code"], x["state"]): x["qty"] for x in report["lines"]}
    assert states[("A2", "confirmed")] == 2 and states[("B1", "held")] == 1


async def test_pinned_size_is_what_plus_one_means(store: Store) -> None:
    await setup_show(store)
    [before] = await store.capture([order_req("c1", [("A1", None, 1)], buyer="a")], NOW)
    assert before.result.status == CommentStatus.REVIEW
    await store.update_show("s1", {"pinned": "A1", "pinned_variant": "1kg"})
    [after] = await store.capture([order_req("c2", [("A1", None, 2)], buyer="b")], NOW)
    assert after.result.status == CommentStatus.ORDERED
    order = await store.get_order(after.result.order or "")
    assert order is not None and [(ln.variant, ln.qty) for ln in order.lines] == [("1kg", 2)]
    # another product of the lineup is still asked about
    [other] = await store.capture([order_req("c3", [("B1", None, 1)], buyer="c")], NOW)
    assert other.result.status == CommentStatus.REVIEW


async def test_a_refused_comment_does_not_undo_its_neighbours(store: Store) -> None:
    await setup_show(store)
    reqs = [order_req("g1", [("A2", None, 1)], buyer="a"),
            order_req("b1", [("A2", None, 1)], buyer="b", show="nope"),
            order_req("g2", [("A2", None, 1)], buyer="c")]
    # the others are stored already: the refused one is answered alone, nothing is raised
    answers = await store.capture(reqs, NOW)
    assert [c.result.status for c in answers] == [
        CommentStatus.ORDERED, CommentStatus.REJECTED, CommentStatus.ORDERED]
    assert answers[1].result.reason == "not_found" and answers[1].events == ()
    assert all(c.events for c in (answers[0], answers[2]))
    with pytest.raises(NotFound):  # nothing stored at all: the batch is refused
        await store.capture([reqs[1]], NOW)
    assert (await levels(store))["A2:"] == (80, 78, 2, 0)
    again = await store.capture([reqs[0], reqs[2]], NOW)
    assert [c.result.status for c in again] == [CommentStatus.DUPLICATE] * 2
    await assert_conserved(store)


async def test_a_second_process_writing_the_same_sqlite_file_is_noticed(tmp_path: Path) -> None:
    """``livesell import`` while the server runs: the server's writer must not trust what it
    remembered about the stock."""
    from livesell.store.sqlite import SqliteStore

    path = tmp_path / "shared.db"
    server, other = SqliteStore(path, "NORMAL"), SqliteStore(path, "NORMAL")
    await server.start()
    await other.start()
    try:
        await setup_show(server)
        [first] = await server.capture([order_req("c1", [("C1", None, 9)], buyer="a")], NOW)
        assert first.result.status == CommentStatus.ORDERED
        await other.adjust_stock("C1", "", 5, "cli", NOW)  # 1 + 5 free now
        [second] = await server.capture([order_req("c2", [("C1", None, 6)], buyer="b")], NOW)
        assert second.result.status == CommentStatus.ORDERED
        order = await server.get_order(second.result.order or "")
        assert order is not None and [(ln.qty, ln.state) for ln in order.lines] == [
            (6, LineState.HELD)]
        await assert_conserved(server)
    finally:
        await other.close()
        await server.close()
