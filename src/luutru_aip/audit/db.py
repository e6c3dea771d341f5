"""The audit history: an SQLite database in WAL mode, designed for 10⁷+ files per cycle.

Only the coordinator of a run writes it (issue 7, "Only the coordinator writes
the history"); several coordinators may share one database, each on its own
leased packages. The schema (``SCHEMA_VERSION``; documented in docs/audit.md):

``roots``
    one row per storage root: its path, the device and mount state seen last
    time, whether the optional marker file ``.luutru-aip-root`` was there, and
    whether it was reachable.
``packages``
    one row per package (root + relative path, the stable key; plus the
    OBJID / External-Identifier when the package has one), whether it is still
    present, when its last check completed and how many failures it found, the
    check in progress (``open_pcheck_id``) and the lease
    (``lease_run_id``, ``lease_until``).
``runs`` / ``run_summaries``
    one row per run: who ran it (host, pid), when, its options and status;
    its counters (files, bytes, outcomes, packages), updated in the same
    transaction as every batch, so they stay true even after a SIGKILL.
``package_checks``
    one row per check of one package (which may span several runs when it is
    resumed) and, once completed, its outcome counts.
``files``
    every path ever seen in a package, interned once (``file_id``), with the
    audit's own *baseline* digest for files no manifest covers.
``file_checks``
    one row per file per package check, written once, when the file has been
    checked, clustered by its primary key ``(pcheck_id, file_id)``
    (``WITHOUT ROWID``), which makes double-counting a file impossible:
    source and algorithm, expected and found digests as BLOBs (``found`` is
    NULL when it equals ``expected``), outcome as a small integer, size, time
    (ms) and duration (µs), and which run checked it. A check that resumes
    skips the files that already have a row. A partial index on failures keeps
    "what failed" queries fast however many files were fine.
``events``
    package- and root-level findings (damaged manifests, unreachable roots,
    vanished or new packages, signatures) with their rule code and parameters.

Every write is a short ``BEGIN IMMEDIATE`` transaction; readers never block
(WAL). ``synchronous=NORMAL``: a power cut may lose the last transactions, never
corrupt the file, and a lost batch is simply checked again.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import attrs

from luutru_aip._fs import display_name
from luutru_aip.audit.model import ALGORITHM_CODES, ALGORITHM_NAMES, Outcome, Source
from luutru_aip.errors import InputError, UsageError

__all__ = ["SCHEMA_VERSION", "HistoryDB", "PackageRow", "PcheckRow", "RootRow"]

#: Bumped on any incompatible change to the tables (called out in CHANGELOG).
SCHEMA_VERSION: Final = 1

_SCHEMA: Final = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE outcomes (code INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE algorithms (code INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE sources (code INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE roots (
    root_id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    st_dev INTEGER,
    is_mount INTEGER NOT NULL DEFAULT 0,
    has_marker INTEGER NOT NULL DEFAULT 0,
    reachable INTEGER NOT NULL DEFAULT 1,
    reason TEXT,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER
);
CREATE TABLE packages (
    package_id INTEGER PRIMARY KEY,
    root_id INTEGER NOT NULL REFERENCES roots (root_id),
    rel_path TEXT NOT NULL,
    kind TEXT NOT NULL,
    identifier TEXT,
    present INTEGER NOT NULL DEFAULT 1,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER,
    last_completed_at INTEGER,
    last_pcheck_id INTEGER,
    last_failures INTEGER,
    open_pcheck_id INTEGER,
    lease_run_id INTEGER,
    lease_until INTEGER,
    UNIQUE (root_id, rel_path)
);
CREATE INDEX packages_due ON packages (present, last_completed_at);
CREATE INDEX packages_identifier ON packages (identifier) WHERE identifier IS NOT NULL;
CREATE TABLE runs (
    run_id INTEGER PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    tool_version TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL,
    finished_at INTEGER,
    status TEXT NOT NULL,
    stop_reason TEXT,
    options TEXT NOT NULL
);
CREATE TABLE run_summaries (
    run_id INTEGER PRIMARY KEY REFERENCES runs (run_id),
    files INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0,
    ok INTEGER NOT NULL DEFAULT 0,
    changed INTEGER NOT NULL DEFAULT 0,
    missing INTEGER NOT NULL DEFAULT 0,
    extra INTEGER NOT NULL DEFAULT 0,
    unreadable INTEGER NOT NULL DEFAULT 0,
    moved INTEGER NOT NULL DEFAULT 0,
    damaged INTEGER NOT NULL DEFAULT 0,
    signature INTEGER NOT NULL DEFAULT 0,
    vanished INTEGER NOT NULL DEFAULT 0,
    unreachable INTEGER NOT NULL DEFAULT 0,
    new_packages INTEGER NOT NULL DEFAULT 0,
    packages_completed INTEGER NOT NULL DEFAULT 0,
    packages_failed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE package_checks (
    pcheck_id INTEGER PRIMARY KEY,
    package_id INTEGER NOT NULL REFERENCES packages (package_id),
    started_run_id INTEGER NOT NULL,
    finished_run_id INTEGER,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    status TEXT NOT NULL,
    format TEXT NOT NULL,
    algorithm INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    extras_checked INTEGER,
    files INTEGER,
    bytes INTEGER,
    ok INTEGER,
    changed INTEGER,
    missing INTEGER,
    extra INTEGER,
    unreadable INTEGER,
    moved INTEGER,
    damaged INTEGER,
    signature INTEGER,
    failures INTEGER
);
CREATE INDEX package_checks_package ON package_checks (package_id, pcheck_id);
CREATE TABLE files (
    file_id INTEGER PRIMARY KEY,
    package_id INTEGER NOT NULL,
    path TEXT NOT NULL,
    baseline BLOB,
    baseline_alg INTEGER,
    UNIQUE (package_id, path)
);
CREATE TABLE file_checks (
    pcheck_id INTEGER NOT NULL,
    file_id INTEGER NOT NULL,
    source INTEGER NOT NULL,
    algorithm INTEGER NOT NULL,
    expected BLOB,
    expected_size INTEGER,
    outcome INTEGER NOT NULL,
    found BLOB,
    size INTEGER NOT NULL,
    checked_at INTEGER NOT NULL,
    duration_us INTEGER NOT NULL,
    run_id INTEGER NOT NULL,
    other_file_id INTEGER,
    detail TEXT,
    PRIMARY KEY (pcheck_id, file_id)
) WITHOUT ROWID;
CREATE INDEX file_checks_failures ON file_checks (pcheck_id, outcome) WHERE outcome > 0;
CREATE TABLE events (
    event_id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL,
    at INTEGER NOT NULL,
    code TEXT NOT NULL,
    root_id INTEGER,
    package_id INTEGER,
    pcheck_id INTEGER,
    path TEXT,
    line INTEGER,
    params TEXT NOT NULL
);
CREATE INDEX events_run ON events (run_id);
CREATE INDEX events_package ON events (package_id, event_id) WHERE package_id IS NOT NULL;
CREATE UNIQUE INDEX events_pcheck ON events (pcheck_id, code, coalesce(path, ''), coalesce(line, -1), params)
    WHERE pcheck_id IS NOT NULL;
"""

#: Codes whose events make a package check failed.
DAMAGE_CODES: Final = ("AUD006",)
#: Codes after which files nothing lists are not reported as extra (nothing trustworthy to compare with).
NO_SCAN_CODES: Final = ("AUD006", "AUD010")
_OUTCOME_COLUMNS: Final = {
    Outcome.OK: "ok",
    Outcome.CHANGED: "changed",
    Outcome.MISSING: "missing",
    Outcome.EXTRA: "extra",
    Outcome.UNREADABLE: "unreadable",
    Outcome.MOVED: "moved",
}


@attrs.frozen(kw_only=True)
class RootRow:
    root_id: int
    path: str
    st_dev: int | None
    is_mount: bool
    has_marker: bool
    reachable: bool
    reason: str | None


@attrs.frozen(kw_only=True)
class PackageRow:
    package_id: int
    root_id: int
    root_path: str
    rel_path: str
    kind: str
    identifier: str | None
    present: bool
    last_completed_at: int | None
    last_pcheck_id: int | None
    last_failures: int | None
    open_pcheck_id: int | None

    @property
    def location(self) -> str:
        """The package's folder or ZIP file on this machine."""
        if self.rel_path == ".":
            return self.root_path
        return f"{self.root_path.rstrip('/')}/{self.rel_path}"


@attrs.frozen(kw_only=True)
class PcheckRow:
    pcheck_id: int
    package_id: int
    status: str
    format: str
    algorithm: str
    fingerprint: str
    started_at: int


_PACKAGE_COLUMNS: Final = (
    "p.package_id, p.root_id, r.path, p.rel_path, p.kind, p.identifier, p.present, "
    "p.last_completed_at, p.last_pcheck_id, p.last_failures, p.open_pcheck_id"
)


def _package(row: Sequence[Any]) -> PackageRow:
    return PackageRow(
        package_id=row[0],
        root_id=row[1],
        root_path=row[2],
        rel_path=row[3],
        kind=row[4],
        identifier=row[5],
        present=bool(row[6]),
        last_completed_at=row[7],
        last_pcheck_id=row[8],
        last_failures=row[9],
        open_pcheck_id=row[10],
    )


class HistoryDB:
    """One connection to an audit history database (create it with ``create=True``)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        create: bool = True,
        clock: Callable[[], float] = time.time,
        timeout: float = 60.0,
    ) -> None:
        self.path = os.fspath(path)
        self.clock = clock
        exists = Path(self.path).exists()
        if not exists and not create:
            raise InputError(
                f"the audit database {self.path} does not exist (run `luutru-aip audit run` first)"
            )
        if not exists:
            parent = Path(self.path).parent
            if not parent.is_dir():
                raise InputError(
                    f"cannot create the audit database {self.path}: folder {parent} does not exist"
                )
        try:
            self.conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise InputError(f"cannot open the audit database {self.path}: {exc}") from None
        try:
            self._setup(create=create)
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise InputError(f"{self.path} is not a usable audit database: {exc}") from None
        except BaseException:
            self.conn.close()
            raise

    # ------------------------------------------------------------------ plumbing

    def _setup(self, *, create: bool) -> None:
        conn = self.conn
        conn.execute("PRAGMA busy_timeout = 60000")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise InputError(f"cannot put the audit database {self.path} in WAL mode (got {mode})")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("PRAGMA cache_size = -65536")  # 64 MiB page cache
        has_meta = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
        ).fetchone()
        if has_meta is None:
            others = conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
            if others:
                raise InputError(f"{self.path} is an SQLite database but not an audit history")
            if not create:
                raise InputError(f"{self.path} is empty: not an audit history")
            self._create()
        else:
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = int(row[0]) if row else 0
            if version != SCHEMA_VERSION:
                raise InputError(
                    f"the audit database {self.path} has schema version {version}; "
                    f"this luutru-aip reads version {SCHEMA_VERSION}"
                )
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS scan (path TEXT NOT NULL PRIMARY KEY) WITHOUT ROWID")

    def _create(self) -> None:
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone():
                return  # another process created it meanwhile
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [("schema_version", str(SCHEMA_VERSION)), ("created_at", str(self.now_ms()))],
            )
            conn.executemany("INSERT INTO outcomes VALUES (?, ?)", [(int(o), o.label) for o in Outcome])
            conn.executemany(
                "INSERT INTO algorithms VALUES (?, ?)", [(v, k) for k, v in ALGORITHM_CODES.items()]
            )
            conn.executemany("INSERT INTO sources VALUES (?, ?)", [(int(s), s.name.lower()) for s in Source])

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on any exception)."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> HistoryDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def query(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[sqlite3.Row]:
        """Run a read-only query and return its rows (``sqlite3.Row``: by index and by name)."""
        cur = self.conn.cursor()
        cur.row_factory = sqlite3.Row
        return cur.execute(sql, params).fetchall()

    # ------------------------------------------------------------------ runs

    def start_run(self, *, host: str, pid: int, tool_version: str, options: Mapping[str, Any]) -> int:
        now = self.now_ms()
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO runs (host, pid, tool_version, started_at, heartbeat_at, status, options) "
                "VALUES (?, ?, ?, ?, ?, 'running', ?)",
                (host, pid, tool_version, now, now, json.dumps(dict(options), sort_keys=True)),
            )
            run_id = int(cur.lastrowid or 0)
            conn.execute("INSERT INTO run_summaries (run_id) VALUES (?)", (run_id,))
        return run_id

    def heartbeat(self, run_id: int) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE runs SET heartbeat_at = ? WHERE run_id = ?", (self.now_ms(), run_id))

    def finish_run(self, run_id: int, *, status: str, stop_reason: str | None) -> None:
        now = self.now_ms()
        with self.transaction() as conn:
            conn.execute(
                "UPDATE runs SET status = ?, stop_reason = ?, finished_at = ?, heartbeat_at = ? "
                "WHERE run_id = ?",
                (status, stop_reason, now, now, run_id),
            )
            conn.execute(
                "UPDATE packages SET lease_run_id = NULL, lease_until = NULL WHERE lease_run_id = ?",
                (run_id,),
            )

    def recover_stale_runs(
        self, *, host: str, lease_ms: int, is_alive: Callable[[int], bool], exclude: int
    ) -> list[int]:
        """Mark runs that died without finishing as ``killed`` and free their leases.

        A run is dead when it ran on this host and its process is gone, or when
        its heartbeat is older than ``lease_ms`` (another host, or a hung process).
        """
        now = self.now_ms()
        rows = self.conn.execute(
            "SELECT run_id, host, pid, heartbeat_at FROM runs WHERE status = 'running' AND run_id != ?",
            (exclude,),
        ).fetchall()
        dead = [
            int(run_id)
            for run_id, run_host, pid, beat in rows
            if (run_host == host and not is_alive(int(pid))) or int(beat) + lease_ms < now
        ]
        if dead:
            with self.transaction() as conn:
                for run_id in dead:
                    conn.execute(
                        "UPDATE runs SET status = 'killed', stop_reason = 'the run stopped without "
                        "finishing (killed or crashed); its recorded checks stand' "
                        "WHERE run_id = ? AND status = 'running'",
                        (run_id,),
                    )
                    conn.execute(
                        "UPDATE packages SET lease_run_id = NULL, lease_until = NULL WHERE lease_run_id = ?",
                        (run_id,),
                    )
        return dead

    def add_to_summary(self, run_id: int, conn: sqlite3.Connection | None = None, **counts: int) -> None:
        if not counts:
            return
        sets = ", ".join(f"{name} = {name} + ?" for name in counts)
        (conn or self.conn).execute(
            f"UPDATE run_summaries SET {sets} WHERE run_id = ?",  # noqa: S608 - names are our own columns
            (*counts.values(), run_id),
        )

    # ------------------------------------------------------------------ roots and packages

    def root_by_path(self, path: str) -> RootRow | None:
        row = self.conn.execute(
            "SELECT root_id, path, st_dev, is_mount, has_marker, reachable, reason FROM roots WHERE path = ?",
            (path,),
        ).fetchone()
        if row is None:
            return None
        return RootRow(
            root_id=row[0],
            path=row[1],
            st_dev=row[2],
            is_mount=bool(row[3]),
            has_marker=bool(row[4]),
            reachable=bool(row[5]),
            reason=row[6],
        )

    def save_root(
        self,
        path: str,
        *,
        st_dev: int | None,
        is_mount: bool,
        has_marker: bool,
        reachable: bool,
        reason: str | None,
    ) -> int:
        """Insert or update a root; when unreachable, the device/mount/marker facts are kept as they were."""
        now = self.now_ms()
        with self.transaction() as conn:
            row = conn.execute("SELECT root_id FROM roots WHERE path = ?", (path,)).fetchone()
            if row is None:
                cur = conn.execute(
                    "INSERT INTO roots (path, st_dev, is_mount, has_marker, reachable, reason, first_seen, "
                    "last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        path,
                        st_dev,
                        int(is_mount),
                        int(has_marker),
                        int(reachable),
                        reason,
                        now,
                        now if reachable else None,
                    ),
                )
                return int(cur.lastrowid or 0)
            root_id = int(row[0])
            if reachable:
                conn.execute(
                    "UPDATE roots SET st_dev = ?, is_mount = ?, has_marker = ?, reachable = 1, "
                    "reason = NULL, "
                    "last_seen = ? WHERE root_id = ?",
                    (st_dev, int(is_mount), int(has_marker), now, root_id),
                )
            else:
                conn.execute(
                    "UPDATE roots SET reachable = 0, reason = ? WHERE root_id = ?", (reason, root_id)
                )
            return root_id

    def packages_of_root(self, root_id: int) -> list[PackageRow]:
        rows = self.conn.execute(
            f"SELECT {_PACKAGE_COLUMNS} FROM packages p JOIN roots r USING (root_id) "  # noqa: S608
            "WHERE p.root_id = ? ORDER BY p.rel_path",
            (root_id,),
        ).fetchall()
        return [_package(r) for r in rows]

    def package(self, package_id: int) -> PackageRow:
        row = self.conn.execute(
            f"SELECT {_PACKAGE_COLUMNS} FROM packages p JOIN roots r USING (root_id) "  # noqa: S608
            "WHERE p.package_id = ?",
            (package_id,),
        ).fetchone()
        if row is None:
            raise UsageError(f"no package with id {package_id} in {self.path}")
        return _package(row)

    def find_packages(self, text: str) -> list[PackageRow]:
        """Packages matching ``text``: an id (``#12`` or ``12``), a path, a relative path or an identifier."""
        where: list[tuple[str, tuple[Any, ...]]] = []
        stripped = text.strip()
        if stripped.lstrip("#").isdigit():
            where.append(("p.package_id = ?", (int(stripped.lstrip("#")),)))
        absolute = str(Path(stripped).absolute())
        for root in self.conn.execute("SELECT root_id, path FROM roots").fetchall():
            root_path = str(root[1])
            if absolute == root_path:
                where.append(("p.root_id = ? AND p.rel_path = '.'", (root[0],)))
            elif absolute.startswith(root_path.rstrip("/") + "/"):
                rel = absolute[len(root_path.rstrip("/")) + 1 :]
                where.append(("p.root_id = ? AND p.rel_path = ?", (root[0], rel)))
        where.append(("p.rel_path = ?", (stripped.strip("/"),)))
        where.append(("p.identifier = ?", (stripped,)))
        for clause, params in where:
            rows = self.conn.execute(
                f"SELECT {_PACKAGE_COLUMNS} FROM packages p JOIN roots r USING (root_id) "  # noqa: S608
                f"WHERE {clause} ORDER BY p.package_id",
                params,
            ).fetchall()
            if rows:
                return [_package(r) for r in rows]
        return []

    def register_packages(
        self, root_id: int, found: Iterable[tuple[str, str]], run_id: int
    ) -> list[tuple[int, str, str]]:
        """Add packages not yet known; returns the new ones as (package_id, rel_path, kind)."""
        now = self.now_ms()
        new: list[tuple[int, str, str]] = []
        with self.transaction() as conn:
            for rel_path, kind in found:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO packages (root_id, rel_path, kind, first_seen, last_seen) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (root_id, rel_path, kind, now, now),
                )
                if cur.rowcount:
                    new.append((int(cur.lastrowid or 0), rel_path, kind))
        return new

    def mark_seen(self, package_ids: Sequence[int], *, present: bool) -> None:
        now = self.now_ms()
        with self.transaction() as conn:
            if present:
                conn.executemany(
                    "UPDATE packages SET present = 1, last_seen = ? WHERE package_id = ?",
                    [(now, pid) for pid in package_ids],
                )
            else:
                conn.executemany(
                    "UPDATE packages SET present = 0 WHERE package_id = ?", [(pid,) for pid in package_ids]
                )

    def due_packages(self, root_ids: Sequence[int], due_before: int) -> list[int]:
        """Package ids to check, in order: checks in progress first, then never checked, then oldest."""
        if not root_ids:
            return []
        marks = ",".join("?" * len(root_ids))
        rows = self.conn.execute(
            "SELECT package_id FROM packages "  # noqa: S608 - only placeholders are formatted in
            f"WHERE present = 1 AND root_id IN ({marks}) "
            "AND (open_pcheck_id IS NOT NULL OR last_completed_at IS NULL OR last_completed_at <= ?) "
            "ORDER BY open_pcheck_id IS NULL, last_completed_at IS NOT NULL, last_completed_at, package_id",
            (*root_ids, due_before),
        ).fetchall()
        return [int(r[0]) for r in rows]

    def acquire_lease(self, package_id: int, run_id: int, *, lease_ms: int, due_before: int) -> bool:
        """Atomically take the package for ``run_id`` if it is free (or its lease expired) and still due."""
        now = self.now_ms()
        with self.transaction() as conn:
            cur = conn.execute(
                "UPDATE packages SET lease_run_id = ?, lease_until = ? WHERE package_id = ? AND present = 1 "
                "AND (lease_run_id IS NULL OR lease_run_id = ? OR lease_until < ?) "
                "AND (open_pcheck_id IS NOT NULL OR last_completed_at IS NULL OR last_completed_at <= ?)",
                (run_id, now + lease_ms, package_id, run_id, now, due_before),
            )
            return cur.rowcount == 1

    def lease_holder(self, package_id: int) -> tuple[int | None, int | None]:
        row = self.conn.execute(
            "SELECT lease_run_id, lease_until FROM packages WHERE package_id = ?", (package_id,)
        ).fetchone()
        return (None, None) if row is None else (row[0], row[1])

    def renew_lease(self, conn: sqlite3.Connection, package_id: int, run_id: int, lease_ms: int) -> None:
        conn.execute(
            "UPDATE packages SET lease_until = ? WHERE package_id = ? AND lease_run_id = ?",
            (self.now_ms() + lease_ms, package_id, run_id),
        )

    def release_lease(self, package_id: int, run_id: int) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE packages SET lease_run_id = NULL, lease_until = NULL "
                "WHERE package_id = ? AND lease_run_id = ?",
                (package_id, run_id),
            )

    def set_identifier(self, package_id: int, identifier: str | None) -> None:
        if identifier is None:
            return
        with self.transaction() as conn:
            conn.execute("UPDATE packages SET identifier = ? WHERE package_id = ?", (identifier, package_id))

    # ------------------------------------------------------------------ events

    def add_event(
        self,
        conn: sqlite3.Connection,
        run_id: int,
        code: str,
        *,
        root_id: int | None = None,
        package_id: int | None = None,
        pcheck_id: int | None = None,
        path: str | None = None,
        line: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        conn.execute(  # a check that resumes meets its damage again: recorded once per check
            "INSERT OR IGNORE INTO events (run_id, at, code, root_id, package_id, pcheck_id, path, line, "
            "params) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run_id,
                self.now_ms(),
                code,
                root_id,
                package_id,
                pcheck_id,
                path,
                line,
                json.dumps(dict(params or {}), sort_keys=True, ensure_ascii=False),
            ),
        )

    # ------------------------------------------------------------------ package checks

    def open_pcheck(self, package_id: int) -> PcheckRow | None:
        row = self.conn.execute(
            "SELECT c.pcheck_id, c.package_id, c.status, c.format, c.algorithm, c.fingerprint, c.started_at "
            "FROM packages p JOIN package_checks c ON c.pcheck_id = p.open_pcheck_id "
            "WHERE p.package_id = ? AND c.status = 'running'",
            (package_id,),
        ).fetchone()
        if row is None:
            return None
        return PcheckRow(
            pcheck_id=row[0],
            package_id=row[1],
            status=row[2],
            format=row[3],
            algorithm=ALGORITHM_NAMES[row[4]],
            fingerprint=row[5],
            started_at=row[6],
        )

    def abandon_pcheck(self, pcheck_id: int, run_id: int, package_id: int, reason: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE package_checks SET status = 'abandoned', finished_at = ?, finished_run_id = ? "
                "WHERE pcheck_id = ?",
                (self.now_ms(), run_id, pcheck_id),
            )
            conn.execute("UPDATE packages SET open_pcheck_id = NULL WHERE package_id = ?", (package_id,))
            self.add_event(conn, run_id, "AUD014", package_id=package_id, params={"reason": reason})

    def create_pcheck(
        self, package_id: int, run_id: int, *, fmt: str, algorithm: str, fingerprint: str
    ) -> PcheckRow:
        now = self.now_ms()
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO package_checks (package_id, started_run_id, started_at, status, format, "
                "algorithm, fingerprint) VALUES (?, ?, ?, 'running', ?, ?, ?)",
                (package_id, run_id, now, fmt, ALGORITHM_CODES[algorithm], fingerprint),
            )
            pcheck_id = int(cur.lastrowid or 0)
            conn.execute(
                "UPDATE packages SET open_pcheck_id = ? WHERE package_id = ?", (pcheck_id, package_id)
            )
        return PcheckRow(
            pcheck_id=pcheck_id,
            package_id=package_id,
            status="running",
            format=fmt,
            algorithm=algorithm,
            fingerprint=fingerprint,
            started_at=now,
        )

    def baselines(self, package_id: int, paths: Sequence[str]) -> dict[str, tuple[bytes, int]]:
        """The audit's own baseline digests (and algorithm codes) of ``paths``, where recorded."""
        out: dict[str, tuple[bytes, int]] = {}
        for path in paths:
            row = self.conn.execute(
                "SELECT baseline, baseline_alg FROM files WHERE package_id = ? AND path = ? "
                "AND baseline IS NOT NULL",
                (package_id, path),
            ).fetchone()
            if row is not None:
                out[path] = (bytes(row[0]), int(row[1]))
        return out

    def record_events(
        self,
        *,
        run_id: int,
        package_id: int,
        pcheck_id: int,
        damages: Sequence[tuple[str, str | None, int | None, Mapping[str, Any]]],
    ) -> int:
        """Record manifest problems of a check (each once per check); returns how many are new."""
        added = 0
        with self.transaction() as conn:
            for code, path, line, details in damages:
                before = conn.total_changes
                self.add_event(
                    conn,
                    run_id,
                    code,
                    package_id=package_id,
                    pcheck_id=pcheck_id,
                    path=path,
                    line=line,
                    params=details,
                )
                if conn.total_changes != before and code in DAMAGE_CODES:
                    added += 1
            if added:
                self.add_to_summary(run_id, conn, damaged=added)
        return added

    def damage_count(self, pcheck_id: int, codes: Sequence[str] = NO_SCAN_CODES) -> int:
        marks = ",".join("?" * len(codes))
        row = self.conn.execute(
            f"SELECT COUNT(*) FROM events WHERE pcheck_id = ? AND code IN ({marks})",  # noqa: S608
            (pcheck_id, *codes),
        ).fetchone()
        return int(row[0])

    def done_paths(self, pcheck_id: int, package_id: int, paths: Sequence[str]) -> set[str]:
        """Which of ``paths`` already have a recorded check in ``pcheck_id`` (a resumed check skips them)."""
        conn = self.conn
        conn.execute("BEGIN")
        try:
            conn.executemany("INSERT OR IGNORE INTO temp.scan (path) VALUES (?)", [(p,) for p in paths])
            rows = conn.execute(
                "SELECT s.path FROM temp.scan s JOIN files f ON f.package_id = ? AND f.path = s.path "
                "JOIN file_checks c ON c.pcheck_id = ? AND c.file_id = f.file_id",
                (package_id, pcheck_id),
            ).fetchall()
            conn.execute("DELETE FROM temp.scan")
        finally:
            conn.execute("COMMIT")
        return {str(r[0]) for r in rows}

    def unlisted(
        self, pcheck_id: int, package_id: int, paths: Sequence[str]
    ) -> list[tuple[str, bytes | None, int | None]]:
        """Which of ``paths`` have no recorded check in ``pcheck_id``: (path, baseline, baseline algorithm).

        Used once every listed file has been recorded, for packages too large to keep their plan in memory.
        """
        conn = self.conn
        conn.execute("BEGIN")
        try:
            conn.executemany("INSERT OR IGNORE INTO temp.scan (path) VALUES (?)", [(p,) for p in paths])
            rows = conn.execute(
                "SELECT s.path, f.baseline, f.baseline_alg FROM temp.scan s "
                "LEFT JOIN files f ON f.package_id = ? AND f.path = s.path "
                "WHERE f.file_id IS NULL OR NOT EXISTS "
                "(SELECT 1 FROM file_checks c WHERE c.pcheck_id = ? AND c.file_id = f.file_id) "
                "ORDER BY s.path",
                (package_id, pcheck_id),
            ).fetchall()
            conn.execute("DELETE FROM temp.scan")
        finally:
            conn.execute("COMMIT")
        return [(str(p), None if b is None else bytes(b), a) for p, b, a in rows]

    def file_ids(self, package_id: int, limit: int) -> dict[str, int] | None:
        """The interned paths of a package (path → file_id), or ``None`` if it has more than ``limit``."""
        count = self.conn.execute(
            "SELECT COUNT(*) FROM files WHERE package_id = ?", (package_id,)
        ).fetchone()[0]
        if count > limit:
            return None
        rows = self.conn.execute("SELECT path, file_id FROM files WHERE package_id = ?", (package_id,))
        return {str(path): int(file_id) for path, file_id in rows}

    def record_batch(
        self,
        *,
        run_id: int,
        package_id: int,
        pcheck_id: int,
        rows: Sequence[tuple[str, int, int, bytes | None, int, int, bytes | None, int, int, int, str | None]],
        bytes_read: int,
        lease_ms: int,
        ids: dict[str, int] | None = None,
    ) -> dict[Outcome, int]:
        """Record the checks of one batch, its counters and the lease renewal in one transaction.

        ``rows`` are (path, source, algorithm code, expected, expected size, outcome, found, size,
        checked at, duration µs, detail). A file already recorded in this check is not recorded
        again (nothing is ever counted twice); a path listed twice with different digests is
        reported as a damaged manifest. ``ids``, the package's interned paths when the caller keeps
        them (:meth:`file_ids`), saves a lookup per file; new paths are added to it.
        """
        counts: dict[Outcome, int] = {}
        added: dict[str, int] = {}
        params: list[tuple[Any, ...]]
        with self.transaction() as conn:
            if ids is not None:
                fresh = list(dict.fromkeys(r[0] for r in rows if r[0] not in ids))
                if fresh:
                    start = int(conn.execute("SELECT COALESCE(MAX(file_id), 0) + 1 FROM files").fetchone()[0])
                    added = {path: start + i for i, path in enumerate(fresh)}
                    conn.executemany(
                        "INSERT INTO files (file_id, package_id, path) VALUES (?, ?, ?)",
                        [(file_id, package_id, path) for path, file_id in added.items()],
                    )
                insert = (
                    "INSERT OR IGNORE INTO file_checks (pcheck_id, file_id, source, algorithm, expected, "
                    "expected_size, outcome, found, size, checked_at, duration_us, run_id, detail) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                )
                params = [
                    (
                        pcheck_id,
                        ids[r[0]] if r[0] in ids else added[r[0]],
                        r[1],
                        r[2],
                        r[3],
                        r[4],
                        r[5],
                        r[6],
                        r[7],
                        r[8],
                        r[9],
                        run_id,
                        r[10],
                    )
                    for r in rows
                ]
            else:
                conn.executemany(
                    "INSERT OR IGNORE INTO files (package_id, path) VALUES (?, ?)",
                    [(package_id, r[0]) for r in rows],
                )
                insert = (
                    "INSERT OR IGNORE INTO file_checks (pcheck_id, file_id, source, algorithm, expected, "
                    "expected_size, outcome, found, size, checked_at, duration_us, run_id, detail) "
                    "SELECT ?, file_id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM files "
                    "WHERE package_id = ? AND path = ?"
                )
                params = [  # the path lookup form: (…, package_id, path)
                    (
                        pcheck_id,
                        r[1],
                        r[2],
                        r[3],
                        r[4],
                        r[5],
                        r[6],
                        r[7],
                        r[8],
                        r[9],
                        run_id,
                        r[10],
                        package_id,
                        r[0],
                    )
                    for r in rows
                ]
            conn.execute("SAVEPOINT batch")
            cur = conn.executemany(insert, params)
            if cur.rowcount == len(params):
                conn.execute("RELEASE batch")
                for r in rows:
                    outcome = Outcome(r[5])
                    counts[outcome] = counts.get(outcome, 0) + 1
            else:  # some were recorded already: record and count only the new ones
                conn.execute("ROLLBACK TO batch")
                conn.execute("RELEASE batch")
                for r, p in zip(rows, params, strict=True):
                    if conn.execute(insert, p).rowcount:
                        outcome = Outcome(r[5])
                        counts[outcome] = counts.get(outcome, 0) + 1
                        continue
                    existing = conn.execute(
                        "SELECT c.expected FROM file_checks c JOIN files f ON f.file_id = c.file_id "
                        "WHERE c.pcheck_id = ? AND f.package_id = ? AND f.path = ?",
                        (pcheck_id, package_id, r[0]),
                    ).fetchone()
                    if (
                        existing is not None
                        and existing[0] is not None
                        and r[3] is not None
                        and (bytes(existing[0]) != r[3])
                    ):
                        self.add_event(
                            conn,
                            run_id,
                            "AUD006",
                            package_id=package_id,
                            pcheck_id=pcheck_id,
                            params={
                                "reason": f"{display_name(r[0])} is listed twice with different checksums"
                            },
                        )
                        self.add_to_summary(run_id, conn, damaged=1)
            summary = {_OUTCOME_COLUMNS[o]: n for o, n in counts.items()}
            self.add_to_summary(run_id, conn, files=sum(counts.values()), bytes=bytes_read, **summary)
            self.renew_lease(conn, package_id, run_id, lease_ms)
            conn.execute("UPDATE runs SET heartbeat_at = ? WHERE run_id = ?", (self.now_ms(), run_id))
        if ids is not None:
            ids.update(added)
        return counts

    def finalise(
        self,
        *,
        run_id: int,
        package_id: int,
        pcheck_id: int,
        extras_checked: bool,
        signature_events: Sequence[tuple[str, Mapping[str, Any]]] = (),
    ) -> dict[str, int]:
        """Complete a package check: pair missing and extra files into moves, store new baselines,
        count outcomes, record signature problems and release the lease — all in one transaction."""
        now = self.now_ms()
        with self.transaction() as conn:
            self._pair_moves(conn, pcheck_id)
            conn.execute(
                "UPDATE files SET baseline = c.found, baseline_alg = c.algorithm FROM "
                "(SELECT file_id, found, algorithm FROM file_checks WHERE pcheck_id = ? AND source = ? "
                "AND expected IS NULL AND outcome = 0 AND found IS NOT NULL) AS c "
                "WHERE files.file_id = c.file_id",
                (pcheck_id, int(Source.BASELINE)),
            )
            counts = dict.fromkeys(_OUTCOME_COLUMNS.values(), 0)
            total_files = 0
            total_bytes = 0
            for outcome, n, size in conn.execute(
                "SELECT outcome, COUNT(*), TOTAL(size) FROM file_checks WHERE pcheck_id = ? GROUP BY outcome",
                (pcheck_id,),
            ):
                counts[_OUTCOME_COLUMNS[Outcome(outcome)]] = int(n)
                total_files += int(n)
                total_bytes += int(size)
            for code, params in signature_events:
                self.add_event(conn, run_id, code, package_id=package_id, pcheck_id=pcheck_id, params=params)
            if signature_events:
                self.add_to_summary(run_id, conn, signature=len(signature_events))
            marks = ",".join("?" * len(DAMAGE_CODES))
            damaged = int(
                conn.execute(
                    f"SELECT COUNT(*) FROM events WHERE pcheck_id = ? AND code IN ({marks})",  # noqa: S608
                    (pcheck_id, *DAMAGE_CODES),
                ).fetchone()[0]
            )
            signature = len(signature_events)
            failures = total_files - counts["ok"] + damaged + signature
            conn.execute(
                "UPDATE package_checks SET status = 'completed', finished_at = ?, finished_run_id = ?, "
                "extras_checked = ?, files = ?, bytes = ?, ok = ?, changed = ?, missing = ?, extra = ?, "
                "unreadable = ?, moved = ?, damaged = ?, signature = ?, failures = ? WHERE pcheck_id = ?",
                (
                    now,
                    run_id,
                    int(extras_checked),
                    total_files,
                    total_bytes,
                    counts["ok"],
                    counts["changed"],
                    counts["missing"],
                    counts["extra"],
                    counts["unreadable"],
                    counts["moved"],
                    damaged,
                    signature,
                    failures,
                    pcheck_id,
                ),
            )
            conn.execute(
                "UPDATE packages SET last_completed_at = ?, last_pcheck_id = ?, last_failures = ?, "
                "open_pcheck_id = NULL, lease_run_id = NULL, lease_until = NULL WHERE package_id = ?",
                (now, pcheck_id, failures, package_id),
            )
            self.add_to_summary(run_id, conn, packages_completed=1, packages_failed=int(failures > 0))
        return {
            **counts,
            "files": total_files,
            "bytes": total_bytes,
            "damaged": damaged,
            "signature": signature,
            "failures": failures,
        }

    def _pair_moves(self, conn: sqlite3.Connection, pcheck_id: int) -> int:
        """Turn each (missing file, extra file with the same digest) pair into one ``moved`` outcome.

        The run counters follow: the run that recorded the missing file now counts a move, the run
        that recorded the extra file counts one file and one extra fewer.
        """
        missing = conn.execute(
            "SELECT file_id, algorithm, expected, run_id FROM file_checks "
            "WHERE pcheck_id = ? AND outcome = ? AND expected IS NOT NULL ORDER BY file_id",
            (pcheck_id, int(Outcome.MISSING)),
        ).fetchall()
        if not missing:
            return 0
        wanted: dict[tuple[int, bytes], list[tuple[int, int]]] = {}
        for file_id, alg, expected, checked_by in missing:
            wanted.setdefault((int(alg), bytes(expected)), []).append((int(file_id), int(checked_by)))
        pairs = 0
        extras = conn.execute(
            "SELECT file_id, algorithm, found, size, run_id FROM file_checks "
            "WHERE pcheck_id = ? AND outcome = ? AND found IS NOT NULL ORDER BY file_id",
            (pcheck_id, int(Outcome.EXTRA)),
        ).fetchall()
        for file_id, alg, found, size, extra_run in extras:
            bucket = wanted.get((int(alg), bytes(found)))
            if not bucket:
                continue
            missing_id, missing_run = bucket.pop(0)
            conn.execute(
                "UPDATE file_checks SET outcome = ?, found = ?, size = ?, other_file_id = ?, detail = NULL "
                "WHERE pcheck_id = ? AND file_id = ?",
                (int(Outcome.MOVED), bytes(found), size, file_id, pcheck_id, missing_id),
            )
            conn.execute("DELETE FROM file_checks WHERE pcheck_id = ? AND file_id = ?", (pcheck_id, file_id))
            self.add_to_summary(missing_run, conn, missing=-1, moved=1)
            self.add_to_summary(int(extra_run), conn, extra=-1, files=-1)
            pairs += 1
        return pairs
