"""Bank transfers and the orders they pay: pure rules, no I/O.

A buyer pays by bank transfer with the order code as the message (the VietQR on the order page
fills it in). The bank, or a bridge such as SePay or Casso, tells us about each transfer; these
functions find the order code in whatever the bank app left of the message, and decide what
the money does to the order. Stores apply the decision; they never make it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .errors import Invalid
from .first_paid import PREPAY_FROM
from .models import OrderStatus
from .vietqr import BANKS, resolve_bank

__all__ = [
    "OVERDUE", "BankAccount", "Settlement", "Transfer", "TransferRecord", "TransferStatus",
    "bank_account", "deadline_step", "order_codes", "outcome", "payment_detail", "settle",
]

_KNOWN_BINS = frozenset(BANKS.values())
_ACCOUNT = re.compile(r"[0-9A-Za-z]{4,19}")


class TransferStatus(StrEnum):
    MATCHED = "matched"  # found its order by the code in the message
    UNMATCHED = "unmatched"  # no code, or a code of no order: waits for staff
    ATTACHED = "attached"  # staff attached it to an order by hand


@dataclass(frozen=True, slots=True)
class BankAccount:
    """Where buyers send money: bank (NAPAS BIN), account number, account holder."""

    bin: str
    number: str
    holder: str = ""

    @property
    def bank(self) -> str:
        return next((name for name, code in BANKS.items() if code == self.bin), self.bin)

    def to_json(self) -> dict[str, str]:
        return {"bin": self.bin, "bank": self.bank, "number": self.number,
                "holder": self.holder}


def bank_account(bank: str, number: str, holder: str = "") -> BankAccount:
    """A checked account: ``bank`` is a known bank's name, alias or BIN (see ``BANKS``).

    Raises :class:`Invalid` naming the field that is wrong."""
    try:
        bank_bin = resolve_bank(bank)
    except ValueError as exc:
        raise Invalid(str(exc), field="bin") from None
    if bank_bin not in _KNOWN_BINS:
        raise Invalid(f"unknown bank BIN {bank_bin}", field="bin")
    number = re.sub(r"[\s.\-]", "", number)
    if not _ACCOUNT.fullmatch(number):
        raise Invalid("account number must be 4-19 letters or digits", field="number")
    holder = " ".join(holder.split())
    if len(holder) > 80:
        raise Invalid("account holder must be at most 80 characters", field="holder")
    return BankAccount(bank_bin, number, holder)


@dataclass(frozen=True, slots=True)
class Transfer:
    """One bank transaction as a feed reported it. ``id`` is unique per feed ("sepay:92704")."""

    id: str
    source: str
    amount: int
    content: str
    at: str = ""  # the bank's own time, as it sent it
    incoming: bool = True
    reference: str = ""
    account: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "source": self.source, "amount": self.amount,
                "content": self.content, "at": self.at, "incoming": self.incoming,
                "reference": self.reference, "account": self.account}

    @staticmethod
    def from_json(doc: dict[str, Any]) -> Transfer:
        return Transfer(str(doc["id"]), str(doc["source"]), int(doc["amount"]),
                        str(doc.get("content", "")), str(doc.get("at", "")),
                        bool(doc.get("incoming", True)), str(doc.get("reference", "")),
                        str(doc.get("account", "")))


@dataclass(frozen=True, slots=True)
class TransferRecord:
    """A transfer as stored: where it went and what it did."""

    transfer: Transfer
    status: TransferStatus
    recorded_at: float
    order: str | None = None
    outcome: str = ""  # paid | underpaid | overpaid | received (see ``outcome``)
    actor: str = ""

    def to_json(self) -> dict[str, Any]:
        return {**self.transfer.to_json(), "status": str(self.status), "order": self.order,
                "outcome": self.outcome, "recorded_at": self.recorded_at, "actor": self.actor}

    @staticmethod
    def from_json(doc: dict[str, Any]) -> TransferRecord:
        return TransferRecord(Transfer.from_json(doc), TransferStatus(doc["status"]),
                              float(doc["recorded_at"]), doc.get("order") or None,
                              str(doc.get("outcome", "")), str(doc.get("actor", "")))


def _code_pattern(prefixes: Iterable[str]) -> re.Pattern[str]:
    alternatives = "|".join(sorted({re.escape(p.upper()) for p in prefixes if p}, key=len,
                                   reverse=True))
    # The prefix as a word of its own or glued to the number, with any separator a bank app
    # leaves ("DD-0042", "DD0042", "dd 0042", "DD.0042", "DD_42"); never inside a longer word
    # or a longer number ("ADD0042", "DD00421").
    return re.compile(rf"(?<![0-9A-Z])({alternatives})[\s\-_.:#]*(\d{{1,8}})(?!\d)")


def order_codes(content: str, prefixes: Iterable[str]) -> list[str]:
    """Every order code in a transfer message, in the stored form ("DD-0042"), first first.

    ``prefixes`` are the order prefixes in use (each show's ``order_prefix``).
    """
    wanted = [p for p in prefixes if p]
    if not wanted or not content:
        return []
    found: list[str] = []
    for prefix, digits in _code_pattern(wanted).findall(content.upper()):
        code = f"{prefix}-{int(digits):04d}"
        if code not in found:
            found.append(code)
    return found


@dataclass(frozen=True, slots=True)
class Settlement:
    """What a transfer does to its order: money received so far, flag and status after it."""

    received: int
    flag: str  # "" (paid in full), "underpaid" or "overpaid"
    status: OrderStatus

    def to_json(self) -> dict[str, Any]:
        return {"received": self.received, "flag": self.flag, "status": str(self.status)}


def settle(status: OrderStatus, total: int, received: int, amount: int,
           prepay: bool = False) -> Settlement:
    """The order after ``amount`` more arrives (invariant 10: money is matched, not assumed).

    Equal to the total → ``paid``; less → the status stays, flagged ``underpaid``; more →
    ``paid``, flagged ``overpaid``. Only a confirmed order becomes paid: money for an order
    staff have not confirmed yet (or one already closed) is recorded and flagged, and staff
    decide. With ``prepay`` (the order has units asked for in a first-paid-first-served show,
    ``domain/first_paid.py``) a captured order becomes paid too: the payment is what takes
    the units, and the store then decides which it gets.
    """
    after = received + amount
    flag = "underpaid" if after < total else "overpaid" if after > total else ""
    paid = (status == OrderStatus.CONFIRMED or (prepay and status in PREPAY_FROM)) \
        and after >= total
    return Settlement(after, flag, OrderStatus.PAID if paid else status)


OVERDUE = "overdue"


def deadline_step(status: OrderStatus, flag: str, confirmed_at: float | None,
                  warned_at: float | None, now: float, hours: int | None,
                  grace_minutes: int) -> str:
    """The payment deadline of a show (``payment_hours``) for one order: ``"warn"`` when a
    confirmed order is still unpaid ``hours`` after it was confirmed (staff are told and the
    order is flagged ``overdue``), ``"release"`` once ``grace_minutes`` more passed after that
    warning (its stock goes back, to the waitlist first), else ``""``."""
    if not hours or status != OrderStatus.CONFIRMED or confirmed_at is None:
        return ""
    if flag != OVERDUE or warned_at is None:
        return "warn" if now >= confirmed_at + hours * 3600 else ""
    return "release" if now >= warned_at + grace_minutes * 60 else ""


def payment_detail(transfer: Transfer, outcome: str) -> str:
    """The audit line of a payment: which transaction, how much, what it did."""
    return f"{transfer.id} {transfer.amount} VND {outcome}: {transfer.content[:120]}"


def outcome(before: OrderStatus, settlement: Settlement) -> str:
    """One word for the staff console and the audit trail."""
    if settlement.flag:
        return settlement.flag
    return "paid" if settlement.status == OrderStatus.PAID and before != OrderStatus.PAID \
        else "received"
