"""Catalog and stock on SQLite: products, variants, restocks and write-offs."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from ...domain.catalog import product_from_mapping
from ...domain.errors import NotFound, SoldOut
from ...domain.events import Event
from ...domain.models import Product, StockLevel
from .books import promote_waitlist
from .conn import SqliteConnection
from .rows import _stock_row
from .writer import Unit


class SqliteCatalog(SqliteConnection):
    """Products, variants and their books."""

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

    async def put_products(self, products: Sequence[Product], actor: str,
                           now: float) -> tuple[Event, ...]:
        """Insert or update products. A variant's ``stock`` sets its total; it may not drop
        below what is already held or sold."""

        def run(conn: sqlite3.Connection) -> tuple[Event, ...]:
            self.cache.clear()
            unit = Unit(now=now, cache=self.cache)
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
                promote_waitlist(conn, unit, code, label)
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
            unit = Unit(now=now, cache=self.cache)
            conn.execute("UPDATE variants SET total = total + ?, available = available + ? "
                         "WHERE code = ? AND label = ?", (delta, delta, code, variant))
            self.cache.available.clear()
            unit.stock.add((row["code"], row["label"]))
            if delta > 0:
                promote_waitlist(conn, unit, row["code"], row["label"])
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

    # -- product photos ---------------------------------------------------------------------

    async def set_product_image(self, code: str, image: str, now: float) -> Product:
        """Point a product at a photo (``""`` removes it); nothing else of it changes."""
        def run(conn: sqlite3.Connection) -> None:
            row = conn.execute("SELECT code FROM products WHERE code = ? COLLATE NOCASE",
                               (code,)).fetchone()
            if row is None:
                raise NotFound(f"product {code} not found")
            conn.execute("UPDATE products SET doc = json_set(doc, '$.image', ?), updated_at = ? "
                         "WHERE code = ?", (image, now, row["code"]))

        await self.engine.write(run)
        product = await self.get_product(code)
        assert product is not None
        return product
