"""Hypothesis strategies and fixed examples of TT05 records for the metadata writer tests.

Text strategies mix Vietnamese with diacritics (in NFC or NFD, never normalised by the writers),
XML-special characters (``& < > " '`` and ``]]>``), white space including CR, astral characters,
and strings exactly at a field's length limit (counted in code points, as XSD counts them).
"""

from __future__ import annotations

import string
import unicodedata
from datetime import date, datetime

from hypothesis import strategies as st

from luutru_aip.model import VN_TZ, ArchiveProfile, DocumentRecord, FileRecord, PackageFile, PartialDate
from luutru_aip.vocab import code_list

VIETNAMESE = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxy"
    "àảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"
    "ĂÂĐÊÔƠƯÀÁẢÃẠẰẮẲẴẶẦẤẨẪẬÈÉẺẼẸỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌỒỐỔỖỘỜỚỞỠỢÙÚỦŨỤỪỨỬỮỰỲÝỶỸỴ"
)
SPECIAL = "&<>\"']"
ALPHABET = string.ascii_letters + string.digits + " .,;:-/()%#?" + VIETNAMESE + SPECIAL + "\t\n\r" + "漢𠀀€"
CODE_ALPHABET = string.ascii_uppercase + string.digits + ".-_"


@st.composite
def texts(draw: st.DrawFn, max_len: int, *, required: bool = True) -> str:
    """Text of at most ``max_len`` code points; NFC, NFD or as drawn; sometimes exactly at the limit."""
    raw = draw(st.text(alphabet=ALPHABET, max_size=min(max_len, 60)))
    if draw(st.booleans()) and draw(st.booleans()):
        raw = raw + "]]>&amp;<!-- x -->"
    form = draw(st.sampled_from(["NFC", "NFD", "as-is"]))
    if draw(st.integers(0, 4)) == 0:  # exactly at the limit
        raw = raw + "Nguyễn Thị Hồng Nhung ệ " * (max_len // 10 + 1)
    if form != "as-is":
        raw = unicodedata.normalize(form, raw)
    raw = raw[:max_len]
    if required and not raw.strip():
        raw = ("Hồ sơ" + raw)[:max_len]
    return raw


def optional(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str | None]:
    return st.none() | strategy


def codes(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from(sorted(code_list(name).codes))


@st.composite
def partial_dates(draw: st.DrawFn, *, complete: bool) -> PartialDate:
    day = draw(st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)))
    precision = 2 if complete else draw(st.integers(0, 2))
    if precision == 2:
        return PartialDate.from_date(day)
    if precision == 1:
        return PartialDate(day.year, day.month)
    return PartialDate(day.year)


def languages() -> st.SearchStrategy[tuple[str, ...]]:
    return st.lists(codes("language"), min_size=1, max_size=4, unique=True).map(tuple)


def keywords() -> st.SearchStrategy[tuple[str, ...]]:
    # at most 3 × 30 + 2 × len("; ") = 94 code points, under keyword's 100
    return st.lists(texts(30), max_size=3).map(tuple)


@st.composite
def documents(draw: st.DrawFn, ordinal: int) -> DocumentRecord:
    return DocumentRecord(
        ordinal=ordinal,
        type_name=draw(codes("typeName")),
        issued_date=draw(partial_dates(complete=True)),
        organ_name=draw(texts(200)),
        subject=draw(texts(500)),
        languages=draw(languages()),
        mode=draw(codes("mode")),
        maintenance=draw(codes("maintenance")),
        number_of_page=draw(st.integers(0, 9999)),
        code_number=draw(optional(texts(11, required=False))),
        code_notation=draw(optional(texts(30, required=False))),
        infor_sign=draw(optional(texts(30, required=False))),
        keywords=draw(keywords()),
        confidence_level=draw(optional(codes("confidenceLevel"))),
        autograph=draw(optional(texts(2000, required=False))),
        physical_state=draw(optional(codes("format"))),
        risk_recovery=draw(st.booleans()),
        risk_recovery_status=draw(optional(codes("riskRecoveryStatus"))),
        process=draw(st.none() | st.booleans()),
        description=draw(optional(texts(500, required=False))),
    )


@st.composite
def file_records(draw: st.DrawFn, *, complete_dates: bool, max_documents: int = 3) -> FileRecord:
    """A FileRecord whose every field is within the TT05 limits (so its simpledc must validate).

    ``complete_dates``: SIPs need ``DD/MM/YYYY``; AIP file dates may be ``MM/YYYY`` or ``YYYY``.
    fileCode stays at most 20 characters so that docId (String 25) = fileCode.ordinal fits.
    """
    ordinals = draw(st.lists(st.integers(1, 9999), max_size=max_documents, unique=True))
    docs = tuple(draw(documents(ordinal)) for ordinal in ordinals)
    return FileRecord(
        file_code=draw(st.text(alphabet=CODE_ALPHABET + "/", min_size=1, max_size=20)),
        title=draw(texts(1000)),
        maintenance=draw(codes("maintenance")),
        mode=draw(codes("mode")),
        languages=draw(languages()),
        start_date=draw(partial_dates(complete=complete_dates)),
        end_date=draw(partial_dates(complete=complete_dates)),
        total_doc=draw(st.integers(0, 9_999_999_999)),
        number_of_page=draw(st.integers(0, 9_999_999_999)),
        documents=docs,
        number_of_paper=draw(st.none() | st.integers(0, 9_999_999_999)),
        physical_state=draw(optional(codes("format"))),
        infor_sign=draw(optional(texts(30, required=False))),
        keywords=draw(keywords()),
        confidence_level=draw(optional(codes("confidenceLevel"))),
        paper_file_code=draw(optional(texts(100, required=False))),
        risk_recovery=draw(st.booleans()),
        risk_recovery_status=draw(optional(codes("riskRecoveryStatus"))),
        description=draw(optional(texts(2000, required=False))),
    )


@st.composite
def profiles(draw: st.DrawFn) -> ArchiveProfile:
    return ArchiveProfile(
        archive_name=draw(texts(200)),
        agency_code=draw(st.sampled_from(["H49.64.33", "G09.01", "H40.21.05"])),
        fonds_code=draw(st.sampled_from(["P623", "P_KHCN", "G09"])),
        fonds_name=draw(optional(texts(200))),
        repository_name=draw(optional(texts(200))),
        creator_name=draw(optional(texts(200))),
    )


#: A moment for PackageFile.created and the EAD3 creation event.
MOMENT = datetime(2026, 11, 21, 9, 30, tzinfo=VN_TZ)

_NAME_ALPHABET = string.ascii_letters + string.digits + " .-_%#?&+'!()[]=~" + VIETNAMESE + "漢"


@st.composite
def package_files(draw: st.DrawFn, record: FileRecord) -> list[PackageFile]:
    """Payload files with odd names (spaces, %, #, ?, NFC/NFD Vietnamese), some of no document."""
    ordinals = [d.ordinal for d in record.documents]
    out: list[PackageFile] = []
    names = draw(st.lists(st.text(alphabet=_NAME_ALPHABET, min_size=1, max_size=30), max_size=4, unique=True))
    for index, name in enumerate(names):
        form = draw(st.sampled_from(["NFC", "NFD"]))
        shown = unicodedata.normalize(form, name.strip(" ") or "x")
        path = f"representations/rep1/data/Hồ sơ {index}/{shown}.pdf"
        out.append(
            PackageFile(
                path=path,
                size=1,
                sha256="0" * 64,
                file_id=f"ID-{index:08d}",
                mime="application/pdf",
                created=MOMENT,
                use="Representations/rep1/Data",
                original_name=f"{shown}.pdf",
                document=draw(st.none() | st.sampled_from(ordinals)) if ordinals else None,
            )
        )
    return out


def sample_profile() -> ArchiveProfile:
    return ArchiveProfile(
        archive_name="Trung tâm Lưu trữ lịch sử tỉnh Khánh Hòa",
        agency_code="H40.21.05",
        fonds_code="P623",
        fonds_name="Phông Ủy ban nhân dân tỉnh",
        creator_name="Ủy ban nhân dân tỉnh Khánh Hòa",
    )


def sample_document(ordinal: int = 1, **changes: object) -> DocumentRecord:
    fields: dict[str, object] = {
        "ordinal": ordinal,
        "type_name": "02",
        "issued_date": PartialDate(2001, 3, 15),
        "organ_name": 'Ủy ban nhân dân tỉnh <Khánh Hòa> & "Sở Nội vụ"',
        "subject": "Về việc thành lập Hội đồng xác định giá trị tài liệu",
        "languages": ("01",),
        "mode": "01",
        "maintenance": "01",
        "number_of_page": 3,
        "code_number": "15",
        "code_notation": "QĐ-UBND",
        "confidence_level": "02",
        "process": None,
        "files": (f"hop01/hoso01/{ordinal:03d}.pdf",),
    }
    fields.update(changes)
    return DocumentRecord(**fields)  # type: ignore[arg-type]


def sample_record(**changes: object) -> FileRecord:
    fields: dict[str, object] = {
        "file_code": "H40.21.05.2001.01",
        "title": "Hồ sơ về việc thành lập Hội đồng xác định giá trị tài liệu năm 2001",
        "maintenance": "01",
        "mode": "01",
        "languages": ("01",),
        "start_date": PartialDate(2001, 1, 5),
        "end_date": PartialDate(2001, 12, 28),
        "total_doc": 2,
        "number_of_page": 7,
        "documents": (sample_document(1), sample_document(2, number_of_page=4, type_name="14")),
        "number_of_paper": 4,
        "physical_state": "01",
        "confidence_level": "02",
        "paper_file_code": "H40.21.05.K1.G2.H3.01",
        "keywords": ("Hội đồng", "giá trị tài liệu"),
        "description": "Người lập hồ sơ: Nguyễn Văn A",
    }
    fields.update(changes)
    return FileRecord(**fields)  # type: ignore[arg-type]
