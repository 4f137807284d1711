"""Catalog and stock on Redis: ``products.lua``, ``adjust.lua``, ``stock.lua``, ``catalog.lua``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ...domain.catalog import product_from_mapping
from ...domain.errors import NotFound
from ...domain.events import Event
from ...domain.models import Product, StockLevel
from . import codec
from .conn import RedisConnection
from .conn import reachable as _reachable


class RedisCatalog(RedisConnection):
    """Products, variants and their books."""

    async def _catalog(self, codes: Sequence[str] | None) -> list[Product]:
        with _reachable():
            rows = await self.scripts.run("catalog", [self.anchor], [self.tag, "0", *(codes or ())])
        products = []
        for code, doc_text, variants in rows:
            doc = json.loads(doc_text)
            doc["variants"] = [{"label": v[1], "price": int(v[3]), "stock": int(v[5])}
                               for v in variants]
            products.append(product_from_mapping(doc, code, []))
        return products

    async def list_products(self) -> list[Product]:
        return await self._catalog(None)

    async def get_product(self, code: str) -> Product | None:
        found = await self._catalog([code])
        return found[0] if found else None

    async def put_products(self, products: Sequence[Product], actor: str,
                           now: float) -> tuple[Event, ...]:
        """Insert or update products. A variant's ``stock`` sets its total; it may not drop
        below what is already held or sold."""
        payload = []
        for product in products:
            doc = product.to_json()
            doc.pop("variants")
            payload.append({"code": product.code, "doc": json.dumps(doc, ensure_ascii=False),
                            "variants": [{"label": v.label, "price": v.price, "stock": v.stock}
                                         for v in product.variants]})
        out = await self._run("products", now, json.dumps(payload, ensure_ascii=False))
        codec.raise_for(out, "product")
        return codec.events_from(out, now)

    async def adjust_stock(self, code: str, variant: str, delta: int, actor: str,
                           now: float) -> tuple[StockLevel, tuple[Event, ...]]:
        out = await self._run("adjust", now, code, variant, delta)
        codec.raise_for(out, f"variant {code} {variant!r}")
        c, label, total, available, held, sold, price = out["r"]["level"]
        level = StockLevel(c, label, int(total), int(available), int(held), int(sold),
                           int(price))
        return level, codec.events_from(out, now)

    async def stock(self, codes: Sequence[str] | None = None) -> list[StockLevel]:
        """Books of every variant (or of some products), in one round trip."""
        if codes is not None:
            codes = sorted({c.upper() for c in codes})
            if not codes:
                return []
        with _reachable():
            rows = await self.scripts.run("stock", [self.anchor], [self.tag, "0", *(codes or ())])
        rows.sort(key=lambda r: (r[0].lower(), int(r[2])))
        return [codec.stock_from(r) for r in rows]

    async def stock_version(self) -> int:
        with _reachable():
            value = await self.client.hget(self.key("meta"), "stock_version")
        return int(value or 0)

    # -- product photos ---------------------------------------------------------------------

    async def set_product_image(self, code: str, image: str, now: float) -> Product:
        """Point a product at a photo (``""`` removes it); nothing else of it changes."""
        key = self.key("product", code.upper())

        async def change(pipe: Any) -> None:
            doc_text = await pipe.hget(key, "doc")
            if doc_text is None:
                raise NotFound(f"product {code} not found")
            doc = json.loads(doc_text)
            doc["image"] = image
            pipe.multi()
            pipe.hset(key, "doc", json.dumps(doc, ensure_ascii=False))

        with _reachable():
            await self.client.transaction(change, key)
            await self._durable()
        product = await self.get_product(code)
        assert product is not None
        return product
