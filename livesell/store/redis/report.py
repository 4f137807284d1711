"""A show's report from its orders, shaped as the SQLite store's GROUP BY queries shape it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from ...domain.models import LineState, Order
from .conn import reachable as _reachable
from .orders import RedisOrders


def build_report(orders: Sequence[Order], comment_counts: Mapping[str, Any]) -> dict[str, Any]:
    statuses: dict[str, int] = defaultdict(int)
    lines: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    minutes: dict[int, list[int]] = {}
    for order in orders:
        statuses[str(order.status)] += 1
        for line in order.lines:
            # Codes and labels compare case-insensitively, as the catalog does.
            group = (line.code.lower(), line.variant.lower(), str(line.state), str(order.status))
            row = lines.setdefault(group, {"code": line.code, "variant": line.variant,
                                           "state": str(line.state),
                                           "status": str(order.status), "qty": 0, "amount": 0})
            row["qty"] += line.qty
            row["amount"] += line.amount
            if line.state in (LineState.HELD, LineState.CONFIRMED):
                bucket = minutes.setdefault(int(line.created_at / 60) * 60, [0, 0])
                bucket[0] += line.qty
                bucket[1] += line.amount
    comments = {s: int(n) for s, n in sorted(comment_counts.items()) if int(n) > 0}
    return {
        "orders": dict(sorted(statuses.items())),
        "comments": comments,
        "lines": [lines[g] for g in sorted(lines)],
        "minutes": [{"minute": m, "units": u, "amount": a}
                    for m, (u, a) in sorted(minutes.items())],
    }


class RedisReport(RedisOrders):
    """Reads the show's orders (``_show_orders``) and its comment counts."""

    async def report(self, show_id: str) -> dict[str, Any]:
        orders = await self._show_orders(show_id)
        with _reachable():
            counts = await self.client.hgetall(self.key("show", show_id, "comments"))
        return build_report(orders, {str(k): v for k, v in counts.items()})
