"""Order exports: CSV with a BOM, .xlsx read back with openpyxl, the shipping preset, formula
cells neutralised (CSV/XLSX injection), and the same files from ``livesell export``."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

import openpyxl
import pytest
from aiohttp.test_utils import TestClient

from livesell import keys
from livesell.cli import main
from livesell.domain.exports import neutralise
from tests.conftest import ROLE_TOKENS, auth, comment, post_comments, seed_show

EVIL = ["=HYPERLINK(\"http://x\",\"a\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


async def _orders(client: TestClient, show: str) -> list[str]:
    comments = [comment(f"c{i}", f"chốt A2 x1 09123456{i:02d}", author=f"u{i}",
                        name=f"Khách {i}") for i in range(4)]
    comments.append(comment("evil", "chốt B1 500ml", author="evil", name=EVIL[0]))
    results = await post_comments(client, show, comments)
    codes = [r["order"] for r in results]
    evil = codes[-1]
    order = await (await client.get(f"/api/orders/{evil}", headers=auth())).json()
    resp = await client.patch(f"/api/orders/{evil}", headers=auth(), json={
        "version": order["version"], "contact": {"name": EVIL[0], "phone": EVIL[1],
                                                 "address": EVIL[3] + " hũ mắm"}})
    assert resp.status == 200, await resp.text()
    first = await (await client.get(f"/api/orders/{codes[0]}", headers=auth())).json()
    resp = await client.post(f"/api/orders/{codes[0]}/confirm", headers=auth(),
                             json={"version": first["version"]})
    assert resp.status == 200
    return codes


def test_neutralise_every_formula_start() -> None:
    for text in EVIL:
        assert neutralise(text) == "'" + text
    assert neutralise("Hũ mắm") == "Hũ mắm"
    assert neutralise(-5) == -5


async def test_csv_has_bom_one_row_per_order_and_no_formula(client: TestClient) -> None:
    show = await seed_show(client)
    codes = await _orders(client, show)
    resp = await client.get(f"/api/shows/{show}/orders.csv",
                            headers=auth(ROLE_TOKENS["staff"]))
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in resp.headers["Content-Disposition"]
    raw = await resp.read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[0] == "Mã đơn" and len(header) == 8
    assert sorted(r[0] for r in body) == sorted(codes)
    for row in body:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
    evil = next(r for r in body if r[0] == codes[-1])
    assert evil[1] == "'" + EVIL[0]
    assert evil[2] == "'" + EVIL[1]
    assert "hũ mắm" in evil[3]
    confirmed = next(r for r in body if r[0] == codes[0])
    assert confirmed[7] == "confirmed" and confirmed[6] == "không"


async def test_xlsx_reads_back_with_the_same_rows(client: TestClient) -> None:
    show = await seed_show(client)
    await _orders(client, show)
    text = await (await client.get(f"/api/shows/{show}/orders.csv?lang=en",
                                   headers=auth())).read()
    csv_rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    resp = await client.get(f"/api/shows/{show}/orders.xlsx?lang=en", headers=auth())
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(await resp.read()))
    sheet = book.active
    xlsx_rows = [["" if v is None else str(v) for v in row]
                 for row in sheet.iter_rows(values_only=True)]
    assert xlsx_rows == csv_rows
    assert csv_rows[0][0] == "Order"
    # Text stays text: no cell became a formula.
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f"


async def test_shipping_preset_lists_what_ships_with_cod_and_weight(client: TestClient) -> None:
    show = await seed_show(client)
    codes = await _orders(client, show)
    resp = await client.get(f"/api/shows/{show}/orders.xlsx?preset=shipping", headers=auth())
    book = openpyxl.load_workbook(io.BytesIO(await resp.read()))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][1] == "Tên người nhận"
    assert [r[0] for r in rows[1:]] == [codes[0]]  # only the confirmed order ships
    code, name, phone, address, cod, weight, items = rows[1]
    assert name == "Khách 0" and phone == "0912345600"
    assert cod > 0 and weight > 0 and items


async def test_first_paid_requested_lines_are_listed_and_marked(client: TestClient) -> None:
    """In a first-paid-first-served show an order's lines are requested, not held: the orders
    sheet lists them (its total counts them) with their mark, and the weight does not."""
    show = await seed_show(client)
    resp = await client.patch(f"/api/shows/{show}", json={"first_paid": True}, headers=auth())
    assert resp.status == 200, await resp.text()
    [result] = await post_comments(client, show, [comment("fp", "chốt A2 x2", author="fp")])
    assert result["status"] == "ordered", result
    resp = await client.get(f"/api/shows/{show}/orders.csv", headers=auth())
    rows = list(csv.reader(io.StringIO((await resp.read()).decode("utf-8-sig"))))
    [row] = [r for r in rows[1:] if r[0] == result["order"]]
    lines, total = row[4], int(row[5])
    assert lines.endswith("× 2 (chưa giữ)") and lines.startswith("A2"), lines
    assert total > 0


async def test_export_needs_staff_and_a_show(client: TestClient) -> None:
    show = await seed_show(client)
    assert (await client.get(f"/api/shows/{show}/orders.csv")).status == 401
    resp = await client.get(f"/api/shows/{show}/orders.csv",
                            headers=auth(ROLE_TOKENS["ingest"]))
    assert resp.status == 403
    assert (await client.get("/api/shows/nope/orders.xlsx", headers=auth())).status == 404
    bad = await client.get(f"/api/shows/{show}/orders.csv?preset=x", headers=auth())
    assert bad.status == 400


async def test_report_csv_cells_are_neutralised(client: TestClient) -> None:
    show = await seed_show(client)
    await _orders(client, show)
    text = await (await client.get(f"/api/shows/{show}/report.csv", headers=auth())).text()
    for row in csv.reader(io.StringIO(text)):
        assert not any(c.startswith(("=", "+", "-", "@")) for c in row)


async def test_cli_export_writes_the_same_file(client: TestClient, tmp_path: Any,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    show = await seed_show(client)
    await _orders(client, show)
    served = await (await client.get(f"/api/shows/{show}/orders.csv", headers=auth())).read()
    data = str(client.app[keys.SETTINGS].data_dir)
    out = tmp_path / "orders.csv"
    # The server keeps running: the CLI opens the same SQLite file beside it.
    code = await asyncio.to_thread(main, ["export", show, "--format", "csv", "--data", data,
                                          "--out", str(out)])
    assert code == 0
    assert out.read_bytes() == served
    xlsx = tmp_path / "ship.xlsx"
    assert await asyncio.to_thread(main, ["export", show, "--format", "shipping", "--data",
                                          data, "--out", str(xlsx)]) == 0
    assert openpyxl.load_workbook(xlsx).active.max_row == 2
    assert await asyncio.to_thread(main, ["export", "nope", "--data", data]) == 1
