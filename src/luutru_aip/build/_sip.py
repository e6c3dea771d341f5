"""SIP → AIP (``luutru-aip ingest``): validate the submission, read it back, build the AIP as a bag (L2).

TT05 Art. 17 (R1): a historical archive receiving a SIP from another system converts it into an AIP
after approval, recording the PREMIS event ``information package creation``. E-ARK AIP lets the AIP keep
the original submission: we copy the SIP unchanged into ``submission/`` inside the AIP, so nothing the
submitter sent is lost, and the AIP's ``information package creation`` event links to the SIP's OBJID.

The SIP is read with the hardened XML parser only: its METS gives the OBJID and which data files belong
to which document (structMap divisions pointing at a document's ``EAD_doc`` dmdSec and its files); the
simpledc files give the hồ sơ and document descriptions, which must already be TT05 codes (a SIP that
validates has them).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

import attrs

from luutru_aip._fs.atomic import TEMP_MARKER
from luutru_aip._fs.zips import safe_extract
from luutru_aip.build._package import BuildOptions, BuildResult, build_package
from luutru_aip.errors import InputError
from luutru_aip.findings import Finding, Severity, finding
from luutru_aip.metadata._xml import parse_xml
from luutru_aip.metadata.mets import path_from_href
from luutru_aip.metadata.schemastore import SchemaStore
from luutru_aip.metadata.tt05 import read_simpledc
from luutru_aip.model import ArchiveProfile, DocumentRecord, FileRecord, PackageType, PartialDate

__all__ = ["IngestOutcome", "SipContent", "ingest_sip", "read_sip"]

_METS = "{http://www.loc.gov/METS/}"
_XLINK = "{http://www.w3.org/1999/xlink}href"


@attrs.frozen
class SipContent:
    """What :func:`read_sip` found in a SIP."""

    objid: str
    record: FileRecord
    #: Paths of the data files relative to ``representations/rep1/data/``, per document ordinal.
    source_files: Mapping[str, str]
    #: Data files that no document claims (kept in the AIP all the same).
    loose_files: tuple[str, ...]


@attrs.frozen
class IngestOutcome:
    """The outcome of :func:`ingest_sip`: the SIP's validation findings and the AIP build result."""

    sip: Path
    sip_objid: str | None
    findings: tuple[Finding, ...]
    result: BuildResult | None

    @property
    def ok(self) -> bool:
        return self.result is not None and self.result.built


def _simpledc(path: Path) -> dict[str, str]:
    return read_simpledc(parse_xml(path))


def _date(text: str, where: str) -> PartialDate:
    try:
        return PartialDate.parse(text)
    except ValueError:
        raise InputError(f"{where}: {text!r} is not a TT05 date") from None


def _int(text: str | None) -> int | None:
    return int(text) if text and text.strip().isdigit() else None


def _codes(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def _href_path(href: str, where: Path) -> str:
    """The package path of an ``xlink:href`` in the representation METS; never outside the package."""
    try:
        return path_from_href(href)
    except ValueError as exc:
        raise InputError(f"{where}: unusable xlink:href {href!r}: {exc}") from None


def _document(
    values: Mapping[str, str], ordinal: int, record: Mapping[str, str], where: str
) -> DocumentRecord:
    return DocumentRecord(
        ordinal=ordinal,
        type_name=values.get("typeName", ""),
        issued_date=_date(values.get("issuedDate", ""), where),
        organ_name=values.get("organName", ""),
        subject=values.get("subject", ""),
        languages=_codes(values.get("language")) or _codes(record.get("language")),
        mode=values.get("mode") or record.get("mode", ""),
        maintenance=values.get("maintenance") or record.get("maintenance", ""),
        number_of_page=_int(values.get("numberOfPage")),
        code_number=values.get("codeNumber") or None,
        code_notation=values.get("codeNotation") or None,
        infor_sign=values.get("inforSign") or None,
        keywords=_codes(values.get("keyword")),
        confidence_level=values.get("confidenceLevel") or None,
        autograph=values.get("autograph") or None,
        physical_state=values.get("format") or None,
        risk_recovery=values.get("riskRecovery") == "1",
        risk_recovery_status=values.get("riskRecoveryStatus") or None,
        process=None if not values.get("process") else values.get("process") == "1",
        description=values.get("description") or None,
    )


def read_sip(root: Path) -> SipContent:
    """Read a SIP folder written in the TT05 layout back into a :class:`FileRecord`."""
    root_mets = parse_xml(root / "METS.xml").getroot()
    objid = root_mets.get("OBJID") or ""
    if not objid:
        raise InputError(f"{root / 'METS.xml'}: the root METS has no OBJID")
    values = _simpledc(root / "metadata" / "descriptive" / "EAD.xml")
    file_code = values.get("fileCode") or values.get("arcFileCode") or ""
    rep = root / "representations" / "rep1"
    rep_mets = parse_xml(rep / "METS.xml").getroot()
    dmd_href = {
        sec.get("ID"): _href_path(ref.get(_XLINK, ""), rep / "METS.xml")
        for sec in rep_mets.iter(f"{_METS}dmdSec")
        for ref in sec.iter(f"{_METS}mdRef")
    }
    # Each data file points at its document's EAD_doc dmdSec through file/@DMDID (CSIP75).
    files_by_dmd: dict[str, list[str]] = {}
    for node in rep_mets.iter(f"{_METS}file"):
        hrefs = [_href_path(loc.get(_XLINK, ""), rep / "METS.xml") for loc in node.iter(f"{_METS}FLocat")]
        for pointer in (node.get("DMDID") or "").split():
            files_by_dmd.setdefault(pointer, []).extend(hrefs)
    documents: list[DocumentRecord] = []
    source_files: dict[str, str] = {}
    claimed: set[str] = set()
    ordinal_files: dict[int, list[str]] = {}
    for section_id, href in sorted(dmd_href.items(), key=lambda item: item[1]):
        if not section_id or "EAD_doc" not in href:
            continue
        dmdid = section_id
        doc_path = rep.joinpath(*href.split("/"))
        doc_values = _simpledc(doc_path)
        ordinal = _int(doc_values.get("docOrdinal")) or _int(
            (doc_values.get("docCode") or "").rsplit(".", 1)[-1]
        )
        if ordinal is None:
            raise InputError(f"{doc_path}: cannot tell the document's ordinal from docCode")
        files = files_by_dmd.get(dmdid, [])
        ordinal_files[ordinal] = [f.removeprefix("data/") for f in files if f.startswith("data/")]
        documents.append(_document(doc_values, ordinal, values, str(doc_path)))
    documents.sort(key=lambda d: d.ordinal)
    documents = [attrs.evolve(d, files=tuple(ordinal_files.get(d.ordinal, ()))) for d in documents]
    for paths in ordinal_files.values():
        claimed.update(paths)
        source_files.update({p: p for p in paths})
    data_dir = rep / "data"
    loose = tuple(
        sorted(
            p.relative_to(data_dir).as_posix()
            for p in data_dir.rglob("*")
            if p.is_file() and p.relative_to(data_dir).as_posix() not in claimed
        )
    )
    record = FileRecord(
        file_code=file_code,
        title=values.get("title", ""),
        maintenance=values.get("maintenance", ""),
        mode=values.get("mode", ""),
        languages=_codes(values.get("language")),
        start_date=_date(values.get("startDate", ""), "EAD.xml startDate"),
        end_date=_date(values.get("endDate", ""), "EAD.xml endDate"),
        total_doc=_int(values.get("totalDoc")) or len(documents),
        number_of_page=_int(values.get("numberOfPage")) or 0,
        documents=tuple(documents),
        number_of_paper=_int(values.get("numberOfPaper")),
        physical_state=values.get("format") or None,
        infor_sign=values.get("inforSign") or None,
        keywords=_codes(values.get("keyword")),
        confidence_level=values.get("confidenceLevel") or None,
        paper_file_code=values.get("paperFileCode") or None,
        risk_recovery=values.get("riskRecovery") == "1",
        risk_recovery_status=values.get("riskRecoveryStatus") or None,
        description=values.get("description") or None,
    )
    return SipContent(objid=objid, record=record, source_files=source_files, loose_files=loose)


def ingest_sip(
    sip: Path | str,
    *,
    storage: Path | str,
    profile: ArchiveProfile,
    clock: datetime | None = None,
    store: SchemaStore | None = None,
    workers: int = 1,
    validator: Callable[[Path], tuple[Finding, ...]] | None = None,
    progress: Callable[[int], None] | None = None,
) -> IngestOutcome:
    """Validate ``sip`` (folder or ZIP), then build its AIP as a bag in ``storage``; the SIP is kept inside.

    ``validator`` returns the SIP's findings (the CLI passes :func:`luutru_aip.validate.validate` with the
    ``sip`` profile); an error among them stops the ingest with ``BLD009``.
    """
    sip = Path(sip)
    storage = Path(storage)
    if not storage.is_dir():
        raise InputError(f"the storage folder {storage} does not exist")
    work: Path | None = None
    try:
        folder = sip
        if sip.is_file():
            work = Path(tempfile.mkdtemp(prefix=f".{sip.name}{TEMP_MARKER}", dir=storage))
            safe_extract(sip, work)
            entries = list(work.iterdir())
            folder = entries[0] if len(entries) == 1 and entries[0].is_dir() else work
        findings = validator(folder) if validator is not None else ()
        errors = [f for f in findings if f.severity is Severity.ERROR]
        if errors:
            blocked = finding("BLD009", path=str(sip), count=len(errors))
            return IngestOutcome(sip=sip, sip_objid=None, findings=(*findings, blocked), result=None)
        content = read_sip(folder)
        extra = {p: p for p in content.loose_files}
        result = build_package(
            content.record,
            source_root=folder / "representations" / "rep1" / "data",
            out_dir=storage,
            profile=profile,
            source_files={**content.source_files, **extra},
            options=BuildOptions(
                package_type=PackageType.AIP,
                format="bag",
                workers=workers,
                source_package=content.objid,
                submission=folder,
                loose_files=content.loose_files,
            ),
            clock=clock,
            store=store,
            progress=progress,
        )
        return IngestOutcome(sip=sip, sip_objid=content.objid, findings=tuple(findings), result=result)
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
