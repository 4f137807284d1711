"""The data folder and database file are private to the server's user: 0700 and 0600.

Orders hold buyers' phones and addresses; another account on the machine must not read
them. Only what livesell creates is set: an existing folder is left as its operator made it.
"""

from __future__ import annotations

import os
from pathlib import Path


def private_dir(path: Path) -> None:
    """Create the folder (and missing parents) readable by this user only."""
    if not path.exists():
        path.mkdir(parents=True, mode=0o700, exist_ok=True)
        os.chmod(path, 0o700)  # mkdir's mode is filtered by the umask


def private_database(path: Path) -> None:
    """Create an empty database file 0600 before SQLite opens it (its -wal and -shm files
    take the same mode from it)."""
    private_dir(path.parent)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
