"""METS writers for E-ARK CSIP packages: the root ``METS.xml`` and the representation ``METS.xml`` (L1).

Implements the E-ARK Common Specification for Information Packages (CSIP) 2.2.0 METS profile
(requirement ids ``CSIP1``…``CSIP119``), the E-ARK SIP 2.2.0 extension (``SIP1``…``SIP35``) and the
E-ARK AIP 2.2.0 extension (``AIPM1``…``AIPM6``, ``AIP3``), with the layout of Thông tư 05/2025/TT-BNV
(reference §e): METS 1.12.1, ``csip:`` / ``sip:`` extension attributes, SHA-256 checksums, and every
time in ISO 8601 with the +07:00 offset (:func:`luutru_aip.model.format_vn_time`).

The writers are pure functions of their inputs: same input, same bytes (UTF-8, XML declaration,
two-space indentation). Identifiers that the inputs do not carry are derived with
:func:`luutru_aip.model.stable_uuid` from the OBJID, so rebuilding a package gives the same ``ID``\\ s.
Files are listed sorted by package path. No wall clock, no file system.

XLink references (CSIP "Referencing between files", CSIP24/38/79/110) are relative URI references
(RFC 3986 §4.2) from the folder of the METS file, each path segment percent-encoded from its UTF-8
bytes; :func:`href_for` writes them and :func:`path_from_href` reads them back (round-trip exact,
Unicode normalisation untouched: an NFD name stays NFD).

:func:`read_mets_files` lists the file references of a METS document for validate/audit.
"""

from __future__ import annotations

import io
import os
import re
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Final

import attrs
from lxml import etree

from luutru_aip.metadata._xml import parse_xml
from luutru_aip.model import (
    AIP_ROOT_PROFILE,
    Agent,
    PackageFile,
    PackageInfo,
    PackageType,
    format_vn_time,
    stable_uuid,
)
from luutru_aip.vocab import eark

__all__ = [
    "AIP_PROFILE_EARK_2_2_0",
    "CONTENT_CATEGORIES",
    "CSIP_NS",
    "METS_NS",
    "PREDECESSOR_TYPES",
    "SIP_NS",
    "SPEC_VERSIONS",
    "TT05_CONTENT_INFORMATION_TYPE",
    "XLINK_NS",
    "MetsFileRef",
    "MetsOptions",
    "XmlWriter",
    "default_profile",
    "href_for",
    "md_type_for",
    "path_from_href",
    "read_mets_files",
    "representation_mets",
    "root_mets",
]

METS_NS: Final = "http://www.loc.gov/METS/"
XLINK_NS: Final = "http://www.w3.org/1999/xlink"
XSI_NS: Final = "http://www.w3.org/2001/XMLSchema-instance"
CSIP_NS: Final = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
SIP_NS: Final = "https://DILCIS.eu/XML/METS/SIPExtensionMETS"

#: Prefix → namespace declared on every METS root we write (prefixes are fixed: deterministic output).
_NSMAP: Final = (("mets", METS_NS), ("xlink", XLINK_NS), ("xsi", XSI_NS), ("csip", CSIP_NS), ("sip", SIP_NS))
_SCHEMA_LOCATION: Final = " ".join(
    (
        METS_NS,
        "http://www.loc.gov/standards/mets/mets.xsd",
        XLINK_NS,
        "http://www.loc.gov/standards/xlink/xlink.xsd",
        CSIP_NS,
        "https://earkcsip.dilcis.eu/schema/DILCISExtensionMETS.xsd",
        SIP_NS,
        "https://earksip.dilcis.eu/schema/DILCISExtensionSIPMETS.xsd",
    )
)

#: CSIP versions whose METS structure this module writes (they differ only in the SIP/AIP PROFILE URL).
SPEC_VERSIONS: Final = ("2.0.4", "2.1.0", "2.2.0")
_SIP_PROFILES: Final = {
    # SIP2 of E-ARK SIP 2.0.x names the unversioned profile (= model.CSIP_PROFILE).
    "2.0.4": "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml",
    "2.1.0": "https://earksip.dilcis.eu/profile/E-ARK-SIP-v2-1-0.xml",
    "2.2.0": "https://earksip.dilcis.eu/profile/E-ARK-SIP-v2-2-0.xml",
}
#: AIPM2 of E-ARK AIP 2.2.0 (the "earkdip" host is the specification's own spelling).
AIP_PROFILE_EARK_2_2_0: Final = "https://earkdip.dilcis.eu/profile/E-ARK-AIP-v2-2-0.xml"

#: Value of ``csip:OTHERCONTENTINFORMATIONTYPE``: no E-ARK content information type (CITS) covers
#: a TT05 hồ sơ, so CSIP4/CSIP5 are met with ``OTHER`` plus the number of the circular.
TT05_CONTENT_INFORMATION_TYPE: Final = "05/2025/TT-BNV"

#: ``mets/@TYPE`` values (CSIP2): the DILCIS vocabulary, plus ``OTHER`` as CSIP2/CSIP3 and the SIP
#: examples spell it.
CONTENT_CATEGORIES: Final = frozenset({*eark.CONTENT_CATEGORIES, "OTHER"})
_CONTENT_INFORMATION_TYPES: Final = eark.CONTENT_INFORMATION_TYPES
#: METS 1.12.1 agent/@ROLE and agent/@TYPE enumerations.
_AGENT_ROLES: Final = frozenset(
    {"CREATOR", "EDITOR", "ARCHIVIST", "PRESERVATION", "DISSEMINATOR", "CUSTODIAN", "IPOWNER", "OTHER"}
)
_AGENT_TYPES: Final = {"organization": "ORGANIZATION", "individual": "INDIVIDUAL", "person": "INDIVIDUAL"}
#: metsHdr/@RECORDSTATUS (E-ARK SIP vocabulary "SIPVocabularyRecordStatus", reference §d5).
_RECORD_STATUSES: Final = frozenset({"NEW", "SUPPLEMENT", "REPLACEMENT", "TEST", "VERSION", "OTHER"})
#: altRecordID/@TYPE written for PackageInfo.predecessor (no E-ARK vocabulary term exists; see docs).
PREDECESSOR_TYPES: Final = ("PREVIOUSVERSION", "SUBMISSIONPACKAGE")

_SHA256: Final = re.compile(r"[0-9a-fA-F]{64}")
#: An XML NCName subset (xs:ID): a letter or "_", then letters, digits, "_", "-", ".".
_NCNAME: Final = re.compile(r"[^\W\d][\w.\-]*")
#: Characters outside XML 1.0 Char (§2.2); lone surrogates included.
_NOT_XML_CHAR: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: Characters left unescaped in a path segment besides ALPHA / DIGIT: RFC 3986 unreserved "-._~" and
#: the sub-delims that no common decoder misreads. "+" (decoded as a space by form decoders such as
#: Java's URLDecoder), ";" and ":" (a colon in a first segment would read as a scheme) are escaped.
_HREF_SAFE: Final = "-._~!$&'()*,=@"
_PCT: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")


# --------------------------------------------------------------------------- XML writing


def _escape_text(text: str) -> str:
    if _NOT_XML_CHAR.search(text):
        raise ValueError(f"text is not allowed in XML 1.0: {text!r}")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _escape_attr(value: str) -> str:
    return _escape_text(value).replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;")


Attrs = Iterable[tuple[str, "str | None"]]


class XmlWriter:
    """A small streaming XML writer shared by the metadata writers.

    Elements are written as they come (no tree is kept), with two-space indentation, self-closing
    empty elements, attributes in the order given (``None`` values skipped) and characters checked
    against XML 1.0 §2.2. Tag and attribute names are trusted (``prefix:name`` written by our code);
    values and text are escaped. :meth:`getvalue` returns UTF-8 bytes with an XML declaration.
    """

    #: Parts kept as ``str`` before they are encoded into the output buffer (bounds memory).
    _FLUSH_PARTS: Final = 8192

    def __init__(self) -> None:
        self._out = io.BytesIO()
        self._parts: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>\n']
        self._stack: list[str] = []
        self._open = False  # a start tag was written and not yet closed with ">"
        self._rooted = False

    def _flush(self) -> None:
        self._out.write("".join(self._parts).encode("utf-8"))
        self._parts.clear()

    def _begin(self, tag: str, attrs: Attrs) -> None:
        if self._open:
            self._parts.append(">")
        if self._stack:
            self._parts.append("\n" + "  " * len(self._stack))
        elif self._rooted:
            raise ValueError("a document has one root element")
        self._rooted = True
        if len(self._parts) >= self._FLUSH_PARTS:
            self._flush()
        self._parts.append("<" + tag)
        for name, value in attrs:
            if value is not None:
                self._parts.append(f' {name}="{_escape_attr(value)}"')

    def start(self, tag: str, attrs: Attrs = ()) -> None:
        self._begin(tag, attrs)
        self._open = True
        self._stack.append(tag)

    def end(self) -> None:
        tag = self._stack.pop()
        if self._open:
            self._parts.append("/>")
            self._open = False
        else:
            self._parts.append("\n" + "  " * len(self._stack) + f"</{tag}>")

    def leaf(self, tag: str, attrs: Attrs = (), text: str | None = None) -> None:
        """An element with only text (or nothing) inside."""
        self._begin(tag, attrs)
        if text is None or text == "":
            self._parts.append("/>")
        else:
            self._parts.append(f">{_escape_text(text)}</{tag}>")
        self._open = False

    def optional(self, tag: str, text: str | None, attrs: Attrs = ()) -> None:
        """A text-only element, left out when ``text`` is ``None`` or empty."""
        if text:
            self.leaf(tag, attrs, text)

    @contextmanager
    def element(self, tag: str, attrs: Attrs = ()) -> Iterator[None]:
        self.start(tag, attrs)
        yield
        self.end()

    def getvalue(self) -> bytes:
        if self._stack:
            raise ValueError(f"unclosed element <{self._stack[-1]}>")
        self._parts.append("\n")
        self._flush()
        return self._out.getvalue()


# --------------------------------------------------------------------------- paths


def _segments(path: str, what: str) -> list[str]:
    if path == "":
        return []
    if "\x00" in path or "\\" in path or path.startswith("/"):
        raise ValueError(f"{what} {path!r} is not a package-relative POSIX path")
    parts = path.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"{what} {path!r} has an empty, '.' or '..' segment")
    return parts


def href_for(path: str, base: str = "") -> str:
    """The ``xlink:href`` for package path ``path`` in a METS file whose folder is ``base``.

    ``base`` is ``""`` for the root ``METS.xml`` and ``representations/rep1`` for a representation
    METS. Each segment is percent-encoded from UTF-8 (RFC 3986 §2.1, §2.5), so the result is a
    valid relative-path reference without scheme (CSIP: "SHOULD NOT use the protocol part").

    >>> href_for("representations/rep1/data/Hồ sơ 01/a+b.pdf", "representations/rep1")
    'data/H%E1%BB%93%20s%C6%A1%2001/a%2Bb.pdf'
    """
    parts = _segments(path, "path")
    prefix = _segments(base, "base")
    if len(parts) <= len(prefix) or parts[: len(prefix)] != prefix:
        raise ValueError(f"{path!r} is not inside {base!r}: a METS file only references files below it")
    return "/".join(urllib.parse.quote(p, safe=_HREF_SAFE, encoding="utf-8", errors="strict")
                    for p in parts[len(prefix):])  # fmt: skip


def path_from_href(href: str, base: str = "") -> str:
    """The package path an ``xlink:href`` read from a METS file in folder ``base`` points to.

    The inverse of :func:`href_for`; also accepts ``.`` and ``..`` segments (resolved, RFC 3986
    §5.2.4, never above the package root), unescaped characters that are legal in a URI path, and
    raw non-ASCII (an IRI). Raises :class:`ValueError` for an absolute URI or absolute path, a query
    or fragment, a malformed or non-UTF-8 escape, an encoded ``/`` or NUL, an empty segment, or a
    reference that does not end in a file name.
    """
    if not href or href.startswith("/") or "?" in href or "#" in href or "\\" in href:
        raise ValueError(f"not a relative file reference: {href!r}")
    if ":" in href.split("/", 1)[0]:
        raise ValueError(f"an absolute URI, not a relative file reference: {href!r}")
    if _PCT.search(href):
        raise ValueError(f"malformed percent-escape in {href!r}")
    parts = _segments(base, "base")
    raw_segments = href.split("/")
    for raw in raw_segments:
        if raw == "":
            raise ValueError(f"empty segment in {href!r}")
        segment = urllib.parse.unquote(raw, encoding="utf-8", errors="strict")
        if "/" in segment or "\x00" in segment:
            raise ValueError(f"{href!r} encodes a '/' or NUL inside a name")
        if segment == ".":
            continue
        if segment == "..":
            if not parts:
                raise ValueError(f"{href!r} leaves the package")
            parts.pop()
            continue
        parts.append(segment)
    if urllib.parse.unquote(raw_segments[-1]) in (".", "..") or not parts:
        raise ValueError(f"{href!r} does not name a file")
    return "/".join(parts)


# --------------------------------------------------------------------------- options


@attrs.frozen(kw_only=True)
class MetsOptions:
    """Choices shared by :func:`root_mets` and :func:`representation_mets` (defaults: TT05 packages).

    * ``spec_version``: E-ARK CSIP/SIP version (:data:`SPEC_VERSIONS`); selects the SIP PROFILE URL.
    * ``profile``: ``mets/@PROFILE`` (CSIP6); ``None`` → :func:`default_profile`.
    * ``content_category``: ``mets/@TYPE`` (CSIP2), a :data:`CONTENT_CATEGORIES` term; with ``Other``
      / ``OTHER``, ``other_content_category`` fills ``csip:OTHERTYPE`` (CSIP3).
    * ``content_information_type`` / ``other_content_information_type``: ``csip:CONTENTINFORMATIONTYPE``
      (CSIP4, CSIP62 on the representations file group) and ``csip:OTHERCONTENTINFORMATIONTYPE``
      (CSIP5, CSIP63).
    * ``last_modified``: ``metsHdr/@LASTMODDATE`` (CSIP8); ``None`` → the creation time.
    * ``predecessor_type``: ``altRecordID/@TYPE`` for ``PackageInfo.predecessor``; ``None`` →
      ``SUBMISSIONPACKAGE`` for a NEW AIP (made from a SIP), else ``PREVIOUSVERSION``.
    """

    spec_version: str = "2.2.0"
    profile: str | None = None
    content_category: str = "Mixed"
    other_content_category: str | None = None
    content_information_type: str = "OTHER"
    other_content_information_type: str | None = TT05_CONTENT_INFORMATION_TYPE
    last_modified: datetime | None = None
    predecessor_type: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.spec_version not in SPEC_VERSIONS:
            raise ValueError(f"spec_version must be one of {SPEC_VERSIONS}, not {self.spec_version!r}")
        if self.content_category not in CONTENT_CATEGORIES:
            raise ValueError(
                f"content_category {self.content_category!r} is not in the CSIP content category vocabulary"
            )
        if self.content_category in ("Other", "OTHER") and not self.other_content_category:
            raise ValueError("content_category 'Other' needs other_content_category (CSIP3)")
        if self.content_information_type not in _CONTENT_INFORMATION_TYPES:
            raise ValueError(f"content_information_type {self.content_information_type!r} is not allowed")
        if self.content_information_type == "OTHER" and not self.other_content_information_type:
            raise ValueError("content_information_type OTHER needs other_content_information_type (CSIP5)")
        if self.predecessor_type is not None and not self.predecessor_type.strip():
            raise ValueError("predecessor_type must not be blank")


_DEFAULT_OPTIONS: Final = MetsOptions()


def default_profile(package_type: PackageType, spec_version: str = "2.2.0") -> str:
    """``mets/@PROFILE`` for a package: SIP → the E-ARK SIP profile of ``spec_version`` (SIP2);
    AIP → :data:`luutru_aip.model.AIP_ROOT_PROFILE`, the profile TT05 names for AIPs (reference §e,
    R1). Pass ``MetsOptions(profile=AIP_PROFILE_EARK_2_2_0)`` for a plain E-ARK AIP 2.2.0 (AIPM2).
    """
    if spec_version not in SPEC_VERSIONS:
        raise ValueError(f"spec_version must be one of {SPEC_VERSIONS}, not {spec_version!r}")
    if package_type is PackageType.SIP:
        return _SIP_PROFILES[spec_version]
    return AIP_ROOT_PROFILE


def md_type_for(file: PackageFile) -> tuple[str, str | None, str | None]:
    """``(MDTYPE, OTHERMDTYPE, MDTYPEVERSION)`` of a metadata file, from its file name.

    * ``PREMIS*.xml`` → ``PREMIS`` 3.0 (CSIP39, AIPM6);
    * ``EAD3*.xml`` → ``EAD`` version ``3`` (a standard EAD3 1.1.1 finding aid);
    * ``EAD.xml`` and ``EAD_{doc,pic,media}_*.xml`` → ``OTHER`` / ``TT05-simpledc``: TT05 calls these
      files "EAD" but they hold a flat ``<simpledc>`` record, not EAD, so they are not labelled EAD;
    * anything else → ``OTHER`` / the upper-cased stem.
    """
    name = file.path.rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0]
    upper = stem.upper()
    if upper.startswith("PREMIS"):
        return ("PREMIS", None, "3.0")
    if upper.startswith("EAD3"):
        return ("EAD", None, "3")
    if upper == "EAD" or re.match(r"EAD_(DOC|PIC|MEDIA)_", upper):
        return ("OTHER", "TT05-simpledc", None)
    return ("OTHER", upper or "UNKNOWN", None)


# --------------------------------------------------------------------------- checks and ids


def _check_id(value: str, what: str) -> str:
    if not _NCNAME.fullmatch(value):
        raise ValueError(f"{what} {value!r} is not a valid XML ID (NCName)")
    return value


def _check_file(file: PackageFile) -> None:
    _check_id(file.file_id, "file_id")
    if not _SHA256.fullmatch(file.sha256):
        raise ValueError(f"{file.path}: sha256 must be 64 hexadecimal digits")
    if file.size < 0:
        raise ValueError(f"{file.path}: size must not be negative")
    if not file.mime or "/" not in file.mime:
        raise ValueError(f"{file.path}: MIME type {file.mime!r} is not type/subtype")


def _sorted_unique(
    files: Iterable[PackageFile], seen_ids: set[str], seen_paths: set[str]
) -> list[PackageFile]:
    out = sorted(files, key=lambda f: f.path)
    for file in out:
        _check_file(file)
        if file.file_id in seen_ids:
            raise ValueError(f"file ID {file.file_id!r} is used twice")
        if file.path in seen_paths:
            raise ValueError(f"path {file.path!r} is listed twice")
        seen_ids.add(file.file_id)
        seen_paths.add(file.path)
    return out


class _Ids:
    """Deterministic ``ID-<uuid>`` identifiers for one METS document."""

    def __init__(self, *scope: str) -> None:
        self._scope = scope
        self.used: set[str] = set()

    def __call__(self, *parts: str) -> str:
        value = f"ID-{stable_uuid(*self._scope, *parts)}"
        if value in self.used:  # pragma: no cover - uuid5 collision or a caller bug
            raise ValueError(f"duplicate generated ID for {parts!r}")
        self.used.add(value)
        return value


# --------------------------------------------------------------------------- shared parts


def _root_attrs(objid: str, label: str, options: MetsOptions, profile: str) -> list[tuple[str, str | None]]:
    attrs_: list[tuple[str, str | None]] = [(f"xmlns:{p}", ns) for p, ns in _NSMAP]
    other_type = options.other_content_category if options.content_category in ("Other", "OTHER") else None
    other_cit = (
        options.other_content_information_type if options.content_information_type == "OTHER" else None
    )
    attrs_ += [
        ("OBJID", objid),  # CSIP1
        ("LABEL", label or None),  # SIP1
        ("TYPE", options.content_category),  # CSIP2
        ("csip:OTHERTYPE", other_type),  # CSIP3
        ("csip:CONTENTINFORMATIONTYPE", options.content_information_type),  # CSIP4
        ("csip:OTHERCONTENTINFORMATIONTYPE", other_cit),  # CSIP5
        ("PROFILE", profile),  # CSIP6, SIP2, AIPM2
        ("xsi:schemaLocation", _SCHEMA_LOCATION),
    ]
    return attrs_


def _write_agent(w: XmlWriter, agent: Agent, *, software: bool) -> None:
    if software:
        if not agent.version:
            raise ValueError("the software agent needs a version (CSIP15, CSIP16)")
        # CSIP10–CSIP16: ROLE=CREATOR, TYPE=OTHER, OTHERTYPE=SOFTWARE, name, one SOFTWARE VERSION note.
        with w.element("mets:agent", [("ROLE", "CREATOR"), ("TYPE", "OTHER"), ("OTHERTYPE", "SOFTWARE")]):
            w.leaf("mets:name", text=agent.name)
            w.leaf("mets:note", [("csip:NOTETYPE", "SOFTWARE VERSION")], agent.version)
        return
    role = agent.role.upper()
    other_role = None
    if role not in _AGENT_ROLES:
        role, other_role = "OTHER", agent.role
    kind = agent.kind.lower()
    mets_type = _AGENT_TYPES.get(kind, "OTHER")
    other_type = None if kind in _AGENT_TYPES else agent.kind.upper()
    with w.element(
        "mets:agent",
        [("ROLE", role), ("OTHERROLE", other_role), ("TYPE", mets_type), ("OTHERTYPE", other_type)],
    ):
        w.leaf("mets:name", text=agent.name)  # SIP12, SIP18, SIP29
        if kind == "software":  # another tool: its version, typed like CSIP16
            w.optional("mets:note", agent.version, [("csip:NOTETYPE", "SOFTWARE VERSION")])
        elif agent.identifier:  # SIP13/14, SIP19/20, SIP30/31: identification code of the organisation
            w.leaf("mets:note", [("csip:NOTETYPE", "IDENTIFICATIONCODE")], agent.identifier)


def _write_header(
    w: XmlWriter, info: PackageInfo, options: MetsOptions, agents: Sequence[Agent], *, root: bool
) -> None:
    if info.record_status not in _RECORD_STATUSES:
        raise ValueError(f"record_status {info.record_status!r} is not in {sorted(_RECORD_STATUSES)}")
    last = options.last_modified if options.last_modified is not None else info.created
    header = [
        ("CREATEDATE", format_vn_time(info.created)),  # CSIP7
        ("LASTMODDATE", format_vn_time(last)),  # CSIP8
        ("RECORDSTATUS", info.record_status),  # SIP3
        ("csip:OAISPACKAGETYPE", info.type.value),  # CSIP9, SIP4, AIPM3
    ]
    with w.element("mets:metsHdr", header):
        _write_agent(w, info.software, software=True)
        _write_agent(w, info.archive, software=False)
        for agent in agents:
            _write_agent(w, agent, software=False)
        if root and info.submission_agreement:
            w.leaf("mets:altRecordID", [("TYPE", "SUBMISSIONAGREEMENT")], info.submission_agreement)  # SIP5
        if root and info.predecessor:
            kind = options.predecessor_type or (
                "SUBMISSIONPACKAGE"
                if info.type is PackageType.AIP and info.record_status == "NEW"
                else "PREVIOUSVERSION"
            )
            w.leaf("mets:altRecordID", [("TYPE", kind)], info.predecessor)


def _md_ref(w: XmlWriter, ids: _Ids, file: PackageFile, base: str) -> None:
    md_type, other, version = md_type_for(file)
    w.leaf(
        "mets:mdRef",
        [
            ("ID", ids("mdRef", file.path)),
            ("LOCTYPE", "URL"),  # CSIP22, CSIP36
            ("MDTYPE", md_type),  # CSIP25, CSIP39
            ("OTHERMDTYPE", other),
            ("MDTYPEVERSION", version),
            ("xlink:type", "simple"),  # CSIP23, CSIP37
            ("xlink:href", href_for(file.path, base)),  # CSIP24, CSIP38
            ("MIMETYPE", file.mime),  # CSIP26, CSIP40
            ("SIZE", str(file.size)),  # CSIP27, CSIP41
            ("CREATED", format_vn_time(file.created)),  # CSIP28, CSIP42
            ("CHECKSUM", file.sha256),  # CSIP29, CSIP43
            ("CHECKSUMTYPE", "SHA-256"),  # CSIP30, CSIP44
            ("LABEL", file.path.rsplit("/", 1)[-1]),
        ],
    )


def _write_dmd(w: XmlWriter, ids: _Ids, files: Sequence[PackageFile], base: str) -> list[str]:
    out = []
    for file in files:
        dmd_id = ids("dmdSec", file.path)
        out.append(dmd_id)
        # CSIP17–CSIP21: one dmdSec per description, ID, CREATED, STATUS, one mdRef.
        with w.element(
            "mets:dmdSec", [("ID", dmd_id), ("CREATED", format_vn_time(file.created)), ("STATUS", "CURRENT")]
        ):
            _md_ref(w, ids, file, base)
    return out


def _write_amd(
    w: XmlWriter, ids: _Ids, preservation: Sequence[PackageFile], other: Sequence[PackageFile], base: str
) -> list[str]:
    if not preservation and not other:
        return []
    out: list[str] = []
    with w.element("mets:amdSec", [("ID", ids("amdSec"))]):  # CSIP31: a single amdSec
        for file in other:  # metadata/other (CSIPSTR8): technical metadata, METS order techMD first
            tech_id = ids("techMD", file.path)
            out.append(tech_id)
            with w.element(
                "mets:techMD",
                [("ID", tech_id), ("CREATED", format_vn_time(file.created)), ("STATUS", "CURRENT")],
            ):
                _md_ref(w, ids, file, base)
        for file in preservation:
            prov_id = ids("digiprovMD", file.path)
            out.append(prov_id)
            # CSIP32–CSIP44, AIPM5: one digiprovMD per PREMIS file, with ID, STATUS and an mdRef.
            with w.element(
                "mets:digiprovMD",
                [("ID", prov_id), ("CREATED", format_vn_time(file.created)), ("STATUS", "CURRENT")],
            ):
                _md_ref(w, ids, file, base)
    return out


def _file_attrs(
    file: PackageFile, *, dmdid: str | None = None, format_attrs: bool = False
) -> list[tuple[str, str | None]]:
    attrs_: list[tuple[str, str | None]] = [
        ("ID", file.file_id),  # CSIP67
        ("MIMETYPE", file.mime),  # CSIP68
        ("SIZE", str(file.size)),  # CSIP69
        ("CREATED", format_vn_time(file.created)),  # CSIP70
        ("CHECKSUM", file.sha256),  # CSIP71
        ("CHECKSUMTYPE", "SHA-256"),  # CSIP72
        ("DMDID", dmdid),  # CSIP75
    ]
    if format_attrs and file.puid:  # SIP32–SIP35 (MAY), reused by the AIP profile
        attrs_ += [
            ("sip:FILEFORMATNAME", file.format_name),
            ("sip:FILEFORMATVERSION", file.format_version),
            ("sip:FORMATREGISTRY", "PRONOM"),
            ("sip:FORMATREGISTRYKEY", file.puid),
        ]
    return attrs_


def _write_file(w: XmlWriter, file: PackageFile, base: str, **kwargs: Any) -> None:
    with w.element("mets:file", _file_attrs(file, **kwargs)):
        # CSIP76–CSIP79: one FLocat, LOCTYPE=URL, xlink:type=simple, relative xlink:href.
        w.leaf(
            "mets:FLocat",
            [("LOCTYPE", "URL"), ("xlink:type", "simple"), ("xlink:href", href_for(file.path, base))],
        )


def _cit_attrs(options: MetsOptions) -> list[tuple[str, str | None]]:
    other = options.other_content_information_type if options.content_information_type == "OTHER" else None
    return [
        ("csip:CONTENTINFORMATIONTYPE", options.content_information_type),  # CSIP62
        ("csip:OTHERCONTENTINFORMATIONTYPE", other),  # CSIP63
    ]


def _metadata_div(w: XmlWriter, ids: _Ids, dmd: Sequence[str], adm: Sequence[str]) -> None:
    # CSIP88–CSIP92: one Metadata division referencing every current dmdSec and amdSec section.
    w.leaf(
        "mets:div",
        [
            ("ID", ids("div", "Metadata")),
            ("LABEL", "Metadata"),
            ("DMDID", " ".join(dmd) or None),
            ("ADMID", " ".join(adm) or None),
        ],
    )


def _group_div(w: XmlWriter, ids: _Ids, label: str, group_id: str) -> None:
    # CSIP93–CSIP100, CSIP116, CSIP118, CSIP101–CSIP104, CSIP119: one fptr per file group, by group ID.
    with w.element("mets:div", [("ID", ids("div", label)), ("LABEL", label)]):
        w.leaf("mets:fptr", [("FILEID", group_id)])


def _rep_name(rep: str) -> str:
    if not rep or "/" in rep or rep in (".", "..") or "\\" in rep or "\x00" in rep:
        raise ValueError(f"representation name {rep!r} must be a single folder name")
    return rep


# --------------------------------------------------------------------------- root METS


def root_mets(
    info: PackageInfo,
    *,
    descriptive: Sequence[PackageFile],
    preservation: Sequence[PackageFile],
    documentation: Sequence[PackageFile],
    schemas: Sequence[PackageFile],
    representations: Sequence[tuple[str, PackageFile]],
    other_metadata: Sequence[PackageFile] = (),
    submission: Sequence[PackageFile] = (),
    agents: Sequence[Agent] = (),
    options: MetsOptions | None = None,
) -> bytes:
    """The package (root) ``METS.xml`` of a CSIP package, as UTF-8 bytes.

    ``descriptive``: ``metadata/descriptive/*`` (TT05 ``EAD.xml``, ``EAD3.xml``) → one ``dmdSec``
    each; ``preservation``: ``metadata/preservation/*`` (``PREMIS.xml``) → ``amdSec/digiprovMD``;
    ``other_metadata`` → ``amdSec/techMD``; ``documentation`` and ``schemas`` → the
    ``Documentation`` and ``Schemas`` file groups; ``submission`` (an AIP's copy of the original SIP
    under ``submission/``, E-ARK AIP) → a ``Submission`` file group; ``representations``:
    ``(name, METS file)`` pairs, each its own ``Representations/<name>`` file group holding only the
    representation's ``METS.xml`` and a structMap division with an ``mptr`` to it. ``agents`` are added to the
    header after the software (CSIP10) and ``info.archive``.
    """
    options = options or _DEFAULT_OPTIONS
    profile = options.profile or default_profile(info.type, options.spec_version)
    ids = _Ids(info.objid, "METS.xml")
    seen_ids: set[str] = set()
    seen_paths: set[str] = set()
    dmd_files = _sorted_unique(descriptive, seen_ids, seen_paths)
    prov_files = _sorted_unique(preservation, seen_ids, seen_paths)
    other_files = _sorted_unique(other_metadata, seen_ids, seen_paths)
    doc_files = _sorted_unique(documentation, seen_ids, seen_paths)
    schema_files = _sorted_unique(schemas, seen_ids, seen_paths)
    submission_files = _sorted_unique(submission, seen_ids, seen_paths)
    reps = sorted(((_rep_name(name), file) for name, file in representations), key=lambda r: r[0])
    if len({name for name, _ in reps}) != len(reps):
        raise ValueError("a representation name is used twice")
    _sorted_unique([file for _, file in reps], seen_ids, seen_paths)
    for name, file in reps:
        if file.path != f"representations/{name}/METS.xml":
            raise ValueError(f"representation {name!r}: METS file must be representations/{name}/METS.xml")

    w = XmlWriter()
    with w.element("mets:mets", _root_attrs(info.objid, info.label, options, profile)):
        _write_header(w, info, options, agents, root=True)
        dmd_ids = _write_dmd(w, ids, dmd_files, "")
        adm_ids = _write_amd(w, ids, prov_files, other_files, "")
        groups: list[tuple[str, str]] = []  # (label, fileGrp ID)
        rep_groups: list[tuple[str, str, PackageFile]] = []
        with w.element("mets:fileSec", [("ID", ids("fileSec"))]):  # CSIP58, CSIP59
            # CSIP60 Documentation, CSIP113 Schemas, E-ARK AIP Submission; CSIP66: never an empty group.
            for label, files in (
                ("Documentation", doc_files),
                ("Schemas", schema_files),
                ("Submission", submission_files),
            ):
                if not files:
                    continue
                group_id = ids("fileGrp", label)
                groups.append((label, group_id))
                with w.element("mets:fileGrp", [("ID", group_id), ("USE", label)]):
                    for file in files:
                        _write_file(w, file, "")
            for name, file in reps:  # CSIP114, CSIP62–CSIP65: USE = "Representations/<folder>"
                use = f"Representations/{name}"
                group_id = ids("fileGrp", use)
                rep_groups.append((use, group_id, file))
                with w.element("mets:fileGrp", [("ID", group_id), ("USE", use), *_cit_attrs(options)]):
                    _write_file(w, file, "")
        # CSIP80–CSIP85: one PHYSICAL structMap labelled CSIP, one top division labelled with the OBJID.
        with (
            w.element("mets:structMap", [("ID", ids("structMap")), ("TYPE", "PHYSICAL"), ("LABEL", "CSIP")]),
            w.element("mets:div", [("ID", ids("div", "root")), ("LABEL", info.objid)]),
        ):
            _metadata_div(w, ids, dmd_ids, adm_ids)
            for label, group_id in groups:
                _group_div(w, ids, label, group_id)
            for use, group_id, file in rep_groups:
                # CSIP105–CSIP112: one division per representation, LABEL = the file group USE,
                # an mptr to its METS.xml whose xlink:title is the file group ID (CSIP108);
                # AIP3 adds an fptr to the METS file entry.
                with w.element("mets:div", [("ID", ids("div", use)), ("LABEL", use)]):
                    w.leaf(
                        "mets:mptr",
                        [
                            ("LOCTYPE", "URL"),
                            ("xlink:type", "simple"),
                            ("xlink:href", href_for(file.path, "")),
                            ("xlink:title", group_id),
                        ],
                    )
                    if info.type is PackageType.AIP:
                        w.leaf("mets:fptr", [("FILEID", file.file_id)])
    return w.getvalue()


# --------------------------------------------------------------------------- representation METS


def representation_mets(
    info: PackageInfo,
    rep: str,
    *,
    data: Sequence[PackageFile],
    descriptive: Sequence[PackageFile] = (),
    preservation: Sequence[PackageFile] = (),
    documentation: Sequence[PackageFile] = (),
    schemas: Sequence[PackageFile] = (),
    other_metadata: Sequence[PackageFile] = (),
    agents: Sequence[Agent] = (),
    options: MetsOptions | None = None,
) -> bytes:
    """The representation ``METS.xml`` of ``representations/<rep>/``, as UTF-8 bytes.

    ``OBJID`` is the representation folder name (CSIP1: "the name of the top-level representation
    folder"). ``data`` → the ``Representations/<rep>/data`` file group (CSIP64, CSIP114); descriptive
    files (TT05 ``EAD_doc_*.xml``) → ``dmdSec``; preservation files (``PREMIS_<rep>.xml``) →
    ``digiprovMD``. A data file whose ``document`` ordinal equals that of a descriptive file gets
    ``DMDID`` pointing at that description (CSIP75). Every path must lie inside the representation.
    ``documentation`` / ``schemas`` give ``Documentation`` / ``Schemas`` groups when not empty.
    """
    options = options or _DEFAULT_OPTIONS
    rep = _rep_name(rep)
    base = f"representations/{rep}"
    profile = options.profile or default_profile(info.type, options.spec_version)
    ids = _Ids(info.objid, f"{base}/METS.xml")
    seen_ids: set[str] = set()
    seen_paths: set[str] = set()
    dmd_files = _sorted_unique(descriptive, seen_ids, seen_paths)
    prov_files = _sorted_unique(preservation, seen_ids, seen_paths)
    other_files = _sorted_unique(other_metadata, seen_ids, seen_paths)
    doc_files = _sorted_unique(documentation, seen_ids, seen_paths)
    schema_files = _sorted_unique(schemas, seen_ids, seen_paths)
    data_files = _sorted_unique(data, seen_ids, seen_paths)
    if not data_files:
        raise ValueError(f"representation {rep!r} has no data files (CSIP66)")

    w = XmlWriter()
    with w.element("mets:mets", _root_attrs(rep, info.label, options, profile)):
        _write_header(w, info, options, agents, root=False)
        dmd_ids = _write_dmd(w, ids, dmd_files, base)
        by_document: dict[int, str] = {}
        for file, dmd_id in zip(dmd_files, dmd_ids, strict=True):
            if file.document is not None:
                if file.document in by_document:
                    raise ValueError(f"two descriptions for document {file.document}")
                by_document[file.document] = dmd_id
        adm_ids = _write_amd(w, ids, prov_files, other_files, base)
        groups: list[tuple[str, str]] = []
        with w.element("mets:fileSec", [("ID", ids("fileSec"))]):
            if doc_files:
                group_id = ids("fileGrp", "Documentation")
                groups.append(("Documentation", group_id))
                with w.element("mets:fileGrp", [("ID", group_id), ("USE", "Documentation")]):
                    for file in doc_files:
                        _write_file(w, file, base)
            if schema_files:
                group_id = ids("fileGrp", "Schemas")
                groups.append(("Schemas", group_id))
                with w.element("mets:fileGrp", [("ID", group_id), ("USE", "Schemas")]):
                    for file in schema_files:
                        _write_file(w, file, base)
            use = f"Representations/{rep}/data"
            data_group = ids("fileGrp", use)
            with w.element("mets:fileGrp", [("ID", data_group), ("USE", use), *_cit_attrs(options)]):
                for file in data_files:
                    dmdid = by_document.get(file.document) if file.document is not None else None
                    _write_file(w, file, base, dmdid=dmdid, format_attrs=True)
        with (
            w.element("mets:structMap", [("ID", ids("structMap")), ("TYPE", "PHYSICAL"), ("LABEL", "CSIP")]),
            w.element("mets:div", [("ID", ids("div", "root")), ("LABEL", rep)]),
        ):
            _metadata_div(w, ids, dmd_ids, adm_ids)
            for label, group_id in groups:
                _group_div(w, ids, label, group_id)
            _group_div(w, ids, "Representations", data_group)  # CSIP101–CSIP104, CSIP119
    return w.getvalue()


# --------------------------------------------------------------------------- reader


@attrs.frozen(kw_only=True)
class MetsFileRef:
    """One file a METS document references: a ``file/FLocat`` or an ``mdRef``."""

    #: ``file`` or the section of an ``mdRef``: ``dmdSec``, ``digiprovMD``, ``techMD``, ``rightsMD``…
    section: str
    #: ``file/@ID`` or the ID of the metadata section.
    id: str | None
    #: The fileGrp ``USE`` (``None`` for metadata).
    use: str | None
    href: str
    #: The package path the href resolves to, or ``None`` when it cannot be resolved (bad href).
    path: str | None
    mime: str | None
    size: int | None
    created: str | None
    checksum: str | None
    checksum_type: str | None


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def read_mets_files(
    source: etree._ElementTree | bytes | str | os.PathLike[str], *, base: str = ""
) -> Iterator[MetsFileRef]:
    """The files a METS document references, in document order (for validate and audit).

    ``source`` is a tree already parsed with :mod:`luutru_aip.metadata._xml`, the document bytes or
    a file name (parsed here with the hardened parser). ``base`` is the package folder of the METS
    file, used to resolve hrefs (:func:`path_from_href`).
    """
    tree = source if isinstance(source, etree._ElementTree) else parse_xml(source)
    root = tree.getroot()
    href_attr = f"{{{XLINK_NS}}}href"
    for element in root.iter(f"{{{METS_NS}}}mdRef", f"{{{METS_NS}}}FLocat"):
        parent = element.getparent()
        if parent is None:  # pragma: no cover - mdRef/FLocat are never the root
            continue
        is_file = element.tag == f"{{{METS_NS}}}FLocat"
        holder = parent if is_file else element
        group = parent.getparent() if is_file else None
        href = element.get(href_attr, "")
        try:
            path: str | None = path_from_href(href, base)
        except ValueError:
            path = None
        section = "file" if is_file else etree.QName(parent).localname
        yield MetsFileRef(
            section=section,
            id=parent.get("ID"),
            use=group.get("USE") if group is not None else None,
            href=href,
            path=path,
            mime=holder.get("MIMETYPE"),
            size=_int_or_none(holder.get("SIZE")),
            created=holder.get("CREATED"),
            checksum=holder.get("CHECKSUM"),
            checksum_type=holder.get("CHECKSUMTYPE"),
        )
