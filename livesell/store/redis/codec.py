"""Turning what the Redis scripts answer into domain objects, and the persistence check.

Scripts keep timestamps as exact decimal strings (Redis's cjson prints numbers with 14
significant digits, which would move epoch seconds), so every time field is parsed here.
Empty Lua tables encode as ``{}``, so list fields accept a dict standing for an empty list.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import orjson
from redis.exceptions import ResponseError

from ...domain import orders
from ...domain.errors import (
    DomainError,
    IllegalTransition,
    Invalid,
    NotFound,
    SoldOut,
    StaleVersion,
)
from ...domain.events import (
    CommentReceived,
    Event,
    OrderChanged,
    OrderPlaced,
    ReviewAdded,
    StockChanged,
)
from ...domain.models import (
    AuditEntry,
    Contact,
    FlashDeal,
    LineState,
    Order,
    OrderLine,
    OrderStatus,
    ReviewItem,
    Show,
    ShowStatus,
    StockLevel,
)

VFIELDS = ("code", "label", "position", "price", "total", "available", "held", "sold")


def as_list(value: Any) -> list[Any]:
    """A JSON array from a script; an empty Lua table arrives as ``{}``."""
    return list(value) if isinstance(value, list) else []


def stamp(value: Any) -> str:
    """A float as the exact decimal string the scripts keep (repr round-trips)."""
    return repr(float(value))


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def order_from(out: Mapping[str, Any], *, audit: bool = True) -> Order:
    """An Order from a script's ``{doc, audit}`` (or a bare stored document)."""
    doc = out.get("doc", out)
    lines = [
        OrderLine(
            id=int(r["id"]), code=r["code"], variant=r["variant"], qty=int(r["qty"]),
            unit_price=int(r["unit_price"]), state=LineState(r["state"]),
            created_at=float(r["created_at"]), expires_at=_float(r.get("expires_at")),
            wait_seq=_int(r.get("wait_seq")), comment_id=_int(r.get("comment_id")),
            confidence=_float(r.get("confidence")), said=r.get("said") or "",
        )
        for r in as_list(doc.get("lines"))
    ]
    lines.sort(key=lambda line: line.id)
    trail = [
        AuditEntry(float(a["at"]), a["actor"], a["action"], a.get("detail", ""),
                   _int(a.get("comment_id")))
        for a in as_list(out.get("audit"))
    ] if audit else []
    contact = doc.get("contact") or {}
    return Order(
        code=doc["code"], show_id=doc["show_id"], buyer=doc["buyer"],
        buyer_name=doc["buyer_name"], status=OrderStatus(doc["status"]), lines=lines,
        contact=Contact(contact.get("name", ""), contact.get("phone", ""),
                        contact.get("address", "")),
        version=int(doc["version"]), token=doc["token"], created_at=float(doc["created_at"]),
        updated_at=float(doc["updated_at"]), audit=trail,
        received=int(doc.get("received") or 0), payment_flag=str(doc.get("payment_flag") or ""),
    )


def show_from(doc_text: str, taken: Any) -> Show:
    """A Show from its stored JSON; ``taken`` is kept apart so scripts can count flash units
    without re-encoding the document (which would round its timestamps)."""
    doc: dict[str, Any] = json.loads(doc_text)
    flash = doc.get("flash")
    fields = dict(doc)
    fields["lineup"] = tuple(doc["lineup"])
    fields["status"] = ShowStatus(str(doc["status"]))
    fields["flash"] = (replace(FlashDeal(**flash), taken=int(taken or 0))
                       if isinstance(flash, dict) else None)
    return Show(**fields)


def text(value: Any) -> str | None:
    """A reply field as text (the client decodes responses; the stubs cannot tell)."""
    return None if value is None else str(value)


def review_from(doc: Mapping[str, Any]) -> ReviewItem:
    return ReviewItem(
        id=int(doc["id"]), show_id=doc["show_id"], comment_id=int(doc["comment_id"]),
        buyer=doc["buyer"], author_name=doc["author_name"], text=doc["text"],
        reason=doc["reason"], status=doc["status"], created_at=float(doc["created_at"]),
        order=doc.get("order") or None,
    )


def stock_from(fields: Sequence[Any]) -> StockLevel:
    code, label, _position, price, total, available, held, sold = fields
    return StockLevel(code, label, int(total), int(available), int(held), int(sold), int(price))


def events_from(out: Mapping[str, Any], now: float,
                shown: CommentReceived | None = None) -> tuple[Event, ...]:
    """Events in the order the SQLite store gives them: what happened, stock, then orders.

    ``shown`` is a captured comment's own event, made from its request (the capture script
    only says whether the comment is shown), which comes after what the comment did."""
    events: list[Event] = []
    for ev in as_list(out.get("ev")):
        if ev[0] == "placed":
            events.append(OrderPlaced(ev[1], ev[2], ev[3], ev[4], int(ev[5]), now))
        elif ev[0] == "review":
            events.append(ReviewAdded(review_from(ev[1])))
    if shown is not None:
        events.append(shown)
    stock = out.get("stock")
    if stock:
        events.append(StockChanged(tuple(sorted({(str(c), str(label)) for c, label in stock}))))
    # Scripts name the orders they changed; listeners load an order when they need it.
    orders = out.get("orders")
    if orders:
        named = {str(code): str(show_id) for code, show_id in orders}
        events.extend(OrderChanged(code, named[code]) for code in sorted(named))
    return tuple(events)


def fresh_order(out: Mapping[str, Any]) -> Order:
    """The order a staff call changed, with its audit trail."""
    return order_from(out["fresh"])


def raise_for(out: Mapping[str, Any], subject: str, action: str = "") -> None:
    """Raise the domain error a script refused with, worded as the SQLite store words it."""
    kind = out.get("err")
    if kind is None:
        return
    error: DomainError
    if kind == "not_found":
        error = NotFound(out.get("msg") or f"{subject} not found")
    elif kind == "stale":
        fresh = order_from(out["order"])
        error = StaleVersion(f"order {fresh.code} changed (version {fresh.version})",
                             order=fresh)
    elif kind == "illegal" and action:
        orders.next_status(OrderStatus(out["status"]), action)  # raises the domain's wording
        error = IllegalTransition(f"cannot {action} an order that is {out['status']}")
    elif kind == "illegal":
        error = IllegalTransition(out.get("msg") or f"{subject} is already {out['status']}")
    elif kind == "illegal_edit":
        error = IllegalTransition(f"cannot edit an order that is {out['status']}")
    elif kind == "nothing_held":
        error = Invalid("nothing is held in this order yet", status=out["status"])
    elif kind == "script":
        # One request of a multi-request call raised in the script (the others went on).
        raise ResponseError(str(out.get("msg")))
    elif kind == "sold_out":
        extra = {"available": out["available"]} if "available" in out else {}
        error = SoldOut(out["msg"], **extra)
    else:
        error = Invalid(out.get("msg") or kind)
    raise error


def decode(raw: Any) -> dict[str, Any]:
    doc = orjson.loads(raw)
    if not isinstance(doc, dict):
        raise RuntimeError("unexpected script answer")
    return doc


def decode_list(raw: Any) -> list[dict[str, Any]]:
    """A script's answer that is one answer per request (capture)."""
    docs = orjson.loads(raw)
    if not isinstance(docs, list) or not all(isinstance(d, dict) for d in docs):
        raise RuntimeError("unexpected script answer")
    return docs


def persistence_warning(info: Mapping[str, Any]) -> str | None:
    """A warning when Redis would lose acknowledged orders on a restart, else None.

    ``info`` is ``INFO persistence``, optionally with ``save`` from ``CONFIG GET save``. With
    neither the append-only file nor RDB snapshots, a Redis restart loses everything.
    """
    aof = str(info.get("aof_enabled", "0")) not in ("0", "", "no")
    save = info.get("save")
    rdb = bool(str(save).strip()) if save is not None else True
    if not aof and not rdb:
        return ("Redis persistence is off (appendonly no, no RDB save points): a Redis restart "
                "loses every order; set appendonly yes with appendfsync everysec or always")
    return None

