"""``livesell connectors``: check the configured connectors, or see and steer them on a
running server (``list``, ``start``, ``stop``) through its API with a host token."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from typing import Any

import aiohttp


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("check", "list", "start", "stop"),
                        help="check: validate connectors: in the config; list/start/stop: "
                             "on a running server")
    parser.add_argument("index", nargs="?", type=int, help="connector number (start, stop)")
    parser.add_argument("--show", help="show id (list, start, stop)")
    parser.add_argument("--url", default="http://127.0.0.1:8080", help="server address")
    parser.add_argument("--token", default=os.environ.get("LIVESELL_TOKEN", ""),
                        help="host bearer token (default: LIVESELL_TOKEN)")
    parser.add_argument("--config", metavar="FILE", help="config.yaml to read (check)")


def _check(args: argparse.Namespace) -> int:
    from ..config import load_settings
    from ..connectors.runner import parse_connectors

    specs = parse_connectors(load_settings(args.config).connectors)
    for index, spec in enumerate(specs):
        state = "on" if spec.enabled else "off"
        print(f"{index}\t{spec.kind}\tshow {spec.show}\t{state}")
    print(f"{len(specs)} connector(s) configured")
    return 0


async def _call(args: argparse.Namespace) -> tuple[int, Any]:
    base = f"{args.url.rstrip('/')}/api/shows/{args.show}/connectors"
    headers = {"Authorization": f"Bearer {args.token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        if args.action == "list":
            request = session.get(base)
        else:
            request = session.post(f"{base}/{args.index}/{args.action}")
        async with request as resp:
            return resp.status, await resp.json(content_type=None)


def run(args: argparse.Namespace) -> int:
    if args.action == "check":
        return _check(args)
    if not args.show:
        print("error: --show is required", file=sys.stderr)
        return 2
    if args.action != "list" and args.index is None:
        print(f"error: {args.action} needs the connector number", file=sys.stderr)
        return 2
    try:
        status, body = asyncio.run(_call(args))
    except aiohttp.ClientError as exc:
        print(f"error: cannot reach {args.url}: {exc}", file=sys.stderr)
        return 1
    if status >= 400:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        print(f"error: {status} {error.get('message', '')}", file=sys.stderr)
        return 1
    rows = body["connectors"] if args.action == "list" else [body]
    for row in rows:
        print(json.dumps({k: row[k] for k in ("index", "kind", "name", "state", "comments",
                                              "errors", "reconnects", "missing")},
                         ensure_ascii=False))
    return 0
