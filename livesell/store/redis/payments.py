"""Bank transfers on Redis: one script records a transfer and applies its match atomically.

Keys (see ``store.py`` for the rest of the layout)::

    {p}:transfer:ID               string the transfer record (JSON)
    {p}:transfers                 zset   transfer ids by when they were recorded
    {p}:transfers:unmatched       zset   the ones waiting for staff to attach them
"""

from __future__ import annotations

import json

from ...domain.events import Event, TransferRecorded
from ...domain.payments import Transfer, TransferRecord, TransferStatus, payment_detail
from ..base import Changed, PaymentMatch, Recorded
from . import codec
from .conn import RedisConnection, reachable


class RedisPayments(RedisConnection):
    """Bank transfers: record, match, attach (twin of ``store/sqlite/payments.py``)."""

    async def get_transfer(self, transfer_id: str) -> TransferRecord | None:
        with reachable():
            raw = await self.client.get(self.key("transfer", transfer_id))
        return TransferRecord.from_json(json.loads(raw)) if raw else None

    async def list_transfers(self, status: str | None = None,
                             limit: int = 200) -> list[TransferRecord]:
        index = ("transfers", "unmatched") if status == TransferStatus.UNMATCHED else \
            ("transfers",)
        with reachable():
            ids = await self.client.zrevrange(self.key(*index), 0, max(0, limit * 4 - 1))
            docs = await self.client.mget([self.key("transfer", str(i)) for i in ids]) \
                if ids else []
        records = [TransferRecord.from_json(json.loads(d)) for d in docs if d]
        if status:
            records = [r for r in records if r.status == status]
        records.sort(key=lambda r: (-r.recorded_at, r.transfer.id))
        return records[:limit]

    async def flag_order(self, code: str, version: int, flag: str, action: str, detail: str,
                         actor: str, now: float) -> Changed:
        out = await self._run("payments", now, "", "", "0", code, version, "", flag, "",
                              actor, detail, codec.stamp(now), action)
        codec.raise_for(out, f"order {code}")
        return Changed(codec.fresh_order(out), codec.events_from(out, now))

    async def record_transfer(self, transfer: Transfer, match: PaymentMatch | None,
                              actor: str, now: float, *, attach: bool = False) -> Recorded:
        recorded_at = now
        if attach:
            known = await self.get_transfer(transfer.id)
            recorded_at = known.recorded_at if known is not None else now
        if match is None:
            record = TransferRecord(transfer, TransferStatus.UNMATCHED, recorded_at, actor=actor)
            args = ["", 0, 0, "", "", "", ""]
        else:
            status = TransferStatus.ATTACHED if attach else TransferStatus.MATCHED
            record = TransferRecord(transfer, status, recorded_at, match.order, match.outcome,
                                    actor)
            s = match.settlement
            args = [match.order, match.version, s.received, s.flag, str(s.status), actor,
                    payment_detail(transfer, match.outcome)]
        out = await self._run("payments", now, transfer.id,
                              json.dumps(record.to_json(), ensure_ascii=False),
                              "1" if attach else "0", *args, codec.stamp(recorded_at))
        codec.raise_for(out, f"transfer {transfer.id}")
        if out["r"].get("dup"):
            return Recorded(TransferRecord.from_json(json.loads(out["r"]["dup"])), None, (),
                            duplicate=True)
        if match is None:
            return Recorded(record, None, (TransferRecorded(record),))
        order = codec.fresh_order(out)
        if order.code != record.order:
            record = TransferRecord(transfer, record.status, recorded_at, order.code,
                                    record.outcome, actor)
        events: tuple[Event, ...] = (*codec.events_from(out, now), TransferRecorded(record))
        return Recorded(record, order, events)
