"""The schema store: pinned official XSDs only, offline resolution, findings for every failure."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import urllib.error
from collections.abc import Sequence
from pathlib import Path

import pytest
from lxml import etree

from luutru_aip.errors import (
    InputError,
    NetworkUnavailableError,
    SchemaHashMismatchError,
    SchemaMissingError,
    SchemaStoreError,
)
from luutru_aip.findings import Finding
from luutru_aip.metadata._xml import parse_xml
from luutru_aip.metadata.schemastore import (
    EARK_METS,
    EARK_METS_WITH_METADATA,
    ENV_SCHEMA_DIR,
    Pin,
    SchemaPin,
    SchemaState,
    SchemaStore,
    accept_package_schema,
    default_store_root,
    pins,
    validate_with,
)

METS_NS = "http://www.loc.gov/METS/"
CSIP_NS = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
METS_LF_SHA256 = "92a993a3886d7c7d64d1a6d19b573ede5783b1f5bf938b1ba92b93ca37590004"


def mets_doc(package_type: str = "SIP", extra: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<mets:mets xmlns:mets="{METS_NS}" xmlns:csip="{CSIP_NS}"
    OBJID="vn-luutru-0001" TYPE="Other" csip:OTHERTYPE="Hồ sơ" csip:OAISPACKAGETYPE="{package_type}">
  <mets:metsHdr CREATEDATE="2024-05-01T08:00:00+07:00">
    <mets:agent ROLE="CREATOR" TYPE="ORGANIZATION">
      <mets:name>Trung tâm Lưu trữ quốc gia</mets:name></mets:agent>
  </mets:metsHdr>{extra}
  <mets:structMap><mets:div LABEL="gói"/></mets:structMap>
</mets:mets>
""".encode()


PREMIS_OK = b"""<premis:premis xmlns:premis="http://www.loc.gov/premis/v3"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" version="3.0">
  <premis:object xsi:type="premis:file">
    <premis:objectIdentifier>
      <premis:objectIdentifierType>local</premis:objectIdentifierType>
      <premis:objectIdentifierValue>f1</premis:objectIdentifierValue>
    </premis:objectIdentifier>
    <premis:objectCharacteristics>
      <premis:format><premis:formatDesignation><premis:formatName>PDF/A-2b</premis:formatName>
      </premis:formatDesignation></premis:format>
    </premis:objectCharacteristics>
  </premis:object>
</premis:premis>"""

EAD3_OK = """<ead xmlns="http://ead3.archivists.org/schema/">
  <control>
    <recordid>vn-001</recordid>
    <filedesc><titlestmt><titleproper>Phông lưu trữ Ủy ban nhân dân tỉnh</titleproper></titlestmt></filedesc>
    <maintenancestatus value="new"/>
    <maintenanceagency><agencyname>Cục Văn thư và Lưu trữ nhà nước</agencyname></maintenanceagency>
    <maintenancehistory><maintenanceevent><eventtype value="created"/>
      <eventdatetime>2024-01-01</eventdatetime><agenttype value="human"/><agent>A</agent>
    </maintenanceevent></maintenancehistory>
  </control>
  <archdesc level="fonds"><did><unittitle>Phông</unittitle></did></archdesc>
</ead>""".encode()


def codes(findings: Sequence[Finding]) -> list[str]:
    return [f.code for f in findings]


@pytest.fixture
def fresh(tmp_path: Path) -> SchemaStore:
    return SchemaStore(tmp_path / "store")


# --------------------------------------------------------------------------- pins


def test_primary_pins_match_the_shared_files(shared_xsd: Path) -> None:
    folder = shared_xsd
    for schema in pins():
        data = (folder / schema.file).read_bytes()
        assert hashlib.sha256(data).hexdigest() == schema.pins[0].sha256, schema.name


def test_lookup_by_name_url_namespace_and_file(schema_store: SchemaStore) -> None:
    assert schema_store.get("mets").file == "mets.xsd"
    assert schema_store.get("HTTPS://WWW.LOC.GOV/standards/mets/version1121/mets.xsd").name == "mets"
    assert schema_store.get("http://www.loc.gov/premis/v3").name == "premis3"
    assert schema_store.get("ead.xsd").name == "ead2002"
    assert schema_store.get("https://dilcis.eu/XML/METS/CSIPExtensionMETS").name == "dilcis-csip"
    with pytest.raises(SchemaStoreError, match="known schemas: mets"):
        schema_store.get("mets2")


def test_default_root_follows_environment(tmp_path: Path) -> None:
    assert default_store_root({ENV_SCHEMA_DIR: str(tmp_path)}) == tmp_path
    assert default_store_root({"XDG_DATA_HOME": "/data"}) == Path("/data/luutru-aip/schemas")
    relative = default_store_root({"XDG_DATA_HOME": "rel"})
    assert relative == Path.home() / ".local/share/luutru-aip/schemas"


def test_default_store_uses_env(schema_store: SchemaStore) -> None:
    assert SchemaStore.default().root == schema_store.root


# --------------------------------------------------------------------------- install


def test_install_from_shared_installs_everything(fresh: SchemaStore, shared_xsd: Path) -> None:
    result = fresh.install_from(shared_xsd)
    assert result.complete
    assert {i.name for i in result.installed} == {s.name for s in pins()}
    assert not result.rejected
    assert {Path(i.source).name for i in result.ignored} == {"catalog.xml", "SOURCES.md", ".gitattributes"}
    assert all(s.state is SchemaState.INSTALLED for s in fresh.status())
    names = sorted(p.name for p in fresh.root.iterdir())
    assert names == sorted([s.file for s in pins()] + ["catalog.xml", "manifest.json"])  # no temp files
    again = fresh.install_from(shared_xsd)
    assert not again.installed
    assert len(again.unchanged) == len(pins())


def test_catalog_maps_official_urls(schema_store: SchemaStore) -> None:
    catalog = etree.parse(str(schema_store.catalog_path))
    ns = {"c": "urn:oasis:names:tc:entity:xmlns:xml:catalog"}
    systems = {e.get("systemId"): e.get("uri") for e in catalog.iterfind("c:system", ns)}
    assert systems["http://www.loc.gov/standards/mets/mets.xsd"] == "mets.xsd"
    assert systems["http://www.loc.gov/standards/xlink/xlink.xsd"] == "xlink.xsd"
    uris = {e.get("name"): e.get("uri") for e in catalog.iterfind("c:uri", ns)}
    assert uris["http://www.loc.gov/premis/v3"] == "premis-v3-0.xsd"


def test_tampered_copy_is_refused(fresh: SchemaStore, tmp_path: Path, shared_xsd: Path) -> None:
    source = tmp_path / "tampered"
    source.mkdir()
    data = bytearray((shared_xsd / "mets.xsd").read_bytes())
    data[5000] ^= 0x01
    (source / "mets.xsd").write_bytes(bytes(data))
    result = fresh.install_from(source)
    assert not result.installed
    assert len(result.rejected) == 1
    reason = result.rejected[0].reason
    assert "mets" in reason
    assert pins()[0].pins[0].sha256 in reason
    assert result.rejected[0].sha256 == hashlib.sha256(bytes(data)).hexdigest()
    assert "mets" in result.missing
    assert not (fresh.root / "mets.xsd").exists()


def test_renamed_file_is_recognised_by_hash(fresh: SchemaStore, tmp_path: Path, shared_xsd: Path) -> None:
    source = tmp_path / "renamed"
    source.mkdir()
    shutil.copy(shared_xsd / "premis-v3-0.xsd", source / "whatever.bin")
    result = fresh.install_from(source)
    assert [i.name for i in result.installed] == ["premis3"]
    assert (fresh.root / "premis-v3-0.xsd").read_bytes() == (source / "whatever.bin").read_bytes()
    statuses = {s.name: s.state for s in fresh.status()}
    assert statuses["premis3"] is SchemaState.INSTALLED
    assert statuses["mets"] is SchemaState.MISSING


def test_lf_variant_of_mets_is_an_alternative_pin(
    fresh: SchemaStore, tmp_path: Path, shared_xsd: Path
) -> None:
    source = tmp_path / "lf"
    source.mkdir()
    lf = (shared_xsd / "mets.xsd").read_bytes().replace(b"\r\n", b"\n")
    assert hashlib.sha256(lf).hexdigest() == METS_LF_SHA256
    (source / "mets.xsd").write_bytes(lf)
    shutil.copy(shared_xsd / "xlink.xsd", source)
    result = fresh.install_from(source)
    assert {i.name for i in result.installed} == {"mets", "xlink"}
    mets = next(s for s in fresh.status() if s.name == "mets")
    assert mets.ok
    assert mets.alternative
    # The preferred (CRLF) pin replaces the alternative; the reverse never happens.
    assert [i.name for i in fresh.install_from(shared_xsd).installed if i.name == "mets"] == ["mets"]
    assert [i.name for i in fresh.install_from(source).unchanged if i.name == "mets"] == ["mets"]
    assert not next(s for s in fresh.status() if s.name == "mets").alternative


def test_install_from_missing_folder(fresh: SchemaStore, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nowhere"):
        fresh.install_from(tmp_path / "nowhere")


def test_status_detects_corruption(fresh: SchemaStore, shared_xsd: Path) -> None:
    fresh.install_from(shared_xsd)
    target = fresh.root / "premis-v3-0.xsd"
    data = bytearray(target.read_bytes())
    data[-10] ^= 0x20
    target.write_bytes(bytes(data))
    premis = next(s for s in fresh.status() if s.name == "premis3")
    assert premis.state is SchemaState.CORRUPT
    assert premis.sha256 == hashlib.sha256(bytes(data)).hexdigest()
    with pytest.raises(SchemaHashMismatchError, match=r"premis-v3-0\.xsd"):
        fresh.load_schema("premis3")
    findings = validate_with(fresh, parse_xml(PREMIS_OK), ["premis3"], path="metadata/premis.xml")
    assert codes(findings) == ["SCH004"]
    assert premis.sha256 in findings[0].message()
    fresh.install_from(shared_xsd)  # repair
    assert validate_with(fresh, parse_xml(PREMIS_OK), ["premis3"]) == []


def test_missing_schema_is_a_finding_not_a_pass(fresh: SchemaStore) -> None:
    assert all(s.state is SchemaState.MISSING for s in fresh.status())
    findings = validate_with(fresh, parse_xml(mets_doc()), EARK_METS, path="METS.xml")
    assert set(codes(findings)) == {"SCH001"}
    assert {f.params["schema"] for f in findings} == {"mets", "xlink", "dilcis-csip", "dilcis-sip"}
    message = findings[0].message("en")
    assert "--from" in message
    assert "--download" in message
    assert "--from" in findings[0].message("vi")
    with pytest.raises(SchemaMissingError, match="schemas install --from"):
        fresh.load_schema("mets")


# --------------------------------------------------------------------------- download


def test_download_offline_raises_with_hint(fresh: SchemaStore) -> None:
    def offline(url: str, timeout: float) -> bytes:
        raise urllib.error.URLError(OSError(101, "Network is unreachable"))

    with pytest.raises(NetworkUnavailableError, match="--from DIR"):
        fresh.install_download(fetch=offline)
    assert not fresh.root.exists() or not any(fresh.root.iterdir())


def test_download_with_real_urllib_to_closed_local_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    with socket.socket() as probe:  # a port that is (very likely) closed: bind, then release
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    xlink = next(s for s in pins() if s.name == "xlink")
    table = [
        SchemaPin(
            name=xlink.name,
            title=xlink.title,
            file=xlink.file,
            namespace=xlink.namespace,
            urls=xlink.urls,
            download=(f"http://127.0.0.1:{port}/xlink.xsd",),
            imports=(),
            pins=xlink.pins,
        )
    ]
    store = SchemaStore(tmp_path / "store", table=table)
    with pytest.raises(NetworkUnavailableError, match="air-gapped"):
        store.install_download(timeout=2.0)


def test_download_checks_pins(fresh: SchemaStore, shared_xsd: Path) -> None:
    served: list[str] = []

    def fake(url: str, timeout: float) -> bytes:
        served.append(url)
        schema = next(s for s in pins() if url in s.download)
        data = (shared_xsd / schema.file).read_bytes()
        if schema.name == "xml":
            return data + b"<!-- changed upstream -->"
        return data

    result = fresh.install_download(fetch=fake)
    assert result.missing == ("xml",)
    assert {r.source for r in result.rejected} == set(next(s for s in pins() if s.name == "xml").download)
    assert all(s.startswith("https://") for s in served)
    assert len(result.installed) == len(pins()) - 1


# --------------------------------------------------------------------------- resolver


def test_resolver_refuses_unknown_urls(schema_store: SchemaStore, tmp_path: Path) -> None:
    evil = tmp_path / "evil.xsd"
    evil.write_text('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:e"/>')
    for location in (evil.as_uri(), "http://evil.example/x.xsd", "file:///etc/passwd"):
        xsd = (
            '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
            f'<xs:import namespace="urn:e" schemaLocation="{location}"/></xs:schema>'
        ).encode()
        resolver = schema_store.resolver()
        with pytest.raises(etree.XMLSchemaParseError):
            etree.XMLSchema(parse_xml(xsd, resolver=resolver))
        assert resolver.refused == [location]


def test_compile_refuses_schema_importing_unknown_url(tmp_path: Path) -> None:
    root = tmp_path / "store"
    root.mkdir()
    data = (
        b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t">'
        b'<xs:import namespace="urn:e" schemaLocation="http://unpinned.example/e.xsd"/></xs:schema>'
    )
    (root / "t.xsd").write_bytes(data)
    pin = Pin(sha256=hashlib.sha256(data).hexdigest(), label="test")
    table = [
        SchemaPin(
            name="t",
            title="T",
            file="t.xsd",
            namespace="urn:t",
            urls=("http://pinned.example/t.xsd",),
            download=(),
            imports=(),
            pins=(pin,),
        )
    ]
    store = SchemaStore(root, table=table)
    with pytest.raises(SchemaStoreError, match=r"unpinned\.example/e\.xsd"):
        store.load_schema("t")


# --------------------------------------------------------------------------- validation


def test_csip_attribute_is_really_checked(schema_store: SchemaStore) -> None:
    assert validate_with(schema_store, parse_xml(mets_doc("SIP")), EARK_METS, path="METS.xml") == []
    findings = validate_with(schema_store, parse_xml(mets_doc("SIPX")), EARK_METS, path="METS.xml")
    assert codes(findings) == ["SCH003"]
    assert "OAISPACKAGETYPE" in findings[0].params["reason"]  # type: ignore[operator]
    assert findings[0].location.line == 3  # libxml2 reports the line where the start tag ends
    assert findings[0].location.path == "METS.xml"
    # Plain METS alone admits the foreign attribute (processContents="lax"): that is why the driver exists.
    assert validate_with(schema_store, parse_xml(mets_doc("SIPX")), ["mets"]) == []


def test_wrapped_premis_is_checked_with_metadata_driver(schema_store: SchemaStore) -> None:
    event = """<premis:event xmlns:premis="http://www.loc.gov/premis/v3">
      <premis:eventIdentifier><premis:eventIdentifierType>local</premis:eventIdentifierType>
        <premis:eventIdentifierValue>e1</premis:eventIdentifierValue></premis:eventIdentifier>
      {event_type}<premis:eventDateTime>2024-05-01T08:00:00+07:00</premis:eventDateTime>
    </premis:event>"""
    for event_type, valid in (("<premis:eventType>ingestion</premis:eventType>", True), ("", False)):
        wrap = f"""
  <mets:amdSec><mets:digiprovMD ID="p1"><mets:mdWrap MDTYPE="PREMIS:EVENT"><mets:xmlData>
    {event.format(event_type=event_type)}
  </mets:xmlData></mets:mdWrap></mets:digiprovMD></mets:amdSec>"""
        doc = parse_xml(mets_doc(extra=wrap))
        assert validate_with(schema_store, doc, EARK_METS) == []  # lax: PREMIS not in the set
        findings = validate_with(schema_store, doc, EARK_METS_WITH_METADATA)
        assert codes(findings) == ([] if valid else ["SCH003"])


def test_valid_premis_passes_and_invalid_fails(schema_store: SchemaStore) -> None:
    assert validate_with(schema_store, parse_xml(PREMIS_OK), ["premis3"]) == []
    bad = PREMIS_OK.replace(b'version="3.0"', b'version="2.2"')
    findings = validate_with(schema_store, parse_xml(bad), ["premis3"], path="premis.xml")
    assert codes(findings) == ["SCH003"]
    assert findings[0].location.line == 2


def test_minimal_ead3_passes(schema_store: SchemaStore) -> None:
    assert validate_with(schema_store, parse_xml(EAD3_OK), ["ead3"]) == []
    bad = EAD3_OK.replace(b"<recordid>vn-001</recordid>", b"")
    assert codes(validate_with(schema_store, parse_xml(bad), ["ead3"])) == ["SCH003"]


def test_error_count_is_capped(schema_store: SchemaStore) -> None:
    divs = "".join(f'<mets:div ORDER="x{i}"/>' for i in range(12))
    doc = mets_doc().replace(b'<mets:div LABEL="g\xc3\xb3i"/>', f"<mets:div>{divs}</mets:div>".encode())
    findings = validate_with(schema_store, parse_xml(doc), ["mets"], path="METS.xml", max_errors=5)
    assert codes(findings) == ["SCH003"] * 5 + ["SCH005"]
    assert findings[-1].params["count"] == 7


def test_schemas_are_cached(schema_store: SchemaStore) -> None:
    assert schema_store.compile_driver(EARK_METS) is schema_store.compile_driver(list(EARK_METS))
    assert schema_store.load_schema("premis3") is schema_store.load_schema("http://www.loc.gov/premis/v3")


def test_every_schema_compiles(schema_store: SchemaStore) -> None:
    schema_store.compile_driver([s.name for s in pins()])


# --------------------------------------------------------------------------- package schemas


def test_package_schema_with_wrong_hash_is_rejected(tmp_path: Path, shared_xsd: Path) -> None:
    good = tmp_path / "mets.xsd"
    shutil.copy(shared_xsd / "mets.xsd", good)
    assert accept_package_schema(good, package_path="schemas/mets.xsd") is None
    bad = tmp_path / "mets-evil.xsd"
    bad.write_bytes(good.read_bytes().replace(b'use="required"', b'use="optional"', 1))
    assert bad.read_bytes() != good.read_bytes()
    result = accept_package_schema(bad, package_path="schemas/mets.xsd")
    assert result is not None
    assert result.code == "SCH002"
    assert result.location.path == "schemas/mets.xsd"
    assert hashlib.sha256(bad.read_bytes()).hexdigest() in result.message("vi")


# --------------------------------------------------------------------------- xmllint agreement


@pytest.mark.needs_xmllint
@pytest.mark.skipif(shutil.which("xmllint") is None, reason="xmllint is not installed")
def test_lxml_and_xmllint_agree(schema_store: SchemaStore, tmp_path: Path) -> None:
    driver = tmp_path / "driver.xsd"
    driver.write_bytes(schema_store.driver_xsd(EARK_METS))
    env = {"PATH": "/usr/bin:/bin", **schema_store.xmllint_env()}
    for value, expect_valid in (("SIP", True), ("NOPE", False)):
        doc = tmp_path / f"mets-{value}.xml"
        doc.write_bytes(mets_doc(value))
        lxml_ok = validate_with(schema_store, parse_xml(doc), EARK_METS) == []
        for schema_arg in (str(driver), None):
            if schema_arg is None:  # plain METS by its official URL, through the catalog
                schema_arg = "http://www.loc.gov/standards/mets/mets.xsd"
            proc = subprocess.run(
                ["xmllint", "--noout", "--nonet", "--catalogs", "--schema", schema_arg, str(doc)],
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=60,
            )
            if schema_arg == str(driver):
                assert (proc.returncode == 0) == lxml_ok == expect_valid, proc.stderr
            else:  # METS alone does not check csip: attributes, in either tool
                assert proc.returncode == 0, proc.stderr
                assert validate_with(schema_store, parse_xml(doc), ["mets"]) == []


def test_package_schema_that_is_a_device_or_fifo_is_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "mets.xsd"
    os.mkfifo(fifo)
    found = accept_package_schema(fifo, package_path="schemas/mets.xsd")  # must not block
    assert found is not None
    assert found.code == "SCH002"
    link = tmp_path / "zero.xsd"
    link.symlink_to("/dev/zero")
    found = accept_package_schema(link, package_path="schemas/zero.xsd")  # must not read forever
    assert found is not None
    assert found.code == "SCH002"
    assert found.location.path == "schemas/zero.xsd"


def test_validate_with_names_the_corrupt_file(tmp_path: Path, shared_xsd: Path) -> None:
    store = SchemaStore(tmp_path / "store")
    store.install_from(shared_xsd)
    target = store.path_of("mets")
    target.write_bytes(target.read_bytes() + b"\n<!-- edited -->\n")
    doc = tmp_path / "doc.xml"
    doc.write_bytes(mets_doc("SIP"))
    found = validate_with(store, parse_xml(doc), ["mets"])
    assert [f.code for f in found] == ["SCH004"]
    assert str(target) in found[0].message("en")
