"""The EAD3 1.1.1 finding aid: valid against the official ead3.xsd (lxml and xmllint), and faithful."""

from __future__ import annotations

import shutil
import subprocess
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from luutru_aip.errors import InputError
from luutru_aip.metadata import ead3
from luutru_aip.metadata._xml import parse_xml
from luutru_aip.metadata.schemastore import SchemaStore, validate_with
from luutru_aip.model import ArchiveProfile, FileRecord, PackageFile, PackageType

from ._records import (
    MOMENT,
    file_records,
    package_files,
    profiles,
    sample_document,
    sample_profile,
    sample_record,
)

NS = {"e": ead3.EAD3_NS}
FAST = settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TYPES = (PackageType.SIP, PackageType.AIP)


def payload(
    path: str, document: int | None, file_id: str = "ID-1", use: str = "Representations/rep1/Data"
) -> PackageFile:
    return PackageFile(
        path=path,
        size=10,
        sha256="0" * 64,
        file_id=file_id,
        mime="application/pdf",
        created=MOMENT,
        use=use,
        original_name=path.rsplit("/", 1)[-1],
        document=document,
    )


def build(
    record: FileRecord | None = None,
    ptype: PackageType = PackageType.AIP,
    files: list[PackageFile] | None = None,
    profile: ArchiveProfile | None = None,
    **options: object,
) -> bytes:
    return ead3.ead3_finding_aid(
        record or sample_record(),
        profile or sample_profile(),
        ptype,
        files or [],
        created=MOMENT,
        software="luutru-aip 0.1.0",
        **options,  # type: ignore[arg-type]
    )


def tree_of(xml: bytes) -> etree._Element:
    return parse_xml(xml).getroot()


def texts(root: etree._Element, xpath: str) -> list[str]:
    return [str(x) for x in root.xpath(xpath, namespaces=NS)]


# --------------------------------------------------------------------------- validity


@FAST
@given(data=st.data(), ptype=st.sampled_from(TYPES), profile=profiles())
def test_every_finding_aid_is_valid_ead3(
    schema_store: SchemaStore, data: st.DataObject, ptype: PackageType, profile: ArchiveProfile
) -> None:
    record = data.draw(file_records(complete_dates=False, max_documents=3))
    files = data.draw(package_files(record))
    xml = ead3.ead3_finding_aid(record, profile, ptype, files, created=MOMENT, software="luutru-aip 0.1.0")
    assert validate_with(schema_store, parse_xml(xml), ["ead3"], path="metadata/descriptive/EAD3.xml") == []
    assert (
        ead3.ead3_finding_aid(record, profile, ptype, files, created=MOMENT, software="luutru-aip 0.1.0")
        == xml
    )
    root = tree_of(xml)
    # faithful: titles and every dao link survive exactly (NFC/NFD kept, href decodes to the path)
    assert texts(root, "e:archdesc/e:dsc/e:c/e:did/e:unittitle/text()") in ([record.title], [])
    subjects = texts(root, "//e:c[@level='item']/e:did/e:unittitle/text()")
    assert subjects == [d.subject for d in sorted(record.documents, key=lambda d: d.ordinal) if d.subject]
    hrefs = sorted(urllib.parse.unquote(h) for h in texts(root, "//e:dao/@href"))
    assert hrefs == sorted(f.path for f in files)
    for dao in root.iterfind(".//e:dao", NS):
        assert " " not in str(dao.get("href"))


def test_items_follow_documents_and_files_attach_to_the_right_level(schema_store: SchemaStore) -> None:
    record = sample_record(documents=(sample_document(2), sample_document(1)))
    files = [
        payload("representations/rep1/data/hop01/002.pdf", 2, "ID-2"),
        payload("representations/rep1/data/hop01/001b.pdf", 1, "ID-1b"),
        payload("representations/rep1/data/hop01/001a.pdf", 1, "ID-1a"),
        payload("representations/rep1/data/hop01/mucluc.pdf", None, "ID-0"),
        payload("documentation/README.txt", None, "ID-D", use="Documentation"),
    ]
    xml = build(record, files=files)
    assert validate_with(schema_store, parse_xml(xml), ["ead3"]) == []
    root = tree_of(xml)
    items = root.findall("e:archdesc/e:dsc/e:c/e:c", NS)
    assert [i.get("level") for i in items] == ["item", "item"]
    assert texts(root, "//e:c[@level='item']/e:did/e:unitid[@encodinganalog='docCode']/text()") == [
        "H40.21.05.2001.01.0000001",
        "H40.21.05.2001.01.0000002",
    ]
    assert texts(items[0], "e:did/e:dao/@identifier") == ["ID-1a", "ID-1b"]  # sorted by path
    assert texts(items[1], "e:did/e:dao/@identifier") == ["ID-2"]
    assert texts(root, "e:archdesc/e:dsc/e:c/e:did/e:dao/@identifier") == ["ID-0"]
    assert "README" not in xml.decode()


def test_control_and_fonds() -> None:
    profile = ArchiveProfile(
        archive_name="Trung tâm Lưu trữ lịch sử",
        agency_code="H40.21.05",
        fonds_code="P623",
        archive_code="H40",
        repository_name="Kho lưu trữ chuyên dụng",
    )
    record = sample_record(file_code="2001.01")
    aip = tree_of(build(record, PackageType.AIP, profile=profile))
    assert texts(aip, "e:control/e:recordid/text()") == ["H40.2001.01"]
    assert texts(aip, "e:control/e:otherrecordid[@localtype='fileCode']/text()") == ["2001.01"]
    assert texts(aip, "e:control/e:maintenanceagency/e:agencycode/text()") == ["H40.21.05"]
    assert texts(aip, "e:control/e:maintenanceagency/e:agencyname/text()") == ["Trung tâm Lưu trữ lịch sử"]
    assert texts(aip, "e:control/e:languagedeclaration/e:language/@langcode") == ["vie"]
    assert texts(aip, "e:control/e:filedesc/e:titlestmt/e:titleproper/text()") == [record.title]
    assert texts(aip, "e:control/e:maintenancestatus/@value") == ["new"]
    assert texts(aip, "//e:eventdatetime/@standarddatetime") == ["2026-11-21T09:30:00+07:00"]
    assert texts(aip, "//e:maintenanceevent/e:agent/text()") == ["luutru-aip 0.1.0"]
    assert texts(aip, "e:archdesc/@level") == ["fonds"]
    assert texts(aip, "e:archdesc/e:did/e:unitid/text()") == ["P623"]
    assert texts(aip, "e:archdesc/e:did/e:unittitle/text()") == ["P623"]  # no fonds name: the code
    assert texts(aip, "e:archdesc/e:did/e:repository/e:corpname/e:part/text()") == ["Kho lưu trữ chuyên dụng"]
    assert texts(aip, "//e:c[@level='file']/e:did/e:unitid[@localtype='arcFileCode']/text()") == [
        "H40.2001.01"
    ]
    sip = tree_of(build(record, PackageType.SIP, profile=profile))
    assert texts(sip, "e:control/e:recordid/text()") == ["2001.01"]
    assert texts(sip, "e:control/e:otherrecordid") == []
    assert texts(sip, "//e:c[@level='file']/e:did/e:unitid[@localtype='arcFileCode']") == []
    named = tree_of(build(record, profile=sample_profile()))
    assert texts(named, "e:archdesc/e:did/e:unittitle/text()") == ["Phông Ủy ban nhân dân tỉnh"]
    assert texts(named, "e:archdesc/e:did/e:origination/e:corpname/e:part/text()") == [
        "Ủy ban nhân dân tỉnh Khánh Hòa"
    ]


def test_times_are_written_at_plus_seven_and_must_be_aware() -> None:
    utc = datetime(2026, 11, 21, 2, 30, tzinfo=UTC)
    xml = ead3.ead3_finding_aid(
        sample_record(), sample_profile(), PackageType.SIP, [], created=utc, software="x"
    )
    assert b'standarddatetime="2026-11-21T09:30:00+07:00"' in xml
    with pytest.raises(ValueError, match="timezone"):
        ead3.ead3_finding_aid(
            sample_record(), sample_profile(), PackageType.SIP, [], created=datetime(2026, 1, 1), software="x"
        )


def test_dates_pages_and_notes_of_the_file() -> None:
    record = sample_record(risk_recovery=True, risk_recovery_status="02", mode="02", maintenance="04")
    c = tree_of(build(record)).find("e:archdesc/e:dsc/e:c", NS)
    assert c is not None
    assert texts(c, "e:did/e:unitdatestructured/e:daterange/e:fromdate/@standarddate") == ["2001-01-05"]
    assert texts(c, "e:did/e:unitdatestructured/e:daterange/e:todate/text()") == ["28/12/2001"]
    assert texts(c, "e:did/e:physdescstructured[@encodinganalog='numberOfPage']/e:quantity/text()") == ["7"]
    assert texts(c, "e:did/e:physdescstructured[@encodinganalog='numberOfPaper']/e:unittype/text()") == ["tờ"]
    assert texts(c, "e:accessrestrict/e:p/text()") == ["Sử dụng có điều kiện"]
    assert texts(c, "e:appraisal/e:p/text()") == ["30 năm"]
    assert texts(c, "e:altformavail/e:p/text()") == ["Có lập tài liệu lưu trữ dự phòng; tình trạng: chưa lập"]
    assert texts(c, "e:originalsloc/e:p/text()") == ["H40.21.05.K1.G2.H3.01"]
    assert texts(c, "e:controlaccess/e:subject/e:part/text()") == ["Hội đồng", "giá trị tài liệu"]
    partial = sample_record(
        start_date=record.start_date.__class__(2001, 3), end_date=record.end_date.__class__(2002)
    )
    c = tree_of(build(partial)).find("e:archdesc/e:dsc/e:c", NS)
    assert c is not None
    assert texts(c, "e:did/e:unitdatestructured/e:daterange/e:fromdate/@standarddate") == ["2001-03"]
    assert texts(c, "e:did/e:unitdatestructured/e:daterange/e:todate/@standarddate") == ["2002"]
    quiet = sample_record(risk_recovery=False, keywords=(), description=None, paper_file_code=None)
    c = tree_of(build(quiet)).find("e:archdesc/e:dsc/e:c", NS)
    assert c is not None
    for tag in ("altformavail", "odd", "originalsloc"):
        assert c.find(f"e:{tag}", NS) is None
    assert c.find("e:controlaccess", NS) is None


def test_item_details() -> None:
    doc = sample_document(1, code_number="15", code_notation="QĐ-UBND", autograph="Bút phê của Chủ tịch")
    item = tree_of(build(sample_record(documents=(doc,)))).find(".//e:c[@level='item']", NS)
    assert item is not None
    assert texts(item, "e:did/e:unitid[@localtype='codeNumber/codeNotation']/text()") == ["15/QĐ-UBND"]
    assert texts(item, "e:did/e:unitid[@localtype='docId']/text()") == ["H40.21.05.2001.01.1"]
    assert texts(item, "e:did/e:unitdatestructured/e:datesingle/@standarddate") == ["2001-03-15"]
    assert texts(item, "e:did/e:origination/e:corpname/e:part/text()") == [doc.organ_name]
    assert texts(item, "e:controlaccess/e:genreform/@identifier") == ["02"]
    assert texts(item, "e:controlaccess/e:genreform/e:part/text()") == ["Quyết định"]
    assert texts(item, "e:odd[@localtype='autograph']/e:p/text()") == ["Bút phê của Chủ tịch"]
    bare = sample_document(1, code_number=None, code_notation=None, number_of_page=None)
    item = tree_of(build(sample_record(documents=(bare,)))).find(".//e:c[@level='item']", NS)
    assert item is not None
    assert texts(item, "e:did/e:unitid[@localtype='codeNumber/codeNotation']") == []
    assert texts(item, "e:did/e:physdescstructured") == []


# --------------------------------------------------------------------------- languages and dao


@pytest.mark.parametrize(
    ("codes", "languages", "sets"),
    [
        (("01",), ["vie"], []),
        (("06",), ["vie", "eng"], []),
        (("07", "03"), ["vie", "rus", "fra"], []),
        (("10", "05"), ["vie", "zho"], []),
        (("09",), [], [["lzh", "vie"]]),
        (("01", "09"), ["vie"], [["lzh", "vie"]]),
        (("11",), ["und"], []),
    ],
)
def test_language_mapping(
    schema_store: SchemaStore, codes: tuple[str, ...], languages: list[str], sets: list[list[str]]
) -> None:
    xml = build(sample_record(languages=codes, documents=()))
    assert validate_with(schema_store, parse_xml(xml), ["ead3"]) == []
    material = tree_of(xml).find("e:archdesc/e:dsc/e:c/e:did/e:langmaterial", NS)
    assert material is not None
    assert texts(material, "e:language/@langcode") == languages
    assert [texts(s, "e:language/@langcode") for s in material.findall("e:languageset", NS)] == sets
    if sets:
        assert texts(material, "e:languageset/e:script/@scriptcode") == ["Hani"]


def test_iso_languages_labels() -> None:
    assert ead3.iso_languages(["01", "06", "11"]) == [
        ("vie", "Tiếng Việt"),
        ("eng", "Tiếng Anh"),
        ("und", "Ngôn ngữ khác (không xác định)"),
    ]
    assert ead3.iso_languages(["99"]) == [("und", "Ngôn ngữ khác (không xác định)")]
    assert set(ead3.LANGUAGE_CODES) == {f"{n:02d}" for n in range(1, 12)}


@pytest.mark.parametrize(
    ("file_level", "doc_level", "daotype"),
    [
        ("01", None, "borndigital"),
        ("02", None, "derived"),
        ("03", None, "unknown"),
        (None, None, "unknown"),
        ("03", "02", "derived"),
        ("03", "01", "borndigital"),
    ],
)
def test_daotype_follows_confidence_level(
    file_level: str | None, doc_level: str | None, daotype: str
) -> None:
    record = sample_record(
        confidence_level=file_level, documents=(sample_document(1, confidence_level=doc_level),)
    )
    xml = build(record, files=[payload("representations/rep1/data/a.pdf", 1)])
    assert texts(tree_of(xml), "//e:dao/@daotype") == [daotype]
    assert ead3.dao_type(record, record.documents[0]) == daotype


def test_href_is_package_relative_and_percent_encoded() -> None:
    path = "representations/rep1/data/Hồ sơ 01/Quyết định số 15 #1 (50%).pdf"
    xml = build(files=[payload(path, 1)])
    root = tree_of(xml)
    [href] = texts(root, "//e:dao/@href")
    assert href.startswith("representations/rep1/data/H%E1%BB%93%20s%C6%A1%2001/")
    assert "%23" in href
    assert "%25" in href
    assert urllib.parse.unquote(href) == path
    assert texts(root, "//e:dao/@linktitle") == ["Quyết định số 15 #1 (50%).pdf"]
    assert texts(root, "@base") == ["../../"]
    assert texts(tree_of(build(files=[payload(path, 1)], href_base=None)), "@base") == []


def test_control_characters_raise_input_error() -> None:
    with pytest.raises(InputError, match=r"subject contains the character U\+001B"):
        build(sample_record(documents=(sample_document(1, subject="esc \x1b"),)))
    with pytest.raises(InputError, match="archive_name"):
        build(profile=ArchiveProfile("bad\x00", "H40", "P1"))


# --------------------------------------------------------------------------- xmllint agrees


@pytest.mark.needs_xmllint
@pytest.mark.skipif(shutil.which("xmllint") is None, reason="xmllint is not installed")
def test_xmllint_agrees(schema_store: SchemaStore, shared_xsd: Path, tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "XML_CATALOG_FILES": str(shared_xsd / "catalog.xml")}
    files = [
        payload("representations/rep1/data/Hồ sơ/001 a.pdf", 1),
        payload("representations/rep1/data/x.pdf", None),
    ]
    cases = [build(sample_record(), ptype, files) for ptype in TYPES]
    cases.append(build(sample_record(languages=("09", "11"), risk_recovery=True), PackageType.SIP))
    broken = etree.tostring(tree_of(cases[0]), encoding="UTF-8").replace(b'level="item"', b'level="document"')
    cases.append(broken)
    verdicts = []
    for index, xml in enumerate(cases):
        doc = tmp_path / f"EAD3-{index}.xml"
        doc.write_bytes(xml)
        proc = subprocess.run(
            ["xmllint", "--noout", "--nonet", "--schema", ead3.EAD3_SCHEMA_LOCATION, str(doc)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        ours = validate_with(schema_store, parse_xml(xml), ["ead3"]) == []
        assert (proc.returncode == 0) == ours, proc.stderr
        verdicts.append(ours)
    assert verdicts == [True, True, True, False]
