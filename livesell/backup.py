"""Online backups of the SQLite database, restore, and the optional periodic backup task.

SQLite's backup API copies a consistent snapshot page by page while the server keeps writing
(WAL readers never block the writer); the copy is checked with ``PRAGMA integrity_check`` and
only then moved into place, so a half-written file never looks like a backup.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from aiohttp import web

from . import keys

log = logging.getLogger(__name__)
DB_NAME = "livesell.db"
PAGES_PER_STEP = 256
Progress = Callable[[int, int], None]


class BackupError(Exception):
    """The backup or restore could not be made; the message says why."""


def integrity(path: Path) -> str:
    """``ok`` or SQLite's first complaint about the file."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        conn.close()


def _copy(source: Path, target: Path, progress: Progress | None) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=PAGES_PER_STEP,
                   progress=(lambda _s, left, total: progress(total - left, total))
                   if progress else None)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    except sqlite3.Error as exc:
        raise BackupError(f"cannot copy {source}: {exc}") from None
    finally:
        dst.close()
        src.close()


def backup(data_dir: Path, out: Path, progress: Progress | None = None) -> Path:
    """Copy ``data_dir``'s database to ``out`` (a file, or a folder to put a dated file in)."""
    source = data_dir / DB_NAME
    if not source.exists():
        raise BackupError(f"no database at {source} (is --data right?)")
    if out.is_dir():
        now = time.time()
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
        out = out / f"livesell-{stamp}.{int(now * 1000) % 1000:03d}.db"
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    _copy(source, partial, progress)
    if (verdict := integrity(partial)) != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy failed its integrity check: {verdict}")
    os.chmod(partial, 0o600)
    os.replace(partial, out)
    return out


def restore(backup_file: Path, data_dir: Path, *, force: bool = False,
            progress: Progress | None = None) -> Path:
    """Put ``backup_file`` back as the database of ``data_dir``; the old one is kept aside."""
    if not backup_file.is_file():
        raise BackupError(f"no backup file at {backup_file}")
    if (verdict := integrity(backup_file)) != "ok":
        raise BackupError(f"{backup_file} is not a sound database: {verdict}")
    target = data_dir / DB_NAME
    if target.exists() and not force:
        raise BackupError(f"{target} exists; stop the server and pass --force to replace it "
                          "(the current database is kept as livesell.db.before-restore)")
    data_dir.mkdir(parents=True, exist_ok=True)
    if target.exists():
        keep = target.with_name(DB_NAME + ".before-restore")
        backup(data_dir, keep)
    staged = target.with_name(DB_NAME + ".restoring")
    staged.unlink(missing_ok=True)
    _copy(backup_file, staged, progress)
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    os.chmod(staged, 0o600)
    os.replace(staged, target)
    return target


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` periodic backups in ``folder``."""
    found = sorted(folder.glob("livesell-*.db"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in found[keep:]:
        old.unlink(missing_ok=True)
    return found[keep:]


def interval_seconds(minutes: int) -> float:
    return minutes * 60.0


async def periodic_backup_ctx(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context: every ``backup_every_minutes``, an online backup into ``backup_dir``."""
    settings = app[keys.SETTINGS]
    if settings.backup_every_minutes <= 0 or settings.store != "sqlite":
        yield
        return
    folder = Path(settings.backup_dir) if settings.backup_dir else settings.data_path / "backups"
    stop = asyncio.Event()

    async def loop() -> None:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(),
                                       interval_seconds(settings.backup_every_minutes))
                return
            except TimeoutError:
                pass
            try:
                folder.mkdir(parents=True, exist_ok=True, mode=0o700)
                made = await asyncio.to_thread(backup, settings.data_path, folder)
                await asyncio.to_thread(prune, folder, settings.backup_keep)
                log.info("backup written to %s", made.name)
            except (BackupError, OSError) as exc:
                log.error("periodic backup failed: %s", exc)

    task = asyncio.create_task(loop(), name="periodic-backup")
    yield
    stop.set()
    await asyncio.wait_for(task, 30)
