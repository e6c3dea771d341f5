"""``luutru-aip build`` and ``luutru-aip ingest`` on the example fonds, through the CLI."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import bagit
import pytest
from click.testing import CliRunner

from luutru_aip.cli import cli
from luutru_aip.errors import LuutruError
from luutru_aip.findings import Severity
from luutru_aip.metadata.schemastore import SchemaStore
from luutru_aip.validate import validate

ROOT = Path(__file__).resolve().parents[2]
CLOCK = "2026-11-21T09:00:00+07:00"


@pytest.fixture(scope="module")
def fonds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = importlib.util.spec_from_file_location("make_fonds", ROOT / "examples" / "make_fonds.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_fonds"] = module
    spec.loader.exec_module(module)
    out = tmp_path_factory.mktemp("fonds") / "demo"
    module.generate(out)
    return out


@pytest.fixture
def env(schema_store: SchemaStore) -> dict[str, str]:
    return {"LUUTRU_AIP_SCHEMA_DIR": str(schema_store.root), "LUUTRU_AIP_LANG": "en"}


def invoke(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run the CLI as ``luutru-aip`` would: the command's return value, or 2 for a LuutruError."""
    result = CliRunner().invoke(cli, args, env=env, standalone_mode=False)
    if isinstance(result.exception, LuutruError):
        return 2, result.stdout, str(result.exception)
    if result.exception is not None:
        raise result.exception
    return int(result.return_value or 0), result.stdout, result.stderr


def _build(fonds: Path, out: Path, env: dict[str, str], *extra: str) -> tuple[int, str, str]:
    args = [
        "build",
        str(fonds / "Phong"),
        "--metadata",
        str(fonds / "muc-luc-ho-so.xlsx"),
        "--profile",
        str(fonds / "profile.toml"),
        "--out",
        str(out),
        "--clock",
        CLOCK,
        *extra,
    ]
    return invoke(args, env)


def test_build_the_example_fonds(fonds: Path, tmp_path: Path, env: dict[str, str]) -> None:
    code, stdout, _ = _build(fonds, tmp_path / "out", env, "--format", "bag", "--json")
    assert code == 1  # the example has bad rows on purpose
    document = json.loads(stdout)
    assert document["format"] == "luutru-aip-build/1.0"
    built = [p for p in document["packages"] if p["status"] == "built"]
    assert sorted(p["file_code"] for p in built) == [
        "H40.21.05.2001.01",
        "H40.21.05.2001.02",
        "H40.21.05.2001.04",
    ]
    for package in built:
        bagit.Bag(package["path"]).validate()
    codes = {f["code"] for f in document["report"]["findings"]}
    assert {"ING032", "ING030", "ING060", "ING035", "ING063", "BLD002"} <= codes
    cells = {f["location"]["field"] for f in document["report"]["findings"] if f["code"] == "ING032"}
    assert "Sheet1!D15" in cells
    skipped = document["skipped"]
    assert any(s["file_code"] == "H40.21.05.2001.03" for s in skipped)
    # --partial-ok judges only what was built
    code, _, _ = _build(fonds, tmp_path / "again", env, "--partial-ok")
    assert code == 0


def test_strict_builds_nothing(fonds: Path, tmp_path: Path, env: dict[str, str]) -> None:
    code, stdout, _ = _build(fonds, tmp_path / "out", env, "--strict")
    assert code == 1
    assert "ING032" in stdout
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_resume_keeps_finished_packages_and_builds_the_rest(
    fonds: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    out = tmp_path / "out"
    _build(fonds, out, env, "--partial-ok")
    packages = sorted(p for p in out.iterdir() if not p.name.startswith("."))
    assert len(packages) == 3
    shutil.rmtree(packages[0])  # as if the run had been killed before the last package
    args = [
        "build",
        str(fonds / "Phong"),
        "--metadata",
        str(fonds / "muc-luc-ho-so.xlsx"),
        "--profile",
        str(fonds / "profile.toml"),
        "--out",
        str(out),
        "--resume",
        "--partial-ok",
    ]
    code, _, _ = invoke(args, env)
    assert code == 0
    assert sorted(p for p in out.iterdir() if not p.name.startswith(".")) == packages
    assert json.loads((out / ".luutru-aip-build.json").read_text(encoding="utf-8"))["clock"] == CLOCK


def test_missing_profile_detail_names_the_option(fonds: Path, tmp_path: Path, env: dict[str, str]) -> None:
    args = ["build", str(fonds / "Phong"), "--metadata", str(fonds / "muc-luc-ho-so.xlsx")]
    code, _, message = invoke([*args, "--out", str(tmp_path / "out"), "--archive-name", "Trung tâm"], env)
    assert code == 2
    assert "--agency-code" in message


def test_ingest_turns_a_sip_into_an_aip_bag(fonds: Path, tmp_path: Path, env: dict[str, str]) -> None:
    code, stdout, _ = _build(fonds, tmp_path / "sips", env, "--type", "sip", "--partial-ok", "--json")
    assert code == 0
    sip = next(
        Path(p["path"]) for p in json.loads(stdout)["packages"] if p["file_code"] == "H40.21.05.2001.01"
    )
    storage = tmp_path / "storage"
    storage.mkdir()
    code, stdout, _ = invoke(
        ["ingest", str(sip), "--storage", str(storage), "--profile", str(fonds / "profile.toml"), "--json"],
        env,
    )
    document = json.loads(stdout)
    assert document["sip_objid"] == sip.name
    aip = Path(document["aip"]["path"])
    assert aip.parent == storage
    assert aip.name.startswith("urn_uuid_")
    bagit.Bag(str(aip)).validate()
    assert (aip / "data" / "submission" / sip.name / "METS.xml").is_file()
    premis = (aip / "data" / "metadata" / "preservation" / "PREMIS.xml").read_text(encoding="utf-8")
    assert sip.name in premis
    assert "information package creation" in premis
    assert code == 0, stdout
    # the AIP is a valid package in its own right: the SIP copy is listed, the SIP is described in PREMIS
    report = validate(aip)
    assert [f.code for f in report.findings if f.severity >= Severity.WARNING] == []


def test_bad_clock_and_damaged_resume_state_name_the_problem(
    fonds: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    code, _, message = _build(fonds, tmp_path / "out", env, "--clock", "yesterday")
    assert code == 2
    assert "--clock 'yesterday'" in message
    out = tmp_path / "resume"
    out.mkdir()
    (out / ".luutru-aip-build.json").write_text("{not json", encoding="utf-8")
    args = ["build", str(fonds / "Phong"), "--metadata", str(fonds / "muc-luc-ho-so.xlsx")]
    code, _, message = invoke(
        [*args, "--profile", str(fonds / "profile.toml"), "--out", str(out), "--resume"], env
    )
    assert code == 2
    assert ".luutru-aip-build.json is damaged" in message
