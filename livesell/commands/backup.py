"""``livesell backup OUT`` and ``livesell restore FILE``: the SQLite database, online."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..backup import BackupError, Progress, backup, restore


def _data_dir(args: argparse.Namespace) -> Path:
    from ..config import load_settings

    settings = load_settings(args.config, **({"data_dir": args.data} if args.data else {}))
    if settings.store != "sqlite":
        raise BackupError("the store is Redis: back it up with Redis itself (AOF or RDB "
                          "snapshots, see docs/deploy.md), not with livesell backup")
    return settings.data_path


def _progress(quiet: bool) -> Progress | None:
    if quiet or not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        print(f"\r  {done}/{total} pages ({100 * done // max(total, 1)} %)", end="",
              file=sys.stderr, flush=True)

    return show


def run_backup(args: argparse.Namespace) -> int:
    try:
        made = backup(_data_dir(args), Path(args.out), _progress(args.quiet))
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"\nbackup written to {made} (integrity check: ok)" if not args.quiet else made)
    return 0


def run_restore(args: argparse.Namespace) -> int:
    try:
        target = restore(Path(args.file), _data_dir(args), force=args.force,
                         progress=_progress(args.quiet))
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"\nrestored {args.file} into {target}")
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``backup`` and ``restore`` on the CLI."""
    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data", metavar="DIR", help="data folder (default ./data)")
        p.add_argument("--config", metavar="FILE", help="config.yaml to read")
        p.add_argument("--quiet", action="store_true", help="no progress, print only the path")

    out = sub.add_parser("backup", help="copy the SQLite database while serving")
    out.add_argument("out", help="file to write, or a folder for a dated file")
    common(out)
    out.set_defaults(func=run_backup)
    back = sub.add_parser("restore", help="put a backup back (stop the server first)")
    back.add_argument("file")
    back.add_argument("--force", action="store_true", help="replace an existing database")
    common(back)
    back.set_defaults(func=run_restore)
