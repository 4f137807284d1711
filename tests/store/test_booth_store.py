"""Product photos on every store: the image changes, nothing else of the product does."""

from __future__ import annotations

from pathlib import Path

import pytest

from livesell.domain.catalog import load_catalog_file
from livesell.domain.errors import NotFound
from livesell.store.base import Store

CATALOG = Path(__file__).resolve().parents[1] / "data" / "shop.yaml"


async def test_set_product_image_keeps_stock_and_other_fields(store: Store) -> None:
    products = load_catalog_file(CATALOG)
    await store.put_products(products, "test", 1_800_000_000.0)
    product = products[0]
    before = await store.stock([product.code])
    changed = await store.set_product_image(product.code.lower(), "/media/A1-0123456789ab-640.jpg",
                                            1_800_000_000.0)
    assert changed.image == "/media/A1-0123456789ab-640.jpg"
    assert changed.name == product.name and changed.variants == product.variants
    assert await store.stock([product.code]) == before
    fresh = await store.get_product(product.code)
    assert fresh is not None and fresh.image == changed.image
    cleared = await store.set_product_image(product.code, "", 1_800_000_001.0)
    assert cleared.image == ""
    with pytest.raises(NotFound):
        await store.set_product_image("NOPE", "/media/x.jpg", 1_800_000_002.0)
