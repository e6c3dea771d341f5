"""`luutru-aip schemas install|list` through the CLI: pins, tampering, offline download."""

from __future__ import annotations

import json
import shutil
import urllib.error
from pathlib import Path

import pytest
from click.testing import CliRunner

from luutru_aip.cli import main
from luutru_aip.metadata import schemastore


def run(*args: str, store: Path) -> tuple[int, str, str]:
    runner = CliRunner()
    with runner.isolation(env={"LUUTRU_AIP_SCHEMA_DIR": str(store)}) as (out, err, *_):
        code = main(list(args))
        return code, out.getvalue().decode(), err.getvalue().decode()


def test_install_from_shared_then_list(tmp_path: Path, shared_xsd: Path) -> None:
    store = tmp_path / "store"
    code, out, _ = run("schemas", "list", store=store)
    assert code == 1
    assert "missing" in out
    code, out, _ = run("schemas", "install", "--from", str(shared_xsd), store=store)
    assert code == 0, out
    assert "all 9 standard schemas are installed" in out
    code, out, _ = run("schemas", "list", "--json", store=store)
    assert code == 0
    doc = json.loads(out)
    assert doc["complete"] is True
    assert {s["name"] for s in doc["schemas"]} >= {"mets", "premis3", "ead3", "ead2002", "dilcis-csip"}
    assert all(s["state"] == "installed" for s in doc["schemas"])
    # Installing again changes nothing and still succeeds.
    code, out, _ = run("schemas", "install", "--from", str(shared_xsd), "--json", store=store)
    assert code == 0
    assert json.loads(out)["installed"] == []


def test_tampered_folder_is_refused(tmp_path: Path, shared_xsd: Path) -> None:
    source = tmp_path / "xsd"
    shutil.copytree(shared_xsd, source)
    mets = source / "mets.xsd"
    data = bytearray(mets.read_bytes())
    data[200] ^= 0x01
    mets.write_bytes(bytes(data))
    store = tmp_path / "store"
    code, out, err = run("--lang", "vi", "schemas", "install", "--from", str(source), store=store)
    assert code == 1
    assert "TỪ CHỐI" in out
    assert "mets" in out
    assert not (store / "mets.xsd").exists()
    assert "schemas install" in err
    # A corrupted installed file is reported as corrupt by `list`.
    run("schemas", "install", "--from", str(shared_xsd), store=store)
    (store / "premis-v3-0.xsd").write_bytes(b"<xs:schema/>")
    code, out, _ = run("schemas", "list", "--json", store=store)
    assert code == 1
    states = {s["name"]: s["state"] for s in json.loads(out)["schemas"]}
    assert states["premis3"] == "corrupt"


def test_download_offline_fails_with_exit_2_and_says_use_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def offline(url: str, timeout: float) -> bytes:
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(schemastore, "_urllib_fetch", offline)
    code, out, err = run("schemas", "install", "--download", store=tmp_path / "store")
    assert code == 2
    assert out == ""
    assert "--from" in err


def test_install_needs_exactly_one_source(tmp_path: Path, shared_xsd: Path) -> None:
    code, _, err = run("schemas", "install", store=tmp_path / "s")
    assert code == 2
    assert "--from" in err
    code, _, err = run("schemas", "install", "--download", "--from", str(shared_xsd), store=tmp_path / "s")
    assert code == 2
