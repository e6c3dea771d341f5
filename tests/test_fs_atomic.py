"""Tests for luutru_aip._fs.atomic: atomic_dir, atomic_file, cleanup_stale_temps."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from luutru_aip._fs import atomic_dir, atomic_file, cleanup_stale_temps, is_stale_temp_name
from luutru_aip.errors import InputError, LuutruError, OutputExistsError, UsageError


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_atomic_dir_success(tmp_path: Path) -> None:
    final = tmp_path / "Gói AIP"
    with atomic_dir(final) as tmp:
        assert tmp.parent == tmp_path
        assert tmp.name.startswith(".Gói AIP.luutru-tmp-")
        assert not final.exists()
        (tmp / "Hồ sơ").mkdir()
        (tmp / "Hồ sơ" / "a.txt").write_text("nội dung", encoding="utf-8")
    assert listing(tmp_path) == ["Gói AIP"]
    assert (final / "Hồ sơ" / "a.txt").read_text(encoding="utf-8") == "nội dung"
    assert final.stat().st_mode & 0o777 == 0o777 & ~_umask()


def _umask() -> int:
    old = os.umask(0o022)
    os.umask(old)
    return old


@pytest.mark.parametrize("exc_type", [ValueError, KeyboardInterrupt])
def test_atomic_dir_exception_leaves_nothing(tmp_path: Path, exc_type: type[BaseException]) -> None:
    final = tmp_path / "out"

    def run() -> None:
        with atomic_dir(final) as tmp:
            (tmp / "half.txt").write_bytes(b"x")
            raise exc_type("stop")

    with pytest.raises(exc_type):
        run()
    assert listing(tmp_path) == []


def test_atomic_dir_existing_without_overwrite(tmp_path: Path) -> None:
    final = tmp_path / "out"
    final.mkdir()
    (final / "old.txt").write_text("old")
    with pytest.raises(OutputExistsError) as info, atomic_dir(final):
        pytest.fail("must not start")  # pragma: no cover
    assert isinstance(info.value, FileExistsError)
    assert isinstance(info.value, LuutruError)
    assert str(final) in str(info.value)
    assert "overwrite=True" in str(info.value)
    assert listing(tmp_path) == ["out"]
    assert listing(final) == ["old.txt"]


@pytest.mark.parametrize("kind", ["dir", "file", "link"])
def test_atomic_dir_overwrite(tmp_path: Path, kind: str) -> None:
    final = tmp_path / "out"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    if kind == "dir":
        final.mkdir()
        (final / "old.txt").write_text("old")
    elif kind == "file":
        final.write_text("old")
    else:
        final.symlink_to(outside)
    with atomic_dir(final, overwrite=True) as tmp:
        (tmp / "new.txt").write_text("new")
    assert listing(final) == ["new.txt"]
    assert sorted(listing(tmp_path)) == ["out", "outside"]
    assert listing(outside) == ["keep.txt"]  # a link is replaced, its target untouched


def test_atomic_dir_overwrite_failure_keeps_old(tmp_path: Path) -> None:
    final = tmp_path / "out"
    final.mkdir()
    (final / "old.txt").write_text("old")

    def run() -> None:
        with atomic_dir(final, overwrite=True) as tmp:
            (tmp / "new.txt").write_text("new")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        run()
    assert listing(tmp_path) == ["out"]
    assert listing(final) == ["old.txt"]


def test_atomic_dir_target_appears_meanwhile(tmp_path: Path) -> None:
    final = tmp_path / "out"

    def run() -> None:
        with atomic_dir(final) as tmp:
            (tmp / "a").write_text("a")
            final.mkdir()
            (final / "theirs").write_text("theirs")

    with pytest.raises(OutputExistsError):
        run()
    assert listing(final) == ["theirs"]
    assert listing(tmp_path) == ["out"]


def test_atomic_dir_bad_parent(tmp_path: Path) -> None:
    with pytest.raises(InputError), atomic_dir(tmp_path / "missing" / "out"):
        pass  # pragma: no cover
    with pytest.raises(UsageError), atomic_dir(Path("/")):
        pass  # pragma: no cover


def test_atomic_file_success_and_overwrite(tmp_path: Path) -> None:
    final = tmp_path / "manifest-sha256.txt"
    with atomic_file(final) as fh:
        fh.write(b"abc  data/a\n")
        assert not final.exists()
    assert final.read_bytes() == b"abc  data/a\n"
    assert final.stat().st_mode & 0o777 == 0o666 & ~_umask()
    with atomic_file(final, "w") as text:
        text.write("Quyết định\n")
    assert final.read_text(encoding="utf-8") == "Quyết định\n"
    assert listing(tmp_path) == ["manifest-sha256.txt"]


def test_atomic_file_no_overwrite(tmp_path: Path) -> None:
    final = tmp_path / "a.txt"
    final.write_text("old")
    with pytest.raises(OutputExistsError), atomic_file(final, overwrite=False):
        pass  # pragma: no cover
    assert final.read_text() == "old"
    other = tmp_path / "b.txt"

    def run() -> None:
        with atomic_file(other, overwrite=False) as fh:
            fh.write(b"mine")
            other.write_text("theirs")  # appears while we write: link(2) refuses to replace it

    with pytest.raises(OutputExistsError):
        run()
    assert other.read_text() == "theirs"
    assert listing(tmp_path) == ["a.txt", "b.txt"]
    with atomic_file(tmp_path / "c.txt", overwrite=False) as fh:
        fh.write(b"c")
    assert (tmp_path / "c.txt").read_bytes() == b"c"


@pytest.mark.parametrize("exc_type", [OSError, KeyboardInterrupt])
def test_atomic_file_exception(tmp_path: Path, exc_type: type[BaseException]) -> None:
    final = tmp_path / "a.txt"
    final.write_text("old")

    def run() -> None:
        with atomic_file(final) as fh:
            fh.write(b"half")
            raise exc_type("stop")

    with pytest.raises(exc_type):
        run()
    assert final.read_text() == "old"
    assert listing(tmp_path) == ["a.txt"]


def test_atomic_file_replaces_link_not_target(tmp_path: Path) -> None:
    target = tmp_path / "target.txt"
    target.write_text("target")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    with atomic_file(link) as fh:
        fh.write(b"new")
    assert not link.is_symlink()
    assert link.read_bytes() == b"new"
    assert target.read_text() == "target"


def test_atomic_file_bad_mode(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        atomic_file(tmp_path / "x", "ab")  # type: ignore[call-overload]


def test_cleanup_stale_temps(tmp_path: Path) -> None:
    (tmp_path / ".out.luutru-tmp-abc123").mkdir()
    (tmp_path / ".out.luutru-tmp-abc123" / "x").write_text("x")
    (tmp_path / ".a.txt.luutru-tmp-zz_9").write_text("half")
    (tmp_path / "out").mkdir()
    (tmp_path / ".out.luutru-old-0a1b").mkdir()  # the swap finished: remove
    (tmp_path / ".Gói.luutru-old-ffff").mkdir()  # the swap was cut: restore
    (tmp_path / ".Gói.luutru-old-ffff" / "old.txt").write_text("old")
    (tmp_path / ".hidden").write_text("not ours")
    (tmp_path / "out.luutru-tmp-x").write_text("not ours either (no leading dot)")
    removed = cleanup_stale_temps(tmp_path)
    assert sorted(p.name for p in removed) == [
        ".a.txt.luutru-tmp-zz_9",
        ".out.luutru-old-0a1b",
        ".out.luutru-tmp-abc123",
    ]
    assert listing(tmp_path) == [".hidden", "Gói", "out", "out.luutru-tmp-x"]
    assert (tmp_path / "Gói" / "old.txt").read_text() == "old"
    assert is_stale_temp_name(".x.luutru-tmp-1")
    assert not is_stale_temp_name("x.luutru-tmp-1")


def test_long_names(tmp_path: Path) -> None:
    final = tmp_path / ("Hồ sơ " * 30)[:250].encode("utf-8")[:250].decode("utf-8", "ignore")
    with atomic_dir(final) as tmp:
        (tmp / "a").write_text("a")
    assert (final / "a").exists()
    assert cleanup_stale_temps(tmp_path) == []


_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from luutru_aip._fs import atomic_dir, atomic_file
    kind, final, ready = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    if kind == "dir":
        with atomic_dir(final) as tmp:
            (tmp / "part-1").write_bytes(b"x" * 1000)
            ready.write_text("ready")
            time.sleep(60)
    else:
        with atomic_file(final) as fh:
            fh.write(b"x" * 1000)
            fh.flush()
            ready.write_text("ready")
            time.sleep(60)
    """
)


@pytest.mark.parametrize("kind", ["dir", "file"])
def test_sigkill_mid_write_leaves_only_a_temp(tmp_path: Path, kind: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    final = out / "result"
    ready = tmp_path / "ready"
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, kind, str(final), str(ready)])
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert proc.poll() is None, "writer died early"
            assert time.monotonic() < deadline, "writer never got ready"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:  # pragma: no cover
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    names = listing(out)
    assert "result" not in names
    assert len(names) == 1
    assert is_stale_temp_name(names[0])
    assert [p.name for p in cleanup_stale_temps(out)] == names
    assert listing(out) == []
    # The interrupted run "resumes" by running again.
    with atomic_dir(final) as tmp:
        (tmp / "done").write_text("ok")
    assert listing(final) == ["done"]


def test_overwrite_with_a_name_too_long_for_the_aside(tmp_path: Path) -> None:
    final = tmp_path / ("ễ" * 80)  # 240 bytes in UTF-8: ".<name>.luutru-old-<hex>" would pass NAME_MAX
    with atomic_dir(final) as tmp:
        (tmp / "v").write_text("1")
    with atomic_dir(final, overwrite=True) as tmp:
        (tmp / "v").write_text("2")
    assert (final / "v").read_text() == "2"
    assert listing(tmp_path) == [final.name]


def test_cleanup_restores_from_a_hold_folder(tmp_path: Path) -> None:
    name = "ễ" * 80  # 240 bytes; the holder carries its first 180 bytes
    holder = tmp_path / f".{'ễ' * 60}.luutru-hold-abc_1"
    (holder / name).mkdir(parents=True)
    (holder / name / "old.txt").write_text("old")
    (tmp_path / ".x.luutru-hold-zz").mkdir()  # empty: the swap died before moving anything
    removed = cleanup_stale_temps(tmp_path)
    assert sorted(p.name for p in removed) == sorted([holder.name, ".x.luutru-hold-zz"])
    assert listing(tmp_path) == [name]
    assert (tmp_path / name / "old.txt").read_text() == "old"


def test_cleanup_drops_a_hold_folder_when_the_result_exists(tmp_path: Path) -> None:
    name = "ễ" * 80
    holder = tmp_path / f".{'ễ' * 60}.luutru-hold-q"
    (holder / name).mkdir(parents=True)
    (tmp_path / name).mkdir()
    (tmp_path / name / "new.txt").write_text("new")
    assert [p.name for p in cleanup_stale_temps(tmp_path)] == [holder.name]
    assert listing(tmp_path / name) == ["new.txt"]
