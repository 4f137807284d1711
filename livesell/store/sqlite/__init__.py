"""The SQLite store (the default): see ``store``."""

from .store import SqliteStore

__all__ = ["SqliteStore"]
