"""Where a package's signature lives and what it signs, for every serialisation (docs/signing.md).

* **What is signed.** A BagIt bag (a root with ``bagit.txt``, RFC 8493): its strongest
  tag manifest (``tagmanifest-sha512.txt`` before ``-sha384``, ``-sha256``, ``-sha224``),
  which lists ``bagit.txt``, ``bag-info.txt`` and the payload manifests (§2.2.1).
  Any other package (a root with ``METS.xml``, E-ARK CSIP / TT05): the root ``METS.xml``,
  which lists every file with its checksum, through the representation METS files.
* **Where the signature is.** :data:`SIGNATURE_PATH` (``signatures/package.p7s``),
  relative to the package root, for a folder, a bag and a ZIP alike (in a ZIP, a
  member at that path under the package root). No manifest or METS the signature
  covers may list it, since the signature cannot cover itself.

A package is read through a :class:`Source`: a folder on disk or a ZIP read
through :class:`luutru_aip._fs.SafeZip` (never extracted). Paths are POSIX,
relative to the package root.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import os
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Final, Protocol

import attrs

from luutru_aip._fs import SafeZip, fsync_dir
from luutru_aip._fs.atomic import atomic_file
from luutru_aip._fs.paths import check_package_path, display_name
from luutru_aip._fs.zips import EntryKind
from luutru_aip.errors import ArchiveLimitError, InputError, OutputExistsError
from luutru_aip.findings import Finding, Severity
from luutru_aip.fixity import VerifyItem, verify_many

__all__ = [
    "SIGNATURE_DIR",
    "SIGNATURE_PATH",
    "TAG_MANIFEST_ORDER",
    "DirSource",
    "FileEntry",
    "HashOutcome",
    "Kind",
    "PackageInfo",
    "Source",
    "ZipSource",
    "open_package",
    "signed_file_for",
    "write_signature",
]

#: The folder, relative to the package root, that holds signatures.
SIGNATURE_DIR: Final = "signatures"
#: The package signature: a detached CMS SignedData in DER (RFC 5652; ``.p7s`` as in RFC 8551 §3.2.1).
SIGNATURE_PATH: Final = "signatures/package.p7s"
#: Tag manifests in the order in which one is chosen to be signed (strongest first).
TAG_MANIFEST_ORDER: Final = ("sha512", "sha384", "sha256", "sha224", "sha1", "md5")
MAX_SIGNATURE: Final = 16 << 20
_COPY_CHUNK: Final = 1 << 20


class Kind(enum.Enum):
    """What kind of package: a BagIt bag or a METS-described package (E-ARK CSIP / TT05)."""

    BAG = "bag"
    METS = "mets"


@attrs.frozen(kw_only=True)
class FileEntry:
    """One entry of a package: its path, size, and whether it is a regular file."""

    path: str
    size: int
    regular: bool


@attrs.frozen(kw_only=True)
class HashOutcome:
    """The digests of one file (``digests``) or why it could not be read (``error``)."""

    path: str
    digests: Mapping[str, str] = attrs.field(factory=dict)
    error: str | None = None


class Source(Protocol):
    """Read access to a package, folder or ZIP, by package path."""

    label: str

    def entries(self) -> dict[str, FileEntry]: ...

    def read(self, rel: str, *, max_bytes: int) -> bytes: ...

    def hash(self, items: Sequence[tuple[str, Sequence[str]]], *, workers: int) -> Iterator[HashOutcome]: ...


class DirSource:
    """A package in a folder. Links and special files are listed as non-regular and never read."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.label = display_name(os.fspath(root))
        self._entries: dict[str, FileEntry] | None = None

    def entries(self) -> dict[str, FileEntry]:
        if self._entries is None:
            out: dict[str, FileEntry] = {}
            stack = [""]
            while stack:
                rel_dir = stack.pop()
                base = self.root / rel_dir if rel_dir else self.root
                try:
                    with os.scandir(base) as it:
                        items = list(it)
                except OSError:
                    continue
                for entry in items:
                    rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if stat.S_ISDIR(st.st_mode):
                        stack.append(rel)
                    else:
                        out[rel] = FileEntry(path=rel, size=st.st_size, regular=stat.S_ISREG(st.st_mode))
            self._entries = dict(sorted(out.items()))
        return self._entries

    def _path(self, rel: str) -> Path:
        if check_package_path(rel) is not None:
            raise InputError(f"unsafe package path {display_name(rel)}")
        return self.root.joinpath(*rel.split("/"))

    def read(self, rel: str, *, max_bytes: int) -> bytes:
        path = self._path(rel)
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | os.O_NONBLOCK
        fd = os.open(path, flags)
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise OSError(f"{display_name(rel)} is not a regular file")
            data = fh.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise OSError(f"{display_name(rel)} is larger than {max_bytes} bytes")
        return data

    def hash(self, items: Sequence[tuple[str, Sequence[str]]], *, workers: int) -> Iterator[HashOutcome]:
        by_algos: dict[tuple[str, ...], list[VerifyItem]] = {}
        names: dict[str, str] = {}
        entries = self.entries()
        for rel, algorithms in items:
            entry = entries.get(rel)
            if entry is None or not entry.regular:
                yield HashOutcome(path=rel, error="missing or not a regular file")
                continue
            full = os.fspath(self._path(rel))
            names[full] = rel
            by_algos.setdefault(tuple(sorted(set(algorithms))), []).append((full, entry.size, None))
        for algos, batch in by_algos.items():
            for result in verify_many(batch, algos, workers=workers):
                rel = names[result.path]
                if result.digest is None:
                    yield HashOutcome(path=rel, error=result.error or "unreadable")
                else:
                    yield HashOutcome(path=rel, digests=dict(result.digest.digests))


class ZipSource:
    """A package inside a ZIP, under ``prefix`` (``""`` or ``"<folder>/"``), read without extracting."""

    def __init__(self, archive: SafeZip, prefix: str) -> None:
        self.archive = archive
        self.prefix = prefix
        self.label = archive.label
        self._entries: dict[str, FileEntry] | None = None

    def entries(self) -> dict[str, FileEntry]:
        if self._entries is None:
            out: dict[str, FileEntry] = {}
            for entry in self.archive.entries:
                if entry.kind is EntryKind.DIRECTORY:
                    continue
                name = entry.path.raw if entry.path is not None else entry.name
                if self.prefix and not name.startswith(self.prefix):
                    rel = "../" + name  # outside the package folder: never covered
                else:
                    rel = name[len(self.prefix) :]
                out[rel] = FileEntry(path=rel, size=entry.file_size, regular=entry.kind is EntryKind.FILE)
            self._entries = dict(sorted(out.items()))
        return self._entries

    def read(self, rel: str, *, max_bytes: int) -> bytes:
        try:
            return self.archive.read_bytes(self.prefix + rel, max_bytes=max_bytes)
        except ArchiveLimitError as exc:
            raise OSError(str(exc)) from None

    def hash(self, items: Sequence[tuple[str, Sequence[str]]], *, workers: int) -> Iterator[HashOutcome]:
        del workers  # members are read one after another from the one archive handle
        entries = self.entries()
        for rel, algorithms in items:
            entry = entries.get(rel)
            if entry is None or not entry.regular:
                yield HashOutcome(path=rel, error="missing or not a regular file")
                continue
            hashers = {a: hashlib.new(a) for a in sorted(set(algorithms))}
            try:
                with self.archive.open(self.prefix + rel) as stream:
                    while chunk := stream.read(_COPY_CHUNK):
                        for h in hashers.values():
                            h.update(chunk)
            except (ArchiveLimitError, OSError) as exc:
                yield HashOutcome(path=rel, error=str(exc))
                continue
            yield HashOutcome(path=rel, digests={a: h.hexdigest() for a, h in hashers.items()})


@attrs.frozen(kw_only=True)
class PackageInfo:
    """An opened package: its kind, how it is stored, and the signed file chosen for it."""

    path: Path
    kind: Kind
    is_zip: bool
    prefix: str
    signed_file: str | None
    source: DirSource | ZipSource
    zip_findings: tuple[Finding, ...] = ()

    def close(self) -> None:
        if isinstance(self.source, ZipSource):
            self.source.archive.close()

    def __enter__(self) -> PackageInfo:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def signed_file_for(kind: Kind, names: Sequence[str]) -> str | None:
    """The file a package of ``kind`` signs, given the names at its root (``None`` if there is none)."""
    if kind is Kind.METS:
        return "METS.xml" if "METS.xml" in names else None
    for algorithm in TAG_MANIFEST_ORDER:
        name = f"tagmanifest-{algorithm}.txt"
        if name in names:
            return name
    return None


def _zip_prefix(archive: SafeZip) -> tuple[str, Kind] | None:
    names = {e.path.raw for e in archive.entries if e.path is not None and e.kind is EntryKind.FILE}
    for marker, kind in (("bagit.txt", Kind.BAG), ("METS.xml", Kind.METS)):
        if marker in names:
            return "", kind
    tops = {n.split("/", 1)[0] for n in names}
    if len(tops) == 1:
        top = next(iter(tops))
        for marker, kind in (("bagit.txt", Kind.BAG), ("METS.xml", Kind.METS)):
            if f"{top}/{marker}" in names:
                return top + "/", kind
    return None


def open_package(path: str | os.PathLike[str]) -> PackageInfo:
    """Open the package at ``path`` (a folder or a ``.zip``) for signing or verification.

    Raises :class:`~luutru_aip.errors.InputError` when ``path`` does not exist or is not a package
    (no ``bagit.txt`` and no ``METS.xml`` at its root or in the ZIP's one top folder).
    """
    root = Path(os.fspath(path))
    label = display_name(os.fspath(root))
    if not root.exists():
        raise InputError(f"{label} does not exist")
    if root.is_dir():
        names = sorted(p.name for p in root.iterdir())
        if "bagit.txt" in names:
            kind = Kind.BAG
        elif "METS.xml" in names:
            kind = Kind.METS
        else:
            raise InputError(f"{label} is not a package: it has neither bagit.txt nor METS.xml")
        return PackageInfo(
            path=root,
            kind=kind,
            is_zip=False,
            prefix="",
            signed_file=signed_file_for(kind, names),
            source=DirSource(root),
        )
    if not zipfile.is_zipfile(root):
        raise InputError(f"{label} is neither a folder nor a ZIP file")
    archive = SafeZip(root)
    try:
        found = _zip_prefix(archive)
        if found is None:
            raise InputError(
                f"{label} is not a packaged ZIP: "
                "no bagit.txt or METS.xml at its root or in its one top folder"
            )
        prefix, kind = found
        names = sorted(
            e.path.raw[len(prefix) :]
            for e in archive.entries
            if e.path is not None and e.path.raw.startswith(prefix) and "/" not in e.path.raw[len(prefix) :]
        )
        return PackageInfo(
            path=root,
            kind=kind,
            is_zip=True,
            prefix=prefix,
            signed_file=signed_file_for(kind, names),
            source=ZipSource(archive, prefix),
            zip_findings=tuple(f for f in archive.findings if f.severity >= Severity.ERROR),
        )
    except BaseException:
        archive.close()
        raise


# --------------------------------------------------------------------------- writing


def write_signature(package: PackageInfo, signature: bytes, *, overwrite: bool) -> None:
    """Store ``signature`` at :data:`SIGNATURE_PATH` atomically, changing nothing else in the package.

    A folder gets the file through a temporary sibling and a rename (``signatures/`` is created
    if needed, and removed again if the write fails). A ZIP is copied to a temporary sibling byte
    for byte and the signature member is appended, so every existing member stays exactly as it
    was; the copy replaces the original in one rename. Replacing a signature (``overwrite``)
    rewrites the archive without the old member: names, dates and contents of the other members
    are kept, their compressed bytes may differ.
    """
    if package.is_zip:
        _write_zip(package, signature, overwrite=overwrite)
        return
    folder = package.path / SIGNATURE_DIR
    made = False
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise InputError(f"{display_name(os.fspath(folder))} exists and is not a folder")
    if not folder.exists():
        folder.mkdir()
        made = True
    try:
        with atomic_file(folder / "package.p7s", "wb", overwrite=overwrite) as fh:
            fh.write(signature)
    except BaseException:
        if made:
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    if made:
        fsync_dir(package.path)


def _write_zip(package: PackageInfo, signature: bytes, *, overwrite: bool) -> None:
    member = package.prefix + SIGNATURE_PATH
    target = package.path
    existing = [e for e in package.source.archive.entries if e.name == member]  # type: ignore[union-attr]
    if existing and not overwrite:
        raise OutputExistsError(f"{display_name(os.fspath(target))} already has a signature (use overwrite)")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            if not existing:
                with target.open("rb") as src:
                    shutil.copyfileobj(src, out, _COPY_CHUNK)
        if existing:
            _rebuild_without(target, tmp, member)
        with zipfile.ZipFile(tmp, "a") as zf:
            info = zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o100644 << 16
            zf.writestr(info, signature)
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        tmp.chmod(target.stat().st_mode & 0o777)
        tmp.replace(target)
        fsync_dir(target.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _rebuild_without(source: Path, dest: Path, member: str) -> None:
    """Copy every member except ``member``, keeping names, dates, methods and content."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(dest, "w") as zout:
        zout.comment = zin.comment
        for info in zin.infolist():
            if info.filename == member:
                continue
            if info.is_dir():
                zout.writestr(info, b"")
                continue
            with zin.open(info) as src, zout.open(info, "w", force_zip64=info.file_size > 0x7FFF_FFFF) as dst:
                shutil.copyfileobj(src, dst, _COPY_CHUNK)
