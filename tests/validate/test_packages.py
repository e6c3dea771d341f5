"""E-ARK and TT05 packages end to end: good packages give no finding, inputs are detected, stages gate."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from _bagkit import make_bag
from luutru_aip.errors import InputError, UsageError
from luutru_aip.metadata.schemastore import SchemaStore
from luutru_aip.validate import _context, is_valid, iter_findings, validate

from ._csipkit import Spec, aip_spec, build, sip_spec, tt05_folder_name, tt05_spec, zip_folder

GOOD = {
    "csip": (Spec(ptype="DIP"), "csip"),
    "sip": (sip_spec(), "sip"),
    "aip": (aip_spec(), "aip"),
    "tt05-sip": (tt05_spec("SIP"), "tt05"),
    "tt05-aip": (tt05_spec("AIP"), "tt05"),
}


def _folder(spec: Spec) -> str:
    return tt05_folder_name(spec) if spec.objid.startswith(("uuid-", "urn:")) else spec.objid


def _bag_of(package: Path, bag: Path) -> Path:
    files = {
        "data/" + p.relative_to(package).as_posix(): p.read_bytes()
        for p in sorted(package.rglob("*"))
        if p.is_file()
    }
    made = make_bag(bag, files=files)
    for folder in package.rglob("*"):
        if folder.is_dir():
            (made / "data" / folder.relative_to(package)).mkdir(parents=True, exist_ok=True)
    return made


@pytest.mark.parametrize("name", sorted(GOOD))
@pytest.mark.parametrize("version", ["2.0.4", "2.1.0", "2.2.0"])
def test_good_packages_give_no_finding(
    name: str, version: str, tmp_path: Path, schema_store: SchemaStore
) -> None:
    spec, profile = GOOD[name]
    root = build(tmp_path / _folder(spec), spec)
    report = validate(root, spec_version=version, schema_store=schema_store)
    assert report.profile == profile
    assert report.findings == ()
    assert report.valid


@pytest.mark.parametrize("name", ["csip", "tt05-aip"])
def test_good_packages_as_zip_and_bag(name: str, tmp_path: Path, schema_store: SchemaStore) -> None:
    spec, profile = GOOD[name]
    root = build(tmp_path / "src" / _folder(spec), spec)
    archive = zip_folder(root, tmp_path / "package.zip")
    report = validate(archive, schema_store=schema_store, profile=profile)
    assert report.findings == ()
    bag = _bag_of(root, tmp_path / _folder(spec))
    report = validate(bag, schema_store=schema_store, profile=profile)
    assert report.profile == f"bagit+{profile}"
    assert report.findings == ()


def test_auto_detects_kinds(tmp_path: Path) -> None:
    for name, (spec, profile) in GOOD.items():
        root = build(tmp_path / name / _folder(spec), spec)
        assert validate(root, schemas=False, fast=True).profile == profile
    # a folder holding one package folder is that package (CSIPSTR1)
    assert validate(tmp_path / "aip", schemas=False, fast=True).profile == "aip"


def test_bag_payload_detection(tmp_path: Path) -> None:
    plain = make_bag(tmp_path / "plain")
    assert validate(plain).profile == "bagit"
    report = validate(plain, profile="csip", schemas=False)
    assert report.profile == "bagit+csip"
    assert "IPSTR003" in {f.code for f in report.findings}
    assert any(s.check == "fixity" and "broken" in s.reason for s in report.skipped)


def test_bag_payload_digests_are_reused_and_mismatches_found(tmp_path: Path) -> None:
    root = build(tmp_path / "src" / "pkg-001", Spec())
    bag = _bag_of(root, tmp_path / "pkg-001")
    target = bag / "data" / "documentation" / "readme.txt"
    target.write_bytes(b"Huong dxn\n")  # same size, different bytes
    codes = {f.code for f in validate(bag, schemas=False).findings}
    assert codes == {"BAG022", "METS008", "EASIP001", "EASIP006"}


def test_fast_mode_skips_hashing_schemas_and_content(tmp_path: Path) -> None:
    root = build(tmp_path / "pkg-001", Spec())
    (root / "documentation" / "readme.txt").write_bytes(b"Huong dxn\n")
    report = validate(root, profile="csip", fast=True)
    assert report.findings == ()
    assert {s.check for s in report.skipped} >= {"fixity", "content", "schema.mets", "schema.premis"}
    assert {f.code for f in validate(root, profile="csip", schemas=False).findings} == {"METS008"}


def test_sizes_are_checked_in_fast_mode(tmp_path: Path) -> None:
    root = build(tmp_path / "pkg-001", Spec())
    (root / "documentation" / "readme.txt").write_bytes(b"longer text\n")
    assert {f.code for f in validate(root, profile="csip", fast=True).findings} == {"METS007"}


def test_workers_give_the_same_report(tmp_path: Path) -> None:
    data = {f"d{i % 5}/f{i}.bin": bytes([i % 251]) * (i * 53 % 4000) for i in range(300)}
    root = build(tmp_path / "pkg-001", Spec(data=data))
    (root / "representations/rep1/data/d2/f7.bin").write_bytes(b"\x00" * (7 * 53 % 4000))
    one = validate(root, profile="csip", schemas=False, workers=1)
    two = validate(root, profile="csip", schemas=False, workers=2)
    assert one.findings == two.findings
    assert {f.code for f in one.findings} == {"METS008", "PRM002"}


def test_iter_findings_is_lazy_and_checks_start_up(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        iter_findings(tmp_path / "nope")
    with pytest.raises(UsageError, match="specification version"):
        iter_findings(tmp_path, spec_version="3.0.0")
    with pytest.raises(UsageError, match="format policy"):
        validate(tmp_path, format_policy="pdf-only")
    root = build(tmp_path / "pkg-001", Spec())
    found = iter_findings(root, profile="csip", schemas=False)
    assert list(found) == []
    assert is_valid(root, profile="csip", schemas=False)


def test_schema_errors_are_reported(tmp_path: Path, schema_store: SchemaStore) -> None:
    spec = Spec(
        hooks={"root": lambda t: t.replace('csip:OAISPACKAGETYPE="SIP"', 'csip:OAISPACKAGETYPE="XIP"', 1)}
    )
    root = build(tmp_path / "pkg-001", spec)
    found = validate(root, profile="csip", schema_store=schema_store).findings
    assert {f.code for f in found} == {"EARK014", "SCH003"}
    sch = next(f for f in found if f.code == "SCH003")
    assert "dilcis-csip" in str(sch.params["schema"])
    assert sch.location.line == 3


def test_package_schema_must_be_the_official_one(tmp_path: Path, schema_store: SchemaStore) -> None:
    spec = Spec(schemas={"schemas/mets.xsd": b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>\n'})
    root = build(tmp_path / "pkg-001", spec)
    assert {f.code for f in validate(root, profile="csip", schema_store=schema_store).findings} == {"SCH002"}


def test_missing_schema_store_is_never_a_silent_pass(tmp_path: Path) -> None:
    root = build(tmp_path / "pkg-001", Spec())
    empty = SchemaStore(tmp_path / "empty-store")
    codes = {f.code for f in validate(root, profile="csip", schema_store=empty).findings}
    assert codes == {"SCH001"}


def test_large_documents_are_streamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_context, "TREE_LIMIT", 100)
    data = {f"f{i}.txt": b"x" for i in range(20)}
    root = build(
        tmp_path / "pkg-001",
        Spec(data=data, hooks={"rep": lambda t: t.replace(' MIMETYPE="text/plain"', "", 1)}),
    )
    report = validate(root, profile="csip")
    assert {f.code for f in report.findings} == {"EARK026"}
    assert {"schema.mets.large", "schema.premis.large"} <= {s.check for s in report.skipped}


def test_zip_is_read_in_place_and_structure_is_checked(tmp_path: Path) -> None:
    root = build(tmp_path / "src" / "pkg-001", Spec())
    archive = zip_folder(root, tmp_path / "pkg-001.zip")
    before = set(tmp_path.rglob("*"))
    report = validate(archive, profile="csip", schemas=False)
    assert report.findings == ()
    assert set(tmp_path.rglob("*")) == before  # nothing extracted next to the input
    data = archive.read_bytes()
    (tmp_path / "cut.zip").write_bytes(data[: len(data) // 2])
    cut = validate(tmp_path / "cut.zip", profile="csip")
    assert cut.findings
    assert not cut.valid
    assert any(s.check == "csip" for s in cut.skipped)


def test_zip_with_unsafe_entries(tmp_path: Path) -> None:
    target = tmp_path / "evil.zip"
    with zipfile.ZipFile(target, "w") as zf:
        zf.writestr("pkg/METS.xml", b"<mets/>")
        zf.writestr("pkg/../../escape.txt", b"x")
    codes = {f.code for f in validate(target, profile="csip", schemas=False).findings}
    assert "ZIP003" in codes or any(c.startswith(("ZIP", "PATH")) for c in codes)


def test_not_a_package_is_a_finding(tmp_path: Path) -> None:
    odd = tmp_path / "notes.txt"
    odd.write_bytes(b"hello")
    report = validate(odd)
    assert [f.code for f in report.findings] == ["IO002"]
    with pytest.raises(UsageError, match="bagit"):
        validate(_empty(tmp_path))


def _empty(tmp_path: Path) -> Path:
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00\x01\x02\xff" * 100,
        b"<?xml version='1.0'?>",
        b"<mets:mets xmlns:mets='http://www.loc.gov/METS/'>",
        b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
        "<mets>\udcff</mets>".encode("utf-8", "surrogateescape"),
    ],
)
def test_broken_root_mets_never_crashes(content: bytes, tmp_path: Path) -> None:
    root = build(tmp_path / "pkg-001", Spec())
    (root / "METS.xml").write_bytes(content)
    report = validate(root, profile="csip")
    assert not report.valid
    assert any(s.check == "fixity" for s in report.skipped)


def test_names_in_an_invalid_encoding(tmp_path: Path) -> None:
    root = build(tmp_path / "pkg-001", Spec())
    bad = os.fsencode(str(root / "documentation")) + b"/t\xe9l\xe9.txt"
    with open(bad, "wb") as fh:
        fh.write(b"x")
    codes = {f.code for f in validate(root, profile="csip", schemas=False).findings}
    assert codes == {"PATH012", "METS016"}


def test_cli_validate_e_ark(tmp_path: Path) -> None:
    from luutru_aip.cli import validate as cli_validate

    root = build(tmp_path / "pkg-001", sip_spec())
    archive = zip_folder(root, tmp_path / "pkg-001.zip")
    result = CliRunner().invoke(
        cli_validate.command,
        ["--json", "--no-schemas", "--spec-version", "2.1.0", "--workers", "1", str(root), str(archive)],
        standalone_mode=False,
        catch_exceptions=False,
    )
    assert result.return_value == 0
    doc = json.loads(result.output)
    assert [r["profile"] for r in doc["reports"]] == ["sip", "sip"]
    (root / "documentation" / "readme.txt").write_bytes(b"changed content\n")
    result = CliRunner().invoke(
        cli_validate.command,
        ["--no-schemas", "--fast", "--lang", "vi", "--format-policy", "none", str(root)],
        standalone_mode=False,
        catch_exceptions=False,
    )
    assert result.return_value == 1
    assert "METS007" in result.output


def test_report_to_dict_for_a_package(tmp_path: Path) -> None:
    root = build(tmp_path / "pkg-001", Spec(extra_files={"documentation/stray.txt": b"x"}))
    doc = validate(root, profile="csip", schemas=False).to_dict("vi")
    assert doc["profile"] == "csip"
    assert doc["tool_versions"]["e-ark"] == "2.2.0"
    (item,) = doc["findings"]
    assert item["code"] == "METS016"
    assert "không được" in item["message"]


def test_copy_is_not_modified(tmp_path: Path) -> None:
    root = build(tmp_path / "pkg-001", tt05_spec("SIP"))
    snapshot = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    validate(root, schemas=False)
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == snapshot
    shutil.rmtree(root)


@pytest.mark.parametrize("kind", ["SIP", "AIP"])
def test_packages_from_the_builder_pass_the_independent_validator(
    kind: str, tmp_path: Path, schema_store: SchemaStore
) -> None:
    """The builder is checked by the validator (never the other way round: validate does not import build)."""
    from datetime import datetime

    build_api = pytest.importorskip("luutru_aip.build")
    fixtures = pytest.importorskip("builder._fixtures")
    from luutru_aip.model import VN_TZ, PackageType

    source, record = fixtures.make_source(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    result = build_api.build_package(
        record,
        source_root=source,
        out_dir=out,
        profile=fixtures.PROFILE,
        options=build_api.BuildOptions(package_type=PackageType(kind)),
        clock=datetime(2026, 11, 21, 9, 30, tzinfo=VN_TZ),
        store=schema_store,
    )
    assert result.status != "failed"
    (package,) = list(out.iterdir())
    report = validate(package, schema_store=schema_store)
    assert report.profile == "tt05"
    assert report.findings == ()
    assert report.skipped == ()


def test_bag_inside_a_zip_checks_its_payload(tmp_path: Path) -> None:
    root = build(tmp_path / "src" / "pkg-001", Spec(ptype="DIP"))
    bag = _bag_of(root, tmp_path / "pkg-001")
    archive = zip_folder(bag, tmp_path / "pkg-001.zip")
    report = validate(archive, schemas=False)
    assert report.profile == "csip"
    assert report.findings == ()
    assert [s.check for s in report.skipped if not s.check.startswith("schema")] == ["bagit"]
