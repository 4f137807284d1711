"""Catalog files (YAML in the DESIGN shape, or CSV with one row per variant) to Products.

Validation collects every problem with the product (or CSV line) and field it concerns, so a
cooperative fixing a spreadsheet sees all mistakes at once, and nothing is imported until the
whole file is clean.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from . import limits
from .models import Category, Origin, Producer, Product, Variant

CODE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,11}$")
CSV_COLUMNS = (
    "code", "name", "category", "ocop_stars", "variant", "price", "stock", "description",
    "producer", "commune", "province", "batch", "produced", "expiry", "certificates", "image",
    "aliases", "unit",
)


# A catalog of a few hundred products is tens of kilobytes; anything near this is a mistake.
MAX_FILE_BYTES = 2_000_000
# YAML aliases repeat a node by reference; a handful of them can stand for an exponentially
# large document (a "billion laughs" bomb). A shared producer block is fine; what is bounded
# is how many aliases there are and how big the document is once every alias is written out.
MAX_ALIASES = 1_000
MAX_EXPANDED_NODES = 200_000


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses documents whose aliases would expand past the budget."""

    aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise yaml.YAMLError(f"more than {MAX_ALIASES} aliases (*name)")
        return super().compose_node(parent, index)

    def construct_document(self, node: Any) -> Any:
        if _expanded_size(node, {}) > MAX_EXPANDED_NODES:
            raise yaml.YAMLError(
                f"its aliases expand to more than {MAX_EXPANDED_NODES:,} values; "
                "write the values out instead of repeating *aliases")
        return super().construct_document(node)


def _expanded_size(node: Any, seen: dict[int, int]) -> int:
    """How many nodes the document holds with every alias written out (memoised, so the
    count itself stays cheap however large the expansion)."""
    known = seen.get(id(node))
    if known is not None:
        return known
    seen[id(node)] = MAX_EXPANDED_NODES + 1  # a cycle counts as too big
    size = 1
    if isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(child, seen) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        size += sum(_expanded_size(k, seen) + _expanded_size(v, seen) for k, v in node.value)
    size = min(size, MAX_EXPANDED_NODES + 1)
    seen[id(node)] = size
    return size


class CatalogError(Exception):
    """The catalog is not usable; ``problems`` lists each one, naming the product and field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _int(value: Any, where: str, name: str, problems: list[str], *, minimum: int,
         maximum: int = limits.MAX_STOCK) -> int:
    if isinstance(value, bool) or value is None or value == "":
        problems.append(f"{where}: field '{name}' is required (an integer)")
        return 0
    if isinstance(value, float) and not value.is_integer():
        problems.append(f"{where}: field '{name}' must be a whole number, got {value!r}")
        return 0
    try:
        number = int(str(value).strip()) if not isinstance(value, int | float) else int(value)
    except ValueError:
        problems.append(f"{where}: field '{name}' must be a whole number, got {value!r}")
        return 0
    if number < minimum:
        problems.append(f"{where}: field '{name}' must be >= {minimum}, got {number}")
    if number > maximum:
        problems.append(f"{where}: field '{name}' must be at most {maximum}")
        return 0
    return number


def _text(value: Any) -> str:
    """A text field. Numbers and dates read as text (YAML and CSV write them bare); a list or
    mapping where text belongs reads as empty rather than as its Python repr."""
    if value is None or isinstance(value, list | dict | tuple | set):
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()[:limits.MAX_DESCRIPTION]


def product_from_mapping(doc: Mapping[str, Any], where: str, problems: list[str]) -> Product:
    """Build one Product from the catalog mapping shape, appending problems found."""
    code = _text(doc.get("code"))
    label = f"{where} ({code})" if code else where
    if not code:
        problems.append(f"{where}: field 'code' is empty")
    elif not CODE_RE.match(code):
        problems.append(f"{label}: field 'code' must be a letter then up to 11 letters/digits")
    name = _text(doc.get("name"))
    if not name:
        problems.append(f"{label}: field 'name' is empty")
    category_text = _text(doc.get("category")) or "other"
    try:
        category = Category(category_text.lower())
    except ValueError:
        problems.append(f"{label}: field 'category' must be one of "
                        f"{', '.join(c.value for c in Category)}, got {category_text!r}")
        category = Category.OTHER
    stars_raw = doc.get("ocop_stars")
    stars: int | None = None
    if stars_raw not in (None, ""):
        stars = _int(stars_raw, label, "ocop_stars", problems, minimum=0)
        if stars not in (3, 4, 5):
            problems.append(f"{label}: field 'ocop_stars' must be 3, 4 or 5")
    producer = doc.get("producer") or {}
    origin = doc.get("origin") or {}
    if not isinstance(producer, Mapping) or not isinstance(origin, Mapping):
        problems.append(f"{label}: fields 'producer' and 'origin' must be mappings")
        producer, origin = {}, {}
    certs = origin.get("certificates") or []
    if isinstance(certs, str):
        certs = [c.strip() for c in certs.split(";") if c.strip()]
    variants_raw = doc.get("variants")
    variants: list[Variant] = []
    if not isinstance(variants_raw, list) or not variants_raw:
        problems.append(f"{label}: field 'variants' needs at least one variant")
        variants_raw = []
    elif len(variants_raw) > limits.MAX_VARIANTS:
        problems.append(f"{label}: field 'variants' has more than {limits.MAX_VARIANTS}")
        variants_raw = variants_raw[:limits.MAX_VARIANTS]
    seen: set[str] = set()
    units_doc = doc.get("variant_units")
    units = units_doc if isinstance(units_doc, Mapping) else {}
    aliases_raw = doc.get("aliases") or []
    if isinstance(aliases_raw, str):
        aliases_raw = [a.strip() for a in aliases_raw.split(";")]
    if not isinstance(aliases_raw, list):
        problems.append(f"{label}: field 'aliases' must be a list of names")
        aliases_raw = []
    for index, raw in enumerate(variants_raw, 1):
        vwhere = f"{label} variant {index}"
        if not isinstance(raw, Mapping):
            problems.append(f"{vwhere}: must be a mapping with label, price, stock")
            continue
        vlabel = _text(raw.get("label"))
        if vlabel.casefold() in seen:
            problems.append(f"{vwhere}: duplicate variant label {vlabel!r}")
        seen.add(vlabel.casefold())
        if not vlabel and len(variants_raw) > 1:
            problems.append(f"{vwhere}: field 'label' is empty (needed with several variants)")
        price = _int(raw.get("price"), vwhere, "price", problems, minimum=1,
                     maximum=limits.MAX_PRICE)
        stock = _int(raw.get("stock", 0), vwhere, "stock", problems, minimum=0)
        unit = _text(raw.get("unit")) or _text(units.get(vlabel))
        variants.append(Variant(label=vlabel, price=price, stock=stock, unit=unit))
    return Product(
        code=code.upper(), name=name, variants=tuple(variants),
        description=_text(doc.get("description")), category=category, ocop_stars=stars,
        producer=Producer(
            name=_text(producer.get("name")), commune=_text(producer.get("commune")),
            province=_text(producer.get("province")),
        ),
        origin=Origin(
            batch=_text(origin.get("batch")), produced=_text(origin.get("produced")),
            expiry=_text(origin.get("expiry")), certificates=tuple(_text(c) for c in certs),
        ),
        image=_text(doc.get("image")),
        aliases=tuple(a for a in (_text(x) for x in aliases_raw) if a),
        unit=_text(doc.get("unit")),
    )


def _check_unique(products: Iterable[Product], problems: list[str]) -> None:
    seen: set[str] = set()
    for product in products:
        if product.code and product.code in seen:
            problems.append(f"product {product.code}: duplicate code")
        seen.add(product.code)


def parse_yaml(text: str, name: str = "catalog") -> list[Product]:
    """Products from catalog YAML text; raises CatalogError listing every problem."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise CatalogError([f"{name}: larger than {MAX_FILE_BYTES // 1_000_000} MB; "
                            "split the catalog into several files"])
    try:
        doc = yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise CatalogError([f"{name}: not valid YAML ({exc})"]) from None
    items = doc.get("products") if isinstance(doc, Mapping) else None
    if not isinstance(items, list):
        raise CatalogError([f"{name}: expected a top-level 'products:' list"])
    problems: list[str] = []
    products = []
    for index, item in enumerate(items, 1):
        if not isinstance(item, Mapping):
            problems.append(f"product {index}: must be a mapping")
            continue
        products.append(product_from_mapping(item, f"product {index}", problems))
    _check_unique(products, problems)
    if problems:
        raise CatalogError(problems)
    return products


def parse_csv(text: str, name: str = "catalog") -> list[Product]:
    """Products from CSV text, one row per variant; rows sharing a code form one product."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"code", "name", "price"} - set(reader.fieldnames or ())
    if missing:
        raise CatalogError([f"{name}: missing column(s) {', '.join(sorted(missing))}"])
    grouped: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    problems: list[str] = []
    for line_no, row in enumerate(reader, 2):
        code = (row.get("code") or "").strip()
        if not code:
            problems.append(f"line {line_no}: field 'code' is empty")
            continue
        key = code.upper()
        if key not in grouped:
            order.append(key)
            grouped[key] = {
                "code": code, "name": row.get("name"), "category": row.get("category"),
                "ocop_stars": row.get("ocop_stars"), "description": row.get("description"),
                "image": row.get("image"), "aliases": row.get("aliases"),
                "producer": {"name": row.get("producer"), "commune": row.get("commune"),
                             "province": row.get("province")},
                "origin": {"batch": row.get("batch"), "produced": row.get("produced"),
                           "expiry": row.get("expiry"), "certificates": row.get("certificates")},
                "variants": [], "line": line_no,
            }
        grouped[key]["variants"].append(
            {"label": row.get("variant") or "", "price": row.get("price"),
             "stock": row.get("stock") or 0, "unit": row.get("unit")}
        )
    products = [
        product_from_mapping(grouped[k], f"line {grouped[k]['line']}", problems) for k in order
    ]
    if problems:
        raise CatalogError(problems)
    return products


def load_catalog_file(path: str | Path) -> list[Product]:
    """Read a catalog file (``.csv`` or YAML); raises CatalogError, never half a catalog."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise CatalogError([f"{path}: larger than {MAX_FILE_BYTES // 1_000_000} MB; "
                                "split the catalog into several files"])
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CatalogError([f"{path}: cannot read ({exc.strerror})"]) from None
    except UnicodeDecodeError:
        raise CatalogError([f"{path}: not UTF-8 text"]) from None
    if path.suffix.lower() == ".csv":
        return parse_csv(text, path.name)
    return parse_yaml(text, path.name)
