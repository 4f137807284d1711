"""One definition of a show's money: the report, its CSV and the host's live numbers.

Stores answer the show's lines grouped by product, size, line state and order status (see
``Store.report``); these functions turn those groups into per-product figures and totals.

- **revenue**: what confirmed lines charge (units sold, at the price each was sold for —
  a flash price where it applied), in this show only;
- **paid**: the part of the revenue in orders marked paid (by staff or a matched bank
  transfer) or shipped; **unpaid**: the rest of the revenue;
- **held**: what held lines would charge if confirmed (not revenue yet).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .models import LineState, OrderStatus, sku

PAID_STATUSES = frozenset({OrderStatus.PAID.value, OrderStatus.SHIPPED.value})


def per_product(lines: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Units held, sold and waitlisted and the revenue of each product size."""
    products: dict[str, dict[str, Any]] = {}
    for line in lines:
        key = sku(str(line["code"]).upper(), str(line["variant"])).casefold()
        entry = products.setdefault(key, {"code": line["code"], "variant": line["variant"],
                                          "held": 0, "sold": 0, "waitlisted": 0,
                                          "revenue": 0, "paid": 0})
        state, qty, amount = line["state"], int(line["qty"]), int(line["amount"])
        if state == LineState.CONFIRMED:
            entry["sold"] += qty
            entry["revenue"] += amount
            if line.get("status") in PAID_STATUSES:
                entry["paid"] += amount
        elif state in (LineState.HELD, LineState.WAITLISTED):
            entry[str(state)] += qty
    return list(products.values())


def money(lines: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Revenue, paid, unpaid and held amounts of a show (see the module docstring)."""
    revenue = paid = held = units_sold = units_held = 0
    for line in lines:
        qty, amount = int(line["qty"]), int(line["amount"])
        if line["state"] == LineState.CONFIRMED:
            revenue += amount
            units_sold += qty
            if line.get("status") in PAID_STATUSES:
                paid += amount
        elif line["state"] == LineState.HELD:
            held += amount
            units_held += qty
    return {"revenue": revenue, "paid": paid, "unpaid": revenue - paid, "held": held,
            "units_sold": units_sold, "units_held": units_held}


def show_report(show_id: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The report as the API answers it, from a store's ``report`` answer."""
    lines = raw["lines"]
    totals = {
        "orders": sum(raw["orders"].values()), "by_status": raw["orders"],
        "comments": sum(raw["comments"].values()), "comments_by_status": raw["comments"],
        **money(lines),
    }
    return {"show": show_id, "totals": totals, "products": per_product(lines),
            "per_minute": raw["minutes"]}
