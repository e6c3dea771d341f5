"""JSON metadata (luutru-aip-metadata/1.0): the schema, pointers in findings, and equivalence with XLSX."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from luutru_aip.ingest import JSON_FORMAT, fields, metadata_schema

from ._kit import Catalogue, base_json, base_rows, codes, only, write_json


@pytest.fixture
def cat(tmp_path: Path) -> Catalogue:
    return Catalogue(tmp_path)


def test_schema_is_valid_2020_12_and_accepts_the_example() -> None:
    schema = metadata_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(base_json())
    assert schema["properties"]["format"]["const"] == JSON_FORMAT


def test_schema_ships_in_the_package() -> None:
    text = (
        resources.files("luutru_aip").joinpath("schemas", "metadata.schema.json").read_text(encoding="utf-8")
    )
    assert json.loads(text)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize(("level", "definition"), [("file", "file"), ("document", "document")])
def test_schema_keys_are_the_tags_of_headers_toml(level: str, definition: str) -> None:
    keys = set(metadata_schema()["$defs"][definition]["properties"])
    tags = {spec.tag for spec in fields().values() if spec.level == level and spec.tag}
    extra = {"documents"} if level == "file" else set()
    assert keys == tags | extra


def test_json_gives_the_same_records_as_xlsx(cat: Catalogue) -> None:
    from_json = cat.run(write_json(cat.tmp, base_json()))
    from_xlsx = cat.run(cat.xlsx(base_rows()))
    assert from_json.findings == ()

    def strip(records: tuple[object, ...]) -> list[object]:
        import attrs

        out = []
        for record in records:
            record = attrs.evolve(record, source=None)  # type: ignore[misc]
            docs = tuple(attrs.evolve(d, source=None) for d in record.documents)  # type: ignore[attr-defined]
            out.append(attrs.evolve(record, documents=docs))  # type: ignore[misc]
        return out

    json_records = strip(from_json.files)
    xlsx_records = strip(from_xlsx.files)
    # the sheet gives code notations for every document; JSON leaves one out on purpose
    assert [r.file_code for r in json_records] == [r.file_code for r in xlsx_records]  # type: ignore[attr-defined]
    assert json_records[1] == xlsx_records[1]
    assert from_json.files[0].source is not None
    assert from_json.files[0].source.pointer == "/files/0"


def test_findings_carry_json_pointers(cat: Catalogue) -> None:
    data = base_json()
    data["files"][0]["documents"][1]["typeName"] = "Thư điện tử"
    data["files"][1]["maintenance"] = "Lâu dài"
    result = cat.run(write_json(cat.tmp, data))
    assert only(result, "ING031").location.field == "/files/0/documents/1/typeName"
    assert only(result, "ING032").location.field == "/files/1/maintenance"
    assert result.skipped[0].rows == "/files/0/documents/1"


def test_missing_required_key_is_reported_at_its_pointer(cat: Catalogue) -> None:
    data = base_json()
    del data["files"][1]["title"]
    result = cat.run(write_json(cat.tmp, data))
    assert only(result, "ING030").location.field == "/files/1/title"


def test_wrong_format_stops_the_import(cat: Catalogue) -> None:
    data = base_json()
    data["format"] = "luutru-aip-metadata/2.0"
    result = cat.run(write_json(cat.tmp, data))
    assert codes(result) == {"ING012"}
    assert result.files == ()
    assert result.unlisted == ()


def test_bad_profile_object_does_not_stop_the_import(cat: Catalogue) -> None:
    data = base_json()
    data["profile"] = {"archive_name": 5}
    result = cat.run(write_json(cat.tmp, data))
    assert only(result, "ING012").location.field == "/profile/archive_name"
    assert len(result.files) == 2


def test_file_entry_that_is_not_an_object(cat: Catalogue) -> None:
    data = base_json()
    data["files"].append("H40.21.05.2001.03")
    result = cat.run(write_json(cat.tmp, data))
    assert only(result, "ING012").location.field == "/files/2"
    assert result.skipped[-1].rows == "/files/2"
    assert len(result.files) == 2


def test_pointer_escapes_keys(cat: Catalogue) -> None:
    data = base_json()
    data["files"][0]["a/b~c"] = 1
    result = cat.run(write_json(cat.tmp, data))
    assert only(result, "ING012").location.field == "/files/0"
    assert "a/b~c" in str(only(result, "ING012").params["reason"])


def test_not_utf8_json(cat: Catalogue) -> None:
    path = cat.tmp / "metadata.json"
    path.write_bytes(json.dumps(base_json(), ensure_ascii=False).encode("utf-16"))
    assert codes(cat.run(path)) == {"ING002"}
