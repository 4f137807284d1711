"""Export files: a :class:`~livesell.domain.exports.Sheet` as CSV or an Excel workbook.

The rows (what goes in each column, and formula neutralising) are domain rules
(:mod:`livesell.domain.exports`); the file formats are here, beside the other outer layers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

import xlsxwriter

from .domain.exports import DEFAULT_WEIGHT_G, Sheet, build_sheet
from .domain.models import Order


def to_csv(sheet: Sheet) -> bytes:
    """UTF-8 with a byte-order mark, so Excel reads "hũ" as "hũ"; CRLF line ends (RFC 4180)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(sheet.header)
    writer.writerows(sheet.rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(sheet: Sheet, title: str = "Orders") -> bytes:
    """One sheet, a bold frozen header, text written as text (never read as a formula/URL)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False})
    page = book.add_worksheet(title[:31])
    bold = book.add_format({"bold": True})
    page.write_row(0, 0, sheet.header, bold)
    page.freeze_panes(1, 0)
    widths = [len(h) for h in sheet.header]
    for r, row in enumerate(sheet.rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, int):
                page.write_number(r, c, value)
            else:
                page.write_string(r, c, value)
            widths[c] = max(widths[c], min(60, len(str(value))))
    for c, width in enumerate(widths):
        page.set_column(c, c, width + 2)
    book.close()
    return out.getvalue()


def export_bytes(orders: Sequence[Order], fmt: str, names: Mapping[str, str], *,
                 preset: str = "orders", lang: str = "vi",
                 default_weight_g: int = DEFAULT_WEIGHT_G) -> tuple[bytes, str]:
    """The file in ``fmt`` (``csv`` or ``xlsx``) for ``preset``: (body, content type)."""
    sheet = build_sheet(orders, preset, names, lang, default_weight_g)
    if fmt == "csv":
        return to_csv(sheet), "text/csv"
    if fmt == "xlsx":
        return to_xlsx(sheet, "Shipping" if preset == "shipping" else "Orders"), XLSX
    raise ValueError(f"unknown export format {fmt!r}")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
