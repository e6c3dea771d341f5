"""One fixture per ING rule: start from a clean catalogue (no finding at all), break one thing, and check
that exactly the intended codes appear, at the intended cell. ``test_every_ing_code_has_a_fixture``
keeps this file complete."""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from luutru_aip.findings import Severity, catalogue
from luutru_aip.ingest import ColumnMapping
from luutru_aip.model import ArchiveProfile, PackageType

from ._kit import PROFILE, Catalogue, base_json, base_rows, codes, only, write_json

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture
def cat(tmp_path: Path) -> Catalogue:
    return Catalogue(tmp_path)


def test_clean_catalogue_has_no_finding(cat: Catalogue) -> None:
    result = cat.run(cat.xlsx(base_rows()))
    assert result.findings == ()
    assert [f.file_code for f in result.files] == ["H40.21.05.2001.01", "H40.21.05.2001.02"]
    assert result.ok


# --------------------------------------------------------------------------- reading the input


def test_ing001_not_a_workbook(cat: Catalogue) -> None:
    path = cat.tmp / "muc-luc.xlsx"
    path.write_bytes(b"this is not a spreadsheet")
    result = cat.run(path)
    assert codes(result) == {"ING001"}
    assert result.files == ()
    assert not result.ok
    assert only(result, "ING001").location.path == "muc-luc.xlsx"


def test_ing001_old_xls_workbook_is_named(cat: Catalogue) -> None:
    path = cat.tmp / "muc-luc.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    assert ".xls" in str(only(cat.run(path), "ING001").params["reason"])


def test_ing001_doctype_in_a_part_is_refused(cat: Catalogue) -> None:
    good = cat.xlsx(base_rows())
    out = io.BytesIO()
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/workbook.xml":
                data = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + data.split(b"?>", 1)[-1]
            dst.writestr(info, data)
    good.write_bytes(out.getvalue())
    finding = only(cat.run(good), "ING001")
    assert "DOCTYPE" in str(finding.params["reason"])


@pytest.mark.parametrize(
    ("part", "damage"),
    [
        ("xl/worksheets/sheet1.xml", lambda data: data[: len(data) // 2]),
        ("xl/workbook.xml", lambda data: b"<oops"),
        ("xl/styles.xml", lambda data: b"<styleSheet><bad"),
        ("xl/worksheets/sheet1.xml", lambda data: None),
        ("[Content_Types].xml", lambda data: b"<Types/>"),
        ("xl/_rels/workbook.xml.rels", lambda data: b"<Relationships/>"),
    ],
)
def test_ing001_damaged_parts_are_findings_not_crashes(
    cat: Catalogue, part: str, damage: Callable[[bytes], bytes | None]
) -> None:
    path = cat.xlsx(base_rows())
    out = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data: bytes | None = src.read(info)
            if info.filename == part:
                data = damage(data)  # type: ignore[arg-type]
            if data is not None:
                dst.writestr(info, data)
    path.write_bytes(out.getvalue())
    result = cat.run(path)
    assert codes(result) == {"ING001"}
    assert result.files == ()


def test_ing002_csv_not_utf8(cat: Catalogue) -> None:
    path = cat.csv(base_rows())
    text = unicodedata.normalize("NFD", path.read_text(encoding="utf-8-sig"))
    path.write_bytes(text.encode("cp1258", errors="replace"))  # Windows-1258, as old Excel saves it
    result = cat.run(path)
    assert codes(result) == {"ING002"}
    assert isinstance(only(result, "ING002").params["offset"], int)


def test_ing003_no_header_row(cat: Catalogue) -> None:
    cat.headers = ["Cột A", "Cột B", "Cột C"]
    result = cat.run(cat.xlsx([{"Cột A": 1}]))
    assert codes(result) == {"ING003"}
    assert result.files == ()


def test_ing004_required_column_missing(cat: Catalogue) -> None:
    cat.headers.remove("Tiêu đề hồ sơ")
    result = cat.run(cat.xlsx(base_rows()))
    assert codes(result) == {"ING004"}
    finding = only(result, "ING004")
    assert finding.params["header"] == "Tiêu đề hồ sơ"
    assert result.files == ()
    assert {s.reasons for s in result.skipped} == {("ING004",)}


def test_ing004_file_code_column_missing_stops_everything(cat: Catalogue) -> None:
    cat.headers.remove("Mã hồ sơ")
    result = cat.run(cat.xlsx(base_rows()))
    assert codes(result) == {"ING004"}
    assert result.files == ()
    assert result.unlisted == ()


def test_ing005_old_vocabulary_header(cat: Catalogue) -> None:
    cat.headers[cat.headers.index("Thời hạn lưu trữ")] = "Thời hạn bảo quản"
    rows = base_rows()
    for row in rows:
        row["Thời hạn bảo quản"] = row.pop("Thời hạn lưu trữ")
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING005"}
    finding = only(result, "ING005")
    assert finding.location.field == "Sheet1!C1"
    assert finding.params["label"] == "Thời hạn lưu trữ"
    assert len(result.files) == 2


def test_ing006_unknown_columns_listed_once(cat: Catalogue) -> None:
    cat.headers += ["Người lập", "Cột phụ"]
    rows = base_rows()
    rows[0]["Người lập"] = "Nguyễn Thị Hoa"
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING006"}
    assert only(result, "ING006").params["columns"] == 'T "Người lập", U "Cột phụ"'


def test_ing007_two_columns_for_one_field(cat: Catalogue) -> None:
    cat.headers += ["Ghi chú", "Ghi chú tài liệu"]
    result = cat.run(cat.xlsx(base_rows()))
    assert codes(result) == {"ING007"}
    finding = only(result, "ING007")
    assert finding.location.field == "Sheet1!U1"
    assert finding.params["first"] == "Sheet1!T1"


def test_ing008_totals_row(cat: Catalogue) -> None:
    rows: list[dict[str, object] | None] = [*base_rows(), None, {"Mã hồ sơ": "Tổng cộng", "Số trang": 9}]
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING008"}
    assert only(result, "ING008").location.field == "Sheet1!6"


def test_ing015_footer_below_the_totals_row(cat: Catalogue) -> None:
    footer: list[dict[str, object] | None] = [
        {"Mã hồ sơ": "Tổng cộng", "Số trang": 9},
        None,
        {"Trích yếu nội dung": "Quỳnh Lưu, ngày 15 tháng 3 năm 2024"},
        {"Trích yếu nội dung": "NGƯỜI LẬP BIỂU", "Cơ quan ban hành": "THỦ TRƯỞNG ĐƠN VỊ"},
    ]
    result = cat.run(cat.xlsx([*base_rows(), *footer]))
    assert codes(result) == {"ING008", "ING015"}
    assert only(result, "ING015").location.field == "Sheet1!7:8"
    assert result.skipped == ()


def test_ing009_column_number_row(cat: Catalogue) -> None:
    numbering = {h: f"({i})" for i, h in enumerate(cat.headers, start=1)}
    result = cat.run(cat.xlsx([numbering, *base_rows()]))
    assert codes(result) == {"ING009"}
    assert len(result.files) == 2


def test_ing010_sheet_chosen_among_several(cat: Catalogue) -> None:
    other = [["Mã hồ sơ", "Tiêu đề hồ sơ"], ["X", "Y"]]
    result = cat.run(cat.xlsx(base_rows(), extra_sheets=[("Bản cũ", other)]))
    assert codes(result) == {"ING010"}
    assert only(result, "ING010").params == {"sheet": "Sheet1", "others": "Bản cũ"}


def test_ing011_json_syntax(cat: Catalogue) -> None:
    path = cat.tmp / "metadata.json"
    path.write_text('{"format": "luutru-aip-metadata/1.0",\n "files": [}', encoding="utf-8")
    result = cat.run(path)
    assert codes(result) == {"ING011"}
    assert only(result, "ING011").location.line == 2


def test_ing012_json_schema(cat: Catalogue) -> None:
    data = base_json()
    data["files"][1]["titel"] = "typo"
    result = cat.run(write_json(cat.tmp, data))
    assert codes(result) == {"ING012"}
    assert only(result, "ING012").location.field == "/files/1"
    assert [f.file_code for f in result.files] == ["H40.21.05.2001.01"]
    assert result.skipped[0].rows == "/files/1"


def test_ing013_mapped_header_not_found(cat: Catalogue) -> None:
    mapping = ColumnMapping(columns={"Mã HS": "file_code"})
    result = cat.run(cat.xlsx(base_rows()), mapping=mapping)
    assert codes(result) == {"ING013"}


def test_ing014_documents_numbered_in_order(cat: Catalogue) -> None:
    cat.headers.remove("STT")
    result = cat.run(cat.xlsx(base_rows()))
    assert codes(result) == {"ING014"}
    assert only(result, "ING014").params["count"] == 3
    assert [d.ordinal for d in result.files[0].documents] == [1, 2]


# --------------------------------------------------------------------------- rows and hồ sơ


def test_ing020_row_without_file_code(cat: Catalogue) -> None:
    rows = base_rows()
    rows[1]["Mã hồ sơ"] = None
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING020", "ING047", "ING048"}
    assert only(result, "ING020").location.field == cat.cell("Mã hồ sơ", 1)
    assert result.skipped[0].scope == "row"
    assert result.unlisted == ()  # the skipped row still lists its file


def test_ing021_number_only_file_code_composed(cat: Catalogue) -> None:
    rows = base_rows()
    rows[2]["Mã hồ sơ"] = "02"
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING021"}
    assert only(result, "ING021").params["file_code"] == "H40.21.05.2001.02"
    assert result.files[1].file_code == "H40.21.05.2001.02"


def test_ing022_file_code_without_year(cat: Catalogue) -> None:
    rows = base_rows()
    rows[2]["Mã hồ sơ"] = 2
    rows[2]["Thời gian bắt đầu"] = "đầu năm"
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING022", "ING034"}
    assert result.skipped[0].reasons == ("ING034", "ING022")


def test_ing023_rows_of_a_file_not_together(cat: Catalogue) -> None:
    rows = base_rows()
    rows = [rows[0], rows[2], rows[1]]
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING023"}
    assert only(result, "ING023").params["rows"] == "2, 4"
    assert len(result.files[0].documents) == 2


def test_ing024_rows_of_a_file_disagree(cat: Catalogue) -> None:
    rows = base_rows()
    rows[1]["Thời hạn lưu trữ"] = "70 năm"
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING024"}
    finding = only(result, "ING024")
    assert finding.location.field == cat.cell("Thời hạn lưu trữ", 1)
    assert finding.params["first"] == cat.cell("Thời hạn lưu trữ", 0)
    assert result.files[0].maintenance == "01"


def test_ing025_duplicate_file_code(cat: Catalogue) -> None:
    rows = base_rows()
    rows[2]["Mã hồ sơ"] = "01"
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING021", "ING025"}
    assert [f.file_code for f in result.files] == ["H40.21.05.2001.01"]


def test_ing026_file_code_with_space(cat: Catalogue) -> None:
    rows = base_rows()
    rows[2]["Mã hồ sơ"] = "H40.21.05 2001.02"
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING026"}


def test_ing027_duplicate_document_number(cat: Catalogue) -> None:
    rows = base_rows()
    rows[1]["STT"] = "001"
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING027", "ING029"}
    assert only(result, "ING027").params["first"] == cat.cell("STT", 0)


def test_ing028_file_without_documents(cat: Catalogue) -> None:
    cat.headers = cat.headers[: cat.headers.index("STT")]
    rows = [base_rows()[0], base_rows()[2]]
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING028", "ING063"}
    assert len(result.unlisted) == 3
    assert all(f.documents == () for f in result.files)


def test_ing029_file_packaged_without_a_bad_document(cat: Catalogue) -> None:
    rows = base_rows()
    rows[1]["Trích yếu nội dung"] = None
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING029", "ING030"}
    assert [d.ordinal for d in result.files[0].documents] == [1]
    assert result.files[0].total_doc == 2
    skipped = result.skipped[0]
    assert (skipped.file_code, skipped.rows, skipped.reasons, skipped.scope) == (
        "H40.21.05.2001.01",
        cat.row(1),
        ("ING030",),
        "document",
    )


# --------------------------------------------------------------------------- values


def test_ing030_required_value_blank(cat: Catalogue) -> None:
    rows = base_rows()
    rows[2]["Tiêu đề hồ sơ"] = "  "
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING030"}
    assert only(result, "ING030").location.field == cat.cell("Tiêu đề hồ sơ", 2)
    assert result.skipped[0].scope == "file"


def test_ing031_value_cannot_be_normalised(cat: Catalogue) -> None:
    rows = base_rows()
    rows[2]["Thời hạn lưu trữ"] = "mãi mãi"
    finding = only(cat.run(cat.xlsx(rows)), "ING031")
    assert finding.location.field == cat.cell("Thời hạn lưu trữ", 2)
    assert finding.params["allowed"].startswith("01 Vĩnh viễn, 02 70 năm")
    assert "mãi mãi" in finding.message("vi")


def test_ing032_legacy_value_with_two_meanings(cat: Catalogue) -> None:
    rows = base_rows()
    rows[2]["Mức độ tiếp cận"] = "Hạn chế"
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING032"}
    assert "03 Mật" in only(result, "ING032").message("en")


def test_ing033_not_a_number(cat: Catalogue) -> None:
    rows = base_rows()
    rows[2]["Tổng số tài liệu"] = "một"
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING033"}


def test_ing034_not_a_date(cat: Catalogue) -> None:
    rows = base_rows()
    rows[1]["Ngày ban hành"] = "ngày rằm"
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING034", "ING029"}


def test_ing035_impossible_date(cat: Catalogue) -> None:
    rows = base_rows()
    rows[1]["Ngày ban hành"] = "31/02/2001"
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING035", "ING029"}
    assert only(result, "ING035").location.field == cat.cell("Ngày ban hành", 1)


def test_ing036_split_date_day_without_month(cat: Catalogue) -> None:
    at = cat.headers.index("Ngày ban hành")
    cat.headers[at : at + 1] = ["Ngày", "Tháng", "Năm"]
    rows = base_rows()
    for row in rows:
        day, month, year = str(row.pop("Ngày ban hành")).split("/")
        row.update({"Ngày": int(day), "Tháng": int(month), "Năm": int(year)})
    rows[1]["Tháng"] = None
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING036", "ING029"}
    assert only(result, "ING036").location.field == cat.cell("Tháng", 1)


def test_ing037_partial_date_in_sip(cat: Catalogue) -> None:
    rows = base_rows()
    for row in rows[2:]:
        row["Thời gian bắt đầu"] = "01/2001"
    result = cat.run(cat.xlsx(rows), package_type=PackageType.SIP)
    assert codes(result) == {"ING037"}
    aip = cat.run(cat.xlsx(rows))
    assert aip.findings == ()


def test_ing038_end_before_start(cat: Catalogue) -> None:
    rows = base_rows()
    rows[2]["Thời gian kết thúc"] = "01/01/2000"
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING038", "ING050"}
    assert codes(result, at_least=Severity.ERROR) == set()


def test_ing039_value_too_long(cat: Catalogue) -> None:
    rows = base_rows()
    rows[2]["Tiêu đề hồ sơ"] = "Hồ sơ " * 200
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING039"}
    assert only(result, "ING039").params["limit"] == 1000


def test_ing040_date_in_a_text_column(cat: Catalogue) -> None:
    rows = base_rows()
    rows[1]["Số"] = dt.datetime(2001, 3, 12)
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING040", "ING029"}
    assert only(result, "ING040").params["kind"] == "date"


def test_ing041_digitised_file_needs_paper_details(cat: Catalogue) -> None:
    cat.headers.append("Mức độ tin cậy")
    rows = base_rows()
    rows[2]["Mức độ tin cậy"] = "Số hóa"
    result = cat.run(cat.xlsx(rows))
    found = [f for f in result.findings if f.code == "ING041"]
    assert codes(result) == {"ING041"}
    assert [f.params["label"] for f in found] == ["Số lượng tờ", "Tình trạng vật lý", "Mã hồ sơ gốc giấy"]


def test_ing041_backup_status_needed(cat: Catalogue) -> None:
    rows = base_rows()
    rows[2]["Chế độ dự phòng"] = "Có"
    finding = only(cat.run(cat.xlsx(rows)), "ING041")
    assert finding.params["condition"] == "riskRecovery = 1"


def test_ing042_language_from_profile(cat: Catalogue) -> None:
    cat.headers.remove("Ngôn ngữ")
    profile = ArchiveProfile("Lưu trữ", "H40.21.05", "P623", default_language="01")
    result = cat.run(cat.xlsx(base_rows()), profile=profile)
    assert codes(result) == {"ING042"}
    assert only(result, "ING042").params["count"] == 2
    assert result.files[0].languages == ("01",)


def test_ing043_backup_flag_defaults_to_zero(cat: Catalogue) -> None:
    cat.headers.remove("Chế độ dự phòng")
    result = cat.run(cat.xlsx(base_rows()))
    assert codes(result) == {"ING043"}
    assert only(result, "ING043").params["count"] == 2
    assert result.files[0].risk_recovery is False


def test_ing044_total_counted(cat: Catalogue) -> None:
    cat.headers.remove("Tổng số tài liệu")
    result = cat.run(cat.xlsx(base_rows()))
    assert codes(result) == {"ING044"}
    assert [f.total_doc for f in result.files] == [2, 1]


def test_ing045_pages_summed(cat: Catalogue) -> None:
    cat.headers.remove("Số lượng trang")
    result = cat.run(cat.xlsx(base_rows()))
    assert codes(result) == {"ING045"}
    assert [f.number_of_page for f in result.files] == [5, 4]


def test_ing046_dates_from_documents(cat: Catalogue) -> None:
    cat.headers.remove("Thời gian bắt đầu")
    cat.headers.remove("Thời gian kết thúc")
    result = cat.run(cat.xlsx(base_rows()))
    assert codes(result) == {"ING046"}
    first = result.files[0]
    assert (first.start_date.tt05(), first.end_date.tt05()) == ("10/01/2001", "28/12/2001")


def test_ing047_total_does_not_match(cat: Catalogue) -> None:
    rows = base_rows()
    rows[2]["Tổng số tài liệu"] = 3
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING047"}
    assert only(result, "ING047").params == {"value": 3, "counted": 1}


def test_ing048_pages_do_not_match(cat: Catalogue) -> None:
    rows = base_rows()
    rows[2]["Số lượng trang"] = 40
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING048"}


def test_ing049_document_pages_blank(cat: Catalogue) -> None:
    rows = base_rows()
    rows[2]["Số trang"] = None
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING049"}
    assert result.files[1].documents[0].number_of_page is None


def test_ing049_not_for_sound_recordings(cat: Catalogue) -> None:
    cat.add_file("hop01/hoso02/002.wav", b"RIFF")
    rows = base_rows()
    rows.append({**rows[2], "STT": 2, "Số trang": None, "Đường dẫn": "hop01/hoso02/002.wav"})
    rows[2]["Tổng số tài liệu"] = rows[3]["Tổng số tài liệu"] = 2
    result = cat.run(cat.xlsx(rows))
    assert result.findings == ()


def test_ing050_document_outside_the_time_span(cat: Catalogue) -> None:
    rows = base_rows()
    rows[2]["Ngày ban hành"] = "05/04/2002"
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING050"}
    assert only(result, "ING050").location.field == cat.cell("Ngày ban hành", 2)


def test_ing051_control_characters(cat: Catalogue) -> None:
    rows = base_rows()
    rows[2]["Tiêu đề hồ sơ"] = "Hồ sơ\x02 đê biển"
    result = cat.run(cat.csv(rows))
    assert codes(result) == {"ING051"}
    assert only(result, "ING051").location.field == "'muc-luc'!B4"


def test_ing052_value_matches_several_codes(cat: Catalogue) -> None:
    rows = base_rows()
    rows[1]["Tên loại tài liệu"] = "HĎ"  # D with caron typed for Đ: folds to both HD and HĐ
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING052", "ING029"}
    assert only(result, "ING052").params["candidates"] == "08 Hướng dẫn, 21 Hợp đồng"


# --------------------------------------------------------------------------- files


def test_ing060_listed_file_absent(cat: Catalogue) -> None:
    rows = base_rows()
    rows[1]["Đường dẫn"] = "hop01/hoso01/009.pdf"
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING060", "ING029", "ING063"}
    finding = only(result, "ING060")
    assert (finding.location.path, finding.location.field) == ("muc-luc.xlsx", cat.cell("Đường dẫn", 1))


def test_ing061_case_differs_is_only_suggested(cat: Catalogue) -> None:
    rows = base_rows()
    rows[1]["Đường dẫn"] = "HOP01/hoso01/002.PDF"
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING061", "ING029", "ING063"}
    assert only(result, "ING061").params["suggestion"] == "hop01/hoso01/002.pdf"


def test_ing062_nfd_on_disk_nfc_in_sheet(tmp_path: Path) -> None:
    cat = Catalogue(tmp_path, files=("hop01/hoso01/001.pdf", "hop01/hoso02/001.pdf"))
    name = "hop01/hoso01/Quyết định khen thưởng.pdf"
    cat.add_file(name, nfd=True)
    rows = base_rows()
    rows[1]["Đường dẫn"] = unicodedata.normalize("NFC", name)
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING062"}
    actual = result.files[0].documents[1].files[0]
    assert actual == unicodedata.normalize("NFD", name)
    assert result.source_files[unicodedata.normalize("NFC", name)] == actual
    assert only(result, "ING062").params["form"] == "NFD"


def test_ing063_file_not_listed(cat: Catalogue) -> None:
    cat.add_file("hop01/hoso02/002.pdf")
    result = cat.run(cat.xlsx(base_rows()))
    assert codes(result) == {"ING063"}
    assert only(result, "ING063").location.path == "hop01/hoso02/002.pdf"
    assert result.unlisted == ("hop01/hoso02/002.pdf",)


def test_ing064_system_files_ignored(cat: Catalogue) -> None:
    for junk in ("Thumbs.db", "hop01/.DS_Store", "hop01/hoso01/~$muc-luc.xlsx", "desktop.ini"):
        cat.add_file(junk, b"x")
    result = cat.run(cat.xlsx(base_rows()))
    assert codes(result) == {"ING064"}
    assert only(result, "ING064").params["count"] == 4
    assert result.unlisted == ()


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("C:\\Phong\\hop01\\hoso01\\002.pdf", "drive"),
        ("\\\\may-chu\\Phong\\002.pdf", "unc"),
        ("hop01/../hop01/hoso01/002.pdf", "parent"),
        ("~/hop01/hoso01/002.pdf", "home"),
    ],
)
def test_ing065_unsafe_path(cat: Catalogue, written: str, reason: str) -> None:
    rows = base_rows()
    rows[1]["Đường dẫn"] = written
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING065", "ING029", "ING063"}
    assert only(result, "ING065").params["reason"] == reason


def test_ing065_symlink_out_of_the_source_folder(cat: Catalogue) -> None:
    outside = cat.tmp / "outside.pdf"
    outside.write_bytes(b"%PDF")
    (cat.root / "hop01" / "link.pdf").symlink_to(outside)
    rows = base_rows()
    rows[1]["Đường dẫn"] = "hop01/link.pdf"
    result = cat.run(cat.xlsx(rows))
    assert only(result, "ING065").params["reason"] == "escapes_root"


def test_ing066_two_files_with_one_nfc_form(cat: Catalogue) -> None:
    name = "hop01/hoso01/Quyết định.pdf"
    cat.add_file(unicodedata.normalize("NFC", name))
    cat.add_file(name, nfd=True)
    if len(list((cat.root / "hop01" / "hoso01").iterdir())) < 4:
        pytest.skip("this file system normalises names")
    mixed = "hop01/hoso01/Quyết" + unicodedata.normalize("NFD", " định.pdf")
    rows = base_rows()
    rows[1]["Đường dẫn"] = mixed
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING066", "ING029", "ING063"}


def test_ing067_document_without_a_file(tmp_path: Path) -> None:
    cat = Catalogue(tmp_path, files=("hop01/hoso01/001.pdf", "hop01/hoso02/001.pdf"))
    rows = base_rows()
    rows[1]["Đường dẫn"] = None
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING067"}
    assert result.files[0].documents[1].files == ()


def test_ing068_source_folder_name_in_paths(cat: Catalogue) -> None:
    rows = base_rows()
    rows[0]["Đường dẫn"] = "\\Phong\\hop01\\hoso01\\001.pdf"
    rows[1]["Đường dẫn"] = "Phong\\hop01\\hoso01\\002.pdf"
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING068"}
    assert [d.files for d in result.files[0].documents] == [
        ("hop01/hoso01/001.pdf",),
        ("hop01/hoso01/002.pdf",),
    ]


def test_ing069_listed_path_is_a_folder(cat: Catalogue) -> None:
    rows = base_rows()
    rows[1]["Đường dẫn"] = "hop01\\hoso01"
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING069", "ING029", "ING063"}


def test_ing070_file_listed_by_two_files(cat: Catalogue) -> None:
    rows = base_rows()
    rows[2]["Đường dẫn"] = "hop01/hoso01/001.pdf"
    result = cat.run(cat.xlsx(rows))
    assert codes(result) == {"ING070", "ING063"}
    assert only(result, "ING070").params["file_code"] == "H40.21.05.2001.01"


# --------------------------------------------------------------------------- profile


def test_ing080_agency_code_shape(cat: Catalogue) -> None:
    profile = ArchiveProfile("Lưu trữ", "UBND-HUYEN", "P623")
    result = cat.run(cat.xlsx(base_rows()), profile=profile)
    assert codes(result) == {"ING080"}
    assert only(result, "ING080").location.field == "agency_code"
    custom = cat.run(cat.xlsx(base_rows()), profile=profile, agency_code_pattern=r"[A-Z-]+")
    assert custom.findings == ()


# --------------------------------------------------------------------------- completeness


def test_every_ing_code_has_a_fixture() -> None:
    names = [name for name in globals() if name.startswith("test_ing")]
    covered = {f"ING{m.group(1)}" for name in names if (m := re.match(r"test_ing(\d{3})_", name))}
    assert covered == {code for code in catalogue() if code.startswith("ING")}


def test_every_ing_rule_is_bilingual_and_mentions_its_cell() -> None:
    for code, rule in catalogue().items():
        if not code.startswith("ING"):
            continue
        assert rule.category == "ingest"
        assert rule.message_vi != rule.message_en
        assert re.search(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", rule.message_vi), code


def test_profile_constant_is_valid() -> None:
    assert PROFILE.agency_code == "H40.21.05"


def test_skipped_file_forms(cat: Catalogue) -> None:
    rows = base_rows()
    rows[1]["Trích yếu nội dung"] = None
    (skipped,) = cat.run(cat.xlsx(rows)).skipped
    assert skipped.to_dict() == {
        "file_code": "H40.21.05.2001.01",
        "rows": "Sheet1!3",
        "reasons": ["ING030"],
        "scope": "document",
    }
    assert str(skipped) == "document of H40.21.05.2001.01 at Sheet1!3: ING030"
