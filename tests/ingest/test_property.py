"""Hypothesis: odd cell values never crash the importer, and every hồ sơ ends as a record or with a
finding; odd file names on disk are matched exactly, by NFC form, or reported."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import unicodedata
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luutru_aip.findings import Severity
from luutru_aip.ingest import field_def, fields
from luutru_aip.ingest._records import _READERS
from luutru_aip.ingest._table import Cell
from luutru_aip.ingest._values import Sink, date_parts_value, date_range_value, number_notation_value

from ._kit import Catalogue, base_json, base_rows, write_json

ODD = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.sampled_from(
        ["01", "0012", "Hạn chế", "31/02/2001", "1/2001", "  ", "#N/A", "=SUM(A1)", "x", "Có", "∞"]
    ),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1, 1, 1)),
    st.dates(),
    st.times(),
    st.decimals(allow_nan=True),
    st.lists(st.one_of(st.text(max_size=10), st.integers()), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@given(value=ODD, name=st.sampled_from(sorted(n for n, f in fields().items() if f.kind in _READERS)))
def test_every_reader_takes_any_value(value: object, name: str) -> None:
    sink = Sink("m.xlsx")
    spec = field_def(name)
    cell = Cell(value, "Sheet1!A1", 1)
    result = _READERS[spec.kind](sink, cell, spec)
    if result is None and not cell.blank:
        assert sink.findings, (name, value)
    if result is not None:
        assert not [f for f in sink.findings if f.severity >= Severity.ERROR]


@given(day=ODD, month=ODD, year=ODD, text=ODD)
def test_composite_readers_take_any_value(day: object, month: object, year: object, text: object) -> None:
    sink = Sink("m")
    cells = [Cell(v, "A1") for v in (day, month, year)]
    date_parts_value(sink, *cells, field_def("issued_date"))
    date_range_value(sink, Cell(text, "A1"), field_def("date_range"))
    number_notation_value(sink, Cell(text, "A1"), field_def("number_notation"))


FILE_KEYS = [k for k in base_json()["files"][0] if k != "documents"] + ["inforSign", "keyword", "box"]
DOC_KEYS = [
    "docOrdinal",
    "typeName",
    "codeNumber",
    "issuedDate",
    "organName",
    "language",
    "numberOfPage",
    "mode",
    "process",
    "files",
]
JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=2),
    max_leaves=5,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    file_values=st.dictionaries(st.sampled_from(FILE_KEYS), JSONISH, max_size=4),
    doc_values=st.dictionaries(st.sampled_from(DOC_KEYS), JSONISH, max_size=4),
)
def test_odd_json_values_give_a_record_or_a_finding(
    file_values: dict[str, object], doc_values: dict[str, object]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        cat = Catalogue(Path(folder))
        data = base_json()
        data["files"][0].update(file_values)
        data["files"][0]["documents"][0].update(doc_values)
        result = cat.run(write_json(cat.tmp, data))
    codes = {f.file_code for f in result.files}
    assert "H40.21.05.2001.02" in codes  # the untouched hồ sơ always survives
    if len(result.files) < 2:
        assert any(s.rows == "/files/0" for s in result.skipped)
        assert result.errors
    for skipped in result.skipped:
        assert skipped.reasons


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cells=st.dictionaries(
        st.sampled_from(
            [
                "Tiêu đề hồ sơ",
                "Thời hạn lưu trữ",
                "STT",
                "Số",
                "Ngày ban hành",
                "Số trang",
                "Đường dẫn",
                "Ngôn ngữ",
                "Mã hồ sơ",
            ]
        ),
        st.one_of(
            st.none(),
            st.integers(-5, 10**6),
            st.floats(allow_nan=False, allow_infinity=False),
            st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=15),
            st.dates(min_value=dt.date(1900, 1, 1)),
            st.booleans(),
        ),
        max_size=4,
    )
)
def test_odd_xlsx_cells_give_a_record_or_a_finding(cells: dict[str, object]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        cat = Catalogue(Path(folder))
        rows = base_rows()
        rows[2].update(cells)
        result = cat.run(cat.xlsx(rows))
    assert result.files[0].file_code == "H40.21.05.2001.01"
    if len(result.files) == 1:
        assert result.errors


NAME = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/\\\x00"),
    min_size=1,
    max_size=24,
).filter(lambda n: n.strip() == n and n not in (".", "..") and not n.startswith(("~", "._", ".~lock")))


@settings(max_examples=40, deadline=None)
@given(
    name=NAME,
    disk_form=st.sampled_from(["NFC", "NFD"]),
    sheet_form=st.sampled_from(["NFC", "NFD"]),
    style=st.sampled_from(["slash", "backslash", "root"]),
)
def test_odd_file_names(name: str, disk_form: str, sheet_form: str, style: str) -> None:
    on_disk = unicodedata.normalize(disk_form, name + ".pdf")
    if len(os.fsencode(on_disk)) > 255 or on_disk.lower() in {"thumbs.db", "desktop.ini", ".ds_store"}:
        return
    with tempfile.TemporaryDirectory() as folder:
        cat = Catalogue(Path(folder), files=("hop01/hoso01/001.pdf", "hop01/hoso02/001.pdf"))
        try:
            cat.add_file(f"hop01/hoso01/{on_disk}", nfd=False)
        except OSError:
            return
        written = unicodedata.normalize(sheet_form, name + ".pdf")
        path = {
            "slash": f"hop01/hoso01/{written}",
            "backslash": f"hop01\\hoso01\\{written}",
            "root": f"\\Phong\\hop01\\hoso01\\{written}",
        }[style]
        rows = base_rows()
        rows[1]["Đường dẫn"] = path
        result = cat.run(cat.csv(rows))
    document_files = [d.files for d in result.files[0].documents] if result.files else []
    if ("hop01/hoso01/" + on_disk,) in document_files:
        assert result.unlisted == ()
    else:
        assert {f.code for f in result.findings} & {
            "ING060",
            "ING061",
            "ING065",
            "ING066",
            "ING069",
            "ING051",
        }
