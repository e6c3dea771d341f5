"""The value normalisers, cell by cell: dates, numbers, codes, keywords, number/notation, display."""

from __future__ import annotations

import datetime as dt

import pytest

from luutru_aip.ingest import field_def, parse_date_text
from luutru_aip.ingest._table import Cell
from luutru_aip.ingest._values import (
    Sink,
    boolean_value,
    code_value,
    date_parts_value,
    date_range_value,
    date_value,
    keywords_value,
    languages_value,
    number_notation_value,
    number_value,
    show,
    text_value,
)
from luutru_aip.model import PartialDate


def run(function, value, field, **kwargs):  # type: ignore[no-untyped-def]
    sink = Sink("m.xlsx")
    result = function(sink, Cell(value, "Sheet1!F12", 12), field_def(field), **kwargs)
    return result, [f.code for f in sink.findings]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15/03/2001", "15/03/2001"),
        ("5/3/2001", "05/03/2001"),
        ("15-3-2001", "15/03/2001"),
        ("15.03.2001", "15/03/2001"),
        ("03/2001", "03/2001"),
        ("2001", "2001"),
        ("2001-03-15", "15/03/2001"),
        ("2001-03-15 00:00:00", "15/03/2001"),
        ("2001-03", "03/2001"),
        ("ngày 15 tháng 3 năm 2001", "15/03/2001"),
        ("Tháng 3 năm 2001", "03/2001"),
        ("năm 2001", "2001"),
        (" 15/03/2001 ", "15/03/2001"),
    ],
)
def test_date_texts(text: str, expected: str) -> None:
    assert parse_date_text(text).tt05() == expected
    value, found = run(date_value, text, "issued_date")
    assert (value.tt05(), found) == (expected, [])


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("31/02/2001", "ING035"),
        ("29/02/2001", "ING035"),
        ("13/2001", "ING035"),
        ("0999", "ING035"),
        ("15/03/01", "ING034"),
        ("mùa xuân 2001", "ING034"),
        (36965, "ING034"),
        (True, "ING040"),
        (dt.time(10, 0), "ING040"),
    ],
)
def test_bad_dates(value: object, code: str) -> None:
    assert run(date_value, value, "issued_date") == (None, [code])


def test_excel_dates_and_year_numbers() -> None:
    assert run(date_value, dt.datetime(2001, 3, 15, 10, 30), "issued_date") == (PartialDate(2001, 3, 15), [])
    assert run(date_value, dt.date(2001, 3, 15), "issued_date") == (PartialDate(2001, 3, 15), [])
    assert run(date_value, 2001, "issued_date") == (PartialDate(2001), [])
    assert run(date_value, 2001.0, "issued_date") == (PartialDate(2001), [])
    assert run(date_value, None, "issued_date") == (None, [])
    assert run(date_value, "  ", "issued_date") == (None, [])


def _parts(day: object, month: object, year: object) -> tuple[object, list[str]]:
    sink = Sink("m")
    cells = [
        None if v is None else Cell(v, f"Sheet1!{c}2") for v, c in ((day, "A"), (month, "B"), (year, "C"))
    ]
    return date_parts_value(sink, *cells, field_def("issued_date")), [f.code for f in sink.findings]


def test_split_date_parts() -> None:
    assert _parts(15, 3, 2001) == (PartialDate(2001, 3, 15), [])
    assert _parts("05", "03", "2001") == (PartialDate(2001, 3, 5), [])
    assert _parts(None, 3, 2001) == (PartialDate(2001, 3), [])
    assert _parts(None, None, 2001) == (PartialDate(2001), [])
    assert _parts(None, None, None) == (None, [])
    assert _parts(15, None, 2001) == (None, ["ING036"])
    assert _parts(15, 3, None) == (None, ["ING036"])
    assert _parts(31, 2, 2001) == (None, ["ING035"])
    assert _parts(1, 13, 2001) == (None, ["ING035"])
    assert _parts("mười", 3, 2001) == (None, ["ING033"])
    assert _parts(0, 3, 2001) == (None, ["ING033"])


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("01/2001 - 12/2001", "01/2001", "12/2001"),
        ("2001–2003", "2001", "2003"),
        ("2001-2003", "2001", "2003"),
        ("15/03/2001 đến 20/12/2001", "15/03/2001", "20/12/2001"),
        ("15/03/2001-20/12/2001", "15/03/2001", "20/12/2001"),
        ("2001", "2001", "2001"),
    ],
)
def test_date_ranges(text: str, start: str, end: str) -> None:
    sink = Sink("m")
    first, last = date_range_value(sink, Cell(text, "A1"), field_def("date_range"))
    assert (first.tt05(), last.tt05(), sink.findings) == (start, end, [])  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(5, 5), (5.0, 5), ("05", 5), ("0012", 12), (" 7 ", 7), ("3.0", 3), (0, 0)],
)
def test_numbers(value: object, expected: int) -> None:
    assert run(number_value, value, "total_doc") == (expected, [])


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("5 tờ", "ING033"),
        (5.5, "ING033"),
        (-1, "ING033"),
        ("1.234", "ING033"),
        (float("nan"), "ING033"),
        (True, "ING040"),
        (dt.date(2001, 1, 1), "ING040"),
        ("9" * 30, "ING033"),
    ],
)
def test_bad_numbers(value: object, code: str) -> None:
    assert run(number_value, value, "total_doc") == (None, [code])


def test_ordinal_must_be_positive() -> None:
    assert run(number_value, "000", "doc_ordinal", minimum=1) == (None, ["ING033"])


def test_text_keeps_leading_zeros_and_writes_integers_plainly() -> None:
    assert run(text_value, "0012", "code_number") == ("0012", [])
    assert run(text_value, 12.0, "code_number") == ("12", [])
    assert run(text_value, 12, "code_number") == ("12", [])
    assert run(text_value, " QĐ-UBND ", "code_notation") == ("QĐ-UBND", [])


def test_text_is_nfc() -> None:
    import unicodedata

    value, found = run(text_value, unicodedata.normalize("NFD", "Quyết định"), "subject")
    assert value == "Quyết định"
    assert found == []


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("maintenance", "Vĩnh viễn", "01"),
        ("maintenance", "vinh vien", "01"),
        ("maintenance", "VĨNH VIỄN", "01"),
        ("maintenance", "70 năm", "02"),
        ("maintenance", 1, "01"),
        ("maintenance", "01", "01"),
        ("mode", "Công khai", "01"),
        ("mode", "Sử dụng có điều kiện", "02"),
        ("mode", "Mật", "03"),
        ("type_name", "Quyết định", "02"),
        ("type_name", "QĐ", "02"),
        ("type_name", "Quyet dinh", "02"),
        ("type_name", "Công văn", "22"),
        ("type_name", "CV", "22"),
        ("physical_state", "Tốt", "01"),
        ("physical_state", "Bình thường", "02"),
        ("physical_state", "Hỏng", "03"),
        ("confidence_level", "Số hóa", "02"),
        ("confidence_level", "Gốc điện tử", "01"),
        ("confidence_level", "Hỗn hợp", "03"),
    ],
)
def test_codes(field: str, value: object, code: str) -> None:
    assert run(code_value, value, field) == (code, [])


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("mode", "Hạn chế", "ING032"),
        ("maintenance", "Lâu dài", "ING032"),
        ("mode", "bí mật quốc gia", "ING031"),
        ("type_name", "HĎ", "ING052"),
        ("maintenance", 99, "ING031"),
        ("maintenance", dt.date(2001, 1, 1), "ING040"),
    ],
)
def test_codes_that_are_reported(field: str, value: object, code: str) -> None:
    assert run(code_value, value, field) == (None, [code])


@pytest.mark.parametrize(
    ("value", "codes"),
    [
        ("Tiếng Việt", ("01",)),
        ("tieng viet", ("01",)),
        ("Việt", ("01",)),
        ("Tiếng Việt, Tiếng Anh", ("06",)),
        ("Tiếng Việt; Hán Nôm", ("01", "09")),
        (["Tiếng Việt", "Tiếng Pháp"], ("08",)),
        (["Tiếng Việt", "Hán Nôm"], ("01", "09")),
        (1, ("01",)),
    ],
)
def test_languages(value: object, codes: tuple[str, ...]) -> None:
    assert run(languages_value, value, "language") == (codes, [])


def test_language_errors() -> None:
    assert run(languages_value, "Tiếng Nhật", "language") == (None, ["ING032"])
    assert run(languages_value, "Tiếng Việt, Klingon", "language") == (None, ["ING031"])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Có", True),
        ("x", True),
        (1, True),
        (True, True),
        ("TRUE", True),
        ("Không", False),
        (0, False),
        ("FALSE", False),
        ("khong", False),
    ],
)
def test_booleans(value: object, expected: bool) -> None:
    assert run(boolean_value, value, "risk_recovery") == (expected, [])


def test_boolean_errors() -> None:
    assert run(boolean_value, "có lẽ", "risk_recovery") == (None, ["ING031"])
    assert run(boolean_value, dt.date(2001, 1, 1), "risk_recovery") == (None, ["ING040"])


def test_keywords() -> None:
    value, found = run(keywords_value, "thi đua; khen thưởng, thi đua\nnăm 2001", "keywords")
    assert (value, found) == (("thi đua", "khen thưởng", "năm 2001"), [])
    assert run(keywords_value, ["a", "b"], "keywords") == (("a", "b"), [])
    assert run(keywords_value, "x" * 150, "keywords")[1] == ["ING039"]


def test_number_notation() -> None:
    sink = Sink("m")
    spec = field_def("number_notation")
    assert number_notation_value(sink, Cell("12/QĐ-UBND", "A1"), spec) == ("12", "QĐ-UBND")
    assert number_notation_value(sink, Cell("123/2001/NĐ-CP", "A1"), spec) == ("123", "2001/NĐ-CP")
    assert number_notation_value(sink, Cell(45, "A1"), spec) == ("45", None)
    assert number_notation_value(sink, Cell("UBND-VP", "A1"), spec) == (None, "UBND-VP")


def test_show_escapes_terminal_tricks() -> None:
    assert show("a\x1b[31mb") == "a\\x1b[31mb"
    assert show(5.0) == "5"
    assert show(dt.date(2001, 3, 15)) == "2001-03-15"
    assert len(show("x" * 500)) == 120
