"""Budgets, resume, a real SIGKILL, SIGINT and two concurrent runs (issue 7, "Resumable and safe")."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from _bagkit import make_bag, retag, write_manifest

from ._kit import assert_consistent, audit, codes, rows

RUNNER = r"""
import json, sys, time
from luutru_aip.audit import AuditOptions, InlineExecutor, check_batch, run_audit

root, db = sys.argv[1], sys.argv[2]
delay, batch, cycle = float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])

def slow(task):
    time.sleep(delay)  # a slow disk: makes the run long enough to be interrupted in the middle
    return check_batch(task)

result = run_audit(
    [root], db=db, options=AuditOptions(cycle_days=cycle, workers=1, batch_files=batch),
    executor=InlineExecutor(slow), signature_verifier=None,
)
print(json.dumps(result.to_dict()))
sys.exit(result.exit_code)
"""


def many_files(n: int) -> dict[str, bytes]:
    return {f"data/d{i // 50:02d}/f{i:04d}.bin": f"tệp {i}\n".encode() * (1 + i % 7) for i in range(n)}


def start(
    tmp_path: Path, root: Path, db: Path, *, delay: float, batch: int, cycle: float = 0
) -> subprocess.Popen[str]:
    script = tmp_path / "runner.py"
    script.write_text(RUNNER, encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, str(script), str(root), str(db), str(delay), str(batch), str(cycle)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(db: Path, sql: str, at_least: int, proc: subprocess.Popen[str], timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the run ended too early: {proc.communicate()}"
        if db.exists():
            try:
                conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
                try:
                    value = int(conn.execute(sql).fetchone()[0])
                finally:
                    conn.close()
                if value >= at_least:
                    return value
            except sqlite3.OperationalError:
                pass  # tables not created yet
        time.sleep(0.01)
    raise AssertionError("the run made no progress in time")


def total_rows(db: Path) -> int:
    return int(rows(db, "SELECT COUNT(*) FROM file_checks")[0][0])


def files_in(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file())


# --------------------------------------------------------------------------- budgets


def test_byte_budget_stops_mid_storage_and_the_next_runs_resume(tmp_path: Path) -> None:
    root = tmp_path / "store"
    for name in ("a", "b", "c"):
        make_bag(root / name, files=many_files(9))
    db = tmp_path / "audit.sqlite"
    first = audit(root, db, batch_files=3, max_bytes=1, cycle_days=1)
    assert first.status == "partial"
    assert first.exit_code == 0  # a budget is not a failure
    assert first.counts["files"] == 3  # one batch, then the budget stopped the run
    assert first.packages_left == 3  # one check in progress and two never started
    assert "budget" in (first.stop_reason or "")
    runs = 1
    while True:
        result = audit(root, db, batch_files=3, max_bytes=1, cycle_days=1)
        runs += 1
        # every run makes progress: files checked, or a check whose files were all done completed
        assert result.counts["files"] >= 1 or result.counts["packages_completed"] >= 1
        if result.packages_left == 0:
            break
        assert runs < 30
    assert_consistent(db)
    # each package checked exactly once, every file exactly once, though the checks spanned runs
    assert rows(db, "SELECT package_id, COUNT(*) FROM package_checks GROUP BY 1") == [(1, 1), (2, 1), (3, 1)]
    assert rows(db, "SELECT COUNT(*) FROM package_checks WHERE started_run_id != finished_run_id")[0][0] >= 1
    assert rows(db, "SELECT SUM(files) FROM run_summaries")[0][0] == total_rows(db)
    assert rows(db, "SELECT COUNT(DISTINCT status) FROM runs WHERE status != 'completed'") == [(1,)]


def test_time_budget(tmp_path: Path) -> None:
    root = tmp_path / "store"
    make_bag(root / "a", files=many_files(20))
    db = tmp_path / "audit.sqlite"
    from luutru_aip.audit import InlineExecutor, check_batch

    def slow(task):  # type: ignore[no-untyped-def]
        time.sleep(0.05)
        return check_batch(task)

    result = audit(root, db, batch_files=2, max_duration=0.3, cycle_days=1, executor=InlineExecutor(slow))
    assert result.status == "partial"
    assert "time budget" in (result.stop_reason or "")
    assert 0 < result.counts["files"] < files_in(root / "a")
    assert audit(root, db, cycle_days=1).packages_left == 0
    assert total_rows(db) == files_in(root / "a")
    assert_consistent(db)


def test_oldest_check_first(tmp_path: Path) -> None:
    root = tmp_path / "store"
    for name in ("a", "b", "c"):
        make_bag(root / name, files=many_files(4))
    db = tmp_path / "audit.sqlite"
    now = [1_800_000_000.0]

    def clock() -> float:
        now[0] += 1.0
        return now[0]

    audit(root, db, clock=clock, cycle_days=90)
    # the packages were completed one after the other: make "b" the oldest, then let 100 days pass
    rows_before = dict(rows(db, "SELECT rel_path, last_completed_at FROM packages"))
    conn = sqlite3.connect(db)
    conn.execute(
        "UPDATE packages SET last_completed_at = (SELECT MIN(last_completed_at) - 3600000 FROM packages) "
        "WHERE rel_path = 'b'"
    )
    conn.commit()
    conn.close()
    now[0] += 100 * 86400
    later = audit(root, db, clock=clock, cycle_days=90, batch_files=100, max_bytes=1)
    assert later.packages_due == 3
    started = rows(
        db,
        "SELECT p.rel_path FROM package_checks c JOIN packages p USING (package_id) "
        "WHERE c.started_run_id = ?",
        (later.run_id,),
    )
    assert started == [("b",)]  # the budget allowed one package: the one checked longest ago
    assert rows_before["b"] is not None
    # a check in progress is always due and comes first; once done, nothing is due within the cycle
    resumed = audit(root, db, clock=clock, cycle_days=200)
    assert (resumed.packages_due, resumed.counts["packages_completed"]) == (1, 1)
    assert audit(root, db, clock=clock, cycle_days=200).packages_due == 0
    assert_consistent(db)


def test_manifest_changed_between_runs_restarts_the_check(tmp_path: Path) -> None:
    root = tmp_path / "store"
    bag = make_bag(root / "a", files=many_files(12))
    db = tmp_path / "audit.sqlite"
    assert audit(root, db, batch_files=3, max_bytes=1).status == "partial"
    (bag / "data" / "new.txt").write_bytes(b"added by the archive")
    payload = sorted(str(p.relative_to(bag).as_posix()) for p in (bag / "data").rglob("*") if p.is_file())
    for algorithm in ("sha256", "sha512"):
        write_manifest(bag, algorithm, payload)
    retag(bag)
    result = audit(root, db)
    assert codes(result, info=True) == Counter({"AUD014": 1})
    assert result.exit_code == 0
    assert rows(db, "SELECT status FROM package_checks ORDER BY pcheck_id") == [
        ("abandoned",),
        ("completed",),
    ]
    assert_consistent(db)


# --------------------------------------------------------------------------- SIGKILL, SIGINT, concurrency


@pytest.mark.parametrize(
    ("what", "sql", "at_least"),
    [
        ("at the first batch", "SELECT COUNT(*) FROM package_checks", 1),
        ("while hashing", "SELECT COUNT(*) FROM file_checks", 120),
    ],
)
def test_sigkill_then_resume_gives_a_complete_consistent_history(
    tmp_path: Path, what: str, sql: str, at_least: int
) -> None:
    root = tmp_path / "store"
    make_bag(root / "a", files=many_files(400))
    make_bag(root / "b", files=many_files(30))
    db = tmp_path / "audit.sqlite"
    proc = start(tmp_path, root, db, delay=0.03, batch=10)
    seen = wait_for(db, sql, at_least, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    done_before = int(rows(db, "SELECT COUNT(*) FROM file_checks")[0][0])
    assert done_before >= (at_least if "file_checks" in sql else 0)
    assert rows(db, "SELECT status FROM runs") == [("running",)]  # it never got to say anything
    assert seen >= at_least

    result = audit(root, db, batch_files=10)  # the next run: the dead run's lease is freed at once
    assert result.status == "completed", result.to_dict()
    assert (result.exit_code, codes(result)) == (0, Counter())
    assert rows(db, "SELECT run_id, status FROM runs ORDER BY run_id") == [(1, "killed"), (2, "completed")]
    assert_consistent(db)
    # no file skipped, none counted twice: one completed check per package, with every file of it
    assert rows(db, "SELECT COUNT(*) FROM package_checks WHERE status = 'completed'") == [(2,)]
    assert rows(db, "SELECT COUNT(*) FROM package_checks") == [(2,)]
    per_check = dict(
        rows(db, "SELECT p.rel_path, c.files FROM package_checks c JOIN packages p USING (package_id)")
    )
    for name in ("a", "b"):  # every file of the bag, payload and tag files, exactly once
        assert per_check[name] == sum(1 for p in (root / name).rglob("*") if p.is_file())
    # the killed run's recorded checks stand: it is credited with what it committed, the next with the rest
    by_run = dict(rows(db, "SELECT run_id, files FROM run_summaries"))
    assert by_run[1] == done_before
    assert by_run[1] + by_run[2] == total_rows(db)


def test_sigint_stops_cleanly_with_a_summary_and_the_next_run_resumes(tmp_path: Path) -> None:
    root = tmp_path / "store"
    make_bag(root / "a", files=many_files(300))
    db = tmp_path / "audit.sqlite"
    proc = start(tmp_path, root, db, delay=0.03, batch=10)
    wait_for(db, "SELECT COUNT(*) FROM file_checks", 50, proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    doc = json.loads(out)
    assert doc["status"] == "interrupted"
    assert "SIGINT" in doc["stop_reason"]
    assert 0 < doc["files"]["checked"] == total_rows(db) < files_in(root / "a")
    assert rows(db, "SELECT status FROM runs") == [("interrupted",)]
    assert rows(db, "SELECT COUNT(*) FROM packages WHERE lease_run_id IS NOT NULL") == [(0,)]
    result = audit(root, db)
    assert (result.status, result.exit_code) == ("completed", 0)
    assert rows(db, "SELECT COUNT(*), MIN(status) FROM package_checks") == [(1, "completed")]
    assert_consistent(db)


def test_two_concurrent_runs_never_check_one_package_at_once(tmp_path: Path) -> None:
    root = tmp_path / "store"
    for i in range(6):
        make_bag(root / f"p{i}", files=many_files(40))
    db = tmp_path / "audit.sqlite"
    audit(root, db, max_bytes=1, batch_files=1)  # create the database and register the packages
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM file_checks")
    conn.execute("DELETE FROM package_checks")
    conn.execute("UPDATE packages SET open_pcheck_id = NULL")
    conn.execute("DELETE FROM run_summaries")
    conn.execute("DELETE FROM runs")
    conn.commit()
    conn.close()
    first = start(tmp_path, root, db, delay=0.02, batch=5, cycle=1)
    second = start(tmp_path, root, db, delay=0.02, batch=5, cycle=1)
    outputs = [p.communicate(timeout=120) for p in (first, second)]
    assert first.returncode == 0, outputs
    assert second.returncode == 0, outputs
    docs = [json.loads(out) for out, _err in outputs]
    assert sum(d["packages"]["checked"] for d in docs) == 6
    # each package was checked once, by one run: the lease kept the other run away
    assert rows(db, "SELECT COUNT(*), COUNT(DISTINCT package_id) FROM package_checks") == [(6, 6)]
    assert (
        rows(
            db,
            "SELECT c.package_id FROM file_checks f JOIN package_checks c USING (pcheck_id) "
            "GROUP BY c.package_id HAVING COUNT(DISTINCT f.run_id) > 1",
        )
        == []
    )
    assert_consistent(db)


def test_lease_is_atomic_between_two_connections(tmp_path: Path) -> None:
    from luutru_aip.audit import HistoryDB

    root = tmp_path / "store"
    make_bag(root / "a", files=many_files(2))
    db = tmp_path / "audit.sqlite"
    audit(root, db)
    one, two = HistoryDB(db), HistoryDB(db)
    try:
        run_one = one.start_run(host="h", pid=os.getpid(), tool_version="t", options={})
        run_two = two.start_run(host="h", pid=os.getpid(), tool_version="t", options={})
        due = one.now_ms() + 1
        assert one.acquire_lease(1, run_one, lease_ms=60_000, due_before=due)
        assert not two.acquire_lease(1, run_two, lease_ms=60_000, due_before=due)
        assert one.acquire_lease(1, run_one, lease_ms=60_000, due_before=due)  # renewing is fine
        one.release_lease(1, run_one)
        assert two.acquire_lease(1, run_two, lease_ms=60_000, due_before=due)
        # an expired lease can be taken over (a run on another host that died)
        assert not one.acquire_lease(1, run_one, lease_ms=60_000, due_before=due)
        two.conn.execute("UPDATE packages SET lease_until = 0 WHERE package_id = 1")
        assert one.acquire_lease(1, run_one, lease_ms=60_000, due_before=due)
    finally:
        one.close()
        two.close()
