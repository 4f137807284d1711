"""One frame per tick per show: what this node and the others have for a show's viewers.

A tick frame is the ``/live`` event ``tick`` whose data has up to four parts, each exactly
the payload of the event of that name: ``stock`` (``{"v", "t", "stock"}``), ``flash``
(``{"v", "flash", "server_time"}``), ``ticker`` and ``comment`` (``{"v", "items"}``). The
client applies each part as it would that event, with that part's own version, dropping a
part older than what it holds; so a frame is never a new kind of state, only fewer pushes.

Parts wait in a show's outbox until the node's next tick writes them out as one frame. With
several nodes, each node publishes only its own parts and merges those relayed from the
others into its outbox, so a viewer gets one frame per tick of its node, not one per node:

* ``stock``: the store's version is global; the newer part wins, and a part that carries
  nothing newer than what this node's viewers already hold (an older version, or the same
  version and levels, e.g. relayed from a node that read the store at the same moment) is
  dropped.
* ``flash``: the latest part wins.
* ``ticker``/``comment``: items are appended (newest kept, at most ``FEED_PER_PUSH``) and the
  part is stamped with this node's own sequence when it goes out, so the versions a viewer
  sees come from one node and always rise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import names
from .shows import FEED_PER_PUSH

# In the order a frame carries them (and the client applies them).
PARTS = (names.STOCK, names.FLASH, names.TICKER, names.COMMENT)
FEEDS = (names.TICKER, names.COMMENT)


def _version(part: dict[str, Any] | None) -> int:
    if part is None:
        return -1
    v = part.get("v", 0)
    return int(v) if isinstance(v, int | float) else 0


def stale_stock(part: dict[str, Any], held: dict[str, Any] | None) -> bool:
    """Whether a stock part tells viewers holding ``held`` nothing new."""
    if held is None:
        return False
    v, held_v = _version(part), _version(held)
    return v < held_v or (v == held_v and part.get("stock") == held.get("stock"))


def merge(outbox: dict[str, Any], parts: Any,
          held_stock: dict[str, Any] | None = None) -> None:
    """Add a tick's ``parts`` (this node's or relayed) to a show's ``outbox``, in place;
    unknown parts are ignored. ``held_stock`` is the newest stock part this node already sent
    its viewers: a stock part that is not newer than it, or than the queued one, is dropped.
    """
    if not isinstance(parts, dict):
        return
    stock = parts.get(names.STOCK)
    if isinstance(stock, dict):
        queued = outbox.get(names.STOCK)
        if not (stale_stock(stock, held_stock) or stale_stock(stock, queued)):
            outbox[names.STOCK] = stock
    flash = parts.get(names.FLASH)
    if isinstance(flash, dict):
        outbox[names.FLASH] = flash
    for kind in FEEDS:
        part = parts.get(kind)
        items = part.get("items") if isinstance(part, dict) else None
        if not isinstance(items, list) or not items:
            continue
        queued = outbox.get(kind)
        if queued is None:
            outbox[kind] = {"v": _version(part), "items": items[-FEED_PER_PUSH:]}
        else:
            queued["items"] = (queued["items"] + items)[-FEED_PER_PUSH:]


def frame(outbox: dict[str, Any], next_version: Callable[[], int]) -> dict[str, Any]:
    """The tick frame for what waits in ``outbox``, parts in order; feeds get fresh versions."""
    out: dict[str, Any] = {}
    for kind in PARTS:
        part = outbox.get(kind)
        if part is None:
            continue
        out[kind] = {"v": next_version(), "items": part["items"]} if kind in FEEDS else part
    return out
