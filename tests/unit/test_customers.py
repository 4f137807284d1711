"""Customers across platforms: phones join buyers, names never do, staff merge and split."""

from __future__ import annotations

from livesell.domain.customers import (
    History,
    Link,
    fold_name,
    group,
    normal_phone,
    reliability,
    search,
)
from livesell.domain.models import Contact, Order, OrderStatus


def order(code: str, buyer: str, name: str, phone: str = "",
          status: OrderStatus = OrderStatus.CAPTURED, at: float = 0.0) -> Order:
    return Order(code, "s1", buyer, name, status, [], Contact(name, phone), 1, "t", at, at)


ORDERS = [
    order("DD-1", "site:abc", "Hùng", "0912 888 777", OrderStatus.PAID, 1),
    order("DD-2", "facebook:42", "Nguyễn Văn Hùng", "+84912888777", OrderStatus.CAPTURED, 2),
    order("DD-3", "webhook:x", "Hung", "0912888777", OrderStatus.EXPIRED, 3),
    order("DD-4", "facebook:99", "Nguyễn Văn Hùng", "", OrderStatus.CAPTURED, 4),
]


def test_one_phone_is_one_customer_across_platforms_names_join_nothing() -> None:
    customers = group(ORDERS)
    one = customers["site:abc"]
    assert customers["facebook:42"] is one and customers["webhook:x"] is one
    assert customers["facebook:99"] is not one  # same name, no phone: another person
    assert [o.code for o in one.orders] == ["DD-1", "DD-2", "DD-3"]
    assert one.phones == {"0912888777"}
    assert one.history.to_json() == {"orders": 3, "confirmed": 1, "paid": 1, "cancelled": 0,
                                     "rejected": 0, "expired": 1, "returned": 0}
    summary = one.summary("DD-2")
    assert summary["other_open_orders"] == ["DD-1"] and summary["badge"] == "history"


def test_staff_merge_and_split() -> None:
    merged = group(ORDERS, [Link("merge", "facebook:99", "site:abc")])
    assert merged["facebook:99"] is merged["site:abc"]
    split = group(ORDERS, [Link("split", "webhook:x")])
    assert split["webhook:x"] is not split["site:abc"]
    assert [o.code for o in split["webhook:x"].orders] == ["DD-3"]
    assert split["facebook:42"] is split["site:abc"]


def test_search_by_phone_and_folded_name() -> None:
    customers = group(ORDERS)
    assert [c.id for c in search(customers, "888 777")] == [customers["site:abc"].id]
    found = {c.id for c in search(customers, "hùng")}
    assert found == {customers["site:abc"].id, customers["facebook:99"].id}
    assert search(customers, "lan") == []


def test_reliability_hint() -> None:
    assert reliability(History(orders=1)) == "new"
    assert reliability(History(orders=4, confirmed=4, paid=4)) == "good"
    assert reliability(History(orders=3, paid=2, expired=1)) == "watch"
    assert reliability(History(orders=4, paid=1, returned=2)) == "risky"


def test_phones_and_names_fold() -> None:
    assert normal_phone("+84 912-888-777") == "0912888777" == normal_phone("0912.888.777")
    assert normal_phone("12345") == ""
    assert fold_name("  Nguyễn   Văn HÙNG ") == "nguyen van hung" and fold_name("Đào") == "dao"


def test_gate_for_risky_customers() -> None:
    from livesell.domain.customers import gate

    assert gate("order", "risky", "", False) is None
    assert gate("order", "good", "review", False) is None
    assert gate("chat", "risky", "review", False) is None
    assert gate("order", "risky", "review", True) == "customer history: staff approval"
    assert gate("order", "risky", "phone", False) == "customer history: phone needed"
    assert gate("order", "risky", "phone", True) is None
