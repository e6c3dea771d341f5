"""The example fonds generator (examples/make_fonds.py, issue 4 "Examples and tests").

Checks that the generator is deterministic and that what it writes is what examples/README.md
promises: page counts, PDF/A claims, PRONOM identifications, NFC/NFD names, the spreadsheet shape
and the deliberately bad cells at their documented addresses.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import io
import os
import sys
import tomllib
import unicodedata
import wave
import zipfile
from pathlib import Path
from types import ModuleType

import openpyxl
import pikepdf
import pytest

from luutru_aip.identify import identify_path
from luutru_aip.pdf import inspect_pdf

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "make_fonds.py"

NFD_ON_DISK = unicodedata.normalize("NFD", "Quyết định khen thưởng.pdf")
NFC_ON_DISK = unicodedata.normalize("NFC", "Tờ trình xin kinh phí.pdf")

#: relative path (NFC) → pages, written out independently of the script's design table.
PDF_PAGES = {
    "hop01/hoso01/001.pdf": 3,
    "hop01/hoso01/002.pdf": 2,
    "hop01/hoso01/Quyết định khen thưởng.pdf": 4,
    "hop01/hoso01/005.pdf": 3,
    "hop01/hoso02/Tờ trình xin kinh phí.pdf": 2,
    "hop01/hoso02/002.pdf": 3,
    "hop01/hoso02/005.pdf": 2,
    "hop02/hoso03/001.pdf": 2,
    "hop02/hoso03/002.pdf": 2,
    "hop02/hoso03/003.pdf": 3,
    "hop02/hoso04/001.pdf": 2,
    "hop02/hoso04/002.pdf": 1,
    "hop02/hoso04/003.pdf": 2,
    "hop02/hoso04/005.pdf": 1,
    "hop02/hoso04/006.pdf": 2,
}
NO_PDFA_CLAIM = "hop02/hoso04/001.pdf"


@pytest.fixture(scope="module")
def make_fonds() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_fonds", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_fonds"] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop("make_fonds", None)
    return module


@pytest.fixture(scope="module")
def fonds(make_fonds: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fonds") / "out"
    assert make_fonds.main([str(out)]) == 0
    return out


def _tree(root: Path) -> dict[bytes, bytes]:
    """Relative path as raw bytes (keeps NFC/NFD apart) → content."""
    files = {}
    for dirpath, _dirs, names in os.walk(os.fsencode(root)):
        for name in names:
            full = os.path.join(dirpath, name)
            with open(full, "rb") as f:
                files[os.path.relpath(full, os.fsencode(root))] = f.read()
    return files


def _source(fonds: Path, rel: str) -> Path:
    """The on-disk path of a source file named in NFC (the NFD one is spelt as on disk)."""
    rel = rel.replace("Quyết định khen thưởng.pdf", NFD_ON_DISK)
    return fonds / "Phong" / rel


def test_two_runs_are_byte_identical(make_fonds: ModuleType, fonds: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    make_fonds.generate(again)
    first, second = _tree(fonds), _tree(again)
    assert sorted(first) == sorted(second)
    different = [name for name in first if first[name] != second[name]]
    assert different == []
    assert len(first) == 18 + 4  # source files + xlsx, csv, profile, columns


def test_outputs_and_sizes(fonds: Path) -> None:
    assert sorted(p.name for p in fonds.iterdir()) == sorted(
        ["Phong", "muc-luc-ho-so.xlsx", "muc-luc-ho-so.csv", "profile.toml", "columns.toml"]
    )
    files = [p for p in (fonds / "Phong").rglob("*") if p.is_file()]
    assert len(files) == 18
    total = sum(p.stat().st_size for p in files)
    assert 1_000_000 < total < 10_000_000  # "a few MB"
    assert not (fonds / "Phong" / "hop02" / "hoso04" / "004.pdf").exists()  # listed, absent on purpose
    assert (fonds / "Phong" / "hop02" / "hoso04" / "006.pdf").is_file()  # present, not listed
    assert not list(fonds.glob(".make_fonds-*"))


def test_file_times_are_fixed(make_fonds: ModuleType, fonds: Path) -> None:
    stamp = make_fonds.FIXED_TIME.timestamp()
    for path in [fonds / "Phong", *(fonds / "Phong").rglob("*"), fonds / "muc-luc-ho-so.xlsx"]:
        assert path.stat().st_mtime == stamp, path


def test_pdfs_page_counts_images_and_text_layer(fonds: Path) -> None:
    on_disk = sorted(
        unicodedata.normalize("NFC", p.relative_to(fonds / "Phong").as_posix())
        for p in (fonds / "Phong").rglob("*.pdf")
    )
    assert on_disk == sorted(PDF_PAGES)
    assert sum(PDF_PAGES.values()) == 34
    colour = 0
    for rel, pages in PDF_PAGES.items():
        with pikepdf.open(_source(fonds, rel)) as pdf:
            assert len(pdf.pages) == pages, rel
            for page in pdf.pages:
                image = page.Resources.XObject.Im0
                assert image.Filter == pikepdf.Name.FlateDecode
                assert image.BitsPerComponent == 8
                assert image.ColorSpace in (pikepdf.Name.DeviceGray, pikepdf.Name.DeviceRGB)
                colour += image.ColorSpace == pikepdf.Name.DeviceRGB
                dpi = image.Width / (float(page.MediaBox[2]) / 72)
                assert 95 <= dpi <= 155, rel
                content = page.Contents.read_bytes()
                assert b"3 Tr" in content
                assert b"Tj" in content
            assert "/Info" in pdf.trailer
            assert b"D:20240612083000" in bytes(str(pdf.docinfo.CreationDate), "ascii")
    assert colour == 4 + 3  # two colour documents


def test_pdfa_claims_and_a4(fonds: Path) -> None:
    for rel in PDF_PAGES:
        facts = inspect_pdf(_source(fonds, rel))
        assert facts.opened, rel
        assert facts.page_count == PDF_PAGES[rel]
        assert all(p.is_a4 for p in facts.pages), rel
        codes = {f.code for f in facts.findings}
        if rel == NO_PDFA_CLAIM:
            assert (facts.pdfa_part, facts.pdfa_conformance) == (None, None)
            assert codes == {"PDF005"}
        else:
            assert (facts.pdfa_part, facts.pdfa_conformance) == ("2", "B"), rel
            assert codes == set(), rel


def test_pronom_identification(fonds: Path) -> None:
    expected = {
        "hop01/hoso01/004.png": "fmt/11",  # PNG 1.0
        "hop01/hoso02/003.tif": "fmt/353",  # TIFF
        "hop01/hoso02/004.wav": "fmt/141",  # WAVE PCM
        NO_PDFA_CLAIM: "fmt/18",  # PDF 1.4
    }
    expected.update(
        {rel: "fmt/477" for rel in PDF_PAGES if rel not in expected}  # PDF/A-2b (the claim)
    )
    got = {rel: identify_path(str(_source(fonds, rel))).puids for rel in expected}
    assert got == {rel: (puid,) for rel, puid in expected.items()}


def test_images_and_audio_decode(fonds: Path) -> None:
    image_mod = pytest.importorskip("PIL.Image")
    with image_mod.open(fonds / "Phong" / "hop01" / "hoso01" / "004.png") as png:
        png.load()
        assert (png.mode, png.size) == ("L", (827, 1169))
        assert png.info["dpi"][0] == pytest.approx(100, abs=0.1)
        assert 150 < sum(png.tobytes()) / (827 * 1169) < 250  # paper, not black or blank
    with image_mod.open(fonds / "Phong" / "hop01" / "hoso02" / "003.tif") as tif:
        tif.load()
        assert (tif.mode, tif.size) == ("L", (1169, 827))
        assert tif.info["dpi"] == (100, 100)
    with wave.open(str(fonds / "Phong" / "hop01" / "hoso02" / "004.wav")) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 16000)
        assert wav.getnframes() == 3 * 16000


def test_nfc_and_nfd_names(fonds: Path) -> None:
    hoso01 = os.listdir(os.fsencode(fonds / "Phong" / "hop01" / "hoso01"))
    hoso02 = os.listdir(os.fsencode(fonds / "Phong" / "hop01" / "hoso02"))
    assert os.fsencode(NFD_ON_DISK) in hoso01
    assert os.fsencode(unicodedata.normalize("NFC", NFD_ON_DISK)) not in hoso01
    assert os.fsencode(NFC_ON_DISK) in hoso02
    assert os.fsencode(unicodedata.normalize("NFD", NFC_ON_DISK)) not in hoso02
    ws = openpyxl.load_workbook(fonds / "muc-luc-ho-so.xlsx")["Sheet1"]
    nfc_cell, nfd_cell = ws["AC6"].value, ws["AC9"].value
    assert nfc_cell == "\\Phong\\hop01\\hoso01\\" + unicodedata.normalize("NFC", "Quyết định khen thưởng.pdf")
    assert nfd_cell == "hop01\\hoso02\\" + unicodedata.normalize("NFD", NFC_ON_DISK)
    assert unicodedata.is_normalized("NFC", nfc_cell)
    assert not unicodedata.is_normalized("NFC", nfd_cell)


def test_xlsx_shape_and_documented_bad_cells(make_fonds: ModuleType, fonds: Path) -> None:
    wb = openpyxl.load_workbook(fonds / "muc-luc-ho-so.xlsx")
    assert wb.sheetnames == ["Sheet1"]
    ws = wb["Sheet1"]
    assert str(ws["A1"].value).startswith("PHÔNG:")
    assert ws["A2"].value == "MỤC LỤC HỒ SƠ, TÀI LIỆU NĂM 2001"
    header = [c.value for c in ws[3]]
    assert header == list(make_fonds.HEADERS)
    assert "Số và ký\nhiệu hồ sơ" in header
    for old in ("Thời hạn bảo quản", "Tổng số văn bản trong hồ sơ", "Chế độ sử dụng", "Tên loại văn bản"):
        assert old in header
    assert ws.max_row == 23
    assert all(c.value is None for c in ws[14])  # separator row
    assert ws["A23"].value == "Tổng cộng"
    # mixed value shapes
    assert ws["B4"].value == "H40.21.05.2001.01"
    assert ws["B9"].value == "02"
    assert ws["Q4"].value == "001"
    assert ws["S5"].value == 45
    assert isinstance(ws["G9"].value, dt.datetime)
    assert ws["D9"].value == "vinh vien"
    assert ws["R5"].value == "Cong van"
    assert ws["AC13"].value == "hop01\\hoso02\\005.pdf"
    assert ws["AC15"].value == "hop02/hoso03/001.pdf"
    # the deliberately bad cells, at the addresses examples/README.md gives
    assert [ws[f"D{r}"].value for r in (15, 16, 17)] == ["Lâu dài"] * 3
    assert [ws[f"E{r}"].value for r in (15, 16, 17)] == ["Hạn chế"] * 3
    assert ws["Y19"].value is None
    assert ws["X19"].value == "UBND huyện Quỳnh Lưu"
    assert ws["AC21"].value == "\\Phong\\hop02\\hoso04\\004.pdf"
    assert not (fonds / "Phong" / "hop02" / "hoso04" / "004.pdf").exists()
    assert (ws["U22"].value, ws["V22"].value, ws["W22"].value) == (31, 2, 2001)
    assert ws["Z20"].value == 3
    assert ws["AC20"].value == "\\Phong\\hop02\\hoso04\\003.pdf"
    assert PDF_PAGES["hop02/hoso04/003.pdf"] == 2
    paths = [ws[f"AC{r}"].value for r in range(4, 23)]
    assert not any(p and p.endswith("006.pdf") for p in paths)  # on disk, never listed
    # the two clean hồ sơ have every field a build needs
    for r in range(4, 14):
        for col in ("B", "C", "D", "E", "F", "G", "H", "I", "R", "U", "V", "W", "X", "Y", "AC"):
            assert ws[f"{col}{r}"].value not in (None, ""), f"{col}{r}"


def test_xlsx_is_reproducible(fonds: Path) -> None:
    with zipfile.ZipFile(fonds / "muc-luc-ho-so.xlsx") as zf:
        assert {i.date_time for i in zf.infolist()} == {(2024, 6, 12, 1, 30, 0)}
        core = zf.read("docProps/core.xml").decode()
    assert core.count("2024-06-12T01:30:00Z") == 2  # created and modified


def test_csv_matches_xlsx(fonds: Path) -> None:
    raw = (fonds / "muc-luc-ho-so.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    ws = openpyxl.load_workbook(fonds / "muc-luc-ho-so.xlsx")["Sheet1"]
    assert len(rows) == ws.max_row
    assert rows[2] == [c.value for c in ws[3]]
    assert rows[3][6] == "10/01/2001"
    assert rows[8][6] == "05/04/2001"  # an Excel date cell, as Excel shows it
    assert rows[14][8] == "3"  # 3.0
    assert rows[18][24] == ""  # the blank Trích yếu
    for r in range(4, 23):
        for c, cell in enumerate(ws[r]):
            if isinstance(cell.value, str):
                assert rows[r - 1][c] == cell.value, cell.coordinate


def test_profile_and_column_mapping(make_fonds: ModuleType, fonds: Path) -> None:
    profile = tomllib.loads((fonds / "profile.toml").read_text(encoding="utf-8"))
    assert set(profile) == {
        "archive_name",
        "agency_code",
        "fonds_code",
        "fonds_name",
        "archive_code",
        "repository_name",
        "default_language",
        "creator_name",
    }
    assert profile["archive_name"] == "Trung tâm Lưu trữ lịch sử tỉnh Nghệ An"
    assert profile["fonds_code"] == "P623"
    assert profile["agency_code"] == "H40.21.05"
    mapping = tomllib.loads((fonds / "columns.toml").read_text(encoding="utf-8"))
    assert mapping["sheet"] == "Sheet1"
    assert mapping["header_row"] == 3
    ws = openpyxl.load_workbook(fonds / "muc-luc-ho-so.xlsx")["Sheet1"]
    header = {c.value for c in ws[mapping["header_row"]]}
    assert set(mapping["columns"]) <= header
    fields = {
        "file_code", "box", "title", "maintenance", "mode", "language", "start_date", "end_date",
        "total_doc", "number_of_paper", "number_of_page", "physical_state", "infor_sign", "keywords",
        "confidence_level", "paper_file_code", "risk_recovery", "risk_recovery_status",
        "file_description", "doc_ordinal", "type_name", "code_number", "code_notation", "issued_date",
        "organ_name", "subject", "doc_language", "doc_pages", "autograph", "doc_mode",
        "doc_description", "file_path",
    }  # fmt: skip
    assert set(mapping["columns"].values()) <= fields
    assert len(set(mapping["columns"].values())) == len(mapping["columns"])


def test_existing_output_needs_overwrite(make_fonds: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "packages").mkdir(parents=True)
    (out / "packages" / "keep.txt").write_text("mine")
    (out / "profile.toml").write_text("stale")
    assert make_fonds.main([str(out)]) == 2
    assert (out / "profile.toml").read_text() == "stale"
    assert not (out / "Phong").exists()
    assert make_fonds.main([str(out), "--overwrite"]) == 0
    assert "P623" in (out / "profile.toml").read_text(encoding="utf-8")
    assert (out / "packages" / "keep.txt").read_text() == "mine"
    assert not list(out.glob(".make_fonds-*"))


def test_error_leaves_nothing_behind(
    make_fonds: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(root: Path) -> None:
        (root / "Phong").mkdir()
        raise RuntimeError("disk full")

    monkeypatch.setattr(make_fonds, "_write_fonds", broken)
    with pytest.raises(RuntimeError):
        make_fonds.generate(tmp_path / "new")
    assert not (tmp_path / "new").exists()
    (tmp_path / "old").mkdir()
    with pytest.raises(RuntimeError):
        make_fonds.generate(tmp_path / "old")
    assert list((tmp_path / "old").iterdir()) == []
