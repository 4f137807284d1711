"""The order book on Redis: capture (``capture.lua`` + ``items.lua``), staff actions
(``action.lua``, ``patch.lua``), expiry (``expire.lua``) and order reads."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Sequence
from typing import Any

import orjson

from ...domain.errors import DomainError
from ...domain.events import CommentReceived, Event
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
    def _capture_doc(req: CaptureRequest, token: str) -> list[Any]:
        """One comment as ``capture.lua`` reads it: a JSON array in a fixed order, its items
        as arrays too, then only the optional fields that are set (most comments have none).
        Positions instead of names make the request smaller to send and cheaper to decode on
        both sides (see ``request_of`` in capture.lua)."""
        c = req.comment
        doc: list[Any] = [c.show_id, c.source, c.source_id, c.author_id, c.author_name, c.text,
                          codec.stamp(c.received_at), req.kind,
                          [[i.code, i.variant, i.qty, i.confidence, i.said] for i in req.items],
                          token]
        extra = {name: value for name in _OPTIONAL if (value := getattr(req, name))}
        if extra:
            doc.append(extra)
        return doc

    def _capture_args(self, reqs: Sequence[CaptureRequest], stamp: str) -> list[Any]:
        tokens = _tokens(len(reqs))
        docs = [self._capture_doc(r, tokens[16 * n:16 * n + 16]) for n, r in enumerate(reqs)]
        return [self.tag, stamp, orjson.dumps(docs)]

    async def capture(self, requests: Sequence[CaptureRequest], now: float) -> list[Captured]:
        """Comments in calls of up to ``CAPTURE_CHUNK`` each (the script handles them one by
        one, as separate calls would, and a refused one undoes nothing else), streamed on one
        connection: a call's answers are decoded while Redis runs the next call."""
        if not requests:
            return []
        chunks = [requests[i:i + CAPTURE_CHUNK] for i in range(0, len(requests), CAPTURE_CHUNK)]
        done: list[list[Captured | Exception]] = [[] for _ in chunks]
        stamp = codec.stamp(now)

        def take(index: int, raw: bytes) -> None:
            chunk = chunks[index]
            outs = codec.decode_list(raw)
            if len(outs) != len(chunk):
                raise RuntimeError("unexpected script answer")
            done[index] = [_captured(req, out, now) for req, out in zip(chunk, outs, strict=True)]

        with _reachable():
            await self.scripts.stream("capture", [self.anchor],
                                      (self._capture_args(chunk, stamp) for chunk in chunks), take)
            await self._durable()
        return settle(requests, [item for part in done for item in part])

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


# The request fields most comments leave at their default ("", 0 or None); sent only when set.
_OPTIONAL = ("phone", "reason", "reject", "address", "note", "origin", "anonymous_cap",
             "origin_cap")


# A dict lookup: calling the enum costs more than the rest of building the answer.
_STATUS = {str(s): s for s in CommentStatus}


def _token() -> str:
    """An order's buyer link secret; made here since a script cannot draw good randomness."""
    return _tokens(1)


def _tokens(count: int) -> str:
    """Secrets for ``count`` comments, 16 characters each (what ``secrets.token_urlsafe(12)``
    gives), drawn at once: 12 random bytes encode to 16 base64 characters with no padding, so
    each slice is one token. A comment that opens no order leaves its token unused."""
    return base64.urlsafe_b64encode(os.urandom(12 * count)).decode("ascii")


def _captured(req: CaptureRequest, out: dict[str, Any], now: float) -> Captured | Exception:
    """One comment's answer, or the domain error it was refused with (its neighbours stand)."""
    c = req.comment
    try:
        codec.raise_for(out, f"show {c.show_id}")
    except DomainError as exc:
        return exc
    r = out["r"]
    if r.get("dup"):
        return Captured(CaptureResult(c.source_id, CommentStatus.DUPLICATE, r.get("order") or None,
                                      f"already {r['status']}"), ())
    status = r["status"]
    result = CaptureResult(c.source_id, _STATUS[status], r["order"] or None,
                           r["reason"], r["token"])
    # The script says whether the comment is shown; its words are the request's own.
    shown = CommentReceived(c.show_id, c.author_name, c.text, status, now) if r.get("shown") \
        else None
    return Captured(result, codec.events_from(out, now, shown))
