"""SQLite schema steps that change how rows are kept: a database made before them reads the
same afterwards, and one made after them reads as the store always answered."""

from __future__ import annotations

from pathlib import Path

from livesell.domain.models import AuditEntry
from livesell.store.sqlite import SqliteStore
from livesell.store.sqlite.engine import MIGRATIONS, connect, migrate
from livesell.store.sqlite.rows import audit_trail
from tests.store.test_contract import NOW, order_req, setup_show

# The schema version before comments_show went and the 'opened' entry moved into the row of
# the 'add' after it (the two steps after it).
BEFORE = MIGRATIONS.index("DROP INDEX IF EXISTS comments_show")
assert MIGRATIONS[BEFORE + 1] == "ALTER TABLE audit ADD COLUMN opened TEXT"


def _indexes(path: Path) -> set[str]:
    conn = connect(path, "OFF")
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    finally:
        conn.close()


def test_an_older_trail_reads_the_same_after_the_migration(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = connect(path, "OFF")
    for number, script in enumerate(MIGRATIONS[:BEFORE], 1):
        for statement in script.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version={number}")
    # Two rows per new order, as every version before the step wrote them.
    conn.executemany(
        "INSERT INTO audit (order_code, at, actor, action, detail, comment_id) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [("S-0001", NOW, "comment:fb", "opened", "for Lan", 1),
         ("S-0001", NOW, "comment:fb", "add", "A1 500g x1", 1),
         ("S-0001", NOW + 5, "staff:ann", "confirm", "", None)])
    assert "comments_show" in _indexes(path)
    assert migrate(conn) == len(MIGRATIONS)
    assert audit_trail(conn, "S-0001") == [
        AuditEntry(NOW, "comment:fb", "opened", "for Lan", 1),
        AuditEntry(NOW, "comment:fb", "add", "A1 500g x1", 1),
        AuditEntry(NOW + 5, "staff:ann", "confirm", "", None)]
    conn.close()
    assert "comments_show" not in _indexes(path)


async def test_a_new_order_writes_one_row_and_reads_opened_then_add(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "new.db", "OFF")
    await store.start()
    try:
        await setup_show(store)
        done = await store.capture([order_req("c1", [("A1", "500g", 1)]),
                                    order_req("c2", [("A1", "1kg", 1)])], NOW)
        code = done[0].result.order
        assert code is not None and done[1].result.order == code
        order = await store.get_order(code)
        assert order is not None
        assert [(e.action, e.comment_id) for e in order.audit] == [
            ("opened", 1), ("add", 1), ("add", 2)]
        assert order.audit[0].detail.startswith("for ")
        rows = await store.engine.read(lambda c: c.execute(
            "SELECT action, opened IS NOT NULL FROM audit ORDER BY id").fetchall())
        assert [tuple(r) for r in rows] == [("add", 1), ("add", 0)]
    finally:
        await store.close()
