"""Follow-up comments: phone and address for the buyer's order, read beside the parser."""

from __future__ import annotations

from livesell.domain.followup import FollowUp, read_follow_up
from livesell.domain.parser import LineupProduct, Parser

PARSER = Parser([LineupProduct("A1", "Cua gạch", ("500g", "1kg")),
                 LineupProduct("A2", "Cua muối", ("",))], "A1")


def follow(text: str) -> FollowUp:
    return read_follow_up(text, PARSER.parse(text))


def test_phone_only_is_a_contact() -> None:
    assert follow("sdt 0912 888 777") == FollowUp("contact", "0912888777")
    assert follow("0912.888.777") == FollowUp("contact", "0912888777")


def test_address_and_phone_together() -> None:
    assert follow("sdt 0912888777 địa chỉ 15 Phan Đình Phùng p3 Bạc Liêu ạ") == FollowUp(
        "contact", "0912888777", "15 Phan Đình Phùng p3 Bạc Liêu")
    assert follow("giao 12 Lý Thường Kiệt P.5 Cà Mau") == FollowUp(
        "contact", None, "12 Lý Thường Kiệt P.5 Cà Mau")


def test_unclear_address_is_a_note_never_dropped() -> None:
    assert follow("ship về Cà Mau nha") == FollowUp("contact", None, note="Cà Mau")


def test_orders_and_chatter_are_left_to_the_parser() -> None:
    assert follow("chốt A1 1kg 0912888777").kind == "order"
    assert follow("hello shop").kind == "chat"
    assert follow("huỷ A2").kind == "cancel"


def test_bo_with_a_count_cancels_that_many_units() -> None:
    """"bỏ 1 A2" is "huỷ 1 A2": one unit, not every A2 line (and never a new order)."""
    for text in ("bỏ 1 A2", "bo 1 A2", "bỏ x1 A2", "bỏ một A2"):
        done = follow(text)
        assert done.kind == "reduce", text
        assert done.items is not None and [(i.code, i.qty) for i in done.items] == [("A2", 1)]
    assert follow("bỏ A2").kind == "cancel"  # no count: every A2 line, as "huỷ A2"
    # "bỏ" inside other phrases cancels nothing
    assert follow("bỏ vào giỏ A2 x2").kind == "order"
    assert follow("đừng bỏ lỡ A2").kind != "cancel"
    assert follow("bố 1 A2").kind != "reduce"
