"""Every Lua twin of a domain rule gives the domain's answer.

Each test draws inputs with hypothesis, runs the Python function in ``livesell.domain`` and its
twin in ``store/redis/scripts/rules.lua`` (by EVAL on the test Redis, with the rule tables the
store generates from the domain), and requires equal answers. Plain functions, no event loop.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from livesell.domain import capture, first_paid, inventory, orders
from livesell.domain.errors import IllegalTransition
from livesell.domain.models import FlashDeal, LineState, OrderStatus, Show
from livesell.domain.parser import Item
from livesell.store.redis.lua import rules_source

pytestmark = pytest.mark.redis

REDIS_URL = os.environ.get("LIVESELL_TEST_REDIS", "redis://127.0.0.1:6379/0")

# Calls one twin: ARGV[1] its name, ARGV[2] its arguments as a JSON array. Answers a JSON array
# of what it returned (a missing answer as false), so that nil and empty tables survive.
HARNESS = """
local fn, a = ARGV[1], cjson.decode(ARGV[2])
local function ids(lines)
  local out = {}
  for i, line in ipairs(lines) do out[i] = line.id end
  return out
end
local out
if fn == 'stock_delta' then out = {stock_delta(a[1], a[2], a[3])}
elseif fn == 'split_reservation' then out = {split_reservation(a[1], a[2])}
elseif fn == 'capped_qty' then out = {capped_qty(a[1], a[2], a[3])}
elseif fn == 'flash_applies' then out = {flash_applies(a[1], a[2], a[3], a[4])}
elseif fn == 'price_parts' then out = {price_parts(a[1], a[2], a[3], a[4], a[5], a[6])}
elseif fn == 'flash_taken' then out = {flash_taken(a[1], a[2], a[3], a[4], a[5])}
elseif fn == 'fill_waitlist' then out = {fill_waitlist(a[1], a[2])}
elseif fn == 'next_status' then out = {next_status(a[1], a[2]) or false}
elseif fn == 'needs_held' then out = {needs_held(a[1])}
elseif fn == 'line_after' then out = {line_after(a[1], a[2])}
elseif fn == 'all_closed' then out = {all_closed(a[1])}
elseif fn == 'edit_state' then out = {edit_state(a[1]) or false}
elseif fn == 'give_back' then out = {give_back(a[1], a[2])}
elseif fn == 'listed' then out = {listed(a[1], a[2])}
elseif fn == 'resolve_variant' then
  local label, why = resolve_variant(a[1], a[2], a[3], a[4], a[5], a[6])
  if label then out = {label} else out = {false, why.kind, why.text} end
elseif fn == 'limit_note' then
  local n = limit_note(a[1], a[2])
  out = {n.kind, n.text}
elseif fn == 'order_outcome' then out = {order_outcome(a[1], a[2], a[3])}
elseif fn == 'reason_of' then out = {reason_of(a[1])}
elseif fn == 'cancel_selection' then out = {ids(cancel_selection(a[1], a[2]))}
elseif fn == 'paid_take' then out = {paid_take(a[1], a[2])}
elseif fn == 'sold_out_reason' then out = {sold_out_reason(a[1], a[2])}
else error('no twin named ' .. fn) end
return cjson.encode(out)
"""


@pytest.fixture(scope="module")
def lua() -> Iterator[Any]:
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    script = client.register_script(rules_source() + HARNESS)

    def call(name: str, *args: Any) -> list[Any]:
        return _lists(json.loads(script(keys=[], args=[name, json.dumps(list(args))])))

    yield call
    client.close()


def _lists(value: Any) -> Any:
    """cjson encodes an empty table as ``{}``: read it as the empty list it stands for."""
    if value == {}:
        return []
    if isinstance(value, list):
        return [_lists(v) for v in value]
    return value


def _tuples(value: Any) -> Any:
    return [list(v) for v in value]


FAST = settings(max_examples=150, deadline=None)

states = st.sampled_from(list(LineState))
statuses = st.sampled_from(list(OrderStatus))
actions = st.sampled_from([*orders.ACTIONS, "refund", ""])
qty = st.integers(0, 60)
# Codes and labels in several spellings, ASCII and not, so case folding is exercised.
codes = st.sampled_from(["A1", "a1", "B2", "Cua", "CUA", "Ñ1", "ñ1", "Ủ", "ủ"]) | st.text(
    max_size=3)
labels = st.sampled_from(["1kg", "1KG", "500g", "Hũ", "HŨ", "chai 500ml", ""]) | st.text(
    max_size=4)
times = st.integers(0, 200).map(float)


@st.composite
def flashes(draw: st.DrawFn) -> FlashDeal | None:
    if draw(st.booleans()):
        return None
    quantity = draw(st.none() | st.integers(0, 20))
    return FlashDeal(code=draw(codes), price=draw(st.integers(1, 5)) * 1000,
                     ends_at=draw(times), variant=draw(st.none() | labels), quantity=quantity,
                     taken=draw(st.integers(0, 25)))


def flash_doc(flash: FlashDeal | None) -> Any:
    return None if flash is None else flash.to_json()


# -- inventory --------------------------------------------------------------------------------

@FAST
@given(before=states, after=states, n=qty)
def test_stock_delta(lua: Any, before: LineState, after: LineState, n: int) -> None:
    d = inventory.stock_delta(before, after, n)
    assert lua("stock_delta", before, after, n) == [d.available, d.held, d.sold]


@FAST
@given(available=st.integers(-5, 60), n=qty)
def test_split_reservation(lua: Any, available: int, n: int) -> None:
    assert lua("split_reservation", available, n) == list(
        inventory.split_reservation(available, n))


@FAST
@given(requested=qty, already=st.integers(0, 80), cap=st.integers(0, 60))
def test_capped_qty(lua: Any, requested: int, already: int, cap: int) -> None:
    assert lua("capped_qty", requested, already, cap) == [
        inventory.capped_qty(requested, already, cap)]


@FAST
@given(flash=flashes(), code=codes, label=labels, now=times)
def test_flash_applies(lua: Any, flash: FlashDeal | None, code: str, label: str,
                       now: float) -> None:
    assert lua("flash_applies", flash_doc(flash), code, label, now) == [
        inventory.flash_applies(flash, code, label, now)]


@FAST
@given(flash=flashes(), code=codes, label=labels, n=st.integers(1, 30),
       price=st.integers(1, 5).map(lambda p: p * 1000), now=times)
def test_price_parts_and_flash_taken(lua: Any, flash: FlashDeal | None, code: str, label: str,
                                     n: int, price: int, now: float) -> None:
    parts = inventory.price_parts(code, label, n, price, flash, now)
    assert lua("price_parts", code, label, n, price, flash_doc(flash), now) == [_tuples(parts)]
    assert lua("flash_taken", flash_doc(flash), code, label, _tuples(parts), now) == [
        inventory.flash_taken(flash, code, label, parts, now)]


@FAST
@given(available=st.integers(-3, 40),
       waiting=st.lists(st.tuples(st.integers(1, 10_000), st.integers(1, 12)), max_size=12,
                        unique_by=lambda w: w[0]))
def test_fill_waitlist(lua: Any, available: int, waiting: list[tuple[int, int]]) -> None:
    assert lua("fill_waitlist", available, _tuples(waiting)) == [
        _tuples(inventory.fill_waitlist(available, waiting))]


# -- orders -----------------------------------------------------------------------------------

@FAST
@given(status=statuses, action=actions)
def test_next_status_and_needs_held(lua: Any, status: OrderStatus, action: str) -> None:
    try:
        expected: str | bool = orders.next_status(status, action)
    except IllegalTransition:
        expected = False
    assert lua("next_status", status, action) == [expected]
    assert lua("needs_held", action) == [action in orders.NEEDS_HELD]


@FAST
@given(action=actions, state=states)
def test_line_after(lua: Any, action: str, state: LineState) -> None:
    assert lua("line_after", action, state) == [orders.line_after(action, state)]


@FAST
@given(line_states=st.lists(states, max_size=6))
def test_all_closed(lua: Any, line_states: list[LineState]) -> None:
    assert lua("all_closed", [{"state": s} for s in line_states]) == [
        orders.all_lines_closed(line_states)]


@FAST
@given(status=statuses)
def test_edit_state(lua: Any, status: OrderStatus) -> None:
    try:
        expected: str | bool = orders.edit_state(status)
    except IllegalTransition:
        expected = False
    assert lua("edit_state", status) == [expected]


@FAST
@given(lines=st.lists(st.tuples(st.integers(1, 500), states, st.integers(1, 9)), max_size=8,
                      unique_by=lambda line: line[0]),
       drop=st.integers(0, 40))
def test_give_back(lua: Any, lines: list[tuple[int, LineState, int]], drop: int) -> None:
    docs = [{"id": i, "state": s, "qty": n} for i, s, n in lines]
    assert lua("give_back", docs, drop) == [_tuples(orders.give_back(lines, drop))]


# -- capture ----------------------------------------------------------------------------------

@FAST
@given(lineup=st.lists(codes, max_size=5), code=codes)
def test_listed(lua: Any, lineup: list[str], code: str) -> None:
    assert lua("listed", lineup, code) == [capture.listed(lineup, code)]


@FAST
@given(lineup=st.lists(codes, max_size=4), code=codes, variant=st.none() | labels,
       variants=st.lists(labels, max_size=4), flash=flashes(),
       pinned=st.none() | codes, pinned_variant=st.none() | labels, now=times,
       catalog_code=codes)
def test_resolve_variant(lua: Any, lineup: list[str], code: str, variant: str | None,
                         variants: list[str], flash: FlashDeal | None, pinned: str | None,
                         pinned_variant: str | None, now: float, catalog_code: str) -> None:
    show = Show(id="s", title="t", lineup=tuple(lineup), pinned=pinned,
                pinned_variant=pinned_variant, flash=flash)
    item = Item(code, variant, 1)
    is_listed = capture.listed(lineup, code)
    chosen = capture.resolve_variant(show, item, is_listed, catalog_code, variants, now)
    expected = [chosen] if isinstance(chosen, str) else [False, chosen.kind, chosen.text]
    show_doc = {"lineup": lineup, "pinned": pinned, "pinned_variant": pinned_variant,
                "flash": flash_doc(flash)}
    item_doc = {"code": code, "variant": variant, "qty": 1}
    assert lua("resolve_variant", show_doc, item_doc, is_listed, catalog_code, variants,
               now) == expected


notes = st.lists(st.sampled_from([
    capture.unknown_code("A9"), capture.limit_note(3, "A1"),
    capture.Note(capture.NoteKind.WHICH_VARIANT, "variant_unclear:A1"),
    capture.Note(capture.NoteKind.UNKNOWN_VARIANT, "unknown_variant:A1:2kg")]), max_size=3)


@FAST
@given(held=st.booleans(), waited=st.booleans(), found=notes)
def test_order_outcome(lua: Any, held: bool, waited: bool, found: list[capture.Note]) -> None:
    docs = [{"kind": n.kind, "text": n.text} for n in found]
    status, review = capture.order_outcome(held, waited, found)
    assert lua("order_outcome", held, waited, docs) == [status, review]
    assert lua("reason_of", docs) == [capture.reason_of(found)]


@FAST
@given(cap=st.integers(0, 50), code=codes)
def test_limit_note(lua: Any, cap: int, code: str) -> None:
    note = capture.limit_note(cap, code)
    assert lua("limit_note", cap, code) == [note.kind, note.text]


@FAST
@given(lines=st.lists(st.tuples(st.integers(1, 500), codes, states), max_size=8,
                      unique_by=lambda line: line[0]),
       wanted=st.lists(codes, max_size=3))
def test_cancel_selection(lua: Any, lines: list[tuple[int, str, LineState]],
                          wanted: list[str]) -> None:
    docs = [{"id": i, "code": c, "state": s} for i, c, s in lines]
    assert lua("cancel_selection", docs, wanted) == [capture.cancel_selection(lines, wanted)]


keys = st.sampled_from(["A1:1kg", "A1:500g", "C1:", "B1:1l"])


@FAST
@given(available=st.dictionaries(keys, st.integers(0, 20), max_size=4),
       lines=st.lists(st.tuples(st.integers(1, 500), keys, st.integers(1, 15)), max_size=8,
                      unique_by=lambda line: line[0]))
def test_paid_take(lua: Any, available: dict[str, int],
                   lines: list[tuple[int, str, int]]) -> None:
    """First paid, first served: what a paid order's requested lines win and lose."""
    want = _tuples(first_paid.paid_take(available, lines))
    assert lua("paid_take", available or {"": 0}, [list(line) for line in lines]) == [want]


@FAST
@given(order=st.sampled_from(["DD-0042", "KM-0001"]),
       lost=st.lists(st.tuples(codes, labels, st.integers(1, 60)), min_size=1, max_size=4))
def test_sold_out_reason(lua: Any, order: str, lost: list[tuple[str, str, int]]) -> None:
    want = first_paid.sold_out_reason(order, lost)
    assert lua("sold_out_reason", order, [list(x) for x in lost]) == [want]


def test_every_twin_is_tested() -> None:
    """A function added to rules.lua needs a parity test here (its name in HARNESS)."""
    import re

    from livesell.store.redis.lua import part

    twins = set(re.findall(r"^local function (\w+)\(", part("rules"), re.M))
    helpers = {"isnull", "up", "fold", "note", "label_in"}
    assert twins - helpers <= set(re.findall(r"fn == '(\w+)'", HARNESS))
