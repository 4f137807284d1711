"""The embedded store: one SQLite file in the data folder, WAL, group commit.

One class per aggregate (catalog, shows, order book, review queue, report, credentials), each
beside its Redis twin in ``store/redis/``; the functions that run inside the writer's
transaction are in ``books``, ``capture``, ``staff``, ``expiry`` and ``review``.
"""

from __future__ import annotations

from .catalog import SqliteCatalog
from .credentials import SqliteCredentials
from .customers import SqliteCustomers
from .orders import SqliteOrders
from .payments import SqlitePayments
from .report import SqliteReport
from .review import SqliteReview
from .revoke import SqliteRevocation
from .shows import SqliteShows


class SqliteStore(SqliteRevocation, SqliteCatalog, SqliteShows, SqliteOrders, SqliteReview,
                  SqliteReport, SqliteCredentials, SqlitePayments, SqliteCustomers):
    """Store on SQLite. Writes go through one writer thread; reads through one reader."""
