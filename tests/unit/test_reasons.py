"""Typed reason codes: rendered the same in Python and in the console's translations."""

from __future__ import annotations

import json
from pathlib import Path

from livesell.domain import reasons

I18N = Path(__file__).resolve().parents[2] / "livesell" / "web" / "i18n" / "reasons.json"


def test_console_translations_match_the_codes() -> None:
    doc = json.loads(I18N.read_text(encoding="utf-8"))
    for code, (vi, en) in reasons.TEXTS.items():
        assert doc[f"console.reason.{code}"] == {"vi": vi, "en": en}, code


def test_reason_split_and_describe() -> None:
    text = reasons.reason(reasons.QTY_OVER_MAX, 60, 50)
    assert text == "qty_over_max:60:50"
    assert reasons.split(text) == ("qty_over_max", ["60", "50"])
    assert reasons.describe(text, "en") == "quantity 60 over the maximum 50"
    assert reasons.describe(text) == "số lượng 60 vượt mức 50"
    both = "variant_unclear:A3; buyer_limit:10:A1"
    assert reasons.describe(both, "en") == "which variant of A3?; limit 10 per buyer for A1"


def test_a_label_with_a_colon_stays_whole_and_unknown_text_is_kept() -> None:
    assert reasons.split("unknown_variant:B2:chai: 500ml") == ("unknown_variant",
                                                              ["B2", "chai: 500ml"])
    assert reasons.describe("something older") == "something older"
