"""The example fonds (examples/make_fonds.py, examples/README.md): the clean hồ sơ import with no
warning or error, and each deliberately bad row gives the finding the README promises, at its cell."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from luutru_aip.findings import Severity
from luutru_aip.ingest import IngestResult, load_mapping, load_profile, read_metadata

EXAMPLES = Path(__file__).parents[2] / "examples"
SCRIPT = EXAMPLES / "make_fonds.py"

pytestmark = pytest.mark.skipif(not SCRIPT.is_file(), reason="examples/make_fonds.py is not there")


@pytest.fixture(scope="module")
def fonds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fonds") / "fonds"
    subprocess.run([sys.executable, str(SCRIPT), str(out)], check=True, capture_output=True, timeout=120)
    return out


def _read(fonds: Path, name: str, **kwargs: object) -> IngestResult:
    profile = load_profile(fonds / "profile.toml")
    return read_metadata(fonds / name, source_root=fonds / "Phong", profile=profile, **kwargs)  # type: ignore[arg-type]


def _problems(result: IngestResult, sheet: str) -> set[tuple[str, str | None]]:
    out = set()
    for f in result.findings:
        if f.severity >= Severity.WARNING:
            field = f.location.field.replace(sheet, "Sheet1") if f.location.field else f.location.path
            out.add((f.code, field))
    return out


EXPECTED = {
    ("ING032", "Sheet1!D15"),  # "Lâu dài": a pre-2025 maintenance value with no TT05 code
    ("ING032", "Sheet1!E15"),  # "Hạn chế": ambiguous legacy mode
    ("ING030", "Sheet1!Y19"),  # blank Trích yếu nội dung
    ("ING060", "Sheet1!AC21"),  # listed file absent
    ("ING035", "Sheet1!U22"),  # 31/02/2001
    ("ING063", "hop02/hoso04/006.pdf"),  # on disk, not listed
    ("ING029", "Sheet1!B18"),  # hồ sơ 04 packaged without rows 19, 21, 22
}


@pytest.mark.parametrize(
    ("name", "sheet"), [("muc-luc-ho-so.xlsx", "Sheet1"), ("muc-luc-ho-so.csv", "'muc-luc-ho-so'")]
)
def test_bad_rows_give_the_intended_findings(fonds: Path, name: str, sheet: str) -> None:
    result = _read(fonds, name)
    assert _problems(result, sheet) == EXPECTED
    assert [f.file_code for f in result.files] == [
        "H40.21.05.2001.01",
        "H40.21.05.2001.02",
        "H40.21.05.2001.04",
    ]
    skipped = {(s.file_code, s.rows.replace(sheet, "Sheet1"), s.reasons, s.scope) for s in result.skipped}
    assert skipped == {
        ("H40.21.05.2001.03", "Sheet1!15:17", ("ING032",), "file"),
        ("H40.21.05.2001.04", "Sheet1!19", ("ING030",), "document"),
        ("H40.21.05.2001.04", "Sheet1!21", ("ING060",), "document"),
        ("H40.21.05.2001.04", "Sheet1!22", ("ING035",), "document"),
    }
    assert result.unlisted == ("hop02/hoso04/006.pdf",)
    assert result.ok


def test_clean_files_are_complete(fonds: Path) -> None:
    result = _read(fonds, "muc-luc-ho-so.xlsx")
    first, second, fourth = result.files
    assert [len(f.documents) for f in result.files] == [5, 5, 2]
    assert (first.maintenance, first.mode, first.languages) == ("01", "01", ("01",))
    assert (second.total_doc, second.start_date.tt05(), second.end_date.tt05()) == (
        5,
        "05/04/2001",
        "30/11/2001",
    )
    assert first.confidence_level == "02"
    assert first.paper_file_code is not None
    assert first.risk_recovery is False
    assert [d.ordinal for d in fourth.documents] == [1, 3]
    names = [name for f in result.files[:2] for d in f.documents for name in d.files]
    assert len(names) == 10
    assert all((fonds / "Phong" / name).is_file() for name in names)
    audio = next(d for d in second.documents if d.files[0].endswith(".wav"))
    assert audio.number_of_page is None
    infos = [f for f in result.findings if f.code == "ING062"]
    assert len(infos) == 2  # one NFD-on-disk name, one NFD-in-sheet name


def test_mapping_file_gives_the_same_result(fonds: Path) -> None:
    plain = _read(fonds, "muc-luc-ho-so.xlsx")
    mapped = _read(fonds, "muc-luc-ho-so.xlsx", mapping=load_mapping(fonds / "columns.toml"))
    assert mapped.files == plain.files
    assert _problems(mapped, "Sheet1") == EXPECTED


def test_strict_refuses(fonds: Path) -> None:
    result = _read(fonds, "muc-luc-ho-so.xlsx", strict=True)
    assert not result.ok
    assert {f.code for f in result.blocking} >= {"ING032", "ING030", "ING060", "ING035", "ING063"}
    assert all(f.severity is not Severity.WARNING for f in result.findings)
