"""The Redis store: every multi-key change is one Lua script, so it is atomic on one server.

Key layout: every key starts with ``{PREFIX}:``, one hash tag for the whole deployment, so all
keys live in one Redis Cluster slot. That is deliberate: stock is global across shows (every
show that lists a product sells from the same variants) and one capture touches stock, the
show's flash deal and the buyer's order together, so any finer tag would split one atomic
change across shards. One shard runs a bare reservation script ~200k times a second and the
full capture script (dedupe, comment, hold or waitlist, order, audit) in tens of microseconds,
far above what a show's comments need; more viewers scale by more app nodes, not more shards.

    {p}:seq                       hash   sequences: line, wait, comment, review, order:PREFIX
    {p}:meta                      hash   settings kept with the data, and ``stock_version``
    {p}:products                  zset   product codes (upper case) by catalog position
    {p}:product:CODE              hash   code (as first written), doc (JSON, no variants)
    {p}:variants:CODE             zset   folded labels by position
    {p}:variant:CODE:label        hash   code label position price total available held sold
    {p}:shows                     zset   show ids by created_at
    {p}:show:ID                   hash   doc (JSON), taken (flash units sold), seq
    {p}:show:ID:orders            zset   order codes by created_at
    {p}:show:ID:review            zset   review ids
    {p}:show:ID:comments          hash   comment status -> count (reports)
    {p}:open:ID                   hash   buyer -> the buyer's open (captured) order
    {p}:buyer:ID:BUYER            set    every order of a buyer in a show (per-buyer cap)
    {p}:comment:SOURCE:SOURCEID   hash   the comment and what came of it (the dedupe key)
    {p}:order:CODE                string order JSON with its lines
    {p}:audit:CODE                list   audit entries (JSON)
    {p}:lineorder                 hash   line id -> order code
    {p}:wait:CODE:label           zset   waitlisted line ids by arrival (FCFS)
    {p}:holds                     zset   held line ids by expiry (the sweeper's index)
    {p}:review:ID                 string review item JSON
    {p}:token / {p}:user          hash   credential hash -> JSON

Scripts (``redis_scripts/*.lua``, see ``redis_lua``) are called by SHA, reloaded on
``NOSCRIPT``, and are safe to retry: a timed-out call may have run, so a comment answers
``duplicate`` the second time and the expiry script re-checks each line's state and time. Each
script buffers its writes and applies them only once nothing can refuse any more, so a refused
call (sold out, stale version) leaves no trace. A lost connection surfaces as StoreUnavailable,
never as an acknowledgement; with ``wait_aof`` a write is answered only once ``WAITAOF`` says
it reached the local append-only file (Redis >= 7.2).

Capture sends up to ``CAPTURE_CHUNK`` comments per script call: the script's setup (defining its
helpers), reading the show and the sequences, and the client's per-command work are then paid
once per call rather than once per comment, which halves the cost of a comment. The script
still handles the comments one after the other, writing each before reading for the next, so
the outcome is that of one call per comment; scripts name the orders they changed and listeners
load an order when they need it (as with the SQLite store).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from redis.asyncio.client import Pipeline

from ..domain import rules
from ..domain.catalog import product_from_mapping
from ..domain.errors import Invalid, NotFound
from ..domain.events import Event
from ..domain.models import (
    CaptureResult,
    CommentStatus,
    Contact,
    Order,
    Product,
    ReviewItem,
    Show,
    StockLevel,
)
from . import redis_codec as codec
from .base import Captured, CaptureItem, CaptureRequest, Changed
from .redis_conn import RedisConnection
from .redis_conn import reachable as _reachable

persistence_warning = codec.persistence_warning

# Comments per capture script call: enough to pay the per-call costs (script setup, reading
# the show and sequences, one client command) once for many comments, few enough that one call
# holds Redis for a few milliseconds at most.
CAPTURE_CHUNK = 50


def _items(items: Sequence[CaptureItem]) -> str:
    return json.dumps([{"code": i.code, "variant": i.variant, "qty": i.qty} for i in items])


class RedisStore(RedisConnection):
    """Store on Redis; see the module docstring for the key layout."""

    # -- catalog ---------------------------------------------------------------------------

    async def _catalog(self, codes: Sequence[str] | None) -> list[Product]:
        with _reachable():
            rows = await self.scripts.run("catalog", [self.anchor], [self.tag, "0", *(codes or ())])
        products = []
        for code, doc_text, variants in rows:
            doc = json.loads(doc_text)
            doc["variants"] = [{"label": v[1], "price": int(v[3]), "stock": int(v[5])}
                               for v in variants]
            products.append(product_from_mapping(doc, code, []))
        return products

    async def list_products(self) -> list[Product]:
        return await self._catalog(None)

    async def get_product(self, code: str) -> Product | None:
        found = await self._catalog([code])
        return found[0] if found else None

    async def put_products(self, products: Sequence[Product], actor: str) -> tuple[Event, ...]:
        """Insert or update products. A variant's ``stock`` sets its total; it may not drop
        below what is already held or sold."""
        payload = []
        for product in products:
            doc = product.to_json()
            doc.pop("variants")
            payload.append({"code": product.code, "doc": json.dumps(doc, ensure_ascii=False),
                            "variants": [{"label": v.label, "price": v.price, "stock": v.stock}
                                         for v in product.variants]})
        now = float(codec.now_stamp())
        out = await self._run("products", now, json.dumps(payload, ensure_ascii=False))
        codec.raise_for(out, "product")
        return codec.events_from(out, now)

    async def adjust_stock(self, code: str, variant: str, delta: int, actor: str,
                           now: float) -> tuple[StockLevel, tuple[Event, ...]]:
        out = await self._run("adjust", now, code, variant, delta)
        codec.raise_for(out, f"variant {code} {variant!r}")
        c, label, total, available, held, sold, price = out["r"]["level"]
        level = StockLevel(c, label, int(total), int(available), int(held), int(sold),
                           int(price))
        return level, codec.events_from(out, now)

    async def stock(self, codes: Sequence[str] | None = None) -> list[StockLevel]:
        """Books of every variant (or of some products), in one round trip."""
        if codes is not None:
            codes = sorted({c.upper() for c in codes})
            if not codes:
                return []
        with _reachable():
            rows = await self.scripts.run("stock", [self.anchor], [self.tag, "0", *(codes or ())])
        rows.sort(key=lambda r: (r[0].lower(), int(r[2])))
        return [codec.stock_from(r) for r in rows]

    async def stock_version(self) -> int:
        with _reachable():
            value = await self.client.hget(self.key("meta"), "stock_version")
        return int(value or 0)

    # -- shows -----------------------------------------------------------------------------

    async def create_show(self, show: Show) -> Show:
        with _reachable():
            pipe = self.client.pipeline(transaction=False)
            for code in show.lineup:
                pipe.exists(self.key("product", code.upper()))
            found = await pipe.execute()
            missing = [c for c, ok in zip(show.lineup, found, strict=True) if not ok]
            if missing:
                raise Invalid(f"unknown product(s) in lineup: {', '.join(missing)}",
                              codes=missing)
            if await self.client.exists(self.key("show", show.id)):
                # Never overwrite a show: its flash counter and orders hang off its id.
                raise Invalid(f"show {show.id} already exists", id=show.id)
            seq = await self.client.hincrby(self.key("seq"), "show", 1)
            async with self.client.pipeline(transaction=True) as tx:
                tx.hset(self.key("show", show.id), mapping={
                    "doc": json.dumps(show.to_json()), "seq": seq,
                    "taken": show.flash.taken if show.flash else 0})
                tx.zadd(self.key("shows"), {show.id: show.created_at})
                await tx.execute()
            await self._durable()
        return show

    @staticmethod
    def _show(doc: Any, taken: Any) -> Show | None:
        return None if doc is None else codec.show_from(str(doc), taken)

    async def get_show(self, show_id: str) -> Show | None:
        with _reachable():
            doc, taken = await self.client.hmget(self.key("show", show_id), ["doc", "taken"])
        return self._show(doc, taken)

    async def list_shows(self) -> list[Show]:
        with _reachable():
            ids = await self.client.zrange(self.key("shows"), 0, -1)
            pipe = self.client.pipeline(transaction=False)
            for show_id in ids:
                pipe.hmget(self.key("show", str(show_id)), ["doc", "taken", "seq"])
            rows = await pipe.execute()
        found = [(self._show(doc, taken), int(seq or 0)) for doc, taken, seq in rows]
        shows = [(s, seq) for s, seq in found if s is not None]
        shows.sort(key=lambda pair: (pair[0].created_at, pair[1]), reverse=True)
        return [s for s, _ in shows]

    async def update_show(self, show_id: str, changes: Mapping[str, Any]) -> Show:
        """Change some fields of a show atomically (status, pinned, flash, lineup...)."""
        key = self.key("show", show_id)
        fresh: list[Show] = []

        async def change(pipe: Pipeline) -> None:
            doc, taken = await pipe.hmget(key, ["doc", "taken"])
            show = self._show(doc, taken)
            if show is None:
                raise NotFound(f"show {show_id} not found")
            new = show.changed(dict(changes))
            pipe.multi()  # type: ignore[no-untyped-call]
            pipe.hset(key, mapping={"doc": json.dumps(new.to_json()),
                                    "taken": new.flash.taken if new.flash else 0})
            fresh[:] = [new]

        with _reachable():
            # WATCH: a capture taking flash units meanwhile makes this retry, not overwrite.
            await self.client.transaction(change, key)
            await self._durable()
        return fresh[0]

    # -- capture and orders ----------------------------------------------------------------

    @staticmethod
    def _capture_doc(req: CaptureRequest) -> dict[str, Any]:
        c = req.comment
        return {"show_id": c.show_id, "source": c.source, "source_id": c.source_id,
                "author_id": c.author_id, "author_name": c.author_name, "text": c.text,
                "received_at": codec.stamp(c.received_at), "kind": req.kind,
                "items": [{"code": i.code, "variant": i.variant, "qty": i.qty}
                          for i in req.items],
                "phone": req.phone, "reason": req.reason, "reject": req.reject,
                "token": _token(), "address": req.address, "note": req.note, "origin": req.origin,
                "anonymous_cap": req.anonymous_cap, "origin_cap": req.origin_cap}

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
        captured = []
        for req, out in zip(requests, outs, strict=True):
            codec.raise_for(out, f"show {req.comment.show_id}")
            captured.append(_captured(req, out, now))
        return captured

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
        table = {name: [sorted(s.value for s in allowed), target.value]
                 for name, (allowed, target) in rules.ACTIONS.items()}
        out = await self._run("action", now, code, action, version, actor, json.dumps(table))
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

    # -- review ----------------------------------------------------------------------------

    async def list_review(self, show_id: str, status: str = "open") -> list[ReviewItem]:
        with _reachable():
            ids = await self.client.zrange(self.key("show", show_id, "review"), 0, -1)
            names = [self.key("review", str(i)) for i in ids]
            docs = await self.client.mget(names) if names else []
        items = [codec.review_from(json.loads(d)) for d in docs if d is not None]
        return sorted((i for i in items if i.status == status), key=lambda i: i.id)

    async def resolve_review(self, review_id: int, items: Sequence[CaptureItem], actor: str,
                             now: float) -> Changed:
        out = await self._run("review", now, review_id, _items(items), actor, _token())
        codec.raise_for(out, f"review item {review_id}")
        return Changed(codec.fresh_order(out), codec.events_from(out, now))

    async def dismiss_review(self, review_id: int, actor: str, now: float) -> ReviewItem:
        out = await self._run("dismiss", now, review_id)
        codec.raise_for(out, f"review item {review_id}")
        return codec.review_from(out["r"]["item"])

    # -- reports ---------------------------------------------------------------------------

    async def report(self, show_id: str) -> dict[str, Any]:
        from .redis_report import build_report

        orders = await self._show_orders(show_id)
        with _reachable():
            counts = await self.client.hgetall(self.key("show", show_id, "comments"))
        return build_report(orders, {str(k): v for k, v in counts.items()})

    # -- credentials and meta --------------------------------------------------------------

    async def _hset(self, name: str, field: str, value: str) -> None:
        with _reachable():
            await self.client.hset(self.key(name), field, value)
            await self._durable()

    async def _hget(self, name: str, field: str) -> str | None:
        with _reachable():
            value = await self.client.hget(self.key(name), field)
        return None if value is None else str(value)

    async def add_token(self, token_hash: str, role: str, name: str, now: float) -> None:
        await self._hset("token", token_hash, json.dumps([role, name, now]))

    async def token_role(self, token_hash: str) -> tuple[str, str] | None:
        raw = await self._hget("token", token_hash)
        if raw is None:
            return None
        role, name, _ = json.loads(raw)
        return str(role), str(name)

    async def add_user(self, name: str, role: str, password_hash: str, now: float) -> None:
        await self._hset("user", name, json.dumps([role, password_hash, now]))

    async def get_user(self, name: str) -> tuple[str, str] | None:
        raw = await self._hget("user", name)
        if raw is None:
            return None
        role, password, _ = json.loads(raw)
        return str(role), str(password)

    async def get_meta(self, key: str) -> str | None:
        return await self._hget("meta", key)

    async def set_meta(self, key: str, value: str) -> None:
        await self._hset("meta", key, value)


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
