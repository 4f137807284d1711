"""Formatting and parsing of đồng amounts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livesell.domain.money import MAX_VND, format_vnd, parse_vnd

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (0, "0"),
        (5, "5"),
        (1_000, "1.000"),
        (350_000, "350.000"),
        (1_200_000, "1.200.000"),
        (-5_000, "-5.000"),
    ],
)
def test_format_vnd_groups_thousands_with_dots(amount: int, text: str) -> None:
    assert format_vnd(amount) == f"{text}{NBSP}₫"


def test_format_vnd_never_breaks_before_the_symbol() -> None:
    assert " " not in format_vnd(350_000)


@pytest.mark.parametrize("bad", [1.5, "350000", True, None])
def test_format_vnd_rejects_non_integers(bad: object) -> None:
    with pytest.raises(TypeError):
        format_vnd(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("350000", 350_000),
        ("350.000", 350_000),
        ("350,000", 350_000),
        ("350 000", 350_000),
        ("350k", 350_000),
        ("350K", 350_000),
        ("1.5k", 1_500),
        ("1tr2", 1_200_000),
        ("1TR2", 1_200_000),
        ("1tr250", 1_250_000),
        ("1.2tr", 1_200_000),
        ("1,2tr", 1_200_000),
        ("2 triệu 5", 2_500_000),
        ("1 triệu đồng", 1_000_000),
        ("500 nghìn", 500_000),
        ("350.000đ", 350_000),
        ("350.000 ₫", 350_000),
        (f"350.000{NBSP}₫", 350_000),
        ("350000 vnd", 350_000),
        ("350000 VNĐ", 350_000),
        ("  190.000 đ ", 190_000),
        ("1.200.000", 1_200_000),
        ("-5.000 ₫", -5_000),
    ],
)
def test_parse_vnd_accepts_what_sellers_type(text: str, amount: int) -> None:
    assert parse_vnd(text) == amount


@pytest.mark.parametrize(
    "text",
    [
        "",
        "  ",
        "₫",
        "abc",
        "1.5",
        "350.00",
        "350.000.00",
        "1,000.000",
        "1.2tr5",
        "tr2",
        "350kk",
        "12 34",
        "1.2345k",
        "9" * 5000,
        "10000000000000000",
    ],
)
def test_parse_vnd_rejects_everything_else_with_value_error(text: str) -> None:
    with pytest.raises(ValueError, match=r"VND amount|đồng"):
        parse_vnd(text)


def test_parse_vnd_rejects_fractions_of_a_dong_explicitly() -> None:
    with pytest.raises(ValueError, match="whole number"):
        parse_vnd("1.2345k")


@given(st.integers(min_value=-MAX_VND, max_value=MAX_VND))
def test_parse_reads_back_what_format_writes(amount: int) -> None:
    assert parse_vnd(format_vnd(amount)) == amount


@given(st.integers(min_value=0, max_value=999_999_999))
def test_plain_and_grouped_forms_agree(amount: int) -> None:
    grouped = f"{amount:,}"
    assert parse_vnd(str(amount)) == parse_vnd(grouped) == parse_vnd(grouped.replace(",", "."))
