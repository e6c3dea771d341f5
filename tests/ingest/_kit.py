"""Fixtures for the ingest tests: a clean catalogue that imports without a single finding, written as
XLSX (openpyxl), CSV or JSON into tmp_path, with a matching source folder of files.

Tests change one cell (by header and row) and assert the one finding it must cause."""

from __future__ import annotations

import copy
import csv
import json
import os
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import openpyxl

from luutru_aip.findings import Finding, Severity
from luutru_aip.ingest import ColumnMapping, IngestResult, read_metadata
from luutru_aip.model import ArchiveProfile, PackageType

PROFILE = ArchiveProfile(
    archive_name="Trung tâm Lưu trữ lịch sử tỉnh Nghệ An", agency_code="H40.21.05", fonds_code="P623"
)

HEADERS: list[str] = [
    "Mã hồ sơ",
    "Tiêu đề hồ sơ",
    "Thời hạn lưu trữ",
    "Mức độ tiếp cận",
    "Ngôn ngữ",
    "Thời gian bắt đầu",
    "Thời gian kết thúc",
    "Tổng số tài liệu",
    "Số lượng trang",
    "Chế độ dự phòng",
    "STT",
    "Tên loại tài liệu",
    "Số",
    "Ký hiệu",
    "Ngày ban hành",
    "Cơ quan ban hành",
    "Trích yếu nội dung",
    "Số trang",
    "Đường dẫn",
]

_FILE1 = {
    "Mã hồ sơ": "H40.21.05.2001.01",
    "Tiêu đề hồ sơ": "Hồ sơ về công tác thi đua, khen thưởng năm 2001",
    "Thời hạn lưu trữ": "Vĩnh viễn",
    "Mức độ tiếp cận": "Công khai",
    "Ngôn ngữ": "Tiếng Việt",
    "Thời gian bắt đầu": "10/01/2001",
    "Thời gian kết thúc": "28/12/2001",
    "Tổng số tài liệu": 2,
    "Số lượng trang": 5,
    "Chế độ dự phòng": "Không",
}
_FILE2 = {
    **_FILE1,
    "Mã hồ sơ": "H40.21.05.2001.02",
    "Tiêu đề hồ sơ": "Hồ sơ nâng cấp đê biển xã Quỳnh Thuận",
    "Tổng số tài liệu": 1,
    "Số lượng trang": 4,
}
BASE_ROWS: list[dict[str, object]] = [
    {
        **_FILE1,
        "STT": 1,
        "Tên loại tài liệu": "Quyết định",
        "Số": "01",
        "Ký hiệu": "QĐ-UBND",
        "Ngày ban hành": "10/01/2001",
        "Cơ quan ban hành": "Ủy ban nhân dân huyện Quỳnh Lưu",
        "Trích yếu nội dung": "Về việc khen thưởng tập thể, cá nhân",
        "Số trang": 3,
        "Đường dẫn": "hop01/hoso01/001.pdf",
    },
    {
        **_FILE1,
        "STT": 2,
        "Tên loại tài liệu": "Báo cáo",
        "Số": "15",
        "Ký hiệu": "BC-UBND",
        "Ngày ban hành": "28/12/2001",
        "Cơ quan ban hành": "Ủy ban nhân dân huyện Quỳnh Lưu",
        "Trích yếu nội dung": "Tổng kết công tác thi đua năm 2001",
        "Số trang": 2,
        "Đường dẫn": "hop01/hoso01/002.pdf",
    },
    {
        **_FILE2,
        "STT": 1,
        "Tên loại tài liệu": "Tờ trình",
        "Số": "7",
        "Ký hiệu": "TTr-UBND",
        "Ngày ban hành": "05/04/2001",
        "Cơ quan ban hành": "Ủy ban nhân dân huyện Quỳnh Lưu",
        "Trích yếu nội dung": "Xin kinh phí nâng cấp đê biển",
        "Số trang": 4,
        "Đường dẫn": "hop01/hoso02/001.pdf",
    },
]
SOURCE_FILES = ("hop01/hoso01/001.pdf", "hop01/hoso01/002.pdf", "hop01/hoso02/001.pdf")


def base_rows() -> list[dict[str, object]]:
    return copy.deepcopy(BASE_ROWS)


def codes(result: IngestResult, *, at_least: Severity = Severity.INFO) -> set[str]:
    return {f.code for f in result.findings if f.severity >= at_least}


def only(result: IngestResult, code: str) -> Finding:
    found = [f for f in result.findings if f.code == code]
    assert len(found) == 1, (code, [(f.code, f.location.field) for f in result.findings])
    return found[0]


class Catalogue:
    """A source folder ``Phong`` with files, and a catalogue written next to it."""

    def __init__(self, tmp_path: Path, files: Iterable[str] = SOURCE_FILES) -> None:
        self.tmp = tmp_path
        self.root = tmp_path / "Phong"
        self.root.mkdir(parents=True, exist_ok=True)
        for rel in files:
            self.add_file(rel)
        self.headers = list(HEADERS)
        self.title_rows: list[list[object]] = []

    def add_file(self, rel: str, data: bytes = b"%PDF-1.4\n%%EOF\n", *, nfd: bool = False) -> Path:
        name = unicodedata.normalize("NFD", rel) if nfd else rel
        target = self.root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if nfd:
            with open(os.fsencode(target), "wb") as handle:
                handle.write(data)
        else:
            target.write_bytes(data)
        return target

    @property
    def header_row(self) -> int:
        return len(self.title_rows) + 1

    def cell(self, header: str, index: int, *, sheet: str = "Sheet1") -> str:
        """Address of the cell under *header* in data row *index* (0-based)."""
        column = openpyxl.utils.get_column_letter(self.headers.index(header) + 1)
        return f"{sheet}!{column}{self.header_row + 1 + index}"

    def row(self, index: int, *, sheet: str = "Sheet1") -> str:
        return f"{sheet}!{self.header_row + 1 + index}"

    def grid(self, rows: Sequence[dict[str, object] | None]) -> list[list[object]]:
        out: list[list[object]] = [list(r) for r in self.title_rows]
        out.append(list(self.headers))
        for row in rows:
            out.append([] if row is None else [row.get(h) for h in self.headers])
        return out

    def xlsx(
        self,
        rows: Sequence[dict[str, object] | None],
        *,
        name: str = "muc-luc.xlsx",
        sheet: str = "Sheet1",
        merges: Sequence[str] = (),
        extra_sheets: Sequence[tuple[str, list[list[object]]]] = (),
    ) -> Path:
        wb = openpyxl.Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = sheet
        for values in self.grid(rows):
            ws.append(values)
        for merge in merges:
            ws.merge_cells(merge)
        for title, grid in extra_sheets:
            other = wb.create_sheet(title)
            for values in grid:
                other.append(values)
        path = self.tmp / name
        wb.save(path)
        return path

    def csv(
        self,
        rows: Sequence[dict[str, object] | None],
        *,
        name: str = "muc-luc.csv",
        delimiter: str = ",",
        encoding: str = "utf-8-sig",
    ) -> Path:
        path = self.tmp / name
        with path.open("w", encoding=encoding, newline="") as handle:
            writer = csv.writer(handle, delimiter=delimiter)
            for values in self.grid(rows):
                writer.writerow(["" if v is None else v for v in values])
        return path

    def run(
        self,
        path: Path,
        *,
        profile: ArchiveProfile = PROFILE,
        mapping: ColumnMapping | None = None,
        package_type: PackageType = PackageType.AIP,
        strict: bool = False,
        **kwargs: Any,
    ) -> IngestResult:
        return read_metadata(
            path,
            source_root=self.root,
            profile=profile,
            mapping=mapping,
            package_type=package_type,
            strict=strict,
            **kwargs,
        )


def base_json() -> dict[str, Any]:
    """The clean catalogue as luutru-aip-metadata/1.0 JSON."""
    return {
        "format": "luutru-aip-metadata/1.0",
        "files": [
            {
                "fileCode": "H40.21.05.2001.01",
                "title": "Hồ sơ về công tác thi đua, khen thưởng năm 2001",
                "maintenance": "01",
                "mode": "Công khai",
                "language": ["Tiếng Việt"],
                "startDate": "10/01/2001",
                "endDate": "28/12/2001",
                "totalDoc": 2,
                "numberOfPage": 5,
                "riskRecovery": 0,
                "documents": [
                    {
                        "docOrdinal": 1,
                        "typeName": "QĐ",
                        "codeNumber": "01",
                        "codeNotation": "QĐ-UBND",
                        "issuedDate": "10/01/2001",
                        "organName": "Ủy ban nhân dân huyện Quỳnh Lưu",
                        "subject": "Về việc khen thưởng tập thể, cá nhân",
                        "numberOfPage": 3,
                        "files": ["hop01/hoso01/001.pdf"],
                    },
                    {
                        "docOrdinal": "002",
                        "typeName": "14",
                        "issuedDate": "28/12/2001",
                        "organName": "Ủy ban nhân dân huyện Quỳnh Lưu",
                        "subject": "Tổng kết công tác thi đua năm 2001",
                        "numberOfPage": "2",
                        "files": ["hop01\\hoso01\\002.pdf"],
                    },
                ],
            },
            {
                "fileCode": "H40.21.05.2001.02",
                "title": "Hồ sơ nâng cấp đê biển xã Quỳnh Thuận",
                "maintenance": "vinh vien",
                "mode": 1,
                "language": "01",
                "startDate": "10/01/2001",
                "endDate": "28/12/2001",
                "totalDoc": "1",
                "numberOfPage": 4,
                "riskRecovery": False,
                "documents": [
                    {
                        "docOrdinal": 1,
                        "typeName": "Tờ trình",
                        "codeNumber": 7,
                        "codeNotation": "TTr-UBND",
                        "issuedDate": "05/04/2001",
                        "organName": "Ủy ban nhân dân huyện Quỳnh Lưu",
                        "subject": "Xin kinh phí nâng cấp đê biển",
                        "numberOfPage": 4,
                        "files": ["hop01/hoso02/001.pdf"],
                    }
                ],
            },
        ],
    }


def write_json(tmp_path: Path, data: Any, name: str = "metadata.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path
