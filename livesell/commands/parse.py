"""``livesell parse``: run the comment parser over stdin, one JSON intent per line on stdout.

Useful to check how a lineup's codes, names and variant labels are understood before a
show, and to replay a saved comment log.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from livesell.domain.parser import (
    DEFAULT_MIN_CONFIDENCE,
    LineupProduct,
    Parser,
    lineup_product,
)


class _CatalogProblem(Exception):
    """The catalog file cannot be used; the message says why."""


def _lineup_from_file(path: str) -> list[LineupProduct]:
    """The lineup of a catalog file (YAML in the DESIGN shape, or CSV one row per variant)."""
    try:
        from livesell.domain.catalog import CatalogError, load_catalog_file
    except ImportError:  # the catalog module is optional for this command
        return _lineup_from_yaml(path)
    try:
        products = load_catalog_file(path)
    except CatalogError as exc:
        raise _CatalogProblem(str(exc)) from None
    return [lineup_product(p) for p in products]


def _lineup_from_yaml(path: str) -> list[LineupProduct]:
    try:
        doc: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise _CatalogProblem(f"{path}: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("products"), list):
        raise _CatalogProblem(f"{path}: expected a mapping with a 'products' list")
    lineup = []
    for n, prod in enumerate(doc["products"], 1):
        if not isinstance(prod, dict) or not prod.get("code"):
            raise _CatalogProblem(f"{path}: product {n} has no code")
        variants = prod.get("variants") or [{"label": ""}]
        labels = tuple(str(v.get("label") or "") for v in variants if isinstance(v, dict))
        aliases = tuple(str(a) for a in prod.get("aliases") or ())
        lineup.append(LineupProduct(str(prod["code"]), str(prod.get("name", "")), labels or ("",),
                                    aliases))
    return lineup


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``livesell parse``."""
    parser.add_argument("--catalog", required=True, help="catalog file (YAML or CSV)")
    parser.add_argument("--pinned", default=None, help="code of the pinned product")
    parser.add_argument(
        "--max-qty", type=int, default=50, help="largest quantity accepted without review"
    )
    parser.add_argument(
        "--min-confidence", type=float, default=DEFAULT_MIN_CONFIDENCE,
        help="orders read with less confidence are printed as review (0 shows every reading)",
    )
    parser.add_argument(
        "--check", metavar="CORPUS", default=None,
        help="score a labelled corpus (YAML, see tests/data/comments.yaml) instead of stdin: "
             "accuracy per tier and precision per confidence band; exit 1 if noise orders",
    )


def run(args: argparse.Namespace) -> int:
    """Parse each stdin line as one comment and print its intent as one JSON line.

    Returns 0, or 2 when the catalog or the pinned code is unusable (message on stderr).
    """
    try:
        parser = Parser(_lineup_from_file(args.catalog), args.pinned, args.max_qty,
                        args.min_confidence)
    except (_CatalogProblem, ValueError) as exc:
        print(f"livesell parse: {exc}", file=sys.stderr)
        return 2
    if args.check:
        return _check(parser, args.check)
    out = sys.stdout
    for line in sys.stdin:
        intent = parser.parse(line.rstrip("\r\n"))
        out.write(json.dumps(intent.to_json(), ensure_ascii=False) + "\n")
    out.flush()
    return 0


def _check(parser: Parser, path: str) -> int:
    from livesell.commands.parse_corpus import report, score

    try:
        doc: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        print(f"livesell parse: {path}: {exc}", file=sys.stderr)
        return 2
    if not isinstance(doc, dict):
        print(f"livesell parse: {path}: expected a mapping with 'comments'", file=sys.stderr)
        return 2
    scores, calibration = score(doc, parser, parser.codes)
    print(report(scores, calibration))
    return 1 if any(s.name == "noise" and s.orders for s in scores) else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``python -m livesell.commands.parse``."""
    ap = argparse.ArgumentParser(prog="livesell parse", description=__doc__)
    add_arguments(ap)
    return run(ap.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
