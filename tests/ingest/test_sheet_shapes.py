"""The shapes real provincial spreadsheets take (notes/spreadsheet.md): header variants, title rows,
two-row headers, merged cells, split dates, leading zeros, blank rows, CSV dialects, mappings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from luutru_aip.errors import UsageError
from luutru_aip.ingest import ColumnMapping, load_mapping
from luutru_aip.model import PartialDate

from ._kit import HEADERS, Catalogue, base_rows, codes, only


@pytest.fixture
def cat(tmp_path: Path) -> Catalogue:
    return Catalogue(tmp_path)


def _rename(cat: Catalogue, rows: list[dict[str, object]], old: str, new: str) -> None:
    cat.headers[cat.headers.index(old)] = new
    for row in rows:
        row[new] = row.pop(old)


@pytest.mark.parametrize(
    ("field_header", "variant"),
    [
        ("Mã hồ sơ", "Số và ký\nhiệu hồ sơ"),
        ("Mã hồ sơ", "SỐ VÀ KÝ HIỆU HỒ SƠ"),
        ("Mã hồ sơ", "So va ky hieu ho so"),
        ("Mã hồ sơ", "  Mã   hồ sơ  "),
        ("Thời hạn lưu trữ", "THBQ"),
        ("Thời hạn lưu trữ", "thoi han bao quan"),
        ("Mức độ tiếp cận", "Chế độ\nsử dụng"),
        ("Tổng số tài liệu", "Tổng số văn bản trong hồ sơ"),
        ("Tên loại tài liệu", "Tên loại văn bản"),
        ("Trích yếu nội dung", "Trích yếu nội dung "),
        ("Đường dẫn", "File"),
        ("Chế độ dự phòng", "Chế độ bảo hiểm"),
        ("STT", "Số TT văn bản"),
    ],
)
def test_header_variants(cat: Catalogue, field_header: str, variant: str) -> None:
    rows = base_rows()
    _rename(cat, rows, field_header, variant)
    result = cat.run(cat.xlsx(rows))
    assert codes(result) <= {"ING005"}
    assert len(result.files) == 2
    assert result.files[0].maintenance == "01"


def test_legacy_headers_each_give_one_info(cat: Catalogue) -> None:
    rows = base_rows()
    _rename(cat, rows, "Mã hồ sơ", "Số và ký\nhiệu hồ sơ")
    _rename(cat, rows, "Thời hạn lưu trữ", "Thời hạn bảo quản")
    _rename(cat, rows, "Mức độ tiếp cận", "Chế độ sử dụng")
    result = cat.run(cat.xlsx(rows))
    labels = sorted(f.params["label"] for f in result.findings if f.code == "ING005")
    assert labels == ["Mã hồ sơ", "Mức độ tiếp cận", "Thời hạn lưu trữ"]


def test_title_rows_above_the_header(cat: Catalogue) -> None:
    cat.title_rows = [["UBND TỈNH NGHỆ AN"], ["MỤC LỤC HỒ SƠ, TÀI LIỆU NĂM 2001"], []]
    result = cat.run(cat.xlsx(base_rows(), merges=["A1:S1", "A2:S2"]))
    assert result.findings == ()
    assert result.files[0].source is not None
    assert result.files[0].source.row == 5
    assert cat.cell("Mã hồ sơ", 0) == "Sheet1!A5"


def test_header_below_row_15_is_not_searched(cat: Catalogue) -> None:
    cat.title_rows = [[f"dòng {i}"] for i in range(15)]
    assert codes(cat.run(cat.xlsx(base_rows()))) == {"ING003"}


def test_mapping_header_row_reaches_further(cat: Catalogue) -> None:
    cat.title_rows = [[f"dòng {i}"] for i in range(15)]
    result = cat.run(cat.xlsx(base_rows()), mapping=ColumnMapping(header_row=16))
    assert result.findings == ()


def test_two_row_header(cat: Catalogue) -> None:
    """ "Thời gian" merged over "Bắt đầu" / "Kết thúc"; the other headers merged down two rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Sheet1"
    top = [
        "Mã hồ sơ",
        "Tiêu đề hồ sơ",
        "Thời hạn lưu trữ",
        "Mức độ tiếp cận",
        "Ngôn ngữ",
        "Thời gian",
        None,
        "Chế độ dự phòng",
        "STT",
        "Tên loại tài liệu",
        "Ngày ban hành",
        "Tác giả",
        "Trích yếu",
        "Số trang",
        "Tệp tin",
    ]
    ws.append(top)
    ws.append([None] * 5 + ["Bắt đầu", "Kết thúc"] + [None] * 8)
    for column in range(1, len(top) + 1):
        letter = openpyxl.utils.get_column_letter(column)
        if column not in (6, 7):
            ws.merge_cells(f"{letter}1:{letter}2")
    ws.merge_cells("F1:G1")
    ws.append(
        [
            "H40.21.05.2001.01",
            "Hồ sơ A",
            "VV",
            "01",
            "Việt",
            "01/2001",
            "12/2001",
            0,
            "1",
            "QĐ",
            dt.date(2001, 5, 2),
            "UBND",
            "Về việc A",
            2,
            "hop01/hoso01/001.pdf",
        ]
    )
    path = cat.tmp / "two-rows.xlsx"
    wb.save(path)
    cat.root.joinpath("hop01/hoso01/002.pdf").unlink()
    cat.root.joinpath("hop01/hoso02/001.pdf").unlink()
    result = cat.run(path)
    assert codes(result) == {"ING044", "ING045"}
    record = result.files[0]
    assert (record.start_date, record.end_date) == (PartialDate(2001, 1), PartialDate(2001, 12))
    assert record.documents[0].issued_date == PartialDate(2001, 5, 2)


def test_merged_file_cells_are_copied_down(cat: Catalogue) -> None:
    rows = base_rows()
    for header in ("Tiêu đề hồ sơ", "Thời hạn lưu trữ", "Mức độ tiếp cận", "Mã hồ sơ"):
        rows[1][header] = None
    letters = [
        openpyxl.utils.get_column_letter(cat.headers.index(h) + 1) for h in ("Mã hồ sơ", "Tiêu đề hồ sơ")
    ]
    merges = [f"{letter}2:{letter}3" for letter in letters] + ["C2:C3", "D2:D3"]
    result = cat.run(cat.xlsx(rows, merges=merges))
    assert result.findings == ()
    assert len(result.files[0].documents) == 2


def test_merged_cell_errors_point_at_the_anchor(cat: Catalogue) -> None:
    rows = base_rows()
    rows[0]["Thời hạn lưu trữ"] = "mãi mãi"
    rows[1]["Thời hạn lưu trữ"] = None
    result = cat.run(cat.xlsx(rows, merges=["C2:C3"]))
    assert only(result, "ING031").location.field == "Sheet1!C2"


def test_split_dates_and_partial_dates(cat: Catalogue) -> None:
    at = cat.headers.index("Ngày ban hành")
    cat.headers[at : at + 1] = ["Ngày", "Tháng", "Năm"]
    rows = base_rows()
    for row in rows:
        row.pop("Ngày ban hành")
    rows[0].update({"Ngày": "10", "Tháng": "01", "Năm": 2001})
    rows[1].update({"Ngày": None, "Tháng": 12, "Năm": "2001"})
    rows[2].update({"Ngày": None, "Tháng": None, "Năm": 2001.0})
    result = cat.run(cat.xlsx(rows))
    assert result.findings == ()
    issued = [d.issued_date.tt05() for f in result.files for d in f.documents]
    assert issued == ["10/01/2001", "12/2001", "2001"]


def test_split_start_and_end_dates(cat: Catalogue) -> None:
    for which in ("bắt đầu", "kết thúc"):
        at = cat.headers.index(f"Thời gian {which}")
        cat.headers[at : at + 1] = [f"Ngày {which}", f"Tháng {which}", f"Năm {which}"]
    rows = base_rows()
    for row in rows:
        row.update({"Ngày bắt đầu": 10, "Tháng bắt đầu": 1, "Năm bắt đầu": 2001})
        row.update({"Ngày kết thúc": None, "Tháng kết thúc": None, "Năm kết thúc": 2001})
    result = cat.run(cat.xlsx(rows))
    assert result.findings == ()
    assert (result.files[0].start_date.tt05(), result.files[0].end_date.tt05()) == ("10/01/2001", "2001")


def test_date_range_column(cat: Catalogue) -> None:
    cat.headers.remove("Thời gian kết thúc")
    _rows = base_rows()
    _rename(cat, _rows, "Thời gian bắt đầu", "Thời gian")
    for row in _rows:
        row["Thời gian"] = "10/01/2001 - 28/12/2001"
    result = cat.run(cat.xlsx(_rows))
    assert result.findings == ()
    assert result.files[0].end_date == PartialDate(2001, 12, 28)


def test_excel_dates_and_text_dates(cat: Catalogue) -> None:
    rows = base_rows()
    rows[0]["Ngày ban hành"] = dt.datetime(2001, 1, 10, 0, 0)
    rows[1]["Ngày ban hành"] = "28-12-2001"
    rows[2]["Ngày ban hành"] = "2001-04-05"
    for row in rows[:2]:
        row["Thời gian bắt đầu"] = dt.date(2001, 1, 10)
    result = cat.run(cat.xlsx(rows))
    assert result.findings == ()
    assert [d.issued_date.tt05() for d in result.files[0].documents] == ["10/01/2001", "28/12/2001"]


def test_numbers_and_leading_zeros(cat: Catalogue) -> None:
    rows = base_rows()
    rows[0].update({"STT": "001", "Số": "0012", "Số trang": "03", "Tổng số tài liệu": 2.0})
    rows[1].update({"STT": 2.0, "Số": 15, "Số trang": 2.0, "Tổng số tài liệu": "02"})
    result = cat.run(cat.xlsx(rows))
    assert result.findings == ()
    first, second = result.files[0].documents
    assert (first.ordinal, first.code_number, first.number_of_page) == (1, "0012", 3)
    assert (second.ordinal, second.code_number, second.number_of_page) == (2, "15", 2)
    assert result.files[0].doc_code(first) == "H40.21.05.2001.01.0000001"


def test_free_text_codes(cat: Catalogue) -> None:
    rows = base_rows()
    rows[0].update(
        {"Thời hạn lưu trữ": "vinh vien", "Mức độ tiếp cận": "CÔNG KHAI", "Ngôn ngữ": "tieng viet"}
    )
    rows[1].update({"Thời hạn lưu trữ": "VV", "Mức độ tiếp cận": 1, "Ngôn ngữ": "Việt"})
    rows[0]["Tên loại tài liệu"] = "quyet dinh"
    rows[1]["Tên loại tài liệu"] = "CV"
    rows[2].update({"Ngôn ngữ": "Tiếng Việt, Tiếng Anh", "Chế độ dự phòng": "x", "Tên loại tài liệu": "QĐ"})
    rows[2]["Tình trạng dự phòng"] = "Đã lập"
    cat.headers.append("Tình trạng dự phòng")
    result = cat.run(cat.xlsx(rows))
    assert result.findings == ()
    first, second = result.files
    assert [d.type_name for d in first.documents] == ["02", "22"]
    assert (second.languages, second.risk_recovery, second.risk_recovery_status) == (("06",), True, "01")
    assert second.documents[0].risk_recovery is True  # inherited from the hồ sơ


def test_documents_inherit_file_values(cat: Catalogue) -> None:
    cat.headers += ["Mức độ tiếp cận tài liệu", "Ngôn ngữ tài liệu"]
    rows = base_rows()
    rows[1]["Mức độ tiếp cận tài liệu"] = "Mật"
    rows[1]["Ngôn ngữ tài liệu"] = "Tiếng Pháp"
    result = cat.run(cat.xlsx(rows))
    assert result.findings == ()
    first, second = result.files[0].documents
    assert (first.mode, first.languages, first.maintenance) == ("01", ("01",), "01")
    assert (second.mode, second.languages) == ("03", ("03",))


def test_combined_number_and_notation(cat: Catalogue) -> None:
    cat.headers.remove("Ký hiệu")
    _rows = base_rows()
    _rename(cat, _rows, "Số", "Số, ký hiệu")
    _rows[0]["Số, ký hiệu"] = "12/QĐ-UBND"
    _rows[1]["Số, ký hiệu"] = "Số: 15/BC-UBND"
    _rows[2]["Số, ký hiệu"] = "TTr-UBND"
    result = cat.run(cat.xlsx(_rows))
    assert result.findings == ()
    docs = [d for f in result.files for d in f.documents]
    assert [(d.code_number, d.code_notation) for d in docs] == [
        ("12", "QĐ-UBND"),
        ("15", "BC-UBND"),
        (None, "TTr-UBND"),
    ]


def test_blank_rows_and_blank_cells(cat: Catalogue) -> None:
    rows: list[dict[str, object] | None] = [None, base_rows()[0], None, None, *base_rows()[1:], None]
    rows[1]["Ký hiệu"] = None  # type: ignore[index]
    result = cat.run(cat.xlsx(rows))
    assert result.findings == ()
    assert result.files[0].documents[0].code_notation is None


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_csv_dialects(cat: Catalogue, delimiter: str, encoding: str) -> None:
    result = cat.run(cat.csv(base_rows(), delimiter=delimiter, encoding=encoding))
    assert result.findings == ()
    assert len(result.files) == 2
    assert result.files[0].documents[0].code_number == "01"


def test_mapping_file_overrides_recognition(cat: Catalogue) -> None:
    rows = base_rows()
    _rename(cat, rows, "Mã hồ sơ", "Mã HS")
    _rename(cat, rows, "Trích yếu nội dung", "Nội dung chính")
    _rename(cat, rows, "Đường dẫn", "File scan")
    cat.headers.append("Tiêu đề")  # a synonym of title, ignored by the mapping
    mapping_path = cat.tmp / "columns.toml"
    mapping_path.write_text(
        'sheet = "Sheet1"\n[columns]\n"Mã HS" = "file_code"\n"nội dung chính" = "subject"\n'
        '"File scan" = "file_path"\n"Tiêu đề" = ""\n',
        encoding="utf-8",
    )
    result = cat.run(cat.xlsx(rows), mapping=load_mapping(mapping_path))
    assert result.findings == ()
    assert result.files[0].documents[0].subject == "Về việc khen thưởng tập thể, cá nhân"


def test_mapping_sheet_that_does_not_exist(cat: Catalogue) -> None:
    with pytest.raises(UsageError, match="Mục lục"):
        cat.run(cat.xlsx(base_rows()), mapping=ColumnMapping(sheet="Mục lục"))


def test_sheet_name_with_spaces_is_quoted(cat: Catalogue) -> None:
    rows = base_rows()
    rows[2]["Thời hạn lưu trữ"] = "??"
    result = cat.run(cat.xlsx(rows, sheet="Mục lục hồ sơ"))
    assert only(result, "ING031").location.field == "'Mục lục hồ sơ'!C4"


def test_headers_constant_matches_fields() -> None:
    from luutru_aip.ingest._spec import match_header

    assert all(match_header(h) is not None for h in HEADERS)
