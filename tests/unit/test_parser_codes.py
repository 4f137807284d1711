"""Lineup codes that look like address parts ("P3" = phường 3, "Q1" = quận 1) stay codes."""

from __future__ import annotations

from livesell.domain.parser import Item, LineupProduct, Parser

LINEUP = [LineupProduct("P3", "Khô cá bổi", ("",)), LineupProduct("Q1", "Trà nhàu", ("",)),
          LineupProduct("F2", "Tôm khô", ("250g", "500g"))]


def test_address_like_codes_are_codes_when_in_the_lineup() -> None:
    parser = Parser(LINEUP)
    assert parser.parse("chốt P3 2").items == (Item("P3", None, 2),)
    assert parser.parse("q1 x3").items == (Item("Q1", None, 3),)
    assert parser.parse("F2 500g").items == (Item("F2", "500g", 1),)


def test_address_parts_outside_the_lineup_are_still_ignored() -> None:
    parser = Parser(LINEUP)
    assert parser.parse("ship về p.5 quận 8 nha").kind == "chat"
    assert parser.parse("địa chỉ p7 q5").kind == "chat"
