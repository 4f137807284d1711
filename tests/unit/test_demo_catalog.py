"""The demo catalog is well formed and rich enough for a demo show."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from typing import Any

import pytest
import yaml

CATEGORIES = {"food", "beverage", "herbal", "handicraft", "other"}


@pytest.fixture(scope="module")
def products() -> list[dict[str, Any]]:
    text = resources.files("livesell.demo").joinpath("catalog.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert set(data) == {"products"}
    items: list[dict[str, Any]] = data["products"]
    return items


def test_at_least_twelve_products_with_unique_codes(products: list[dict[str, Any]]) -> None:
    assert len(products) >= 12
    codes = [p["code"].casefold() for p in products]
    assert len(codes) == len(set(codes))
    assert all(isinstance(p["code"], str) and p["code"].isalnum() for p in products)


def test_every_main_category_is_present(products: list[dict[str, Any]]) -> None:
    assert {p["category"] for p in products} <= CATEGORIES
    assert {"food", "beverage", "herbal", "handicraft"} <= {p["category"] for p in products}


def test_product_fields(products: list[dict[str, Any]]) -> None:
    for product in products:
        assert product["name"].strip() and product["description"].strip()
        assert product.get("ocop_stars") in (None, 3, 4, 5)
        producer = product["producer"]
        assert producer["name"] and producer["commune"] and producer["province"] == "Cà Mau"
        origin = product["origin"]
        assert isinstance(origin["batch"], str)
        assert isinstance(origin["produced"], dt.date)
        if "expiry" in origin:
            assert origin["expiry"] > origin["produced"]
        assert all(isinstance(c, str) for c in origin["certificates"])


def test_variants_have_positive_prices_and_stock(products: list[dict[str, Any]]) -> None:
    for product in products:
        variants = product["variants"]
        assert variants, product["code"]
        labels = [v["label"].casefold() for v in variants]
        assert len(labels) == len(set(labels)), product["code"]
        if len(variants) > 1:
            assert all(labels), product["code"]
        for variant in variants:
            price, stock = variant["price"], variant["stock"]
            assert type(price) is int and price > 0, product["code"]
            assert type(stock) is int and stock >= 0, product["code"]
