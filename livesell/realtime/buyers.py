"""The buyer's own order page, live (``/buyer``), and bank transfers to the staff consoles.

A buyer's page connects with ``auth={"order": code, "t": token}`` (the secret of its link) and
joins that order's room; every change of the order (confirmed, paid by a matched transfer,
hold released) reaches it within a tenth of a second, coalesced. Staff consoles get each stored
bank transfer (``transfer``) so the unmatched list stays current without a reload.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator
from typing import Any

import socketio  # type: ignore[import-untyped,unused-ignore]
from aiohttp import web

from .. import keys
from ..domain.events import Event, OrderChanged, TransferRecorded
from ..domain.first_paid import prepaid
from ..domain.models import LineState, Order
from ..plumbing import stop_tasks
from ..store.base import Store
from . import names

log = logging.getLogger(__name__)
FLUSH_SECONDS = 0.1


def buyer_view(order: Order) -> dict[str, Any]:
    """What the buyer's page redraws: the buyer's own order, nothing of anyone else."""
    holds = [line.expires_at for line in order.lines
             if line.state == LineState.HELD and line.expires_at is not None]
    return {"code": order.code, "status": str(order.status), "version": order.version,
            "total": order.total, "received": order.received,
            "payment_flag": order.payment_flag, "hold_until": min(holds) if holds else None,
            "address": order.contact.address, "prepay": prepaid(order.lines),
            "lines": [{"code": line.code, "variant": line.variant, "qty": line.qty,
                       "amount": line.amount, "state": str(line.state)}
                      for line in order.lines]}


def order_room(code: str) -> str:
    return f"order:{code.upper()}"


class BuyerPages(socketio.AsyncNamespace):  # type: ignore[misc]
    """The ``/buyer`` namespace and the staff ``transfer`` pushes."""

    def __init__(self, sio: Any, store: Store, relayed: bool) -> None:
        super().__init__(names.BUYER)
        self.sio = sio
        self.store = store
        self.relayed = relayed
        self.watching: dict[str, int] = {}  # order code -> buyer pages open on this node
        self.dirty: set[str] = set()
        self.transfers: list[dict[str, Any]] = []
        self.running = True

    def on_event(self, event: Event) -> None:
        """Bus listener: remember what to push; never blocks."""
        if isinstance(event, OrderChanged):
            code = event.code.upper()
            if self.relayed or self.watching.get(code, 0) > 0:
                self.dirty.add(code)
        elif isinstance(event, TransferRecorded):
            self.transfers.append(event.record.to_json())

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        code = auth.get("order") if isinstance(auth, dict) else None
        token = auth.get("t") if isinstance(auth, dict) else None
        if not isinstance(code, str) or not isinstance(token, str) or len(code) > 40:
            raise socketio.exceptions.ConnectionRefusedError("unknown order")
        order = await self.store.get_order(code)
        if order is None or not order.token or not hmac.compare_digest(
                token.encode("utf-8"), order.token.encode("utf-8")):
            raise socketio.exceptions.ConnectionRefusedError("unknown order")
        room = order_room(order.code)
        await self.sio.save_session(sid, {"order": room}, namespace=names.BUYER)
        await self.sio.enter_room(sid, room, namespace=names.BUYER)
        self.watching[order.code.upper()] = self.watching.get(order.code.upper(), 0) + 1
        # The page may have been drawn before the last change: send it the order as it is.
        self.sio.start_background_task(self._welcome, sid, order.code)
        return True

    async def _welcome(self, sid: str, code: str) -> None:
        order = await self.store.get_order(code)
        if order is not None:
            await self.sio.emit(names.ORDER, buyer_view(order), to=sid, namespace=names.BUYER)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        session = await self.sio.get_session(sid, namespace=names.BUYER)
        room = str(session.get("order", ""))
        code = room.removeprefix("order:")
        if code in self.watching:
            self.watching[code] -= 1
            if self.watching[code] <= 0:
                del self.watching[code]

    async def flush(self) -> None:
        """Push every changed order to its buyer's pages, and new transfers to consoles."""
        if self.transfers:
            transfers, self.transfers = self.transfers, []
            for doc in transfers:
                await self.sio.emit(names.TRANSFER, doc, namespace=names.STAFF)
        if not self.dirty:
            return
        codes, self.dirty = sorted(self.dirty), set()
        for order in await self.store.get_orders(codes):
            await self.sio.emit(names.ORDER, buyer_view(order), room=order_room(order.code),
                                namespace=names.BUYER)

    async def run(self) -> None:
        while self.running:
            await asyncio.sleep(FLUSH_SECONDS)
            try:
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("buyer push failed")


def setup_buyers(app: web.Application) -> BuyerPages:
    """Add the buyer namespace to the app's Socket.IO server (after ``setup_realtime``)."""
    hub = app[keys.HUB]
    pages = BuyerPages(hub.sio, app[keys.STORE], hub.relayed)
    hub.sio.register_namespace(pages)

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        unsubscribe = app[keys.BUS].subscribe(pages.on_event)
        task = asyncio.create_task(pages.run(), name="realtime-buyers")
        yield
        unsubscribe()
        pages.running = False
        await stop_tasks([task])

    app.cleanup_ctx.append(ctx)
    return pages
