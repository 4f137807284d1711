"""First paid, first served on every store: comments reserve nothing, paying takes the units,
the first paid wins, the others are told it sold out (refund flag + review alert). The books
are checked after every step."""

from __future__ import annotations

import pytest

from livesell.domain.errors import IllegalTransition
from livesell.domain.first_paid import REFUND, prepaid
from livesell.domain.flash import RETURNING
from livesell.domain.models import FlashDeal, LineState, Order, OrderStatus
from livesell.domain.payments import Transfer, outcome, settle
from livesell.domain.reasons import PAID_SOLD_OUT
from livesell.store.base import CaptureItem, PaymentMatch, Store
from tests.store.test_contract import NOW, assert_conserved, levels, order_req, setup_show


async def fpfs_show(store: Store, left: int | None = None) -> None:
    await setup_show(store, first_paid=True)
    if left is not None:  # C1 has 10 units: write off all but ``left``
        await store.adjust_stock("C1", "", left - 10, "test", NOW)
    await assert_conserved(store)


async def order_of(store: Store, cid: str, buyer: str, qty: int = 1,
                   code: str = "C1", kind: str = "order") -> Order:
    (done,) = await store.capture([order_req(cid, [(code, None, qty)], buyer=buyer,
                                             kind=kind)], NOW)
    await assert_conserved(store)
    assert done.result.order is not None, done.result
    order = await store.get_order(done.result.order)
    assert order is not None
    return order


async def pay(store: Store, order: Order, tx: str, amount: int | None = None) -> Order:
    amount = order.total if amount is None else amount
    s = settle(order.status, order.total, order.received, amount, prepay=prepaid(order.lines))
    done = await store.record_transfer(
        Transfer(f"sepay:{tx}", "sepay", amount, order.code), PaymentMatch(
            order.code, order.version, s, outcome(order.status, s)), "bank:sepay", NOW + 1)
    await assert_conserved(store)
    assert done.order is not None
    return done.order


def states(order: Order) -> list[tuple[str, int]]:
    return [(line.state.value, line.qty) for line in order.lines]


async def test_comments_reserve_nothing(store: Store) -> None:
    await fpfs_show(store)
    before = await levels(store)
    order = await order_of(store, "c1", "u1", qty=2)
    assert order.status == OrderStatus.CAPTURED and states(order) == [("requested", 2)]
    assert order.total == 300_000  # what the buyer is asked to pay
    assert await levels(store) == before  # nothing held, nothing waiting
    # the per-buyer cap still counts what was asked for
    more = await order_of(store, "c2", "u1", qty=9)
    assert sum(q for _, q in states(more)) == 10


async def test_second_pays_first_wins_the_last_unit(store: Store) -> None:
    await fpfs_show(store, left=1)
    first = await order_of(store, "c1", "u1")
    second = await order_of(store, "c2", "u2")
    assert (await levels(store))["C1:"] == (1, 1, 0, 0)  # both asked, nothing taken
    won = await pay(store, second, "1")
    assert won.status == OrderStatus.PAID and states(won) == [("confirmed", 1)]
    assert won.payment_flag == "" and won.total == 150_000
    assert (await levels(store))["C1:"] == (1, 0, 0, 1)
    lost = await pay(store, first, "2")
    # paid, but nothing to ship: the line is sold out and the money flagged for refund
    assert lost.status == OrderStatus.PAID and states(lost) == [("sold_out", 1)]
    assert lost.payment_flag == REFUND and lost.received == 150_000 and lost.total == 0
    assert "sold_out" in [a.action for a in lost.audit]
    (alert,) = await store.list_review("s1")
    assert alert.reason == f"{PAID_SOLD_OUT}:{lost.code}:C1 x1"
    assert alert.order == lost.code and alert.buyer == "sim:u1"
    assert (await levels(store))["C1:"] == (1, 0, 0, 1)
    # the alert is settled by a refund and dismissed; it cannot be turned into an order
    with pytest.raises(IllegalTransition):
        await store.resolve_review(alert.id, (), "staff:x", NOW + 2)
    dismissed = await store.dismiss_review(alert.id, "staff:x", NOW + 2)
    assert dismissed.status == "dismissed"


async def test_staff_paid_takes_what_is_left_and_flags_the_rest(store: Store) -> None:
    await fpfs_show(store, left=2)
    order = await order_of(store, "c1", "u1", qty=3)
    confirmed = (await store.order_action(order.code, "confirm", order.version, "staff:x",
                                          NOW)).order
    assert confirmed.status == OrderStatus.CONFIRMED  # requested lines can be confirmed...
    assert states(confirmed) == [("requested", 3)]  # ...and still take nothing
    assert (await levels(store))["C1:"] == (2, 2, 0, 0)
    paid = (await store.order_action(order.code, "paid", confirmed.version, "staff:x",
                                     NOW)).order
    await assert_conserved(store)
    assert paid.status == OrderStatus.PAID
    assert sorted(states(paid)) == [("confirmed", 2), ("sold_out", 1)]
    assert paid.payment_flag == REFUND and paid.total == 300_000
    assert (await levels(store))["C1:"] == (2, 0, 0, 2)
    (alert,) = await store.list_review("s1")
    assert alert.reason == f"{PAID_SOLD_OUT}:{order.code}:C1 x1"


async def test_underpaid_takes_nothing_until_the_rest_arrives(store: Store) -> None:
    await fpfs_show(store, left=1)
    slow = await order_of(store, "c1", "u1")
    part = await pay(store, slow, "1", 100_000)
    assert part.status == OrderStatus.CAPTURED and part.payment_flag == "underpaid"
    assert states(part) == [("requested", 1)]
    fast = await order_of(store, "c2", "u2")
    won = await pay(store, fast, "2", 200_000)  # overpaid: wins, flagged overpaid
    assert (won.status, won.payment_flag) == (OrderStatus.PAID, "overpaid")
    rest = await pay(store, part, "3", 50_000)
    assert rest.status == OrderStatus.PAID and states(rest) == [("sold_out", 1)]
    assert rest.payment_flag == REFUND and rest.received == 150_000


async def test_cancel_before_payment_returns_nothing(store: Store) -> None:
    await fpfs_show(store)
    before = await levels(store)
    await order_of(store, "c1", "u1", qty=3)
    reduced = await order_of(store, "c2", "u1", kind="reduce")  # "huỷ 1 C1"
    assert states(reduced) == [("requested", 2)]
    cancelled = await order_of(store, "c3", "u1", kind="cancel")
    assert cancelled.status == OrderStatus.CANCELLED
    assert states(cancelled) == [("released", 2)]
    other = await order_of(store, "c4", "u2", code="A2")
    gone = (await store.order_action(other.code, "cancel", other.version, "staff:x",
                                     NOW)).order
    assert gone.status == OrderStatus.CANCELLED and states(gone) == [("released", 1)]
    assert await levels(store) == before


async def test_toggling_the_mode_keeps_earlier_holds_and_later_requests(store: Store) -> None:
    await setup_show(store)
    held = await order_of(store, "c1", "u1", qty=2)
    assert states(held) == [("held", 2)]
    await store.update_show("s1", {"first_paid": True})
    asked = await order_of(store, "c2", "u2", qty=2)
    assert states(asked) == [("requested", 2)]
    assert (await store.get_order(held.code)).lines[0].state == LineState.HELD  # type: ignore
    await store.update_show("s1", {"first_paid": False})
    # the request made in the mode is still taken when paid
    paid = await pay(store, asked, "1")
    assert paid.status == OrderStatus.PAID and states(paid) == [("confirmed", 2)]
    assert (await levels(store))["C1:"] == (10, 6, 2, 2)


async def test_flash_price_and_quota_in_first_paid_mode(store: Store) -> None:
    await fpfs_show(store, left=1)
    flash = FlashDeal(code="C1", price=99_000, ends_at=NOW + 600, quantity=2, started_at=NOW)
    await store.update_show("s1", {"flash": flash.to_json()})
    order = await order_of(store, "c1", "u1", qty=3)
    assert sorted((line.unit_price, line.qty) for line in order.lines) == [
        (99_000, 2), (150_000, 1)]
    show = await store.get_show("s1")
    assert show is not None and show.flash is not None and show.flash.taken == 2
    paid = await pay(store, order, "1")  # one unit left: the oldest line wins it
    assert sorted(states(paid)) == [("confirmed", 1), ("sold_out", 1), ("sold_out", 1)]
    show = await store.get_show("s1")
    assert show is not None and show.flash is not None and show.flash.taken == 1
    assert LineState.REQUESTED in RETURNING


async def test_staff_edits_add_requested_units(store: Store) -> None:
    await fpfs_show(store, left=1)
    order = await order_of(store, "c1", "u1")
    before = await levels(store)
    edited = (await store.patch_order(order.code, order.version,
                                      [CaptureItem("C1", None, 3)], None, "staff:x",
                                      NOW)).order
    await assert_conserved(store)
    assert sorted(states(edited)) == [("requested", 1), ("requested", 2)]  # beyond the stock
    assert await levels(store) == before
    fewer = (await store.patch_order(order.code, edited.version,
                                     [CaptureItem("C1", None, 1)], None, "staff:x",
                                     NOW)).order
    assert sum(q for s, q in states(fewer) if s == "requested") == 1
    assert await levels(store) == before


async def test_paying_a_captured_order_sells_its_old_holds_too(store: Store) -> None:
    """An open order may mix holds from before the mode with requests made in it; paying it
    straight from "captured" confirms it on the way: holds sold, waiting lines dropped."""
    await setup_show(store)
    await store.adjust_stock("C1", "", -8, "test", NOW)  # 2 left
    await order_of(store, "c1", "u1", qty=3)  # 2 held, 1 waitlisted
    await store.update_show("s1", {"first_paid": True})
    mixed = await order_of(store, "c2", "u1", code="A2", qty=2)
    assert sorted(states(mixed)) == [("held", 2), ("requested", 2), ("waitlisted", 1)]
    paid = await pay(store, mixed, "1")
    assert paid.status == OrderStatus.PAID
    assert sorted(states(paid)) == [("confirmed", 2), ("confirmed", 2), ("released", 1)]
    assert (await levels(store))["C1:"] == (2, 0, 0, 2)
    await store.expire_holds(NOW + 3600)  # nothing of a paid order expires
    after = await store.get_order(paid.code)
    assert after is not None and after.status == OrderStatus.PAID
    await assert_conserved(store)
