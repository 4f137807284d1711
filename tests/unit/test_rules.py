"""Pure inventory and order rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livesell.domain import rules
from livesell.domain.errors import IllegalTransition
from livesell.domain.models import FlashDeal, LineState, OrderStatus


def test_transitions() -> None:
    assert rules.next_status(OrderStatus.CAPTURED, "confirm") == OrderStatus.CONFIRMED
    assert rules.next_status(OrderStatus.CONFIRMED, "paid") == OrderStatus.PAID
    assert rules.next_status(OrderStatus.PAID, "shipped") == OrderStatus.SHIPPED
    for status, action in [(OrderStatus.CAPTURED, "paid"), (OrderStatus.SHIPPED, "cancel"),
                           (OrderStatus.REJECTED, "confirm"), (OrderStatus.PAID, "reject"),
                           (OrderStatus.CAPTURED, "fly")]:
        with pytest.raises(IllegalTransition):
            rules.next_status(status, action)


@given(st.sampled_from(list(LineState)), st.sampled_from(list(LineState)),
       st.integers(1, 1000))
def test_every_line_move_conserves_stock(before: LineState, after: LineState, qty: int) -> None:
    delta = rules.stock_delta(before, after, qty)
    assert delta.available + delta.held + delta.sold == 0


@given(st.integers(0, 100), st.integers(1, 100))
def test_split_reservation(available: int, qty: int) -> None:
    held, waiting = rules.split_reservation(available, qty)
    assert held + waiting == qty and 0 <= held <= available


@given(st.integers(0, 50), st.lists(st.tuples(st.integers(1, 10**6), st.integers(1, 9)),
                                    max_size=20, unique_by=lambda t: t[0]))
def test_fill_waitlist_is_first_come_first_served(available: int,
                                                  waiting: list[tuple[int, int]]) -> None:
    fills = rules.fill_waitlist(available, waiting)
    assert sum(take for _, take in fills) == min(available, sum(q for _, q in waiting))
    # fills are a prefix of the queue and only the last may be partial
    assert [line for line, _ in fills] == [line for line, _ in waiting[:len(fills)]]
    for (_, take), (_, qty) in zip(fills[:-1], waiting, strict=False):
        assert take == qty


def test_price_parts_flash_cap() -> None:
    flash = FlashDeal(code="A1", variant="1kg", price=300, quantity=3, taken=1, ends_at=100)
    assert rules.price_parts("A1", "1kg", 5, 360, flash, 50) == [(2, 300), (3, 360)]
    assert rules.price_parts("A1", "500g", 5, 190, flash, 50) == [(5, 190)]
    assert rules.price_parts("A1", "1kg", 5, 360, flash, 100) == [(5, 360)]
    assert rules.price_parts("a1", "1KG", 1, 360, flash, 0) == [(1, 300)]


def test_capped_qty() -> None:
    assert rules.capped_qty(5, 3, 6) == 3
    assert rules.capped_qty(5, 7, 6) == 0
