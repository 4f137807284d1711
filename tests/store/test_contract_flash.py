"""Flash quota returns on both stores: released flash units go back to the quota, and the next
buyer gets them at the flash price."""

from __future__ import annotations

from livesell.domain.models import FlashDeal, LineState
from livesell.store.base import CaptureItem, Store
from tests.store.test_contract import NOW, order_req, setup_show

FLASH = FlashDeal(code="A1", variant="500g", price=150_000, quantity=3, ends_at=NOW + 600,
                  started_at=NOW - 1)


async def taken(store: Store) -> int:
    show = await store.get_show("s1")
    assert show is not None and show.flash is not None
    return show.flash.taken


async def flash_show(store: Store) -> None:
    await setup_show(store)
    await store.update_show("s1", {"flash": FLASH.to_json(), "pinned": "A1"})


async def test_a_cancelled_flash_unit_goes_to_the_next_buyer_at_the_flash_price(
        store: Store) -> None:
    await flash_show(store)
    [a] = await store.capture([order_req("c1", [("A1", None, 3)], buyer="a")], NOW)
    assert await taken(store) == 3
    # the deal is over for now: the next buyer pays the list price
    [b] = await store.capture([order_req("c2", [("A1", "500g", 1)], buyer="b")], NOW)
    order_b = await store.get_order(b.result.order or "")
    assert order_b is not None and [ln.unit_price for ln in order_b.lines] == [190_000]
    # buyer a cancels by comment: 3 units back to the quota
    await store.capture([order_req("c3", [("A1", None, 1)], buyer="a", kind="cancel")], NOW)
    assert await taken(store) == 0
    [c] = await store.capture([order_req("c4", [("A1", None, 2)], buyer="c")], NOW)
    order_c = await store.get_order(c.result.order or "")
    assert order_c is not None
    assert [(ln.qty, ln.unit_price) for ln in order_c.lines] == [(2, 150_000)]
    assert await taken(store) == 2


async def test_reject_expiry_and_edit_return_flash_units(store: Store) -> None:
    await flash_show(store)
    [a] = await store.capture([order_req("c1", [("A1", None, 2)], buyer="a")], NOW)
    [b] = await store.capture([order_req("c2", [("A1", None, 1)], buyer="b")], NOW)
    assert await taken(store) == 3
    order_a = await store.get_order(a.result.order or "")
    assert order_a is not None
    # staff edit 2 -> 1: one unit back
    edited = await store.patch_order(order_a.code, order_a.version,
                                     [CaptureItem("A1", "500g", 1)], None, "staff:x", NOW)
    assert await taken(store) == 2
    # staff reject: the other unit back
    await store.order_action(order_a.code, "reject", edited.order.version, "staff:x", NOW)
    assert await taken(store) == 1
    # b's hold runs out: back too
    await store.expire_holds(NOW + 31 * 60)
    assert await taken(store) == 0
    order_b = await store.get_order(b.result.order or "")
    assert order_b is not None and order_b.lines[0].state == LineState.RELEASED


async def test_list_price_units_and_other_products_give_nothing_back(store: Store) -> None:
    await flash_show(store)
    [a] = await store.capture([order_req("c1", [("A1", None, 4), ("A2", None, 1)],
                                         buyer="a")], NOW)
    assert await taken(store) == 3
    order = await store.get_order(a.result.order or "")
    assert order is not None
    prices = sorted((ln.code, ln.unit_price, ln.qty) for ln in order.lines)
    assert prices == [("A1", 150_000, 3), ("A1", 190_000, 1), ("A2", 120_000, 1)]
    # cancel only A2: the quota stays; then everything: the 3 flash units come back, not 4
    await store.capture([order_req("c2", [("A2", None, 1)], buyer="a", kind="cancel")], NOW)
    assert await taken(store) == 3
    await store.capture([order_req("c3", [], buyer="a", kind="cancel")], NOW)
    assert await taken(store) == 0
