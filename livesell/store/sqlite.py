"""The embedded store: one SQLite file in the data folder, WAL, group commit."""

from __future__ import annotations

import json
import sqlite3
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..domain.catalog import product_from_mapping
from ..domain.errors import IllegalTransition, Invalid, NotFound, SoldOut
from ..domain.events import Event
from ..domain.models import (
    Contact,
    Order,
    Product,
    ReviewItem,
    Show,
    StockLevel,
)
from . import sqlite_orders as ops
from .base import Captured, CaptureItem, CaptureRequest, Changed
from .sqlite_engine import SqliteEngine
from .sqlite_payments import SqlitePayments


def _stock_row(row: sqlite3.Row) -> StockLevel:
    return StockLevel(row["code"], row["label"], row["total"], row["available"], row["held"],
                      row["sold"], row["price"])


class SqliteStore(SqlitePayments):
    """Store on SQLite. Writes go through one writer thread; reads through one reader."""

    def __init__(self, path: Path, synchronous: str = "FULL", group_commit_ms: float = 2.0,
                 group_commit_max: int = 512) -> None:
        self.cache = ops.WriterCache()
        self.engine = SqliteEngine(path, synchronous, group_commit_ms, group_commit_max,
                                   on_rollback=self.cache.clear,
                                   before_commit=self.cache.before_commit)

    async def start(self) -> None:
        await self.engine.start()

    async def close(self) -> None:
        await self.engine.close()

    async def ping(self) -> bool:
        try:
            return bool(await self.engine.read(lambda c: c.execute("SELECT 1").fetchone()[0]))
        except (sqlite3.Error, RuntimeError):
            return False

    # -- catalog ---------------------------------------------------------------------------

    @staticmethod
    def _products(conn: sqlite3.Connection, codes: Sequence[str] | None = None) -> list[Product]:
        rows = conn.execute("SELECT code, doc FROM products ORDER BY position, code").fetchall()
        wanted = {c.upper() for c in codes} if codes is not None else None
        variants: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for v in conn.execute("SELECT * FROM variants ORDER BY position"):
            variants[v["code"].upper()].append(
                {"label": v["label"], "price": v["price"], "stock": v["available"]})
        products = []
        for row in rows:
            if wanted is not None and row["code"].upper() not in wanted:
                continue
            doc = json.loads(row["doc"])
            doc["variants"] = variants[row["code"].upper()]
            products.append(product_from_mapping(doc, row["code"], []))
        return products

    async def list_products(self) -> list[Product]:
        return await self.engine.read(self._products)

    async def get_product(self, code: str) -> Product | None:
        found = await self.engine.read(lambda c: self._products(c, [code]))
        return found[0] if found else None

    async def put_products(self, products: Sequence[Product], actor: str) -> tuple[Event, ...]:
        """Insert or update products. A variant's ``stock`` sets its total; it may not drop
        below what is already held or sold."""
        now = time.time()

        def run(conn: sqlite3.Connection) -> tuple[Event, ...]:
            self.cache.clear()
            unit = ops.Unit(now=now, cache=self.cache)
            start = conn.execute("SELECT COALESCE(MAX(position), 0) FROM products").fetchone()[0]
            for index, product in enumerate(products, 1):
                doc = product.to_json()
                doc.pop("variants")
                conn.execute(
                    "INSERT INTO products (code, doc, position, updated_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (code) DO UPDATE SET doc = excluded.doc, "
                    "updated_at = excluded.updated_at",
                    (product.code, json.dumps(doc, ensure_ascii=False), start + index, now))
                for position, variant in enumerate(product.variants):
                    row = conn.execute("SELECT * FROM variants WHERE code = ? AND label = ?",
                                       (product.code, variant.label)).fetchone()
                    if row is None:
                        conn.execute(
                            "INSERT INTO variants (code, label, position, price, total, "
                            "available, held, sold) VALUES (?, ?, ?, ?, ?, ?, 0, 0)",
                            (product.code, variant.label, position, variant.price,
                             variant.stock, variant.stock))
                    else:
                        committed = row["held"] + row["sold"]
                        if variant.stock < committed:
                            raise SoldOut(
                                f"{product.code} {variant.label}: stock {variant.stock} is "
                                f"below the {committed} already held or sold")
                        conn.execute(
                            "UPDATE variants SET price = ?, position = ?, total = ?, "
                            "available = ? WHERE code = ? AND label = ?",
                            (variant.price, position, variant.stock, variant.stock - committed,
                             product.code, variant.label))
                    unit.stock.add((product.code, variant.label))
            freed = sorted(unit.stock)
            for code, label in freed:
                ops.promote_waitlist(conn, unit, code, label)
            return unit.finish(conn)

        return await self.engine.write(run)

    async def adjust_stock(self, code: str, variant: str, delta: int, actor: str,
                           now: float) -> tuple[StockLevel, tuple[Event, ...]]:
        def run(conn: sqlite3.Connection) -> tuple[StockLevel, tuple[Event, ...]]:
            row = conn.execute("SELECT * FROM variants WHERE code = ? AND label = ?",
                               (code, variant)).fetchone()
            if row is None:
                raise NotFound(f"variant {code} {variant!r} not found")
            if row["available"] + delta < 0:
                raise SoldOut(f"only {row['available']} of {code} {variant} are free to write off",
                              available=row["available"])
            unit = ops.Unit(now=now, cache=self.cache)
            conn.execute("UPDATE variants SET total = total + ?, available = available + ? "
                         "WHERE code = ? AND label = ?", (delta, delta, code, variant))
            self.cache.available.clear()
            unit.stock.add((row["code"], row["label"]))
            if delta > 0:
                ops.promote_waitlist(conn, unit, row["code"], row["label"])
            events = unit.finish(conn)
            fresh = conn.execute("SELECT * FROM variants WHERE code = ? AND label = ?",
                                 (code, variant)).fetchone()
            return _stock_row(fresh), events

        return await self.engine.write(run)

    async def stock(self, codes: Sequence[str] | None = None) -> list[StockLevel]:
        def run(conn: sqlite3.Connection) -> list[StockLevel]:
            rows = conn.execute("SELECT * FROM variants ORDER BY code, position").fetchall()
            wanted = {c.upper() for c in codes} if codes is not None else None
            return [_stock_row(r) for r in rows
                    if wanted is None or r["code"].upper() in wanted]

        return await self.engine.read(run)

    async def stock_version(self) -> int:
        return await self.engine.read(lambda c: int(c.execute(
            "SELECT value FROM meta WHERE key = 'stock_version'").fetchone()[0]))

    # -- shows -----------------------------------------------------------------------------

    async def create_show(self, show: Show) -> Show:
        def run(conn: sqlite3.Connection) -> Show:
            known = {r[0].upper() for r in conn.execute("SELECT code FROM products")}
            missing = [c for c in show.lineup if c.upper() not in known]
            if missing:
                raise Invalid(f"unknown product(s) in lineup: {', '.join(missing)}",
                              codes=missing)
            conn.execute("INSERT INTO shows (id, doc, created_at) VALUES (?, ?, ?)",
                         (show.id, json.dumps(show.to_json()), show.created_at))
            return show

        return await self.engine.write(run)

    async def get_show(self, show_id: str) -> Show | None:
        return await self.engine.read(lambda c: ops.load_show(c, show_id))

    async def list_shows(self) -> list[Show]:
        return await self.engine.read(lambda c: [
            ops.show_from_doc(json.loads(r[0]))
            for r in c.execute("SELECT doc FROM shows ORDER BY created_at DESC, rowid DESC")])

    async def update_show(self, show_id: str, changes: Mapping[str, Any]) -> Show:
        """Change some fields of a show atomically (status, pinned, flash, lineup...)."""

        def run(conn: sqlite3.Connection) -> Show:
            show = ops.load_show(conn, show_id)
            if show is None:
                raise NotFound(f"show {show_id} not found")
            fresh = show.changed(dict(changes))
            ops.save_show(conn, fresh, self.cache)
            return fresh

        return await self.engine.write(run)

    # -- capture and orders ----------------------------------------------------------------

    async def capture(self, requests: Sequence[CaptureRequest], now: float) -> list[Captured]:
        # One write for the batch (one fsync), each comment in its own savepoint so a refused
        # one cannot undo its neighbours.
        cache = self.cache

        def one_by_one(conn: sqlite3.Connection) -> list[Captured | Exception]:
            out: list[Captured | Exception] = []
            for req in requests:
                conn.execute("SAVEPOINT comment")
                try:
                    out.append(ops.capture_one(conn, req, now, cache))
                except Exception as exc:  # this comment only; the rest of the batch goes on
                    cache.clear()
                    conn.execute("ROLLBACK TO comment")
                    out.append(exc)
                conn.execute("RELEASE comment")
            return out

        def all_of_them(conn: sqlite3.Connection) -> list[Captured | Exception]:
            # The common case needs no savepoint per comment; if one comment fails, the whole
            # batch is undone (the engine's savepoint) and redone one savepoint at a time.
            conn.execute("SAVEPOINT batch")
            try:
                done: list[Captured | Exception] = [
                    ops.capture_one(conn, req, now, cache) for req in requests]
            except Exception:
                cache.clear()
                conn.execute("ROLLBACK TO batch")
                conn.execute("RELEASE batch")
                return one_by_one(conn)
            conn.execute("RELEASE batch")
            return done

        done = await self.engine.write(all_of_them)
        for item in done:
            if isinstance(item, Exception):
                raise item
        return [item for item in done if not isinstance(item, Exception)]

    async def get_orders(self, codes: Sequence[str]) -> list[Order]:
        """Several orders in one read, without their audit trails (for console pushes)."""
        def run(conn: sqlite3.Connection) -> list[Order]:
            found = (ops.load_order(conn, code, audit=False) for code in codes)
            return [order for order in found if order is not None]

        return await self.engine.read(run)

    async def get_order(self, code: str) -> Order | None:
        return await self.engine.read(lambda c: ops.load_order(c, code))

    async def list_orders(self, show_id: str, status: str | None = None) -> list[Order]:
        def run(conn: sqlite3.Connection) -> list[Order]:
            if status:
                rows = conn.execute("SELECT * FROM orders WHERE show_id = ? AND status = ? "
                                    "ORDER BY created_at DESC", (show_id, status)).fetchall()
            else:
                rows = conn.execute("SELECT * FROM orders WHERE show_id = ? "
                                    "ORDER BY created_at DESC", (show_id,)).fetchall()
            return [ops.order_from_row(conn, r, audit=False) for r in rows]

        return await self.engine.read(run)

    async def order_action(self, code: str, action: str, version: int, actor: str,
                           now: float) -> Changed:
        return await self.engine.write(
            lambda c: ops.order_action(c, code, action, version, actor, now, self.cache))

    async def patch_order(self, code: str, version: int, lines: Sequence[CaptureItem] | None,
                          contact: Contact | None, actor: str, now: float) -> Changed:
        return await self.engine.write(
            lambda c: ops.patch_order(c, code, version, lines, contact, actor, now,
                                      self.cache))

    async def expire_holds(self, now: float) -> tuple[Event, ...]:
        return await self.engine.write(lambda c: ops.expire_holds(c, now, self.cache))

    # -- review ----------------------------------------------------------------------------

    async def list_review(self, show_id: str, status: str = "open") -> list[ReviewItem]:
        return await self.engine.read(lambda c: [ops.review_row(r) for r in c.execute(
            "SELECT * FROM review WHERE show_id = ? AND status = ? ORDER BY id",
            (show_id, status))])

    async def resolve_review(self, review_id: int, items: Sequence[CaptureItem], actor: str,
                             now: float) -> Changed:
        return await self.engine.write(
            lambda c: ops.resolve_review(c, review_id, items, actor, now, self.cache))

    async def dismiss_review(self, review_id: int, actor: str, now: float) -> ReviewItem:
        def run(conn: sqlite3.Connection) -> ReviewItem:
            row = conn.execute("SELECT * FROM review WHERE id = ?", (review_id,)).fetchone()
            if row is None:
                raise NotFound(f"review item {review_id} not found")
            if row["status"] != "open":
                raise IllegalTransition(
                    f"review item {review_id} is already {row['status']}")
            conn.execute("UPDATE review SET status = 'dismissed' WHERE id = ?", (review_id,))
            return replace(ops.review_row(row), status="dismissed")

        return await self.engine.write(run)

    # -- reports ---------------------------------------------------------------------------

    async def report(self, show_id: str) -> dict[str, Any]:
        def run(conn: sqlite3.Connection) -> dict[str, Any]:
            statuses = {r[0]: r[1] for r in conn.execute(
                "SELECT status, COUNT(*) FROM orders WHERE show_id = ? GROUP BY status",
                (show_id,))}
            comments = {r[0]: r[1] for r in conn.execute(
                "SELECT status, COUNT(*) FROM comments WHERE show_id = ? GROUP BY status",
                (show_id,))}
            lines = conn.execute(
                "SELECT l.code, l.variant, l.state, SUM(l.qty) AS qty, "
                "SUM(l.qty * l.unit_price) AS amount FROM lines l JOIN orders o "
                "ON o.code = l.order_code WHERE o.show_id = ? GROUP BY l.code, l.variant, "
                "l.state", (show_id,)).fetchall()
            minutes = conn.execute(
                "SELECT CAST(l.created_at / 60 AS INTEGER) * 60 AS minute, SUM(l.qty), "
                "SUM(l.qty * l.unit_price) FROM lines l JOIN orders o ON o.code = l.order_code "
                "WHERE o.show_id = ? AND l.state IN ('held', 'confirmed') "
                "GROUP BY minute ORDER BY minute", (show_id,)).fetchall()
            return {"orders": statuses, "comments": comments,
                    "lines": [dict(r) for r in lines],
                    "minutes": [{"minute": r[0], "units": r[1], "amount": r[2]}
                                for r in minutes]}

        return await self.engine.read(run)

    # -- credentials and meta --------------------------------------------------------------

    async def add_token(self, token_hash: str, role: str, name: str, now: float) -> None:
        await self.engine.write(lambda c: c.execute(
            "INSERT INTO tokens (hash, role, name, created_at) VALUES (?, ?, ?, ?)",
            (token_hash, role, name, now)))

    async def token_role(self, token_hash: str) -> tuple[str, str] | None:
        row = await self.engine.read(lambda c: c.execute(
            "SELECT role, name FROM tokens WHERE hash = ?", (token_hash,)).fetchone())
        return (row[0], row[1]) if row else None

    async def add_user(self, name: str, role: str, password_hash: str, now: float) -> None:
        await self.engine.write(lambda c: c.execute(
            "INSERT INTO users (name, role, password, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET role = excluded.role, "
            "password = excluded.password", (name, role, password_hash, now)))

    async def get_user(self, name: str) -> tuple[str, str] | None:
        row = await self.engine.read(lambda c: c.execute(
            "SELECT role, password FROM users WHERE name = ?", (name,)).fetchone())
        return (row[0], row[1]) if row else None

    async def get_meta(self, key: str) -> str | None:
        row = await self.engine.read(lambda c: c.execute(
            "SELECT value FROM meta WHERE key = ?", (key,)).fetchone())
        return str(row[0]) if row else None

    async def set_meta(self, key: str, value: str) -> None:
        await self.engine.write(lambda c: c.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
            "SET value = excluded.value", (key, value)))

