"""First paid, first served: the pure rules (domain/first_paid.py and its neighbours)."""

from __future__ import annotations

from livesell.domain import first_paid, orders, reasons
from livesell.domain.buyers import hoard_room, only_limits
from livesell.domain.inventory import BOOKS, COUNTED_STATES, stock_delta
from livesell.domain.models import LineState, OrderLine, OrderStatus
from livesell.domain.payments import settle
from livesell.domain.replies import ReplyLine, reply_text


def line(state: LineState, qty: int = 1, price: int = 100) -> OrderLine:
    return OrderLine(1, "C1", "", qty, price, state, 0.0)


def test_requested_and_sold_out_units_sit_nowhere_in_the_books() -> None:
    for state in (LineState.REQUESTED, LineState.SOLD_OUT):
        assert state not in BOOKS
        assert stock_delta(LineState.REQUESTED, state, 5).available == 0
    assert stock_delta(LineState.REQUESTED, LineState.CONFIRMED, 2).available == -2
    assert LineState.REQUESTED in COUNTED_STATES  # the per-buyer cap holds in the mode


def test_paid_take_serves_lines_oldest_first_per_variant() -> None:
    assert first_paid.paid_take({"c1": 3}, [(1, "c1", 2), (2, "c1", 2), (3, "a1", 1)]) == [
        (1, 2, 0), (2, 1, 1), (3, 0, 1)]
    assert first_paid.paid_take({}, []) == []


def test_a_full_payment_pays_a_captured_first_paid_order() -> None:
    assert settle(OrderStatus.CAPTURED, 300, 0, 300).status == OrderStatus.CAPTURED
    assert settle(OrderStatus.CAPTURED, 300, 0, 300, prepay=True).status == OrderStatus.PAID
    part = settle(OrderStatus.CAPTURED, 300, 0, 100, prepay=True)
    assert (part.status, part.flag) == (OrderStatus.CAPTURED, "underpaid")
    over = settle(OrderStatus.CAPTURED, 300, 0, 400, prepay=True)
    assert (over.status, over.flag) == (OrderStatus.PAID, "overpaid")
    assert settle(OrderStatus.CANCELLED, 300, 0, 300, prepay=True).status == \
        OrderStatus.CANCELLED
    assert first_paid.prepaid([line(LineState.REQUESTED)])
    assert not first_paid.prepaid([line(LineState.HELD), line(LineState.SOLD_OUT)])


def test_order_rules_know_the_new_line_states() -> None:
    assert orders.line_after("cancel", LineState.REQUESTED) == LineState.RELEASED
    assert orders.line_after("confirm", LineState.REQUESTED) == LineState.REQUESTED
    assert not orders.all_lines_closed([LineState.REQUESTED])
    assert orders.all_lines_closed([LineState.SOLD_OUT, LineState.CONFIRMED])
    assert LineState.REQUESTED in orders.PROMISED and LineState.REQUESTED in orders.CANCELLABLE


def test_what_the_buyer_owes() -> None:
    from livesell.domain.models import Contact, Order

    order = Order("DD-1", "s", "b", "B", OrderStatus.CAPTURED,
                  [line(LineState.REQUESTED, 2), line(LineState.SOLD_OUT, 5)], Contact(), 1,
                  "t", 0.0, 0.0)
    assert order.total == 200  # requested units are owed; sold-out ones are refunded


def test_sold_out_reason_is_a_typed_code() -> None:
    text = first_paid.sold_out_reason("DD-0042", [("A1", "1kg", 1), ("C1", "", 2)])
    assert text == "paid_sold_out:DD-0042:A1 1kg x1, C1 x2"
    assert reasons.describe(text, "en") == \
        "ALERT: order DD-0042 paid but sold out (A1 1kg x1, C1 x2): refund due"
    assert "hoàn tiền" in reasons.describe(text)


def test_buyer_caps_are_typed_reason_codes() -> None:
    qty, notes = hoard_room(5, 1, 3, False, 0, 30)
    assert (qty, notes) == (2, ("anonymous_limit:3",))
    qty, notes = hoard_room(5, 0, 0, True, 28, 30)
    assert (qty, notes) == (2, ("address_limit:30",))
    assert only_limits(["anonymous_limit:3", "address_limit:30"])
    assert not only_limits(["anonymous_limit:3", "unknown_code:Z9"])
    assert reasons.describe("anonymous_limit:3", "en") == "limit 3 without a phone"
    assert reasons.describe("address_limit:30", "en") == "limit 30 per address"
    assert reasons.describe("anonymous_limit:3") == "tối đa 3 khi chưa có số điện thoại"


def test_talk_back_tells_a_first_paid_buyer_to_pay_first() -> None:
    text = reply_text("vi", "DD-0001", [ReplyLine("C1", "", 1, False, requested=True)],
                      150_000)
    assert "chưa giữ hàng" in text and "DD-0001" in text and "đã giữ" not in text
    english = reply_text("en", "DD-0001", [ReplyLine("C1", "", 1, False, True)], 150_000)
    assert "first to pay" in english
