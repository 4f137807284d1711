"""Catalog files are bounded: alias bombs, huge files and huge numbers are refused, clearly."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from livesell.domain.catalog import MAX_FILE_BYTES, CatalogError, load_catalog_file, parse_yaml

BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
products:
  - code: A1
    name: *f
    description: *f
    variants: [{label: "", price: 1000, stock: 1}]
"""


def test_alias_bomb_is_refused_without_building_it() -> None:
    assert len(BOMB) < 700
    tracemalloc.start()
    with pytest.raises(CatalogError) as caught:
        parse_yaml(BOMB, "bomb.yaml")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "aliases expand" in caught.value.problems[0]
    assert peak < 5_000_000


def test_a_few_aliases_still_work() -> None:
    text = """\
producer: &p {name: HTX Cua, province: Cà Mau}
products:
  - {code: A1, name: Cua, producer: *p, variants: [{price: 1000, stock: 1}]}
  - {code: A2, name: Ghẹ, producer: *p, variants: [{price: 2000, stock: 1}]}
"""
    products = parse_yaml(text)
    assert [p.producer.name for p in products] == ["HTX Cua", "HTX Cua"]


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("products: []\n" + "#" * (MAX_FILE_BYTES + 1))
    with pytest.raises(CatalogError) as caught:
        load_catalog_file(path)
    assert "larger than" in caught.value.problems[0]


def test_numbers_and_lists_bounded() -> None:
    text = """\
products:
  - code: A1
    name: [not, a, name]
    variants:
      - {price: 1000000000000000000000000000000, stock: 1}
      - {label: b, price: 10, stock: 100000000000}
"""
    with pytest.raises(CatalogError) as caught:
        parse_yaml(text)
    joined = " ".join(caught.value.problems)
    assert "'price' must be at most" in joined and "'stock' must be at most" in joined
    assert "'name' is empty" in joined
    assert "[" not in joined.split("'name'")[0][-40:]
