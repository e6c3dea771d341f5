"""Where a package's bytes come from: a folder, a ZIP read in place, or the payload of a BagIt bag.

E-ARK CSIP §4 (CSIPSTR1, CSIPSTR3): an information package is one root folder, possibly
compressed. The validator reads both forms through one small interface,
:class:`PackageSource`, so every check is written once:

* :class:`FolderSource` walks the folder with :func:`os.scandir` (never following a link,
  never opening a FIFO or device) and keeps one ``path → size`` index;
* :class:`ZipSource` reads a ZIP **in place** through :class:`luutru_aip._fs.SafeZip`, under its
  limits (entry count, sizes, compression ratio, total bytes actually decompressed). Nothing is
  extracted; a member that a check must hand to a library that only takes file names (a PDF for
  pikepdf) is copied to a private temporary folder (mode 0700) and deleted at once.

Paths inside a source are POSIX, relative to the *package root* (the folder holding the root
``METS.xml``). :meth:`PackageSource.show` turns one into the path reported in findings, which
is relative to what the user named (``data/…`` inside a bag, ``<root folder>/…`` inside a ZIP).

Index memory is proportional to the number of files (a few dozen bytes each), never to their size.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Final

import attrs

from luutru_aip._fs.paths import check_package_path, display_name
from luutru_aip._fs.zips import EntryKind, SafeZip, ZipEntryInfo, ZipLimits
from luutru_aip.errors import ArchiveLimitError, InputError, LuutruError
from luutru_aip.findings import Finding, Severity

__all__ = [
    "ALGORITHM_NAMES",
    "FolderSource",
    "PackageSource",
    "SourceEntry",
    "ZipSource",
    "algorithm_key",
    "is_zip_file",
]

#: METS CHECKSUMTYPE and PREMIS messageDigestAlgorithm spellings → :mod:`luutru_aip.fixity` names.
ALGORITHM_NAMES: Final = {
    "md5": "md5",
    "sha1": "sha1",
    "sha224": "sha224",
    "sha256": "sha256",
    "sha384": "sha384",
    "sha512": "sha512",
}
_CHUNK: Final = 1 << 20


def algorithm_key(text: str) -> str | None:
    """``"SHA-256"``, ``"sha256"``, ``"SHA256"`` → ``"sha256"``; ``None`` when not computable here."""
    key = text.strip().lower().replace("-", "").replace("_", "").replace(" ", "")
    return ALGORITHM_NAMES.get(key)


def is_zip_file(path: str | os.PathLike[str]) -> bool:
    """True for a regular file that starts like a ZIP (local header, empty archive or spanned marker)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        head = os.pread(fd, 4, 0)
    finally:
        os.close(fd)
    return head in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")


@attrs.frozen
class SourceEntry:
    """One name found in the package: a regular ``file``, a ``dir``, a ``link`` or an ``other`` node."""

    path: str
    kind: str
    size: int = 0


def _nfc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFC", text)


class PackageSource:
    """Read access to one package. Subclasses fill :attr:`files` and :attr:`dirs` in :meth:`scan`."""

    kind: str = "folder"

    def __init__(self, *, label: str, prefix: str = "") -> None:
        self.label = label
        self.prefix = prefix
        self.files: dict[str, int] = {}
        self.dirs: set[str] = set()
        self.others: dict[str, str] = {}  # path → "link" | "other" (never read)
        self.findings: list[Finding] = []
        self._aliases: dict[str, str] | None = None

    # ------------------------------------------------------------------ naming

    def show(self, rel: str) -> str:
        """The path of ``rel`` as reported in findings (relative to what the user named), safe to print."""
        return display_name(self.prefix + rel)

    @property
    def root_name(self) -> str:
        """The name of the package root folder (CSIPSTR2 compares it with OBJID)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ look-ups

    def exists(self, rel: str) -> bool:
        return rel in self.files

    def is_dir(self, rel: str) -> bool:
        return rel == "" or rel in self.dirs

    def size(self, rel: str) -> int:
        return self.files[rel]

    def lookup_loose(self, rel: str) -> str | None:
        """The stored name equal to ``rel`` after NFC normalisation (NFC/NFD spellings), or ``None``."""
        if self._aliases is None:
            self._aliases = {}
            for name in self.files:
                key = _nfc(name)
                if key != name or not name.isascii():
                    self._aliases.setdefault(key, name)
        return self._aliases.get(_nfc(rel))

    def iter_files(self, under: str = "") -> Iterator[str]:
        """Every regular file at or below folder ``under`` (``""`` = the whole package), sorted."""
        base = under.rstrip("/") + "/" if under else ""
        for name in sorted(self.files):
            if name.startswith(base):
                yield name

    def children(self, folder: str) -> tuple[list[str], list[str]]:
        """The immediate (files, sub-folders) names of ``folder``."""
        base = folder.rstrip("/") + "/" if folder else ""
        files = sorted(
            {n[len(base) :] for n in self.files if n.startswith(base) and "/" not in n[len(base) :]}
        )
        subs = sorted(
            {
                d[len(base) :]
                for d in self.dirs
                if d.startswith(base) and d != folder and "/" not in d[len(base) :]
            }
        )
        return files, subs

    # ------------------------------------------------------------------ reading

    def read_bytes(self, rel: str, *, max_bytes: int) -> bytes:
        """The content of a small file; :class:`~luutru_aip.errors.InputError` if unreadable or too big."""
        raise NotImplementedError

    def fs_path(self, rel: str) -> str | None:
        """A real file-system path for ``rel`` (folders), or ``None`` (ZIP members)."""
        return None

    @contextlib.contextmanager
    def as_file(self, rel: str) -> Iterator[str]:
        """A file name holding ``rel``'s bytes, for libraries that only open names (pikepdf)."""
        direct = self.fs_path(rel)
        if direct is not None:
            yield direct
            return
        tmpdir = tempfile.mkdtemp(prefix="luutru-validate-")
        try:
            Path(tmpdir).chmod(0o700)
            target = str(Path(tmpdir) / ("member" + Path(rel).suffix[:16]))
            with self.open(rel) as stream, open(target, "xb") as out:
                shutil.copyfileobj(stream, out, _CHUNK)
            yield target
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)

    def open(self, rel: str) -> IO[bytes]:
        raise NotImplementedError

    def digest(self, rel: str, algorithms: Iterable[str]) -> dict[str, str]:
        """Hex digests of ``rel`` for every algorithm, in one read (used for ZIP members)."""
        hashers = {a: hashlib.new(a) for a in algorithms}
        with self.open(rel) as stream:
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    break
                for h in hashers.values():
                    h.update(chunk)
        return {a: h.hexdigest() for a, h in hashers.items()}

    def close(self) -> None:
        """Release open handles."""

    def __enter__(self) -> PackageSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class FolderSource(PackageSource):
    """A package that is a folder on disk (or the ``data/`` payload of a bag)."""

    kind = "folder"

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        prefix: str = "",
        label: str | None = None,
        name: str | None = None,
    ) -> None:
        root_text = os.fspath(root)
        super().__init__(label=label or display_name(root_text), prefix=prefix)
        self.root = str(Path(root_text).absolute())
        self._name = name
        self._scan()

    @property
    def root_name(self) -> str:
        """The package folder's name (for a bag's payload: the bag's name, given as ``name``)."""
        return self._name or Path(self.root).name

    def _scan(self) -> None:
        """Walk the folder once: regular files with sizes, folders, and anything else (not followed)."""
        stack = [""]
        while stack:
            rel_dir = stack.pop()
            full = self.root + ("/" + rel_dir if rel_dir else "")
            try:
                with os.scandir(full) as it:
                    entries = list(it)
            except OSError as exc:
                self.others[rel_dir or "."] = f"unreadable folder: {exc.strerror or exc}"
                continue
            for entry in entries:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    self.others[rel] = "unreadable"
                    continue
                if stat.S_ISLNK(st.st_mode):
                    self.others[rel] = "link"
                elif stat.S_ISDIR(st.st_mode):
                    self.dirs.add(rel)
                    stack.append(rel)
                elif stat.S_ISREG(st.st_mode):
                    self.files[rel] = st.st_size
                else:
                    self.others[rel] = "other"

    def fs_path(self, rel: str) -> str | None:
        return self.root + "/" + rel

    def open(self, rel: str) -> IO[bytes]:
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(self.root + "/" + rel, flags)
        except OSError as exc:
            raise InputError(f"{self.show(rel)}: cannot read: {exc.strerror or exc}") from None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise InputError(f"{self.show(rel)}: not a regular file")
            return os.fdopen(fd, "rb")
        except BaseException:
            os.close(fd)
            raise

    def read_bytes(self, rel: str, *, max_bytes: int) -> bytes:
        with self.open(rel) as fh:
            data = fh.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise InputError(f"{self.show(rel)}: larger than {max_bytes} bytes")
        return data


class ZipSource(PackageSource):
    """A package that is a ZIP file, read in place under :class:`~luutru_aip._fs.ZipLimits`.

    The package root is the single top-level folder when there is one (CSIPSTR1); otherwise the
    archive's top level, and :attr:`single_root` is ``False`` (CSIPSTR1 is then reported).
    """

    kind = "zip"

    def __init__(self, path: str | os.PathLike[str], *, limits: ZipLimits | None = None) -> None:
        text = os.fspath(path)
        super().__init__(label=display_name(text))
        self.path = Path(text)
        self.zip = SafeZip(self.path, limits=limits)
        self.findings.extend(self.zip.findings)
        self._entries: dict[str, ZipEntryInfo] = {}
        self.top_level: list[str] = []
        self.single_root = False
        self._root = ""
        self._scan()

    @property
    def root_name(self) -> str:
        return self._root.rstrip("/") or self.path.stem

    @property
    def blocked(self) -> bool:
        """True when the archive itself is unreadable (no end record, ambiguous, over the entry limit)."""
        return any(
            f.severity >= Severity.ERROR and f.code in ("ZIP001", "ZIP002", "ZIP011", "ZIP021")
            for f in self.zip.findings
        )

    def _scan(self) -> None:
        names: list[tuple[str, ZipEntryInfo]] = []
        for entry in self.zip.entries:
            if entry.path is None:
                continue  # unsafe name: already a ZIP finding, never read
            names.append((entry.path.raw, entry))
        tops = sorted({name.split("/", 1)[0] for name, _ in names})
        self.top_level = tops
        root = ""
        if len(tops) == 1 and any("/" in name for name, _ in names):
            only = tops[0]
            if not any(name == only and e.kind is not EntryKind.DIRECTORY for name, e in names):
                root = only + "/"
        self._root = root
        self.single_root = bool(root)
        self.prefix = root
        for name, entry in names:
            if root:
                if name == root.rstrip("/"):
                    continue
                name = name[len(root) :]
            parts = name.split("/")
            for i in range(1, len(parts)):
                self.dirs.add("/".join(parts[:i]))
            if entry.kind is EntryKind.DIRECTORY:
                self.dirs.add(name)
            elif entry.kind is EntryKind.FILE:
                self.files[name] = entry.file_size
                self._entries[name] = entry
            else:
                self.others[name] = "link" if entry.kind is EntryKind.SYMLINK else "other"

    def rebase(self, folder: str) -> None:
        """Make ``folder`` (a sub-folder, e.g. a bag's ``data``) the package root."""
        base = folder.rstrip("/") + "/"
        self.files = {k[len(base) :]: v for k, v in self.files.items() if k.startswith(base)}
        self.dirs = {d[len(base) :] for d in self.dirs if d.startswith(base)}
        self.others = {k[len(base) :]: v for k, v in self.others.items() if k.startswith(base)}
        self._entries = {k[len(base) :]: v for k, v in self._entries.items() if k.startswith(base)}
        self.prefix = self.prefix + base
        self._aliases = None

    def open(self, rel: str) -> IO[bytes]:
        try:
            return self.zip.open(self._entries[rel])
        except KeyError:
            raise InputError(f"{self.show(rel)}: no such entry") from None
        except LuutruError as exc:
            raise InputError(str(exc)) from None

    def read_bytes(self, rel: str, *, max_bytes: int) -> bytes:
        try:
            entry = self._entries[rel]
        except KeyError:
            raise InputError(f"{self.show(rel)}: no such entry") from None
        try:
            return self.zip.read_bytes(entry, max_bytes=max_bytes)
        except (ArchiveLimitError, InputError) as exc:
            raise InputError(str(exc)) from None

    def close(self) -> None:
        self.zip.close()


def unsafe_name_reason(rel: str) -> str | None:
    """The PackagePath reason code when ``rel`` is not a safe package path (undecodable names…)."""
    return check_package_path(rel)
