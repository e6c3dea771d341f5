"""BagIt validation (RFC 8493, "The BagIt File Packaging Format (V1.0)"), with the older drafts 0.93–0.97.

What is checked, by section (rule codes ``BAG0xx`` in ``data/rules/bagit.toml``):

* §2.1.1 the bag declaration ``bagit.txt``: exactly two lines, the version,
  the tag-file encoding, UTF-8 without a byte-order mark;
* §2.1.2 the payload directory ``data/``; §5.1 symbolic links and special files
  (never followed or opened);
* §2.1.3 payload manifests: names, line syntax, checksum form, percent-encoded
  ``%0D %0A %25``, paths outside the payload or the bag, duplicates, listed
  directories, every payload file in every manifest (1.0) or in one (older);
* §2.2.1 tag manifests; §2.2.2 ``bag-info.txt`` (label syntax, continuation
  lines, Payload-Oxum, repeated elements); §2.2.3 ``fetch.txt`` (syntax, holey
  bags reported as *incomplete*, not corrupt); §2.3 encodings and BOMs;
* §2.4 unsupported and weak (MD5/SHA-1-only) algorithms;
* §3 completeness and validity: every listed file present, every checksum verified;
* §6.1 names that differ only in case or Unicode normalisation (warnings), and
  §6.1.3 the md5sum binary-mode marker (warning).

Stages gate each other: when the structure is broken (no usable ``bagit.txt``,
no ``data/``, no payload manifest) nothing is hashed, and the skipped check is
recorded with its reason. Otherwise each payload file is read once for every
algorithm present (:func:`luutru_aip.fixity.hash_many`, in ``workers``
processes, batched). ``fast=True`` stops before hashing.

Memory stays proportional to the number of files in the bag, not to the size
of the manifests: manifests are streamed line by line, per-file state is kept
in flat arrays (line numbers as ``array('I')``, digests as raw bytes), and the
number of findings with one code from one file is capped (:data:`MAX_SAME`)
with a summary finding (BAG070).
"""

from __future__ import annotations

import codecs
import os
import re
import stat
import unicodedata
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import attrs

from luutru_aip._fs.paths import REASON_CODES, check_package_path, display_name
from luutru_aip.findings import Finding, Severity, Skipped, finding
from luutru_aip.fixity import ALGORITHMS, DIGEST_SIZES, VerifyItem, hash_file, is_supported, verify_many
from luutru_aip.validate._lines import TagLineReader

__all__ = ["KNOWN_VERSIONS", "MAX_SAME", "BagValidator", "looks_like_bag"]

#: BagIt versions whose rules this module knows.
KNOWN_VERSIONS: Final = ((0, 93), (0, 94), (0, 95), (0, 96), (0, 97), (1, 0))
#: At most this many findings of one code from one file are reported; the rest are counted (BAG070).
MAX_SAME: Final = 200

_BAGIT_TXT: Final = "bagit.txt"
_MAX_DECLARATION: Final = 64 << 10
_WEAK: Final = frozenset({"md5", "sha1"})
_HEX: Final = re.compile(r"[0-9A-Fa-f]+")
_MANIFEST_NAME: Final = re.compile(r"(tag)?manifest-(.+)\.txt", re.DOTALL)
_MANIFEST_LINE: Final = re.compile(r"([^ \t]+)([ \t]+)(.*)", re.DOTALL)
_PERCENT: Final = re.compile(r"%(25|0[AaDd])")
_LITERAL_PERCENT: Final = re.compile(r"%(?!25|0[AaDd])")
_VERSION_LINE: Final = re.compile(r"BagIt-Version: ([0-9]+)\.([0-9]+)")
_VERSION_LOOSE: Final = re.compile(r"[ \t]*BagIt-Version[ \t]*:[ \t]*(.*?)[ \t]*", re.IGNORECASE)
_VERSION_VALUE: Final = re.compile(r"([0-9]+)\.([0-9]+)")
_ENCODING_LINE: Final = re.compile(r"Tag-File-Character-Encoding: (\S+)")
_ENCODING_LOOSE: Final = re.compile(
    r"[ \t]*Tag-File-Character-Encoding[ \t]*:[ \t]*(.*?)[ \t]*", re.IGNORECASE
)
_OXUM: Final = re.compile(r"([0-9]+)\.([0-9]+)")
_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_BAG_COUNT: Final = re.compile(r"[0-9]+ of ([0-9]+|\?)")
_URI_SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")
_FETCH_LINE: Final = re.compile(r"([^ \t]+)[ \t]+([^ \t]+)[ \t]+(.*)", re.DOTALL)
_SHOULD_NOT_REPEAT: Final = {
    "bagging-date": "Bagging-Date",
    "bag-size": "Bag-Size",
    "bag-group-identifier": "Bag-Group-Identifier",
    "bag-count": "Bag-Count",
}
_JUNK_NAMES: Final = frozenset(
    {".DS_Store", "Thumbs.db", "ehthumbs.db", "desktop.ini", "Desktop.ini", ".directory", "Icon\r"}
)
_WINDOWS_RESERVED: Final = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(1, 10)} | {f"LPT{i}" for i in range(1, 10)}
)
_WINDOWS_BAD_CHARS: Final = re.compile(r'[<>:"|?*\\\x00-\x1f]')
#: Codes that mean the bag cannot be interpreted: no hashing after them.
_STRUCTURAL: Final = frozenset({"BAG001", "BAG004", "BAG005", "BAG007", "BAG010", "BAG011", "BAG073"})


def looks_like_bag(root: str | os.PathLike[str]) -> bool:
    """True when ``root`` is a directory with a ``bagit.txt`` (what profile ``auto`` detects)."""
    marker = Path(os.fspath(root), _BAGIT_TXT)
    return bool(marker.is_symlink() or marker.exists())


def _trim(text: str, limit: int = 200) -> str:
    shown = display_name(text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _unsupported_algorithm(name: str, algorithm: str) -> Finding:
    """BAG012: a manifest named for an algorithm this validator cannot compute."""
    return finding(
        "BAG012", path=display_name(name), algorithm=_trim(algorithm), expected=", ".join(ALGORITHMS)
    )


def _decode_percent(text: str) -> str:
    return _PERCENT.sub(lambda m: {"25": "%", "0a": "\n", "0d": "\r"}[m.group(1).lower()], text)


def _collision_key(text: str) -> str:
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", text).casefold())


def _nfc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def _unsafe_reason(text: str) -> str | None:
    reason = check_package_path(text)
    if reason is None:
        return None
    return f"{REASON_CODES.get(reason, 'PATH')} {reason}"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


def _windows_problem(name: str) -> str | None:
    if _WINDOWS_BAD_CHARS.search(name):
        return 'contains one of < > : " | ? * \\ or a control character'
    if name.endswith((" ", ".")):
        return "ends with a space or a dot"
    if name.split(".", 1)[0].upper() in _WINDOWS_RESERVED:
        return "is a reserved device name (CON, PRN, AUX, NUL, COM1…, LPT1…)"
    return None


@attrs.define
class _Manifest:
    """State of one payload or tag manifest while it is read."""

    name: str
    algorithm: str
    supported: bool
    lines: array[int]  # payload: line number per payload-file index, 0 = not listed
    digests: bytearray  # payload: digest bytes per payload-file index (supported algorithms only)
    tag_entries: dict[str, tuple[int, bytes]] = attrs.Factory(dict)  # tag manifests: path → (line, digest)
    aliases: set[int] = attrs.Factory(set)  # payload indexes listed under another case/normalisation
    missing: dict[str, int] = attrs.Factory(dict)  # listed, absent names → line (bounded)
    fetch_listed: set[str] = attrs.Factory(set)


@attrs.define
class _Limiter:
    """Caps findings per (code, source file); the rest are counted and summarised."""

    limit: int
    counts: dict[tuple[str, str], int] = attrs.Factory(dict)

    def admit(self, item: Finding) -> bool:
        if item.location.line is not None:
            source = item.location.path or ""
        else:
            source = str(item.params.get("manifest") or "")
        key = (item.code, source)
        seen = self.counts.get(key, 0) + 1
        self.counts[key] = seen
        return seen <= self.limit

    def summaries(self) -> Iterator[Finding]:
        for (code, source), seen in sorted(self.counts.items()):
            if seen > self.limit:
                yield finding(
                    "BAG070",
                    found=seen - self.limit,
                    rule=code,
                    source=source or "data/",
                    expected=self.limit,
                )


class BagValidator:
    """Validate one bag directory. Iterate :meth:`findings` once; :attr:`skipped` is filled as it runs.

    ``signature_path`` names the one tag file that holds the bag's detached signature (the
    validator passes ``signatures/package.p7s`` and verifies it separately): no tag manifest can
    list it, so BAG033 is not reported for exactly that path. Every other unlisted tag file still is.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        fast: bool = False,
        workers: int = 1,
        max_same: int = MAX_SAME,
        signature_path: str | None = None,
    ) -> None:
        self.root = str(Path(os.fspath(root)).absolute())
        self.fast = fast
        #: A tag file (``signatures/package.p7s``) that is the bag's signature and is verified separately:
        #: it cannot be listed in the tag manifest it signs, so its absence from them is not reported.
        self.signature_path = signature_path
        self.workers = max(1, workers)
        self.skipped: list[Skipped] = []
        self.version: tuple[int, int] = (1, 0)
        self.encoding = "utf-8"
        self._limiter = _Limiter(max_same)
        self._structural = False
        # payload index
        self._paths: list[str] = []
        self._index: dict[str, int] = {}
        self._sizes: array[int] = array("q")
        self._dirs: set[str] = set()
        self._keys: dict[str, int] | None = None
        self._special: set[str] = set()
        # tag files (outside data/): path → size
        self._tags: dict[str, int] = {}
        self._root_entries: dict[str, str] = {}  # top-level name → "file" | "dir" | "other"
        self._payload: list[_Manifest] = []
        self._tagman: list[_Manifest] = []
        self._fetch: dict[str, tuple[int, str, str]] = {}  # path → (line, url, length)

    # ------------------------------------------------------------------ driver

    @property
    def modern(self) -> bool:
        """True for BagIt 1.0 and later, where the RFC 8493 rules apply in full."""
        return self.version >= (1, 0)

    def findings(self) -> Iterator[Finding]:
        """Every finding, lazily, stage after stage."""
        for item in self._stages():
            if item.severity >= Severity.ERROR and item.code in _STRUCTURAL:
                self._structural = True
            if self._limiter.admit(item):
                yield item
        yield from self._limiter.summaries()

    def _stages(self) -> Iterator[Finding]:
        yield from self._check_declaration()
        yield from self._walk()
        yield from self._check_fetch()
        yield from self._check_payload_manifests()
        yield from self._check_tag_manifests()
        yield from self._check_bag_info()
        yield from self._check_completeness()
        if self.fast:
            self.skipped.append(
                Skipped(check="bagit.checksums", reason="fast mode: checksums are not computed")
            )
            return
        if self._structural:
            self.skipped.append(
                Skipped(
                    check="bagit.checksums",
                    reason="the bag structure is broken (see the errors above); no file was hashed",
                )
            )
            return
        yield from self._verify_payload()
        yield from self._verify_tags()

    # ------------------------------------------------------------------ helpers

    def _abs(self, rel: str) -> str:
        return self.root + "/" + rel

    def _open_tag(self, rel: str) -> tuple[int, Finding | None]:
        """Open a tag file for reading without following links or blocking; (fd, None) or (-1, finding)."""
        flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(self._abs(rel), flags)
        except OSError as exc:
            return -1, finding("BAG024", path=display_name(rel), reason=exc.strerror or str(exc))
        try:
            mode = os.fstat(fd).st_mode
        except OSError as exc:
            os.close(fd)
            return -1, finding("BAG024", path=display_name(rel), reason=exc.strerror or str(exc))
        if not stat.S_ISREG(mode):
            os.close(fd)
            reason = "is a directory" if stat.S_ISDIR(mode) else "is not a regular file"
            return -1, finding("BAG024", path=display_name(rel), reason=reason)
        return fd, None

    def _lines(self, rel: str, fd: int) -> tuple[TagLineReader, Iterator[tuple[int, str, bool, bool]]]:
        stream = os.fdopen(fd, "rb")
        reader = TagLineReader(stream, self.encoding)

        def generate() -> Iterator[tuple[int, str, bool, bool]]:
            with stream:
                yield from reader

        return reader, generate()

    def _tail_findings(self, rel: str, reader: TagLineReader) -> Iterator[Finding]:
        if reader.bom:
            yield finding("BAG026", path=rel)
        if reader.unterminated_line is not None:
            yield finding("BAG072", path=rel, line=reader.unterminated_line)

    # ------------------------------------------------------------------ §2.1.1 bagit.txt

    def _check_declaration(self) -> Iterator[Finding]:
        fd, problem = self._open_tag(_BAGIT_TXT)
        if problem is not None:
            yield finding("BAG001", path=_BAGIT_TXT)
            return
        try:
            with os.fdopen(fd, "rb") as fh:
                raw = fh.read(_MAX_DECLARATION + 1)
        except OSError as exc:
            yield finding("BAG024", path=_BAGIT_TXT, reason=exc.strerror or str(exc))
            self._structural = True
            return
        if raw.startswith(b"\xef\xbb\xbf"):
            yield finding("BAG002", path=_BAGIT_TXT)
            raw = raw[3:]
        text = raw.decode("utf-8", errors="surrogateescape")
        lines = re.split("\r\n|\r|\n", text)
        if lines[-1] == "":
            lines.pop()
        elif lines:
            yield finding("BAG072", path=_BAGIT_TXT, line=len(lines))
        for number, line in enumerate(lines, start=1):
            if re.search("[\udc80-\udcff]", line):
                yield finding("BAG003", path=_BAGIT_TXT, line=number)
        first = lines[0] if lines else ""
        second = lines[1] if len(lines) > 1 else ""
        # The version first, loosely, so that the strictness of the rest can depend on it.
        loose = _VERSION_LOOSE.fullmatch(first)
        if loose is None:
            yield finding(
                "BAG004", path=_BAGIT_TXT, line=1, expected="BagIt-Version: M.N", found=_trim(first)
            )
        else:
            parsed = _VERSION_VALUE.fullmatch(loose.group(1))
            if parsed is None:
                yield finding("BAG005", path=_BAGIT_TXT, line=1, found=_trim(loose.group(1)))
            else:
                self.version = (int(parsed.group(1)), int(parsed.group(2)))
                if self.modern and _VERSION_LINE.fullmatch(first) is None:
                    yield finding(
                        "BAG004", path=_BAGIT_TXT, line=1, expected="BagIt-Version: M.N", found=_trim(first)
                    )
                if self.version not in KNOWN_VERSIONS:
                    yield finding(
                        "BAG008",
                        path=_BAGIT_TXT,
                        found=f"{self.version[0]}.{self.version[1]}",
                        expected=", ".join(f"{a}.{b}" for a, b in KNOWN_VERSIONS),
                    )
        enc_loose = _ENCODING_LOOSE.fullmatch(second) if len(lines) > 1 else None
        if enc_loose is None or not enc_loose.group(1):
            yield finding(
                "BAG004",
                path=_BAGIT_TXT,
                line=2,
                expected="Tag-File-Character-Encoding: UTF-8",
                found=_trim(second) if len(lines) > 1 else "",
            )
        else:
            if self.modern and _ENCODING_LINE.fullmatch(second) is None:
                yield finding(
                    "BAG004",
                    path=_BAGIT_TXT,
                    line=2,
                    expected="Tag-File-Character-Encoding: " + enc_loose.group(1),
                    found=_trim(second),
                )
            declared = enc_loose.group(1)
            try:
                self.encoding = codecs.lookup(declared).name
                b"".decode(self.encoding)  # LookupError for codecs that are not text encodings (rot13…)
            except (LookupError, UnicodeError, ValueError, TypeError):
                yield finding("BAG007", path=_BAGIT_TXT, found=_trim(declared))
                self.encoding = "utf-8"
            else:
                if self.encoding != "utf-8":
                    yield finding("BAG006", path=_BAGIT_TXT, found=_trim(declared))
        for number, line in enumerate(lines[2:], start=3):
            yield finding("BAG004", path=_BAGIT_TXT, line=number, expected="EOF", found=_trim(line))

    # ------------------------------------------------------------------ walk

    def _walk(self) -> Iterator[Finding]:
        try:
            entries = list(os.scandir(self.root))
        except OSError as exc:
            yield finding("IO001", path=".", reason=exc.strerror or str(exc))
            self._structural = True
            return
        data_ok = False
        tag_dirs: list[str] = []
        for entry in entries:
            name = entry.name
            try:
                if entry.is_symlink():
                    self._root_entries[name] = "other"
                    yield finding("BAG068", path=display_name(name))
                elif entry.is_dir(follow_symlinks=False):
                    self._root_entries[name] = "dir"
                    if name == "data":
                        data_ok = True
                    else:
                        tag_dirs.append(name)
                elif entry.is_file(follow_symlinks=False):
                    self._root_entries[name] = "file"
                    self._tags[name] = entry.stat(follow_symlinks=False).st_size
                else:
                    self._root_entries[name] = "other"
                    yield finding(
                        "BAG069",
                        path=display_name(name),
                        found=_kind(entry.stat(follow_symlinks=False).st_mode),
                    )
            except OSError as exc:
                yield finding("IO001", path=display_name(name), reason=exc.strerror or str(exc))
        if not data_ok:
            yield finding("BAG010", path="data/")
            self._structural = True
        else:
            yield from self._walk_tree("data", payload=True)
        for name in sorted(tag_dirs):
            yield from self._walk_tree(name, payload=False)
        if data_ok:
            yield from self._name_collisions()

    def _walk_tree(self, top: str, *, payload: bool) -> Iterator[Finding]:
        stack = [top]
        paths = self._paths
        index = self._index
        sizes = self._sizes
        while stack:
            rel_dir = stack.pop()
            if payload:
                self._dirs.add(rel_dir)
            try:
                with os.scandir(self._abs(rel_dir)) as it:
                    entries = list(it)
            except OSError as exc:
                yield finding("IO001", path=display_name(rel_dir), reason=exc.strerror or str(exc))
                continue
            for entry in entries:
                name = entry.name
                rel = rel_dir + "/" + name
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(rel)
                        continue
                    if entry.is_file(follow_symlinks=False):
                        size = entry.stat(follow_symlinks=False).st_size
                        if payload:
                            index[rel] = len(paths)
                            paths.append(rel)
                            sizes.append(size)
                        else:
                            self._tags[rel] = size
                    elif entry.is_symlink():
                        self._special.add(rel)
                        yield finding("BAG068", path=display_name(rel))
                        continue
                    else:
                        self._special.add(rel)
                        yield finding(
                            "BAG069",
                            path=display_name(rel),
                            found=_kind(entry.stat(follow_symlinks=False).st_mode),
                        )
                        continue
                except OSError as exc:
                    yield finding("IO001", path=display_name(rel), reason=exc.strerror or str(exc))
                    continue
                if not name.isascii():
                    try:
                        name.encode("utf-8")
                    except UnicodeEncodeError:
                        yield finding("BAG067", path=display_name(rel))
                if payload:
                    if name in _JUNK_NAMES or name.startswith("._"):
                        yield finding("BAG065", path=display_name(rel), found=display_name(name))
                    problem = _windows_problem(name)
                    if problem is not None:
                        yield finding("BAG066", path=display_name(rel), reason=problem)

    def _name_collisions(self) -> Iterator[Finding]:
        keys: dict[str, int] = {}
        paths = self._paths
        for idx, rel in enumerate(paths):
            key = _collision_key(rel)
            other = keys.setdefault(key, idx)
            if other != idx:
                first = paths[other]
                code = "BAG061" if _nfc(first) == _nfc(rel) else "BAG060"
                yield finding(code, path=display_name(rel), other=display_name(first))
        self._keys = keys

    # ------------------------------------------------------------------ §2.2.3 fetch.txt

    def _check_fetch(self) -> Iterator[Finding]:
        rel = "fetch.txt"
        kind = self._root_entries.get(rel)
        if kind is None:
            return
        fd, problem = self._open_tag(rel)
        if problem is not None:
            yield problem
            return
        reader, lines = self._lines(rel, fd)
        for lineno, text, good, cut in lines:
            if not good:
                yield finding("BAG025", path=rel, line=lineno, encoding=self.encoding)
            match = None if cut else _FETCH_LINE.fullmatch(text)
            if match is None:
                yield finding("BAG050", path=rel, line=lineno, found=_trim(text))
                continue
            url, length, raw_path = match.groups()
            if _URI_SCHEME.fullmatch(url) is None:
                yield finding("BAG051", path=rel, line=lineno, found=_trim(url))
            if length != "-" and not length.isdigit():
                yield finding("BAG052", path=rel, line=lineno, found=_trim(length))
            target = _decode_percent(raw_path) if "%" in raw_path else raw_path
            reason = _unsafe_reason(target)
            if reason is not None:
                yield finding("BAG017", path=rel, line=lineno, found=_trim(raw_path), reason=reason)
                continue
            if not target.startswith("data/"):
                yield finding("BAG054", path=rel, line=lineno, found=_trim(raw_path))
                continue
            self._fetch.setdefault(target, (lineno, url, length))
        yield from self._tail_findings(rel, reader)

    # ------------------------------------------------------------------ manifests

    def _manifest_names(self, *, tag: bool) -> list[tuple[str, str]]:
        found = []
        for name in sorted(self._root_entries):
            match = _MANIFEST_NAME.fullmatch(name)
            if match is not None and bool(match.group(1)) == tag:
                found.append((name, match.group(2)))
        return found

    def _check_payload_manifests(self) -> Iterator[Finding]:
        names = self._manifest_names(tag=False)
        if not names:
            yield finding("BAG011")
            self._structural = True
            return
        supported_algorithms = []
        count = len(self._paths)
        for name, algorithm in names:
            supported = is_supported(algorithm)
            if not supported:
                yield _unsupported_algorithm(name, algorithm)
            else:
                supported_algorithms.append(algorithm)
            size = DIGEST_SIZES.get(algorithm, 0)
            manifest = _Manifest(
                name=name,
                algorithm=algorithm,
                supported=supported,
                lines=array("I", bytes(4 * count)),
                digests=bytearray(size * count) if supported else bytearray(),
            )
            fd, problem = self._open_tag(name)
            if problem is not None:
                yield problem
                continue
            self._payload.append(manifest)
            yield from self._read_payload_manifest(manifest, fd)
        if not supported_algorithms:
            yield finding("BAG073", found=", ".join(n for n, _ in names), expected=", ".join(ALGORITHMS))
            self._structural = True
        elif set(supported_algorithms) <= _WEAK:
            yield finding(
                "BAG013",
                found=", ".join(sorted({a.upper().replace("SHA1", "SHA-1") for a in supported_algorithms})),
            )

    def _parse_line(
        self, manifest: _Manifest, lineno: int, text: str, good: bool, cut: bool
    ) -> tuple[list[Finding], bytes | None, str | None, str]:
        """Split a manifest line: (findings, digest or None, path or None, raw path text)."""
        rel = manifest.name
        problems: list[Finding] = []
        if not good:
            problems.append(finding("BAG025", path=rel, line=lineno, encoding=self.encoding))
        match = None if cut else _MANIFEST_LINE.fullmatch(text)
        if match is None or not match.group(3):
            problems.append(finding("BAG014", path=rel, line=lineno, found=_trim(text)))
            return problems, None, None, text
        checksum, separator, raw = match.groups()
        if raw[0] == "*" and separator == " ":
            problems.append(finding("BAG027", path=rel, line=lineno, found=_trim(raw[1:])))
            raw = raw[1:]
        digest = b""
        if manifest.supported:
            hexlen = 2 * DIGEST_SIZES[manifest.algorithm]
            if len(checksum) != hexlen or _HEX.fullmatch(checksum) is None:
                problems.append(
                    finding(
                        "BAG015",
                        path=rel,
                        line=lineno,
                        found=_trim(checksum),
                        algorithm=manifest.algorithm,
                        expected=hexlen,
                    )
                )
                digest = b""
            else:
                digest = bytes.fromhex(checksum)
        path = raw
        if "%" in raw:
            path = _decode_percent(raw)
            if self.modern and _LITERAL_PERCENT.search(raw):
                problems.append(finding("BAG029", path=rel, line=lineno, found=_trim(raw)))
        if path.startswith("./"):
            stripped = path
            while stripped.startswith("./"):
                stripped = stripped[2:]
            problems.append(
                finding("BAG028", path=rel, line=lineno, found=_trim(raw), expected=_trim(stripped))
            )
            path = stripped
        return problems, digest, path, raw

    def _read_payload_manifest(self, manifest: _Manifest, fd: int) -> Iterator[Finding]:
        rel = manifest.name
        reader, lines = self._lines(rel, fd)
        index = self._index
        listed = manifest.lines
        digests = manifest.digests
        size = DIGEST_SIZES.get(manifest.algorithm, 0) if manifest.supported else 0
        modern = self.modern
        for lineno, text, good, cut in lines:
            problems, digest, path, raw = self._parse_line(manifest, lineno, text, good, cut)
            if problems:
                yield from problems
            if path is None:
                continue
            idx = index.get(path)
            if idx is not None:
                first = listed[idx]
                if first:
                    if idx in manifest.aliases:
                        # the exact name comes after a name that matched only by case/normalisation
                        manifest.aliases.discard(idx)
                        yield finding(
                            "BAG063",
                            path=rel,
                            line=lineno,
                            found=_trim(raw),
                            other=_trim(path),
                            first_line=first,
                        )
                        listed[idx] = lineno
                        if size and digest:
                            digests[idx * size : (idx + 1) * size] = digest
                        continue
                    same = not size or digests[idx * size : (idx + 1) * size] == (digest or b"")
                    code = "BAG021" if same and not modern else "BAG020"
                    yield finding(code, path=rel, line=lineno, found=_trim(raw), first_line=first)
                    continue
                listed[idx] = lineno
                if size and digest:
                    digests[idx * size : (idx + 1) * size] = digest
                continue
            yield from self._unresolved_payload(manifest, lineno, path, raw, digest, size)
        yield from self._tail_findings(rel, reader)

    def _unresolved_payload(
        self, manifest: _Manifest, lineno: int, path: str, raw: str, digest: bytes | None, size: int
    ) -> Iterator[Finding]:
        rel = manifest.name
        reason = _unsafe_reason(path)
        if reason is not None:
            yield finding("BAG017", path=rel, line=lineno, found=_trim(raw), reason=reason)
            return
        if not path.startswith("data/"):
            yield finding("BAG016", path=rel, line=lineno, found=_trim(raw))
            return
        if path in self._dirs:
            yield finding("BAG023", path=rel, line=lineno, found=_trim(raw))
            return
        if path in self._special:
            return  # already reported as a link or special file
        previous = manifest.missing.get(path)
        if previous is not None:
            yield finding("BAG020", path=rel, line=lineno, found=_trim(raw), first_line=previous)
            return
        if len(manifest.missing) < 1_000_000:
            manifest.missing[path] = lineno
        if path in self._fetch:
            manifest.fetch_listed.add(path)
            return  # reported once, as incomplete, by _check_completeness
        keys = self._keys or {}
        idx = keys.get(_collision_key(path))
        if idx is not None:
            on_disk = self._paths[idx]
            listed = manifest.lines
            if listed[idx]:
                yield finding(
                    "BAG063",
                    path=rel,
                    line=lineno,
                    found=_trim(raw),
                    other=_trim(on_disk),
                    first_line=listed[idx],
                )
                if size and digest and digest != manifest.digests[idx * size : (idx + 1) * size]:
                    # two different checksums for what is one file on a case-insensitive system
                    yield finding("BAG020", path=rel, line=lineno, found=_trim(raw), first_line=listed[idx])
                return
            code = "BAG062" if _nfc(on_disk) == _nfc(path) else "BAG064"
            yield finding(
                code, path=display_name(on_disk), found=_trim(raw), manifest=rel, manifest_line=lineno
            )
            listed[idx] = lineno
            manifest.aliases.add(idx)
            if size and digest:
                manifest.digests[idx * size : (idx + 1) * size] = digest
            return
        yield finding("BAG018", path=display_name(path), manifest=rel, manifest_line=lineno)

    # ------------------------------------------------------------------ §2.2.1 tag manifests

    def _check_tag_manifests(self) -> Iterator[Finding]:
        names = self._manifest_names(tag=True)
        tag_manifest_names = {n for n, _ in names}
        payload_algorithms = sorted({m.algorithm for m in self._payload if m.supported})
        for name, algorithm in names:
            supported = is_supported(algorithm)
            if not supported:
                yield _unsupported_algorithm(name, algorithm)
            elif payload_algorithms and algorithm not in payload_algorithms:
                yield finding(
                    "BAG034", path=name, algorithm=algorithm, expected=", ".join(payload_algorithms)
                )
            manifest = _Manifest(
                name=name, algorithm=algorithm, supported=supported, lines=array("I"), digests=bytearray()
            )
            fd, problem = self._open_tag(name)
            if problem is not None:
                yield problem
                continue
            self._tagman.append(manifest)
            reader, lines = self._lines(name, fd)
            for lineno, text, good, cut in lines:
                problems, digest, path, raw = self._parse_line(manifest, lineno, text, good, cut)
                if problems:
                    yield from problems
                if path is None:
                    continue
                if path.startswith("data/"):
                    yield finding("BAG030", path=name, line=lineno, found=_trim(raw))
                    continue
                if path in tag_manifest_names:
                    yield finding("BAG031", path=name, line=lineno, found=_trim(raw))
                    continue
                previous = manifest.tag_entries.get(path)
                if previous is not None:
                    same = previous[1] == digest
                    code = "BAG021" if same and not self.modern else "BAG020"
                    yield finding(code, path=name, line=lineno, found=_trim(raw), first_line=previous[0])
                    continue
                if path not in self._tags:
                    reason = _unsafe_reason(path)
                    if reason is not None:
                        yield finding("BAG017", path=name, line=lineno, found=_trim(raw), reason=reason)
                    elif self._root_entries.get(path) == "dir" or Path(self._abs(path)).is_dir():
                        yield finding("BAG023", path=name, line=lineno, found=_trim(raw))
                    elif path not in self._special:
                        yield finding("BAG018", path=display_name(path), manifest=name, manifest_line=lineno)
                    continue
                manifest.tag_entries[path] = (lineno, digest or b"")
            yield from self._tail_findings(name, reader)
            reported: set[str] = set()
            for payload in self._payload:
                if payload.name not in manifest.tag_entries:
                    reported.add(payload.name)
                    yield finding(
                        "BAG032",
                        path=name,
                        found=payload.name,
                        severity=None if self.modern else Severity.WARNING,
                    )
            for tag in sorted(self._tags):
                if tag == self.signature_path:
                    continue  # the signature cannot be in the manifest it signs (docs/signing.md)
                if tag not in tag_manifest_names and tag not in manifest.tag_entries and tag not in reported:
                    yield finding("BAG033", path=display_name(tag), manifest=name)

    # ------------------------------------------------------------------ §2.2.2 bag-info.txt

    def _check_bag_info(self) -> Iterator[Finding]:
        rel = "bag-info.txt"
        if (
            self.version < (0, 96)
            and "package-info.txt" in self._root_entries
            and rel not in self._root_entries
        ):
            rel = "package-info.txt"
        if rel not in self._root_entries:
            return
        fd, problem = self._open_tag(rel)
        if problem is not None:
            yield problem
            return
        reader, lines = self._lines(rel, fd)
        seen: dict[str, int] = {}
        oxum: tuple[int, int] | None = None
        current: str | None = None
        for lineno, text, good, cut in lines:
            if not good:
                yield finding("BAG025", path=rel, line=lineno, encoding=self.encoding)
            if len(text) > 79:
                yield finding("BAG046", path=rel, line=lineno, found=len(text))
            if cut:
                yield finding("BAG040", path=rel, line=lineno, found=_trim(text))
                current = None
                continue
            if text[:1] in (" ", "\t") and text.strip():
                if current is None:
                    yield finding("BAG040", path=rel, line=lineno, found=_trim(text))
                continue
            label, colon, value = text.partition(":")
            if not colon or not label.strip():
                yield finding("BAG040", path=rel, line=lineno, found=_trim(text))
                current = None
                continue
            name = label.strip()
            if self.modern and (label != name or (value and value[0] not in " \t")):
                yield finding("BAG041", path=rel, line=lineno, found=_trim(text))
            key = name.lower()
            current = key
            value = value.strip()
            first = seen.get(key)
            if key == "payload-oxum":
                if first is not None:
                    yield finding("BAG043", path=rel, line=lineno, first_line=first)
                else:
                    match = _OXUM.fullmatch(value)
                    if match is None:
                        yield finding("BAG042", path=rel, line=lineno, found=_trim(value))
                    else:
                        oxum = (int(match.group(1)), int(match.group(2)))
            elif key in _SHOULD_NOT_REPEAT and first is not None:
                yield finding(
                    "BAG045", path=rel, line=lineno, field=_SHOULD_NOT_REPEAT[key], first_line=first
                )
            if first is None:
                seen[key] = lineno
            if key == "bagging-date" and _DATE.fullmatch(value) is None:
                yield finding(
                    "BAG047",
                    path=rel,
                    line=lineno,
                    field="Bagging-Date",
                    expected="YYYY-MM-DD",
                    found=_trim(value),
                )
            elif key == "bag-count" and _BAG_COUNT.fullmatch(value) is None:
                yield finding(
                    "BAG047", path=rel, line=lineno, field="Bag-Count", expected="N of T", found=_trim(value)
                )
        yield from self._tail_findings(rel, reader)
        if oxum is not None:
            if self._holes():
                self.skipped.append(
                    Skipped(
                        check="bagit.payload-oxum", reason="files listed in fetch.txt are still to be fetched"
                    )
                )
            elif "data" in self._root_entries:
                octets = sum(self._sizes)
                files = len(self._paths)
                if (octets, files) != oxum:
                    yield finding(
                        "BAG044", path=rel, expected=f"{oxum[0]}.{oxum[1]}", found=f"{octets}.{files}"
                    )

    def _holes(self) -> list[str]:
        return [p for p in self._fetch if p not in self._index]

    # ------------------------------------------------------------------ §3 completeness

    def _check_completeness(self) -> Iterator[Finding]:
        manifests = self._payload
        if not manifests:
            return
        paths = self._paths
        if self.modern:
            for manifest in manifests:
                listed = manifest.lines
                for idx in range(len(paths)):
                    if not listed[idx]:
                        yield finding("BAG019", path=display_name(paths[idx]), manifest=manifest.name)
        else:
            names = ", ".join(m.name for m in manifests)
            for idx in range(len(paths)):
                if not any(m.lines[idx] for m in manifests):
                    yield finding("BAG019", path=display_name(paths[idx]), manifest=names)
        for path, (lineno, url, length) in sorted(self._fetch.items()):
            found = self._index.get(path)
            for manifest in manifests:
                present = manifest.lines[found] if found is not None else path in manifest.fetch_listed
                if not present:
                    yield finding(
                        "BAG053", path="fetch.txt", line=lineno, found=_trim(path), manifest=manifest.name
                    )
            if found is None:
                yield finding("BAG055", path=display_name(path), fetch_line=lineno, url=_trim(url))
            elif length.isdigit() and int(length) != self._sizes[found]:
                yield finding(
                    "BAG056",
                    path=display_name(path),
                    found=self._sizes[found],
                    expected=int(length),
                    fetch_line=lineno,
                )

    # ------------------------------------------------------------------ §3 validity: checksums

    def _verify_payload(self) -> Iterator[Finding]:
        manifests = sorted((m for m in self._payload if m.supported), key=lambda m: m.algorithm)
        if not manifests:
            return
        algorithms = [m.algorithm for m in manifests]
        paths = self._paths
        sizes = self._sizes
        prefix = self.root + "/"
        columns = [(m.lines, m.digests, DIGEST_SIZES[m.algorithm]) for m in manifests]
        unset = [bytes(DIGEST_SIZES[m.algorithm]) for m in manifests]

        def work() -> Iterator[VerifyItem]:
            if len(columns) == 1:  # the common case, kept tight: one manifest
                lines, digests, size = columns[0]
                zero = unset[0]
                for idx, rel in enumerate(paths):
                    if lines[idx]:
                        chunk = digests[idx * size : idx * size + size]
                        yield (prefix + rel, sizes[idx], (None if chunk == zero else chunk.hex(),))
                return
            for idx, rel in enumerate(paths):
                expected: list[str | None] = []
                listed = False
                for (lines, digests, size), zero in zip(columns, unset, strict=True):
                    if lines[idx]:
                        chunk = digests[idx * size : (idx + 1) * size]
                        expected.append(None if chunk == zero else chunk.hex())  # zero: malformed (BAG015)
                        listed = True
                    else:
                        expected.append(None)
                if listed:
                    yield (prefix + rel, sizes[idx], tuple(expected))

        cut = len(prefix)
        index = self._index
        by_algorithm = {m.algorithm: m for m in manifests}
        # A process pool costs tens of milliseconds to start: not worth it for a handful of small files.
        small = len(paths) < 64 and sum(sizes) < (64 << 20)
        for result in verify_many(work(), algorithms, workers=1 if small else self.workers):
            rel = result.path[cut:]
            idx = index[rel]
            if result.digest is None:
                yield finding("BAG071", path=display_name(rel), reason=result.error or "")
                continue
            for algorithm in result.mismatched:
                manifest = by_algorithm[algorithm]
                size = DIGEST_SIZES[algorithm]
                yield finding(
                    "BAG022",
                    path=display_name(rel),
                    algorithm=algorithm,
                    expected=manifest.digests[idx * size : (idx + 1) * size].hex(),
                    found=result.digest.digests[algorithm],
                    manifest=manifest.name,
                    manifest_line=manifest.lines[idx],
                )

    def _verify_tags(self) -> Iterator[Finding]:
        wanted: dict[str, set[str]] = {}
        for manifest in self._tagman:
            if not manifest.supported:
                continue
            for path in manifest.tag_entries:
                wanted.setdefault(path, set()).add(manifest.algorithm)
        for path in sorted(wanted):
            try:
                result = hash_file(self._abs(path), sorted(wanted[path]))
            except OSError as exc:
                yield finding("BAG071", path=display_name(path), reason=exc.strerror or str(exc))
                continue
            for manifest in self._tagman:
                entry = manifest.tag_entries.get(path)
                if entry is None or not manifest.supported or not entry[1]:
                    continue
                actual = result.digests[manifest.algorithm]
                if entry[1].hex() != actual:
                    yield finding(
                        "BAG022",
                        path=display_name(path),
                        algorithm=manifest.algorithm,
                        expected=entry[1].hex(),
                        found=actual,
                        manifest=manifest.name,
                        manifest_line=entry[0],
                    )
