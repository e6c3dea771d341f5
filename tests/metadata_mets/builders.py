"""Realistic inputs for the METS / PREMIS writers: a TT05 hồ sơ with Vietnamese file names.

Everything is generated (no binary fixtures). Digests are real SHA-256 values of made-up contents,
so they are well-formed; sizes, MIME types and PRONOM facts look like what the builder stages.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs

from luutru_aip.metadata.mets import representation_mets, root_mets
from luutru_aip.metadata.premis import make_event, premis_document
from luutru_aip.model import VN_TZ, Agent, Event, PackageFile, PackageInfo, PackageType, stable_uuid

CREATED = datetime(2026, 11, 21, 9, 30, 15, tzinfo=VN_TZ)
FILE_CODE = "H40.21.05.2001.01"
ARCHIVE = Agent(
    identifier="H40.21.05",
    name="Trung tâm Lưu trữ lịch sử tỉnh Khánh Hòa",
    kind="organization",
    role="ARCHIVIST",
    note="Cơ quan quản lý tài liệu lưu trữ dự phòng",
)
SOFTWARE = Agent(identifier="luutru-aip", name="luutru-aip", kind="software", role="CREATOR", version="0.4.0")
CREATOR_AGENCY = Agent(identifier="H40.21", name="Ủy ban nhân dân tỉnh Khánh Hòa", kind="organization")

#: Document titles with diacritics, one per scanned PDF (NFC and NFD forms are both used).
TITLES = (
    "Quyết định thành lập Hội đồng xác định giá trị tài liệu",
    "Tờ trình về việc lập tài liệu lưu trữ dự phòng",
    "Báo cáo tổng kết công tác văn thư, lưu trữ năm 2001",
    "Công văn số 15/UBND-VP (bản gốc)",
    "Biên bản bàn giao hồ sơ + phụ lục; đợt 1",
)


def objid(ptype: PackageType) -> str:
    value = stable_uuid("luutru-test", ptype.value)
    return f"uuid-{str(value).upper()}" if ptype is PackageType.SIP else f"urn:uuid:{value}"


def info_for(ptype: PackageType = PackageType.AIP, **changes: object) -> PackageInfo:
    info = PackageInfo(
        objid=objid(ptype),
        type=ptype,
        label="Hồ sơ số 01 – Tập quyết định, tờ trình năm 2001",
        created=CREATED,
        archive=ARCHIVE,
        software=SOFTWARE,
        submission_agreement="Thỏa thuận giao nộp số 12/2026/TTGN",
    )
    return attrs.evolve(info, **changes)  # type: ignore[arg-type]


def package_file(
    path: str,
    mime: str,
    *,
    scope: str = "pkg",
    content: bytes | None = None,
    created: datetime = CREATED,
    **extra: object,
) -> PackageFile:
    data = content if content is not None else path.encode("utf-8") * 7
    return PackageFile(
        path=path,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        file_id=f"ID-{stable_uuid(scope, path)}",
        mime=mime,
        created=created,
        use="",
        **extra,  # type: ignore[arg-type]
    )


def data_files(count: int, *, rep: str = "rep1") -> list[PackageFile]:
    """``count`` scanned PDFs; odd ordinals use NFD names, one file per document."""
    out = []
    for i in range(count):
        title = TITLES[i % len(TITLES)]
        name = f"{FILE_CODE}.{i + 1:07d} {title}.pdf"
        if i % 2:
            name = unicodedata.normalize("NFD", name)
        folder = "Hộp 01" if i < 500 else "Hộp 02"
        path = f"representations/{rep}/data/{folder}/{name}"
        out.append(
            package_file(
                path,
                "application/pdf",
                created=CREATED - timedelta(days=30, seconds=i),
                original_name=f"\\Phong\\hop01\\hoso01\\{name}",
                puid="fmt/479",
                format_name="Acrobat PDF/A - Portable Document Format",
                format_version="3a" if i % 3 == 0 else "2b",
                document=i + 1,
                pdf_pages=1 + i % 12,
                pdfa_claim="2B",
                encrypted=False,
                sha512=hashlib.sha512(name.encode()).hexdigest(),
            )
        )
    return out


def doc_descriptions(count: int, *, rep: str = "rep1") -> list[PackageFile]:
    return [
        package_file(
            f"representations/{rep}/metadata/descriptive/EAD_doc_{FILE_CODE}.{i + 1:07d}.xml",
            "application/xml",
            document=i + 1,
        )
        for i in range(count)
    ]


@attrs.frozen
class Package:
    """All metadata writer inputs and outputs of one package."""

    info: PackageInfo
    data: tuple[PackageFile, ...]
    docs: tuple[PackageFile, ...]
    rep_premis: PackageFile | None
    root_descriptive: tuple[PackageFile, ...]
    root_preservation: tuple[PackageFile, ...]
    documentation: tuple[PackageFile, ...]
    schemas: tuple[PackageFile, ...]
    rep_mets_file: PackageFile
    rep_mets: bytes
    root: bytes
    premis_rep: bytes | None
    premis_root: bytes | None
    events: tuple[Event, ...]


SCHEMA_FILES = (
    "DILCISExtensionMETS.xsd",
    "DILCISExtensionSIPMETS.xsd",
    "ead3.xsd",
    "mets.xsd",
    "premis-v3-0.xsd",
    "tt05-simpledc.xsd",
    "xlink.xsd",
)


def rep_events(info: PackageInfo, rep_id: str) -> list[Event]:
    agents = [(SOFTWARE.identifier, "executing program"), (ARCHIVE.identifier, "implementer")]
    return [
        make_event(
            "message digest calculation",
            scope=info.objid,
            moment=CREATED - timedelta(minutes=5),
            agents=agents,
            objects=[(rep_id, "source")],
        ),
        make_event(
            "format identification",
            scope=info.objid,
            moment=CREATED - timedelta(minutes=4),
            agents=agents,
            objects=[(rep_id, "source")],
            outcome_detail="fido 1.6.1, PRONOM v118",
        ),
        make_event(
            "validation",
            scope=info.objid,
            moment=CREATED - timedelta(minutes=3),
            outcome="warning",
            agents=agents,
            objects=[(rep_id, "source")],
            outcome_detail="1 tệp PDF khai báo PDF/A nhưng không có siêu dữ liệu XMP.",
        ),
    ]


def root_events(info: PackageInfo) -> list[Event]:
    agents = [(SOFTWARE.identifier, "executing program"), (ARCHIVE.identifier, "implementer")]
    events = [
        make_event(
            "information package creation",
            scope=info.objid,
            moment=CREATED,
            agents=agents,
            objects=[(info.objid, "outcome")] + ([(info.predecessor, "source")] if info.predecessor else []),
        ),
    ]
    if info.type is PackageType.AIP:
        events.append(
            make_event(
                "ingestion",
                scope=info.objid,
                moment=CREATED + timedelta(seconds=1),
                agents=[(ARCHIVE.identifier, "implementer")],
                objects=[(info.objid, "outcome")],
            )
        )
    return events


def build_package(
    count: int = 5, ptype: PackageType = PackageType.AIP, *, info: PackageInfo | None = None
) -> Package:
    """Every metadata file of one package, written in the builder's order (PREMIS, rep METS, METS)."""
    info = info or info_for(ptype)
    rep_id = f"{info.objid}/rep1"
    data = data_files(count)
    docs = doc_descriptions(count)
    aip = info.type is PackageType.AIP
    premis_rep = premis_root = None
    rep_premis_file = None
    events: list[Event] = []
    root_preservation: list[PackageFile] = []
    if aip:
        events = rep_events(info, rep_id)
        premis_rep = premis_document(
            objects=data,
            representation=(rep_id, "rep1"),
            events=events,
            agents=[ARCHIVE, SOFTWARE],
            digest_originator=SOFTWARE.name,
        )
        rep_premis_file = package_file(
            "representations/rep1/metadata/preservation/PREMIS_rep1.xml",
            "application/xml",
            content=premis_rep,
        )
        r_events = root_events(info)
        events += r_events
        premis_root = premis_document(
            intellectual_entity=info.objid,
            representation=(rep_id, "rep1"),
            events=r_events,
            agents=[ARCHIVE, SOFTWARE],
        )
        root_preservation = [
            package_file("metadata/preservation/PREMIS.xml", "application/xml", content=premis_root)
        ]
    rep_mets = representation_mets(
        info,
        "rep1",
        data=data,
        descriptive=docs,
        preservation=[rep_premis_file] if rep_premis_file else [],
    )
    rep_mets_file = package_file("representations/rep1/METS.xml", "application/xml", content=rep_mets)
    root_descriptive = [
        package_file("metadata/descriptive/EAD.xml", "application/xml"),
        package_file("metadata/descriptive/EAD3.xml", "application/xml"),
    ]
    documentation = [
        package_file("documentation/README.txt", "text/plain"),
        package_file("documentation/Hướng dẫn đọc gói.txt", "text/plain"),
    ]
    schemas = [package_file(f"schemas/{name}", "application/xml") for name in SCHEMA_FILES]
    root = root_mets(
        info,
        descriptive=root_descriptive,
        preservation=root_preservation,
        documentation=documentation,
        schemas=schemas,
        representations=[("rep1", rep_mets_file)],
        agents=[CREATOR_AGENCY],
    )
    return Package(
        info=info,
        data=tuple(data),
        docs=tuple(docs),
        rep_premis=rep_premis_file,
        root_descriptive=tuple(root_descriptive),
        root_preservation=tuple(root_preservation),
        documentation=tuple(documentation),
        schemas=tuple(schemas),
        rep_mets_file=rep_mets_file,
        rep_mets=rep_mets,
        root=root,
        premis_rep=premis_rep,
        premis_root=premis_root,
        events=tuple(events),
    )


def all_documents(package: Package) -> Sequence[tuple[str, bytes]]:
    docs = [("METS.xml", package.root), ("representations/rep1/METS.xml", package.rep_mets)]
    if package.premis_root is not None:
        docs.append(("metadata/preservation/PREMIS.xml", package.premis_root))
    if package.premis_rep is not None:
        docs.append(("representations/rep1/metadata/preservation/PREMIS_rep1.xml", package.premis_rep))
    return docs
