"""An audit never modifies a package: the storage is byte-identical (and metadata-identical) afterwards."""

from __future__ import annotations

import io
import os
from pathlib import Path

from luutru_aip.audit import HistoryDB, LocalProcessExecutor
from luutru_aip.audit.history import report_document
from luutru_aip.audit.premis import export_premis
from luutru_aip.audit.report import render_html

from ._kit import audit, bag, mets_package, snapshot, zip_folder


def test_audit_leaves_every_byte_and_timestamp_alone(tmp_path: Path) -> None:
    root = tmp_path / "store"
    bag(root, "bag1")
    mets_package(root, "mets1")
    zip_folder(mets_package(tmp_path / "src", "mets2"), root / "goi.zip", top="mets2")
    # damage of every kind, made before the snapshot: the audit must report it, not repair it
    (root / "bag1" / "data" / "a.txt").write_bytes(b"jello\n")
    (root / "bag1" / "data" / "extra.txt").write_bytes(b"extra")
    os.mkfifo(root / "bag1" / "data" / "fifo")
    (root / "mets1" / "documentation" / "Mục lục.txt").unlink()
    old = os.stat(root / "bag1" / "bagit.txt")
    os.utime(root / "bag1" / "bagit.txt", ns=(old.st_atime_ns, 1_000_000_000))  # an old mtime stays old
    before = snapshot(root)
    db = tmp_path / "audit.sqlite"
    first = audit(root, db)
    second = audit(root, db, executor=LocalProcessExecutor(2), workers=2)
    assert first.exit_code == second.exit_code == 1
    with HistoryDB(db, create=False) as history:
        render_html(report_document(history, now_ms=0, cycle_days=90))
        for package in history.find_packages("bag1") + history.find_packages("mets1"):
            export_premis(history, package, io.BytesIO())
    after = snapshot(root)
    assert after == before
    # nothing of ours was left in the storage (database, temporaries, reports)
    assert sorted(os.listdir(root)) == ["bag1", "goi.zip", "mets1"]
