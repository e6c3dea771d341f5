"""The one hardened XML parser factory: every module parses XML through here.

Packages at a national archive are untrusted input. This module implements the
project's XML security policy (design.md, "Standard XML schemas"; OWASP XML
External Entity Prevention) on top of lxml/libxml2:

* no entity expansion, no DTD loading, no DTD validation, no network
  (``resolve_entities=False, load_dtd=False, no_network=True``), and a resolver
  that refuses every external load, so nothing outside the document is read;
* a document whose ``<!DOCTYPE …>`` has an internal subset (``[ … ]``: entity,
  attribute or element declarations) or names an external DTD (``SYSTEM`` /
  ``PUBLIC``) is rejected; only a bare ``<!DOCTYPE name>`` is tolerated;
* libxml2's own limits stay on (``huge_tree=False``: entity amplification,
  text-node size, depth), and we add a byte-size limit checked *before*
  parsing plus configurable depth, element-count and attribute-count limits;
* XInclude is never processed; comments and processing instructions are kept.

The well-formedness rules are those of XML 1.0 (Fifth Edition) §2.1, the
encoding rules those of §4.3.3.

Two styles of API:

* :func:`parse_xml` and :func:`iterparse_xml` raise
  :class:`~luutru_aip.errors.XMLSecurityError` (forbidden construct, limit)
  or :class:`~luutru_aip.errors.InputError` (not well-formed, bad encoding)
  with a message naming the file and, when libxml2 gives one, the line;
* :func:`parse_xml_findings` never raises for bad input: it returns the tree
  (or ``None``) and findings ``XML001``–``XML005`` (rules in
  ``data/rules/xml.toml``) or ``IO001`` when the file cannot be read.

A ``str`` or path-like source is a file name; ``bytes`` is the document itself.
"""

from __future__ import annotations

import codecs
import io
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any, Final, Literal, cast

import attrs
from lxml import etree

from luutru_aip._fs.paths import display_name
from luutru_aip.errors import InputError, XMLSecurityError
from luutru_aip.findings import Finding, finding

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "DenyAllResolver",
    "XMLLimits",
    "XMLSource",
    "iterparse_xml",
    "make_parser",
    "parse_xml",
    "parse_xml_findings",
]

MiB: Final = 1024 * 1024
#: Default size limit: 256 MiB (large METS for big fonds stay well below).
DEFAULT_MAX_BYTES: Final = 256 * MiB
#: Default depth limit; libxml2 without XML_PARSE_HUGE also stops at 256.
DEFAULT_MAX_DEPTH: Final = 256
#: How much of a prolog (decoded characters) we read to check a DOCTYPE.
_PROLOG_SCAN_CHARS: Final = 1 * MiB

XMLSource = str | os.PathLike[str] | bytes

_Code = Literal["XML001", "XML002", "XML003", "XML004"]


def _positive(_inst: object, attribute: attrs.Attribute[Any], value: int | None) -> None:
    if value is not None and value < 1:
        raise ValueError(f"XMLLimits.{attribute.name} must be a positive integer, not {value!r}")


@attrs.frozen(kw_only=True)
class XMLLimits:
    """Safety limits applied to every document (all checked; none can be switched off entirely).

    ``max_depth`` cannot usefully exceed libxml2's own limit of 256 nesting
    levels, which stays on because ``huge_tree`` is never enabled.
    ``max_elements`` (whole document) and ``max_attributes`` (per element) are
    off when ``None``.
    """

    max_bytes: int = attrs.field(default=DEFAULT_MAX_BYTES, validator=_positive)
    max_depth: int = attrs.field(default=DEFAULT_MAX_DEPTH, validator=_positive)
    max_elements: int | None = attrs.field(default=None, validator=_positive)
    max_attributes: int | None = attrs.field(default=None, validator=_positive)


class DenyAllResolver(etree.Resolver):
    """An lxml resolver that refuses every external load and remembers what was asked for.

    With the hardened parser flags libxml2 should never ask; this is the second
    line of defence, and :attr:`refused` lets us report an attempt as ``XML002``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.refused: list[str] = []

    def resolve(self, system_url: str, public_id: str, context: Any = None) -> Any:
        self.refused.append(system_url or public_id or "?")
        raise XMLSecurityError(f"external DTD or entity load refused: {system_url or public_id!r}")


def make_parser(*, resolver: etree.Resolver | None = None) -> etree.XMLParser:
    """A new hardened :class:`lxml.etree.XMLParser` (parsers are not shared between threads).

    ``resolver`` (for example the schema store's) replaces the default
    :class:`DenyAllResolver`; it must itself refuse anything it does not know.
    """
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        recover=False,
        remove_pis=False,
        remove_comments=False,
        collect_ids=False,
    )
    parser.resolvers.add(DenyAllResolver() if resolver is None else resolver)
    return parser


# --------------------------------------------------------------------------- internals


class _Problem(Exception):
    """Internal: one reason a document was refused, with the finding code to report it under."""

    def __init__(self, code: _Code, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.code: _Code = code
        self.reason = reason
        self.line = line


class _BoundedReader(io.RawIOBase):
    """A read-only file wrapper that fails once more than ``limit`` bytes were read."""

    def __init__(self, raw: IO[bytes], limit: int) -> None:
        super().__init__()
        self._raw = raw
        self._limit = limit
        self._count = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        want = self._limit + 1 - self._count if size < 0 else min(size, self._limit + 1 - self._count)
        data = self._raw.read(max(want, 1))
        self._count += len(data)
        if self._count > self._limit:
            raise _Problem("XML003", f"document is larger than the limit of {self._limit} bytes")
        return data


def _display(source: XMLSource, name: str | None) -> str:
    if name is not None:
        return display_name(name)
    if isinstance(source, bytes):
        return "<bytes>"
    return display_name(Path(source).as_posix())


def _size_problem(size: int, limits: XMLLimits) -> _Problem | None:
    if size > limits.max_bytes:
        return _Problem("XML003", f"document is {size} bytes, over the limit of {limits.max_bytes} bytes")
    return None


_ENCODING_ERRORS: Final = frozenset(
    {
        int(etree.ErrorTypes.ERR_INVALID_ENCODING),
        int(etree.ErrorTypes.ERR_UNSUPPORTED_ENCODING),
        int(etree.ErrorTypes.ERR_UNKNOWN_ENCODING),
    }
)


def _classify(log: Any, exc: BaseException) -> _Problem:
    """Map a libxml2 failure to XML001–XML004, using the parser's own error log."""
    entries = [e for e in log if int(e.level) >= int(etree.ErrorLevels.ERROR)]
    entry = entries[0] if entries else None
    if entry is not None:
        code = int(entry.type)
        message = str(entry.message).strip().rstrip(".")
        line: int | None = int(entry.line) if entry.line else None
    else:
        code = int(getattr(exc, "code", 0) or 0)
        message = str(getattr(exc, "msg", None) or exc).strip().rstrip(".")
        position = getattr(exc, "position", None)
        line = int(position[0]) if position and position[0] else None
    lowered = message.lower()
    if code in _ENCODING_ERRORS or ("encoding" in lowered and "unsupported" in lowered):
        return _Problem("XML004", message, line)
    if code == int(etree.ErrorTypes.ERR_ENTITY_LOOP) or (
        "entity" in lowered and ("amplification" in lowered or "loop" in lowered)
    ):
        return _Problem("XML002", message, line)
    if code == int(etree.ErrorTypes.ERR_RESOURCE_LIMIT) or "huge" in lowered or "depth" in lowered:
        return _Problem("XML003", message, line)
    return _Problem("XML001", message, line)


def _read_prefix(source: bytes | IO[bytes], limit: int) -> bytes:
    """The first ``limit`` bytes of the document itself.

    For a file, read with ``pread`` from the descriptor that was parsed, so the
    prolog checked is the one parsed even if the file is replaced meanwhile,
    and the position of an ongoing (iterative) parse is not moved.
    """
    if isinstance(source, bytes):
        return source[:limit]
    return os.pread(source.fileno(), limit, 0)


def _doctype_problem(docinfo: Any, source: bytes | IO[bytes]) -> _Problem | None:
    """``None`` when there is no DOCTYPE or only a bare ``<!DOCTYPE name>``; else the XML002 problem."""
    dtd = docinfo.internalDTD
    if dtd is None:
        return None
    public_id = docinfo.public_id
    system_url = docinfo.system_url
    if public_id or system_url:
        ref = " ".join(repr(x) for x in (public_id, system_url) if x)
        return _Problem("XML002", f"DOCTYPE refers to an external DTD ({ref}); DTDs are not loaded")
    if any(True for _ in dtd.iterentities()):
        return _Problem("XML002", "DOCTYPE declares entities; entity declarations are forbidden")
    if any(True for _ in dtd.iterelements()):
        return _Problem("XML002", "DOCTYPE has element declarations (internal subset); forbidden")
    # lxml does not expose every kind of declaration (ATTLIST, NOTATION): read the prolog itself.
    encoding = docinfo.encoding or "UTF-8"
    try:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    except LookupError:
        return _Problem("XML002", f"DOCTYPE present and the encoding {encoding!r} cannot be checked")
    try:
        raw = _read_prefix(source, 4 * _PROLOG_SCAN_CHARS)
        text = decoder.decode(raw, final=False)
    except (OSError, UnicodeDecodeError) as exc:
        return _Problem("XML002", f"DOCTYPE present and the prolog could not be checked: {exc}")
    verdict = _scan_prolog(text.lstrip("\ufeff"))
    if verdict is None:
        return None
    return _Problem("XML002", verdict)


def _scan_prolog(text: str) -> str | None:
    """Walk a well-formed prolog; ``None`` if its DOCTYPE is bare, else why it is refused."""
    pos = 0
    end = min(len(text), _PROLOG_SCAN_CHARS)
    while pos < end:
        while pos < end and text[pos] in " \t\r\n":
            pos += 1
        if text.startswith("<?", pos):
            close = text.find("?>", pos + 2)
            if close < 0:
                break
            pos = close + 2
        elif text.startswith("<!--", pos):
            close = text.find("-->", pos + 4)
            if close < 0:
                break
            pos = close + 3
        elif text.startswith("<!DOCTYPE", pos):
            pos += len("<!DOCTYPE")
            while pos < end and text[pos] in " \t\r\n":
                pos += 1
            while pos < end and text[pos] not in " \t\r\n[>":
                pos += 1
            while pos < end and text[pos] in " \t\r\n":
                pos += 1
            if pos < end and text[pos] == ">":
                return None
            if pos < end and text[pos] == "[":
                return "DOCTYPE has an internal subset ([…]); DTD declarations are forbidden"
            return "DOCTYPE refers to an external DTD; DTDs are not loaded"
        else:
            return "DOCTYPE could not be located in the prolog"
    return "prolog too long to check the DOCTYPE"


def _walk_problem(root: Any, limits: XMLLimits) -> _Problem | None:
    """Check depth and counts in one pass over the tree.

    (Entity references cannot survive to here: without a DOCTYPE declaring them
    they are a well-formedness error, and any DOCTYPE that declares one is refused.)
    """
    depth = 0
    elements = 0
    max_attributes = limits.max_attributes
    max_elements = limits.max_elements
    for event, node in etree.iterwalk(root, events=("start", "end")):
        if event == "end":
            depth -= 1
            continue
        depth += 1
        elements += 1
        if depth > limits.max_depth:
            return _Problem(
                "XML003", f"elements nest deeper than the limit of {limits.max_depth}", node.sourceline
            )
        if max_elements is not None and elements > max_elements:
            return _Problem("XML003", f"more than {max_elements} elements", node.sourceline)
        if max_attributes is not None and len(node.attrib) > max_attributes:
            return _Problem(
                "XML003", f"an element has more than {max_attributes} attributes", node.sourceline
            )
    return None


def _check_tree(tree: Any, source: bytes | IO[bytes], limits: XMLLimits, resolver: Any) -> None:
    refused = getattr(resolver, "refused", None)
    if refused:
        raise _Problem("XML002", f"the document asked to load an external resource: {refused[0]}")
    problem = _doctype_problem(tree.docinfo, source)
    if problem is None:
        problem = _walk_problem(tree.getroot(), limits)
    if problem is not None:
        raise problem


def _parse(source: XMLSource, limits: XMLLimits, resolver: etree.Resolver | None) -> Any:
    """Parse ``source`` or raise :class:`_Problem` (or :class:`OSError` for unreadable files)."""
    own = DenyAllResolver() if resolver is None else resolver
    parser = make_parser(resolver=own)
    try:
        if isinstance(source, bytes):
            problem = _size_problem(len(source), limits)
            if problem is not None:
                raise problem
            tree = etree.fromstring(source, parser).getroottree()
            _check_tree(tree, source, limits, own)
        else:
            with open(source, "rb") as handle:
                problem = _size_problem(os.fstat(handle.fileno()).st_size, limits)
                if problem is not None:
                    raise problem
                bounded = _BoundedReader(handle, limits.max_bytes)
                base = os.fsencode(Path(source).absolute())
                tree = etree.parse(cast(IO[bytes], bounded), parser, base_url=base)
                _check_tree(tree, handle, limits, own)
    except etree.XMLSyntaxError as exc:
        raise _classify(cast(Any, parser).error_log, exc) from None
    except XMLSecurityError as exc:  # raised by a resolver during the parse
        raise _Problem("XML002", str(exc)) from None
    return tree


def _message(display: str, problem: _Problem) -> str:
    where = display if problem.line is None else f"{display}, line {problem.line}"
    kind = {
        "XML001": "is not well-formed XML",
        "XML002": "uses a forbidden XML construct",
        "XML003": "exceeds an XML safety limit",
        "XML004": "has a character-encoding problem",
    }[problem.code]
    return f"{where}: {kind}: {problem.reason}"


def _raise_for(display: str, problem: _Problem) -> None:
    if problem.code in ("XML002", "XML003"):
        raise XMLSecurityError(_message(display, problem)) from None
    raise InputError(_message(display, problem)) from None


# --------------------------------------------------------------------------- public API


def parse_xml(
    source: XMLSource,
    *,
    limits: XMLLimits | None = None,
    resolver: etree.Resolver | None = None,
    name: str | None = None,
) -> etree._ElementTree:
    """Parse an XML file (``str``/path) or document (``bytes``) safely and return its tree.

    Raises :class:`~luutru_aip.errors.XMLSecurityError` for a forbidden
    construct or an exceeded limit, :class:`~luutru_aip.errors.InputError`
    when the document is not well-formed, has an encoding problem or cannot be
    read. ``name`` is the name used in messages (default: the path).
    """
    display = _display(source, name)
    try:
        tree: etree._ElementTree = _parse(source, limits or XMLLimits(), resolver)
    except _Problem as problem:
        _raise_for(display, problem)
        raise AssertionError("unreachable") from None  # pragma: no cover
    except OSError as exc:
        raise InputError(f"{display}: cannot read: {exc.strerror or exc}") from None
    return tree


def parse_xml_findings(
    path: str | os.PathLike[str] | bytes,
    *,
    package_path: str | None = None,
    limits: XMLLimits | None = None,
) -> tuple[etree._ElementTree | None, list[Finding]]:
    """Parse without raising for bad input: ``(tree or None, findings)``.

    ``package_path`` is the POSIX path relative to the package root used in the
    findings (default: the path as given). A parsed document whose encoding is
    not UTF-8 is returned with an ``XML005`` warning.
    """
    display = _display(path, package_path)
    try:
        tree: etree._ElementTree = _parse(path, limits or XMLLimits(), None)
    except _Problem as problem:
        return None, [finding(problem.code, path=display, line=problem.line, reason=problem.reason)]
    except OSError as exc:
        return None, [finding("IO001", path=display, reason=str(exc.strerror or exc))]
    findings: list[Finding] = []
    encoding = (tree.docinfo.encoding or "UTF-8").upper()
    if encoding not in ("UTF-8", "UTF8"):
        findings.append(finding("XML005", path=display, encoding=tree.docinfo.encoding))
    return tree, findings


def iterparse_xml(
    source: str | os.PathLike[str],
    *,
    events: Sequence[str] = ("end",),
    tag: str | Sequence[str] | None = None,
    limits: XMLLimits | None = None,
    name: str | None = None,
) -> Iterator[tuple[str, Any]]:
    """Stream ``(event, element)`` pairs from a large file with the same protections as :func:`parse_xml`.

    ``events`` are lxml iterparse events (``start``, ``end``, ``start-ns``,
    ``end-ns``, ``comment``, ``pi``). The caller should ``clear()`` elements it
    has finished with to keep memory flat. Raises like :func:`parse_xml`;
    elements already yielded before a problem was found stay the caller's.
    """
    limits = limits or XMLLimits()
    display = _display(source, name)
    wanted = tuple(events)
    own_events = tuple(dict.fromkeys(("start", "end", *wanted)))
    tags = None if tag is None else ({tag} if isinstance(tag, str) else set(tag))
    try:
        handle = open(source, "rb")  # noqa: SIM115 - closed in the finally below
    except OSError as exc:
        raise InputError(f"{display}: cannot read: {exc.strerror or exc}") from None
    resolver = DenyAllResolver()
    try:
        problem = _size_problem(os.fstat(handle.fileno()).st_size, limits)
        if problem is not None:
            raise problem
        context: Any = etree.iterparse(
            _BoundedReader(handle, limits.max_bytes),
            events=own_events,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            attribute_defaults=False,
            huge_tree=False,
            recover=False,
            remove_pis=False,
            remove_comments=False,
            collect_ids=False,
        )
        context.resolvers.add(resolver)
        depth = 0
        elements = 0
        checked_prolog = False
        try:
            for event, node in context:
                if event == "start":
                    if not checked_prolog:
                        checked_prolog = True
                        problem = _doctype_problem(node.getroottree().docinfo, handle)
                        if problem is not None:
                            raise problem
                    depth += 1
                    elements += 1
                    if depth > limits.max_depth:
                        raise _Problem(
                            "XML003",
                            f"elements nest deeper than the limit of {limits.max_depth}",
                            node.sourceline,
                        )
                    if limits.max_elements is not None and elements > limits.max_elements:
                        raise _Problem("XML003", f"more than {limits.max_elements} elements", node.sourceline)
                    if limits.max_attributes is not None and len(node.attrib) > limits.max_attributes:
                        raise _Problem(
                            "XML003",
                            f"an element has more than {limits.max_attributes} attributes",
                            node.sourceline,
                        )
                elif event == "end":
                    depth -= 1
                if resolver.refused:
                    raise _Problem("XML002", f"external resource load refused: {resolver.refused[0]}")
                if event not in wanted:
                    continue
                if tags is None or event not in ("start", "end") or node.tag in tags:
                    yield event, node
        except etree.XMLSyntaxError as exc:
            raise _classify(context.error_log, exc) from None
        except XMLSecurityError as exc:
            raise _Problem("XML002", str(exc)) from None
    except _Problem as problem:
        _raise_for(display, problem)
    except OSError as exc:
        raise InputError(f"{display}: cannot read: {exc.strerror or exc}") from None
    finally:
        handle.close()
