"""``build`` with a signer: the package is signed last, its PREMIS records the signing, and it verifies."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from builder._fixtures import PROFILE, make_source
from luutru_aip.build import BuildOptions, build_package
from luutru_aip.metadata.schemastore import SchemaStore
from luutru_aip.model import PackageType
from luutru_aip.signing import SIGNATURE_PATH, verify_package
from signing.conftest import NOW, Pki, error_codes


@pytest.mark.parametrize("fmt", ["dir", "bag", "zip"])
def test_signed_build_verifies_and_records_the_event(
    tmp_path: Path, schema_store: SchemaStore, pki: Pki, fmt: str
) -> None:
    source, record = make_source(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    result = build_package(
        record,
        source_root=source,
        out_dir=out,
        profile=PROFILE,
        options=BuildOptions(package_type=PackageType.AIP, format=fmt, signer=pki.default_signer),
        clock=NOW,
        store=schema_store,
    )
    assert result.built, result.findings
    report = verify_package(result.path, trust=[pki.root_file], clock=lambda: NOW)
    assert error_codes(report) == set(), [f.code for f in report.findings]
    if fmt == "zip":
        with zipfile.ZipFile(result.path) as archive:
            names = archive.namelist()
            premis = next(n for n in names if n.endswith("metadata/preservation/PREMIS.xml"))
            text = archive.read(premis).decode("utf-8")
        assert any(n.endswith(SIGNATURE_PATH) for n in names)
    else:
        root = result.path / "data" if fmt == "bag" else result.path
        text = (root / "metadata" / "preservation" / "PREMIS.xml").read_text(encoding="utf-8")
        assert (result.path / SIGNATURE_PATH).is_file()
    assert "digital signature generation" in text


def test_tampering_with_a_signed_build_is_caught(tmp_path: Path, schema_store: SchemaStore, pki: Pki) -> None:
    source, record = make_source(tmp_path)
    result = build_package(
        record,
        source_root=source,
        out_dir=tmp_path,
        profile=PROFILE,
        options=BuildOptions(format="bag", signer=pki.default_signer),
        clock=NOW,
        store=schema_store,
    )
    target = result.path / "data" / "representations" / "rep1" / "data" / "hop01" / "hoso01" / "001.pdf"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 1
    target.write_bytes(bytes(data))
    report = verify_package(result.path, trust=[pki.root_file], clock=lambda: NOW)
    assert error_codes(report)
