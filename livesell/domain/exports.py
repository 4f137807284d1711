"""Order exports for after the show: one row per order (the files: :mod:`livesell.export_files`).

Two presets: ``orders`` (the cooperative's own sheet) and ``shipping`` (the columns that
shipping partners' bulk-import sheets ask for: receiver, phone, address, COD amount, weight,
item description). Every text cell goes through :func:`neutralise` first, so a buyer named
``=HYPERLINK(...)`` stays text in Excel, LibreOffice and Google Sheets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .models import LineState, Order, OrderStatus
from .units import parse_label

PRESETS = ("orders", "shipping")
FORMATS = ("csv", "xlsx")
# What a spreadsheet reads as the start of a formula (or a DDE call): OWASP's list.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PAID = (OrderStatus.PAID, OrderStatus.SHIPPED)
# Orders the shipping sheet lists: confirmed and not yet handed to the carrier.
TO_SHIP = (OrderStatus.CONFIRMED, OrderStatus.PAID)
LIVE_LINES = (LineState.HELD, LineState.CONFIRMED)
DEFAULT_WEIGHT_G = 500

Cell = str | int

HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "orders": {
        "vi": ("Mã đơn", "Khách hàng", "Số điện thoại", "Địa chỉ", "Sản phẩm",
               "Tổng tiền (₫)", "Đã trả", "Trạng thái"),
        "en": ("Order", "Customer", "Phone", "Address", "Lines", "Total (VND)", "Paid",
               "Status"),
    },
    "shipping": {
        "vi": ("Mã đơn", "Tên người nhận", "Số điện thoại", "Địa chỉ", "Tiền thu hộ COD (₫)",
               "Khối lượng (gram)", "Tên hàng"),
        "en": ("Order", "Receiver name", "Phone", "Address", "COD amount (VND)",
               "Weight (g)", "Item description"),
    },
}
YES_NO = {"vi": ("có", "không"), "en": ("yes", "no")}


def cod_due(order: Order) -> int:
    """What the courier collects on delivery: nothing once paid, else the total less what
    bank transfers already brought (an underpaid order)."""
    return 0 if order.status in PAID else max(0, order.total - order.received)


def neutralise(value: Cell) -> Cell:
    """A text cell that a spreadsheet would run as a formula, made plain text.

    A leading apostrophe is what Excel itself shows for "text that looks like a formula"; it
    keeps ``+84 912 345 678`` readable while ``=1+1`` no longer computes. Numbers pass as they
    are (a negative total is a number, not a formula).
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass(frozen=True, slots=True)
class Sheet:
    """A header and its rows, every cell already neutralised."""

    header: tuple[str, ...]
    rows: list[list[Cell]]


# Lines listed but not (yet) the buyer's, with the mark they carry: waiting for stock, or, in
# a first-paid-first-served show, asked for and not held until the transfer arrives (the
# order's total counts them, so a row without them would not add up).
PENDING_MARKS = {LineState.WAITLISTED: " (chờ)", LineState.REQUESTED: " (chưa giữ)"}


def line_text(order: Order, names: Mapping[str, str], *, with_names: bool = False) -> str:
    """``A1 1kg × 2; B1 × 1``: the lines that count (released lines are gone)."""
    parts = []
    for line in order.lines:
        if line.state not in LIVE_LINES and line.state not in PENDING_MARKS:
            continue
        label = f"{line.code} {line.variant}".strip()
        if with_names and names.get(line.code.upper()):
            label = f"{names[line.code.upper()]} {line.variant}".strip()
        parts.append(f"{label} × {line.qty}{PENDING_MARKS.get(line.state, '')}")
    return "; ".join(parts)


def weight_grams(order: Order, default_g: int = DEFAULT_WEIGHT_G) -> int:
    """The parcel's weight from the variant labels (``500g``, ``1kg``, ``chai 500ml`` at about
    1 g/ml); an item without a measure counts ``default_g``."""
    total = 0
    for line in order.lines:
        if line.state not in LIVE_LINES:
            continue
        measure, _ = parse_label(line.variant)
        each = measure[1] if measure and measure[0] in ("g", "ml") else default_g
        total += each * line.qty
    return total


def customer(order: Order) -> str:
    return order.contact.name or order.buyer_name


def build_sheet(orders: Sequence[Order], preset: str, names: Mapping[str, str],
                lang: str = "vi", default_weight_g: int = DEFAULT_WEIGHT_G) -> Sheet:
    """One row per order, oldest first, in the preset's columns."""
    if preset not in PRESETS:
        raise ValueError(f"unknown export preset {preset!r}")
    lang = lang if lang in YES_NO else "vi"
    yes, no = YES_NO[lang]
    rows: list[list[Cell]] = []
    for order in sorted(orders, key=lambda o: (o.created_at, o.code)):
        contact = order.contact
        if preset == "orders":
            cells: list[Cell] = [order.code, customer(order), contact.phone, contact.address,
                                 line_text(order, names), order.total,
                                 yes if order.status in PAID else no, str(order.status)]
        else:
            if order.status not in TO_SHIP:
                continue
            cod = cod_due(order)
            cells = [order.code, customer(order), contact.phone, contact.address, cod,
                     weight_grams(order, default_weight_g),
                     line_text(order, names, with_names=True)]
        rows.append([neutralise(c) for c in cells])
    return Sheet(HEADERS[preset][lang], rows)
