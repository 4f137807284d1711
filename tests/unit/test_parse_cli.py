"""``livesell parse``: stdin comments to JSON lines, with YAML and CSV catalogs."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from livesell.commands import parse as parse_cmd

DATA = Path(__file__).resolve().parent.parent / "data"
CATALOG = DATA / "parser_catalog.yaml"
REPO = Path(__file__).resolve().parent.parent.parent


def run_with(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], stdin: str, *argv: str
) -> tuple[int, list[dict[str, object]], str]:
    ap = argparse.ArgumentParser()
    parse_cmd.add_arguments(ap)
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = parse_cmd.run(ap.parse_args(list(argv)))
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


def test_one_json_line_per_comment_in_order(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin = "chốt A1 1kg x2 0912.345.678\ngiá bao nhiêu\n\nhủy đơn\nlấy 2 hũ\n"
    code, rows, _ = run_with(monkeypatch, capsys, stdin, "--catalog", str(CATALOG),
                             "--pinned", "a2")
    assert code == 0
    assert [r["kind"] for r in rows] == ["order", "question", "chat", "cancel", "order"]
    assert rows[0]["items"] == [{"code": "A1", "variant": "1kg", "qty": 2}]
    assert rows[0]["phone"] == "0912345678"
    assert rows[4]["items"] == [{"code": "A2", "variant": None, "qty": 2}]


def test_max_qty_option(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, rows, _ = run_with(monkeypatch, capsys, "A2 x8\n", "--catalog", str(CATALOG),
                          "--max-qty", "5")
    assert rows[0]["kind"] == "review" and rows[0]["reason"] == "qty_over_max:8:5"


def test_csv_catalog(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    csv = tmp_path / "lineup.csv"
    csv.write_text(
        "code,name,category,variant,price,stock\n"
        "A1,Cua gạch Đầm Dơi,food,500g,190000,50\n"
        "A1,Cua gạch Đầm Dơi,food,1kg,360000,30\n"
        "B1,Nước cốt nhàu,beverage,1l,170000,40\n",
        encoding="utf-8",
    )
    _, rows, _ = run_with(monkeypatch, capsys, "a1 1 ký\nb1 x3\n", "--catalog", str(csv))
    assert rows[0]["items"] == [{"code": "A1", "variant": "1kg", "qty": 1}]
    assert rows[1]["items"] == [{"code": "B1", "variant": None, "qty": 3}]


def test_yaml_fallback_reads_the_catalog_shape() -> None:
    lineup = parse_cmd._lineup_from_yaml(str(CATALOG))
    assert lineup[0].code == "A1" and lineup[0].variants == ("500g", "1kg")
    assert lineup[1].variants == ("",)


def test_bad_catalog_and_bad_pinned_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("products: [{name: no code}]\n", encoding="utf-8")
    code, rows, err = run_with(monkeypatch, capsys, "A1\n", "--catalog", str(bad))
    assert (code, rows) == (2, []) and "livesell parse:" in err
    code, rows, err = run_with(monkeypatch, capsys, "A1\n", "--catalog", str(CATALOG),
                               "--pinned", "ZZ9")
    assert (code, rows) == (2, []) and "ZZ9" in err


def test_runs_as_a_module() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "livesell.commands.parse", "--catalog", str(CATALOG),
         "--pinned", "C3"],
        input="chốt 3 gói 🦀 0987654321\nB2 1 hũ\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    first, second = (json.loads(line) for line in proc.stdout.splitlines())
    assert first["items"] == [{"code": "C3", "variant": None, "qty": 3}]
    assert first["phone"] == "0987654321"
    assert second["items"] == [{"code": "B2", "variant": "hũ 500ml", "qty": 1}]
    assert '"hũ 500ml"' in proc.stdout  # written as UTF-8, not \u escapes


def test_check_scores_the_corpus_per_tier(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ap = argparse.ArgumentParser()
    parse_cmd.add_arguments(ap)
    code = parse_cmd.run(ap.parse_args(["--catalog", str(CATALOG), "--check",
                                        str(DATA / "comments.yaml")]))
    out = capsys.readouterr().out
    assert code == 0
    noise = next(line for line in out.splitlines() if line.startswith("| noise"))
    assert noise.rstrip().endswith("| 0 |")  # nothing read as an order
    assert "| core |" in out and "| hard |" in out and "precision" in out


def test_min_confidence_option(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, rows, _ = run_with(monkeypatch, capsys, "dat\n", "--catalog", str(CATALOG),
                          "--pinned", "A2")
    assert rows[0]["kind"] == "review" and rows[0]["guess"][0]["code"] == "A2"
    _, rows, _ = run_with(monkeypatch, capsys, "dat\n", "--catalog", str(CATALOG),
                          "--pinned", "A2", "--min-confidence", "0")
    assert rows[0]["kind"] == "order" and rows[0]["confidence"] < 0.8
