"""Helpers for the audit tests: small packages written by independent code, and a quick audit runner.

Bags come from ``tests/_bagkit.py`` (hashlib, not luutru_aip); METS packages and ZIPs are written
here by hand, so that the audit is checked against packages it did not make.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import zipfile
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from _bagkit import make_bag
from luutru_aip.audit import AuditOptions, InlineExecutor, RunResult, run_audit

INFO_CODES = frozenset({"AUD011", "AUD013", "AUD014"})

PAYLOAD: Mapping[str, bytes] = {
    "data/a.txt": b"hello\n",
    "data/sub/b.txt": "Hồ sơ lưu trữ\n".encode(),
    "data/Hồ sơ 01/trang-001.pdf": b"%PDF-1.7\n" + bytes(range(256)) * 8,
    "data/Hồ sơ 01/trang-002.pdf": b"%PDF-1.7\n" + bytes(range(255, -1, -1)) * 8,
}


def bag(root: Path, name: str = "bag1", files: Mapping[str, bytes] = PAYLOAD, **kwargs: Any) -> Path:
    return make_bag(root / name, files=files, **kwargs)


def audit(
    roots: Path | list[Path],
    db: Path,
    *,
    executor: Any = None,
    verifier: Any = None,
    clock: Any = None,
    **options: Any,
) -> RunResult:
    """One audit run in this process (inline executor, every package due unless told otherwise)."""
    options.setdefault("cycle_days", 0)
    options.setdefault("workers", 1)
    kwargs: dict[str, Any] = {}
    if clock is not None:
        kwargs["clock"] = clock
    return run_audit(
        roots if isinstance(roots, list) else [roots],
        db=db,
        options=AuditOptions(**options),
        executor=executor or InlineExecutor(),
        signature_verifier=verifier,
        handle_signals=False,
        **kwargs,
    )


def codes(result: RunResult, *, info: bool = False) -> Counter[str]:
    """How many findings of each code a run listed (information notes left out unless asked)."""
    return Counter(f.code for _pkg, f in result.findings if info or f.code not in INFO_CODES)


def sha(data: bytes, algorithm: str = "sha256") -> str:
    return hashlib.new(algorithm, data).hexdigest()


def mets_package(
    root: Path,
    name: str = "mets1",
    *,
    objid: str = "urn:uuid:0f1e2d3c-0000-4000-8000-000000000001",
    checksum_type: str = "SHA-256",
) -> Path:
    """An E-ARK-like folder: root METS (fileSec + dmdSec mdRef + mptr) and one representation METS."""
    pkg = root / name
    files = {
        "representations/rep1/data/trang-001.pdf": b"%PDF-1.4 one\n" * 50,
        "representations/rep1/data/trang 002.pdf": b"%PDF-1.4 two\n" * 50,
        "metadata/descriptive/ead.xml": b"<ead xmlns='http://ead3.archivists.org/schema/'/>\n",
        "documentation/Mục lục.txt": "Mục lục hồ sơ\n".encode(),
    }
    for rel, data in files.items():
        target = pkg / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    def file_el(ident: str, href: str, data: bytes, kind: str = checksum_type) -> str:
        digest = sha(data) if kind.upper() in ("SHA-256", "SHA256") else "0" * 8
        return (
            f'<mets:file ID="{ident}" SIZE="{len(data)}" CHECKSUM="{digest}" CHECKSUMTYPE="{kind}">'
            f'<mets:FLocat LOCTYPE="URL" xlink:type="simple" xlink:href="{href}"/></mets:file>'
        )

    rep = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<mets:mets xmlns:mets="http://www.loc.gov/METS/" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'OBJID="rep1"><mets:fileSec><mets:fileGrp USE="Representations/rep1/Data">'
        + file_el("F1", "data/trang-001.pdf", files["representations/rep1/data/trang-001.pdf"])
        + file_el("F2", "data/trang%20002.pdf", files["representations/rep1/data/trang 002.pdf"])
        + "</mets:fileGrp></mets:fileSec></mets:mets>\n"
    ).encode()
    (pkg / "representations/rep1/METS.xml").write_bytes(rep)
    ead = files["metadata/descriptive/ead.xml"]
    root_mets = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<mets:mets xmlns:mets="http://www.loc.gov/METS/" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'OBJID="{objid}" LABEL="Hồ sơ 01">'
        '<mets:dmdSec ID="DMD1"><mets:mdRef LOCTYPE="URL" MDTYPE="EAD" xlink:type="simple" '
        f'xlink:href="metadata/descriptive/ead.xml" CHECKSUM="{sha(ead)}" CHECKSUMTYPE="SHA-256"/>'
        "</mets:dmdSec>"
        '<mets:fileSec><mets:fileGrp USE="Documentation">'
        + file_el("D1", "documentation/M%E1%BB%A5c%20l%E1%BB%A5c.txt", files["documentation/Mục lục.txt"])
        + '</mets:fileGrp><mets:fileGrp USE="Representations/rep1">'
        + file_el("R1", "representations/rep1/METS.xml", rep, "SHA-256")
        + "</mets:fileGrp></mets:fileSec>"
        '<mets:structMap TYPE="PHYSICAL"><mets:div LABEL="Hồ sơ 01"><mets:div LABEL="Representations/rep1">'
        '<mets:mptr xlink:type="simple" xlink:href="representations/rep1/METS.xml" LOCTYPE="URL"/>'
        "</mets:div></mets:div></mets:structMap></mets:mets>\n"
    ).encode()
    (pkg / "METS.xml").write_bytes(root_mets)
    return pkg


def zip_folder(
    folder: Path,
    target: Path,
    *,
    top: str | None = None,
    skip: tuple[str, ...] = (),
    replace: Mapping[str, bytes] | None = None,
    add: Mapping[str, bytes] | None = None,
) -> Path:
    """ZIP ``folder`` (under the folder name ``top`` if given), leaving out or replacing members."""
    replace = replace or {}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if not path.is_file():
                continue
            rel = path.relative_to(folder).as_posix()
            if rel in skip:
                continue
            name = f"{top}/{rel}" if top else rel
            zf.writestr(name, replace.get(rel, path.read_bytes()))
        for rel, data in (add or {}).items():
            zf.writestr(f"{top}/{rel}" if top else rel, data)
    return target


def snapshot(root: Path) -> dict[str, tuple[Any, ...]]:
    """Every entry under ``root``: kind, mode, size, mtime_ns, inode and a content digest for files."""
    out: dict[str, tuple[Any, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            full = Path(dirpath) / name
            st = full.lstat()
            digest = sha(full.read_bytes()) if stat.S_ISREG(st.st_mode) else None
            out[full.relative_to(root).as_posix()] = (
                stat.S_IFMT(st.st_mode),
                stat.S_IMODE(st.st_mode),
                st.st_size,
                st.st_mtime_ns,
                st.st_ino,
                digest,
            )
    return out


def rows(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """A read-only query on the history (a separate connection, as an operator would)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def assert_consistent(db: Path) -> None:
    """The history invariants: no double count, counters equal to the rows, completed checks complete."""
    # every completed package check's counts match its rows
    for pcheck_id, files, failures, damaged, signature in rows(
        db,
        "SELECT pcheck_id, files, failures, damaged, signature FROM package_checks "
        "WHERE status = 'completed'",
    ):
        counted = rows(
            db, "SELECT COUNT(*), SUM(outcome > 0) FROM file_checks WHERE pcheck_id = ?", (pcheck_id,)
        )
        assert counted[0][0] == files
        assert (counted[0][1] or 0) + damaged + signature == failures
    # a file appears at most once per package check (the unique index guarantees it; check anyway)
    dup = rows(db, "SELECT pcheck_id, file_id, COUNT(*) FROM file_checks GROUP BY 1, 2 HAVING COUNT(*) > 1")
    assert dup == []
    # each run's counters equal the rows it decided
    by_run: dict[int, Counter[str]] = {}
    names = {0: "ok", 1: "changed", 2: "missing", 3: "extra", 4: "unreadable", 5: "moved"}
    for run_id, outcome, n in rows(
        db, "SELECT run_id, outcome, COUNT(*) FROM file_checks WHERE outcome IS NOT NULL GROUP BY 1, 2"
    ):
        by_run.setdefault(run_id, Counter())[names[outcome]] += n
    for run_id, files, *counts in rows(
        db, "SELECT run_id, files, ok, changed, missing, extra, unreadable, moved FROM run_summaries"
    ):
        expected = by_run.get(run_id, Counter())
        assert files == sum(expected.values()), (run_id, files, expected)
        assert dict(zip(names.values(), counts, strict=True)) == {k: expected[k] for k in names.values()}
    # at most one check of a package is open, and it is the one the package points at
    for package_id, open_id in rows(db, "SELECT package_id, open_pcheck_id FROM packages"):
        running = rows(
            db,
            "SELECT pcheck_id FROM package_checks WHERE package_id = ? AND status = 'running'",
            (package_id,),
        )
        assert [r[0] for r in running] == ([open_id] if open_id is not None else [])
