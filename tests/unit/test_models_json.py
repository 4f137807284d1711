"""The JSON of products and shows: every field, exactly as a full ``asdict`` gives it."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from livesell.domain.models import (
    Category,
    FlashDeal,
    Origin,
    Producer,
    Product,
    Show,
    ShowStatus,
    Variant,
)


def _every_field_set(cls: type, **given: Any) -> Any:
    """An instance whose every field differs from its default (so a field left out shows)."""
    values: dict[str, Any] = {}
    for f in fields(cls):
        if f.name in given:
            values[f.name] = given[f.name]
        elif f.type in ("str", "str | None"):
            values[f.name] = f"{f.name}-value"
        elif f.type in ("int", "int | None"):
            values[f.name] = 7
        elif f.type in ("float", "float | None"):
            values[f.name] = 1.5
        elif f.type == "bool":
            values[f.name] = True
        elif f.type == "tuple[str, ...]":
            values[f.name] = (f"{f.name}-1", f"{f.name}-2")
        else:
            raise AssertionError(f"{cls.__name__}.{f.name}: add a value for {f.type}")
    return cls(**values)


def test_product_json_is_the_full_asdict_with_lists_and_plain_strings() -> None:
    product = _every_field_set(
        Product, variants=(_every_field_set(Variant), Variant("1kg", 5, 2)),
        category=Category.FOOD, producer=_every_field_set(Producer),
        origin=_every_field_set(Origin))
    expected = asdict(product)
    expected.update(category="food", aliases=list(product.aliases),
                    variants=[asdict(v) for v in product.variants],
                    variant_units={"label-value": "unit-value"})
    expected["origin"]["certificates"] = list(product.origin.certificates)
    doc = product.to_json()
    assert doc == expected
    assert list(doc) == list(expected)  # same key order, too


def test_show_json_is_the_full_asdict_with_lists_and_plain_strings() -> None:
    flash = FlashDeal(code="A1", variant=None, price=9, quantity=3, ends_at=2.0,
                      started_at=1.0, list_price=12)
    show = _every_field_set(Show, status=ShowStatus.LIVE, flash=flash)
    expected = asdict(show)
    expected.update(status="live", lineup=list(show.lineup), flash=asdict(flash))
    doc = show.to_json()
    assert doc == expected
    assert list(doc) == list(expected)
