"""Each kind of damage gives its own outcome, and nothing else (issue 7, "Tests")."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

import pytest

from ._kit import assert_consistent, audit, bag, codes, rows


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A storage root with two bags, audited once (the baseline run), all intact."""
    root = tmp_path / "store"
    root.mkdir()
    bag(root, "bag1")
    bag(root / "nhom-2", "bag2")
    first = audit(root, tmp_path / "audit.sqlite")
    assert first.exit_code == 0, first.to_dict()
    assert codes(first) == Counter()
    assert first.counts["packages_completed"] == 2
    return root


def again(store: Path) -> tuple[int, Counter[str], dict[str, int]]:
    result = audit(store, store.parent / "audit.sqlite")
    assert_consistent(store.parent / "audit.sqlite")
    return result.exit_code, codes(result), result.counts


def test_intact_storage_exits_0(store: Path) -> None:
    code, found, counts = again(store)
    assert (code, found) == (0, Counter())
    assert counts["files"] == counts["ok"] > 0


def test_one_corrupted_byte_is_changed(store: Path) -> None:
    target = store / "bag1" / "data" / "Hồ sơ 01" / "trang-001.pdf"
    data = bytearray(target.read_bytes())
    data[100] ^= 0x01
    target.write_bytes(bytes(data))
    code, found, counts = again(store)
    assert (code, found) == (1, Counter({"AUD001": 1}))
    assert counts["changed"] == 1


def test_truncated_file_is_changed(store: Path) -> None:
    target = store / "bag1" / "data" / "Hồ sơ 01" / "trang-002.pdf"
    os.truncate(target, 10)
    code, found, _ = again(store)
    assert (code, found) == (1, Counter({"AUD001": 1}))


def test_deleted_file_is_missing(store: Path) -> None:
    (store / "bag1" / "data" / "sub" / "b.txt").unlink()
    code, found, counts = again(store)
    assert (code, found) == (1, Counter({"AUD002": 1}))
    assert counts["missing"] == 1


def test_added_file_is_extra(store: Path) -> None:
    (store / "bag1" / "data" / "thừa.txt").write_bytes(b"not in the manifest")
    code, found, counts = again(store)
    assert (code, found) == (1, Counter({"AUD003": 1}))
    assert counts["extra"] == 1


def test_renamed_file_is_moved_not_missing_plus_extra(store: Path) -> None:
    os.rename(store / "bag1" / "data" / "a.txt", store / "bag1" / "data" / "sub" / "a-moved.txt")
    code, found, counts = again(store)
    assert (code, found) == (1, Counter({"AUD005": 1}))
    assert (counts["moved"], counts["missing"], counts["extra"]) == (1, 0, 0)
    [(old, new)] = rows(
        store.parent / "audit.sqlite",
        "SELECT f.path, o.path FROM file_checks c JOIN files f ON f.file_id = c.file_id "
        "JOIN files o ON o.file_id = c.other_file_id WHERE c.outcome = 5",
    )
    assert (old, new) == ("data/a.txt", "data/sub/a-moved.txt")


@pytest.mark.skipif(
    os.geteuid() == 0, reason="chmod 000 does not stop root from reading (tested as root here)"
)
def test_chmod_000_is_unreadable(store: Path) -> None:
    target = store / "bag1" / "data" / "a.txt"
    target.chmod(0)
    try:
        code, found, _ = again(store)
    finally:
        target.chmod(0o644)
    assert (code, found) == (1, Counter({"AUD004": 1}))


@pytest.mark.parametrize("kind", ["directory", "fifo", "symlink"])
def test_unreadable_file(store: Path, kind: str) -> None:
    # chmod 000 cannot fail as root: a folder, a FIFO or a link in place of the file cannot be read either
    target = store / "bag1" / "data" / "a.txt"
    target.unlink()
    if kind == "directory":
        target.mkdir()
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        target.symlink_to(store / "bag1" / "data" / "sub" / "b.txt")
    code, found, counts = again(store)
    assert (code, found) == (1, Counter({"AUD004": 1}))
    assert counts["unreadable"] == 1


def test_root_replaced_by_an_empty_folder_is_unreachable_not_missing(store: Path) -> None:
    shutil.rmtree(store)
    store.mkdir()
    result = audit(store, store.parent / "audit.sqlite")
    assert result.exit_code == 2
    assert codes(result) == Counter({"AUD007": 1})
    assert result.counts["missing"] == result.counts["vanished"] == 0
    assert not result.roots[0].reachable
    # the packages are still registered as present: nothing was marked missing or vanished
    assert rows(store.parent / "audit.sqlite", "SELECT COUNT(*) FROM packages WHERE present = 1") == [(2,)]
    assert_consistent(store.parent / "audit.sqlite")


def test_root_removed_entirely_is_unreachable(store: Path) -> None:
    shutil.rmtree(store)
    result = audit(store, store.parent / "audit.sqlite")
    assert result.exit_code == 2
    assert codes(result) == Counter({"AUD007": 1})
    assert "does not exist" in (result.roots[0].reason or "")
    # and when it comes back, everything is checked again, intact
    back = store.parent / "elsewhere"
    back.mkdir()
    bag(back, "bag1")
    os.rename(back, store)
    (store / "nhom-2").mkdir()
    bag(store / "nhom-2", "bag2")
    code, found, _ = again(store)
    assert (code, found) == (0, Counter())


def test_vanished_package_is_reported_once(store: Path) -> None:
    shutil.rmtree(store / "nhom-2" / "bag2")
    code, found, counts = again(store)
    assert (code, found) == (1, Counter({"AUD008": 1}))
    assert counts["missing"] == 0
    code, found, _ = again(store)
    assert (code, found) == (0, Counter())  # reported when it vanished, not every night after


def test_changed_tag_file_is_caught_by_the_tag_manifest(store: Path) -> None:
    info = store / "bag1" / "bag-info.txt"
    info.write_text(info.read_text(encoding="utf-8") + "Contact-Name: ai đó\n", encoding="utf-8")
    code, found, _ = again(store)
    assert (code, found) == (1, Counter({"AUD001": 1}))


def test_changed_tag_manifest_is_caught_by_its_baseline(store: Path) -> None:
    # nothing lists tagmanifest-sha256.txt: the first audit's reading of it is its baseline
    tagmanifest = store / "bag1" / "tagmanifest-sha256.txt"
    tagmanifest.write_bytes(tagmanifest.read_bytes() + b"\n")
    code, found, _ = again(store)
    assert (code, found) == (1, Counter({"AUD001": 1}))


def test_damaged_manifest_is_one_finding_not_a_flood_of_extras(store: Path) -> None:
    manifest = store / "bag1" / "manifest-sha256.txt"
    lines = manifest.read_text(encoding="utf-8").splitlines()
    lines[0] = "this is not a manifest line"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, found, counts = again(store)
    # the damaged line is reported; the file it listed is not reported as extra (the manifest is not
    # trusted to say what is extra); the tag manifest also sees the manifest changed
    assert code == 1
    assert found == Counter({"AUD006": 1, "AUD001": 1})
    assert counts["extra"] == 0


def test_several_damages_at_once_each_counted(store: Path) -> None:
    data = store / "bag1" / "data"
    (data / "a.txt").write_bytes(b"jello\n")
    (data / "sub" / "b.txt").unlink()
    (data / "new.bin").write_bytes(b"\x00" * 10)
    code, found, _ = again(store)
    assert (code, found) == (1, Counter({"AUD001": 1, "AUD002": 1, "AUD003": 1}))


def test_process_pool_gives_the_same_outcomes(store: Path) -> None:
    from luutru_aip.audit import LocalProcessExecutor

    (store / "bag1" / "data" / "a.txt").write_bytes(b"jello\n")
    result = audit(store, store.parent / "audit.sqlite", executor=LocalProcessExecutor(2), workers=2)
    assert codes(result) == Counter({"AUD001": 1})
    assert_consistent(store.parent / "audit.sqlite")


@pytest.fixture
def tiny_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every package 'very large': the plan is not kept in memory, extras are found in the history."""
    from luutru_aip.audit import engine

    monkeypatch.setattr(engine, "IN_MEMORY_PLAN", 2)


@pytest.mark.usefixtures("tiny_plan")
def test_large_packages_are_compared_with_the_history(store: Path) -> None:
    data = store / "bag1" / "data"
    (data / "a.txt").write_bytes(b"jello\n")
    (data / "thừa.txt").write_bytes(b"extra")
    os.rename(data / "sub" / "b.txt", data / "b-moved.txt")
    (data / "Hồ sơ 01" / "trang-002.pdf").unlink()
    code, found, counts = again(store)
    assert (code, found) == (1, Counter({"AUD001": 1, "AUD002": 1, "AUD003": 1, "AUD005": 1}))
    assert counts["files"] == counts["ok"] + 4  # a move is one check: its extra half is folded into it


@pytest.mark.usefixtures("tiny_plan")
def test_large_package_resumes_after_a_budget_stop(tmp_path: Path) -> None:
    root = tmp_path / "store"
    bag(root, "big", files={f"data/{i:03d}.txt": f"{i}\n".encode() for i in range(40)})
    db = tmp_path / "audit.sqlite"
    runs = 0
    while True:
        result = audit(root, db, batch_files=4, max_bytes=1, cycle_days=1)
        runs += 1
        if result.packages_left == 0:
            break
        assert runs < 40
    assert runs > 3
    assert codes(result) == Counter()
    assert_consistent(db)
    assert rows(db, "SELECT files FROM package_checks") == [
        (sum(1 for p in (root / "big").rglob("*") if p.is_file()),)
    ]


def test_duplicate_manifest_line_with_another_digest_is_damage(tmp_path: Path) -> None:
    root = tmp_path / "store"
    pkg = bag(root, "bag1")
    bag(root, "bag2")
    with open(pkg / "manifest-sha256.txt", "a", encoding="utf-8") as fh:
        fh.write(f"{'0' * 64}  data/a.txt\n")
    from _bagkit import retag

    retag(pkg)
    result = audit(root, tmp_path / "audit.sqlite")
    assert (result.exit_code, codes(result)) == (1, Counter({"AUD006": 1}))


def test_marker_file_vouches_for_a_root_and_its_loss_means_unreachable(tmp_path: Path) -> None:
    root = tmp_path / "store"
    bag(root, "only")
    (root / ".luutru-aip-root").write_bytes(b"")
    db = tmp_path / "audit.sqlite"
    assert audit(root, db).exit_code == 0
    # the root's only package is removed on purpose: with the marker there, that is a vanished package
    shutil.rmtree(root / "only")
    result = audit(root, db)
    assert (result.exit_code, codes(result)) == (1, Counter({"AUD008": 1}))
    # a new package arrives, then the marker disappears (another folder mounted there?): unreachable
    bag(root, "next")
    assert audit(root, db).exit_code == 0
    (root / ".luutru-aip-root").unlink()
    result = audit(root, db)
    assert (result.exit_code, codes(result)) == (2, Counter({"AUD007": 1}))
    assert "marker" in (result.roots[0].reason or "")


def test_overlapping_roots_are_refused(tmp_path: Path) -> None:
    from luutru_aip.errors import UsageError

    root = tmp_path / "store"
    bag(root / "inner", "bag1")
    with pytest.raises(UsageError, match="must not overlap"):
        audit([root, root / "inner"], tmp_path / "audit.sqlite")


def test_root_that_is_itself_a_package(tmp_path: Path) -> None:
    pkg = bag(tmp_path, "bag1")
    db = tmp_path / "audit.sqlite"
    first = audit(pkg, db)
    assert (first.exit_code, codes(first)) == (0, Counter())
    assert rows(db, "SELECT rel_path FROM packages") == [(".",)]
    (pkg / "data" / "a.txt").write_bytes(b"jello\n")
    assert codes(audit(pkg, db)) == Counter({"AUD001": 1})


def test_the_database_is_never_inside_a_storage_root(tmp_path: Path) -> None:
    from luutru_aip.errors import UsageError

    root = tmp_path / "store"
    bag(root, "bag1")
    with pytest.raises(UsageError, match="must not be inside the storage root"):
        audit(root, root / "bag1" / "audit.sqlite")
    assert not (root / "bag1" / "audit.sqlite").exists()


def test_a_bug_in_a_worker_fails_the_run_and_says_so(tmp_path: Path) -> None:
    from luutru_aip.audit import InlineExecutor

    root = tmp_path / "store"
    bag(root, "bag1")
    db = tmp_path / "audit.sqlite"

    def broken(task: object) -> object:
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError, match="a bug"):
        audit(root, db, executor=InlineExecutor(broken))  # type: ignore[arg-type]
    assert rows(db, "SELECT status, stop_reason FROM runs") == [
        ("failed", "internal error: RuntimeError('a bug')")
    ]
    assert rows(db, "SELECT COUNT(*) FROM packages WHERE lease_run_id IS NOT NULL") == [(0,)]
    assert audit(root, db).exit_code == 0  # and the next run checks everything
