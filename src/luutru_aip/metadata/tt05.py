"""TT05 ``<simpledc>`` descriptions: ``EAD.xml`` (hồ sơ) and ``EAD_doc_<docCode>.xml`` (tài liệu).

Implements reference §d3 (file fields), §d4 (document fields), §d5 (code lists), §e (where the files
sit in a package) and §f (identifiers) of Thông tư 05/2025/TT-BNV, using the field tables and code
lists kept as data in :mod:`luutru_aip.vocab` (``data/vocab/tt05-fields.toml`` and
``tt05-codes.toml``). Four things live here:

* **Writers** (:func:`simpledc_file`, :func:`simpledc_document`): deterministic UTF-8 bytes, one
  element per field in table order, root ``<simpledc>`` in **no namespace** (as the TT05 sample
  package and the R2 implementation write it). Optional and conditional fields without a value are
  **omitted**, never written empty; a mandatory field without a value is omitted too, so schema
  validation reports it. Text is written **exactly as given**: no Unicode normalisation (NFC and NFD
  stay as they are), no trimming. Characters that XML 1.0 cannot carry raise
  :class:`~luutru_aip.errors.InputError` naming the field.
* **Our derived XSDs** (:func:`generate_simpledc_xsd`): one per (level, package type), generated
  from the field tables, committed under ``luutru_aip/schemas/tt05/`` by ``tools/gen_tt05_xsd.py``
  and shipped in ``schemas/`` of every package. They check presence, order, lengths, number and
  date forms and the code lists; :func:`simpledc_schema` compiles the committed copy offline.
* **Checking** (:func:`check_simpledc`): XSD validation of one file, as ``SCH003`` findings
  (``SCH005`` past ``max_errors``; ``XML00x`` when the bytes are not even XML).
* **Cross-field rules** (:func:`conditional_problems`): the obligation-C rules an XSD 1.0 cannot
  express (``riskRecoveryStatus`` when ``riskRecovery`` = 1; ``numberOfPaper``, ``format`` and
  ``paperFileCode`` for digitised files; ``process`` for documents handled in the system), as pure
  data so that ingest, build and validate report them the same way.

The XSDs accept an *empty* optional element as "no value", because other TT05 implementations
write ``<keyword></keyword>``; our writers never do. Lengths count Unicode code points, as XSD
does, so NFD text uses more of a field's length than the same text in NFC.
"""

from __future__ import annotations

import re
import threading
import tomllib
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any, Final, Literal

from lxml import etree

from luutru_aip import vocab
from luutru_aip.errors import InputError
from luutru_aip.findings import Finding, finding
from luutru_aip.metadata._xml import parse_xml, parse_xml_findings
from luutru_aip.model import ArchiveProfile, DocumentRecord, FileRecord, PackageType

__all__ = [
    "CONDITION_REASONS",
    "KEYWORD_SEPARATOR",
    "LANGUAGE_SEPARATOR",
    "SIMPLEDC_ROOT",
    "XSD_FILES",
    "Level",
    "check_simpledc",
    "conditional_problems",
    "doc_file_name",
    "generate_simpledc_xsd",
    "read_simpledc",
    "require_xml_text",
    "simpledc_document",
    "simpledc_document_values",
    "simpledc_file",
    "simpledc_file_values",
    "simpledc_schema",
    "simpledc_schema_bytes",
    "xsd_file_name",
]

Level = Literal["file", "document"]

#: Root element of EAD.xml and EAD_doc_*.xml (no namespace, reference §d3; R2 sample and XSD).
SIMPLEDC_ROOT: Final = "simpledc"
#: Between the codes of a multi-valued code field (``language``: "01, 09"), vocab ``multiple``.
LANGUAGE_SEPARATOR: Final = ", "
#: Between keywords in the single TT05 ``keyword`` string (ours: TT05 gives no separator).
KEYWORD_SEPARATOR: Final = "; "
#: Default cap on SCH003 findings per document before one SCH005 summary (as the schema store).
DEFAULT_MAX_ERRORS: Final = 100

_XS: Final = "http://www.w3.org/2001/XMLSchema"
_XML_NS: Final = "http://www.w3.org/XML/1998/namespace"
#: Date fields that TT05 lets an AIP carry as ``MM/YYYY`` or ``YYYY`` (reference §d3, R1).
_PARTIAL_DATES_AIP: Final = frozenset({("file", "startDate"), ("file", "endDate")})
#: Characters XML 1.0 (Fifth Edition) §2.2 does not allow in a document.
_NOT_XML_CHAR: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_DAY_MONTH_YEAR: Final = "(0[1-9]|[12][0-9]|3[01])/(0[1-9]|1[0-2])/[0-9]{4}"
_MONTH_YEAR: Final = "(0[1-9]|1[0-2])/[0-9]{4}"
_YEAR: Final = "[0-9]{4}"
#: A mandatory string must hold something other than white space (so it cannot be empty either).
_NOT_BLANK: Final = r"\s*\S[\s\S]*"


def _package_type(package_type: PackageType | str) -> PackageType:
    return package_type if isinstance(package_type, PackageType) else PackageType(package_type)


def _level(level: str) -> Level:
    if level == "file":
        return "file"
    if level == "document":
        return "document"
    raise ValueError(f"level must be 'file' or 'document', not {level!r}")


# --------------------------------------------------------------------------- values


def require_xml_text(text: str, *, field: str, where: str = "") -> str:
    """Return ``text`` unchanged, or raise :class:`InputError` if XML 1.0 cannot carry it.

    Control characters other than tab, line feed and carriage return, lone surrogates and
    U+FFFE/U+FFFF cannot appear in XML 1.0 (§2.2), not even as character references.
    """
    bad = _NOT_XML_CHAR.search(text)
    if bad is not None:
        place = f"{where}: " if where else ""
        raise InputError(
            f"{place}{field} contains the character U+{ord(bad.group()):04X}, which XML 1.0 cannot carry"
        )
    return text


def _num(value: int | None) -> str | None:
    return None if value is None else str(value)


def _bool(value: bool | None) -> str | None:
    return None if value is None else ("1" if value else "0")


def _joined(values: tuple[str, ...], separator: str) -> str | None:
    return separator.join(values) if values else None


def _file_getters(
    record: FileRecord, profile: ArchiveProfile, package_type: PackageType
) -> dict[str, Callable[[], str | None]]:
    return {
        "arcFileCode": lambda: (
            record.file_code if package_type is PackageType.SIP else record.arc_file_code(profile)
        ),
        "title": lambda: record.title,
        "maintenance": lambda: record.maintenance,
        "mode": lambda: record.mode,
        "language": lambda: _joined(record.languages, LANGUAGE_SEPARATOR),
        "startDate": lambda: record.start_date.tt05(),
        "endDate": lambda: record.end_date.tt05(),
        "keyword": lambda: _joined(record.keywords, KEYWORD_SEPARATOR),
        "totalDoc": lambda: str(record.total_doc),
        "numberOfPaper": lambda: _num(record.number_of_paper),
        "numberOfPage": lambda: str(record.number_of_page),
        "format": lambda: record.physical_state,
        "inforSign": lambda: record.infor_sign,
        "confidenceLevel": lambda: record.confidence_level,
        "paperFileCode": lambda: record.paper_file_code,
        "riskRecovery": lambda: _bool(record.risk_recovery),
        "riskRecoveryStatus": lambda: record.risk_recovery_status,
        "description": lambda: record.description,
    }


def _document_getters(
    record: FileRecord, document: DocumentRecord, profile: ArchiveProfile
) -> dict[str, Callable[[], str | None]]:
    return {
        "docId": lambda: record.doc_id(document),
        "arcFileCode": lambda: record.arc_file_code(profile),
        "docOrdinal": lambda: str(document.ordinal),
        "docCode": lambda: record.doc_code(document),
        "maintenance": lambda: document.maintenance,
        "typeName": lambda: document.type_name,
        "codeNumber": lambda: document.code_number,
        "codeNotation": lambda: document.code_notation,
        "issuedDate": lambda: document.issued_date.tt05(),
        "organName": lambda: document.organ_name,
        "subject": lambda: document.subject,
        "language": lambda: _joined(document.languages, LANGUAGE_SEPARATOR),
        "numberOfPage": lambda: _num(document.number_of_page),
        "inforSign": lambda: document.infor_sign,
        "keyword": lambda: _joined(document.keywords, KEYWORD_SEPARATOR),
        "mode": lambda: document.mode,
        "confidenceLevel": lambda: document.confidence_level,
        "autograph": lambda: document.autograph,
        "format": lambda: document.physical_state,
        "riskRecovery": lambda: _bool(document.risk_recovery),
        "riskRecoveryStatus": lambda: document.risk_recovery_status,
        "process": lambda: _bool(document.process),
        "description": lambda: document.description,
    }


def _values(
    level: Level,
    package_type: PackageType,
    getters: Mapping[str, Callable[[], str | None]],
    where: str,
) -> dict[str, str]:
    out: dict[str, str] = {}
    for spec in vocab.field_table(level, package_type.value):
        getter = getters.get(spec.tag)
        if getter is None:  # the field table grew a field the model cannot fill: fail loudly
            raise KeyError(f"no value for the TT05 {level} field {spec.tag!r}")
        value = getter()
        if value is None or (spec.obligation != "M" and not value.strip()):
            continue
        tag = spec.tag_for(package_type.value)
        out[tag] = require_xml_text(value, field=tag, where=where)
    return out


def simpledc_file_values(
    record: FileRecord, profile: ArchiveProfile, package_type: PackageType
) -> dict[str, str]:
    """The EAD.xml values of ``record``, keyed by element name, in element order.

    Optional and conditional fields without a value are left out; so is a mandatory field whose
    model value is ``None`` (the XSD then reports it missing).
    """
    ptype = _package_type(package_type)
    where = f"hồ sơ {record.file_code}"
    return _values("file", ptype, _file_getters(record, profile, ptype), where)


def simpledc_document_values(
    record: FileRecord, document: DocumentRecord, profile: ArchiveProfile, package_type: PackageType
) -> dict[str, str]:
    """The EAD_doc values of ``document`` of ``record``, keyed by element name, in element order."""
    ptype = _package_type(package_type)
    where = f"tài liệu {record.doc_code(document)}"
    return _values("document", ptype, _document_getters(record, document, profile), where)


def _serialise(values: Mapping[str, str]) -> bytes:
    root = etree.Element(SIMPLEDC_ROOT)
    for tag, value in values.items():
        etree.SubElement(root, tag).text = value
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def simpledc_file(record: FileRecord, profile: ArchiveProfile, package_type: PackageType) -> bytes:
    """``metadata/descriptive/EAD.xml``: the TT05 ``<simpledc>`` of a hồ sơ (reference §d3).

    The identifier element is ``fileCode`` in a SIP and ``arcFileCode`` (archive code + fileCode,
    :meth:`FileRecord.arc_file_code`) in an AIP.
    """
    return _serialise(simpledc_file_values(record, profile, package_type))


def simpledc_document(
    record: FileRecord, document: DocumentRecord, profile: ArchiveProfile, package_type: PackageType
) -> bytes:
    """``representations/rep1/metadata/descriptive/EAD_doc_<docCode>.xml`` (reference §d4).

    A SIP carries ``docId``, ``docCode``, ``maintenance`` and the backup (dự phòng) fields; an AIP
    carries ``arcFileCode`` + ``docOrdinal`` + ``docCode`` instead.
    """
    return _serialise(simpledc_document_values(record, document, profile, package_type))


_UNSAFE_NAME_CHAR: Final = re.compile(r"[^A-Za-z0-9._-]")


def doc_file_name(record: FileRecord, document: DocumentRecord) -> str:
    """``EAD_doc_<docCode>.xml`` (reference §e), e.g. ``EAD_doc_H49.64.33.2001.160.0000001.xml``.

    Any character of docCode other than ASCII letters, digits, ``.``, ``_`` and ``-`` becomes ``_``
    so the name is safe on every file system and in a ZIP; names stay unique within a hồ sơ because
    its documents share the fileCode and differ in the 7-digit ordinal.
    """
    return f"EAD_doc_{_UNSAFE_NAME_CHAR.sub('_', record.doc_code(document))}.xml"


def read_simpledc(source: bytes | etree._ElementTree | etree._Element) -> dict[str, str]:
    """The element values of a ``<simpledc>`` document, keyed by element name (first occurrence wins).

    Empty elements give ``""``. Bytes are parsed with the hardened parser (raises
    :class:`~luutru_aip.errors.InputError` for bad XML).
    """
    if isinstance(source, bytes):
        root = parse_xml(source).getroot()
    elif isinstance(source, etree._ElementTree):
        root = source.getroot()
    else:
        root = source
    out: dict[str, str] = {}
    for child in root:
        if isinstance(child.tag, str):
            out.setdefault(etree.QName(child).localname, child.text or "")
    return out


# --------------------------------------------------------------------------- conditional rules


def _code_in(tag: str, codes: frozenset[str]) -> Callable[[Mapping[str, str]], bool]:
    return lambda values: values.get(tag, "").strip() in codes


#: Obligation-C conditions of the field tables: when each applies.
_CONDITIONS: Final[Mapping[str, Callable[[Mapping[str, str]], bool]]] = {
    "digitised": _code_in("confidenceLevel", frozenset({"02", "03"})),
    "riskRecovery": _code_in("riskRecovery", frozenset({"1"})),
    "processed": _code_in("confidenceLevel", frozenset({"01", "03"})),
}

#: Why a conditional field is required, per condition and language (``en``, ``vi``).
CONDITION_REASONS: Final[Mapping[str, Mapping[str, str]]] = {
    "digitised": {
        "en": "required for a digitised file (confidenceLevel 02 số hóa or 03 hỗn hợp)",
        "vi": "bắt buộc đối với hồ sơ số hóa (confidenceLevel 02 – số hóa hoặc 03 – hỗn hợp)",
    },
    "riskRecovery": {
        "en": "required when riskRecovery is 1 (a backup copy, lưu trữ dự phòng, is made)",
        "vi": "bắt buộc khi riskRecovery = 1 (có lập tài liệu lưu trữ dự phòng)",
    },
    "processed": {
        "en": "required for a document handled in the system (confidenceLevel 01 or 03)",
        "vi": "bắt buộc đối với tài liệu được xử lý trên hệ thống (confidenceLevel 01 hoặc 03)",
    },
}


def conditional_problems(
    values: Mapping[str, str],
    level: Level,
    package_type: PackageType,
    *,
    lang: str = "en",
) -> list[tuple[str, str]]:
    """Conditional (obligation C) fields that are required by the other values but missing.

    ``values`` maps element names to text as in the XML (:func:`read_simpledc`,
    :func:`simpledc_file_values`); a missing key, ``""`` or white space is "no value". Returns
    ``(element name, reason)`` pairs in element order, the reason in ``lang`` (``en`` or ``vi``) from
    :data:`CONDITION_REASONS`. The conditions (reference §d3, §d4; R1):

    * ``digitised`` (file level: ``numberOfPaper``, ``format``, ``paperFileCode``): confidenceLevel
      is 02 (số hóa) or 03 (hỗn hợp);
    * ``riskRecovery`` (``riskRecoveryStatus``): riskRecovery is ``1``;
    * ``processed`` (document level: ``process``): confidenceLevel is 01 or 03.

    A field whose condition cannot be decided (confidenceLevel absent) is not reported.
    """
    ptype = _package_type(package_type)
    out: list[tuple[str, str]] = []
    for spec in vocab.field_table(_level(level), ptype.value):
        if spec.obligation != "C":
            continue
        condition = spec.condition or ""
        if condition not in _CONDITIONS:
            raise KeyError(f"unknown TT05 condition {spec.condition!r} on field {spec.tag!r}")
        tag = spec.tag_for(ptype.value)
        if _CONDITIONS[condition](values) and not values.get(tag, "").strip():
            reasons = CONDITION_REASONS[condition]
            out.append((tag, reasons.get(lang, reasons["en"])))
    return out


# --------------------------------------------------------------------------- XSD generation


def xsd_file_name(level: Level, package_type: PackageType) -> str:
    """``tt05-simpledc-<level>-<sip|aip>.xsd``."""
    return f"tt05-simpledc-{_level(level)}-{_package_type(package_type).value.lower()}.xsd"


#: The four derived XSDs, as shipped in ``luutru_aip/schemas/tt05/`` and in a package's ``schemas/``.
XSD_FILES: Final = tuple(
    xsd_file_name(level, ptype)
    for level in ("file", "document")
    for ptype in (PackageType.SIP, PackageType.AIP)
)


def _xs(parent: Any, local: str, /, **attrs: str) -> Any:
    return etree.SubElement(parent, f"{{{_XS}}}{local}", attrs)


def _document(parent: Any, texts: list[tuple[str, str]]) -> None:
    annotation = _xs(parent, "annotation")
    for lang, text in texts:
        _xs(annotation, "documentation", **{f"{{{_XML_NS}}}lang": lang}).text = text


_OBLIGATION_EN: Final = {"M": "mandatory", "O": "optional", "C": "conditional"}
_TYPE_EN: Final = {
    "string": "String",
    "number": "Number",
    "date": "Date",
    "boolean": "Boolean",
    "code": "String",
}


def _field_note(spec: vocab.FieldSpec, level: Level, ptype: PackageType) -> str:
    kind = _TYPE_EN.get(spec.type, spec.type)
    size = f" {spec.length}" if spec.length is not None and spec.type != "date" else ""
    if spec.type == "number":
        size = f" ({spec.length} digits)" if spec.length is not None else ""
    parts = [f"TT05 {level} field {spec.tag_for(ptype.value)}: {kind}{size}", _OBLIGATION_EN[spec.obligation]]
    if spec.obligation == "C" and spec.condition:
        parts[-1] += f" ({spec.condition}: {CONDITION_REASONS[spec.condition]['en']})"
    if spec.codelist:
        parts.append(f"codes: {vocab.code_list(spec.codelist).source}")
    if spec.type == "date":
        forms = "DD/MM/YYYY, MM/YYYY or YYYY" if _partial_dates(level, spec.tag, ptype) else "DD/MM/YYYY"
        parts.append(forms)
    if spec.multiple:
        parts.append(f"one or more codes separated by {LANGUAGE_SEPARATOR!r}")
    return "; ".join(parts) + "."


def _partial_dates(level: Level, tag: str, ptype: PackageType) -> bool:
    return ptype is PackageType.AIP and (level, tag) in _PARTIAL_DATES_AIP


def _restriction(element: Any, spec: vocab.FieldSpec, level: Level, ptype: PackageType) -> None:
    required = spec.obligation == "M"
    simple = _xs(element, "simpleType")
    base = _xs(simple, "restriction", base="xs:string")
    if spec.type == "string":
        if spec.length is not None:
            _xs(base, "maxLength", value=str(spec.length))
        if required:
            _xs(base, "pattern", value=_NOT_BLANK)
    elif spec.type == "number":
        digits = spec.length or 10
        _xs(base, "pattern", value=f"[0-9]{{{1 if required else 0},{digits}}}")
    elif spec.type == "date":
        forms = [_DAY_MONTH_YEAR]
        if _partial_dates(level, spec.tag, ptype):
            forms += [_MONTH_YEAR, _YEAR]
        pattern = "|".join(forms)
        _xs(base, "pattern", value=pattern if required else f"({pattern})?")
    elif spec.type == "boolean":
        values = ["0", "1"] if required else ["", "0", "1"]
        for value in values:
            _xs(base, "enumeration", value=value)
    elif spec.type == "code":
        if spec.codelist is None:
            raise ValueError(f"TT05 field {spec.tag!r} has type code but no codelist")
        codes = vocab.code_list(spec.codelist).codes
        if spec.multiple:
            one = "(" + "|".join(codes) + ")"  # codes are digits: nothing to escape
            pattern = f"{one}({LANGUAGE_SEPARATOR}{one})*"
            if spec.length is not None:
                _xs(base, "maxLength", value=str(spec.length))
            _xs(base, "pattern", value=pattern if required else f"({pattern})?")
        else:
            if not required:
                _xs(base, "enumeration", value="")
            for code, label in codes.items():
                enum = _xs(base, "enumeration", value=code)
                _document(enum, [("vi", label)])
    else:
        raise ValueError(f"TT05 field {spec.tag!r} has an unknown type {spec.type!r}")


def _table_source(level: Level) -> str:
    """The ``source`` line of a field table (tags and order R2; types, lengths and rules R1 …)."""
    text = resources.files("luutru_aip").joinpath("data", "vocab", "tt05-fields.toml").read_text("utf-8")
    return str(tomllib.loads(text)[level]["source"])


def generate_simpledc_xsd(level: Level, package_type: PackageType) -> bytes:
    """Our XSD for the ``<simpledc>`` of ``level`` in ``package_type``, from the field tables.

    Deterministic (no dates, no versions): the committed copies under ``schemas/tt05/`` must equal
    this output (``tools/gen_tt05_xsd.py --check`` and the test suite compare them).
    """
    lvl = _level(level)
    ptype = _package_type(package_type)
    root = etree.Element(f"{{{_XS}}}schema", nsmap={"xs": _XS})
    root.set("elementFormDefault", "unqualified")
    root.set("version", "1")
    root.append(
        etree.Comment(
            " Generated by tools/gen_tt05_xsd.py from luutru_aip/data/vocab/tt05-fields.toml and "
            "tt05-codes.toml. Do not edit by hand: change the data and regenerate. "
        )
    )
    what = "hồ sơ, EAD.xml" if lvl == "file" else "tài liệu, EAD_doc_<docCode>.xml"
    article = "an" if ptype is PackageType.AIP else "a"
    _document(
        root,
        [
            (
                "en",
                f"luutru-aip's own schema for the TT05/2025/TT-BNV simpledc of a {lvl} ({what}) in "
                f"{article} {ptype.value}, derived from the field tables; not an official schema. Source: "
                f"{_table_source(lvl)}. R1 = one developer's notes on the official text "
                "(unconfirmed); R2 = two independent sources agree. Empty optional elements are "
                "accepted as 'no value'; conditional (C) rules are checked outside this schema.",
            ),
        ],
    )
    element = _xs(root, "element", name=SIMPLEDC_ROOT)
    sequence = _xs(_xs(element, "complexType"), "sequence")
    for spec in vocab.field_table(lvl, ptype.value):
        attrs = {"name": spec.tag_for(ptype.value)}
        if spec.obligation != "M":
            attrs["minOccurs"] = "0"
        field = _xs(sequence, "element", **attrs)
        _document(field, [("vi", spec.label_for(ptype.value)), ("en", _field_note(spec, lvl, ptype))])
        _restriction(field, spec, lvl, ptype)
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# --------------------------------------------------------------------------- loading and checking


def simpledc_schema_bytes(level: Level, package_type: PackageType) -> bytes:
    """The committed XSD (package data ``luutru_aip/schemas/tt05/…``), e.g. to copy into ``schemas/``."""
    name = xsd_file_name(level, package_type)
    return resources.files("luutru_aip").joinpath("schemas", "tt05", name).read_bytes()


_THREAD_CACHE: Final = threading.local()


def simpledc_schema(level: Level, package_type: PackageType) -> etree.XMLSchema:
    """Our compiled XSD for ``level`` and ``package_type`` (package data; offline; cached per thread)."""
    name = xsd_file_name(level, package_type)
    cache: dict[str, etree.XMLSchema] | None = getattr(_THREAD_CACHE, "schemas", None)
    if cache is None:
        cache = {}
        _THREAD_CACHE.schemas = cache
    schema = cache.get(name)
    if schema is None:
        tree = parse_xml(simpledc_schema_bytes(level, package_type), name=name)
        schema = etree.XMLSchema(tree)
        cache[name] = schema
    return schema


def check_simpledc(
    data: bytes | etree._ElementTree | etree._Element,
    level: Level,
    package_type: PackageType,
    *,
    path: str,
    max_errors: int = DEFAULT_MAX_ERRORS,
) -> list[Finding]:
    """Validate one EAD.xml / EAD_doc file against our XSD: findings, never an exception for bad content.

    Bytes are parsed with the hardened parser first (``XML001``–``XML005``). Each schema error is
    one ``SCH003`` (``schema`` = the XSD file name, ``reason`` = libxml2's message, which names the
    element), up to ``max_errors``, then one ``SCH005``. ``path`` is the package-relative path used
    in the findings. Conditional (C) rules are not checked here: see :func:`conditional_problems`.
    """
    findings: list[Finding] = []
    if isinstance(data, bytes):
        tree, findings = parse_xml_findings(data, package_path=path)
        if tree is None:
            return findings
    elif isinstance(data, etree._ElementTree):
        tree = data
    else:
        tree = data.getroottree()
    name = xsd_file_name(level, package_type)
    schema = simpledc_schema(level, package_type)
    if schema.validate(tree):
        return findings
    entries = [e for e in schema.error_log if int(e.level) >= int(etree.ErrorLevels.ERROR)]  # type: ignore[attr-defined]
    for entry in entries[:max_errors]:
        findings.append(
            finding(
                "SCH003",
                path=path,
                line=int(entry.line) if entry.line else None,
                xpath=entry.path or None,
                schema=name,
                reason=str(entry.message).strip(),
            )
        )
    if len(entries) > max_errors:
        findings.append(finding("SCH005", path=path, schema=name, count=len(entries) - max_errors))
    return findings
