"""The order book on Redis: capture (``capture.lua`` + ``items.lua``), staff actions
(``action.lua``, ``patch.lua``), expiry (``expire.lua``) and order reads."""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from typing import Any

import orjson

from ...domain.errors import DomainError
from ...domain.events import Event
from ...domain.models import CaptureResult, CommentStatus, Contact, Order
from ..base import Captured, CaptureItem, CaptureRequest, Changed
from ..partial import settle
from . import codec
from .conn import RedisConnection
from .conn import reachable as _reachable

# Comments per capture script call: enough to pay the per-call costs (script setup, reading
# the show and sequences, one client command) once for many comments, few enough that one call
# holds Redis for a few milliseconds at most.
CAPTURE_CHUNK = 50


def _items(items: Sequence[CaptureItem]) -> str:
    return json.dumps([{"code": i.code, "variant": i.variant, "qty": i.qty} for i in items])


class RedisOrders(RedisConnection):
    """Capture, order reads, staff actions and expiry, each one script call."""

    @staticmethod
    def _capture_doc(req: CaptureRequest) -> dict[str, Any]:
        c = req.comment
        return {"show_id": c.show_id, "source": c.source, "source_id": c.source_id,
                "author_id": c.author_id, "author_name": c.author_name, "text": c.text,
                "received_at": codec.stamp(c.received_at), "kind": req.kind,
                "items": [{"code": i.code, "variant": i.variant, "qty": i.qty,
                           "confidence": i.confidence, "said": i.said} for i in req.items],
                "phone": req.phone, "reason": req.reason, "reject": req.reject,
                "token": _token(), "address": req.address, "note": req.note,
                "origin": req.origin, "anonymous_cap": req.anonymous_cap,
                "origin_cap": req.origin_cap}

    def _capture_args(self, reqs: Sequence[CaptureRequest], now: float) -> list[Any]:
        docs = [self._capture_doc(r) for r in reqs]
        return [self.tag, codec.stamp(now), orjson.dumps(docs)]

    async def capture(self, requests: Sequence[CaptureRequest], now: float) -> list[Captured]:
        """Comments in calls of up to ``CAPTURE_CHUNK`` each (the script handles them one by
        one, as separate calls would, and a refused one undoes nothing else), all pipelined in
        one round trip."""
        if not requests:
            return []
        chunks = [requests[i:i + CAPTURE_CHUNK] for i in range(0, len(requests), CAPTURE_CHUNK)]
        argv = [self._capture_args(chunk, now) for chunk in chunks]
        with _reachable():
            answers = await self.scripts.run_many("capture", [self.anchor], argv)
            await self._durable()
        outs = [out for raw in answers for out in codec.decode_list(raw)]
        if len(outs) != len(requests):
            raise RuntimeError("unexpected script answer")
        captured: list[Captured | Exception] = []
        for req, out in zip(requests, outs, strict=True):
            try:
                codec.raise_for(out, f"show {req.comment.show_id}")
            except DomainError as exc:  # refused alone; its neighbours are stored
                captured.append(exc)
                continue
            captured.append(_captured(req, out, now))
        return settle(requests, captured)

    async def get_order(self, code: str) -> Order | None:
        with _reachable():
            async with self.client.pipeline(transaction=True) as tx:
                tx.get(self.key("order", code.upper()))
                tx.lrange(self.key("audit", code.upper()), 0, -1)
                doc, trail = await tx.execute()
        if doc is None:
            return None
        return codec.order_from({"doc": json.loads(doc), "audit": [json.loads(a) for a in trail]})

    async def get_orders(self, codes: Sequence[str]) -> list[Order]:
        """Several orders in one round trip, without their audit trails."""
        if not codes:
            return []
        with _reachable():
            docs = await self.client.mget([self.key("order", c.upper()) for c in codes])
        return [codec.order_from({"doc": json.loads(d), "audit": []}) for d in docs if d]

    async def _show_orders(self, show_id: str) -> list[Order]:
        with _reachable():
            codes = await self.client.zrevrange(self.key("show", show_id, "orders"), 0, -1)
            names = [self.key("order", str(c).upper()) for c in codes]
            docs = await self.client.mget(names) if names else []
        return [codec.order_from(json.loads(d), audit=False) for d in docs if d is not None]

    async def list_orders(self, show_id: str, status: str | None = None) -> list[Order]:
        orders = await self._show_orders(show_id)
        if status:
            orders = [o for o in orders if o.status == status]
        orders.sort(key=lambda o: o.created_at, reverse=True)
        return orders

    async def order_action(self, code: str, action: str, version: int, actor: str,
                           now: float) -> Changed:
        out = await self._run("action", now, code, action, version, actor)
        codec.raise_for(out, f"order {code}", action or "?")
        return Changed(codec.fresh_order(out), codec.events_from(out, now))

    async def patch_order(self, code: str, version: int, lines: Sequence[CaptureItem] | None,
                          contact: Contact | None, actor: str, now: float) -> Changed:
        contact_doc = None if contact is None else {
            "name": contact.name, "phone": contact.phone, "address": contact.address}
        out = await self._run("patch", now, code, version,
                              "null" if lines is None else _items(lines),
                              json.dumps(contact_doc, ensure_ascii=False), actor)
        codec.raise_for(out, f"order {code}")
        return Changed(codec.fresh_order(out), codec.events_from(out, now))

    async def expire_holds(self, now: float) -> tuple[Event, ...]:
        out = await self._run("expire", now)
        return codec.events_from(out, now)


def _token() -> str:
    """An order's buyer link secret; made here since a script cannot draw good randomness."""
    return secrets.token_urlsafe(12)


def _captured(req: CaptureRequest, out: dict[str, Any], now: float) -> Captured:
    r = out["r"]
    source_id = req.comment.source_id
    if r.get("dup"):
        return Captured(CaptureResult(source_id, CommentStatus.DUPLICATE, r.get("order") or None,
                                      f"already {r['status']}"), ())
    result = CaptureResult(source_id, CommentStatus(r["status"]), r["order"] or None,
                           r["reason"], r["token"])
    return Captured(result, codec.events_from(out, now))
