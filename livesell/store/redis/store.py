"""The Redis store: every multi-key change is one Lua script, so it is atomic on one server.

Key layout: every key starts with ``{PREFIX}:``, one hash tag for the whole deployment, so all
keys live in one Redis Cluster slot. That is deliberate: stock is global across shows (every
show that lists a product sells from the same variants) and one capture touches stock, the
show's flash deal and the buyer's order together, so any finer tag would split one atomic
change across shards. One shard runs a bare reservation script ~200k times a second and the
full capture script (dedupe, comment, hold or waitlist, order, audit) in tens of microseconds,
far above what a show's comments need; more viewers scale by more app nodes, not more shards.

    {p}:seq                       hash   sequences: line, wait, comment, review, order:PREFIX
    {p}:meta                      hash   settings kept with the data, and ``stock_version``
    {p}:products                  zset   product codes (upper case) by catalog position
    {p}:product:CODE              hash   code (as first written), doc (JSON, no variants)
    {p}:variants:CODE             zset   folded labels by position
    {p}:variant:CODE:label        hash   code label position price total available held sold
    {p}:shows                     zset   show ids by created_at
    {p}:show:ID                   hash   doc (JSON), taken (flash units sold), seq
    {p}:show:ID:orders            zset   order codes by created_at
    {p}:show:ID:review            zset   review ids
    {p}:show:ID:comments          hash   comment status -> count (reports)
    {p}:open:ID                   hash   buyer -> the buyer's open (captured) order
    {p}:buyer:ID:BUYER            set    every order of a buyer in a show (per-buyer cap)
    {p}:comment:SOURCE:SOURCEID   hash   the comment and what came of it (the dedupe key)
    {p}:order:CODE                string order JSON with its lines
    {p}:audit:CODE                list   audit entries (JSON)
    {p}:lineorder                 hash   line id -> order code
    {p}:wait:CODE:label           zset   waitlisted line ids by arrival (FCFS)
    {p}:holds                     zset   held line ids by expiry (the sweeper's index)
    {p}:review:ID                 string review item JSON
    {p}:ordercomments:CODE        list   comment keys that acted on an order (may repeat)
    {p}:origin:ID:HASH            set    open site orders opened from one client address
    {p}:token / {p}:user          hash   credential hash -> JSON
    {p}:show:ID:claims|printed|duty  hash  staff work (see ``claims``)

Scripts (``scripts/*.lua``, see ``lua``) are called by SHA, reloaded on
``NOSCRIPT``, and are safe to retry: a timed-out call may have run, so a comment answers
``duplicate`` the second time and the expiry script re-checks each line's state and time. Each
script buffers its writes and applies them only once nothing can refuse any more, so a refused
call (sold out, stale version) leaves no trace. A lost connection surfaces as StoreUnavailable,
never as an acknowledgement; with ``wait_aof`` a write is answered only once ``WAITAOF`` says
it reached the local append-only file (Redis >= 7.2).

Capture sends up to ``CAPTURE_CHUNK`` comments per script call: the script's setup (defining its
helpers), reading the show and the sequences, and the client's per-command work are then paid
once per call rather than once per comment, which halves the cost of a comment. The script
still handles the comments one after the other, writing each before reading for the next, so
the outcome is that of one call per comment; scripts name the orders they changed and listeners
load an order when they need it (as with the SQLite store). A comment travels as a compact JSON
array (optional fields only when set) and its answer carries no copy of its words. The calls of
one batch are streamed on one connection (``Scripts.stream``), so this process builds the next
call and decodes the last answer while Redis runs the ones between.

One class per aggregate (catalog, shows, order book, review queue, report, credentials),
each beside its SQLite twin in ``store/sqlite/``.
"""

from __future__ import annotations

from .catalog import RedisCatalog
from .claims import RedisClaims
from .credentials import RedisCredentials
from .customers import RedisCustomers
from .orders import RedisOrders
from .payments import RedisPayments
from .report import RedisReport
from .review import RedisReview
from .revoke import RedisRevocation
from .shows import RedisShows


class RedisStore(RedisRevocation, RedisCatalog, RedisShows, RedisReport, RedisOrders, RedisReview,
                 RedisCredentials, RedisPayments, RedisCustomers, RedisClaims):
    """Store on Redis; see the module docstring for the key layout."""
