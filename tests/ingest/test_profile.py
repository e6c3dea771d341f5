"""Archive profile and column-mapping files: merging, the option named in every error, validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from luutru_aip.errors import InputError, UsageError
from luutru_aip.ingest import FIELDS, check_profile, load_mapping, load_profile, read_metadata
from luutru_aip.model import ArchiveProfile

from ._kit import PROFILE

GOOD = (
    'archive_name = "Trung tâm Lưu trữ lịch sử tỉnh Nghệ An"\n'
    'agency_code = "H40.21.05"\n'
    'fonds_code = "P623"\n'
    'default_language = "Tiếng Việt"\n'
)


def write(tmp_path: Path, text: str, name: str = "profile.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_profile_file(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, GOOD))
    assert profile.agency_code == "H40.21.05"
    assert profile.default_language == "01"
    assert profile.effective_archive_code == "H40.21.05"


def test_options_override_the_file(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, GOOD), overrides={"fonds_code": "P700", "fonds_name": None})
    assert profile.fonds_code == "P700"
    assert profile.fonds_name is None


def test_profile_table_form(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, "[profile]\n" + GOOD))
    assert profile.fonds_code == "P623"


@pytest.mark.parametrize(
    ("key", "option"),
    [("archive_name", "--archive-name"), ("agency_code", "--agency-code"), ("fonds_code", "--fonds-code")],
)
def test_missing_detail_names_the_option_and_key(tmp_path: Path, key: str, option: str) -> None:
    text = "\n".join(line for line in GOOD.splitlines() if not line.startswith(key))
    with pytest.raises(UsageError) as info:
        load_profile(write(tmp_path, text))
    assert option in str(info.value)
    assert key in str(info.value)


def test_nothing_at_all_names_every_option() -> None:
    with pytest.raises(UsageError) as info:
        load_profile(None, overrides={})
    message = str(info.value)
    assert all(option in message for option in ("--archive-name", "--agency-code", "--fonds-code"))


def test_unknown_key_and_wrong_type(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="fond_code"):
        load_profile(write(tmp_path, GOOD + 'fond_code = "x"\n'))
    with pytest.raises(UsageError, match="must be text"):
        load_profile(write(tmp_path, GOOD.replace('"P623"', "623")))
    with pytest.raises(UsageError, match="not valid"):
        load_profile(write(tmp_path, "archive_name = "))
    with pytest.raises(UsageError, match="cannot read"):
        load_profile(tmp_path / "nope.toml")


def test_bad_default_language(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--default-language"):
        load_profile(write(tmp_path, GOOD.replace("Tiếng Việt", "Tiếng Klingon")))


def test_profile_from_json_metadata(tmp_path: Path) -> None:
    meta = tmp_path / "metadata.json"
    meta.write_text(
        json.dumps(
            {
                "format": "luutru-aip-metadata/1.0",
                "files": [],
                "profile": {"archive_name": "Lưu trữ", "agency_code": "H40.21.05", "fonds_code": "P1"},
            }
        ),
        encoding="utf-8",
    )
    profile = load_profile(None, overrides={"fonds_code": "P2"}, metadata=meta)
    assert (profile.archive_name, profile.fonds_code) == ("Lưu trữ", "P2")


def test_check_profile() -> None:
    assert check_profile(PROFILE) == ()
    for bad in ("h40.21.05", "H4.21", "H40.21.05.01.02.03", "H40-21"):
        found = check_profile(ArchiveProfile("a", bad, "P1"))
        assert [f.code for f in found] == ["ING080"], bad
    assert check_profile(ArchiveProfile("a", "G09.01", "P1", archive_code="bad")) != ()


MAPPING = 'sheet = "Mục lục"\nheader_row = 4\n[columns]\n"Mã HS" = "file_code"\n"Ghi chú riêng" = "ignore"\n'


def test_mapping_file(tmp_path: Path) -> None:
    mapping = load_mapping(write(tmp_path, MAPPING, "columns.toml"))
    assert (mapping.sheet, mapping.header_row) == ("Mục lục", 4)
    assert mapping.field_for("MÃ HS") == "file_code"
    assert mapping.field_for("ghi chu rieng") == ""
    assert mapping.field_for("Khác") is None


def test_mapping_unknown_field_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, MAPPING + '"Tên" = "titel"\n', "columns.toml")
    with pytest.raises(UsageError, match=r"line 6: unknown field 'titel'"):
        load_mapping(path)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('sheets = "x"\n', "line 1: unknown key 'sheets'"),
        ("header_row = 0\n", "header_row must be a row number"),
        ("sheet = 3\n", "sheet must be text"),
        ("columns = 3\n", "must be a table"),
        ('[columns]\n"A" = 3\n', "must be text"),
        ("[columns\n", "not valid"),
    ],
)
def test_mapping_errors(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(UsageError, match=match):
        load_mapping(write(tmp_path, text, "columns.toml"))


def test_every_field_name_and_header_is_documented() -> None:
    from luutru_aip.findings import catalogue
    from luutru_aip.ingest import fields

    doc = (Path(__file__).parents[2] / "docs" / "metadata-input.md").read_text(encoding="utf-8")
    missing = [name for name in FIELDS if f"`{name}`" not in doc]
    missing += [h for spec in fields().values() for h in (*spec.headers, *spec.legacy) if f'"{h}"' not in doc]
    missing += [code for code in catalogue() if code.startswith("ING") and f"| {code} |" not in doc]
    assert missing == []


def test_read_metadata_refuses_what_cannot_start(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    with pytest.raises(UsageError, match=r"\.xls"):
        read_metadata(tmp_path / "a.xls", source_root=tmp_path / "src", profile=PROFILE)
    with pytest.raises(InputError, match="not found"):
        read_metadata(tmp_path / "a.xlsx", source_root=tmp_path / "src", profile=PROFILE)
    meta = tmp_path / "a.csv"
    meta.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="source folder"):
        read_metadata(meta, source_root=tmp_path / "nope", profile=PROFILE)
