"""Bank transfers on SQLite: record one, match it to its order, attach it by hand.

The decision (what the money does to the order) comes from ``livesell.domain.payments``; the
writer checks the order's version and applies it with the audit entries, in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from ...domain.errors import IllegalTransition, NotFound, StaleVersion
from ...domain.events import Event, TransferRecorded
from ...domain.models import Order, OrderStatus
from ...domain.payments import (
    Settlement,
    Transfer,
    TransferRecord,
    TransferStatus,
    payment_detail,
)
from ..base import Changed, PaymentMatch, Recorded
from . import first_paid as first_paid_db
from .books import _bump, audit
from .conn import SqliteConnection
from .rows import load_order
from .writer import Unit, WriterCache


def _record(row: sqlite3.Row) -> TransferRecord:
    return TransferRecord.from_json(json.loads(row["doc"]))


def _save(conn: sqlite3.Connection, record: TransferRecord) -> None:
    conn.execute(
        "INSERT INTO transfers (id, status, order_code, doc, recorded_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET status = excluded.status, "
        "order_code = excluded.order_code, doc = excluded.doc",
        (record.transfer.id, str(record.status), record.order,
         json.dumps(record.to_json(), ensure_ascii=False), record.recorded_at))


@dataclass
class _Applied:
    order: Order
    events: tuple[Event, ...]


def apply_payment(conn: sqlite3.Connection, cache: WriterCache, match: PaymentMatch,
                  transfer: Transfer, outcome: str, actor: str, now: float) -> _Applied:
    """Money on an order: received, flag, maybe ``paid``; audited with the transaction."""
    order = load_order(conn, match.order, audit=False)
    if order is None:
        raise NotFound(f"order {match.order} not found")
    if order.version != match.version:
        raise StaleVersion(f"order {order.code} changed (version {order.version})", order=order)
    settlement: Settlement = match.settlement
    unit = Unit(now=now, cache=cache)
    conn.execute("UPDATE orders SET received = ?, payment_flag = ? WHERE code = ?",
                 (settlement.received, settlement.flag, order.code))
    audit(conn, unit, order.code, actor, "payment", payment_detail(transfer, outcome))
    status = settlement.status if settlement.status != order.status else None
    if status == OrderStatus.PAID:
        audit(conn, unit, order.code, actor, "paid", transfer.id)
        first_paid_db.take(conn, unit, order.code, actor)
    _bump(conn, unit, order.code, status)  # keeps the writer cache in step
    events = unit.finish(conn)
    fresh = load_order(conn, order.code)
    assert fresh is not None
    return _Applied(fresh, events)


class SqlitePayments(SqliteConnection):
    """Bank transfers: record, match, attach (twin of ``store/redis/payments.py``)."""

    async def get_transfer(self, transfer_id: str) -> TransferRecord | None:
        row = await self.engine.read(lambda c: c.execute(
            "SELECT doc FROM transfers WHERE id = ?", (transfer_id,)).fetchone())
        return _record(row) if row else None

    async def list_transfers(self, status: str | None = None,
                             limit: int = 200) -> list[TransferRecord]:
        def run(conn: sqlite3.Connection) -> list[TransferRecord]:
            if status:
                rows = conn.execute("SELECT doc FROM transfers WHERE status = ? ORDER BY "
                                    "recorded_at DESC, id LIMIT ?", (status, limit))
            else:
                rows = conn.execute("SELECT doc FROM transfers ORDER BY recorded_at DESC, id "
                                    "LIMIT ?", (limit,))
            return [_record(r) for r in rows]

        return await self.engine.read(run)

    async def flag_order(self, code: str, version: int, flag: str, action: str, detail: str,
                         actor: str, now: float) -> Changed:
        cache = self.cache

        def run(conn: sqlite3.Connection) -> Changed:
            order = load_order(conn, code, audit=False)
            if order is None:
                raise NotFound(f"order {code} not found")
            if order.version != version:
                raise StaleVersion(f"order {order.code} changed (version {order.version})",
                                   order=order)
            unit = Unit(now=now, cache=cache)
            conn.execute("UPDATE orders SET payment_flag = ? WHERE code = ?", (flag, order.code))
            audit(conn, unit, order.code, actor, action, detail)
            _bump(conn, unit, order.code)
            events = unit.finish(conn)
            fresh = load_order(conn, order.code)
            assert fresh is not None
            return Changed(fresh, events)

        return await self.engine.write(run)

    async def record_transfer(self, transfer: Transfer, match: PaymentMatch | None,
                              actor: str, now: float, *, attach: bool = False) -> Recorded:
        cache = self.cache

        def run(conn: sqlite3.Connection) -> Recorded:
            row = conn.execute("SELECT doc FROM transfers WHERE id = ?",
                               (transfer.id,)).fetchone()
            before = _record(row) if row else None
            if attach:
                if before is None:
                    raise NotFound(f"transfer {transfer.id} not found")
                if before.status != TransferStatus.UNMATCHED:
                    raise IllegalTransition(f"transfer {transfer.id} is already "
                                            f"{before.status}", status=str(before.status))
            elif before is not None:
                return Recorded(before, None, (), duplicate=True)
            if match is None:
                record = TransferRecord(transfer, TransferStatus.UNMATCHED, now, actor=actor)
                _save(conn, record)
                return Recorded(record, None, (TransferRecorded(record),))
            status = TransferStatus.ATTACHED if attach else TransferStatus.MATCHED
            applied = apply_payment(conn, cache, match, transfer, match.outcome, actor, now)
            record = TransferRecord(transfer, status, before.recorded_at if before else now,
                                    applied.order.code, match.outcome, actor)
            _save(conn, record)
            return Recorded(record, applied.order,
                            (*applied.events, TransferRecorded(record)))

        return await self.engine.write(run)
