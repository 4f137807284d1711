"""Comment parser: the labelled corpus, then one focused test per grammar rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from livesell.domain.catalog import load_catalog_file
from livesell.domain.parser import (
    DEFAULT_MIN_CONFIDENCE,
    MAX_TEXT,
    Intent,
    Item,
    LineupProduct,
    Parser,
    gate,
    lineup_product,
)
from livesell.domain.textnorm import normalize

DATA = Path(__file__).resolve().parent.parent / "data"


def load_lineup() -> list[LineupProduct]:
    return [lineup_product(p) for p in load_catalog_file(DATA / "parser_catalog.yaml")]


def load_corpus() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    doc = yaml.safe_load((DATA / "comments.yaml").read_text(encoding="utf-8"))
    return doc, doc["comments"]


LINEUP = load_lineup()
DOC, CORPUS = load_corpus()
BASE = Parser(LINEUP, max_qty=DOC["max_qty"])


def as_plain(intent: Intent) -> dict[str, Any]:
    return {
        "kind": intent.kind,
        "items": [[i.code, i.variant, i.qty] for i in intent.items],
        "phone": intent.phone,
    }


def test_corpus_is_large_and_well_formed() -> None:
    assert len(CORPUS) >= 400
    texts = [entry["text"] for entry in CORPUS]
    kinds = {entry["kind"] for entry in CORPUS}
    assert kinds == {"order", "cancel", "question", "chat", "review"}
    assert len(set(zip(texts, [str(e.get("pinned", "")) for e in CORPUS], strict=True))) == len(
        texts
    )


@pytest.mark.parametrize(
    "entry", CORPUS, ids=[f"{e['text']}@{e.get('pinned', DOC['pinned'])}" for e in CORPUS]
)
def test_corpus(entry: dict[str, Any]) -> None:
    parser = BASE.with_pinned(entry.get("pinned", DOC["pinned"]))
    got = as_plain(gate(parser.parse(entry["text"]), DEFAULT_MIN_CONFIDENCE))
    want = {"kind": entry["kind"], "items": entry["items"], "phone": entry.get("phone")}
    assert got == want


def parse(text: str, pinned: str | None = "A1", max_qty: int = 50) -> Intent:
    return Parser(LINEUP, pinned, max_qty).parse(text)


# --- normalisation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Chốt Đơn", "chot don"),
        ("ＣＨỐＴ　Ａ１", "chot a1"),
        ("ch\u200bốt", "chot"),
        ("cho\u0302\u0301t", "chot"),  # typed as base letters plus combining marks
        ("🦀  chốt   🦀", "chot"),
        ("[top fan] chốt", "chot"),
        ("@Hương chốt", "chot"),
        ("A1 × 2", "a1 x 2"),
        ("Mật ong U Minh", "mat ong u minh"),
    ],
)
def test_normalize(raw: str, folded: str) -> None:
    assert normalize(raw) == folded


def test_normalize_bounds_length() -> None:
    assert len(normalize("a " * 5000)) <= MAX_TEXT


# --- order words and codes -----------------------------------------------------------


@pytest.mark.parametrize(
    "word", ["chốt", "chot", "chốt đơn", "lấy", "mua", "đặt", "lên đơn", "xí", "sold", "buy",
             "order"]
)
def test_order_words_take_the_pinned_product(word: str) -> None:
    intent = parse(word, pinned="A2")
    assert (intent.kind, intent.items) == ("order", (Item("A2", None, 1),))


def test_code_alone_is_an_order_and_keeps_catalog_case() -> None:
    assert parse("c3", pinned=None).items == (Item("C3", None, 1),)


def test_letter_only_codes_need_a_prefix() -> None:
    parser = Parser([LineupProduct("CUA", "Cua gạch", ("",))])
    assert parser.parse("cua ngon quá").kind == "chat"
    assert parser.parse("#cua x2").items == (Item("CUA", None, 2),)
    assert parser.parse("mã CUA").items == (Item("CUA", None, 1),)


def test_order_word_without_pinned_or_code_is_review() -> None:
    intent = parse("chốt 2 hũ", pinned=None)
    assert intent.kind == "review"
    assert intent.reason == "no_pinned"


def test_unknown_code_after_order_word_is_review() -> None:
    intent = parse("chốt Z9 x2")
    assert (intent.kind, intent.reason) == ("review", "unknown_code:Z9")


def test_address_like_codes_are_not_unknown_codes() -> None:
    assert parse("chốt A2 q7").items == (Item("A2", None, 1),)


# --- quantities ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["A2 x3", "A2 3x", "A2*3", "A2 ×3", "A2 sl 3", "A2 số lượng 3", "A2 3 hũ", "A2 ba hũ",
     "A2 3", "3 A2", "3A2", "A2 ba"],
)
def test_quantity_forms(text: str) -> None:
    assert parse(text).items == (Item("A2", None, 3),)


def test_quantity_over_max_is_review_with_reason() -> None:
    intent = parse("A2 x51")
    assert (intent.kind, intent.reason) == ("review", "qty_over_max:51:50")
    assert parse("A2 x51", max_qty=100).items == (Item("A2", None, 51),)


def test_zero_quantity_is_review() -> None:
    assert parse("A2 x0").kind == "review"


def test_conflicting_quantities_are_review() -> None:
    assert parse("A2 x2 x3").kind == "review"


# --- variants ------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["A1 1kg", "A1 1 kg", "A1 1000g", "A1 1 ký", "A1 1 kilo"])
def test_kilogram_spellings(text: str) -> None:
    assert parse(text).items == (Item("A1", "1kg", 1),)


@pytest.mark.parametrize("text", ["B1 500ml", "B1 0.5l", "B1 0,5 lít", "B1 nửa lít"])
def test_half_litre_spellings(text: str) -> None:
    assert parse(text).items == (Item("B1", "500ml", 1),)


def test_multi_variant_without_variant_is_order_with_none() -> None:
    assert parse("A1 x2").items == (Item("A1", None, 2),)


def test_variant_matching_two_labels_is_review() -> None:
    intent = parse("B2 500ml")
    assert (intent.kind, intent.reason) == ("review", "variant_unclear:B2")


def test_container_word_picks_the_variant() -> None:
    assert parse("B2 2 hũ").items == (Item("B2", "hũ 500ml", 2),)


def test_missing_variant_is_review() -> None:
    assert parse("A1 2kg").kind == "review"


def test_single_variant_product_has_no_variant() -> None:
    assert parse("A2 500g x2").items == (Item("A2", None, 2),)


# --- several items, names ------------------------------------------------------------


def test_several_items() -> None:
    assert parse("A1 x2, B1 1l x1").items == (Item("A1", None, 2), Item("B1", "1l", 1))


def test_quantities_lead_or_follow_their_codes() -> None:
    assert parse("a2 2 c3 3").items == parse("2 a2 3 c3").items


def test_product_name_stands_in_for_code() -> None:
    assert parse("2 hũ cua muối").items == (Item("A2", None, 2),)


def test_ambiguous_product_name_is_review() -> None:
    assert parse("chốt mật ong").kind == "review"


def test_product_name_alone_is_chat() -> None:
    assert parse("cua muối ngon quá").kind == "chat"


# --- phones --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    ["0912345678", "0912.345.678", "0912-345-678", "091 234 5678", "+84 912 345 678",
     "+84912345678", "84912345678"],
)
def test_phone_forms_normalise_and_never_become_quantities(phone: str) -> None:
    intent = parse(f"chốt A2 {phone}")
    assert (intent.phone, intent.items) == ("0912345678", (Item("A2", None, 1),))


def test_bank_reference_is_not_a_phone() -> None:
    assert parse("ck 0912345678901").phone is None


# --- cancel, question, already-ordered, decoys ---------------------------------------


def test_cancel_with_code_and_whole_order() -> None:
    assert parse("hủy A2").items == (Item("A2", None, 1),)
    whole = parse("huỷ đơn")
    assert (whole.kind, whole.items) == ("cancel", ())


def test_cancel_states_quantity() -> None:
    assert parse("hủy 2 hũ A2").items == (Item("A2", None, 2),)


@pytest.mark.parametrize("text", ["giá bao nhiêu", "còn không shop", "A2?", "how much"])
def test_questions(text: str) -> None:
    assert parse(text).kind == "question"


def test_order_word_beats_question() -> None:
    assert parse("còn không, chốt A2").kind == "order"


@pytest.mark.parametrize("text", ["đã chốt", "chốt rồi", "mua rồi", "đã đặt"])
def test_already_ordered_is_chat(text: str) -> None:
    assert parse(text).kind == "chat"


@pytest.mark.parametrize("text", ["năm 2026", "250k", "190.000đ", "giao thứ 7", "quận 7"])
def test_decoys_are_not_orders(text: str) -> None:
    assert parse(text).kind == "chat"


def test_price_next_to_code_is_not_a_quantity() -> None:
    assert parse("A2 120k").items == (Item("A2", None, 1),)


# --- API -----------------------------------------------------------------------------


def test_to_json_shape() -> None:
    got = parse("chốt A1 1kg x2 0912345678").to_json()
    assert got["kind"] == "order"
    assert got["items"] == [{"code": "A1", "variant": "1kg", "qty": 2}]
    assert got["phone"] == "0912345678"
    assert isinstance(got["reason"], str) and 0 <= float(str(got["confidence"])) <= 1


def test_with_pinned_reuses_tables_and_switches_product() -> None:
    base = Parser(LINEUP, pinned="A1")
    other = base.with_pinned("c3")
    assert other.pinned == "C3" and base.pinned == "A1"
    assert other.parse("chốt").items == (Item("C3", None, 1),)
    assert base.with_pinned(None).parse("chốt").kind == "review"


def test_bad_context_is_rejected() -> None:
    with pytest.raises(ValueError):
        Parser(LINEUP, pinned="ZZ9")
    with pytest.raises(ValueError):
        Parser([LineupProduct("A1", "x", ("",)), LineupProduct("a1", "y", ("",))])


def test_long_text_is_handled() -> None:
    assert parse("chốt A2 " + "🦀" * 10_000).items == (Item("A2", None, 1),)
