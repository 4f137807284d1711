"""Store contract for comment reading: each line keeps the parser's confidence and the
comment's words (through holds, waitlists and promotions), and catalog aliases and units
survive the round trip. Runs on every backend like tests/store/test_contract.py."""

from __future__ import annotations

import pytest

from livesell.domain import reasons
from livesell.domain.models import CommentStatus, LineState, OrderStatus, Product, Variant
from livesell.store.base import CaptureItem, CaptureRequest, Store

from .test_contract import NOW, order_req, setup_show


def read_req(cid: str, code: str, qty: int, confidence: float, said: str,
             buyer: str = "u1") -> CaptureRequest:
    base = order_req(cid, [], buyer=buyer)
    return CaptureRequest(base.comment, "order",
                          (CaptureItem(code, None, qty, confidence, said),))


async def test_lines_keep_confidence_and_words(store: Store) -> None:
    await setup_show(store)
    [a] = await store.capture([read_req("r1", "C1", 10, 0.97, "chốt C1 x10", "a")], NOW)
    [b] = await store.capture([read_req("r2", "C1", 2, 0.85, "lấy 2 cái C1", "b")], NOW + 1)
    assert b.result.status == CommentStatus.WAITLISTED
    order_a = await store.get_order(a.result.order or "")
    order_b = await store.get_order(b.result.order or "")
    assert order_a is not None and order_b is not None
    assert [(ln.confidence, ln.said) for ln in order_a.lines] == [(0.97, "chốt C1 x10")]
    line = order_b.lines[0]
    assert (line.state, line.confidence, line.said) == (LineState.WAITLISTED, 0.85,
                                                         "lấy 2 cái C1")
    assert order_b.to_json()["lines"][0]["confidence"] == 0.85
    # a gives 1 back partly (cancel): b's waitlisted line is promoted and keeps its reading
    changed = await store.order_action(order_a.code, "cancel", order_a.version, "staff:x",
                                       NOW + 2)
    assert changed.order.status == OrderStatus.CANCELLED
    order_b = await store.get_order(order_b.code)
    assert order_b is not None
    assert [(ln.state, ln.confidence, ln.said) for ln in order_b.lines] == [
        (LineState.HELD, 0.85, "lấy 2 cái C1")]


async def test_lines_without_a_reading_have_none(store: Store) -> None:
    await setup_show(store)
    [a] = await store.capture([order_req("p1", [("A2", None, 1)])], NOW)
    order = await store.get_order(a.result.order or "")
    assert order is not None and order.lines[0].confidence is None


async def test_store_review_reasons_are_codes(store: Store) -> None:
    await setup_show(store)
    [r] = await store.capture([order_req("v1", [("A1", None, 1)])], NOW)
    assert r.result.status == CommentStatus.REVIEW
    assert reasons.split(r.result.reason) == (reasons.VARIANT_UNCLEAR, ["A1"])
    [u] = await store.capture([order_req("v2", [("ZZ9", None, 1)])], NOW)
    assert u.result.reason == "unknown_code:ZZ9"
    assert reasons.describe(u.result.reason, "en") == "unknown code ZZ9"


@pytest.mark.parametrize("unit", ["hũ", "hộp 20 túi"])
async def test_aliases_and_units_round_trip(store: Store, unit: str) -> None:
    await setup_show(store)
    product = Product("D9", "Trà nhàu túi lọc", (Variant("", 75000, 7, unit),),
                      aliases=("trà nhàu", "nhàu túi"), unit="hộp")
    await store.put_products([product], "test", NOW)
    got = await store.get_product("D9")
    assert got is not None
    assert got.aliases == ("trà nhàu", "nhàu túi") and got.unit == "hộp"
    assert got.variants[0].unit == unit and got.unit_of("") == unit
