"""Customers on every store: one phone across platforms is one customer, staff merge and
split by hand (kept with the data), and a returned parcel counts in the history."""

from __future__ import annotations

from dataclasses import replace

from livesell.capture.bus import EventBus
from livesell.capture.customers import CustomerBook
from livesell.domain.models import OrderStatus
from livesell.store.base import Store

from .test_contract import NOW, assert_conserved, order_req, setup_show


def from_source(cid: str, source: str, buyer: str, name: str, phone: str | None,
                code: str = "A2") -> object:
    req = order_req(cid, [(code, None, 1)], buyer=buyer, phone=phone, name=name)
    return replace(req, comment=replace(req.comment, source=source))


async def test_customers_across_platforms_merge_and_split(store: Store) -> None:
    await setup_show(store)
    reqs = [from_source("c1", "site", "abc", "Hùng", "0912888777"),
            from_source("c2", "facebook", "42", "Nguyễn Văn Hùng", "0912888777"),
            from_source("c3", "webhook", "w1", "Hung", "0912888777"),
            from_source("c4", "facebook", "99", "Nguyễn Văn Hùng", None)]
    done = await store.capture(reqs, NOW)  # type: ignore[arg-type]
    await assert_conserved(store)
    codes = [d.result.order for d in done]
    book = CustomerBook(store, EventBus())
    one = (await book.book(fresh=True))["site:abc"]
    assert sorted(o.code for o in one.orders) == sorted(codes[:3])
    other = (await book.book())["facebook:99"]
    assert other.id != one.id  # the same name is not the same person
    merged = await book.merge(one.id, other.id)
    assert sorted(o.code for o in merged.orders) == sorted(codes)
    # kept with the data: a new book (another node, a restart) sees the merge
    again = CustomerBook(store, EventBus())
    assert len({c.id for c in (await again.book(fresh=True)).values()}) == 1
    alone = await again.split(merged.id, "webhook:w1")
    assert [o.code for o in alone.orders] == [codes[2]]
    rest = (await again.book(fresh=True))["site:abc"]
    assert sorted(o.code for o in rest.orders) == sorted([codes[0], codes[1], codes[3]])
    await assert_conserved(store)


async def test_returned_parcels_count_in_the_history(store: Store) -> None:
    await setup_show(store)
    (done,) = await store.capture([order_req("c1", [("A2", None, 2)], phone="0912888777")],
                                  NOW)
    code = done.result.order or ""
    for action in ("confirm", "paid", "shipped", "returned"):
        order = await store.get_order(code)
        assert order is not None
        changed = await store.order_action(code, action, order.version, "staff", NOW)
        await assert_conserved(store)
    assert changed.order.status == OrderStatus.RETURNED
    assert (await store.stock(["A2"]))[0].sold == 2  # staff restock what can be sold again
    await store.capture([order_req("c2", [("A2", None, 1)], phone="0912 888 777",
                                   buyer="u2")], NOW)
    customer = (await CustomerBook(store, EventBus()).book(fresh=True))["sim:u1"]
    assert customer.history.returned == 1 and customer.history.orders == 2
    assert customer.hint == "watch"
