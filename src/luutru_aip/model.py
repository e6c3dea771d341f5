"""The domain model shared by ingest, the metadata writers, build, validate and migrate (L0).

Two groups of frozen attrs classes:

* **Description** (what the archivist's spreadsheet says, normalised to TT05 codes, reference §d):
  :class:`ArchiveProfile` (the details no spreadsheet carries), :class:`FileRecord` (hồ sơ) and
  :class:`DocumentRecord` (tài liệu), with :class:`PartialDate` for TT05's ``DD/MM/YYYY``,
  ``MM/YYYY`` and ``YYYY`` dates and :class:`SourceRef` pointing back to the cell or row.
* **Package facts** (what the builder learnt while staging files): :class:`PackageFile` (digest, size,
  format, PDF facts), :class:`Agent` and :class:`Event` for PREMIS, and :class:`PackageInfo` (OBJID,
  type, times) for METS.

Identifier rules follow reference §f: ``docCode`` = fileCode + ``.`` + 7-digit ordinal, ``docId`` =
fileCode + ``.`` + ordinal, ``arcFileCode`` = archive code + fileCode. All times carry the +07:00
offset (:data:`VN_TZ`). Nothing here touches the file system.
"""

from __future__ import annotations

import enum
import re
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Final

import attrs

__all__ = [
    "AIP_ROOT_PROFILE",
    "CSIP_PROFILE",
    "VN_TZ",
    "Agent",
    "ArchiveProfile",
    "DocumentRecord",
    "Event",
    "FileRecord",
    "PackageFile",
    "PackageInfo",
    "PackageType",
    "PartialDate",
    "SourceRef",
    "format_vn_time",
    "stable_uuid",
]

#: Vietnam's offset; TT05 wants every time in ISO 8601 with +07:00.
VN_TZ: Final = timezone(timedelta(hours=7), "ICT")
#: METS PROFILE of an E-ARK CSIP/SIP package.
CSIP_PROFILE: Final = "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"
#: METS PROFILE that TT05 uses on an AIP root (reference §e, R1).
AIP_ROOT_PROFILE: Final = "http://www.ra.ee/METS/v01/IP.xml"
#: Namespace for the deterministic UUIDs of a package (uuid5 of OBJID + path).
_NAMESPACE: Final = uuid.UUID("6f1f6c1e-1f0a-5b5e-9d7c-6c75757472a1")


def stable_uuid(*parts: str) -> uuid.UUID:
    """A deterministic UUID from *parts* (same input, same identifier: builds are reproducible)."""
    return uuid.uuid5(_NAMESPACE, "\x1f".join(parts))


def format_vn_time(moment: datetime) -> str:
    """ISO 8601 with the +07:00 offset and whole seconds: ``2026-11-21T09:30:00+07:00``."""
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return moment.astimezone(VN_TZ).replace(microsecond=0).isoformat()


class PackageType(enum.Enum):
    SIP = "SIP"
    AIP = "AIP"


_DATE_TEXT: Final = re.compile(r"^\s*(?:(\d{1,2})[/.\-])?(?:(\d{1,2})[/.\-])?(\d{4})\s*$")
_ISO_TEXT: Final = re.compile(r"^\s*(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\s*$")


@attrs.frozen(order=True)
class PartialDate:
    """A date that may lack its day, or its day and month (TT05: AIP dates may be ``MM/YYYY`` or ``YYYY``)."""

    year: int
    month: int | None = None
    day: int | None = None

    def __attrs_post_init__(self) -> None:
        if not 1000 <= self.year <= 9999:
            raise ValueError(f"year {self.year} is out of range")
        if self.day is not None and self.month is None:
            raise ValueError("a day needs a month")
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValueError(f"month {self.month} is out of range")
        if self.day is not None and self.month is not None:
            date(self.year, self.month, self.day)  # raises ValueError for 31/02

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Parse ``15/03/2001``, ``15-3-2001``, ``03/2001``, ``2001`` or ISO ``2001-03-15``.

        >>> PartialDate.parse("5/3/2001").tt05()
        '05/03/2001'
        >>> PartialDate.parse("2001-03").tt05()
        '03/2001'
        """
        iso = _ISO_TEXT.match(text)
        if iso:
            year, month, day = iso.groups()
            return cls(int(year), int(month), int(day) if day else None)
        match = _DATE_TEXT.match(text)
        if not match:
            raise ValueError(f"not a date: {text!r}")
        first, second, year = match.groups()
        if first is not None and second is not None:
            return cls(int(year), int(second), int(first))
        return cls(int(year), int(first) if first is not None else None)

    @classmethod
    def from_date(cls, value: date) -> PartialDate:
        return cls(value.year, value.month, value.day)

    def tt05(self) -> str:
        """TT05's text form: ``DD/MM/YYYY``, ``MM/YYYY`` or ``YYYY``."""
        if self.day is not None:
            return f"{self.day:02d}/{self.month:02d}/{self.year:04d}"
        if self.month is not None:
            return f"{self.month:02d}/{self.year:04d}"
        return f"{self.year:04d}"

    def iso(self) -> str:
        """ISO 8601 form (``2001-03-15``, ``2001-03``, ``2001``), as EAD3 ``@standarddate`` wants."""
        if self.day is not None:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month is not None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"

    @property
    def complete(self) -> bool:
        return self.day is not None


@attrs.frozen
class SourceRef:
    """Where a record came from: a spreadsheet cell/row (``Sheet1!F12``), a CSV line or a JSON pointer."""

    source: str
    sheet: str | None = None
    row: int | None = None
    pointer: str | None = None

    def __str__(self) -> str:
        if self.pointer is not None:
            return f"{self.source}#{self.pointer}"
        if self.sheet is not None and self.row is not None:
            return f"{self.sheet}!{self.row}"
        if self.row is not None:
            return f"{self.source}:{self.row}"
        return self.source


@attrs.frozen
class ArchiveProfile:
    """Details that no spreadsheet carries (a profile TOML file or command-line options).

    ``agency_code`` is the mã định danh điện tử of QĐ 20/2020/QĐ-TTg as amended by QĐ 09/2025/QĐ-TTg
    (e.g. ``H40.21.05``); ``archive_code`` prefixes ``arcFileCode`` and defaults to ``agency_code``.
    """

    archive_name: str
    agency_code: str
    fonds_code: str
    fonds_name: str | None = None
    archive_code: str | None = None
    repository_name: str | None = None
    creator_name: str | None = None
    default_language: str | None = None
    #: The fonds holds tài liệu lưu trữ có giá trị đặc biệt (recognised under Law 33/2024 Ch. IV).
    special_value: bool = False
    #: Separator between archive code and fileCode in arcFileCode (reference §f; unconfirmed).
    arc_separator: str = "."

    @property
    def effective_archive_code(self) -> str:
        return self.archive_code or self.agency_code


@attrs.frozen
class DocumentRecord:
    """One tài liệu (EAD_doc_*.xml, reference §d4), values already normalised to TT05 codes."""

    ordinal: int
    type_name: str
    issued_date: PartialDate
    organ_name: str
    subject: str
    languages: tuple[str, ...]
    mode: str
    maintenance: str
    number_of_page: int | None = None
    code_number: str | None = None
    code_notation: str | None = None
    infor_sign: str | None = None
    keywords: tuple[str, ...] = ()
    confidence_level: str | None = None
    autograph: str | None = None
    physical_state: str | None = None
    risk_recovery: bool = False
    risk_recovery_status: str | None = None
    process: bool | None = None
    description: str | None = None
    #: Source-relative POSIX paths of this document's files (usually one scanned PDF).
    files: tuple[str, ...] = ()
    source: SourceRef | None = None


@attrs.frozen
class FileRecord:
    """One hồ sơ (EAD.xml, reference §d3) with its documents, values normalised to TT05 codes."""

    file_code: str
    title: str
    maintenance: str
    mode: str
    languages: tuple[str, ...]
    start_date: PartialDate
    end_date: PartialDate
    total_doc: int
    number_of_page: int
    documents: tuple[DocumentRecord, ...] = ()
    number_of_paper: int | None = None
    physical_state: str | None = None
    infor_sign: str | None = None
    keywords: tuple[str, ...] = ()
    confidence_level: str | None = None
    paper_file_code: str | None = None
    risk_recovery: bool = False
    risk_recovery_status: str | None = None
    description: str | None = None
    box: str | None = None
    source: SourceRef | None = None

    def doc_code(self, document: DocumentRecord) -> str:
        """``docCode``: fileCode + ``.`` + 7-digit ordinal (reference §f).

        >>> rec = FileRecord("H40.21.05.2001.01", "t", "01", "01", ("01",),
        ...                  PartialDate(2001), PartialDate(2001), 1, 1)
        >>> rec.doc_code(DocumentRecord(3, "02", PartialDate(2001), "o", "s", ("01",), "01", "01"))
        'H40.21.05.2001.01.0000003'
        """
        return f"{self.file_code}.{document.ordinal:07d}"

    def doc_id(self, document: DocumentRecord) -> str:
        """``docId``: fileCode + ``.`` + unpadded ordinal (reference §f)."""
        return f"{self.file_code}.{document.ordinal}"

    def arc_file_code(self, profile: ArchiveProfile) -> str:
        """``arcFileCode``: archive code + separator + fileCode (reference §f, R1)."""
        return profile.effective_archive_code + profile.arc_separator + self.file_code

    @property
    def digitised(self) -> bool:
        """TT05 ``confidenceLevel`` 02 (số hóa) or 03 (hỗn hợp) makes the digitisation fields required."""
        return self.confidence_level in ("02", "03")


@attrs.frozen
class PackageFile:
    """One file in a package as staged by the builder: where it is and what it is."""

    #: Package-relative POSIX path (``representations/rep1/data/…``).
    path: str
    size: int
    sha256: str
    #: File ``ID`` in METS and PREMIS objectIdentifier: ``ID-<UUID>``, deterministic.
    file_id: str
    mime: str
    created: datetime
    #: fileGrp USE: ``Representations/rep1/Data``, ``Documentation``, ``Schemas`` or ``Metadata``.
    use: str
    #: The name the file had in the source folder (PREMIS originalName), for payload files.
    original_name: str | None = None
    puid: str | None = None
    format_name: str | None = None
    format_version: str | None = None
    #: Ordinal of the document (tài liệu) this payload file belongs to.
    document: int | None = None
    pdf_pages: int | None = None
    pdfa_claim: str | None = None
    encrypted: bool | None = None
    sha512: str | None = None


@attrs.frozen
class Agent:
    """A PREMIS/METS agent: the archive (ORGANIZATION) or this software (SOFTWARE)."""

    identifier: str
    name: str
    #: ``organization`` or ``software`` (PREMIS agentType).
    kind: str
    #: METS ``@ROLE``: CREATOR, ARCHIVIST, PRESERVATION, OTHER…
    role: str = "CREATOR"
    version: str | None = None
    note: str | None = None


@attrs.frozen
class Event:
    """A PREMIS 3 event (eventType values from the LoC event type vocabulary)."""

    identifier: str
    type: str
    moment: datetime
    outcome: str
    detail: str = ""
    outcome_detail: str | None = None
    #: (agent identifier, role) pairs: role "executing program" or "authorizer" etc.
    agents: tuple[tuple[str, str], ...] = ()
    #: (object identifier, role) pairs: role "source" / "outcome" or "".
    objects: tuple[tuple[str, str], ...] = ()


@attrs.frozen
class PackageInfo:
    """Package-level facts for METS headers: OBJID, type, label, creation time, agents."""

    objid: str
    type: PackageType
    label: str
    created: datetime
    archive: Agent
    software: Agent
    record_status: str = "NEW"
    #: OBJID of the SIP this AIP was made from, or of the AIP version it replaces.
    predecessor: str | None = None
    submission_agreement: str | None = None
