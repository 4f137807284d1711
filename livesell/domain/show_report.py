"""The figures of the after-show report page, from what the stores already answer.

Revenue, paid amount and units sold come in from the JSON report (``GET /api/shows/{id}/report``,
built by domain/report.py, the one definition of a show's money); the revenue per minute is
that same definition applied to each minute's lines. This adds what the page draws:
per product and size (released, time to sold-out), per minute (comments, orders, revenue),
the funnel, top customers and the review queue's outcome.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from .models import LineState, Order, OrderStatus, Show, StockLevel, sku
from .report import money

CONFIRMED = (OrderStatus.CONFIRMED, OrderStatus.PAID, OrderStatus.SHIPPED)
PAID = (OrderStatus.PAID, OrderStatus.SHIPPED)
LOST = (OrderStatus.REJECTED, OrderStatus.CANCELLED, OrderStatus.EXPIRED)
TOP_CUSTOMERS = 10


def _key(code: str, variant: str) -> str:
    return sku(code.upper(), variant).casefold()


def build_figures(show: Show, orders: Sequence[Order], revenue: Mapping[str, Any],
                  comments: Mapping[str, Any], review: Mapping[str, int],
                  stock: Sequence[StockLevel], names: Mapping[str, str]) -> dict[str, Any]:
    """Everything the report page shows, as plain numbers and labels."""
    start = show.started_at or min((o.created_at for o in orders), default=show.created_at)
    released: Counter[str] = Counter()
    first_wait: dict[str, float] = {}
    last_take: dict[str, float] = {}
    minute_orders: Counter[int] = Counter()
    minute_lines: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    buyers: dict[str, dict[str, Any]] = defaultdict(lambda: {"orders": 0, "amount": 0})
    for order in orders:
        minute_orders[int(order.created_at // 60) * 60] += 1
        if order.status not in LOST:
            who = buyers[order.buyer]
            who["name"] = order.contact.name or order.buyer_name
            who["orders"] += 1
            who["amount"] += order.total
        for line in order.lines:
            key = _key(line.code, line.variant)
            if line.state == LineState.RELEASED:
                released[key] += line.qty
            elif line.state == LineState.WAITLISTED:
                first_wait[key] = min(first_wait.get(key, line.created_at), line.created_at)
            else:
                last_take[key] = max(last_take.get(key, 0.0), line.created_at)
            minute_lines[int(line.created_at // 60) * 60].append(
                {"state": line.state, "qty": line.qty, "amount": line.amount,
                 "status": order.status.value})
    minute_revenue = {m: money(lines)["revenue"] for m, lines in minute_lines.items()}
    left = {_key(level.code, level.variant): level.available for level in stock}
    products = []
    for entry in revenue.get("products", []):
        key = _key(entry["code"], entry["variant"])
        # Stock ran out when the first buyer had to wait; with no waitlist, at the last
        # hold if nothing is left.
        out_at = first_wait.get(key) or (last_take.get(key) if left.get(key) == 0 else None)
        products.append({
            "sku": sku(entry["code"], entry["variant"]), "code": entry["code"],
            "variant": entry["variant"], "name": names.get(entry["code"].upper(), ""),
            "sold": entry["sold"], "held": entry["held"], "waitlisted": entry["waitlisted"],
            "released": released.get(key, 0), "revenue": entry["revenue"],
            "left": left.get(key),
            "sold_out_after": None if out_at is None else max(0, round(out_at - start)),
        })
    products.sort(key=lambda p: (-p["revenue"], -p["sold"], p["sku"]))
    totals = revenue.get("totals", {})
    comment_minutes = {int(m): int(n) for m, n in comments.get("minutes", [])}
    minutes = sorted(set(comment_minutes) | set(minute_orders) | set(minute_revenue))
    if minutes:  # no gaps: a quiet minute is a zero, not a missing point
        minutes = list(range(minutes[0], minutes[-1] + 60, 60))
    confirmed = sum(1 for o in orders if o.status in CONFIRMED)
    paid = sum(1 for o in orders if o.status in PAID)
    shipped = sum(1 for o in orders if o.status == OrderStatus.SHIPPED)
    top = sorted(buyers.values(), key=lambda b: (-b["amount"], -b["orders"], b["name"]))
    return {
        "totals": {
            "comments": int(totals.get("comments", 0)), "orders": len(orders),
            "confirmed": confirmed, "paid": paid, "shipped": shipped,
            "revenue": int(totals.get("revenue", 0)),
            "units_sold": int(totals.get("units_sold", 0)),
            "paid_amount": int(totals.get("paid", 0)),
        },
        "products": products,
        "per_minute": [{"minute": m, "comments": comment_minutes.get(m, 0),
                        "orders": minute_orders.get(m, 0), "revenue": minute_revenue.get(m, 0)}
                       for m in minutes],
        "funnel": [("comments", int(totals.get("comments", 0))), ("orders", len(orders)),
                   ("confirmed", confirmed), ("paid", paid), ("shipped", shipped)],
        "top_customers": top[:TOP_CUSTOMERS],
        "review": dict(review),
        "sources": dict(comments.get("sources", {})),
        "by_status": dict(totals.get("by_status", {})),
    }
