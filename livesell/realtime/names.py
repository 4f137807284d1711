"""Socket.IO namespaces and event names: the realtime contract in one place."""

LIVE = "/live"
STAFF = "/staff"
BUYER = "/buyer"  # a buyer's own order page (realtime/buyers.py): server sends ORDER

# server -> viewers (/live)
SNAPSHOT = "snapshot"
STOCK = "stock"
PINNED = "pinned"
FLASH = "flash"
TICKER = "ticker"
COMMENT = "comment"
SHOW = "show"
# One frame per tick per show: {"stock"?, "flash"?, "ticker"?, "comment"?}, each part the
# payload of the event of that name with its own version (realtime/ticks.py). The separate
# events above stay valid: the late joiner's stock, pinned, flash and show still use them.
TICK = "tick"

# server -> consoles (/staff)
ORDER = "order"
REVIEW = "review"
STATS = "stats"
TRANSFER = "transfer"  # a bank transfer was stored (matched or waiting for staff)

# viewers -> server (/live)
POST_COMMENT = "comment"


def show_room(show_id: str) -> str:
    return f"show:{show_id}"
