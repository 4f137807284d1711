"""The payments contract: both stores record a transfer once and apply its match alike."""

from __future__ import annotations

import pytest

from livesell.domain.errors import IllegalTransition, NotFound, StaleVersion
from livesell.domain.events import OrderChanged, TransferRecorded
from livesell.domain.models import Order, OrderStatus
from livesell.domain.payments import Transfer, TransferStatus, outcome, settle
from livesell.store.base import PaymentMatch, Store
from tests.store.test_contract import NOW, order_req, setup_show


async def confirmed_order(store: Store) -> Order:
    await setup_show(store)
    done = await store.capture([order_req("c1", [("C1", None, 2)])], NOW)  # 2 x 150.000
    code = done[0].result.order
    assert code is not None
    order = await store.get_order(code)
    assert order is not None
    return (await store.order_action(code, "confirm", order.version, "staff:x", NOW)).order


def match_for(order: Order, amount: int) -> PaymentMatch:
    s = settle(order.status, order.total, order.received, amount)
    return PaymentMatch(order.code, order.version, s, outcome(order.status, s))


def transfer(tx: str, amount: int, content: str = "") -> Transfer:
    return Transfer(f"sepay:{tx}", "sepay", amount, content, "2026-12-02 10:00:00")


async def test_exact_transfer_pays_and_is_audited(store: Store) -> None:
    order = await confirmed_order(store)
    assert order.total == 300_000 and order.received == 0
    t = transfer("1", 300_000, order.code)
    done = await store.record_transfer(t, match_for(order, 300_000), "bank:sepay", NOW + 5)
    assert not done.duplicate and done.order is not None
    assert done.record.status == TransferStatus.MATCHED and done.record.order == order.code
    assert done.record.outcome == "paid"
    paid = await store.get_order(order.code)
    assert paid is not None
    assert (paid.status, paid.received, paid.payment_flag) == (OrderStatus.PAID, 300_000, "")
    assert paid.version == order.version + 1
    actions = [(a.actor, a.action) for a in paid.audit]
    assert actions[-2:] == [("bank:sepay", "payment"), ("bank:sepay", "paid")]
    assert "sepay:1" in paid.audit[-2].detail and "300000" in paid.audit[-2].detail
    assert any(isinstance(e, OrderChanged) and e.code == order.code for e in done.events)
    assert any(isinstance(e, TransferRecorded) for e in done.events)
    assert (await store.get_transfer("sepay:1")) == done.record


async def test_underpaid_then_the_rest(store: Store) -> None:
    order = await confirmed_order(store)
    first = await store.record_transfer(transfer("1", 100_000), match_for(order, 100_000),
                                        "bank:sepay", NOW)
    assert first.order is not None
    part = first.order
    assert (part.status, part.received, part.payment_flag) == (
        OrderStatus.CONFIRMED, 100_000, "underpaid")
    rest = await store.record_transfer(transfer("2", 200_000), match_for(part, 200_000),
                                       "bank:sepay", NOW)
    assert rest.order is not None
    assert (rest.order.status, rest.order.received, rest.order.payment_flag) == (
        OrderStatus.PAID, 300_000, "")


async def test_overpaid_is_paid_and_flagged(store: Store) -> None:
    order = await confirmed_order(store)
    done = await store.record_transfer(transfer("1", 350_000), match_for(order, 350_000),
                                       "bank:sepay", NOW)
    assert done.order is not None
    assert (done.order.status, done.order.payment_flag) == (OrderStatus.PAID, "overpaid")


async def test_duplicate_changes_nothing(store: Store) -> None:
    order = await confirmed_order(store)
    await store.record_transfer(transfer("1", 100_000), match_for(order, 100_000),
                                "bank:sepay", NOW)
    again = await store.record_transfer(transfer("1", 100_000), match_for(order, 100_000),
                                        "bank:sepay", NOW)
    assert again.duplicate and again.events == () and again.order is None
    fresh = await store.get_order(order.code)
    assert fresh is not None and fresh.received == 100_000


async def test_stale_match_is_refused_and_leaves_no_trace(store: Store) -> None:
    order = await confirmed_order(store)
    stale = match_for(order, 300_000)
    await store.patch_order(order.code, order.version, None, None, "staff:x", NOW)
    with pytest.raises(StaleVersion):
        await store.record_transfer(transfer("1", 300_000), stale, "bank:sepay", NOW)
    assert await store.get_transfer("sepay:1") is None


async def test_unmatched_waits_then_staff_attach_it(store: Store) -> None:
    order = await confirmed_order(store)
    t = transfer("9", 300_000, "chuyen tien mua cua")
    done = await store.record_transfer(t, None, "bank:sepay", NOW)
    assert done.record.status == TransferStatus.UNMATCHED and done.order is None
    assert [r.transfer.id for r in await store.list_transfers("unmatched")] == ["sepay:9"]
    with pytest.raises(NotFound):
        await store.record_transfer(transfer("404", 1), match_for(order, 1), "staff:x", NOW,
                                    attach=True)
    attached = await store.record_transfer(t, match_for(order, 300_000), "staff:x", NOW + 60,
                                           attach=True)
    assert attached.record.status == TransferStatus.ATTACHED
    assert attached.record.recorded_at == NOW  # when it arrived, not when it was attached
    assert attached.order is not None and attached.order.status == OrderStatus.PAID
    assert await store.list_transfers("unmatched") == []
    assert [r.status for r in await store.list_transfers()] == [TransferStatus.ATTACHED]
    with pytest.raises(IllegalTransition):
        await store.record_transfer(t, match_for(attached.order, 300_000), "staff:x", NOW,
                                    attach=True)


async def test_flag_order_is_audited_and_version_checked(store: Store) -> None:
    order = await confirmed_order(store)
    done = await store.flag_order(order.code, order.version, "overdue", "payment_overdue",
                                  "unpaid 2 h", "system:payment-deadline", NOW)
    assert done.order.payment_flag == "overdue" and done.order.version == order.version + 1
    assert done.order.status == OrderStatus.CONFIRMED
    assert (done.order.audit[-1].action, done.order.audit[-1].detail) == (
        "payment_overdue", "unpaid 2 h")
    assert any(isinstance(e, OrderChanged) for e in done.events)
    with pytest.raises(StaleVersion):
        await store.flag_order(order.code, order.version, "", "x", "", "s", NOW)
    with pytest.raises(NotFound):
        await store.flag_order("DD-9999", 1, "", "x", "", "s", NOW)
