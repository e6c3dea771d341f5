"""Build one TT05 / E-ARK CSIP package from a hồ sơ record and its scanned files (L2).

The steps, in order (issue 4; reference §e):

1. Choose the OBJID and the package name (reference §f): a SIP is ``uuid-<UPPER-UUID>``, an AIP
   ``urn:uuid:<uuid>`` stored as ``urn_uuid_<uuid>``. The UUID is derived from the archive, fonds, hồ sơ,
   package type and the build clock, so the same input and clock give the same identifiers and bytes.
2. Stage into a temporary sibling of the output (``_fs.atomic_dir``/``atomic_file``): payload files are
   copied (or hard-linked) under ``representations/rep1/data/`` with digests, identification and PDF
   facts taken in the same read (:mod:`._stage`). Names are stored in Unicode NFC; PREMIS keeps the
   original name.
3. Write the descriptive metadata (TT05 ``EAD.xml`` and ``EAD_doc_*.xml``, checked against our derived
   simpledc XSDs, and the EAD3 finding aid), the PREMIS files (AIP), ``schemas/`` from the schema store and
   ``documentation/``, then the representation METS and, last, the root METS that lists them all.
4. Serialise: the folder itself, a deterministic ZIP, or a BagIt bag whose payload is the package.
   Only a complete package is renamed into place; an interrupted build leaves nothing under the final name.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Mapping
from datetime import datetime
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Final

import attrs

from luutru_aip import __version__
from luutru_aip._fs.atomic import TEMP_MARKER, atomic_dir, atomic_file
from luutru_aip.build._serialise import Digests, digests_of, write_bag_tags, write_zip
from luutru_aip.build._stage import Staged, StageItem, stage_many
from luutru_aip.errors import InputError, LuutruError, OutputExistsError, UsageError
from luutru_aip.findings import Finding, Severity, finding
from luutru_aip.metadata import ead3 as ead3_writer
from luutru_aip.metadata import mets as mets_writer
from luutru_aip.metadata import premis as premis_writer
from luutru_aip.metadata import tt05
from luutru_aip.metadata.schemastore import SchemaStore
from luutru_aip.model import (
    VN_TZ,
    Agent,
    ArchiveProfile,
    FileRecord,
    PackageFile,
    PackageInfo,
    PackageType,
    format_vn_time,
    stable_uuid,
)
from luutru_aip.signing import SIGNATURE_PATH, Signer, sign_package, signature_generation_event

__all__ = ["BuildOptions", "BuildResult", "build_package", "package_name"]

FORMATS: Final = ("dir", "zip", "bag")
REP: Final = "rep1"
DATA_PREFIX: Final = f"representations/{REP}/data/"
#: Official schemas copied into ``schemas/`` (their imports come along).
PACKAGE_SCHEMAS: Final = ("mets", "dilcis-csip", "dilcis-sip", "premis3", "ead3")
_MIME_BY_SUFFIX: Final = {
    ".pdf": "application/pdf",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".jp2": "image/jp2",
    ".mp3": "audio/mpeg",
    ".wav": "audio/x-wav",
    ".wma": "audio/x-ms-wma",
    ".mp4": "video/mp4",
    ".avi": "video/x-msvideo",
    ".xml": "text/xml",
    ".txt": "text/plain",
    ".xsd": "text/xml",
}


@attrs.frozen(kw_only=True)
class BuildOptions:
    """How to build: package type, serialisation and resources. Defaults are safe."""

    package_type: PackageType = PackageType.AIP
    format: str = "dir"
    link: bool = False
    ead3: bool = True
    workers: int = 1
    overwrite: bool = False
    identify: bool = True
    #: OBJID of the SIP an AIP is made from (``information package creation`` links to it).
    source_package: str | None = None
    #: A folder copied unchanged into ``submission/`` of an AIP (E-ARK AIP keeps the original SIP).
    submission: Path | None = None
    #: Source files that belong to no document but must be packaged (e.g. a SIP's unclaimed data files).
    loose_files: tuple[str, ...] = ()
    #: Sign the package as the last step (``signatures/package.p7s``, see docs/signing.md).
    signer: Signer | None = None
    #: RFC 3161 time-stamping authority for the signature.
    tsa_url: str | None = None
    #: Flush the package to disk before publishing it (power-loss safe); off only for throw-away output.
    sync: bool = True

    def __attrs_post_init__(self) -> None:
        if self.format not in FORMATS:
            raise UsageError(f"unknown package format {self.format!r}; choose one of {', '.join(FORMATS)}")
        if self.workers < 1:
            raise UsageError(f"workers must be at least 1 (got {self.workers})")


@attrs.frozen(kw_only=True)
class BuildResult:
    """The outcome of building one package."""

    file_code: str
    status: str  # "built", "failed" or "exists"
    objid: str | None = None
    path: Path | None = None
    package_type: PackageType = PackageType.AIP
    format: str = "dir"
    files: int = 0
    bytes: int = 0
    findings: tuple[Finding, ...] = ()

    @property
    def built(self) -> bool:
        return self.status == "built"

    def to_dict(self) -> dict[str, object]:
        return {
            "file_code": self.file_code,
            "status": self.status,
            "objid": self.objid,
            "path": None if self.path is None else os.fspath(self.path),
            "package_type": self.package_type.value,
            "format": self.format,
            "files": self.files,
            "bytes": self.bytes,
            "findings": [f.to_dict() for f in self.findings],
        }


@attrs.frozen(kw_only=True)
class _Base:
    """What every result of one build shares."""

    file_code: str
    objid: str
    package_type: PackageType
    format: str

    def result(
        self,
        status: str,
        *,
        path: Path | None = None,
        files: int = 0,
        size: int = 0,
        findings: tuple[Finding, ...] = (),
    ) -> BuildResult:
        return BuildResult(
            file_code=self.file_code,
            status=status,
            objid=self.objid,
            path=path,
            package_type=self.package_type,
            format=self.format,
            files=files,
            bytes=size,
            findings=findings,
        )


def objid_for(
    record: FileRecord, profile: ArchiveProfile, package_type: PackageType, moment: datetime
) -> str:
    """The OBJID (reference §f): deterministic from the hồ sơ, the archive and the build time."""
    ident = stable_uuid(
        profile.agency_code, profile.fonds_code, record.file_code, package_type.value, format_vn_time(moment)
    )
    if package_type is PackageType.SIP:
        return f"uuid-{str(ident).upper()}"
    return f"urn:uuid:{ident}"


def package_name(objid: str) -> str:
    """Folder name of a package: the OBJID with ``:`` replaced by ``_`` (reference §f)."""
    return objid.replace(":", "_")


def _mime(name: str, identified: str | None) -> str:
    if identified:
        return identified
    return _MIME_BY_SUFFIX.get(PurePosixPath(name).suffix.lower(), "application/octet-stream")


def _created(mtime_ns: int) -> datetime:
    return datetime.fromtimestamp(mtime_ns / 1e9, tz=VN_TZ).replace(microsecond=0)


@attrs.define
class _Tree:
    """The package tree being staged: files written so far with their facts."""

    root: Path
    moment: datetime
    objid: str
    files: dict[str, PackageFile] = attrs.field(factory=dict)
    digests: dict[str, Digests] = attrs.field(factory=dict)

    def file_id(self, path: str) -> str:
        return f"ID-{stable_uuid(self.objid, path)}"

    def write(
        self, path: str, data: bytes, *, use: str, mime: str | None = None, document: int | None = None
    ) -> PackageFile:
        target = self.root.joinpath(*path.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        stamp = self.moment.timestamp()
        os.utime(target, (stamp, stamp))
        digest = digests_of(data)
        entry = PackageFile(
            path=path,
            size=digest.size,
            sha256=digest.sha256,
            sha512=digest.sha512,
            file_id=self.file_id(path),
            mime=mime or _mime(path, None),
            created=self.moment.astimezone(VN_TZ).replace(microsecond=0),
            use=use,
            document=document,
        )
        self.files[path] = entry
        self.digests[path] = digest
        return entry


def _payload_plan(
    record: FileRecord,
    source_root: Path,
    source_files: Mapping[str, str],
    tree: _Tree,
    loose_files: tuple[str, ...] = (),
) -> tuple[list[tuple[StageItem, int, str]], list[Finding]]:
    """Where each document's files go, with NFC names; collisions are findings (ordinal -1: no document)."""
    plan: list[tuple[StageItem, int, str]] = []
    findings: list[Finding] = []
    seen: dict[str, str] = {}
    groups = [(d.ordinal, d.files) for d in record.documents]
    if loose_files:
        groups.append((-1, loose_files))
    for document in record.documents:
        if not document.files:
            findings.append(
                finding("BLD006", doc_code=record.doc_code(document), field=str(document.source or ""))
            )
    for ordinal, listed_files in groups:
        for listed in listed_files:
            on_disk = source_files.get(listed, listed)
            stored = unicodedata.normalize("NFC", on_disk)
            key = stored.casefold()
            if key in seen and seen[key] != on_disk:
                findings.append(finding("BLD003", path=on_disk, other=seen[key]))
                continue
            if key in seen:
                continue  # the same file listed twice for one hồ sơ: stage it once
            seen[key] = on_disk
            if stored != on_disk:
                findings.append(finding("BLD004", path=on_disk, found=stored))
            dest_rel = DATA_PREFIX + stored
            dest = tree.root.joinpath(*dest_rel.split("/"))
            plan.append(
                (
                    StageItem(
                        source=os.fspath(source_root.joinpath(*on_disk.split("/"))),
                        dest=os.fspath(dest),
                        original_name=on_disk,
                    ),
                    ordinal,
                    dest_rel,
                )
            )
    return plan, findings


def _schema_files(store: SchemaStore) -> list[tuple[str, bytes]]:
    out: dict[str, bytes] = {}
    for pin in store.closure(PACKAGE_SCHEMAS):
        out[pin.file] = store.read_verified(pin)
    folder = resources.files("luutru_aip").joinpath("schemas", "tt05")
    for entry in folder.iterdir():
        if entry.name.endswith(".xsd"):
            out[entry.name] = entry.read_bytes()
    return sorted(out.items())


def _documentation(record: FileRecord, profile: ArchiveProfile, info: PackageInfo) -> bytes:
    kind_vi = "Gói lưu trữ (AIP)" if info.type is PackageType.AIP else "Gói nộp lưu (SIP)"
    kind_en = "Archival" if info.type is PackageType.AIP else "Submission"
    lines = [
        f"{kind_vi} - hồ sơ {record.file_code}",
        f"Tiêu đề: {record.title}",
        f"Phông: {profile.fonds_code}" + (f" - {profile.fonds_name}" if profile.fonds_name else ""),
        f"Cơ quan lưu trữ: {profile.archive_name} ({profile.agency_code})",
        f"Mã gói (OBJID): {info.objid}",
        f"Thời gian tạo gói: {format_vn_time(info.created)}",
        "",
        "Cấu trúc gói theo Thông tư 05/2025/TT-BNV và E-ARK CSIP:",
        "  METS.xml                                   mô tả cấu trúc gói, tổng kiểm SHA-256 của mọi tệp",
        "  metadata/descriptive/EAD.xml               dữ liệu của hồ sơ (simpledc TT05)",
        "  metadata/descriptive/EAD3.xml              mục lục theo chuẩn quốc tế EAD3 (nếu có)",
        "  metadata/preservation/PREMIS.xml           lịch sử bảo quản (gói lưu trữ)",
        "  representations/rep1/data/                 các tệp tài liệu",
        "  representations/rep1/metadata/descriptive/ dữ liệu của từng tài liệu (EAD_doc_*.xml)",
        "  schemas/                                   lược đồ XML dùng để kiểm tra",
        "",
        f"Tạo bởi luutru-aip {__version__}. Kiểm tra gói: luutru-aip validate <gói>.",
        "",
        f"{kind_en} Information Package of file {record.file_code}, built by luutru-aip {__version__}"
        " following TT05/2025/TT-BNV and E-ARK CSIP. Check it with: luutru-aip validate <package>.",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _agents(profile: ArchiveProfile, identifier_tool: str | None) -> tuple[Agent, Agent, tuple[Agent, ...]]:
    archive = Agent(
        identifier=profile.agency_code,
        name=profile.archive_name,
        kind="organization",
        role="CREATOR",
    )
    software = Agent(
        identifier=f"luutru-aip/{__version__}",
        name="luutru-aip",
        kind="software",
        role="CREATOR",
        version=__version__,
    )
    extra: tuple[Agent, ...] = ()
    if identifier_tool:
        extra = (Agent(identifier=identifier_tool, name=identifier_tool, kind="software", role="OTHER"),)
    return archive, software, extra


def _page_findings(record: FileRecord, staged_by_doc: Mapping[int, list[Staged]]) -> list[Finding]:
    out: list[Finding] = []
    for document in record.documents:
        staged = staged_by_doc.get(document.ordinal, [])
        pdfs = [s for s in staged if s.pdf_pages is not None]
        if document.number_of_page is not None and pdfs and len(pdfs) == len(staged):
            found = sum(s.pdf_pages or 0 for s in pdfs)
            if found != document.number_of_page:
                out.append(
                    finding(
                        "BLD002",
                        path=pdfs[0].item.original_name,
                        found=found,
                        expected=document.number_of_page,
                        field=str(document.source or "numberOfPage"),
                        doc_code=record.doc_code(document),
                    )
                )
        confidence = document.confidence_level or record.confidence_level
        if confidence == "02":
            for item in pdfs:
                if not item.pdfa_claim:
                    out.append(
                        finding("BLD005", path=item.item.original_name, doc_code=record.doc_code(document))
                    )
    return out


def _pages_of(staged: Staged) -> int:
    if staged.pdf_pages is not None:
        return staged.pdf_pages
    return 1 if (staged.mime or "").startswith("image/") else 0


def _fill_page_counts(
    record: FileRecord, staged_by_doc: Mapping[int, list[Staged]]
) -> tuple[FileRecord, list[Finding]]:
    """TT05 makes numberOfPage mandatory; when the metadata has none, count it from the files (BLD010)."""
    findings: list[Finding] = []
    documents = []
    for document in record.documents:
        staged = staged_by_doc.get(document.ordinal, [])
        if document.number_of_page is None and staged:
            found = sum(_pages_of(s) for s in staged)
            document = attrs.evolve(document, number_of_page=found)
            findings.append(
                finding(
                    "BLD010",
                    doc_code=record.doc_code(document),
                    field=str(document.source or ""),
                    found=found,
                )
            )
        documents.append(document)
    return attrs.evolve(record, documents=tuple(documents)), findings


def _write_package(
    root: Path,
    record: FileRecord,
    *,
    source_root: Path,
    source_files: Mapping[str, str],
    profile: ArchiveProfile,
    options: BuildOptions,
    moment: datetime,
    objid: str,
    store: SchemaStore,
    progress: Callable[[int], None] | None,
) -> tuple[_Tree, list[Finding], bool]:
    """Fill ``root`` with the package; returns the tree, findings and whether it can be published."""
    tree = _Tree(root=root, moment=moment, objid=objid)
    package_type = options.package_type
    aip = package_type is PackageType.AIP
    plan, findings = _payload_plan(record, source_root, source_files, tree, options.loose_files)
    if any(f.severity is Severity.ERROR for f in findings):
        return tree, findings, False
    for _item, _ordinal, dest_rel in plan:
        tree.root.joinpath(*dest_rel.split("/")).parent.mkdir(parents=True, exist_ok=True)
    by_source = {item.source: (ordinal, dest_rel) for item, ordinal, dest_rel in plan}
    staged_by_doc: dict[int, list[Staged]] = {}
    failed = False
    tool: str | None = None
    for staged in stage_many(
        [item for item, _, _ in plan],
        workers=options.workers,
        link=options.link,
        sha512=options.format == "bag",
        identify=options.identify,
    ):
        ordinal, dest_rel = by_source[staged.item.source]
        if not staged.ok:
            findings.append(
                finding(
                    "BLD001",
                    path=staged.item.original_name,
                    reason=(staged.error or "").split(": ", 1)[-1],
                    file_code=record.file_code,
                )
            )
            failed = True
            continue
        findings.extend(staged.identification_findings)
        findings.extend(staged.pdf_findings)
        staged_by_doc.setdefault(ordinal, []).append(staged)
        entry = PackageFile(
            path=dest_rel,
            size=staged.size,
            sha256=staged.sha256,
            sha512=staged.sha512,
            file_id=tree.file_id(dest_rel),
            mime=_mime(dest_rel, staged.mime),
            created=_created(staged.mtime_ns),
            use="Data",
            original_name=staged.item.original_name,
            puid=staged.puid,
            format_name=staged.format_name,
            format_version=staged.format_version,
            document=ordinal if ordinal >= 0 else None,
            pdf_pages=staged.pdf_pages,
            pdfa_claim=staged.pdfa_claim,
            encrypted=staged.encrypted,
        )
        tree.files[dest_rel] = entry
        tree.digests[dest_rel] = Digests(staged.size, staged.sha256, staged.sha512 or "")
        if progress is not None:
            progress(staged.size)
    if failed:
        return tree, findings, False
    findings.extend(_page_findings(record, staged_by_doc))
    if options.identify:
        from luutru_aip.identify import default_identifier

        ident = default_identifier()
        tool = f"{ident.name} (PRONOM {ident.signature_version})"
    payload = [tree.files[p] for p in sorted(tree.files)]

    archive, software, extra_agents = _agents(profile, tool)
    info = PackageInfo(
        objid=objid,
        type=package_type,
        label=record.title,
        created=moment,
        archive=archive,
        software=software,
        predecessor=options.source_package,
    )

    record, counted = _fill_page_counts(record, staged_by_doc)
    findings.extend(counted)

    # Descriptive metadata: TT05 simpledc for the hồ sơ and each document, checked against our XSDs.
    rep_descriptive: list[PackageFile] = []
    for document in record.documents:
        data = tt05.simpledc_document(record, document, profile, package_type)
        path = f"representations/{REP}/metadata/descriptive/{tt05.doc_file_name(record, document)}"
        findings.extend(tt05.check_simpledc(data, "document", package_type, path=path))
        rep_descriptive.append(
            tree.write(path, data, use="Descriptive", mime="text/xml", document=document.ordinal)
        )
    ead = tt05.simpledc_file(record, profile, package_type)
    findings.extend(tt05.check_simpledc(ead, "file", package_type, path="metadata/descriptive/EAD.xml"))
    if any(f.code.startswith(("SCH", "XML")) and f.severity is Severity.ERROR for f in findings):
        return tree, findings, False  # a description that fails our TT05 schema is never packaged
    descriptive = [tree.write("metadata/descriptive/EAD.xml", ead, use="Descriptive", mime="text/xml")]
    if options.ead3:
        data = ead3_writer.ead3_finding_aid(
            record, profile, package_type, payload, created=moment, software=f"luutru-aip {__version__}"
        )
        descriptive.append(
            tree.write("metadata/descriptive/EAD3.xml", data, use="Descriptive", mime="text/xml")
        )

    # Preservation metadata (AIP only, reference §e).
    rep_preservation: list[PackageFile] = []
    preservation: list[PackageFile] = []
    if aip:
        agent_ids = (software.identifier, "executing program")
        file_links = tuple((f.file_id, "outcome") for f in payload)
        pdf_count = sum(1 for f in payload if f.pdf_pages is not None or f.mime == "application/pdf")
        rep_events = [
            premis_writer.make_event(
                "message digest calculation",
                scope=objid,
                moment=moment,
                outcome="success",
                detail=f"SHA-256 của {len(payload)} tệp, tính trong cùng một lần đọc với việc sao chép",
                agents=(agent_ids,),
                objects=file_links,
            )
        ]
        if tool:
            rep_events.append(
                premis_writer.make_event(
                    "format identification",
                    scope=objid,
                    moment=moment,
                    outcome="success",
                    detail=f"Nhận dạng định dạng theo PRONOM bằng {tool}",
                    agents=((tool, "executing program"),),
                    objects=file_links,
                )
            )
        if pdf_count:
            pdf_problems = [
                f for f in findings if f.code.startswith("PDF") and f.severity >= Severity.WARNING
            ]
            rep_events.append(
                premis_writer.make_event(
                    "validation",
                    scope=objid,
                    moment=moment,
                    outcome="warning" if pdf_problems else "success",
                    detail=f"Kiểm tra {pdf_count} tệp PDF: mở được, số trang, mã hóa, khai báo PDF/A",
                    outcome_detail="; ".join(sorted({f.code for f in pdf_problems})) or None,
                    agents=(agent_ids,),
                    objects=tuple((f.file_id, "source") for f in payload if f.mime == "application/pdf"),
                )
            )
        data = premis_writer.premis_document(
            objects=payload,
            events=rep_events,
            agents=(archive, software, *extra_agents),
            representation=(f"{objid}/{REP}", REP),
        )
        rep_preservation.append(
            tree.write(
                f"representations/{REP}/metadata/preservation/PREMIS_{REP}.xml",
                data,
                use="Preservation",
                mime="text/xml",
            )
        )
        creation_detail = (
            f"Tạo gói lưu trữ (AIP) từ gói nộp lưu {options.source_package}"
            if options.source_package
            else "Tạo gói lưu trữ (AIP) từ tệp số hóa và dữ liệu của hồ sơ"
        )
        if record.risk_recovery:
            creation_detail += "; hồ sơ thuộc diện lập tài liệu lưu trữ dự phòng"
        package_events = [
            premis_writer.make_event(
                "information package creation",
                scope=objid,
                moment=moment,
                outcome="success",
                detail=creation_detail,
                agents=(agent_ids, (archive.identifier, "implementer")),
                objects=((options.source_package, "source"),) if options.source_package else (),
            ),
            premis_writer.make_event(
                "ingestion",
                scope=objid,
                moment=moment,
                outcome="success",
                detail=f"Tiếp nhận vào {profile.archive_name}",
                agents=((archive.identifier, "implementer"), agent_ids),
            ),
        ]
        package_agents: list[Agent] = [archive, software]
        if options.signer is not None:
            # The signing event goes in *before* METS and manifests are final: anything written into
            # the package after signing would break the signature (docs/signing.md, ordering rule).
            signed = "tagmanifest-sha512.txt" if options.format == "bag" else "METS.xml"
            event = signature_generation_event(
                options.signer,
                when=moment,
                signed_file=signed,
                signature_path=SIGNATURE_PATH,
                timestamped=options.tsa_url is not None,
            )
            package_events.append(event.to_model(scope=objid, signer_agent=archive.identifier))
            known = {a.identifier for a in package_agents}
            package_agents.extend(a for a in event.model_agents() if a.identifier not in known)
        # The SIP an AIP was made from is described, so the creation event's "source" link resolves.
        sources = (
            [premis_writer.PremisEntity(identifier=options.source_package, kind="intellectualEntity")]
            if options.source_package
            else []
        )
        data = premis_writer.premis_document(
            objects=sources,
            events=package_events,
            agents=package_agents,
            representation=(f"{objid}/{REP}", REP),
            intellectual_entity=objid,
        )
        preservation.append(
            tree.write("metadata/preservation/PREMIS.xml", data, use="Preservation", mime="text/xml")
        )

    schemas = [tree.write(f"schemas/{name}", data, use="Schemas") for name, data in _schema_files(store)]
    documentation = [
        tree.write("documentation/README.txt", _documentation(record, profile, info), use="Documentation")
    ]
    submission = (
        [] if options.submission is None else _copy_submission(options.submission, tree, options.workers)
    )

    rep_mets = mets_writer.representation_mets(
        info, REP, data=payload, descriptive=rep_descriptive, preservation=rep_preservation
    )
    rep_entry = tree.write(f"representations/{REP}/METS.xml", rep_mets, use=f"Representations/{REP}")
    root_mets = mets_writer.root_mets(
        info,
        descriptive=descriptive,
        preservation=preservation,
        documentation=documentation,
        schemas=schemas,
        representations=[(REP, rep_entry)],
        submission=submission,
    )
    tree.write("METS.xml", root_mets, use="METS")
    return tree, findings, True


def _copy_submission(source: Path, tree: _Tree, workers: int) -> list[PackageFile]:
    """Copy the original SIP unchanged into ``submission/<name>/`` (E-ARK AIP), one read per file."""
    base = f"submission/{package_name(source.name)}"
    items: list[StageItem] = []
    for top, dirs, files in os.walk(source):
        dirs.sort()
        rel = Path(top).relative_to(source)
        for name in sorted(files):
            entry_path = f"{base}/{(rel / name).as_posix() if rel != Path() else name}"
            target = tree.root.joinpath(*entry_path.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            items.append(
                StageItem(
                    source=os.fspath(Path(top) / name), dest=os.fspath(target), original_name=entry_path
                )
            )
    entries: list[PackageFile] = []
    for staged in stage_many(items, workers=workers, sha512=True, identify=False):
        if not staged.ok:
            raise InputError(f"cannot copy the submission: {staged.error}")
        path = staged.item.original_name
        entry = PackageFile(
            path=path,
            size=staged.size,
            sha256=staged.sha256,
            sha512=staged.sha512,
            file_id=tree.file_id(path),
            mime=_mime(path, None),
            created=_created(staged.mtime_ns),
            use="Submission",
        )
        tree.files[path] = entry
        tree.digests[path] = Digests(staged.size, staged.sha256, staged.sha512 or "")
        entries.append(entry)
    return sorted(entries, key=lambda e: e.path)


def _sign(root: Path, options: BuildOptions, moment: datetime) -> None:
    """Sign the finished tree in its temporary place, before it is published (nothing is written after)."""
    if options.signer is None:
        return
    sign_package(root, signer=options.signer, tsa_url=options.tsa_url, clock=lambda: moment, check=False)


def _bag_info(
    record: FileRecord, profile: ArchiveProfile, objid: str, package_type: PackageType, moment: datetime
) -> list[tuple[str, str]]:
    kind = package_type.value
    kind_vi = "Gói lưu trữ" if package_type is PackageType.AIP else "Gói nộp lưu"
    description = f"{kind_vi} ({kind}) hồ sơ {record.file_code}: {record.title}"
    pairs = [
        ("Source-Organization", profile.archive_name),
        ("Organization-Identifier", profile.agency_code),
        ("External-Identifier", objid),
        ("External-Description", description),
        ("Bag-Group-Identifier", profile.fonds_code),
        ("Internal-Sender-Identifier", record.file_code),
        ("Bagging-Date", moment.astimezone(VN_TZ).date().isoformat()),
        ("Bag-Software-Agent", f"luutru-aip {__version__}"),
        ("Package-Type", kind),
    ]
    if record.risk_recovery:
        category = (
            "tài liệu lưu trữ có giá trị đặc biệt"
            if profile.special_value
            else "tài liệu lưu trữ vĩnh viễn"
            if record.maintenance == "01"
            else "tài liệu lưu trữ"
        )
        pairs.append(("Backup-Category", f"lưu trữ dự phòng - {category}"))
    return pairs


def _fresh_moment(clock: datetime | None) -> datetime:
    moment = clock if clock is not None else datetime.now(tz=VN_TZ)
    if moment.tzinfo is None:
        raise UsageError("the build clock must be timezone-aware")
    return moment.astimezone(VN_TZ).replace(microsecond=0)


def build_package(
    record: FileRecord,
    *,
    source_root: Path | str,
    out_dir: Path | str,
    profile: ArchiveProfile,
    source_files: Mapping[str, str] | None = None,
    options: BuildOptions | None = None,
    clock: datetime | None = None,
    store: SchemaStore | None = None,
    progress: Callable[[int], None] | None = None,
) -> BuildResult:
    """Build one package for ``record`` under ``out_dir``; never modifies the source.

    Problems with the input are findings in the result (``status="failed"`` when the package could not
    be made); exceptions are raised only when work cannot start (no schema store, bad options).
    """
    options = options or BuildOptions()
    source_root = Path(source_root)
    out_dir = Path(out_dir)
    store = store or SchemaStore.default()
    missing = store.missing_or_corrupt(PACKAGE_SCHEMAS)
    if missing:
        raise UsageError(
            "the schema store lacks schemas a package must carry "
            f"({', '.join(sorted(s.name for s in missing))}); "
            "run: luutru-aip schemas install --from DIR"
        )
    moment = _fresh_moment(clock)
    objid = objid_for(record, profile, options.package_type, moment)
    name = package_name(objid)
    final = out_dir / (name + ".zip" if options.format == "zip" else name)
    common = _Base(
        file_code=record.file_code, objid=objid, package_type=options.package_type, format=options.format
    )
    if os.path.lexists(final) and not options.overwrite:
        return common.result("exists", path=final, findings=(finding("BLD008", path=os.fspath(final)),))

    def write(root: Path) -> tuple[_Tree, list[Finding], bool]:
        return _write_package(
            root,
            record,
            source_root=source_root,
            source_files=source_files or {},
            profile=profile,
            options=options,
            moment=moment,
            objid=objid,
            store=store,
            progress=progress,
        )

    try:
        if options.format == "zip":
            return _build_zip(write, final, options, moment, common)
        bag_info = _bag_info(record, profile, objid, options.package_type, moment)
        return _build_tree(
            write, final, options, moment, common, bag_info if options.format == "bag" else None
        )
    except OutputExistsError:
        return common.result("exists", path=final, findings=(finding("BLD008", path=os.fspath(final)),))
    except (OSError, LuutruError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return common.result(
            "failed", findings=(finding("BLD007", file_code=record.file_code, reason=reason),)
        )


_Writer = Callable[[Path], tuple["_Tree", list[Finding], bool]]


class _Abort(Exception):
    """Raised inside an atomic block so the half-made package is removed."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__("package not built")
        self.findings = findings


def _totals(tree: _Tree) -> tuple[int, int]:
    return len(tree.digests), sum(d.size for d in tree.digests.values())


def _build_tree(
    write: _Writer,
    final: Path,
    options: BuildOptions,
    moment: datetime,
    common: _Base,
    bag_info: list[tuple[str, str]] | None,
) -> BuildResult:
    """Folder or bag: fill a temporary sibling, add the bag tags, sign, then rename into place."""
    try:
        with atomic_dir(final, overwrite=options.overwrite, sync=options.sync) as tmp:
            root = tmp / "data" if bag_info is not None else tmp
            root.mkdir(exist_ok=True)
            tree, findings, ok = write(root)
            if not ok:
                raise _Abort(findings)
            if bag_info is not None:
                write_bag_tags(tmp, tree.digests, bag_info)
            _sign(tmp, options, moment)
    except _Abort as abort:
        return common.result("failed", findings=tuple(abort.findings))
    files, size = _totals(tree)
    return common.result("built", path=final, files=files, size=size, findings=tuple(findings))


def _build_zip(
    write: _Writer, final: Path, options: BuildOptions, moment: datetime, common: _Base
) -> BuildResult:
    """ZIP: stage in a hidden sibling that cleanup_stale_temps recognises, then publish only the ZIP."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}{TEMP_MARKER}", dir=final.parent))
    try:
        tree, findings, ok = write(tmp)
        if not ok:
            return common.result("failed", findings=tuple(findings))
        _sign(tmp, options, moment)
        with atomic_file(final, "wb", overwrite=options.overwrite, sync=options.sync) as out:
            write_zip(tmp, out, moment=moment, prefix=package_name(common.objid) + "/")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    files, size = _totals(tree)
    return common.result("built", path=final, files=files, size=size, findings=tuple(findings))
