"""The order book's rules in the domain: inventory, the order state machine, capture outcomes.

Pure functions, no store and no event loop; ``tests/store/test_parity.py`` holds the Lua twins
to the same answers.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livesell.domain import capture, inventory, orders
from livesell.domain.errors import IllegalTransition
from livesell.domain.models import CommentStatus, FlashDeal, LineState, OrderStatus, Show
from livesell.domain.parser import Item
from livesell.store.base import CaptureItem

states = st.sampled_from(list(LineState))


def test_one_item_type_from_parser_to_store() -> None:
    assert CaptureItem is Item is capture.CaptureItem


# -- inventory --------------------------------------------------------------------------------

@given(before=states, after=states, qty=st.integers(0, 50))
def test_a_line_moving_keeps_the_books_balanced(before: LineState, after: LineState,
                                                qty: int) -> None:
    d = inventory.stock_delta(before, after, qty)
    assert d.available + d.held + d.sold == 0


def test_stock_delta_examples() -> None:
    assert inventory.stock_delta(LineState.RELEASED, LineState.HELD, 3) == inventory.StockDelta(
        -3, 3, 0)
    assert inventory.stock_delta(LineState.HELD, LineState.CONFIRMED, 2) == inventory.StockDelta(
        0, -2, 2)
    assert inventory.stock_delta(LineState.WAITLISTED, LineState.RELEASED, 4) == \
        inventory.StockDelta()


@given(available=st.integers(0, 30),
       waiting=st.lists(st.tuples(st.integers(), st.integers(1, 9)), max_size=10,
                        unique_by=lambda w: w[0]))
def test_waitlist_fills_oldest_first(available: int, waiting: list[tuple[int, int]]) -> None:
    fills = inventory.fill_waitlist(available, waiting)
    assert sum(take for _, take in fills) == min(available, sum(q for _, q in waiting))
    # every line but the last filled got all it asked for, in arrival order
    assert [line_id for line_id, _ in fills] == [w[0] for w in waiting[:len(fills)]]
    assert all(take == waiting[i][1] for i, (_, take) in enumerate(fills[:-1]))


@given(qty=st.integers(1, 40), quantity=st.none() | st.integers(0, 20),
       taken=st.integers(0, 20))
def test_flash_price_first_up_to_its_quota(qty: int, quantity: int | None, taken: int) -> None:
    flash = FlashDeal("A1", 300, ends_at=100, variant="1kg", quantity=quantity, taken=taken)
    parts = inventory.price_parts("a1", "1KG", qty, 360, flash, 50)
    assert sum(units for units, _ in parts) == qty
    used = inventory.flash_taken(flash, "A1", "1kg", parts, 50)
    if quantity is not None:
        assert used <= max(0, quantity - taken)
    assert used == sum(units for units, price in parts if price == 300)


def test_flash_deal_rules() -> None:
    flash = FlashDeal("A1", 300, ends_at=100, variant="1kg", quantity=2)
    assert inventory.price_parts("A1", "1kg", 5, 360, flash, 50) == [(2, 300), (3, 360)]
    assert inventory.price_parts("A1", "500g", 5, 190, flash, 50) == [(5, 190)]
    assert inventory.price_parts("A1", "1kg", 5, 360, flash, 100) == [(5, 360)]  # over
    assert not inventory.flash_applies(FlashDeal("A1", 300, 100, quantity=2, taken=2), "A1",
                                       "1kg", 0)


def test_split_and_cap() -> None:
    assert inventory.split_reservation(3, 5) == (3, 2)
    assert inventory.split_reservation(0, 2) == (0, 2)
    assert inventory.capped_qty(5, 3, 6) == 3
    assert inventory.capped_qty(5, 7, 6) == 0


def test_fold_is_ascii_only_like_nocase_and_lua() -> None:
    assert inventory.fold("CUA 1KG") == "cua 1kg"
    assert inventory.fold("HŨ") == "hŨ"


# -- orders -----------------------------------------------------------------------------------

def test_state_machine() -> None:
    assert orders.next_status(OrderStatus.CAPTURED, "confirm") == OrderStatus.CONFIRMED
    assert orders.next_status(OrderStatus.PAID, "shipped") == OrderStatus.SHIPPED
    with pytest.raises(IllegalTransition):
        orders.next_status(OrderStatus.SHIPPED, "cancel")
    with pytest.raises(IllegalTransition):
        orders.next_status(OrderStatus.CAPTURED, "refund")


def test_what_an_action_does_to_each_line() -> None:
    assert orders.line_after("confirm", LineState.HELD) == LineState.CONFIRMED
    assert orders.line_after("confirm", LineState.WAITLISTED) == LineState.RELEASED
    assert orders.line_after("cancel", LineState.CONFIRMED) == LineState.RELEASED
    assert orders.line_after("paid", LineState.CONFIRMED) == LineState.CONFIRMED
    assert orders.line_after("reject", LineState.RELEASED) == LineState.RELEASED


def test_edit_rules() -> None:
    assert orders.edit_state(OrderStatus.CAPTURED) == LineState.HELD
    assert orders.edit_state(OrderStatus.CONFIRMED) == LineState.CONFIRMED
    with pytest.raises(IllegalTransition, match="cannot edit an order that is paid"):
        orders.edit_state(OrderStatus.PAID)


def test_waiting_units_give_back_first_then_the_newest_holds() -> None:
    lines = [(1, LineState.CONFIRMED, 2), (2, LineState.HELD, 2), (3, LineState.HELD, 2),
             (4, LineState.WAITLISTED, 1), (5, LineState.RELEASED, 9)]
    assert orders.give_back(lines, 4) == [(4, 1), (3, 2), (2, 1)]
    assert orders.give_back(lines, 0) == []


@given(lines=st.lists(st.tuples(st.integers(), states, st.integers(1, 9)), max_size=8,
                      unique_by=lambda line: line[0]), drop=st.integers(0, 60))
def test_give_back_gives_exactly_what_it_can(lines: list[tuple[int, LineState, int]],
                                             drop: int) -> None:
    active = sum(q for _, s, q in lines if s in orders.GIVE_BACK_ORDER)
    assert sum(units for _, units in orders.give_back(lines, drop)) == min(drop, active)


# -- capture ----------------------------------------------------------------------------------

SHOW = Show(id="s", title="t", lineup=("A1", "C1"), pinned="A1", pinned_variant="1kg")


def _resolve(item: Item, show: Show = SHOW, labels: tuple[str, ...] = ("500g", "1kg"),
             now: float = 0) -> str | capture.Note:
    return capture.resolve_variant(show, item, capture.listed(show.lineup, item.code), "A1",
                                   labels, now)


def test_variant_resolution() -> None:
    assert _resolve(Item("A1", "500G", 1)) == "500g"
    assert _resolve(Item("A1", None, 1)) == "1kg"  # the pinned size
    flash = FlashDeal("A1", 100, ends_at=10, variant="500g")
    assert _resolve(Item("a1", None, 1), show=Show(id="s", title="t", lineup=("A1",),
                                                     flash=flash)) == "500g"
    assert _resolve(Item("a1", None, 1), show=Show(id="s", title="t", lineup=("A1",),
                                                     flash=flash), now=20) == capture.Note(
        capture.NoteKind.WHICH_VARIANT, "variant_unclear:A1")
    assert _resolve(Item("C1", None, 1), labels=("hũ",)) == "hũ"
    assert _resolve(Item("A1", "2kg", 1)) == capture.Note(
        capture.NoteKind.UNKNOWN_VARIANT, "unknown_variant:A1:2kg")
    assert _resolve(Item("B9", None, 1)) == capture.unknown_code("B9")
    assert _resolve(Item("A1", None, 1), labels=()) == capture.unknown_code("A1")


def test_comment_outcomes() -> None:
    limit = capture.limit_note(3, "A1")
    unknown = capture.unknown_code("Z9")
    assert capture.order_outcome(True, False, []) == (CommentStatus.ORDERED, False)
    assert capture.order_outcome(False, True, []) == (CommentStatus.WAITLISTED, False)
    assert capture.order_outcome(False, False, [limit]) == (CommentStatus.REJECTED, False)
    assert capture.order_outcome(False, False, [limit, unknown]) == (CommentStatus.REVIEW, True)
    assert capture.order_outcome(True, False, [limit]) == (CommentStatus.ORDERED, False)
    assert capture.order_outcome(True, False, [unknown]) == (CommentStatus.ORDERED, True)
    assert capture.reason_of([limit, unknown]) == "buyer_limit:3:A1; unknown_code:Z9"


def test_cancel_selection() -> None:
    lines = [(1, "A1", LineState.HELD), (2, "c1", LineState.WAITLISTED),
             (3, "A1", LineState.CONFIRMED), (4, "C1", LineState.RELEASED)]
    assert capture.cancel_selection(lines, []) == [1, 2]
    assert capture.cancel_selection(lines, ["C1"]) == [2]
