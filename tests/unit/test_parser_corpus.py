"""The labelled corpus by tier: core, hard orders and show-night noise, and the calibration
of the parser's confidence. Run with ``-s`` to see the tables (also ``livesell parse
--check tests/data/comments.yaml``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from livesell.commands.parse_corpus import expected, plain, report, score
from livesell.domain.catalog import load_catalog_file
from livesell.domain.parser import DEFAULT_MIN_CONFIDENCE, Parser, lineup_product

DATA = Path(__file__).resolve().parent.parent / "data"
DOC: dict[str, Any] = yaml.safe_load((DATA / "comments.yaml").read_text(encoding="utf-8"))
LINEUP = [lineup_product(p) for p in load_catalog_file(DATA / "parser_catalog.yaml")]
PARSER = Parser(LINEUP, DOC["pinned"], DOC["max_qty"], DEFAULT_MIN_CONFIDENCE)
CODES = PARSER.codes
HARD = DOC["hard"]
NOISE = DOC["noise"]


def test_corpus_size_and_tiers() -> None:
    assert len(DOC["comments"]) + len(HARD) + len(NOISE) >= 1000
    assert len(NOISE) >= 300
    assert {e["kind"] for e in NOISE} <= {"chat", "question"}
    texts = [e["text"] for tier in ("comments", "hard", "noise") for e in DOC[tier]
             if "pinned" not in e]
    assert len(texts) == len(set(texts))


def test_scores_per_tier(capsys: pytest.CaptureFixture[str]) -> None:
    scores, calibration = score(DOC, PARSER, CODES)
    with capsys.disabled():
        print("\n" + report(scores, calibration))
    core, hard, noise = scores
    assert core.accuracy >= 0.99, core.misses
    assert hard.accuracy >= 0.95 and hard.orders == 0, hard.misses
    assert noise.orders == 0, noise.misses
    # Calibration: every band at or above the threshold is right on the corpus.
    for low, (right, wrong) in calibration.bands.items():
        if low >= DEFAULT_MIN_CONFIDENCE:
            assert right / (right + wrong) >= 0.99, (low, right, wrong)


@pytest.mark.parametrize("entry", HARD, ids=[e["text"] for e in HARD])
def test_hard_orders_exact_or_review(entry: dict[str, Any]) -> None:
    got = plain(PARSER.with_pinned(entry.get("pinned", DOC["pinned"])).parse(entry["text"]))
    assert got == expected(entry) or got["kind"] == "review"


@pytest.mark.parametrize("pinned", [*CODES, None])
def test_noise_never_orders_whatever_is_pinned(pinned: str | None) -> None:
    parser = PARSER.with_pinned(pinned)
    ordered = [e["text"] for e in NOISE if parser.parse(e["text"]).kind == "order"]
    assert ordered == []


def test_the_seven_tet_comments_hold_nothing() -> None:
    texts = ["năm mới an khang thịnh vượng, mua may bán đắt nha chị",
             "tết này mua gì cho ba mẹ đây ta", "mẹ mình bảo mua cua Đầm Dơi là ngon nhất",
             "thấy ngon quá muốn mua ghê mà hết tiền 😂", "bữa nào rảnh mua thử",
             "tui mua B2 rồi, ngon lắm", "cua A1 hôm trước ăn mặn quá"]
    for text in texts:
        assert PARSER.without_gate().parse(text).kind in ("chat", "question"), text


# -- properties ------------------------------------------------------------------------------

GREETINGS = ["chúc mừng năm mới", "năm mới an khang thịnh vượng", "chúc shop mua may bán đắt",
             "chào shop", "chao ca nha", "shop ơi", "❤️❤️", "🧧", "chúc shop phát tài phát lộc",
             "hello cả nhà", "tết vui vẻ nha", "chuc mung nam moi"]
ORDERS = [e for e in DOC["comments"] if e["kind"] == "order" and "pinned" not in e
          and len(e["text"]) < 40 and not e["text"].startswith(("(", "\""))][:80]
SETTINGS = settings(max_examples=200, deadline=None, database=None)


@SETTINGS
@given(st.sampled_from(ORDERS), st.sampled_from(GREETINGS), st.booleans(),
       st.sampled_from([", ", ". ", " ! ", " - "]))
def test_a_greeting_does_not_change_an_order(entry: dict[str, Any], greeting: str,
                                             before: bool, sep: str) -> None:
    text = f"{greeting}{sep}{entry['text']}" if before else f"{entry['text']}{sep}{greeting}"
    plain_order = plain(PARSER.parse(entry["text"]))
    assert plain(PARSER.parse(text)) == plain_order


@SETTINGS
@given(st.sampled_from(NOISE), st.sampled_from([*CODES, None]),
       st.sampled_from(["", " 😂", " ❤️", " nha shop", " !!", " ạ", " hihi"]))
def test_noise_with_a_pinned_product_stays_non_order(entry: dict[str, Any], pinned: str | None,
                                                      tail: str) -> None:
    assert PARSER.with_pinned(pinned).parse(entry["text"] + tail).kind != "order"
