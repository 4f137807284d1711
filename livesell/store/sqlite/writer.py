"""What the SQLite writer keeps between operations, and what one operation touched."""

from __future__ import annotations

import base64
import os
import sqlite3
import string
from dataclasses import dataclass, field
from typing import NoReturn

from ...domain.events import Event, OrderChanged, StockChanged
from ...domain.models import Show
from .check import StaleCache
from .pending import Pending

# SQLite's NOCASE collation folds ASCII letters only; cache keys fold the same way.
_NOCASE = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def nocase(text: str) -> str:
    # str.lower() folds ASCII exactly like NOCASE and is several times quicker than a
    # translate table; beyond ASCII it would fold more than SQLite does, so those go the
    # slow way.
    return text.lower() if text.isascii() else text.translate(_NOCASE)


class BuyerState:
    """One buyer in one show: the open order and units counted against the per-buyer cap."""

    __slots__ = ("open", "counted")

    def __init__(self, open_order: tuple[str, str, str] | None,
                 counted: dict[str, int] | None) -> None:
        self.open = open_order  # (code, contact JSON, token) of the 'captured' order
        self.counted = counted  # nocase(product code) -> units; None: unknown, ask SQL


@dataclass
class WriterCache:
    """Rows the writer reads on every comment and that only the writer changes.

    Only the writer thread touches it, and every write goes through that thread, so it cannot
    go stale behind our back; the engine clears it whenever an operation rolls back, and every
    entry is rebuilt lazily from the database after a clear.

    - ``available``: each variant's free units, adjusted by every ``move_stock``; other
      writers of ``variants`` clear it.
    - ``buyers``: per show and buyer, loaded on the buyer's first comment: the open order and
      the units counted against the per-buyer cap. ``_bump`` runs after every change to an
      order's lines or status and marks that buyer's counts unknown (and drops the open order
      when the order leaves 'captured'); ``_new_order`` records the new open order.
    - ``owners``: order code -> (show, buyer), which never change.
    """

    shows: dict[str, Show] = field(default_factory=dict)
    # upper-cased product code -> its (code, label, price) rows and labels (capture.py)
    variants: dict[str, tuple[tuple[tuple[str, str, int], ...], tuple[str, ...]]] = field(
        default_factory=dict)
    available: dict[tuple[str, str], int] = field(default_factory=dict)
    buyers: dict[str, dict[str, BuyerState]] = field(default_factory=dict)
    # nocase(order code) -> (show id, buyer): never change once an order exists.
    owners: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Sequence values as written (write-through: the UPDATE runs on every next_value).
    sequences: dict[str, int] = field(default_factory=dict)
    # Per show id: (the lineup tuple it was built from, upper-cased codes).
    lineups: dict[str, tuple[tuple[str, ...], frozenset[str]]] = field(default_factory=dict)
    # Set by any operation that moved stock; the version is bumped once per group commit.
    # A rolled-back operation may leave it set: one extra bump is harmless, a lost one not.
    stock_moved: bool = False
    # Check mode: each cached answer is compared with SQL; a difference fails every commit.
    check: bool = False
    stale: list[str] = field(default_factory=list)
    # What the running capture batch has yet to write (pending.py).
    pending: Pending = field(default_factory=Pending)
    # Order tokens not handed out yet (order_token).
    tokens: list[str] = field(default_factory=list)

    def order_token(self) -> str:
        """A new order's secret token, as ``secrets.token_urlsafe(12)`` makes it (16
        characters from 12 bytes of ``os.urandom``). One ``os.urandom`` call per 256 tokens:
        a system call per order cost more than the rest of making the order row."""
        if not self.tokens:
            text = base64.urlsafe_b64encode(os.urandom(12 * 256)).decode("ascii")
            self.tokens = [text[i:i + 16] for i in range(0, len(text), 16)]
        return self.tokens.pop()

    def found_stale(self, *what: object) -> NoReturn:
        self.stale.append(f"stale writer cache: {what!r}")
        raise StaleCache(self.stale[0])

    def clear(self) -> None:
        self.shows.clear()
        self.variants.clear()
        self.available.clear()
        self.buyers.clear()
        self.owners.clear()
        self.sequences.clear()
        self.pending.reset()

    def flush(self, conn: sqlite3.Connection) -> None:
        """Write what the capture batch queued, before SQL reads what it would change."""
        if self.pending:
            self.pending.flush(conn)

    def before_commit(self, conn: sqlite3.Connection) -> None:
        """Bump the stock version once for everything this transaction moved."""
        if self.stale:
            raise StaleCache(self.stale[0])
        self.flush(conn)  # empty: every capture batch writes its queue before it answers
        if self.stock_moved:
            conn.execute(
                "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'stock_version'"
            )
            self.stock_moved = False
        # Safety valves for long-running servers: both are rebuilt lazily when needed.
        if len(self.owners) > 200_000:
            self.owners.clear()
        if len(self.buyers) > 8 or any(len(b) > 100_000 for b in self.buyers.values()):
            self.buyers.clear()


@dataclass(slots=True)
class Unit:
    """What one operation touched: stock keys to publish, orders to reload, extra events."""

    now: float
    cache: WriterCache = field(default_factory=WriterCache)
    stock: set[tuple[str, str]] = field(default_factory=set)
    orders: dict[str, str] = field(default_factory=dict)  # order code -> show id
    events: list[Event] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def shows(self) -> dict[str, Show]:
        return self.cache.shows

    def finish(self, conn: sqlite3.Connection) -> tuple[Event, ...]:
        events = list(self.events)
        stock = self.stock
        if stock:
            self.cache.stock_moved = True
            events.append(StockChanged(tuple(stock) if len(stock) == 1 else tuple(sorted(stock))))
        # Listeners load the order itself when they need it (coalesced), not the writer.
        orders = self.orders
        if len(orders) == 1:  # a comment's usual case, without the sort and the generator
            for code, show_id in orders.items():
                events.append(OrderChanged(code, show_id))
        elif orders:
            events.extend(OrderChanged(code, orders[code]) for code in sorted(orders))
        return tuple(events)
