"""Customers across platforms: the people behind buyers, and what their history says.

A buyer is one identity on one platform (``site:…``, ``facebook:…``); a customer is every
identity that shares a phone with another, plus what staff merged by hand, minus what they
split off. Names never join two buyers: two "Nguyễn Văn An" are two people until a phone or a
person says otherwise. Pure functions over orders; the service keeps the index.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .models import Order, OrderStatus

OPEN = frozenset({OrderStatus.CAPTURED, OrderStatus.CONFIRMED, OrderStatus.PAID})
_DIGITS = re.compile(r"\D+")


def normal_phone(phone: str) -> str:
    """``0912 888 777``, ``+84 912 888 777`` -> ``0912888777``; empty when not a phone."""
    digits = _DIGITS.sub("", phone or "")
    if digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits if len(digits) == 10 and digits.startswith("0") else ""


def fold_name(text: str) -> str:
    """Lower case, no diacritics, single spaces: "Hùng" and "hung" are found alike."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "d"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.lower().split())


@dataclass(frozen=True, slots=True)
class Link:
    """A staff decision: ``merge`` joins identities ``a`` and ``b``; ``split`` detaches the
    buyer identity ``a`` from whatever its phones joined it to."""

    kind: str
    a: str
    b: str = ""

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "a": self.a, "b": self.b}


@dataclass(slots=True)
class History:
    orders: int = 0
    confirmed: int = 0
    paid: int = 0
    cancelled: int = 0
    rejected: int = 0
    expired: int = 0
    returned: int = 0

    def count(self, status: OrderStatus) -> None:
        self.orders += 1
        if status in (OrderStatus.CONFIRMED, OrderStatus.PAID, OrderStatus.SHIPPED,
                      OrderStatus.RETURNED):
            self.confirmed += 1
        if status in (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.RETURNED):
            self.paid += 1
        if status == OrderStatus.CANCELLED:
            self.cancelled += 1
        if status == OrderStatus.REJECTED:
            self.rejected += 1
        if status == OrderStatus.EXPIRED:
            self.expired += 1
        if status == OrderStatus.RETURNED:
            self.returned += 1

    def to_json(self) -> dict[str, int]:
        return {"orders": self.orders, "confirmed": self.confirmed, "paid": self.paid,
                "cancelled": self.cancelled, "rejected": self.rejected,
                "expired": self.expired, "returned": self.returned}


def reliability(history: History) -> str:
    """A hint for staff ("bom hàng" risk): ``new``, ``good``, ``watch`` or ``risky``.

    Orders that never turned into money count against a customer (cancelled, left to expire,
    returned at the door, the last twice); one such order is worth watching, several that
    outweigh the paid ones are a risk.
    """
    if history.orders <= 1:
        return "new"
    bad = history.cancelled + history.expired + 2 * history.returned
    if bad >= 3 and bad >= history.paid:
        return "risky"
    if bad >= 1:
        return "watch"
    return "good"


@dataclass(slots=True)
class Customer:
    id: str
    name: str
    identities: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    orders: list[Order] = field(default_factory=list)
    history: History = field(default_factory=History)

    @property
    def hint(self) -> str:
        return reliability(self.history)

    def badge(self) -> str:
        """What the console shows beside an order: ``new``, ``returning`` or ``history``."""
        hint = self.hint
        return "new" if hint == "new" else "returning" if hint == "good" else "history"

    def summary(self, for_order: str | None = None) -> dict[str, object]:
        """The ``customer`` of an order's JSON (staff only: never on a public channel)."""
        return {
            "id": self.id, "name": self.name, "badge": self.badge(), "hint": self.hint,
            "phones": sorted(self.phones), "history": self.history.to_json(),
            "other_open_orders": [o.code for o in self.orders
                                  if o.status in OPEN and o.code != for_order],
        }


def _identities(order: Order) -> tuple[str, str]:
    phone = normal_phone(order.contact.phone)
    return order.buyer, ("phone:" + phone if phone else "")


def group(orders: Iterable[Order], links: Sequence[Link] = ()) -> dict[str, Customer]:
    """Customers by buyer identity: phones join buyers, staff links join or split them."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    orders = list(orders)
    split = {link.a for link in links if link.kind == "split"}
    for order in orders:
        buyer, phone = _identities(order)
        find(buyer)
        if phone and buyer not in split:
            union(buyer, phone)
    for link in links:
        if link.kind == "merge" and link.a and link.b:
            union(link.a, link.b)
    customers: dict[str, Customer] = {}
    for order in sorted(orders, key=lambda o: o.created_at):
        buyer, phone = _identities(order)
        root = find(buyer)
        customer = customers.get(root)
        if customer is None:
            customer = customers[root] = Customer(customer_id(root), order.buyer_name)
        customer.identities.add(buyer)
        if phone:
            customer.phones.add(phone[len("phone:"):])
        customer.name = order.contact.name or order.buyer_name or customer.name
        customer.orders.append(order)
        customer.history.count(order.status)
    return {buyer: customers[find(buyer)] for buyer in parent if find(buyer) in customers
            and not buyer.startswith("phone:")}


def customer_id(root: str) -> str:
    return "c" + hashlib.sha256(root.encode()).hexdigest()[:10]


def search(customers: Mapping[str, Customer], query: str) -> list[Customer]:
    """Customers whose phone holds the query's digits, or whose folded names hold the
    folded query ("hùng" finds "Hùng", "HUNG" and "Nguyễn Văn Hùng")."""
    digits = _DIGITS.sub("", query)
    folded = fold_name(query)
    found: dict[str, Customer] = {}
    for customer in customers.values():
        if customer.id in found:
            continue
        if len(digits) >= 3 and any(digits in p for p in customer.phones):
            found[customer.id] = customer
        elif folded and not digits and any(
                folded in fold_name(n) for o in customer.orders
                for n in (o.buyer_name, o.contact.name)):
            found[customer.id] = customer
    return sorted(found.values(), key=lambda c: c.name)


RISKY_POLICIES = ("", "phone", "review")


def gate(kind: str, hint: str, policy: str, has_phone: bool) -> str | None:
    """Why an order comment must wait for staff (a show's policy for risky customers), or
    None when it may hold stock now."""
    if kind != "order" or not policy or hint != "risky":
        return None
    if policy == "phone":
        return None if has_phone else "customer history: phone needed"
    return "customer history: staff approval"
