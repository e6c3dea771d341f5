"""xmllint (libxml2's own command) agrees with the schema store on every document we write."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from luutru_aip.metadata.schemastore import EARK_METS, SchemaStore, validate_with
from luutru_aip.model import PackageType

from .builders import all_documents, build_package
from .checks import parse

pytestmark = [
    pytest.mark.needs_xmllint,
    pytest.mark.skipif(shutil.which("xmllint") is None, reason="xmllint is not installed"),
]


def _xmllint(schema: Path, doc: Path, catalog: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "XML_CATALOG_FILES": str(catalog)}
    return subprocess.run(
        ["xmllint", "--noout", "--nonet", "--schema", str(schema), str(doc)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize("ptype", list(PackageType))
def test_xmllint_agrees(
    ptype: PackageType, schema_store: SchemaStore, shared_xsd: Path, tmp_path: Path
) -> None:
    catalog = shared_xsd / "catalog.xml"
    drivers = {}
    for label, names in (("mets", EARK_METS), ("premis", ("premis3",))):
        driver = tmp_path / f"driver-{label}.xsd"
        driver.write_bytes(schema_store.driver_xsd(names))
        drivers[label] = (driver, names)
    package = build_package(30, ptype)
    checked = 0
    for name, data in all_documents(package):
        kind = "premis" if "PREMIS" in name else "mets"
        driver, names = drivers[kind]
        for variant, content in (("good", data), ("bad", _break(data, kind))):
            doc = tmp_path / f"{variant}-{name.replace('/', '_')}"
            doc.write_bytes(content)
            proc = _xmllint(driver, doc, catalog)
            lxml_ok = validate_with(schema_store, parse(content), names) == []
            assert (proc.returncode == 0) == lxml_ok == (variant == "good"), (name, variant, proc.stderr)
            checked += 1
    assert checked == (8 if ptype is PackageType.AIP else 4)


def _break(data: bytes, kind: str) -> bytes:
    """The same document with one schema error only an XSD can see."""
    if kind == "premis":
        broken = data.replace(b"<premis:eventDateTime>", b"<premis:eventDateTimeX>", 1)
        broken = broken.replace(b"</premis:eventDateTime>", b"</premis:eventDateTimeX>", 1)
        if broken == data:  # no events: break an object instead
            broken = data.replace(b'version="3.0"', b'version="9.9"', 1)
        return broken
    return data.replace(b'LOCTYPE="URL"', b'LOCTYPE="FTP"', 1)
