"""Read the audit history back: findings, ``audit status``, ``audit history PKG`` and report data.

Everything here is read-only and returns plain, JSON-ready values (times as
ISO 8601 with the ``+07:00`` offset, digests as lower-case hex) so that the
command line, the JSON/CSV/HTML reports and library users all see the same
facts. Findings are rebuilt from the stored outcomes with the ``AUD`` rules of
``data/rules/audit.toml``.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Final

from luutru_aip._fs import display_name
from luutru_aip.audit._units import iso_time
from luutru_aip.audit.db import HistoryDB, PackageRow
from luutru_aip.audit.model import ALGORITHM_NAMES, Outcome
from luutru_aip.findings import Finding, finding

__all__ = [
    "event_finding",
    "file_finding",
    "history_document",
    "package_dict",
    "report_document",
    "status_document",
]

_DAY_MS: Final = 86_400_000
_OUTCOME_KEYS: Final = ("ok", "changed", "missing", "extra", "unreadable", "moved")


def _hex(value: bytes | None) -> str | None:
    return None if value is None else bytes(value).hex()


def file_finding(row: sqlite3.Row, package: PackageRow) -> Finding:
    """The finding for one failing ``file_checks`` row (with ``path`` and ``other_path`` joined in)."""
    outcome = Outcome(int(row["outcome"]))
    algorithm = ALGORITHM_NAMES[int(row["algorithm"])]
    where = display_name(package.location)
    path = display_name(str(row["path"]))
    expected = _hex(row["expected"])
    found = _hex(row["found"])
    detail = row["detail"]
    if outcome is Outcome.CHANGED:
        return finding(
            "AUD001",
            path=path,
            package=where,
            algorithm=algorithm,
            expected=expected,
            found=found or "—",
            reason=detail or "content differs",
        )
    if outcome is Outcome.MISSING:
        return finding("AUD002", path=path, package=where, algorithm=algorithm, expected=expected)
    if outcome is Outcome.EXTRA:
        return finding("AUD003", path=path, package=where, algorithm=algorithm, found=found or "—")
    if outcome is Outcome.UNREADABLE:
        return finding("AUD004", path=path, package=where, reason=detail or "read error")
    if outcome is Outcome.MOVED:
        new = display_name(str(row["other_path"])) if row["other_path"] is not None else "?"
        return finding("AUD005", path=new, from_path=path, package=where, algorithm=algorithm, found=found)
    raise ValueError(f"outcome {outcome.label} is not a failure")


def event_finding(row: sqlite3.Row, package: PackageRow | None = None) -> Finding:
    """The finding for one ``events`` row."""
    params: dict[str, Any] = json.loads(row["params"] or "{}")
    if package is not None:
        params.setdefault("package", display_name(package.location))
    safe: dict[str, Any] = {
        k: (v if isinstance(v, str | int | float | bool) or v is None else str(v)) for k, v in params.items()
    }
    return finding(str(row["code"]), path=row["path"], line=row["line"], **safe)


def package_dict(package: PackageRow, *, cycle_days: float | None = None) -> dict[str, Any]:
    due_at = None
    if cycle_days is not None and package.last_completed_at is not None:
        due_at = iso_time(package.last_completed_at + int(cycle_days * _DAY_MS))
    return {
        "id": package.package_id,
        "root": package.root_path,
        "path": package.rel_path,
        "location": display_name(package.location),
        "identifier": package.identifier,
        "kind": package.kind,
        "present": package.present,
        "last_checked": iso_time(package.last_completed_at),
        "last_failures": package.last_failures,
        "in_progress": package.open_pcheck_id is not None,
        "due_at": due_at,
    }


def _packages(
    db: HistoryDB,
    where: str = "1",
    params: tuple[Any, ...] = (),
    *,
    order: str = "p.package_id",
    limit: int | None = None,
) -> list[PackageRow]:
    sql = (
        "SELECT p.package_id FROM packages p WHERE "  # noqa: S608 - clauses are our own constants
        f"{where} ORDER BY {order}" + (f" LIMIT {int(limit)}" if limit is not None else "")
    )
    return [db.package(int(r[0])) for r in db.conn.execute(sql, params).fetchall()]


def _count(db: HistoryDB, where: str, params: tuple[Any, ...] = ()) -> int:
    return int(db.conn.execute(f"SELECT COUNT(*) FROM packages p WHERE {where}", params).fetchone()[0])  # noqa: S608


def _run_dict(row: sqlite3.Row) -> dict[str, Any]:
    failures = sum(
        int(row[k])
        for k in ("changed", "missing", "extra", "unreadable", "moved", "damaged", "signature", "vanished")
    )
    return {
        "run_id": int(row["run_id"]),
        "status": row["status"],
        "stop_reason": row["stop_reason"],
        "host": row["host"],
        "started_at": iso_time(row["started_at"]),
        "finished_at": iso_time(row["finished_at"]),
        "started_ms": int(row["started_at"]),
        "files": int(row["files"]),
        "bytes": int(row["bytes"]),
        "failures": failures,
        "unreachable": int(row["unreachable"]),
        "packages_completed": int(row["packages_completed"]),
        "packages_failed": int(row["packages_failed"]),
        "outcomes": {k: int(row[k]) for k in _OUTCOME_KEYS},
    }


_RUNS_SQL: Final = "SELECT * FROM runs JOIN run_summaries USING (run_id)"


def _roots(db: HistoryDB) -> list[dict[str, Any]]:
    out = []
    for row in db.query("SELECT * FROM roots ORDER BY path"):
        packages = _count(db, "p.root_id = ? AND p.present = 1", (row["root_id"],))
        out.append(
            {
                "path": row["path"],
                "reachable": bool(row["reachable"]),
                "reason": row["reason"],
                "packages": packages,
                "last_seen": iso_time(row["last_seen"]),
            }
        )
    return out


def status_document(db: HistoryDB, *, now_ms: int, cycle_days: float, limit: int = 20) -> dict[str, Any]:
    """``audit status``: what is due, what failed, when each package was last checked."""
    due_before = now_ms - int(cycle_days * _DAY_MS)
    due_where = (
        "p.present = 1 AND (p.open_pcheck_id IS NOT NULL OR p.last_completed_at IS NULL "
        "OR p.last_completed_at <= ?)"
    )
    due_order = "p.open_pcheck_id IS NULL, p.last_completed_at IS NOT NULL, p.last_completed_at, p.package_id"
    last = db.query(_RUNS_SQL + " ORDER BY run_id DESC LIMIT 1")
    in_progress = []
    for row in db.query(
        "SELECT c.pcheck_id, c.package_id, c.started_at, "
        "(SELECT COUNT(*) FROM file_checks f WHERE f.pcheck_id = c.pcheck_id) AS done "
        "FROM package_checks c JOIN packages p ON p.open_pcheck_id = c.pcheck_id ORDER BY c.pcheck_id "
        "LIMIT ?",
        (limit,),
    ):
        package = db.package(int(row["package_id"]))
        in_progress.append(
            {
                **package_dict(package, cycle_days=cycle_days),
                "check_started_at": iso_time(row["started_at"]),
                "files_checked": int(row["done"]),
            }
        )
    return {
        "format": "luutru-aip-audit-status",
        "format_version": "1.0",
        "db": db.path,
        "generated_at": iso_time(now_ms),
        "cycle_days": cycle_days,
        "roots": _roots(db),
        "counts": {
            "packages": _count(db, "p.present = 1"),
            "vanished": _count(db, "p.present = 0"),
            "never_checked": _count(db, "p.present = 1 AND p.last_completed_at IS NULL"),
            "due": _count(db, due_where, (due_before,)),
            "in_progress": _count(db, "p.present = 1 AND p.open_pcheck_id IS NOT NULL"),
            "failed": _count(db, "p.present = 1 AND p.last_failures > 0"),
            "ok": _count(db, "p.present = 1 AND p.last_failures = 0"),
        },
        "last_run": _run_dict(last[0]) if last else None,
        "failed": [
            package_dict(p, cycle_days=cycle_days)
            for p in _packages(
                db, "p.last_failures > 0", order="p.last_completed_at DESC, p.package_id", limit=limit
            )
        ],
        "due": [
            package_dict(p, cycle_days=cycle_days)
            for p in _packages(db, due_where, (due_before,), order=due_order, limit=limit)
        ],
        "in_progress": in_progress,
        "vanished": [
            package_dict(p, cycle_days=cycle_days) for p in _packages(db, "p.present = 0", limit=limit)
        ],
    }


def _failures(db: HistoryDB, package: PackageRow, pcheck_id: int, limit: int) -> tuple[list[Finding], int]:
    rows = db.query(
        "SELECT c.outcome, c.algorithm, c.expected, c.found, c.size, c.detail, c.checked_at, f.path, "
        "o.path AS other_path FROM file_checks c JOIN files f ON f.file_id = c.file_id "
        "LEFT JOIN files o ON o.file_id = c.other_file_id WHERE c.pcheck_id = ? AND c.outcome > 0 "
        "ORDER BY c.outcome, f.path",
        (pcheck_id,),
    )
    events = db.query(
        "SELECT * FROM events WHERE pcheck_id = ? AND code NOT IN ('AUD014') ORDER BY event_id", (pcheck_id,)
    )
    found = [event_finding(e, package) for e in events] + [file_finding(r, package) for r in rows]
    return found[:limit], len(found)


def _check_dict(
    db: HistoryDB, package: PackageRow, row: sqlite3.Row, *, lang: str, max_failures: int
) -> dict[str, Any]:
    failures, total = _failures(db, package, int(row["pcheck_id"]), max_failures)
    out: dict[str, Any] = {
        "check_id": int(row["pcheck_id"]),
        "status": row["status"],
        "format": row["format"],
        "algorithm": ALGORITHM_NAMES[int(row["algorithm"])],
        "started_at": iso_time(row["started_at"]),
        "finished_at": iso_time(row["finished_at"]),
        "started_run": int(row["started_run_id"]),
        "finished_run": None if row["finished_run_id"] is None else int(row["finished_run_id"]),
        "extras_checked": bool(row["extras_checked"]),
        "files": row["files"],
        "bytes": row["bytes"],
        "outcomes": {k: row[k] for k in _OUTCOME_KEYS},
        "damaged": row["damaged"],
        "signature": row["signature"],
        "failures_total": row["failures"] if row["status"] == "completed" else total,
        "findings": [f.to_dict(lang) for f in failures],
    }
    if row["status"] == "running":
        done = db.conn.execute("SELECT COUNT(*) FROM file_checks WHERE pcheck_id = ?", (row["pcheck_id"],))
        out["files_checked"] = int(done.fetchone()[0])
    return out


def history_document(
    db: HistoryDB, package: PackageRow, *, lang: str = "en", limit: int = 20, max_failures: int = 100
) -> dict[str, Any]:
    """``audit history PKG``: every check of one package, newest first, with its failures."""
    checks = db.query(
        "SELECT * FROM package_checks WHERE package_id = ? ORDER BY pcheck_id DESC LIMIT ?",
        (package.package_id, limit),
    )
    events = db.query(
        "SELECT * FROM events WHERE package_id = ? AND pcheck_id IS NULL ORDER BY event_id",
        (package.package_id,),
    )
    abandoned = db.query(
        "SELECT * FROM events WHERE package_id = ? AND code = 'AUD014' ORDER BY event_id",
        (package.package_id,),
    )
    return {
        "format": "luutru-aip-audit-history",
        "format_version": "1.0",
        "db": db.path,
        "language": lang,
        "package": package_dict(package),
        "checks": [_check_dict(db, package, c, lang=lang, max_failures=max_failures) for c in checks],
        "events": [
            {"at": iso_time(e["at"]), "run_id": int(e["run_id"]), **event_finding(e, package).to_dict(lang)}
            for e in [*events, *abandoned]
        ],
    }


def report_document(
    db: HistoryDB, *, now_ms: int, cycle_days: float, lang: str = "en", max_failures: int = 1000
) -> dict[str, Any]:
    """``audit report``: a summary, every current failure (failures first), every run, every package."""
    status = status_document(db, now_ms=now_ms, cycle_days=cycle_days, limit=0)
    failures: list[dict[str, Any]] = []
    failures_total = 0
    failed_packages = _packages(
        db, "p.last_failures > 0 AND p.last_pcheck_id IS NOT NULL", order="p.root_id, p.rel_path"
    )
    for package in failed_packages:
        assert package.last_pcheck_id is not None
        found, total = _failures(db, package, package.last_pcheck_id, max(0, max_failures - len(failures)))
        failures_total += total
        checked = iso_time(package.last_completed_at)
        for f in found:
            failures.append(
                {"package": display_name(package.location), "checked_at": checked, **f.to_dict(lang)}
            )
    for event in db.query(
        "SELECT e.* FROM events e JOIN roots r ON r.root_id = e.root_id "
        "WHERE e.code = 'AUD007' AND r.reachable = 0 AND e.event_id = "
        "(SELECT MAX(event_id) FROM events x WHERE x.root_id = e.root_id AND x.code = 'AUD007')"
    ):
        failures_total += 1
        if len(failures) < max_failures:
            failures.insert(
                0,
                {"package": None, "checked_at": iso_time(event["at"]), **event_finding(event).to_dict(lang)},
            )
    runs = [_run_dict(r) for r in db.query(_RUNS_SQL + " ORDER BY run_id")]
    packages = _packages(db, order="p.last_failures IS NULL, p.last_failures = 0, p.root_id, p.rel_path")
    totals = db.conn.execute("SELECT TOTAL(files), TOTAL(bytes) FROM run_summaries").fetchone()
    return {
        "format": "luutru-aip-audit-report",
        "format_version": "1.0",
        "db": db.path,
        "language": lang,
        "generated_at": iso_time(now_ms),
        "cycle_days": cycle_days,
        "summary": {
            **status["counts"],
            "roots": len(status["roots"]),
            "roots_unreachable": sum(1 for r in status["roots"] if not r["reachable"]),
            "runs": len(runs),
            "files_checked_ever": int(totals[0]),
            "bytes_checked_ever": int(totals[1]),
            "last_run": status["last_run"],
        },
        "roots": status["roots"],
        "failures": failures,
        "failures_total": failures_total,
        "runs": runs,
        "packages": [package_dict(p, cycle_days=cycle_days) for p in packages],
    }
