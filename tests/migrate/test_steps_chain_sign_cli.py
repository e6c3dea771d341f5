"""Several steps in a row, signed predecessors and new versions, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from luutru_aip.cli import main
from luutru_aip.findings import Severity
from luutru_aip.metadata.schemastore import SchemaStore
from luutru_aip.migrate import MigrateOptions, default_registry, load_step, migrate_package
from luutru_aip.signing import sign_package, verify_package
from luutru_aip.validate import validate
from signing.conftest import NOW

from .conftest import CLOCK, Pki, tree_digest

PREMIS = "{http://www.loc.gov/premis/v3}"

FUTURE = """
id = "tt05-2025→test-2030"
from = "tt05-2025"
to = "test-2030"
version = "2030.1"
title_vi = "Bước thử nghiệm cho một thay đổi pháp lý sau này"
title_en = "A test step for a later legal change"
baginfo_keys = ["Backup-Category"]

[declaration]
from_content_information_types = ["05/2025/TT-BNV"]
to_content_information_type = "99/2030/TT-BNV"
source = "Thông tư giả định 99/2030/TT-BNV (kiểm thử)"

[codelists.tt05]
title = "TT05 codes"
redefines = []

[[value]]
field = "maintenance"
codes = "tt05"
old = "01"
new = "02"
source = "Thông tư giả định 99/2030/TT-BNV Điều 1 (kiểm thử)"
"""


def _events(package: Path, kind: str) -> list[str]:
    root = etree.parse(str(package / "data/metadata/preservation/PREMIS.xml")).getroot()
    return [
        e.findtext(f".//{PREMIS}eventDetail") or ""
        for e in root.findall(f"{PREMIS}event")
        if e.findtext(f"{PREMIS}eventType") == kind
    ]


def test_several_steps_one_event_each(
    holding: dict[str, Path], tmp_path: Path, schema_store: SchemaStore
) -> None:
    step_file = tmp_path / "steps" / "future.toml"
    step_file.parent.mkdir()
    step_file.write_text(FUTURE, encoding="utf-8")
    registry = default_registry().with_steps([load_step(step_file)])
    assert registry.latest == "test-2030"
    out = tmp_path / "out"
    out.mkdir()
    result = migrate_package(holding["ho-so-nd30"], out, MigrateOptions(clock=CLOCK, registry=registry))
    assert result.status == "migrated", result.findings
    assert result.path is not None
    assert result.steps == ("legacy-2011→tt05-2025", "tt05-2025→test-2030")
    details = _events(result.path, "metadata modification")
    assert len(details) == 2
    assert "phiên bản 2026.1" in details[0]
    assert "phiên bản 2030.1" in details[1]
    assert "maintenance '01' → '02'" in details[1]  # the second step sees the first step's output
    ead = etree.parse(str(result.path / "data/metadata/descriptive/EAD.xml")).getroot()
    assert ead.findtext("maintenance") == "02"
    mets = etree.parse(str(result.path / "data/METS.xml")).getroot()
    assert (
        mets.get("{https://DILCIS.eu/XML/METS/CSIPExtensionMETS}OTHERCONTENTINFORMATIONTYPE")
        == "99/2030/TT-BNV"
    )
    # a version made by the first step alone is one step behind and gets only the second one
    first = migrate_package(holding["ho-so-nd30"], tmp_path, MigrateOptions(clock=CLOCK))
    assert first.path is not None
    second = migrate_package(first.path, out, MigrateOptions(clock=CLOCK, registry=registry))
    assert second.status == "migrated"
    assert second.steps == ("tt05-2025→test-2030",)
    assert second.path is not None
    kept = sorted(p.name for p in (second.path / "data/metadata/preservation/previous").iterdir())
    assert len(kept) == 2  # the first version's previous folder is carried, plus its own


def test_signed_predecessor_still_verifies_and_new_version_is_signed(
    legacy: dict[str, Path], tmp_path: Path, schema_store: SchemaStore, pki: Pki
) -> None:
    bag = legacy["ho-so-nd30"]
    sign_package(bag, signer=pki.default_signer, clock=lambda: NOW)
    assert verify_package(bag, trust=[pki.root_file], clock=lambda: NOW).valid
    before = tree_digest(bag)
    unsigned = tmp_path / "unsigned"
    unsigned.mkdir()
    result = migrate_package(bag, unsigned, MigrateOptions(clock=CLOCK))
    assert result.status == "migrated", result.findings
    assert result.path is not None
    assert "MIG011" in {f.code for f in result.findings}
    kept = next((result.path / "data/metadata/preservation/previous").iterdir())
    assert (kept / "signatures/package.p7s").read_bytes() == (bag / "signatures/package.p7s").read_bytes()
    assert not (result.path / "signatures/package.p7s").exists()
    assert tree_digest(bag) == before
    assert verify_package(bag, trust=[pki.root_file], clock=lambda: NOW).valid

    signed = tmp_path / "signed"
    signed.mkdir()
    result = migrate_package(bag, signed, MigrateOptions(clock=CLOCK, signer=pki.default_signer))
    assert result.status == "migrated", result.findings
    assert result.path is not None
    assert verify_package(result.path, trust=[pki.root_file], clock=lambda: NOW).valid
    report = validate(result.path, profile="tt05", trust=[pki.root_file])
    assert [f.code for f in report.findings if f.severity >= Severity.ERROR] == []
    assert _events(result.path, "digital signature generation")


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["migrate", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_cli_bulk_dry_run_and_summary(
    holding: dict[str, Path], tmp_path: Path, schema_store: SchemaStore, capsys: pytest.CaptureFixture[str]
) -> None:
    storage = holding["ho-so-nd30"].parent
    before = {name: tree_digest(path) for name, path in holding.items()}
    code, output = _cli(capsys, str(storage), "--dry-run", "--json", "-q", "--from-codes", "vendor-2019")
    assert code == 0, output
    document = json.loads(output)
    assert document["format"] == "luutru-aip-migrate/1.0"
    assert document["summary"]["planned"] == 2
    assert all(p["changes"] for p in document["packages"])
    out = tmp_path / "out"
    # without --from-codes the vendor package fails, the other is migrated, and the exit code says so
    code, output = _cli(capsys, str(storage), "--out", str(out), "--clock", CLOCK.isoformat())
    assert code == 1, output
    assert "migrated" in output
    assert "failed" in output
    assert "MIG003" in output
    assert len(list(out.iterdir())) == 1
    code, output = _cli(capsys, str(out), "--out", str(out), "--json", "-q")
    assert code == 0, output
    assert json.loads(output)["summary"]["current"] == 1
    assert {name: tree_digest(path) for name, path in holding.items()} == before
    code, output = _cli(capsys, str(storage))
    assert code == 2
    code, output = _cli(capsys, str(storage), "--dry-run", "--from-codes", "nope")
    assert code == 2
    assert "vendor-2019" in output
