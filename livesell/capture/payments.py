"""The payment service: bank transfers in, orders marked paid, events published after commit.

The bank webhooks (``http/payments.py``) and the staff console call these methods; the rules
live in ``domain/payments.py`` and the stores apply them.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

from ..config import Settings
from ..domain.errors import Invalid, NotFound, StaleVersion
from ..domain.models import Order
from ..domain.payments import (
    BankAccount,
    Transfer,
    TransferRecord,
    TransferStatus,
    bank_account,
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
                settlement = settle(order.status, order.total, order.received, transfer.amount)
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

    async def transfers(self, status: str | None = None) -> list[TransferRecord]:
        if status is not None and status not in {s.value for s in TransferStatus}:
            raise Invalid(f"unknown transfer status {status!r}", field="status")
        return await self.store.list_transfers(status)
