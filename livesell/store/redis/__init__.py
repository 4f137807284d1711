"""The Redis store: see ``store`` for the key layout."""

from .codec import persistence_warning
from .orders import CAPTURE_CHUNK
from .store import RedisStore

__all__ = ["CAPTURE_CHUNK", "RedisStore", "persistence_warning"]
