"""Upper bounds on everything a host or a bridge can send, so no number or list is unbounded.

They are generous for any real cooperative (a billion đồng a unit, a million units, 200
products a show) and far below what would overflow SQLite's integers or Lua's doubles.
"""

from __future__ import annotations

MAX_PRICE = 1_000_000_000          # VND per unit
MAX_STOCK = 1_000_000              # units of one variant
MAX_STOCK_DELTA = MAX_STOCK        # one restock or write-off
MAX_VARIANTS = 50                  # per product
MAX_LINEUP = 200                   # products in one show
MAX_CODE = 12                      # a product code (see catalog.CODE_RE)
MAX_LABEL = 60                     # a variant label
MAX_NAME = 200                     # product name, show title, producer fields
MAX_DESCRIPTION = 5_000
MAX_URL = 1_000
MAX_CERTIFICATES = 20
MAX_HOLD_MINUTES = 7 * 24 * 60     # a week
MAX_PER_BUYER = 10_000
MAX_FLASH_SECONDS = 24 * 3600
MAX_LINE_QTY = 10_000              # one order line, as staff may edit it
MAX_LINES = 100                    # lines in one order edit or review resolve
MAX_VERSION = 2**53 - 1
MAX_CONTACT = 300                  # each contact field
MAX_AUTHOR = 200                   # author id and name as a source sends them
MAX_COMMENT_ID = 200
