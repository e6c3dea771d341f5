"""Small realistic hồ sơ for build tests: real PDFs (pikepdf), a PNG, Vietnamese names."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pikepdf

from luutru_aip.model import ArchiveProfile, DocumentRecord, FileRecord, PartialDate

PROFILE = ArchiveProfile(
    "Trung tâm Lưu trữ lịch sử tỉnh Nghệ An", "H40.21.05", "P623", fonds_name="UBND huyện Quỳnh Lưu"
)


def write_pdf(path: Path, pages: int, *, pdfa: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
    if pdfa:
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["pdfaid:part"] = "2"
            meta["pdfaid:conformance"] = "B"
    pdf.save(path, static_id=True)


def write_png(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x80\x80\x80" * 4 for _ in range(4))
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def make_source(root: Path, names: list[str] | None = None) -> tuple[Path, FileRecord]:
    """A source folder and the matching record; ``names`` overrides the payload file names."""
    source = root / "Phong"
    names = names or [
        "hop01/hoso01/001.pdf",
        "hop01/hoso01/Quyết định khen thưởng.pdf",
        "hop01/hoso01/ảnh.png",
    ]
    documents = []
    for ordinal, name in enumerate(names, 1):
        target = source.joinpath(*name.split("/"))
        if name.endswith(".png"):
            write_png(target)
        else:
            write_pdf(target, ordinal)
        documents.append(
            DocumentRecord(
                ordinal=ordinal,
                type_name="02",
                issued_date=PartialDate(2001, 3, ordinal),
                organ_name="UBND huyện Quỳnh Lưu",
                subject=f"Về việc khen thưởng tập thể số {ordinal} & <cá nhân>",
                languages=("01",),
                mode="01",
                maintenance="01",
                number_of_page=1 if name.endswith(".png") else ordinal,
                code_number=f"{ordinal:02d}",
                code_notation="QĐ-UBND",
                files=(name,),
            )
        )
    record = FileRecord(
        file_code="H40.21.05.2001.01",
        title="Hồ sơ khen thưởng năm 2001",
        maintenance="01",
        mode="01",
        languages=("01",),
        start_date=PartialDate(2001, 1, 2),
        end_date=PartialDate(2001, 12, 30),
        total_doc=len(documents),
        number_of_page=sum(d.number_of_page or 0 for d in documents),
        documents=tuple(documents),
        risk_recovery=True,
        risk_recovery_status="02",
    )
    return source, record
