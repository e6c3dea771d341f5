"""The history database: WAL, the schema for 10^7+ files, indexes that serve the queries, versioning."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from luutru_aip.audit import SCHEMA_VERSION, HistoryDB
from luutru_aip.errors import InputError

from ._kit import audit, bag, rows


@pytest.fixture
def db(tmp_path: Path) -> Path:
    root = tmp_path / "store"
    bag(root, "bag1")
    bag(root, "bag2")
    path = tmp_path / "audit.sqlite"
    audit(root, path)
    (root / "bag1" / "data" / "a.txt").write_bytes(b"jello\n")
    audit(root, path)
    return path


def plan(conn: sqlite3.Connection, sql: str, params: tuple[object, ...] = ()) -> str:
    return " | ".join(str(r[3]) for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params))


def test_wal_and_schema(db: Path) -> None:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(
            SCHEMA_VERSION
        )
        # the small-integer vocabularies are in the database too, so plain SQL stays readable
        assert dict(conn.execute("SELECT code, name FROM outcomes")) == {
            0: "ok",
            1: "changed",
            2: "missing",
            3: "extra",
            4: "unreadable",
            5: "moved",
        }
        assert ("sha256",) in conn.execute("SELECT name FROM algorithms").fetchall()
        # file checks are clustered by (check, file), digests are BLOBs, found is NULL when equal to expected
        ddl = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'file_checks'").fetchone()[0]
        assert "WITHOUT ROWID" in ddl
        kinds = conn.execute(
            "SELECT typeof(expected), typeof(found), typeof(outcome), COUNT(*) FROM file_checks "
            "GROUP BY 1, 2, 3"
        ).fetchall()
        assert ("blob", "null", "integer") in [k[:3] for k in kinds]
        assert ("blob", "blob", "integer") in [k[:3] for k in kinds]  # the changed file
        # every path is stored once per package, however many checks
        assert (
            conn.execute("SELECT COUNT(*) FROM files").fetchone()[0] * 2
            == conn.execute("SELECT COUNT(*) FROM file_checks").fetchone()[0]
        )
    finally:
        conn.close()


def test_queries_use_indexes(db: Path) -> None:
    conn = sqlite3.connect(db)
    try:
        due = plan(
            conn,
            "SELECT package_id FROM packages WHERE present = 1 AND root_id IN (1) AND "
            "(open_pcheck_id IS NOT NULL OR last_completed_at IS NULL OR last_completed_at <= ?)",
            (0,),
        )
        assert "packages_due" in due or "SCAN packages" in due  # tiny tables may be scanned; see below
        history = plan(
            conn, "SELECT * FROM package_checks WHERE package_id = ? ORDER BY pcheck_id DESC", (1,)
        )
        assert "package_checks_package" in history
        failures = plan(conn, "SELECT file_id FROM file_checks WHERE pcheck_id = ? AND outcome > 0", (3,))
        assert "file_checks_failures" in failures
        done = plan(conn, "SELECT outcome FROM file_checks WHERE pcheck_id = ? AND file_id = ?", (3, 1))
        assert "PRIMARY KEY" in done
        lookup = plan(conn, "SELECT file_id FROM files WHERE package_id = ? AND path = ?", (1, "x"))
        assert "sqlite_autoindex_files" in lookup
    finally:
        conn.close()


def test_not_an_audit_database(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(InputError, match="not an audit history"):
        HistoryDB(other)
    with pytest.raises(InputError, match="does not exist"):
        HistoryDB(tmp_path / "missing.sqlite", create=False)
    with pytest.raises(InputError, match="does not exist"):
        HistoryDB(tmp_path / "no" / "folder.sqlite")


def test_newer_schema_is_refused(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(InputError, match="schema version 99"):
        HistoryDB(db)


def test_find_packages(db: Path) -> None:
    with HistoryDB(db, create=False) as history:
        [one] = history.find_packages("bag1")
        assert history.find_packages(one.location)[0].package_id == one.package_id
        assert history.find_packages(f"#{one.package_id}")[0].rel_path == "bag1"
        assert history.find_packages("nothing") == []
    assert rows(db, "SELECT COUNT(*) FROM runs") == [(2,)]
