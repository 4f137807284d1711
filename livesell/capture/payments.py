"""The payment service: bank transfers in, orders marked paid, events published after commit.

The bank webhooks (``http/payments.py``) and the staff console call these methods; the rules
live in ``domain/payments.py`` and the stores apply them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import replace

from ..config import Settings
from ..domain.errors import IllegalTransition, Invalid, NotFound, StaleVersion
from ..domain.events import ShowChanged
from ..domain.first_paid import REFUND, prepaid
from ..domain.models import Order, OrderStatus, Show
from ..domain.payments import (
    OVERDUE,
    BankAccount,
    Transfer,
    TransferRecord,
    TransferStatus,
    bank_account,
    deadline_step,
    order_codes,
    outcome,
    settle,
)
from ..store.base import PaymentMatch, Recorded, Store
from .bus import EventBus

log = logging.getLogger(__name__)
Clock = Callable[[], float]
ACCOUNT_META = "bank_account"
# A transfer races a staff edit of its order at most a few times; then it waits for staff.
RETRIES = 5
PREFIX_TTL = 10.0
DEADLINE_ACTOR = "system:payment-deadline"
DEADLINE_WARNING = "payment_overdue"


def _last(order: Order, action: str) -> float | None:
    """When the order's audit trail last shows ``action``."""
    times = [entry.at for entry in order.audit if entry.action == action]
    return times[-1] if times else None


class PaymentService:
    """Matches bank transfers to orders, and keeps the shop's bank account."""

    def __init__(self, store: Store, bus: EventBus, settings: Settings,
                 clock: Clock = time.time) -> None:
        self.store = store
        self.bus = bus
        self.settings = settings
        self.clock = clock
        self._prefixes: tuple[float, frozenset[str]] | None = None

    # -- the shop's account ------------------------------------------------------------------

    async def account(self) -> BankAccount | None:
        """The account set on the host console, else the one in config (None: not set)."""
        raw = await self.store.get_meta(ACCOUNT_META)
        if raw:
            doc = json.loads(raw)
            return BankAccount(doc["bin"], doc["number"], doc.get("holder", ""))
        s = self.settings
        if not (s.payment_bank and s.payment_account):
            return None
        try:
            return bank_account(s.payment_bank, s.payment_account, s.payment_account_name)
        except Invalid:
            log.warning("payment_bank/payment_account in config are not valid; no QR shown")
            return None

    async def set_account(self, bank: str, number: str, holder: str) -> BankAccount:
        account = bank_account(bank, number, holder)
        await self.store.set_meta(ACCOUNT_META, json.dumps(account.to_json(), ensure_ascii=False))
        return account

    # -- transfers ---------------------------------------------------------------------------

    async def _order_prefixes(self) -> frozenset[str]:
        now = time.monotonic()
        if self._prefixes is None or now - self._prefixes[0] > PREFIX_TTL:
            shows = await self.store.list_shows()
            found = {self.settings.order_prefix, *(s.order_prefix for s in shows)}
            self._prefixes = (now, frozenset(p for p in found if p))
        return self._prefixes[1]

    async def _find_order(self, content: str) -> Order | None:
        """The one order whose code the message carries; None if none or more than one."""
        found = []
        for code in order_codes(content, await self._order_prefixes()):
            order = await self.store.get_order(code)
            if order is not None:
                found.append(order)
        return found[0] if len(found) == 1 else None

    async def receive(self, transfer: Transfer) -> str:
        """Take one transfer from a bank feed: ``ignored`` (money going out), ``duplicate``,
        ``matched`` (its order got the money) or ``unmatched`` (waits for staff)."""
        if not transfer.incoming or transfer.amount <= 0:
            return "ignored"
        if await self.store.get_transfer(transfer.id) is not None:
            return "duplicate"
        actor = f"bank:{transfer.source}"
        order = await self._find_order(transfer.content)
        done = await self._record(transfer, order, actor, attach=False)
        return "duplicate" if done.duplicate else str(done.record.status)

    async def attach(self, transfer_id: str, order_code: str, actor: str) -> TransferRecord:
        """Staff give an unmatched transfer its order by hand."""
        record = await self.store.get_transfer(transfer_id)
        if record is None:
            raise NotFound(f"transfer {transfer_id} not found")
        order = await self.store.get_order(order_code)
        if order is None:
            raise NotFound(f"order {order_code} not found")
        done = await self._record(record.transfer, order, actor, attach=True)
        return done.record

    async def _record(self, transfer: Transfer, order: Order | None, actor: str, *,
                      attach: bool) -> Recorded:
        for _ in range(RETRIES):
            match = None
            if order is not None:
                settlement = settle(order.status, order.total, order.received, transfer.amount,
                                    prepay=prepaid(order.lines))
                if order.payment_flag == REFUND:  # more money for units it never got
                    settlement = replace(settlement, flag=REFUND)
                match = PaymentMatch(order.code, order.version, settlement,
                                     outcome(order.status, settlement))
            try:
                done = await self.store.record_transfer(transfer, match, actor, self.clock(),
                                                        attach=attach)
            except StaleVersion as exc:
                fresh = exc.detail.get("order")
                order = fresh if isinstance(fresh, Order) else None
                if order is None:
                    raise
                continue
            self.bus.publish(done.events)
            return done
        raise StaleVersion("the order kept changing; try again")

    # -- payment deadline --------------------------------------------------------------------

    async def set_deadline(self, show_id: str, hours: int | None) -> Show:
        """Give a show a payment deadline in hours after confirmation (None: none)."""
        if await self.store.get_show(show_id) is None:
            raise NotFound(f"show {show_id} not found")
        show = await self.store.update_show(show_id, {"payment_hours": hours})
        self.bus.publish([ShowChanged(show)])
        return show

    async def sweep_deadlines(self) -> int:
        """Warn about, then release, confirmed orders unpaid past their show's deadline;
        returns how many orders it changed."""
        now = self.clock()
        grace = self.settings.payment_grace_minutes
        changed = 0
        for show in await self.store.list_shows():
            hours = show.payment_hours
            if not hours:
                continue
            for listed in await self.store.list_orders(show.id, OrderStatus.CONFIRMED.value):
                if listed.created_at + hours * 3600 > now:
                    continue  # confirmed after it was placed: cannot be due yet
                order = await self.store.get_order(listed.code)
                if order is None:
                    continue
                step = deadline_step(order.status, order.payment_flag,
                                     _last(order, "confirm"), _last(order, DEADLINE_WARNING),
                                     now, hours, grace)
                try:
                    if step == "warn":
                        done = await self.store.flag_order(
                            order.code, order.version, OVERDUE, DEADLINE_WARNING,
                            f"unpaid {hours} h after confirmation; released in {grace} min",
                            DEADLINE_ACTOR, now)
                    elif step == "release":
                        done = await self.store.order_action(order.code, "cancel",
                                                             order.version, DEADLINE_ACTOR, now)
                    else:
                        continue
                except (StaleVersion, IllegalTransition):
                    continue  # staff acted meanwhile; the next sweep looks again
                self.bus.publish(done.events)
                changed += 1
        return changed

    async def run_deadlines(self, interval: float) -> None:
        while True:
            try:
                await self.sweep_deadlines()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("payment deadline sweep failed; trying again next round")
            await asyncio.sleep(interval)

    async def transfers(self, status: str | None = None) -> list[TransferRecord]:
        if status is not None and status not in {s.value for s in TransferStatus}:
            raise Invalid(f"unknown transfer status {status!r}", field="status")
        return await self.store.list_transfers(status)
