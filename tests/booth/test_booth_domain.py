"""The booth form and planned shows, without an event loop."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livesell.domain.booth import (
    ics_event,
    normalise_phone,
    parse_start,
    read_booth_order,
    upcoming,
)
from livesell.domain.catalog import load_catalog_file
from livesell.domain.errors import Invalid
from livesell.domain.models import Show

CATALOG = load_catalog_file(Path(__file__).resolve().parents[1] / "data" / "shop.yaml")


def body(**extra: object) -> dict[str, object]:
    product = next(p for p in CATALOG if len(p.variants) > 1)
    return {"items": [{"code": product.code, "variant": product.variants[0].label, "qty": 2}],
            "name": "  Lê   Thị Hoa ", "phone": "+84 912.345.678",
            "address": "12 Lý Thường Kiệt, P.5, Cà Mau", **extra}


def test_a_form_becomes_lines_and_a_contact() -> None:
    order = read_booth_order(body(), CATALOG, max_qty=50)
    assert order.contact.name == "Lê Thị Hoa"
    assert order.contact.phone == "0912345678"
    assert order.contact.address.startswith("12 Lý")
    assert [line.qty for line in order.lines] == [2]


def test_the_same_size_twice_is_one_line() -> None:
    first = body()["items"][0]  # type: ignore[index]
    order = read_booth_order(body(items=[first, first]), CATALOG, max_qty=50)
    assert len(order.lines) == 1 and order.lines[0].qty == 4


@pytest.mark.parametrize("change, field", [
    ({"phone": "12345"}, "phone"), ({"phone": 912345678}, "phone"), ({"name": ""}, "name"),
    ({"name": "x" * 81}, "name"), ({"items": []}, "items"),
    ({"items": [{"code": "ZZ9", "qty": 1}]}, "items"),
    ({"items": [{"code": "A1", "variant": "9kg", "qty": 1}]}, "items"),
    ({"items": [{"code": "A1", "variant": "500g", "qty": 1e9}]}, "items"),
    ({"items": [{"code": "A1", "variant": "500g", "qty": True}]}, "items"),
    ({"items": [{"code": "A1", "variant": "500g", "qty": 0}]}, "items"),
    ({"items": "A1"}, "items"), ({"address": ["x"]}, "address"),
])
def test_bad_forms_name_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(Invalid) as caught:
        read_booth_order(body(**change), CATALOG, max_qty=50)
    assert caught.value.detail.get("field") == field


@given(st.text(max_size=30))
def test_phone_is_a_vietnamese_mobile_or_refused(text: str) -> None:
    try:
        phone = normalise_phone(text)
    except Invalid:
        return
    assert len(phone) == 10 and phone[0] == "0" and phone[1] in "35789" and phone.isdigit()


def test_start_times_parse_with_and_without_zones() -> None:
    assert parse_start("2027-01-28T19:30:00+07:00") == parse_start(1801139400)
    assert parse_start("2027-01-28T12:30:00Z") == 1801139400.0
    assert parse_start(None) is None
    for bad in ("tomorrow", True, 1e30, [1], "0001-01-01T00:00:00"):
        with pytest.raises(Invalid):
            parse_start(bad)


def test_upcoming_lists_planned_drafts_soonest_first() -> None:
    shows = [Show("a", "A", (), starts_at=12_000.0), Show("b", "B", (), starts_at=11_500.0),
             Show("c", "C", ()), Show("booth", "Booth", (), starts_at=11_200.0, kind="booth"),
             Show("late", "Late", (), starts_at=9_000.0), Show("d", "D", (), starts_at=100.0)]
    # a show planned in the last hour but not started yet stays listed: the host runs late
    assert [s.id for s in upcoming(shows, now=10_000.0)] == ["late", "b", "a"]


def test_the_calendar_file_is_valid_icalendar() -> None:
    show = Show("8f3a2c1d", "Tết; cua, mật ong\nlive", (), starts_at=1801139400.0)
    text = ics_event(show, "https://live.example.vn/s/8f3a2c1d", now=1801000000.0)
    lines = text.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR"
    assert "DTSTART:20270128T123000Z" in lines
    assert "SUMMARY:Tết\\; cua\\, mật ong\\nlive" in text
    assert all(len(line.encode()) <= 75 for line in lines)
