"""check_batch, the unit of work, alone: outcomes, links never followed, FIFOs never read, packages gone."""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

from luutru_aip.audit import BatchTask, Container, InlineExecutor, Outcome, check_batch


def task(
    location: Path, items: list[tuple[str, bytes | None]], container: Container = Container.DIR
) -> BatchTask:
    return BatchTask(
        pcheck_id=7,
        location=str(location),
        container=container,
        items=tuple((i, rel, "sha256", expected, -1) for i, (rel, expected) in enumerate(items)),
    )


def outcomes(result_rows: tuple[tuple[object, ...], ...]) -> list[Outcome]:
    return [Outcome(int(r[1])) for r in result_rows]  # type: ignore[call-overload]


def test_outcomes_and_records(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "data").mkdir(parents=True)
    (pkg / "data" / "ok.txt").write_bytes(b"ok")
    (pkg / "data" / "bad.txt").write_bytes(b"bad")
    (pkg / "data" / "dir").mkdir()
    os.mkfifo(pkg / "data" / "fifo")  # opened non-blocking and refused: never hangs the audit
    (tmp_path / "outside.txt").write_bytes(b"secret")
    (pkg / "data" / "link").symlink_to(tmp_path / "outside.txt")
    (pkg / "linkdir").symlink_to(pkg / "data")
    ok = hashlib.sha256(b"ok").digest()
    t = task(
        pkg,
        [
            ("data/ok.txt", ok),
            ("data/bad.txt", ok),
            ("data/gone.txt", ok),
            ("data/dir", ok),
            ("data/fifo", ok),
            ("data/link", ok),
            ("linkdir/ok.txt", ok),
            ("data/ok.txt", None),
        ],
    )
    result = InlineExecutor().submit(t).result()
    assert outcomes(result.rows) == [
        Outcome.OK,
        Outcome.CHANGED,
        Outcome.MISSING,
        Outcome.UNREADABLE,
        Outcome.UNREADABLE,
        Outcome.UNREADABLE,
        Outcome.UNREADABLE,
        Outcome.OK,
    ]
    by_seq = {r[0]: r for r in result.rows}
    assert by_seq[0][2] is None  # found == expected is not stored twice
    assert by_seq[1][2] == hashlib.sha256(b"bad").digest()
    assert by_seq[7][2] == ok  # no expected digest: the digest found is returned (baselines)
    assert "symbolic link" in str(by_seq[5][6])
    assert "symbolic link" in str(by_seq[6][6])
    assert "FIFO" in str(by_seq[4][6])
    assert all(r[4] > 0 and r[5] >= 0 for r in result.rows)  # time and duration of every check
    assert result.bytes_read == 2 + 3 + 2
    assert pickle.loads(pickle.dumps(result)) == result  # plain records: any executor can carry them


def test_size_stated_by_the_package_is_checked(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"abc")
    t = BatchTask(
        pcheck_id=1,
        location=str(tmp_path),
        container=Container.DIR,
        items=((0, "f", "sha256", hashlib.sha256(b"abc").digest(), 4),),
    )
    [row] = check_batch(t).rows
    assert Outcome(row[1]) is Outcome.CHANGED
    assert row[6] == "size 3, expected 4"


def test_package_gone_reports_no_missing_files(tmp_path: Path) -> None:
    t = task(tmp_path / "unmounted", [("data/a.txt", b"\0" * 32)])
    result = check_batch(t)
    assert result.package_gone
    assert result.rows == ()
    zipped = task(tmp_path / "gone.zip", [("a.txt", b"\0" * 32)], Container.ZIP)
    assert check_batch(zipped).package_gone


def test_package_replaced_during_a_batch(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "a.txt").write_bytes(b"a")
    calls = []

    real_stat = Path.stat

    def swap(self: Path, *args: object, **kwargs: object) -> os.stat_result:
        if not calls:
            calls.append(1)
            os.rename(pkg, tmp_path / "old")
            (tmp_path / "pkg").mkdir()
        return real_stat(self, *args, **kwargs)  # type: ignore[arg-type]

    import pytest

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Path, "stat", swap)
        result = check_batch(task(pkg, [("missing.txt", b"\0" * 32)]))
    assert result.package_gone
    assert "replaced" in (result.gone_reason or "")
