"""Shared state and helpers of one package validation run (E-ARK CSIP, SIP, AIP, TT05).

* :class:`Options` — what was asked for (profile, specification version, fast mode, workers …);
* :class:`RunState` — what the stages learn and hand on: which files the METS documents reference,
  the checksums and sizes declared for each file (METS ``CHECKSUM``/``SIZE``, PREMIS fixity), METS
  file IDs, and the documents read;
* :func:`resolve_href` — an ``xlink:href`` (a relative URL, CSIP76) to a package path, refusing
  anything that leaves the package (RFC 3986 §5.2 resolution against the METS file's folder);
* :func:`read_xml` — parse one package XML file through the hardened parser, choosing a tree (small
  files, schema-validated) or a stream (large files), and turning every parser problem into a finding;
* :class:`Limiter` — at most :data:`MAX_SAME` findings of one code per file, then one ``METS099``.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any, Final

import attrs
from lxml import etree

from luutru_aip._fs.paths import check_package_path
from luutru_aip.errors import InputError, LuutruError, SchemaStoreError
from luutru_aip.findings import Finding, Severity, Skipped, finding
from luutru_aip.metadata._xml import XMLLimits, iterparse_xml, parse_xml_findings
from luutru_aip.metadata.schemastore import SchemaStore, validate_with
from luutru_aip.validate._metsread import xml_problem
from luutru_aip.validate._source import PackageSource

__all__ = [
    "MAX_SAME",
    "SPEC_VERSIONS",
    "TREE_LIMIT",
    "Expect",
    "Limiter",
    "Options",
    "RunState",
    "XmlRead",
    "is_datetime",
    "path_problem",
    "read_xml",
    "resolve_href",
]

#: Supported E-ARK specification versions, oldest first; the newest is the default.
SPEC_VERSIONS: Final = ("2.0.4", "2.1.0", "2.2.0")
#: XML files up to this size are parsed into a tree (and schema-validated); larger ones are streamed.
TREE_LIMIT: Final = 16 << 20
#: At most this many findings of one code from one file; the rest are counted in one METS099.
MAX_SAME: Final = 200
_XML_MAX: Final = XMLLimits().max_bytes

_DATETIME: Final = re.compile(
    r"-?(\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))?"
)
_SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_BAD_PERCENT: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")


def is_datetime(text: str) -> bool:
    """True for an ``xs:dateTime`` (XML Schema Part 2 §3.2.7) with real calendar values."""
    match = _DATETIME.fullmatch(text.strip())
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    if hour == 24 and minute == 0 and second == 0 and not match.group(7):
        hour = 0  # 24:00:00 is allowed as the end of a day
    try:
        datetime(min(max(year, 1), 9999), month, day, hour, minute, second)
    except ValueError:
        return False
    return not (match.group(9) is not None and (int(match.group(9)) > 14 or int(match.group(10)) > 59))


def path_problem(text: str) -> str | None:
    """:func:`~luutru_aip._fs.paths.check_package_path`, with a fast answer for ordinary names.

    A printable name without backslash, drive, home, leading slash, empty, ``.`` or ``..`` segment
    and with short segments is safe; anything else gets the full check (same reason codes).
    """
    if (
        text
        and text.isprintable()
        and "\\" not in text
        and "//" not in text
        and text[0] not in "/~"
        and text[-1] != "/"
        and text[1:2] != ":"
    ):
        segments = text.split("/")
        if "." not in segments and ".." not in segments:
            if text.isascii():
                if max(map(len, segments)) <= 255:
                    return None
            elif all(len(s.encode("utf-8")) <= 255 for s in segments):
                return None
    return check_package_path(text)


def resolve_href(href: str, base: str) -> tuple[str | None, str | None]:
    """Resolve a METS ``xlink:href`` against ``base`` (the METS file's folder, ``""`` or ``"a/b/"``).

    Returns ``(package path, None)`` or ``(None, reason)`` where reason is one of ``empty``,
    ``external`` (another URL scheme or ``file://`` with a host/absolute path), ``query``,
    ``percent`` (malformed or non-UTF-8 percent-encoding), ``outside`` (``..`` above the package
    root) or a :func:`~luutru_aip._fs.paths.check_package_path` reason.
    """
    text = href.strip()
    if not text:
        return None, "empty"
    if text.lower().startswith("file:"):
        text = text[5:]
        if text.startswith("/"):
            return None, "external"
    elif _SCHEME.match(text) and not re.match(r"[A-Za-z]:[\\/]", text):
        return None, "external"
    if "?" in text or "#" in text:
        return None, "query"
    if _BAD_PERCENT.search(text):
        return None, "percent"
    try:
        decoded = urllib.parse.unquote(text, errors="strict")
    except UnicodeDecodeError:
        return None, "percent"
    if decoded.startswith(("/", "\\")):
        return None, check_package_path(decoded) or "absolute"
    parts: list[str] = [p for p in base.split("/") if p]
    for segment in decoded.split("/"):
        if segment in ("", "."):
            if segment == "" and decoded.endswith("/"):
                return None, "empty_segment"
            continue
        if segment == "..":
            if not parts:
                return None, "outside"
            parts.pop()
            continue
        parts.append(segment)
    rel = "/".join(parts)
    reason = path_problem(rel)
    if reason is not None:
        return None, reason
    return rel, None


@attrs.frozen(kw_only=True)
class Options:
    """What one validation run was asked to do."""

    profile: str
    spec_version: str = SPEC_VERSIONS[-1]
    fast: bool = False
    workers: int = 1
    schemas: bool = True
    store: SchemaStore | None = None
    content: bool = True
    policy: Any = None  # content.FormatPolicy | None (kept loose to avoid an import cycle)
    #: The package path of the package's signature (``signatures/package.p7s``) when this run also
    #: verifies it: no METS can list it, so it is not reported as unreferenced (METS016).
    signature_path: str | None = None

    @property
    def version(self) -> tuple[int, int, int]:
        major, minor, patch = (int(x) for x in self.spec_version.split("."))
        return major, minor, patch


@attrs.define(slots=True)
class Expect:
    """One declared fact about a file: a checksum (``algorithm`` + ``value``) and/or a size."""

    source: str  # "mets" | "premis"
    algorithm: str | None  # fixity name (sha256 …), None when only a size is declared
    value: str | None  # lower-case hex
    size: int | None
    where: str  # shown path of the declaring document
    line: int | None
    xpath: str | None


@attrs.define
class RunState:
    """What the stages learn about the package and hand on to the next ones."""

    source: PackageSource
    options: Options
    skipped: list[Skipped] = attrs.Factory(list)
    broken: bool = False  # structure broken: no hashing, no content checks
    has_schema_dir: bool = True
    expects: dict[str, list[Expect]] = attrs.Factory(dict)
    referenced: set[str] = attrs.Factory(set)
    file_ids: dict[str, str] = attrs.Factory(dict)  # METS file ID → package path
    premis_files: list[tuple[str, str]] = attrs.Factory(list)  # (package path, owner base folder)
    descriptive_files: list[tuple[str, str]] = attrs.Factory(list)  # (package path, MDTYPE)
    mets_docs: list[Any] = attrs.Factory(list)  # _metsread.MetsDoc (reduced)
    package_type: str | None = None  # SIP | AIP | … from csip:OAISPACKAGETYPE
    time_hook: Callable[[str, str, str, int | None, str | None], Iterable[Finding]] | None = None
    mimetypes: dict[str, str] = attrs.Factory(dict)  # data file → METS MIMETYPE
    edges: dict[str, tuple[bytes, bytes]] = attrs.Factory(dict)  # file → (first, last 128 KiB)
    pdf_facts: dict[str, tuple[int | None, str | None, bool]] = attrs.Factory(dict)  # pages, PDF/A, encrypted

    def expect(self, rel: str, item: Expect) -> None:
        self.expects.setdefault(rel, []).append(item)

    def skip(self, check: str, reason: str) -> None:
        if not any(s.check == check and s.reason == reason for s in self.skipped):
            self.skipped.append(Skipped(check=check, reason=reason))


@attrs.define
class Limiter:
    """Caps findings per (code, path); the rest are summarised with ``METS099``."""

    limit: int = MAX_SAME
    counts: dict[tuple[str, str], int] = attrs.Factory(dict)

    def admit(self, item: Finding) -> bool:
        key = (item.code, item.location.path or "")
        seen = self.counts.get(key, 0) + 1
        self.counts[key] = seen
        return seen <= self.limit

    def summaries(self) -> Iterator[Finding]:
        for (code, path), seen in sorted(self.counts.items()):
            if seen > self.limit:
                yield finding(
                    "METS099", path=path or None, rule=code, count=seen - self.limit, limit=self.limit
                )


@attrs.define
class XmlRead:
    """The result of :func:`read_xml`: a tree (small file), or events to stream, or nothing (unreadable)."""

    tree: Any = None
    events: Iterator[tuple[str, Any]] | None = None
    findings: list[Finding] = attrs.Factory(list)

    @property
    def ok(self) -> bool:
        return self.tree is not None or self.events is not None


def read_xml(source: PackageSource, rel: str, *, shown: str | None = None) -> XmlRead:
    """Open one package XML file through the hardened parser (see the module docstring)."""
    shown = shown or source.show(rel)
    size = source.files.get(rel)
    if size is None:
        return XmlRead(findings=[finding("IO001", path=shown, reason="missing")])
    fs_path = source.fs_path(rel)
    if fs_path is not None and size > TREE_LIMIT:
        return XmlRead(events=_stream(fs_path, shown))
    if fs_path is not None:
        tree, problems = parse_xml_findings(fs_path, package_path=shown)
    else:
        try:
            data = source.read_bytes(rel, max_bytes=_XML_MAX)
        except (InputError, LuutruError) as exc:
            return XmlRead(findings=[finding("IO001", path=shown, reason=str(exc))])
        tree, problems = parse_xml_findings(data, package_path=shown)
    return XmlRead(tree=tree, findings=list(problems))


def _stream(fs_path: str, shown: str) -> Iterator[tuple[str, Any]]:
    return iterparse_xml(fs_path, events=("start", "end"), name=shown)


def stream_problem(exc: Exception, shown: str) -> Finding:
    """The finding for an error raised while streaming (``iterparse_xml`` raises, never returns findings)."""
    code, line, reason = xml_problem(str(exc))
    if code == "IO001":
        return finding("IO001", path=shown, reason=reason)
    return finding(code, path=shown, line=line, reason=reason)


def walk_events(tree: Any) -> Iterator[tuple[str, Any]]:
    """``(event, element)`` pairs over an already parsed tree (same shape as the streaming parser's)."""
    walker: Iterator[tuple[str, Any]] = etree.iterwalk(
        tree.getroot() if hasattr(tree, "getroot") else tree, events=("start", "end")
    )
    return walker


def schema_findings(
    state: RunState, tree: Any, names: tuple[str, ...], shown: str, check: str
) -> list[Finding]:
    """Validate ``tree`` against pinned schemas through the store (never a silent pass)."""
    options = state.options
    if not options.schemas:
        state.skip(check, "schema validation was switched off")
        return []
    if options.fast:
        state.skip(check, "fast mode: schemas are not validated")
        return []
    store = options.store or SchemaStore.default()
    try:
        return validate_with(store, tree, names, path=shown)
    except SchemaStoreError as exc:
        state.skip(check, f"the schema store cannot be used: {exc}")
        return [finding("SCH001", path=shown, schema="+".join(names), store=str(store.root))]


def error_count(items: Iterable[Finding]) -> int:
    return sum(1 for f in items if f.severity >= Severity.ERROR)
