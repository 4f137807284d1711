"""The SQLite writer cache's check mode (tests, debugging): is it on, and what it raises.

In check mode every answer the writer keeps in memory is compared with SQL. The first
difference is a bug: it fails that write, and every commit after it, because a retry after a
rollback (which rebuilds the cache) would otherwise hide it.
"""

from __future__ import annotations

import os

# The setting ``check_writer_cache`` as an environment variable, read by stores built without
# settings (tests build many).
CHECK_CACHE_ENV = "LIVESELL_CHECK_WRITER_CACHE"


class StaleCache(RuntimeError):
    """A cached answer differed from SQL (check mode only): a writer-cache bug."""


def check_mode(given: bool | None) -> bool:
    """``given`` when set, else what the environment says."""
    if given is not None:
        return given
    return os.environ.get(CHECK_CACHE_ENV, "").strip().lower() in ("1", "true", "yes", "on")
