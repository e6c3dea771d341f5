"""Read what a package says it contains: its files and their expected digests, streamed.

Three kinds of package are audited (issue 7):

* a **BagIt bag** (RFC 8493): the payload manifest ``manifest-<alg>.txt``
  (§2.1.3) and the tag manifest ``tagmanifest-<alg>.txt`` (§2.2.1) of the
  preferred algorithm, percent-encoded names decoded (§2.1.3);
* a **folder with METS.xml** (E-ARK CSIP): ``mets:file/@CHECKSUM`` with
  ``@CHECKSUMTYPE`` and the path in ``mets:FLocat/@xlink:href`` (METS 1.12
  ``fileSec``), ``mets:mdRef/@CHECKSUM`` in the metadata sections, and the
  representation METS files the root METS points at with ``mets:mptr``
  (CSIP: one METS per representation); their hrefs are relative to the METS
  file that holds them;
* a **ZIP** holding either of the above (at its root or in one top folder),
  read through :class:`luutru_aip._fs.SafeZip` without extracting.

Manifests and METS are *streamed*: a manifest of ten million lines is never
held in memory (METS through :func:`luutru_aip.metadata._xml.iterparse_xml`,
elements cleared once read). What a reader yields is a sequence of
:class:`Entry` (a file to check) and :class:`Damage` (a manifest line or
document that cannot be used), always in the same order for the same bytes, so
that an interrupted check resumes exactly where it stopped.

Files no manifest covers (the root METS.xml, BagIt tag files outside the tag
manifest, METS files without ``CHECKSUM``) are checked against the audit's own
first reading of them: their *baseline* (:attr:`Source.BASELINE`).

The algorithm checked is SHA-256 when a package offers it (TT05 / E-ARK use
SHA-256; on this class of machine it is twice as fast as SHA-512), else the
strongest one offered.
"""

from __future__ import annotations

import codecs
import os
import posixpath
import re
import stat
import urllib.parse
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Final

import attrs

from luutru_aip._fs import EntryKind, SafeZip, check_package_path, display_name
from luutru_aip.audit.model import Container, Source
from luutru_aip.errors import ArchiveLimitError, InputError

__all__ = [
    "ALGORITHM_PREFERENCE",
    "Damage",
    "Entry",
    "PackageReader",
    "Record",
    "open_package",
    "unsafe_reason",
    "walk_folder",
]

#: Which algorithm to verify when a package offers several (first present wins).
ALGORITHM_PREFERENCE: Final = ("sha256", "sha512", "sha384", "sha224", "sha1", "md5")
_DIGEST_HEX: Final = {"md5": 32, "sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128}
_HEX: Final = re.compile(r"[0-9A-Fa-f]+")
_MANIFEST_NAME: Final = re.compile(r"(tag)?manifest-([A-Za-z0-9]+)\.txt")
_MANIFEST_LINE: Final = re.compile(r"([^ \t]+)[ \t]+(.+)", re.DOTALL)
_PERCENT: Final = re.compile(r"%(25|0[AaDd])")
_SCHEME: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_METS_NS: Final = "http://www.loc.gov/METS/"
_XLINK_HREF: Final = "{http://www.w3.org/1999/xlink}href"
_METS_FILE: Final = f"{{{_METS_NS}}}file"
_METS_FLOCAT: Final = f"{{{_METS_NS}}}FLocat"
_METS_MDREF: Final = f"{{{_METS_NS}}}mdRef"
_METS_MPTR: Final = f"{{{_METS_NS}}}mptr"
_METS_ROOT: Final = f"{{{_METS_NS}}}mets"
_METS_CHECKSUM_TYPES: Final = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA1": "sha1",
    "SHA-224": "sha224",
    "SHA224": "sha224",
    "SHA-256": "sha256",
    "SHA256": "sha256",
    "SHA-384": "sha384",
    "SHA384": "sha384",
    "SHA-512": "sha512",
    "SHA512": "sha512",
}
_MAX_TAG_FILE: Final = 1 << 20
_MAX_METS_DEPTH: Final = 3
ROOT_METS: Final = "METS.xml"
BAG_DECLARATION: Final = "bagit.txt"
#: Files that are part of a package but outside every manifest by design (the detached package
#: signature of ``luutru_aip.signing``): checked against their baseline, never reported as extra.
OUTSIDE_MANIFESTS: Final = frozenset({"signatures/package.p7s"})


@attrs.frozen(kw_only=True)
class Entry:
    """A file the package lists, to be checked.

    ``digest`` None means "no digest in the package": the file is checked
    against the audit's baseline (``source`` is then :attr:`Source.BASELINE`).
    ``size`` is -1 when the package does not state it.
    """

    path: str
    algorithm: str
    digest: bytes | None
    size: int = -1
    source: Source = Source.MANIFEST
    line: int | None = None


@attrs.frozen(kw_only=True)
class Damage:
    """A manifest problem: ``code`` (AUD006, AUD010, AUD012) with its location and parameters."""

    code: str
    path: str | None = None
    line: int | None = None
    params: Mapping[str, str | int | None] = attrs.field(factory=dict)


Record = Entry | Damage


_UNSAFE_CHARS: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\\\ud800-\udfff]")


def unsafe_reason(text: str) -> str | None:
    """:func:`luutru_aip._fs.check_package_path`, with a fast path for the names of ordinary files.

    A manifest of ten million lines and a walk of ten million files both go
    through here; the full check costs about 14 µs per path on this class of
    machine, the fast path under 1 µs. Anything unusual takes the full check,
    so the answer is always the same as :func:`check_package_path`'s.
    """
    if (
        0 < len(text) <= 4096
        and text[0] not in "/~"
        and not (len(text) > 1 and text[1] == ":")
        and _UNSAFE_CHARS.search(text) is None
    ):
        for segment in text.split("/"):
            if segment in ("", ".", "..") or len(segment) > 63:  # 63 characters are at most 252 UTF-8 bytes
                break
        else:
            return None
    return check_package_path(text)


_LINE_BREAK: Final = re.compile("\r\n|\r|\n")
_ESCAPED: Final = re.compile("[\udc80-\udcff]")
_MAX_LINE: Final = 1 << 20
_CHUNK: Final = 1 << 20


def _tag_lines(stream: IO[bytes], encoding: str) -> Iterator[tuple[int, str, bool, bool]]:
    """(line number, text, decoded cleanly, cut) for each line of a tag file (RFC 8493 §2.3), streamed.

    Lines end with LF, CR or CRLF; a UTF-8 byte-order mark is skipped; bytes that do not decode are
    kept as escapes (UTF-8) or replaced, and the line is flagged; a line longer than 1 MiB (binary
    garbage) is reported cut, once, and the rest of it skipped.
    """
    utf8 = codecs.lookup(encoding).name == "utf-8"
    decoder = codecs.getincrementaldecoder(encoding)(errors="surrogateescape" if utf8 else "replace")

    fallback = False

    def clean(text: str) -> bool:
        if fallback:
            return False
        return _ESCAPED.search(text) is None if utf8 else "\ufffd" not in text

    pending = ""
    lineno = 0
    first = True
    skipping = False
    while True:
        chunk = stream.read(_CHUNK)
        final = not chunk
        if first:
            first = False
            if utf8 and chunk.startswith(b"\xef\xbb\xbf"):
                chunk = chunk[3:]
        try:
            pending += decoder.decode(chunk, final=final)
        except UnicodeError:  # a codec that cannot even replace: read the bytes as Latin-1, flagged
            pending += chunk.decode("latin-1")
            fallback = True
        hold = ""
        if not final and pending.endswith("\r"):  # perhaps the first half of a CRLF
            pending, hold = pending[:-1], "\r"
        parts = _LINE_BREAK.split(pending)
        tail = parts.pop()
        if skipping:
            if parts:
                parts, skipping = parts[1:], False  # the end of the line that was cut
            else:
                tail = ""
        for part in parts:
            lineno += 1
            yield lineno, part, clean(part), False
        pending = tail + hold
        if final:
            if pending:
                lineno += 1
                yield lineno, pending, clean(pending), False
            return
        if len(pending) > _MAX_LINE:
            lineno += 1
            yield lineno, pending[:200], clean(pending[:200]), True
            pending, skipping = "", True


def _damaged(path: str | None, reason: str, line: int | None = None) -> Damage:
    return Damage(code="AUD006", path=path, line=line, params={"reason": reason})


def _trim(text: str, limit: int = 200) -> str:
    shown = display_name(text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _decode_percent(text: str) -> str:
    return _PERCENT.sub(lambda m: {"25": "%", "0a": "\n", "0d": "\r"}[m.group(1).lower()], text)


def _hex_digest(algorithm: str, text: str) -> bytes | None:
    size = _DIGEST_HEX[algorithm]
    if len(text) != size:
        return None
    try:
        digest = bytes.fromhex(text)
    except ValueError:
        return None
    return digest if 2 * len(digest) == size else None  # fromhex skips spaces between pairs: refuse them


def _preferred(available: set[str]) -> str | None:
    return next((a for a in ALGORITHM_PREFERENCE if a in available), None)


# --------------------------------------------------------------------------- storage access


class _Store:
    """Read access to the files of one package: a folder, or a folder inside a ZIP."""

    container: Container
    location: str
    prefix: str = ""

    def fingerprint(self) -> str:
        raise NotImplementedError

    def exists(self, rel: str) -> bool:
        raise NotImplementedError

    def list_top(self) -> list[str]:
        raise NotImplementedError

    def open_binary(self, rel: str) -> IO[bytes]:
        """A stream of the file; :class:`OSError` or :class:`InputError` when it cannot be read."""
        raise NotImplementedError

    def stat_key(self, rel: str) -> str:
        raise NotImplementedError

    def size(self, rel: str) -> int:
        """The size of a file when it is known without reading storage (-1 otherwise): weighs batches."""
        raise NotImplementedError

    def walk(self) -> Iterator[str]:
        raise NotImplementedError

    def xml_events(self, rel: str) -> Iterator[tuple[str, Any]]:
        raise NotImplementedError

    def close(self) -> None:
        return None


_NOFOLLOW: Final = getattr(os, "O_NOFOLLOW", 0)


def walk_folder(root: str) -> Iterator[str]:
    """Every non-folder entry under ``root`` (files, links, FIFOs…) as a relative POSIX path, sorted.

    Links are reported, never followed; folders that cannot be listed are skipped.
    """
    stack: list[str] = [""]
    while stack:
        rel_dir = stack.pop()
        try:
            with os.scandir(f"{root}/{rel_dir}" if rel_dir else root) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        subdirs: list[str] = []
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if is_dir:
                subdirs.append(rel)
            else:
                yield rel
        stack.extend(reversed(subdirs))


class _DirStore(_Store):
    container = Container.DIR

    def __init__(self, location: str) -> None:
        self.location = location

    def _abs(self, rel: str) -> str:
        return f"{self.location}/{rel}"

    def fingerprint(self) -> str:
        st = Path(self.location).stat()
        return f"dir:{st.st_dev}:{st.st_ino}"

    def exists(self, rel: str) -> bool:
        return os.path.lexists(self._abs(rel))

    def list_top(self) -> list[str]:
        try:
            with os.scandir(self.location) as it:
                return sorted(e.name for e in it)
        except OSError:
            return []

    def open_binary(self, rel: str) -> IO[bytes]:
        fd = os.open(self._abs(rel), os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(f"{display_name(rel)} is not a regular file")
            return os.fdopen(fd, "rb")
        except BaseException:
            os.close(fd)
            raise

    def stat_key(self, rel: str) -> str:
        try:
            st = os.lstat(self._abs(rel))
        except OSError:
            return f"{rel}:-"
        return f"{rel}:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"

    def size(self, rel: str) -> int:
        return -1  # a stat per file would cost as much as hashing a small one: batches are sized by results

    def walk(self) -> Iterator[str]:
        return walk_folder(self.location)

    def xml_events(self, rel: str) -> Iterator[tuple[str, Any]]:
        full = self._abs(rel)
        if Path(full).is_symlink():
            raise InputError(f"{display_name(rel)} is a symbolic link")
        from luutru_aip.metadata._xml import iterparse_xml  # lxml is loaded for METS packages only

        return iterparse_xml(full, events=("start", "end"), name=rel)


class _ZipStore(_Store):
    container = Container.ZIP

    def __init__(self, location: str, archive: SafeZip, prefix: str) -> None:
        self.location = location
        self.archive = archive
        self.prefix = prefix

    def fingerprint(self) -> str:
        st = Path(self.location).stat()
        return f"zip:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"

    def exists(self, rel: str) -> bool:
        try:
            self.archive.entry(self.prefix + rel)
        except KeyError:
            return False
        return True

    def list_top(self) -> list[str]:
        names = set()
        for entry in self.archive.entries:
            if entry.path is None or not entry.path.raw.startswith(self.prefix):
                continue
            rest = entry.path.raw[len(self.prefix) :]
            if rest and "/" not in rest and entry.kind is not EntryKind.DIRECTORY:
                names.add(rest)
        return sorted(names)

    def open_binary(self, rel: str) -> IO[bytes]:
        try:
            return self.archive.open(self.prefix + rel)
        except ArchiveLimitError as exc:
            raise InputError(str(exc)) from None

    def stat_key(self, rel: str) -> str:
        try:
            entry = self.archive.entry(self.prefix + rel)
        except KeyError:
            return f"{rel}:-"
        return f"{rel}:{entry.file_size}:{entry.crc}"

    def size(self, rel: str) -> int:
        try:
            return self.archive.entry(self.prefix + rel).file_size
        except KeyError:
            return -1

    def walk(self) -> Iterator[str]:
        names = []
        for entry in self.archive.entries:
            if entry.kind is EntryKind.DIRECTORY:
                continue
            raw = entry.path.raw if entry.path is not None else entry.name
            if raw.startswith(self.prefix) and len(raw) > len(self.prefix):
                names.append(raw[len(self.prefix) :])
        return iter(sorted(set(names)))

    def xml_events(self, rel: str) -> Iterator[tuple[str, Any]]:
        try:
            data = self.archive.read_bytes(self.prefix + rel, max_bytes=256 << 20)
        except (ArchiveLimitError, KeyError) as exc:
            raise InputError(f"{display_name(rel)}: {exc}") from None
        from lxml import etree

        from luutru_aip.metadata._xml import parse_xml

        tree = parse_xml(data, name=rel)
        return iter(etree.iterwalk(tree, events=("start", "end")))

    def close(self) -> None:
        self.archive.close()


# --------------------------------------------------------------------------- readers


class PackageReader:
    """What one package says it holds. Use :func:`open_package`; call :meth:`close` when done."""

    format: str = "unknown"

    def __init__(self, store: _Store) -> None:
        self._store = store
        self.algorithm = "sha256"
        self.identifier: str | None = None

    @property
    def container(self) -> Container:
        return self._store.container

    @property
    def location(self) -> str:
        return self._store.location

    @property
    def prefix(self) -> str:
        return self._store.prefix

    def fingerprint(self) -> str:
        """Changes when the manifests change (a check in progress is then started again)."""
        return self._store.fingerprint()

    def records(self) -> Iterator[Record]:
        """Entries and damage, streamed, in a stable order."""
        raise NotImplementedError

    def walk(self) -> Iterator[str]:
        """Every file (and link or special file) the package holds, package-relative, sorted."""
        return self._store.walk()

    def known_size(self, rel: str) -> int:
        """The size of ``rel`` when known without touching storage (a ZIP's directory), else -1."""
        return self._store.size(rel)

    def baseline_eligible(self, rel: str) -> bool:
        """True when an unlisted file may be covered by a baseline (BagIt tag files, the signature)."""
        return rel in OUTSIDE_MANIFESTS

    def close(self) -> None:
        self._store.close()


class _BagReader(PackageReader):
    format = "bagit"

    def __init__(self, store: _Store) -> None:
        super().__init__(store)
        self.encoding = "utf-8"
        top = store.list_top()
        self._payload: dict[str, str] = {}
        self._tags: dict[str, str] = {}
        for name in top:
            match = _MANIFEST_NAME.fullmatch(name)
            if match is None:
                continue
            (self._tags if match.group(1) else self._payload)[match.group(2).lower()] = name
        self.encoding = self._declared_encoding()
        chosen = _preferred(set(self._payload))
        self.algorithm = chosen or "sha256"
        self._chosen = chosen
        tag_algorithm = self.algorithm if self.algorithm in self._tags else _preferred(set(self._tags))
        self._tag_algorithm = tag_algorithm
        self.identifier = self._external_identifier()

    def _small_lines(self, rel: str) -> list[str]:
        try:
            with self._store.open_binary(rel) as stream:
                data = stream.read(_MAX_TAG_FILE)
        except (OSError, InputError):
            return []
        return re.split("\r\n|\r|\n", data.decode(self.encoding, errors="replace"))

    def _declared_encoding(self) -> str:
        for line in self._small_lines(BAG_DECLARATION)[:2]:
            key, _, value = line.partition(":")
            if key.strip().lower() == "tag-file-character-encoding" and value.strip():
                try:
                    return codecs.lookup(value.strip()).name
                except LookupError:
                    return "utf-8"
        return "utf-8"

    def _external_identifier(self) -> str | None:
        for line in self._small_lines("bag-info.txt"):
            key, _, value = line.partition(":")
            if key.strip().lower() == "external-identifier" and value.strip():
                return value.strip()
        return None

    def fingerprint(self) -> str:
        names = [BAG_DECLARATION]
        if self._chosen is not None:
            names.append(self._payload[self._chosen])
        if self._tag_algorithm is not None:
            names.append(self._tags[self._tag_algorithm])
        return "|".join([self._store.fingerprint(), *(self._store.stat_key(n) for n in names)])

    def baseline_eligible(self, rel: str) -> bool:
        # Without a usable payload manifest (only unsupported algorithms), payload files are checked
        # against the audit's own baseline, like tag files, rather than all reported as extra.
        return self._chosen is None or not rel.startswith("data/") or rel in OUTSIDE_MANIFESTS

    def records(self) -> Iterator[Record]:
        if self._tag_algorithm is not None:
            yield from self._manifest(self._tags[self._tag_algorithm], self._tag_algorithm, payload=False)
        if self._chosen is None:
            if self._payload:
                names = ", ".join(sorted(self._payload.values()))
                yield Damage(
                    code="AUD012", path=None, params={"algorithm": names, "reason": "no supported algorithm"}
                )
            else:
                yield _damaged(None, "the bag has no payload manifest (manifest-<algorithm>.txt)")
            return
        yield from self._manifest(self._payload[self._chosen], self._chosen, payload=True)

    def _manifest(self, name: str, algorithm: str, *, payload: bool) -> Iterator[Record]:
        if algorithm not in _DIGEST_HEX:
            yield Damage(code="AUD012", path=name, params={"algorithm": algorithm, "reason": "unsupported"})
            return
        try:
            stream = self._store.open_binary(name)
        except (OSError, InputError) as exc:
            yield _damaged(name, f"cannot be read: {getattr(exc, 'strerror', None) or exc}")
            return
        with stream:
            for lineno, text, good, cut in _tag_lines(stream, self.encoding):
                if not text.strip() and not cut:
                    continue
                checksum, _sep, path = text.partition(" ")
                if cut or "\t" in checksum or not path.strip(" \t"):
                    match = None if cut else _MANIFEST_LINE.fullmatch(text)
                    if match is None:
                        yield _damaged(name, f"line is not '<checksum> <path>': {_trim(text)!r}", lineno)
                        continue
                    checksum, path = match.groups()
                else:
                    path = path.lstrip(" \t")
                if not good:
                    yield _damaged(name, f"line is not valid {self.encoding}", lineno)
                    continue
                digest = _hex_digest(algorithm, checksum)
                if digest is None:
                    yield _damaged(
                        name,
                        f"checksum {_trim(checksum)!r} is not {_DIGEST_HEX[algorithm]} hexadecimal digits",
                        lineno,
                    )
                    continue
                if path.startswith("*") and len(path) > 1:
                    path = path[1:]  # md5sum's binary-mode marker (RFC 8493 §6.1.3 notes it)
                if "%" in path:
                    path = _decode_percent(path)
                while path.startswith("./"):
                    path = path[2:]
                reason = unsafe_reason(path)
                if reason is not None:
                    yield _damaged(name, f"unsafe path {_trim(path)!r} ({reason})", lineno)
                    continue
                if payload and not path.startswith("data/"):
                    yield _damaged(name, f"payload path {_trim(path)!r} is outside data/", lineno)
                    continue
                yield Entry(path=path, algorithm=algorithm, digest=digest, line=lineno)


class _MetsReader(PackageReader):
    format = "mets"

    def __init__(self, store: _Store) -> None:
        super().__init__(store)
        self.algorithm = "sha256"

    def records(self) -> Iterator[Record]:
        queue: list[tuple[str, int]] = [(ROOT_METS, 0)]
        emitted: set[str] = set()
        yield Entry(path=ROOT_METS, algorithm=self.algorithm, digest=None, source=Source.BASELINE)
        emitted.add(ROOT_METS)
        while queue:
            rel, depth = queue.pop(0)
            pointers: list[str] = []
            yield from self._one(rel, depth, pointers, emitted)
            for target in pointers:
                if depth + 1 > _MAX_METS_DEPTH:
                    continue
                if target not in emitted:
                    emitted.add(target)
                    yield Entry(path=target, algorithm=self.algorithm, digest=None, source=Source.BASELINE)
                queue.append((target, depth + 1))

    def _resolve(self, base: str, href: str) -> tuple[str | None, str | None]:
        """(package path, None) or (None, why the href cannot be used)."""
        if _SCHEME.match(href):
            return None, f"href {_trim(href)!r} is not a relative path inside the package"
        text = urllib.parse.unquote(href) if "%" in href else href
        while text.startswith("./"):
            text = text[2:]
        if not text or text.startswith("/"):
            return None, f"href {_trim(href)!r} is not a relative path inside the package"
        joined = posixpath.normpath(posixpath.join(base, text)) if base else posixpath.normpath(text)
        if joined == ".." or joined.startswith("../"):
            return None, f"href {_trim(href)!r} leads outside the package"
        reason = unsafe_reason(joined)
        if reason is not None:
            return None, f"href {_trim(href)!r} is unsafe ({reason})"
        return joined, None

    def _entry(self, mets_rel: str, base: str, element: Any, href: str | None, what: str) -> Iterator[Record]:
        line = element.sourceline
        if not href:
            yield _damaged(mets_rel, f"{what} has no xlink:href", line)
            return
        path, problem = self._resolve(base, href)
        if path is None:
            yield _damaged(mets_rel, problem or "unusable href", line)
            return
        size_text = element.get("SIZE")
        size = int(size_text) if size_text is not None and size_text.isdigit() else -1
        checksum = element.get("CHECKSUM")
        kind = element.get("CHECKSUMTYPE")
        if not checksum:
            yield Entry(path=path, algorithm=self.algorithm, digest=None, size=size, source=Source.BASELINE)
            return
        algorithm = _METS_CHECKSUM_TYPES.get((kind or "").strip().upper())
        if algorithm is None:
            yield Damage(
                code="AUD012",
                path=mets_rel,
                line=line,
                params={"algorithm": _trim(kind or "(none)"), "reason": f"file {display_name(path)}"},
            )
            yield Entry(path=path, algorithm=self.algorithm, digest=None, size=size, source=Source.BASELINE)
            return
        digest = _hex_digest(algorithm, checksum.strip())
        if digest is None:
            yield _damaged(
                mets_rel,
                f"CHECKSUM {_trim(checksum)!r} is not {_DIGEST_HEX[algorithm]} hexadecimal digits",
                line,
            )
            return
        yield Entry(path=path, algorithm=algorithm, digest=digest, size=size, line=line)

    def _one(self, rel: str, depth: int, pointers: list[str], emitted: set[str]) -> Iterator[Record]:
        base = posixpath.dirname(rel)
        if not self._store.exists(rel):
            if depth:
                return  # the pointer's target is checked (and reported missing) as an entry
            yield _damaged(rel, "the METS document is missing")
            return
        try:
            events = self._store.xml_events(rel)
            for event, element in events:
                if event == "start":
                    if element.tag == _METS_ROOT and depth == 0 and self.identifier is None:
                        objid = element.get("OBJID")
                        self.identifier = objid.strip() if objid and objid.strip() else None
                    continue
                tag = element.tag
                if tag == _METS_FILE:
                    locat = next((c for c in element if c.tag == _METS_FLOCAT), None)
                    href = None if locat is None else locat.get(_XLINK_HREF)
                    if locat is None and any(c.tag == f"{{{_METS_NS}}}FContent" for c in element):
                        _release(element)
                        continue  # embedded content: nothing on storage to check
                    for record in self._entry(rel, base, element, href, "file"):
                        if isinstance(record, Entry):
                            emitted.add(record.path)
                        yield record
                    _release(element)
                elif tag == _METS_MDREF:
                    for record in self._entry(rel, base, element, element.get(_XLINK_HREF), "mdRef"):
                        if isinstance(record, Entry):
                            emitted.add(record.path)
                        yield record
                    _release(element)
                elif tag == _METS_MPTR:
                    href = element.get(_XLINK_HREF)
                    path, problem = self._resolve(base, href or "")
                    if path is None:
                        yield _damaged(rel, problem or "mptr without xlink:href", element.sourceline)
                    else:
                        pointers.append(path)
                    _release(element)
        except InputError as exc:  # not well-formed, forbidden construct, unreadable
            yield _damaged(rel, _trim(str(exc), 400))


def _release(element: Any) -> None:
    """Free an element that was read, and the siblings before it, to keep memory flat."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


class _EmptyReader(PackageReader):
    """A package that no longer looks like a bag or a METS package (its marker files are gone)."""

    def __init__(self, store: _Store, reason: str) -> None:
        super().__init__(store)
        self._reason = reason

    def records(self) -> Iterator[Record]:
        yield Damage(code="AUD010", params={"reason": self._reason})


def _zip_prefix(archive: SafeZip) -> tuple[str, str | None]:
    """(prefix, format) of the package inside a ZIP: at its root, or in its only top folder."""
    paths = {e.path.raw for e in archive.entries if e.path is not None and e.kind is EntryKind.FILE}
    for marker, fmt in ((BAG_DECLARATION, "bagit"), (ROOT_METS, "mets")):
        if marker in paths:
            return "", fmt
    tops = {p.split("/", 1)[0] for p in paths if "/" in p}
    if len(tops) == 1:
        top = next(iter(tops)) + "/"
        for marker, fmt in ((BAG_DECLARATION, "bagit"), (ROOT_METS, "mets")):
            if top + marker in paths:
                return top, fmt
    return "", None


def open_package(location: str | os.PathLike[str], *, kind: str) -> PackageReader:
    """A reader for the package at ``location`` registered as ``kind`` (``bag``, ``mets`` or ``zip``).

    Raises :class:`~luutru_aip.errors.InputError` when the package cannot be
    opened at all (a ZIP that is not a ZIP); problems with its manifests are
    :class:`Damage` records, not exceptions.
    """
    where = os.fspath(location)
    if kind == "zip":
        archive = SafeZip(Path(where))
        try:
            blocking = [f for f in archive.errors if f.code in ("ZIP001", "ZIP002", "ZIP011", "ZIP021")]
            if blocking:
                raise InputError(f"{display_name(where)}: {blocking[0].message('en')}")
            prefix, fmt = _zip_prefix(archive)
        except BaseException:
            archive.close()
            raise
        zstore = _ZipStore(where, archive, prefix)
        if fmt == "bagit":
            return _BagReader(zstore)
        if fmt == "mets":
            return _MetsReader(zstore)
        return _EmptyReader(zstore, "the ZIP holds neither a METS.xml nor a bagit.txt")
    store = _DirStore(where)
    if os.path.lexists(f"{where}/{BAG_DECLARATION}"):
        return _BagReader(store)
    if os.path.lexists(f"{where}/{ROOT_METS}"):
        return _MetsReader(store)
    if kind == "bag":
        return _BagReader(store)  # bagit.txt is gone: the manifests still say what to check
    if kind == "mets":
        return _MetsReader(store)  # METS.xml is gone: reported as damage (and as a missing file)
    return _EmptyReader(store, "the folder holds neither a METS.xml nor a bagit.txt")
