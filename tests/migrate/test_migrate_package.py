"""Migrating pre-2025 AIPs into new TT05 AIP versions (issue 8)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lxml import etree

from luutru_aip.errors import UsageError
from luutru_aip.findings import Severity
from luutru_aip.metadata.schemastore import SchemaStore
from luutru_aip.migrate import PREVIOUS_DIR, MigrateOptions, migrate_package, plan_migration
from luutru_aip.validate import validate

from .conftest import CLOCK, tree_digest

METS = "{http://www.loc.gov/METS/}"
PREMIS = "{http://www.loc.gov/premis/v3}"
DESCRIPTIVE = "data/metadata/descriptive/EAD.xml"


def _codes(result: object) -> set[str]:
    return {f.code for f in result.findings}  # type: ignore[attr-defined]


def _errors(findings: object) -> list[str]:
    return [f"{f.code} {f.message('en')}" for f in findings if f.severity >= Severity.ERROR]  # type: ignore[attr-defined]


def _fields(path: Path) -> dict[str, str]:
    return {c.tag: c.text or "" for c in etree.parse(str(path)).getroot() if isinstance(c.tag, str)}


def test_nd30_package_becomes_a_valid_tt05_version(
    holding: dict[str, Path], tmp_path: Path, schema_store: SchemaStore
) -> None:
    source = holding["ho-so-nd30"]
    before = tree_digest(source)
    old_fields = _fields(source / DESCRIPTIVE)
    result = migrate_package(source, tmp_path, MigrateOptions(clock=CLOCK))
    assert result.status == "migrated", result.findings
    assert result.path is not None
    assert tree_digest(source) == before  # the predecessor is never modified

    report = validate(result.path, profile="tt05")
    assert _errors(report.findings) == []
    assert not [f for f in report.findings if f.severity >= Severity.WARNING]

    new = _fields(result.path / DESCRIPTIVE)
    assert new["maintenance"] == "01"
    assert new["mode"] == "01"
    assert new["riskRecovery"] == "1"
    assert "Creator" not in new
    # free text is byte-identical, old terms and all
    assert new["title"] == old_fields["Title"]
    assert new["description"] == old_fields["Description"]
    assert "bảo hiểm tài liệu lưu trữ" in new["description"]
    assert "MIG010" in _codes(result)

    # the previous metadata is kept unchanged, in the documented place
    kept = list((result.path / "data" / PREVIOUS_DIR).iterdir())
    assert len(kept) == 1
    previous = kept[0]
    for rel in ("METS.xml", "metadata/descriptive/EAD.xml", "metadata/preservation/PREMIS.xml"):
        assert (previous / rel).read_bytes() == (source / "data" / rel).read_bytes()
    assert (previous / "bag-info.txt").read_bytes() == (source / "bag-info.txt").read_bytes()
    # unchanged files keep their bytes
    for rel in ("representations/rep1/metadata/preservation/PREMIS_rep1.xml",):
        assert (result.path / "data" / rel).read_bytes() == (source / "data" / rel).read_bytes()

    # unchanged files keep their METS entries, dates included; rewritten ones get the migration time
    rep = "data/representations/rep1/METS.xml"
    old_files = {f.get("ID"): f.get("CREATED") for f in etree.parse(str(source / rep)).iter(f"{METS}file")}
    new_files = {
        f.get("ID"): f.get("CREATED") for f in etree.parse(str(result.path / rep)).iter(f"{METS}file")
    }
    assert new_files == old_files
    mets = etree.parse(str(result.path / "data/METS.xml")).getroot()
    old_objid = etree.parse(str(source / "data/METS.xml")).getroot().get("OBJID")
    assert result.objid == old_objid
    assert mets.get("OBJID") == result.new_objid != old_objid
    header = mets.find(f"{METS}metsHdr")
    assert header is not None
    assert header.get("RECORDSTATUS") == "REPLACEMENT"
    alts = [(a.get("TYPE"), a.text) for a in header.findall(f"{METS}altRecordID")]
    assert ("PREVIOUSVERSION", old_objid) in alts
    superseded = mets.findall(f".//{METS}digiprovMD[@STATUS='SUPERSEDED']")
    assert len(superseded) == len([p for p in previous.rglob("*") if p.is_file()])

    premis = etree.parse(str(result.path / "data/metadata/preservation/PREMIS.xml")).getroot()
    events = [
        e
        for e in premis.findall(f"{PREMIS}event")
        if e.findtext(f"{PREMIS}eventType") == "metadata modification"
    ]
    assert len(events) == 1
    detail = events[0].findtext(f".//{PREMIS}eventDetail") or ""
    assert "legacy-2011_tt05-2025.toml" in detail
    assert "phiên bản 2026.1" in detail
    assert "maintenance 'Vĩnh viễn' → '01'" in detail
    old_events = (
        etree.parse(str(source / "data/metadata/preservation/PREMIS.xml")).getroot().findall(f"{PREMIS}event")
    )
    assert len(premis.findall(f"{PREMIS}event")) == len(old_events) + 1  # history kept
    bag_info = (result.path / "bag-info.txt").read_text(encoding="utf-8")
    assert "Backup-Category: lưu trữ dự phòng - tài liệu lưu trữ có giá trị đặc biệt" in bag_info
    assert f"External-Identifier: {result.new_objid}" in bag_info


def test_migration_is_idempotent_and_resumable(
    holding: dict[str, Path], tmp_path: Path, schema_store: SchemaStore
) -> None:
    first = migrate_package(holding["ho-so-nd30"], tmp_path, MigrateOptions(clock=CLOCK))
    assert first.status == "migrated"
    assert first.path is not None
    again = migrate_package(first.path, tmp_path, MigrateOptions(clock=CLOCK))
    assert again.status == "current"
    assert again.changes == ()
    assert sorted(p.name for p in tmp_path.iterdir()) == [first.path.name]
    rerun = migrate_package(holding["ho-so-nd30"], tmp_path, MigrateOptions(clock=CLOCK))
    assert rerun.status == "exists"
    assert rerun.path == first.path


def test_code_list_must_be_declared_and_nothing_is_written(
    holding: dict[str, Path], tmp_path: Path, schema_store: SchemaStore
) -> None:
    result = migrate_package(holding["ho-so-vendor"], tmp_path, MigrateOptions(clock=CLOCK))
    assert result.status == "failed"
    assert "MIG003" in _codes(result)
    where = {(f.location.path, f.location.field, f.params.get("found")) for f in result.findings}
    assert ("ho-so-vendor:metadata/descriptive/EAD.xml", "mode", "02") in where
    assert list(tmp_path.iterdir()) == []


def test_vendor_codes_are_mapped_and_content_problems_are_kept(
    holding: dict[str, Path], tmp_path: Path, schema_store: SchemaStore
) -> None:
    result = migrate_package(
        holding["ho-so-vendor"], tmp_path, MigrateOptions(clock=CLOCK, from_codes="vendor-2019")
    )
    assert result.status == "migrated", result.findings
    assert result.path is not None
    changes = {(c.field, c.old, c.new) for c in result.changes}
    assert ("mode", "02", "01") in changes  # vendor 02 Không hạn chế → TT05 01 Công khai
    assert ("language", "05", "11") in changes  # vendor 05 Nhật → TT05 11 Khác
    assert ("fileCode", "fileCode", "arcFileCode") in changes
    # the WAV recording is outside the TT05 format policy: migration keeps it and says so
    assert "MIG013" in _codes(result)
    report = validate(result.path, profile="tt05")
    assert {f.code for f in report.findings if f.severity >= Severity.ERROR} == {"CNT001"}


def test_value_without_tt05_equivalent_is_reported_never_guessed(
    legacy: dict[str, Path], tmp_path: Path, schema_store: SchemaStore
) -> None:
    module = __import__("make_legacy_packages")
    bag = legacy["ho-so-vendor"]
    ead = bag / DESCRIPTIVE
    tree = etree.parse(str(ead))
    level = etree.SubElement(tree.getroot(), "confidenceLevel")
    level.text = "01"  # vendor list: Bản chính
    ead.write_bytes(etree.tostring(tree, xml_declaration=True, encoding="UTF-8"))
    module.reseal(bag)
    out = tmp_path / "out"
    out.mkdir()
    result = migrate_package(bag, out, MigrateOptions(clock=CLOCK, from_codes="vendor-2019"))
    assert result.status == "failed"
    found = [f for f in result.findings if f.code == "MIG005"]
    assert found
    assert found[0].location.field == "confidenceLevel"
    assert found[0].params["found"] == "01"
    assert list(out.iterdir()) == []


def test_damaged_predecessor_is_refused(
    legacy: dict[str, Path], tmp_path: Path, schema_store: SchemaStore
) -> None:
    bag = legacy["ho-so-nd30"]
    victim = next(p for p in (bag / "data/representations/rep1/data").rglob("*.pdf"))
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    out = tmp_path / "out"
    out.mkdir()
    result = migrate_package(bag, out, MigrateOptions(clock=CLOCK))
    assert result.status == "failed"
    assert "MIG007" in _codes(result)
    assert list(out.iterdir()) == []  # no half version, no temporary left


def test_dry_run_plans_and_writes_nothing(holding: dict[str, Path], schema_store: SchemaStore) -> None:
    before = tree_digest(holding["ho-so-nd30"])
    result = plan_migration(holding["ho-so-nd30"], MigrateOptions(clock=CLOCK))
    assert result.status == "planned"
    assert result.new_objid is not None
    fields = {(c.path, c.field) for c in result.changes}
    assert ("metadata/descriptive/EAD.xml", "maintenance") in fields
    assert ("bag-info.txt", "Backup-Category") in fields
    assert ("METS.xml", "csip:OTHERCONTENTINFORMATIONTYPE") in fields
    assert tree_digest(holding["ho-so-nd30"]) == before


def test_folder_output_records_a_migration_event(
    holding: dict[str, Path], tmp_path: Path, schema_store: SchemaStore
) -> None:
    result = migrate_package(holding["ho-so-nd30"], tmp_path, MigrateOptions(clock=CLOCK, format="dir"))
    assert result.status == "migrated", result.findings
    assert result.path is not None
    assert _errors(validate(result.path, profile="tt05").findings) == []
    text = (result.path / "metadata/preservation/PREMIS.xml").read_text(encoding="utf-8")
    assert ">migration<" in text  # the container changed: bag → folder


def test_zip_in_zip_out(holding: dict[str, Path], tmp_path: Path, schema_store: SchemaStore) -> None:
    first = tmp_path / "first"
    first.mkdir()
    zipped = migrate_package(holding["ho-so-nd30"], first, MigrateOptions(clock=CLOCK, format="zip"))
    assert zipped.status == "migrated", zipped.findings
    assert zipped.path is not None
    assert zipped.path.suffix == ".zip"
    assert _errors(validate(zipped.path, profile="tt05").findings) == []
    again = migrate_package(zipped.path, tmp_path, MigrateOptions(clock=CLOCK))
    assert again.status == "current"
    assert [p.name for p in tmp_path.iterdir()] == ["first"]  # nothing left behind by the extraction


def test_symlink_in_predecessor_is_refused(
    legacy: dict[str, Path], tmp_path: Path, schema_store: SchemaStore
) -> None:
    bag = legacy["ho-so-nd30"]
    (bag / "data/representations/rep1/data/escape.pdf").symlink_to("/etc/passwd")
    out = tmp_path / "out"
    out.mkdir()
    result = migrate_package(bag, out, MigrateOptions(clock=CLOCK))
    assert result.status == "failed"
    assert "MIG008" in _codes(result)


def test_undeclared_profile_needs_from_profile(
    legacy: dict[str, Path], tmp_path: Path, schema_store: SchemaStore
) -> None:
    module = __import__("make_legacy_packages")
    bag = legacy["ho-so-nd30"]
    mets = bag / "data/METS.xml"
    tree = etree.parse(str(mets))
    del tree.getroot().attrib["{https://DILCIS.eu/XML/METS/CSIPExtensionMETS}OTHERCONTENTINFORMATIONTYPE"]
    mets.write_bytes(etree.tostring(tree, xml_declaration=True, encoding="UTF-8"))
    module.reseal(bag, keep_declaration=True)
    out = tmp_path / "out"
    out.mkdir()
    result = migrate_package(bag, out, MigrateOptions(clock=CLOCK))
    assert result.status == "failed"
    assert "MIG009" in _codes(result)
    declared = migrate_package(bag, out, MigrateOptions(clock=CLOCK, from_profile="legacy-2011"))
    assert declared.status == "migrated", declared.findings
    shutil.rmtree(out)


def test_output_inside_the_predecessor_is_refused(legacy: dict[str, Path], schema_store: SchemaStore) -> None:
    bag = legacy["ho-so-nd30"]
    before = tree_digest(bag)
    inside = bag / "new-versions"
    inside.mkdir()
    with pytest.raises(UsageError, match="inside the package"):
        migrate_package(bag, inside, MigrateOptions(clock=CLOCK))
    inside.rmdir()
    assert tree_digest(bag) == before
