"""The TT05 code lists, field tables, 2024 vocabulary and the shared model."""

from __future__ import annotations

import unicodedata
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from luutru_aip import vocab
from luutru_aip.model import (
    VN_TZ,
    ArchiveProfile,
    DocumentRecord,
    FileRecord,
    PartialDate,
    format_vn_time,
    stable_uuid,
)
from luutru_aip.vocab import Status, code_list, field_table, normalise_boolean, normalise_languages


@pytest.mark.parametrize(
    ("name", "raw", "code"),
    [
        ("maintenance", "Vĩnh viễn", "01"),
        ("maintenance", "vinh vien", "01"),
        ("maintenance", "VĨNH VIỄN", "01"),
        ("maintenance", unicodedata.normalize("NFD", "Vĩnh viễn"), "01"),
        ("maintenance", 1, "01"),
        ("maintenance", 1.0, "01"),
        ("maintenance", "01", "01"),
        ("maintenance", "70 năm", "02"),
        ("maintenance", "10", "06"),
        ("language", "Tiếng Việt", "01"),
        ("language", "tieng viet", "01"),
        ("language", "10", "10"),
        ("typeName", "Quyết định", "02"),
        ("typeName", "quyet dinh", "02"),
        ("typeName", "QĐ", "02"),
        ("typeName", "Cong van", "22"),
        ("typeName", "HĐ", "21"),
        ("typeName", "HD", "08"),
        ("mode", "Công khai", "01"),
        ("mode", "Mật", "03"),
        ("format", "Bình thường", "02"),
        ("confidenceLevel", "Số hóa", "02"),
        ("confidenceLevel", "số hoá", "02"),
        ("riskRecoveryStatus", "Đã lập", "01"),
    ],
)
def test_code_lists_normalise(name: str, raw: object, code: str) -> None:
    assert code_list(name).normalise(raw).code == code


@pytest.mark.parametrize(
    ("name", "raw", "status"),
    [
        ("mode", "Hạn chế", Status.AMBIGUOUS),
        ("mode", "han che", Status.AMBIGUOUS),
        ("confidenceLevel", "Bản chính", Status.AMBIGUOUS),
        ("maintenance", "Lâu dài", Status.AMBIGUOUS),
        ("maintenance", "99 năm", Status.UNKNOWN),
        ("maintenance", "", Status.BLANK),
        ("maintenance", None, Status.BLANK),
        ("maintenance", "08", Status.UNKNOWN),
        ("mode", True, Status.UNKNOWN),
    ],
)
def test_code_lists_never_guess(name: str, raw: object, status: Status) -> None:
    result = code_list(name).normalise(raw)
    assert result.status is status
    assert result.code is None


def test_languages_and_booleans() -> None:
    assert [n.code for n in normalise_languages("Tiếng Việt, Tiếng Anh")] == ["06"]
    assert [n.code for n in normalise_languages("Việt - Pháp")] == ["08"]
    assert [n.code for n in normalise_languages("Tiếng Việt; Hán Nôm")] == ["01", "09"]
    assert [n.status for n in normalise_languages("Tiếng Việt, Nhật")] == [Status.MATCHED, Status.AMBIGUOUS]
    assert normalise_boolean("Có").code == "1"
    assert normalise_boolean("khong").code == "0"
    assert normalise_boolean(None).status is Status.BLANK
    assert normalise_boolean("có lẽ").status is Status.UNKNOWN


@given(st.text(max_size=30))
def test_normalise_never_raises(text: str) -> None:
    for name in vocab.CODE_LISTS:
        result = code_list(name).normalise(text)
        assert (result.code is None) or result.code in code_list(name).codes


def test_field_tables() -> None:
    sip = [f.tag_for("SIP") for f in field_table("file", "SIP")]
    aip = [f.tag_for("AIP") for f in field_table("file", "AIP")]
    assert len(sip) == len(aip) == 18
    assert (sip[0], aip[0]) == ("fileCode", "arcFileCode")
    doc_sip = [f.tag for f in field_table("document", "SIP")]
    doc_aip = [f.tag for f in field_table("document", "AIP")]
    assert "docId" in doc_sip
    assert "docId" not in doc_aip
    assert {"arcFileCode", "docOrdinal"} <= set(doc_aip)
    for spec in (*field_table("file", "AIP"), *field_table("document", "SIP")):
        if spec.type == "code":
            assert spec.codelist in vocab.CODE_LISTS
        assert spec.obligation in {"M", "O", "C"}
        assert spec.obligation != "C" or spec.condition
    with pytest.raises(ValueError, match="SIP or AIP"):
        field_table("file", "DIP")


def test_terms_2024() -> None:
    found = vocab.old_terms_in("Danh mục tài liệu lưu trữ QUÝ, HIẾM và thời hạn bảo quản")
    assert {t.new for t in found} == {"tài liệu lưu trữ có giá trị đặc biệt", "thời hạn lưu trữ"}
    assert not vocab.old_terms_in("Kế hoạch lưu trữ dự phòng tài liệu lưu trữ có giá trị đặc biệt")
    assert vocab.terms_version()
    assert all(t.source for t in vocab.terms())


def test_partial_dates() -> None:
    assert PartialDate.parse("15/03/2001").tt05() == "15/03/2001"
    assert PartialDate.parse("15-3-2001").iso() == "2001-03-15"
    assert PartialDate.parse("03/2001") == PartialDate(2001, 3)
    assert PartialDate.parse("2001").tt05() == "2001"
    assert PartialDate.parse("2001-03-15") == PartialDate(2001, 3, 15)
    for bad in ("31/02/2001", "13/2001", "abc", "1/1/99"):
        with pytest.raises(ValueError, match=r"date|range|day|month|year"):
            PartialDate.parse(bad)
    assert not PartialDate(2001, 3).complete


def test_identifiers_and_times() -> None:
    profile = ArchiveProfile("Trung tâm Lưu trữ lịch sử tỉnh", "H40.21.05", "P623", archive_code="H40")
    doc = DocumentRecord(12, "02", PartialDate(2001, 3, 5), "UBND", "Về việc", ("01",), "01", "01")
    record = FileRecord(
        "H40.21.05.2001.01", "t", "01", "01", ("01",), PartialDate(2001), PartialDate(2001), 1, 1, (doc,)
    )
    assert record.doc_code(doc) == "H40.21.05.2001.01.0000012"
    assert record.doc_id(doc) == "H40.21.05.2001.01.12"
    assert record.arc_file_code(profile) == "H40.H40.21.05.2001.01"
    assert record.arc_file_code(ArchiveProfile("a", "H40.21.05", "P1")) == "H40.21.05.H40.21.05.2001.01"
    assert format_vn_time(datetime(2026, 1, 2, 3, 4, 5, 6789, tzinfo=VN_TZ)) == "2026-01-02T03:04:05+07:00"
    with pytest.raises(ValueError, match="timezone"):
        format_vn_time(datetime(2026, 1, 2))
    assert stable_uuid("a", "b") == stable_uuid("a", "b") != stable_uuid("ab")
