"""Bank-transfer rules: finding the order code in a message, and what the money does."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livesell.domain.errors import Invalid
from livesell.domain.models import OrderStatus
from livesell.domain.payments import bank_account, deadline_step, order_codes, outcome, settle

PREFIXES = ("DD",)


@pytest.mark.parametrize("content", [
    "DD-0042", "DD0042", "dd 0042", "dd-42", "Thanh toan don DD0042 chi Ha",
    "MBVCB.3278907687.DD0042.CT tu 0123456789 NGUYEN VAN A", "IBFT dd.0042", "ND:DD_0042",
    "chuyen tien DD 0042 cam on shop",
])
def test_code_in_any_form_a_bank_app_leaves(content: str) -> None:
    assert order_codes(content, PREFIXES) == ["DD-0042"]


@pytest.mark.parametrize("content", [
    "", "chuyen tien mua cua", "ADD0042", "DD00421234567890", "0042", "DDX0042",
])
def test_no_code_where_there_is_none(content: str) -> None:
    assert order_codes(content, PREFIXES) == []


def test_several_codes_in_order_and_other_prefixes() -> None:
    assert order_codes("TT DD-0007 va DD0042, DD 7", PREFIXES) == ["DD-0007", "DD-0042"]
    assert order_codes("TET-0012 and dd0003", ("DD", "TET")) == ["TET-0012", "DD-0003"]
    assert order_codes("big order DD12345", PREFIXES) == ["DD-12345"]


@given(st.integers(min_value=1, max_value=99_999), st.text(max_size=30),
       st.text(max_size=30), st.sampled_from(["-", "", " ", "."]))
def test_any_code_among_words_is_found(number: int, before: str, after: str, sep: str) -> None:
    code = f"DD-{number:04d}"
    content = f"{before} DD{sep}{number:04d} {after}"
    assert code in order_codes(content, PREFIXES)


@pytest.mark.parametrize(("status", "total", "received", "amount", "after", "flag", "word"), [
    (OrderStatus.CONFIRMED, 350_000, 0, 350_000, OrderStatus.PAID, "", "paid"),
    (OrderStatus.CONFIRMED, 350_000, 0, 300_000, OrderStatus.CONFIRMED, "underpaid",
     "underpaid"),
    (OrderStatus.CONFIRMED, 350_000, 300_000, 50_000, OrderStatus.PAID, "", "paid"),
    (OrderStatus.CONFIRMED, 350_000, 0, 400_000, OrderStatus.PAID, "overpaid", "overpaid"),
    (OrderStatus.CAPTURED, 350_000, 0, 350_000, OrderStatus.CAPTURED, "", "received"),
    (OrderStatus.PAID, 350_000, 350_000, 10_000, OrderStatus.PAID, "overpaid", "overpaid"),
    (OrderStatus.CANCELLED, 0, 0, 350_000, OrderStatus.CANCELLED, "overpaid", "overpaid"),
])
def test_settle(status: OrderStatus, total: int, received: int, amount: int,
                after: OrderStatus, flag: str, word: str) -> None:
    settlement = settle(status, total, received, amount)
    assert (settlement.status, settlement.flag, settlement.received) == (
        after, flag, received + amount)
    assert outcome(status, settlement) == word


@given(st.integers(0, 10**9), st.integers(0, 10**9), st.integers(1, 10**9))
def test_only_enough_money_pays_a_confirmed_order(total: int, received: int,
                                                  amount: int) -> None:
    s = settle(OrderStatus.CONFIRMED, total, received, amount)
    assert (s.status == OrderStatus.PAID) == (received + amount >= total)
    assert (s.flag == "underpaid") == (received + amount < total)


def test_bank_account_is_checked() -> None:
    account = bank_account("vcb", "0071 000 123 456", "  HTX  CUA DAM DOI ")
    assert (account.bin, account.number, account.holder) == (
        "970436", "0071000123456", "HTX CUA DAM DOI")
    assert account.bank == "Vietcombank"
    assert bank_account("970422", "123456").bank == "MB"
    for bank, number in [("Nowhere Bank", "123456"), ("999999", "123456"),
                         ("MB", "12"), ("MB", "12345678901234567890"), ("MB", "12 34;56")]:
        with pytest.raises(Invalid):
            bank_account(bank, number)


@pytest.mark.parametrize(("status", "flag", "confirmed", "warned", "now", "step"), [
    (OrderStatus.CONFIRMED, "", 0.0, None, 2 * 3600 - 1, ""),
    (OrderStatus.CONFIRMED, "", 0.0, None, 2 * 3600, "warn"),
    (OrderStatus.CONFIRMED, "underpaid", 0.0, None, 3 * 3600, "warn"),
    (OrderStatus.CONFIRMED, "overdue", 0.0, 7200.0, 7200 + 59 * 60, ""),
    (OrderStatus.CONFIRMED, "overdue", 0.0, 7200.0, 7200 + 60 * 60, "release"),
    (OrderStatus.PAID, "overdue", 0.0, 7200.0, 10**6, ""),
    (OrderStatus.CAPTURED, "", 0.0, None, 10**6, ""),
    (OrderStatus.CONFIRMED, "", None, None, 10**6, ""),
])
def test_deadline_warns_then_releases(status: OrderStatus, flag: str, confirmed: float | None,
                                      warned: float | None, now: float, step: str) -> None:
    assert deadline_step(status, flag, confirmed, warned, now, 2, 60) == step
    assert deadline_step(status, flag, confirmed, warned, now, None, 60) == ""


def test_config_refuses_an_unknown_bank() -> None:
    from livesell.config import ConfigError, load_settings

    assert load_settings(env={}, payment_bank="vcb", payment_account="0071000123456")
    with pytest.raises(ConfigError, match="payment_bank"):
        load_settings(env={}, payment_bank="Nowhere Bank", payment_account="0071000123456")
    with pytest.raises(ConfigError, match="payment_account"):
        load_settings(env={}, payment_bank="MB", payment_account="")
