"""Tests for luutru_aip._fs.zips: inspect_zip, SafeZip, safe_extract against hostile archives."""

from __future__ import annotations

import io
import random
import stat
import struct
import unicodedata
import warnings
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _zipfixtures import (
    CD_FLAGS,
    CD_METHOD,
    CD_OFFSET,
    CD_USIZE,
    info,
    make_zip,
    patch,
    set_central,
    streaming_bomb,
    symlink,
    tree,
)
from luutru_aip._fs import EntryKind, SafeZip, ZipLimits, inspect_zip, safe_extract
from luutru_aip._fs.zips import _Budget, _LimitedReader
from luutru_aip.errors import ArchiveLimitError, InputError, OutputExistsError
from luutru_aip.findings import Severity

NFC = unicodedata.normalize("NFC", "Hồ sơ số 01")
NFD = unicodedata.normalize("NFD", "Hồ sơ số 01")


@pytest.fixture
def area(tmp_path: Path) -> Path:
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    return tmp_path


def codes(path: Path, limits: ZipLimits | None = None) -> set[str]:
    _entries, findings = inspect_zip(path, limits)
    return {f.code for f in findings}


def assert_refused(area: Path, zpath: Path, limits: ZipLimits | None = None) -> ArchiveLimitError:
    before = tree(area)
    with pytest.raises(ArchiveLimitError) as info_:
        safe_extract(zpath, area / "out" / "pkg", limits)
    assert tree(area) == before  # nothing written anywhere, no temp left
    text = str(info_.value)
    assert zpath.name in text
    return info_.value


# --------------------------------------------------------------------------- benign


def test_vietnamese_package_extracts(area: Path) -> None:
    zpath = make_zip(
        area / "in" / "goi.zip",
        [
            (f"{NFC}/", b""),
            (f"{NFC}/Quyết định về việc thành lập.pdf", b"%PDF-1.7 ..."),
            ("Phông UBND tỉnh/Mục lục/METS.xml", b"<mets/>"),
            ("rỗng.txt", b""),
        ],
    )
    entries, findings = inspect_zip(zpath)
    assert [f.code for f in findings] == []
    assert [e.encoding for e in entries] == ["utf-8", "utf-8", "utf-8", "utf-8"]
    assert entries[0].kind is EntryKind.DIRECTORY
    assert str(entries[0].path) == NFC
    result = safe_extract(zpath, area / "out" / "pkg")
    dest = area / "out" / "pkg"
    assert result.dest == dest
    assert result.bytes_written == len(b"%PDF-1.7 ...") + len(b"<mets/>")
    assert (dest / NFC / "Quyết định về việc thành lập.pdf").read_bytes() == b"%PDF-1.7 ..."
    assert (dest / "Phông UBND tỉnh" / "Mục lục" / "METS.xml").read_bytes() == b"<mets/>"
    assert tree(area / "out") == sorted(
        [
            "pkg",
            f"pkg/{NFC}",
            f"pkg/{NFC}/Quyết định về việc thành lập.pdf",
            "pkg/Phông UBND tỉnh",
            "pkg/Phông UBND tỉnh/Mục lục",
            "pkg/Phông UBND tỉnh/Mục lục/METS.xml",
            "pkg/rỗng.txt",
        ]
    )
    with pytest.raises(OutputExistsError):
        safe_extract(zpath, dest)
    again = safe_extract(zpath, dest, overwrite=True)
    assert again.dest == dest


def test_stored_bzip2_lzma_and_zip64_extra(area: Path) -> None:
    for method in (zipfile.ZIP_STORED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        zpath = make_zip(area / "in" / f"m{method}.zip", [("a.txt", b"abc" * 1000)], compression=method)
        assert codes(zpath) == set()
        safe_extract(zpath, area / "out" / f"m{method}")
        assert (area / "out" / f"m{method}" / "a.txt").read_bytes() == b"abc" * 1000
    zpath = area / "in" / "z64.zip"
    with zipfile.ZipFile(zpath, "w") as zf, zf.open("big.bin", "w", force_zip64=True) as out:
        out.write(b"x" * 100)
    assert codes(zpath) == set()
    safe_extract(zpath, area / "out" / "z64")


def test_prepended_data_is_followed_like_zipfile(area: Path) -> None:
    zpath = make_zip(area / "in" / "a.zip", [("a.txt", b"hello")])
    sfx = area / "in" / "sfx.zip"
    sfx.write_bytes(b"MZ" + b"\0" * 500 + zpath.read_bytes())
    entries, findings = inspect_zip(sfx)
    assert findings == []
    assert entries[0].header_offset == 502
    with SafeZip(sfx) as sz:
        assert sz.read_bytes("a.txt") == b"hello"


# --------------------------------------------------------------------------- hostile names

UNSAFE_NAMES = [
    ("../../evil", "parent"),
    ("/etc/passwd", "absolute"),
    ("C:\\x", "backslash"),
    ("C:x", "drive"),
    ("a\\..\\..\\b", "backslash"),
    ("//server/share/x", "unc"),
    ("~/.bashrc", "home"),
    ("a/./b", "dot"),
    ("a//b", "empty_segment"),
    ("a\x1b[2Jb", "control"),
]


@pytest.mark.parametrize(("name", "reason"), UNSAFE_NAMES)
def test_unsafe_names(area: Path, name: str, reason: str) -> None:
    zpath = make_zip(area / "in" / "evil.zip", [("ok.txt", b"ok"), (info(name), b"pwned")])
    entries, findings = inspect_zip(zpath)
    zip003 = [f for f in findings if f.code == "ZIP003"]
    assert len(zip003) == 1
    assert zip003[0].params["reason"] == reason
    assert zip003[0].severity is Severity.ERROR
    assert entries[1].path is None
    assert "\x1b" not in zip003[0].message("vi")
    err = assert_refused(area, zpath)
    assert "ZIP003" in str(err)
    with SafeZip(zpath) as sz:
        assert sz.read_bytes("ok.txt") == b"ok"  # validators may still read the safe members
        with pytest.raises(ArchiveLimitError, match="ZIP003"):
            sz.open(sz.entries[1])


def test_nul_in_name(area: Path) -> None:
    zpath = make_zip(area / "in" / "nul.zip", [("evilXname.txt", b"x")])
    patch(zpath, b"evilXname", b"evil\x00name")
    found = [f for f in inspect_zip(zpath)[1] if f.code == "ZIP003"]
    assert found[0].params["reason"] == "nul"
    assert found[0].params["path_rule"] == "PATH006"
    assert_refused(area, zpath)


def test_symlink_entry(area: Path) -> None:
    zpath = make_zip(area / "in" / "link.zip", [(symlink("link"), b"../../../etc"), ("link/passwd", b"x")])
    entries, findings = inspect_zip(zpath)
    assert entries[0].kind is EntryKind.SYMLINK
    assert "ZIP004" in {f.code for f in findings}
    assert_refused(area, zpath)
    with SafeZip(zpath) as sz, pytest.raises(ArchiveLimitError, match="ZIP004"):
        sz.open("link")


def test_fifo_entry(area: Path) -> None:
    zpath = make_zip(area / "in" / "fifo.zip", [(info("pipe", mode=stat.S_IFIFO | 0o644), b"")])
    _, findings = inspect_zip(zpath)
    assert [(f.code, f.params["mode"]) for f in findings] == [("ZIP005", "10644")]
    assert_refused(area, zpath)


def test_encrypted_entry(area: Path) -> None:
    zpath = make_zip(area / "in" / "enc.zip", [("secret.txt", b"data")])
    set_central(zpath, 0, CD_FLAGS, "<H", 0x1)
    assert codes(zpath) == {"ZIP006"}
    assert_refused(area, zpath)


def test_duplicate_names(area: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns "Duplicate name"
        zpath = make_zip(area / "in" / "dup.zip", [("a.txt", b"first"), ("a.txt", b"second"), ("d/", b"")])
        with zipfile.ZipFile(zpath, "a") as zf:
            zf.writestr("d/", b"")  # duplicate folders are harmless
    _, findings = inspect_zip(zpath)
    assert [(f.code, f.params["count"]) for f in findings] == [("ZIP007", 2)]
    assert_refused(area, zpath)


def test_nfc_nfd_collision_is_a_warning(area: Path) -> None:
    zpath = make_zip(
        area / "in" / "nf.zip",
        [(f"{NFC}/a.pdf", b"nfc"), (f"{NFD}/a.pdf", b"nfd"), ("x/Tờ trình.pdf", b"1")],
    )
    _, findings = inspect_zip(zpath)
    assert [f.code for f in findings] == ["ZIP008"]
    f = findings[0]
    assert f.severity is Severity.WARNING
    assert {f.params["entry_form"], f.params["other_form"]} == {"NFC", "NFD"}
    assert "NFC" in f.message("vi")
    result = safe_extract(zpath, area / "out" / "pkg")  # ext4 stores both names
    assert [x.code for x in result.findings] == ["ZIP008"]
    assert (area / "out" / "pkg" / NFC / "a.pdf").read_bytes() == b"nfc"
    assert (area / "out" / "pkg" / NFD / "a.pdf").read_bytes() == b"nfd"


def test_case_collision_is_a_warning(area: Path) -> None:
    zpath = make_zip(area / "in" / "case.zip", [("Đơn.txt", b"1"), ("đơn.txt", b"2"), ("b/ĐƠN.TXT", b"3")])
    _, findings = inspect_zip(zpath)
    assert [(f.code, f.severity) for f in findings] == [("ZIP009", Severity.WARNING)]
    assert findings[0].params["count"] == 2


def test_file_and_folder_conflict(area: Path) -> None:
    zpath = make_zip(area / "in" / "conf.zip", [("a", b"file"), ("a/b.txt", b"x")])
    assert codes(zpath) == {"ZIP010"}
    assert_refused(area, zpath)


# --------------------------------------------------------------------------- limits and bombs


def test_too_many_entries(area: Path) -> None:
    zpath = make_zip(area / "in" / "many.zip", [(f"f{i}", b"") for i in range(11)])
    limits = ZipLimits(max_entries=10)
    entries, findings = inspect_zip(zpath, limits)
    assert [f.code for f in findings] == ["ZIP011"]
    assert entries == []
    assert_refused(area, zpath, limits)
    # An end record that understates the count is caught while counting.
    patch(zpath, struct.pack("<HH", 11, 11), struct.pack("<HH", 3, 3))
    _, findings = inspect_zip(zpath, limits)
    assert "ZIP011" in {f.code for f in findings}


def test_total_and_entry_size_limits(area: Path) -> None:
    zpath = make_zip(area / "in" / "big.zip", [("a", b"a" * 60), ("b", b"b" * 60)])
    assert codes(zpath, ZipLimits(max_total_uncompressed=100)) == {"ZIP012"}
    assert codes(zpath, ZipLimits(max_entry_size=50)) == {"ZIP013"}
    assert_refused(area, zpath, ZipLimits(max_total_uncompressed=100))


def test_compression_bomb(area: Path) -> None:
    zpath = streaming_bomb(area / "in" / "bomb.zip", "zeros.bin", 32 << 20)
    assert zpath.stat().st_size < 100_000
    _, findings = inspect_zip(zpath)
    assert [f.code for f in findings] == ["ZIP014"]
    assert float(findings[0].params["ratio"]) > 500  # type: ignore[arg-type]
    assert_refused(area, zpath)
    assert codes(zpath, ZipLimits(max_ratio=2000)) == set()


def test_header_lies_smaller(area: Path) -> None:
    # The data decompresses to 8 MiB but the directory claims 1000 bytes: the ratio check
    # cannot see it; the real data is cut at the claimed size and fails its CRC.
    zpath = streaming_bomb(area / "in" / "liar.zip", "zeros.bin", 8 << 20)
    set_central(zpath, 0, CD_USIZE, "<L", 1000)
    assert codes(zpath) == set()
    err = assert_refused(area, zpath)
    assert "zeros.bin" in str(err)


def test_header_lies_bigger(area: Path) -> None:
    zpath = make_zip(area / "in" / "liar2.zip", [("a.txt", b"hello world")])
    set_central(zpath, 0, CD_USIZE, "<L", 20)
    assert codes(zpath) == set()
    err = assert_refused(area, zpath)
    assert "declares 20 bytes but holds 11" in str(err)


def test_actual_bytes_are_counted() -> None:
    limits = ZipLimits(max_entry_size=10_000, ratio_min_size=100, max_ratio=10, max_total_uncompressed=15_000)

    def reader(data: bytes, declared: int, compressed: int, budget: _Budget) -> io.BufferedReader:
        raw = _LimitedReader(
            io.BytesIO(data),
            archive="a.zip",
            entry="e",
            declared_size=declared,
            compressed_size=compressed,
            limits=limits,
            budget=budget,
        )
        return io.BufferedReader(raw)

    with pytest.raises(ArchiveLimitError, match="more than the 50 bytes it declares"):
        reader(b"x" * 100, 50, 50, _Budget(limits.max_total_uncompressed)).read()
    with pytest.raises(ArchiveLimitError, match="larger than the limit"):
        reader(b"x" * 20_000, 30_000, 30_000, _Budget(10**9)).read()
    with pytest.raises(ArchiveLimitError, match="compression ratio"):
        reader(b"x" * 1000, 1000, 10, _Budget(10**9)).read()
    budget = _Budget(limits.max_total_uncompressed)
    assert len(reader(b"x" * 9000, 9000, 9000, budget).read()) == 9000
    with pytest.raises(ArchiveLimitError, match="archive decompresses to more"):
        reader(b"x" * 9000, 9000, 9000, budget).read()


def test_long_name(area: Path) -> None:
    zpath = make_zip(area / "in" / "long.zip", [("Quyết định số 01.pdf", b"x")])
    assert codes(zpath, ZipLimits(max_name_length=10)) == {"ZIP015"}


# --------------------------------------------------------------------------- encodings


def test_invalid_utf8_name(area: Path) -> None:
    zpath = make_zip(area / "in" / "badutf.zip", [("tên.txt", b"x"), ("ok.txt", b"y")])
    patch(zpath, "ê".encode(), b"\xff\xfe")
    entries, findings = inspect_zip(zpath)
    assert [f.code for f in findings] == ["ZIP016"]
    assert entries[0].encoding == "invalid"
    assert entries[0].path is None
    assert_refused(area, zpath)
    with SafeZip(zpath) as sz, pytest.raises(ArchiveLimitError):
        sz.read_bytes("ok.txt")  # zipfile itself cannot open such an archive


def test_cp437_legacy_name(area: Path) -> None:
    zpath = make_zip(area / "in" / "cp.zip", [("abcXY.txt", b"x")])
    patch(zpath, b"XY", b"\x87\x82")  # invalid as UTF-8
    entries, findings = inspect_zip(zpath)
    assert entries[0].encoding == "cp437"
    assert entries[0].name == "abcçé.txt"
    assert [(f.code, f.severity) for f in findings] == [("ZIP017", Severity.WARNING)]
    result = safe_extract(zpath, area / "out" / "pkg")
    assert (area / "out" / "pkg" / "abcçé.txt").read_bytes() == b"x"
    assert [f.code for f in result.findings] == ["ZIP017"]


def test_unflagged_utf8_name(area: Path) -> None:
    zpath = make_zip(area / "in" / "u.zip", [("abXY.txt", b"x")])
    patch(zpath, b"XY", "é".encode())
    entries, findings = inspect_zip(zpath)
    assert entries[0].name == "abé.txt"
    assert entries[0].encoding == "utf-8-unflagged"
    assert [(f.code, f.severity) for f in findings] == [("ZIP018", Severity.INFO)]
    safe_extract(zpath, area / "out" / "pkg")
    assert (area / "out" / "pkg" / "abé.txt").read_bytes() == b"x"


def test_unicode_path_extra_field(area: Path) -> None:
    raw = "Hồ sơ.txt".encode("cp1258", "replace")
    assert not raw.isascii()
    legacy = "".join(chr(b) if b < 128 else "X" for b in raw)  # placeholder, patched below
    extra_name = "Hồ sơ.txt".encode()
    real = raw
    extra = struct.pack("<HHBL", 0x7075, 5 + len(extra_name), 1, zlib.crc32(real)) + extra_name
    zpath = make_zip(area / "in" / "x.zip", [(info(legacy, extra=extra), b"x")])
    patch(zpath, legacy.encode("ascii"), real)
    entries, findings = inspect_zip(zpath)
    assert entries[0].encoding == "utf-8-extra"
    assert entries[0].name == "Hồ sơ.txt"
    assert findings == []


# --------------------------------------------------------------------------- damaged structure


def test_random_bytes(area: Path) -> None:
    zpath = area / "in" / "random.zip"
    zpath.write_bytes(random.Random(1).randbytes(10_000))
    assert codes(zpath) == {"ZIP001"}
    assert_refused(area, zpath)
    empty = area / "in" / "empty.zip"
    empty.write_bytes(b"")
    assert codes(empty) == {"ZIP001"}


def test_truncated_zip(area: Path) -> None:
    zpath = make_zip(area / "in" / "cut.zip", [(f"f{i}.txt", bytes(range(256)) * 20) for i in range(5)])
    data = zpath.read_bytes()
    zpath.write_bytes(data[: len(data) // 2])
    _, findings = inspect_zip(zpath)
    assert [(f.code, f.params["reason"]) for f in findings] == [("ZIP002", "no_end_record")]
    assert_refused(area, zpath)
    with SafeZip(zpath) as sz:
        assert sz.entries == ()
        with pytest.raises(ArchiveLimitError):
            sz.open("f0.txt")


def test_damaged_central_directory(area: Path) -> None:
    zpath = make_zip(area / "in" / "cd.zip", [("a.txt", b"a"), ("b.txt", b"b")])
    patch(zpath, b"PK\x01\x02", b"PK\x01\x09", count=1)
    _, findings = inspect_zip(zpath)
    assert [(f.code, f.params["reason"]) for f in findings] == [("ZIP002", "bad_central_signature")]
    assert_refused(area, zpath)


def test_trailing_data_after_end_record(area: Path) -> None:
    zpath = make_zip(area / "in" / "trail.zip", [("a.txt", b"a")])
    zpath.write_bytes(zpath.read_bytes() + b"junk")
    _, findings = inspect_zip(zpath)
    assert [(f.code, f.params["reason"]) for f in findings] == [("ZIP002", "end_record_mismatch")]


def test_bad_extra_field(area: Path) -> None:
    zpath = make_zip(area / "in" / "extra.zip", [(info("a.txt", extra=struct.pack("<HH", 0xCAFE, 40)), b"a")])
    _, findings = inspect_zip(zpath)
    assert [(f.code, f.params["reason"]) for f in findings] == [("ZIP002", "bad_extra_field")]
    assert_refused(area, zpath)


def test_unsupported_method(area: Path) -> None:
    zpath = make_zip(area / "in" / "d64.zip", [("a.txt", b"abc" * 100)])
    set_central(zpath, 0, CD_METHOD, "<H", 9)  # deflate64
    _, findings = inspect_zip(zpath)
    assert [(f.code, f.params["method"]) for f in findings] == [("ZIP019", 9)]
    assert_refused(area, zpath)


def test_overlapping_entries(area: Path) -> None:
    zpath = make_zip(area / "in" / "overlap.zip", [("a.txt", b"a" * 100), ("b.txt", b"b" * 100)])
    set_central(zpath, 1, CD_OFFSET, "<L", 0)
    _, findings = inspect_zip(zpath)
    assert [(f.code, f.params["reason"]) for f in findings] == [("ZIP020", "overlap")]
    assert_refused(area, zpath)
    set_central(zpath, 1, CD_OFFSET, "<L", 10_000_000)
    _, findings = inspect_zip(zpath)
    assert [(f.code, f.params["reason"]) for f in findings] == [("ZIP020", "out_of_range")]


def test_multi_disk(area: Path) -> None:
    zpath = make_zip(area / "in" / "span.zip", [("a.txt", b"a")])
    data = bytearray(zpath.read_bytes())
    eocd = data.rfind(b"PK\x05\x06")
    struct.pack_into("<H", data, eocd + 4, 1)
    zpath.write_bytes(bytes(data))
    assert codes(zpath) == {"ZIP021"}
    assert_refused(area, zpath)


def test_unreadable_input(area: Path) -> None:
    with pytest.raises(InputError):
        inspect_zip(area / "in" / "missing.zip")
    with pytest.raises(InputError):
        inspect_zip(area / "in")


# --------------------------------------------------------------------------- SafeZip


def test_safezip_reads_with_shared_budget(area: Path) -> None:
    zpath = make_zip(
        area / "in" / "r.zip", [("METS.xml", b"<mets/>" * 10), ("data/a.bin", b"z" * 100), ("d/", b"")]
    )
    with SafeZip(zpath, limits=ZipLimits(max_total_uncompressed=120)) as sz:
        # Declared 170 > 120 is an error finding, but reads are still allowed (and counted).
        assert [f.code for f in sz.errors] == ["ZIP012"]
        assert sz.read_bytes("METS.xml") == b"<mets/>" * 10
        with pytest.raises(ArchiveLimitError, match="more than 10"):
            sz.read_bytes("data/a.bin", max_bytes=10)
        with pytest.raises(ArchiveLimitError, match="not a regular file"):
            sz.open("d")
        with pytest.raises(ArchiveLimitError, match="no entry"):
            sz.open("nope")
        with pytest.raises(ArchiveLimitError, match="archive decompresses to more"):
            sz.read_bytes("data/a.bin")


# --------------------------------------------------------------------------- fuzzing


def _mutations() -> st.SearchStrategy[list[tuple[int, int]]]:
    return st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=_mutations(), cut=st.none() | st.integers(0, 10**6))
def test_fuzzed_archives_never_crash_or_escape(
    area: Path, mutations: list[tuple[int, int]], cut: int | None
) -> None:
    base = area / "in" / "base.zip"
    if not base.exists():
        make_zip(
            base, [(f"{NFC}/a.txt", b"hello" * 50), ("b/c.bin", bytes(range(256)) * 8), (symlink("l"), b"x")]
        )
        make_zip(area / "in" / "clean.zip", [(f"{NFC}/a.txt", b"hello" * 50), ("b/c.bin", bytes(range(256)))])
    source = (area / "in" / "clean.zip") if mutations[0][1] % 2 else base
    data = bytearray(source.read_bytes())
    for pos, value in mutations:
        data[pos % len(data)] = value
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    zpath = area / "in" / "fuzz.zip"
    zpath.write_bytes(bytes(data))
    inspect_zip(zpath, ZipLimits(max_total_uncompressed=1 << 20))  # must not raise
    dest = area / "out" / "pkg"
    before_in = tree(area / "in")
    try:
        safe_extract(zpath, dest, ZipLimits(max_total_uncompressed=1 << 20))
    except ArchiveLimitError:
        assert tree(area / "out") == []
    else:
        for p in dest.rglob("*"):
            assert not p.is_symlink()
            assert p.resolve().is_relative_to(dest.resolve())
        import shutil

        shutil.rmtree(dest)
    assert tree(area / "in") == before_in
    assert tree(area / "out") == []


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "goi.zip"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match=r"goi\.zip.*not a regular file"):
        inspect_zip(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        SafeZip(fifo)
