"""``livesell export SHOW --format csv|xlsx|shipping``: a show's orders as a file.

The same files as ``GET /api/shows/{id}/orders.csv`` and ``orders.xlsx`` (the shipping preset
is ``orders.xlsx?preset=shipping``), read straight from the store, so it works with the server
stopped, or running beside it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ..capture.staffwork import show_export
from ..config import Settings

FORMATS = {"csv": ("csv", "orders"), "xlsx": ("xlsx", "orders"),
           "shipping": ("xlsx", "shipping")}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("show", help="show id")
    parser.add_argument("--format", dest="fmt", choices=tuple(FORMATS), default="csv",
                        help="csv or xlsx (one row per order), or shipping (.xlsx for a "
                             "carrier's bulk import)")
    parser.add_argument("--out", metavar="FILE",
                        help="where to write (default SHOW-orders.csv and the like; - for stdout)")
    parser.add_argument("--lang", choices=("vi", "en"), default=None,
                        help="column headings (default: the configured language)")
    parser.add_argument("--data", metavar="DIR", help="data folder (default ./data)")
    parser.add_argument("--config", metavar="FILE", help="config.yaml to read")


def run(args: argparse.Namespace, settings: Settings,
        with_store: Callable[[Callable[[Any], Awaitable[Any]]], Any]) -> int:
    """Write the file; ``with_store(work)`` runs ``work(store)`` on a started store."""
    fmt, preset = FORMATS[args.fmt]
    lang = args.lang or settings.language

    async def work(store: Any) -> tuple[bytes, str] | None:
        return await show_export(store, args.show, fmt, preset, lang,
                                 settings.export_default_weight_g)

    found = with_store(work)
    if found is None:
        print(f"error: no show {args.show}", file=sys.stderr)
        return 1
    body, _ = found
    target = args.out or f"{args.show}-{preset}.{fmt}"
    if target == "-":
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
        return 0
    Path(target).write_bytes(body)
    print(f"wrote {target} ({len(body)} bytes)", file=sys.stderr)
    return 0
