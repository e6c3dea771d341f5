"""Safe reading and extraction of untrusted ZIP packages (TT05 / E-ARK CSIP zipped trees).

Implements PKWARE APPNOTE 6.3.10 §4.3 (structure), §4.4.4 (flags: bit 0
encryption, bit 11 UTF-8 names), §4.4.5 (methods), §4.4.17.1 (names: no
drive letter, no leading slash, forward slashes), §4.5.3 (Zip64 extra field),
§4.6.9 (Info-ZIP Unicode Path extra field) and Appendix D (name encoding),
plus the library's own limits against ZIP bombs. Rule codes ``ZIP0xx`` live
in ``data/rules/fs.toml``.

How it stays safe:

* :func:`inspect_zip` reads the central directory with its **own parser**,
  which never raises on bad content: every problem is a finding. It follows
  :mod:`zipfile`'s reading rules (end record, Zip64 records, "concat"
  offset) so both parsers see the same entries, and reports where an archive
  is ambiguous (a second end record, overlapping entries: the ingredients of
  "two tools see two different packages" attacks and of overlapping-entry
  ZIP bombs).
* Entry data is read only through :mod:`zipfile` (``ZipFile.open``), wrapped
  in a reader that counts the **actual** decompressed bytes and aborts with
  :class:`~luutru_aip.errors.ArchiveLimitError` (naming the archive and the
  entry) when an entry produces more than it declared, more than
  :attr:`ZipLimits.max_entry_size`, a ratio above :attr:`ZipLimits.max_ratio`,
  or the archive more than :attr:`ZipLimits.max_total_uncompressed`; and also
  when it produces *less* than declared (a header that lies either way).
* :func:`safe_extract` refuses an archive with any error finding, then
  writes into an :func:`~luutru_aip._fs.atomic.atomic_dir` temporary, creating
  only regular files and folders, with ``O_EXCL | O_NOFOLLOW``: it never
  writes outside the destination, never follows a link, never overwrites,
  and leaves nothing behind on failure. Unix modes from the archive are not
  applied (no set-uid, no executable bits).
* The archive is opened **once**; the same file descriptor serves the scan
  and the reads, so the file cannot be swapped between check and use.
"""

from __future__ import annotations

import contextlib
import enum
import io
import os
import stat
import struct
import unicodedata
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final

import attrs

from luutru_aip._fs.atomic import atomic_dir, fsync_dir
from luutru_aip._fs.paths import REASON_CODES, PackagePath, check_package_path, display_name
from luutru_aip.errors import ArchiveLimitError, InputError
from luutru_aip.findings import Finding, Severity, finding

__all__ = [
    "EntryKind",
    "ExtractResult",
    "SafeZip",
    "ZipEntryInfo",
    "ZipLimits",
    "inspect_zip",
    "safe_extract",
]

KiB: Final = 1 << 10
MiB: Final = 1 << 20
GiB: Final = 1 << 30
TiB: Final = 1 << 40

_SIG_LOCAL: Final = b"PK\x03\x04"
_SIG_CENTRAL: Final = b"PK\x01\x02"
_SIG_EOCD: Final = b"PK\x05\x06"
_SIG_EOCD64_LOC: Final = b"PK\x06\x07"
_SIG_EOCD64: Final = b"PK\x06\x06"
_EOCD: Final = struct.Struct("<4s4H2LH")  # 22 bytes (APPNOTE 4.3.16)
_EOCD64_LOC: Final = struct.Struct("<4sLQL")  # 20 bytes (4.3.15)
_EOCD64: Final = struct.Struct("<4sQ2H2L4Q")  # 56 bytes (4.3.14)
_CDH: Final = struct.Struct("<4s4B4HL2L5H2L")  # 46 bytes (4.3.12), same layout as zipfile's
_LOCAL_HEADER_SIZE: Final = 30
_MAX_EXTRACT_VERSION: Final = 63  # zipfile.MAX_EXTRACT_VERSION
_SUPPORTED_METHODS: Final = frozenset({0, 8, 12, 14})  # stored, deflate, bzip2, lzma
_AES_METHOD: Final = 99
_FLAG_ENCRYPTED: Final = 0x0001
_FLAG_STRONG_ENCRYPTION: Final = 0x0040
_FLAG_UTF8: Final = 0x0800
_EXTRA_ZIP64: Final = 0x0001
_EXTRA_UNICODE_PATH: Final = 0x7075
_U32: Final = 0xFFFF_FFFF
_CHUNK: Final = 1 * MiB
# Archive-level problems that make members unreadable through SafeZip.
_BLOCKING_ARCHIVE_CODES: Final = frozenset({"ZIP001", "ZIP002", "ZIP011", "ZIP021"})


@attrs.frozen(kw_only=True)
class ZipLimits:
    """Safety limits for reading an untrusted ZIP. Every limit is checked twice:
    against the sizes the archive *declares* (:func:`inspect_zip`) and against
    the bytes decompression *actually* produces (reads and extraction).

    The defaults suit national-archive packages (video and scans included);
    lower them for services that accept uploads from the public.
    """

    max_entries: int = attrs.field(default=1_000_000, validator=attrs.validators.gt(0))
    """Most entries (files and folders) in one archive."""
    max_total_uncompressed: int = attrs.field(default=2 * TiB, validator=attrs.validators.gt(0))
    """Most bytes all entries may decompress to together."""
    max_entry_size: int = attrs.field(default=1 * TiB, validator=attrs.validators.gt(0))
    """Most bytes one entry may decompress to."""
    max_ratio: float = attrs.field(default=200.0, validator=attrs.validators.gt(0))
    """Highest uncompressed/compressed ratio of one entry (deflate peaks near 1032)…"""
    ratio_min_size: int = attrs.field(default=1 * MiB, validator=attrs.validators.gt(0))
    """…checked only once an entry is larger than this (small files compress wildly and harmlessly)."""
    max_name_length: int = attrs.field(default=2048, validator=attrs.validators.gt(0))
    """Longest entry name, in stored bytes."""


class EntryKind(enum.Enum):
    """What an entry would become when extracted."""

    FILE = "file"
    DIRECTORY = "directory"
    SYMLINK = "symlink"
    OTHER = "other"  # fifo, device, socket


@attrs.frozen(kw_only=True)
class ZipEntryInfo:
    """One central-directory entry, as the archive declares it (sizes are claims, not facts)."""

    index: int
    """Position in the central directory (0-based)."""
    name: str
    """The decoded name (see :attr:`encoding`)."""
    raw_name: bytes
    encoding: str
    """``ascii``, ``utf-8`` (flagged), ``utf-8-extra`` (Unicode Path extra field),
    ``utf-8-unflagged``, ``cp437`` (legacy) or ``invalid`` (flagged UTF-8 but not UTF-8)."""
    path: PackagePath | None
    """The safe package path (folders without their trailing ``/``), ``None`` if the name is unsafe."""
    kind: EntryKind
    mode: int | None
    """Unix mode from the external attributes, when the archive recorded one."""
    method: int
    flags: int
    crc: int
    compressed_size: int
    file_size: int
    header_offset: int
    """Absolute offset of the local header in the file."""

    @property
    def encrypted(self) -> bool:
        return bool(self.flags & (_FLAG_ENCRYPTED | _FLAG_STRONG_ENCRYPTION)) or self.method == _AES_METHOD

    @property
    def display(self) -> str:
        """:attr:`name`, safe to print."""
        return display_name(self.name)


@attrs.frozen(kw_only=True)
class ExtractResult:
    """What :func:`safe_extract` made."""

    dest: Path
    entries: tuple[ZipEntryInfo, ...]
    findings: tuple[Finding, ...]
    """The non-error findings (collision warnings, legacy-encoding notes)."""
    bytes_written: int


# --------------------------------------------------------------------------- scanning


@attrs.define
class _Scan:
    archive: str
    entries: list[ZipEntryInfo] = attrs.field(factory=list)
    findings: list[Finding] = attrs.field(factory=list)
    archive_errors: set[str] = attrs.field(factory=set)
    entry_errors: dict[int, list[str]] = attrs.field(factory=lambda: defaultdict(list))

    def archive_finding(self, code: str, **params: Any) -> None:
        f = finding(code, archive=self.archive, **params)
        self.findings.append(f)
        if f.severity >= Severity.ERROR:
            self.archive_errors.add(code)

    def entry_finding(self, code: str, index: int, name: str, **params: Any) -> None:
        f = finding(code, path=display_name(name), archive=self.archive, entry=display_name(name), **params)
        self.findings.append(f)
        if f.severity >= Severity.ERROR:
            self.entry_errors[index].append(code)


class _Stop(Exception):
    """Internal: the scan cannot go on (the finding is already recorded)."""


def _find_end_record(fh: IO[bytes], size: int) -> tuple[int, bytes] | None:
    """Position and bytes of the end record, chosen exactly as :mod:`zipfile` chooses it."""
    if size < _EOCD.size:
        return None
    fh.seek(size - _EOCD.size)
    data = fh.read(_EOCD.size)
    if data[:4] == _SIG_EOCD and data[-2:] == b"\0\0":
        return size - _EOCD.size, data
    start = max(size - (1 << 16) - _EOCD.size, 0)
    fh.seek(start)
    tail = fh.read()
    pos = tail.rfind(_SIG_EOCD)
    if pos < 0 or pos + _EOCD.size > len(tail):
        return None
    return start + pos, tail[pos : pos + _EOCD.size]


def _decode_name(raw: bytes, flags: int, extra_fields: dict[int, bytes]) -> tuple[str, str]:
    if flags & _FLAG_UTF8:
        try:
            return raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            return raw.decode("utf-8", "backslashreplace"), "invalid"
    if raw.isascii():
        return raw.decode("ascii"), "ascii"
    unicode_path = extra_fields.get(_EXTRA_UNICODE_PATH)
    if unicode_path is not None and len(unicode_path) >= 5 and unicode_path[0] == 1:
        (name_crc,) = struct.unpack_from("<L", unicode_path, 1)
        if name_crc == zlib.crc32(raw):
            try:
                return unicode_path[5:].decode("utf-8"), "utf-8-extra"
            except UnicodeDecodeError:
                pass
    try:
        return raw.decode("utf-8"), "utf-8-unflagged"
    except UnicodeDecodeError:
        return raw.decode("cp437"), "cp437"


def _parse_extra(extra: bytes) -> dict[int, bytes] | None:
    """Extra fields by id (first of each), or ``None`` when the block is malformed (as zipfile sees it)."""
    fields: dict[int, bytes] = {}
    pos = 0
    while len(extra) - pos >= 4:
        tag, length = struct.unpack_from("<HH", extra, pos)
        if pos + 4 + length > len(extra):
            return None
        fields.setdefault(tag, extra[pos + 4 : pos + 4 + length])
        pos += 4 + length
    return fields


def _entry_kind(name: str, external_attr: int) -> tuple[EntryKind, int | None]:
    mode = external_attr >> 16
    fmt = stat.S_IFMT(mode)
    unix_mode = mode if mode else None
    if fmt == stat.S_IFLNK:
        return EntryKind.SYMLINK, unix_mode
    if fmt in (0, stat.S_IFREG, stat.S_IFDIR):
        if name.endswith("/") or fmt == stat.S_IFDIR:
            return EntryKind.DIRECTORY, unix_mode
        return EntryKind.FILE, unix_mode
    return EntryKind.OTHER, unix_mode


def _form(text: str) -> str:
    if unicodedata.is_normalized("NFC", text):
        return "NFC"
    if unicodedata.is_normalized("NFD", text):
        return "NFD"
    return "mixed"


def _scan(fh: IO[bytes], size: int, archive: str, limits: ZipLimits) -> _Scan:
    scan = _Scan(archive=archive)
    with contextlib.suppress(_Stop):
        _scan_structure(fh, size, scan, limits)
    _check_entries(scan, limits)  # whatever entries could be read
    return scan


def _scan_structure(fh: IO[bytes], size: int, scan: _Scan, limits: ZipLimits) -> None:
    found = _find_end_record(fh, size)
    if found is None:
        fh.seek(0)
        head = fh.read(4)
        if head in (_SIG_LOCAL, _SIG_EOCD, b"PK\x07\x08"):
            scan.archive_finding("ZIP002", reason="no_end_record")
        else:
            scan.archive_finding("ZIP001")
        raise _Stop
    eocd_pos, eocd = found
    _sig, disk, disk_cd, n_disk, n_total, cd_size, cd_offset, comment_len = _EOCD.unpack(eocd)
    if eocd_pos + _EOCD.size + comment_len != size:
        scan.archive_finding("ZIP002", reason="end_record_mismatch")
    zip64 = False
    if eocd_pos >= _EOCD64_LOC.size:
        fh.seek(eocd_pos - _EOCD64_LOC.size)
        loc = fh.read(_EOCD64_LOC.size)
        sig, loc_disk, _off, disks = _EOCD64_LOC.unpack(loc)
        if sig == _SIG_EOCD64_LOC:
            if loc_disk != 0 or disks > 1:
                scan.archive_finding("ZIP021")
                raise _Stop
            rec_pos = eocd_pos - _EOCD64_LOC.size - _EOCD64.size
            if rec_pos >= 0:
                fh.seek(rec_pos)
                rec = _EOCD64.unpack(fh.read(_EOCD64.size))
                if rec[0] == _SIG_EOCD64:
                    zip64 = True
                    disk, disk_cd, n_disk, n_total, cd_size, cd_offset = rec[4:10]
    if disk != 0 or disk_cd != 0 or n_disk != n_total:
        scan.archive_finding("ZIP021")
        raise _Stop
    if n_total > limits.max_entries:
        scan.archive_finding("ZIP011", count=n_total, limit=limits.max_entries)
        raise _Stop
    concat = eocd_pos - cd_size - cd_offset - (_EOCD64.size + _EOCD64_LOC.size if zip64 else 0)
    start_dir = cd_offset + concat
    if concat < 0 or start_dir < 0:
        scan.archive_finding("ZIP002", reason="central_directory_out_of_range")
        raise _Stop
    _read_central_directory(fh, scan, limits, start_dir=start_dir, cd_size=cd_size, concat=concat)
    count = len(scan.entries)
    if count != n_total and (zip64 or count % 0x10000 != n_total):
        scan.archive_finding("ZIP002", reason="entry_count_mismatch")
    _check_ranges(scan, start_dir)


def _read_central_directory(
    fh: IO[bytes], scan: _Scan, limits: ZipLimits, *, start_dir: int, cd_size: int, concat: int
) -> None:
    fh.seek(start_dir)
    total = 0
    while total < cd_size:
        header = fh.read(_CDH.size)
        if len(header) != _CDH.size:
            scan.archive_finding("ZIP002", reason="truncated_central_directory")
            raise _Stop
        fields = _CDH.unpack(header)
        if fields[0] != _SIG_CENTRAL:
            scan.archive_finding("ZIP002", reason="bad_central_signature")
            raise _Stop
        (_, _cv, _cs, extract_version, _res, flags, method, _t, _d, crc, csize, usize,
         nlen, xlen, clen, _disk, _iattr, eattr, offset) = fields  # fmt: skip
        raw = fh.read(nlen)
        extra = fh.read(xlen)
        comment = fh.read(clen)
        total += _CDH.size + nlen + xlen + clen
        if len(raw) != nlen or len(extra) != xlen or len(comment) != clen or total > cd_size:
            scan.archive_finding("ZIP002", reason="truncated_central_directory")
            raise _Stop
        index = len(scan.entries)
        if index >= limits.max_entries:
            scan.archive_finding("ZIP011", count=index + 1, limit=limits.max_entries)
            raise _Stop
        extra_fields = _parse_extra(extra)
        name, encoding = _decode_name(raw, flags, extra_fields or {})
        if extra_fields is None:
            scan.entry_finding("ZIP002", index, name, reason="bad_extra_field")
            scan.archive_errors.add("ZIP002")  # zipfile cannot open such an archive at all
            extra_fields = {}
        if extract_version > _MAX_EXTRACT_VERSION:
            scan.entry_finding("ZIP002", index, name, reason="unsupported_version")
            scan.archive_errors.add("ZIP002")
        zip64_data = extra_fields.get(_EXTRA_ZIP64)
        if zip64_data is not None:
            pos = 0
            try:
                if usize == _U32:
                    (usize,) = struct.unpack_from("<Q", zip64_data, pos)
                    pos += 8
                if csize == _U32:
                    (csize,) = struct.unpack_from("<Q", zip64_data, pos)
                    pos += 8
                if offset == _U32:
                    (offset,) = struct.unpack_from("<Q", zip64_data, pos)
            except struct.error:
                scan.entry_finding("ZIP002", index, name, reason="bad_zip64_field")
                scan.archive_errors.add("ZIP002")
        kind, mode = _entry_kind(name, eattr)
        scan.entries.append(
            ZipEntryInfo(
                index=index,
                name=name,
                raw_name=raw,
                encoding=encoding,
                path=None,
                kind=kind,
                mode=mode,
                method=method,
                flags=flags,
                crc=crc,
                compressed_size=csize,
                file_size=usize,
                header_offset=offset + concat,
            )
        )


def _check_ranges(scan: _Scan, start_dir: int) -> None:
    """ZIP020: every entry's data must lie before the central directory and not overlap another's."""
    ordered = sorted(scan.entries, key=lambda e: (e.header_offset, e.index))
    previous_end = 0
    for entry in ordered:
        end = entry.header_offset + _LOCAL_HEADER_SIZE + len(entry.raw_name) + entry.compressed_size
        if entry.header_offset < 0 or end > start_dir:
            scan.entry_finding("ZIP020", entry.index, entry.name, reason="out_of_range")
        elif entry.header_offset < previous_end:
            scan.entry_finding("ZIP020", entry.index, entry.name, reason="overlap")
        previous_end = max(previous_end, end)


def _check_entries(scan: _Scan, limits: ZipLimits) -> None:
    total = 0
    with_paths: list[ZipEntryInfo] = []
    for i, entry in enumerate(scan.entries):
        idx, name = entry.index, entry.name
        if entry.encoding == "invalid":
            scan.entry_finding("ZIP016", idx, name)
        elif entry.encoding == "cp437":
            scan.entry_finding("ZIP017", idx, name)
        elif entry.encoding == "utf-8-unflagged":
            scan.entry_finding("ZIP018", idx, name)
        if len(entry.raw_name) > limits.max_name_length:
            scan.entry_finding("ZIP015", idx, name, length=len(entry.raw_name), limit=limits.max_name_length)
        text = name[:-1] if entry.kind is EntryKind.DIRECTORY and name.endswith("/") else name
        reason = None if entry.encoding == "invalid" else check_package_path(text)
        if entry.encoding == "invalid":
            pass  # ZIP016 already says the name is unusable
        elif reason is not None:
            scan.entry_finding("ZIP003", idx, name, reason=reason, path_rule=REASON_CODES[reason])
        else:
            entry = attrs.evolve(entry, path=PackagePath(text))
            scan.entries[i] = entry
            with_paths.append(entry)
        if entry.kind is EntryKind.SYMLINK:
            scan.entry_finding("ZIP004", idx, name)
        elif entry.kind is EntryKind.OTHER:
            scan.entry_finding("ZIP005", idx, name, mode=f"{entry.mode or 0:o}")
        if entry.encrypted:
            scan.entry_finding("ZIP006", idx, name)
        elif entry.kind is not EntryKind.DIRECTORY and entry.method not in _SUPPORTED_METHODS:
            scan.entry_finding("ZIP019", idx, name, method=entry.method)
        if entry.kind is EntryKind.DIRECTORY:
            continue
        total += entry.file_size
        if entry.file_size > limits.max_entry_size:
            scan.entry_finding("ZIP013", idx, name, size=entry.file_size, limit=limits.max_entry_size)
        if entry.file_size > limits.ratio_min_size and (
            entry.file_size > entry.compressed_size * limits.max_ratio
        ):
            ratio = round(entry.file_size / max(entry.compressed_size, 1), 1)
            scan.entry_finding("ZIP014", idx, name, ratio=ratio, limit=limits.max_ratio)
    if total > limits.max_total_uncompressed:
        scan.archive_finding("ZIP012", total=total, limit=limits.max_total_uncompressed)
    _check_names(scan, with_paths)


def _check_names(scan: _Scan, entries: Sequence[ZipEntryInfo]) -> None:
    """ZIP007 duplicates, ZIP010 file/folder conflicts, ZIP008/ZIP009 normalisation and case collisions."""
    by_raw: dict[str, list[ZipEntryInfo]] = defaultdict(list)
    folders: set[str] = set()
    every: set[PackagePath] = set()
    for entry in entries:
        assert entry.path is not None
        by_raw[entry.path.raw].append(entry)
        every.add(entry.path)
        for parent in entry.path.parents():
            folders.add(parent.raw)
            every.add(parent)
        if entry.kind is EntryKind.DIRECTORY:
            folders.add(entry.path.raw)
    for raw, group in sorted(by_raw.items()):
        non_dirs = [e for e in group if e.kind is not EntryKind.DIRECTORY]
        for entry in non_dirs[1:]:
            scan.entry_finding("ZIP007", entry.index, entry.name, count=len(non_dirs))
        if non_dirs and raw in folders:
            first = non_dirs[0]
            scan.entry_finding("ZIP010", first.index, first.name)
    _collisions(scan, every)


def _collisions(scan: _Scan, paths: Iterable[PackagePath]) -> None:
    by_nfc: dict[str, set[PackagePath]] = defaultdict(set)
    by_key: dict[str, set[str]] = defaultdict(set)
    for p in paths:
        by_nfc[p.nfc].add(p)
        by_key[p.collision_key].add(p.nfc)
    for nfc, group in sorted(by_nfc.items()):
        # Report only where the *last* segment differs; a clash of the folders is reported for them.
        if len({p.name for p in group}) < 2:
            continue
        first, second = sorted(group)[:2]
        scan.findings.append(
            finding(
                "ZIP008",
                path=display_name(nfc),
                archive=scan.archive,
                entry=display_name(first.raw),
                other=display_name(second.raw),
                entry_form=_form(first.raw),
                other_form=_form(second.raw),
                count=len(group),
            )
        )
    for _key, nfcs in sorted(by_key.items()):
        if len({n.rpartition("/")[2] for n in nfcs}) < 2:
            continue
        first_nfc, second_nfc = sorted(nfcs)[:2]
        scan.findings.append(
            finding(
                "ZIP009",
                path=display_name(first_nfc),
                archive=scan.archive,
                entry=display_name(first_nfc),
                other=display_name(second_nfc),
                count=len(nfcs),
            )
        )


# --------------------------------------------------------------------------- public: inspect


def _open_archive(path: Path) -> tuple[IO[bytes], int]:
    # O_NONBLOCK: opening a FIFO (or a device) must not hang before the regular-file check below;
    # it has no effect on reads from a regular file.
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise InputError(f"cannot open ZIP {os.fspath(path)}: {exc.strerror or exc}") from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"cannot open ZIP {os.fspath(path)}: not a regular file")
        fh = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    return fh, st.st_size


def inspect_zip(path: Path, limits: ZipLimits | None = None) -> tuple[list[ZipEntryInfo], list[Finding]]:
    """The entries of the ZIP at ``path`` and every problem found in its structure and names.

    Reads only the central directory (no entry data), so it is fast even on
    huge archives. Never raises on bad content: a damaged or hostile archive
    gives findings (``ZIP0xx``). Raises :class:`~luutru_aip.errors.InputError`
    only when the file cannot be opened or read at all.
    """
    limits = ZipLimits() if limits is None else limits
    path = Path(path)
    fh, size = _open_archive(path)
    with fh:
        try:
            scan = _scan(fh, size, display_name(os.fspath(path)), limits)
        except OSError as exc:
            raise InputError(f"cannot read ZIP {os.fspath(path)}: {exc.strerror or exc}") from exc
    return scan.entries, scan.findings


# --------------------------------------------------------------------------- reading


@attrs.define
class _Budget:
    limit: int
    used: int = 0


class _LimitedReader(io.RawIOBase):
    """Counts the bytes an inner decompressing stream really produces and enforces the limits."""

    def __init__(
        self,
        inner: IO[bytes],
        *,
        archive: str,
        entry: str,
        declared_size: int,
        compressed_size: int,
        limits: ZipLimits,
        budget: _Budget,
    ) -> None:
        super().__init__()
        self._inner = inner
        self._archive = archive
        self._entry = entry
        self._declared = declared_size
        self._compressed = compressed_size
        self._limits = limits
        self._budget = budget
        self.count = 0
        self._done = False

    def _fail(self, what: str) -> ArchiveLimitError:
        return ArchiveLimitError(f"ZIP {self._archive}, entry '{self._entry}': {what}")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        if self._done:
            return 0
        view = memoryview(buffer).cast("B")
        try:
            data = self._inner.read(min(len(view), _CHUNK))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, ValueError,
                NotImplementedError, LookupError) as exc:  # fmt: skip
            raise self._fail(f"damaged or unreadable data ({type(exc).__name__}: {exc})") from exc
        n = len(data)
        if n == 0:
            self._done = True
            if self.count != self._declared:
                raise self._fail(f"declares {self._declared} bytes but holds {self.count}")
            return 0
        self._account(n)
        view[:n] = data
        return n

    def _account(self, n: int) -> None:
        limits = self._limits
        self.count += n
        self._budget.used += n
        if self.count > self._declared:
            raise self._fail(f"produces more than the {self._declared} bytes it declares")
        if self.count > limits.max_entry_size:
            raise self._fail(f"larger than the limit of {limits.max_entry_size} bytes")
        if self.count > limits.ratio_min_size and self.count > self._compressed * limits.max_ratio:
            raise self._fail(f"compression ratio above the limit of {limits.max_ratio}")
        if self._budget.used > self._budget.limit:
            raise self._fail(f"archive decompresses to more than the limit of {self._budget.limit} bytes")

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()


class SafeZip:
    """An untrusted ZIP opened for reading members without extracting them.

    ``SafeZip(path)`` scans the archive at once (see :func:`inspect_zip`);
    :attr:`entries` and :attr:`findings` are the result. Never raises on
    bad content: a hostile archive still opens, and :meth:`open` then refuses
    the members that are unsafe to read. All reads share one budget of
    actual decompressed bytes (:attr:`ZipLimits.max_total_uncompressed`).
    Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, path: Path, *, limits: ZipLimits | None = None) -> None:
        self.path = Path(path)
        self.limits = ZipLimits() if limits is None else limits
        self._label = display_name(os.fspath(self.path))
        self._fh, size = _open_archive(self.path)
        try:
            scan = _scan(self._fh, size, self._label, self.limits)
        except BaseException as exc:
            self._fh.close()
            if isinstance(exc, OSError):
                raise InputError(f"cannot read ZIP {os.fspath(self.path)}: {exc.strerror or exc}") from exc
            raise
        self.entries: tuple[ZipEntryInfo, ...] = tuple(scan.entries)
        self.findings: tuple[Finding, ...] = tuple(scan.findings)
        self._archive_errors = frozenset(scan.archive_errors)
        self._entry_errors = {k: tuple(v) for k, v in scan.entry_errors.items()}
        self._by_path = {e.path.raw: e for e in self.entries if e.path is not None}
        self._zf: zipfile.ZipFile | None = None
        self._budget = _Budget(self.limits.max_total_uncompressed)

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._zf is not None:
            self._zf.close()
        self._fh.close()

    @property
    def label(self) -> str:
        """The archive's path, safe to print."""
        return self._label

    @property
    def errors(self) -> tuple[Finding, ...]:
        """The findings at error severity."""
        return tuple(f for f in self.findings if f.severity >= Severity.ERROR)

    def entry(self, name: str | PackagePath) -> ZipEntryInfo:
        """The entry whose package path is ``name``; :class:`KeyError` if there is none."""
        return self._by_path[str(name)]

    def _zipfile(self) -> zipfile.ZipFile:
        if self._zf is not None:
            return self._zf
        if self._archive_errors & _BLOCKING_ARCHIVE_CODES:
            codes = ", ".join(sorted(self._archive_errors & _BLOCKING_ARCHIVE_CODES))
            raise ArchiveLimitError(f"ZIP {self._label} cannot be read safely ({codes})")
        try:
            self._fh.seek(0)
            zf = zipfile.ZipFile(self._fh)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, struct.error,
                UnicodeDecodeError, EOFError) as exc:  # fmt: skip
            raise ArchiveLimitError(f"ZIP {self._label} cannot be read: {exc}") from exc
        infos = zf.infolist()
        same = len(infos) == len(self.entries) and all(
            (i.CRC, i.compress_size, i.file_size, i.header_offset, i.flag_bits, i.compress_type)
            == (e.crc, e.compressed_size, e.file_size, e.header_offset, e.flags, e.method)
            for i, e in zip(infos, self.entries, strict=False)
        )
        if not same:
            zf.close()
            raise ArchiveLimitError(f"ZIP {self._label} is ambiguous: two readers see different entries")
        self._zf = zf
        return zf

    def open(self, entry: ZipEntryInfo | str | PackagePath) -> io.BufferedReader:
        """A stream of the decompressed bytes of a regular-file entry, with the limits enforced.

        Raises :class:`~luutru_aip.errors.ArchiveLimitError` (naming the
        archive and entry) if the entry is unsafe to read (unsafe name, link,
        encrypted, unsupported method, overlapping, …) or while reading, when
        a limit is exceeded or the data is damaged (CRC, size mismatch).
        """
        if not isinstance(entry, ZipEntryInfo):
            entry = self._lookup(entry)
        label = entry.display
        problems = self._entry_errors.get(entry.index, ())
        if problems:
            raise ArchiveLimitError(
                f"ZIP {self._label}, entry '{label}': refused ({', '.join(sorted(set(problems)))})"
            )
        if entry.kind is not EntryKind.FILE:
            raise ArchiveLimitError(f"ZIP {self._label}, entry '{label}': not a regular file")
        zf = self._zipfile()
        info = zf.infolist()[entry.index]
        try:
            inner = zf.open(info)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError,
                struct.error, UnicodeDecodeError, EOFError, LookupError) as exc:  # fmt: skip
            raise ArchiveLimitError(f"ZIP {self._label}, entry '{label}': cannot be read: {exc}") from exc
        raw = _LimitedReader(
            inner,
            archive=self._label,
            entry=label,
            declared_size=entry.file_size,
            compressed_size=entry.compressed_size,
            limits=self.limits,
            budget=self._budget,
        )
        return io.BufferedReader(raw, buffer_size=256 * KiB)

    def read_bytes(self, entry: ZipEntryInfo | str | PackagePath, *, max_bytes: int | None = None) -> bytes:
        """The whole decompressed content of an entry (for small members such as METS.xml).

        ``max_bytes`` refuses, before reading, an entry that declares more.
        """
        info = entry if isinstance(entry, ZipEntryInfo) else self._lookup(entry)
        if max_bytes is not None and info.file_size > max_bytes:
            raise ArchiveLimitError(
                f"ZIP {self._label}, entry '{info.display}': {info.file_size} bytes, more than {max_bytes}"
            )
        with self.open(info) as stream:
            return stream.read()

    def _lookup(self, name: str | PackagePath) -> ZipEntryInfo:
        try:
            return self.entry(name)
        except KeyError:
            raise ArchiveLimitError(f"ZIP {self._label} has no entry '{display_name(str(name))}'") from None


# --------------------------------------------------------------------------- extraction


def _make_dirs(root: Path, parts: Sequence[str], made: set[Path], *, archive: str, entry: str) -> None:
    current = root
    for part in parts:
        current = current / part
        if current in made:
            continue
        try:
            current.mkdir(0o777)
        except FileExistsError:
            if not stat.S_ISDIR(os.lstat(current).st_mode):
                raise ArchiveLimitError(
                    f"ZIP {archive}, entry '{entry}': '{display_name(part)}' is both a file and a folder"
                ) from None
        made.add(current)


def _write_member(stream: io.BufferedReader, target: Path, *, archive: str, entry: str) -> int:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(target, flags, 0o666)
    except FileExistsError:
        raise ArchiveLimitError(
            f"ZIP {archive}, entry '{entry}': a file of that name was already extracted "
            "(names that clash on this file system)"
        ) from None
    written = 0
    try:
        buffer = bytearray(_CHUNK)
        view = memoryview(buffer)
        while True:
            n = stream.readinto(view)
            if not n:
                break
            pos = 0
            while pos < n:
                pos += os.write(fd, view[pos:n])
            written += n
        os.fsync(fd)
    finally:
        os.close(fd)
    return written


def safe_extract(
    path: Path, dest: Path, limits: ZipLimits | None = None, *, overwrite: bool = False
) -> ExtractResult:
    """Extract the ZIP at ``path`` into the new folder ``dest``, safely and atomically.

    Refuses, with :class:`~luutru_aip.errors.ArchiveLimitError`, an archive
    with any error finding (the message names the archive, the first entry
    and code). While extracting, actual decompressed bytes are counted and a
    limit breach aborts with :class:`~luutru_aip.errors.ArchiveLimitError`.
    ``dest`` appears only complete; on any failure nothing is left (see
    :func:`~luutru_aip._fs.atomic.atomic_dir`, which also gives the
    ``overwrite`` semantics). Only regular files and folders are created;
    modes and times from the archive are not applied.
    """
    limits = ZipLimits() if limits is None else limits
    with SafeZip(path, limits=limits) as archive:
        errors = archive.errors
        if errors:
            first = errors[0]
            where = f", entry '{first.location.path}'" if first.location.path else ""
            raise ArchiveLimitError(
                f"refusing to extract ZIP {archive.label}: {len(errors)} safety problem(s); "
                f"first {first.code}{where}: {first.message('en')}"
            )
        made: set[Path] = set()
        written = 0
        with atomic_dir(Path(dest), overwrite=overwrite, sync=False) as tmp:
            made.add(tmp)
            for entry in archive.entries:
                assert entry.path is not None  # guaranteed: unsafe names are errors
                parts = entry.path.parts
                if entry.kind is EntryKind.DIRECTORY:
                    _make_dirs(tmp, parts, made, archive=archive.label, entry=entry.display)
                    continue
                _make_dirs(tmp, parts[:-1], made, archive=archive.label, entry=entry.display)
                with archive.open(entry) as stream:
                    written += _write_member(
                        stream, tmp.joinpath(*parts), archive=archive.label, entry=entry.display
                    )
            for folder in sorted(made, key=lambda p: len(p.parts), reverse=True):
                fsync_dir(folder)
        kept = tuple(f for f in archive.findings if f.severity < Severity.ERROR)
        return ExtractResult(dest=Path(dest), entries=archive.entries, findings=kept, bytes_written=written)
