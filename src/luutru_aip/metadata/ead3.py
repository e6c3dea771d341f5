"""A standard EAD3 1.1.1 finding aid (fonds → hồ sơ → tài liệu) for international tools.

TT05's ``EAD.xml`` is a flat ``<simpledc>`` (see :mod:`luutru_aip.metadata.tt05`), not EAD. Next to
it a package may carry ``metadata/descriptive/EAD3.xml``: a real EAD3 document (namespace
``http://ead3.archivists.org/schema/``, valid against the official ``ead3.xsd`` of the schema
store) built from the same :class:`~luutru_aip.model.FileRecord`, so that AtoM, ArchivesSpace and
E-ARK tools can read our packages (issue 4, "Output"). The mapping, element by element, is in
``docs/tt05-metadata.md``; the main decisions:

* ``control``: ``recordid`` = arcFileCode (AIP) or fileCode (SIP); ``maintenanceagency`` with
  ``agencycode`` = the agency's mã định danh (QĐ 20/2020/QĐ-TTg, *not* an ISO 15511 ISIL, so
  ``repositoryencoding`` is not claimed) and ``agencyname`` = the archive; one ``created`` event
  at ``created`` (+07:00) by the software agent. No wall clock: same input, same bytes.
* ``archdesc level="fonds"`` → ``dsc`` → ``c level="file"`` (the hồ sơ) → ``c level="item"`` per
  tài liệu. ``encodinganalog`` names the TT05 simpledc element each value comes from
  (``archdesc/@relatedencoding``).
* Languages: TT05 codes become ISO 639-3 codes (``control/@langencoding="iso639-3"``, whose codes
  for these languages equal ISO 639-2/T): 01 vie, 02 eng, 03 fra, 04 rus, 05 zho; the bilingual
  codes 06/07/08/10 give two languages; 09 Hán Nôm gives a ``languageset`` of lzh (Literary
  Chinese) and vie in the Han script (Hani); 11 Khác gives ``und`` (undetermined), not ``mul``.
* ``dao/@href`` is the file's path **relative to the package root**, percent-encoded as a URI
  reference (RFC 3986; non-ASCII as UTF-8, NFC/NFD kept as given), the same convention as METS in
  E-ARK packages; ``ead/@base`` (default ``../../``, from ``metadata/descriptive/``) lets a
  resolver that honours EAD3 ``@base`` reach the package root. ``daotype`` is ``borndigital``
  (confidenceLevel 01), ``derived`` (02, digitised) or ``unknown``.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any, Final

from lxml import etree

from luutru_aip import vocab
from luutru_aip.metadata.tt05 import require_xml_text
from luutru_aip.model import (
    ArchiveProfile,
    DocumentRecord,
    FileRecord,
    PackageFile,
    PackageType,
    format_vn_time,
)

__all__ = [
    "DEFAULT_HREF_BASE",
    "EAD3_NS",
    "EAD3_SCHEMA_LOCATION",
    "LANGUAGE_CODES",
    "RELATED_ENCODING",
    "dao_href",
    "dao_type",
    "ead3_finding_aid",
    "iso_languages",
]

EAD3_NS: Final = "http://ead3.archivists.org/schema/"
#: The official location of EAD3 1.1.1 (pinned as ``ead3`` in the schema store).
EAD3_SCHEMA_LOCATION: Final = "https://www.loc.gov/ead/ead3.xsd"
_XSI: Final = "http://www.w3.org/2001/XMLSchema-instance"
#: What ``@encodinganalog`` values refer to.
RELATED_ENCODING: Final = "TT05/2025/TT-BNV simpledc"
#: From ``metadata/descriptive/EAD3.xml`` to the package root.
DEFAULT_HREF_BASE: Final = "../../"

#: TT05 language code → ISO 639-3 codes (labels come from the TT05 code list). 09 is special.
LANGUAGE_CODES: Final[dict[str, tuple[str, ...]]] = {
    "01": ("vie",),
    "02": ("eng",),
    "03": ("fra",),
    "04": ("rus",),
    "05": ("zho",),
    "06": ("vie", "eng"),
    "07": ("vie", "rus"),
    "08": ("vie", "fra"),
    "09": ("lzh", "vie"),
    "10": ("vie", "zho"),
    "11": ("und",),
}
_HAN_NOM: Final = "09"
_ISO_TO_TT05: Final = {"vie": "01", "eng": "02", "fra": "03", "rus": "04", "zho": "05"}
_OTHER_LABEL: Final = "Ngôn ngữ khác (không xác định)"


def _e(parent: Any, tag: str, text: str | None = None, /, **attrs: str | None) -> Any:
    """A child in the EAD3 namespace; ``None`` attributes are left out (order kept: deterministic)."""
    element = etree.SubElement(parent, f"{{{EAD3_NS}}}{tag}")
    for key, value in attrs.items():
        if value is not None:
            element.set(key, value)
    if text is not None:
        element.text = text
    return element


def _label(list_name: str, code: str | None) -> str | None:
    """The 2024-vocabulary label of a code, or the code itself when the list does not know it."""
    if code is None or not code.strip():
        return None
    return vocab.code_list(list_name).codes.get(code, code)


def iso_languages(codes: Iterable[str]) -> list[tuple[str, str]]:
    """``(ISO 639-3 code, Vietnamese label)`` pairs for TT05 language codes, in order, without repeats.

    >>> iso_languages(["06", "01"])
    [('vie', 'Tiếng Việt'), ('eng', 'Tiếng Anh')]

    Hán Nôm (09) is not listed here: :func:`ead3_finding_aid` writes it as a ``languageset``.
    An unknown code gives ``und``.
    """
    out: dict[str, str] = {}
    for code in codes:
        if code == _HAN_NOM:
            continue
        for iso in LANGUAGE_CODES.get(code, ("und",)):
            single = _ISO_TO_TT05.get(iso)
            out.setdefault(iso, vocab.code_list("language").label(single) if single else _OTHER_LABEL)
    return list(out.items())


def _langmaterial(parent: Any, codes: Sequence[str], encodinganalog: str | None) -> None:
    if not codes:
        return
    material = _e(parent, "langmaterial", encodinganalog=encodinganalog)
    for iso, label in iso_languages(codes):
        _e(material, "language", label, langcode=iso)
    if _HAN_NOM in codes:
        han_nom = _e(material, "languageset")
        _e(han_nom, "language", "Hán văn", langcode="lzh")
        _e(han_nom, "language", "Tiếng Việt (chữ Nôm)", langcode="vie")
        _e(han_nom, "script", "Chữ Hán, chữ Nôm", scriptcode="Hani")


def dao_type(record: FileRecord, document: DocumentRecord | None = None) -> str:
    """EAD3 ``dao/@daotype`` from TT05 confidenceLevel (the document's, else the hồ sơ's)."""
    level = document.confidence_level if document is not None and document.confidence_level else None
    level = level or record.confidence_level
    return {"01": "borndigital", "02": "derived"}.get(level or "", "unknown")


def dao_href(path: str) -> str:
    """The package-relative POSIX ``path`` as a URI reference (RFC 3986 percent-encoding, ``/`` kept)."""
    return urllib.parse.quote(path, safe="/")


def _dao(parent: Any, package_file: PackageFile, daotype: str) -> None:
    title = package_file.original_name or PurePosixPath(package_file.path).name
    _e(
        parent,
        "dao",
        daotype=daotype,
        href=dao_href(package_file.path),
        linktitle=require_xml_text(title, field="dao/@linktitle"),
        identifier=package_file.file_id,
    )


def _note(parent: Any, tag: str, head: str, text: str | None, analog: str, **attrs: str | None) -> None:
    """``<tag encodinganalog=…><head>…</head><p>…</p></tag>`` when ``text`` has a value."""
    if text is None or not text.strip():
        return
    block = _e(parent, tag, encodinganalog=analog, **attrs)
    _e(block, "head", head)
    _e(block, "p", text)


def _quantity(parent: Any, value: int | None, unit: str, kind: str, analog: str) -> None:
    if value is None:
        return
    structured = _e(
        parent, "physdescstructured", coverage="whole", physdescstructuredtype=kind, encodinganalog=analog
    )
    _e(structured, "quantity", str(value))
    _e(structured, "unittype", unit)


def _controlaccess(parent: Any, type_name: str | None, keywords: Sequence[str]) -> None:
    terms = [k for k in keywords if k.strip()]
    if type_name is None and not terms:
        return
    access = _e(parent, "controlaccess")
    if type_name is not None:
        genre = _e(access, "genreform", encodinganalog="typeName", identifier=type_name)
        _e(genre, "part", _label("typeName", type_name))
    for term in terms:
        subject = _e(access, "subject", encodinganalog="keyword")
        _e(subject, "part", term)


def _risk_recovery(parent: Any, enabled: bool, status: str | None) -> None:
    """The lưu trữ dự phòng facts as ``altformavail`` (a backup copy is an alternative form)."""
    if not enabled:
        return
    text = "Có lập tài liệu lưu trữ dự phòng"
    status_label = _label("riskRecoveryStatus", status)
    if status_label:
        text += f"; tình trạng: {status_label.lower()}"
    _note(parent, "altformavail", "Chế độ lập tài liệu lưu trữ dự phòng", text, "riskRecovery")


def _field_label(level: str, tag: str) -> str:
    for spec in vocab.field_table(level, "AIP") + vocab.field_table(level, "SIP"):
        if spec.tag == tag:
            return spec.label
    return tag  # pragma: no cover - only called with tags of the tables


def _file_component(
    dsc: Any,
    record: FileRecord,
    profile: ArchiveProfile,
    package_type: PackageType,
    files: Sequence[PackageFile],
) -> Any:
    c = _e(dsc, "c", level="file")
    did = _e(c, "did")
    _e(did, "unitid", record.file_code, encodinganalog="fileCode")
    if package_type is PackageType.AIP:
        _e(
            did,
            "unitid",
            record.arc_file_code(profile),
            localtype="arcFileCode",
            encodinganalog="arcFileCode",
        )
    if record.infor_sign:
        _e(did, "unitid", record.infor_sign, localtype="inforSign", encodinganalog="inforSign")
    _e(did, "unittitle", record.title, encodinganalog="title")
    dates = _e(did, "unitdatestructured", unitdatetype="inclusive", encodinganalog="startDate endDate")
    span = _e(dates, "daterange")
    _e(span, "fromdate", record.start_date.tt05(), standarddate=record.start_date.iso())
    _e(span, "todate", record.end_date.tt05(), standarddate=record.end_date.iso())
    _quantity(did, record.number_of_page, "trang", "carrier", "numberOfPage")
    _quantity(did, record.number_of_paper, "tờ", "carrier", "numberOfPaper")
    _quantity(did, record.total_doc, "tài liệu", "materialtype", "totalDoc")
    _langmaterial(did, record.languages, "language")
    loose = [f for f in files if f.document is None and f.use.lower().startswith("representations/")]
    for package_file in sorted(loose, key=lambda f: f.path):
        _dao(did, package_file, dao_type(record))
    _note(c, "accessrestrict", _field_label("file", "mode"), _label("mode", record.mode), "mode")
    _note(
        c,
        "appraisal",
        _field_label("file", "maintenance"),
        _label("maintenance", record.maintenance),
        "maintenance",
    )
    _controlaccess(c, None, record.keywords)
    _note(c, "phystech", _field_label("file", "format"), _label("format", record.physical_state), "format")
    _note(
        c,
        "phystech",
        _field_label("file", "confidenceLevel"),
        _label("confidenceLevel", record.confidence_level),
        "confidenceLevel",
    )
    _note(c, "originalsloc", _field_label("file", "paperFileCode"), record.paper_file_code, "paperFileCode")
    _risk_recovery(c, record.risk_recovery, record.risk_recovery_status)
    _note(c, "odd", _field_label("file", "description"), record.description, "description")
    return c


def _number_notation(document: DocumentRecord) -> str | None:
    parts = [p for p in (document.code_number, document.code_notation) if p and p.strip()]
    return "/".join(parts) if parts else None


def _item_component(
    parent: Any, record: FileRecord, document: DocumentRecord, files: Sequence[PackageFile]
) -> None:
    c = _e(parent, "c", level="item")
    did = _e(c, "did")
    _e(did, "unitid", record.doc_code(document), encodinganalog="docCode")
    _e(did, "unitid", record.doc_id(document), localtype="docId", encodinganalog="docId")
    number = _number_notation(document)
    if number:
        _e(
            did,
            "unitid",
            number,
            localtype="codeNumber/codeNotation",
            encodinganalog="codeNumber codeNotation",
        )
    if document.infor_sign:
        _e(did, "unitid", document.infor_sign, localtype="inforSign", encodinganalog="inforSign")
    _e(did, "unittitle", document.subject, encodinganalog="subject")
    when = _e(did, "unitdatestructured", encodinganalog="issuedDate")
    _e(when, "datesingle", document.issued_date.tt05(), standarddate=document.issued_date.iso())
    origination = _e(did, "origination", encodinganalog="organName")
    _e(_e(origination, "corpname"), "part", document.organ_name)
    _quantity(did, document.number_of_page, "trang", "carrier", "numberOfPage")
    _langmaterial(did, document.languages, "language")
    mine = [f for f in files if f.document == document.ordinal]
    for package_file in sorted(mine, key=lambda f: f.path):
        _dao(did, package_file, dao_type(record, document))
    _note(c, "accessrestrict", _field_label("document", "mode"), _label("mode", document.mode), "mode")
    _note(
        c,
        "appraisal",
        _field_label("document", "maintenance"),
        _label("maintenance", document.maintenance),
        "maintenance",
    )
    _controlaccess(c, document.type_name, document.keywords)
    _note(
        c, "phystech", _field_label("document", "format"), _label("format", document.physical_state), "format"
    )
    _note(
        c,
        "phystech",
        _field_label("document", "confidenceLevel"),
        _label("confidenceLevel", document.confidence_level),
        "confidenceLevel",
    )
    _risk_recovery(c, document.risk_recovery, document.risk_recovery_status)
    _note(
        c,
        "odd",
        _field_label("document", "autograph"),
        document.autograph,
        "autograph",
        localtype="autograph",
    )
    _note(c, "odd", _field_label("document", "description"), document.description, "description")


def _control(
    root: Any,
    record: FileRecord,
    profile: ArchiveProfile,
    package_type: PackageType,
    created: datetime,
    software: str,
) -> None:
    control = _e(
        root,
        "control",
        langencoding="iso639-3",
        scriptencoding="iso15924",
        dateencoding="iso8601",
        countryencoding="iso3166-1",
    )
    if package_type is PackageType.AIP:
        _e(control, "recordid", record.arc_file_code(profile))
        _e(control, "otherrecordid", record.file_code, localtype="fileCode")
    else:
        _e(control, "recordid", record.file_code)
    _e(_e(_e(control, "filedesc"), "titlestmt"), "titleproper", record.title)
    _e(control, "maintenancestatus", value="new")
    agency = _e(control, "maintenanceagency", countrycode="VN")
    _e(agency, "agencycode", profile.agency_code, localtype="QĐ 20/2020/QĐ-TTg")
    _e(agency, "agencyname", profile.archive_name)
    declaration = _e(control, "languagedeclaration")
    _e(declaration, "language", "Tiếng Việt", langcode="vie")
    _e(declaration, "script", "Chữ Latinh (chữ Quốc ngữ)", scriptcode="Latn")
    convention = _e(control, "conventiondeclaration")
    _e(convention, "abbr", "TT05")
    _e(convention, "citation", "Thông tư 05/2025/TT-BNV quy định nghiệp vụ lưu trữ tài liệu lưu trữ số")
    event = _e(_e(control, "maintenancehistory"), "maintenanceevent")
    _e(event, "eventtype", value="created")
    moment = format_vn_time(created)
    _e(event, "eventdatetime", moment, standarddatetime=moment)
    _e(event, "agenttype", value="machine")
    _e(event, "agent", software)
    _e(event, "eventdescription", "Tạo tự động từ siêu dữ liệu TT05 của hồ sơ (EAD.xml, EAD_doc_*.xml).")


def _check_text(record: FileRecord, profile: ArchiveProfile, software: str) -> None:
    """Raise :class:`InputError` naming the field when a text cannot be carried by XML 1.0."""
    where = f"hồ sơ {record.file_code}"
    texts: list[tuple[str, str | None]] = [
        ("archive_name", profile.archive_name),
        ("agency_code", profile.agency_code),
        ("fonds_code", profile.fonds_code),
        ("fonds_name", profile.fonds_name),
        ("repository_name", profile.repository_name),
        ("creator_name", profile.creator_name),
        ("software", software),
        ("fileCode", record.file_code),
        ("title", record.title),
        ("inforSign", record.infor_sign),
        ("paperFileCode", record.paper_file_code),
        ("description", record.description),
        *(("keyword", k) for k in record.keywords),
    ]
    for document in record.documents:
        texts += [
            ("subject", document.subject),
            ("organName", document.organ_name),
            ("codeNumber", document.code_number),
            ("codeNotation", document.code_notation),
            ("inforSign", document.infor_sign),
            ("autograph", document.autograph),
            ("description", document.description),
            *(("keyword", k) for k in document.keywords),
        ]
    for field, text in texts:
        if text is not None:
            require_xml_text(text, field=field, where=where)


def ead3_finding_aid(
    record: FileRecord,
    profile: ArchiveProfile,
    package_type: PackageType,
    files: Sequence[PackageFile],
    *,
    created: datetime,
    software: str,
    href_base: str | None = DEFAULT_HREF_BASE,
) -> bytes:
    """``metadata/descriptive/EAD3.xml``: an EAD3 1.1.1 finding aid of one hồ sơ in its fonds.

    ``files`` are the package's files as staged; payload files (``document`` set, or ``use`` under
    ``Representations/``) become ``dao`` links of their tài liệu (or of the hồ sơ when they belong
    to no document), sorted by path. ``created`` (timezone-aware) is the creation event's time;
    ``software`` names the agent (``"luutru-aip 0.1.0"``). ``href_base`` is written as
    ``ead/@base``: the relative URI from this file's folder to the package root (``None`` omits it).
    Raises :class:`~luutru_aip.errors.InputError` if a text cannot be carried by XML 1.0.
    """
    ptype = package_type if isinstance(package_type, PackageType) else PackageType(package_type)
    _check_text(record, profile, software)
    nsmap: dict[Any, str] = {None: EAD3_NS, "xsi": _XSI}  # default namespace (lxml-stubs want str keys)
    root = etree.Element(f"{{{EAD3_NS}}}ead", nsmap=nsmap)
    root.set(f"{{{_XSI}}}schemaLocation", f"{EAD3_NS} {EAD3_SCHEMA_LOCATION}")
    if href_base is not None:
        root.set("base", href_base)
    _control(root, record, profile, ptype, created, software)
    archdesc = _e(root, "archdesc", level="fonds", relatedencoding=RELATED_ENCODING)
    did = _e(archdesc, "did")
    _e(did, "unitid", profile.fonds_code)
    _e(did, "unittitle", profile.fonds_name or profile.fonds_code)
    if profile.creator_name:
        _e(_e(_e(did, "origination"), "corpname"), "part", profile.creator_name)
    _e(_e(_e(did, "repository"), "corpname"), "part", profile.repository_name or profile.archive_name)
    _langmaterial(did, record.languages, None)
    dsc = _e(archdesc, "dsc")
    file_c = _file_component(dsc, record, profile, ptype, files)
    for document in sorted(record.documents, key=lambda d: d.ordinal):
        _item_component(file_c, record, document, files)
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
