"""TT05 simpledc writers (EAD.xml, EAD_doc_*.xml), our derived XSDs and the conditional rules."""

from __future__ import annotations

import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from luutru_aip import vocab
from luutru_aip.errors import InputError
from luutru_aip.findings import Finding
from luutru_aip.metadata import tt05
from luutru_aip.metadata._xml import parse_xml
from luutru_aip.model import ArchiveProfile, FileRecord, PackageType, PartialDate

from ._records import file_records, profiles, sample_document, sample_profile, sample_record

ROOT = Path(__file__).resolve().parents[2]
FAST = settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LEVELS = ("file", "document")
TYPES = (PackageType.SIP, PackageType.AIP)


def codes_of(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def expected_file_values(record: FileRecord, profile: ArchiveProfile, ptype: PackageType) -> dict[str, str]:
    """What EAD.xml must say, written out independently of the writer's own tables."""
    ident = "fileCode" if ptype is PackageType.SIP else "arcFileCode"
    code = record.file_code if ptype is PackageType.SIP else record.arc_file_code(profile)
    raw: list[tuple[str, str | None]] = [
        (ident, code),
        ("title", record.title),
        ("maintenance", record.maintenance),
        ("mode", record.mode),
        ("language", ", ".join(record.languages)),
        ("startDate", record.start_date.tt05()),
        ("endDate", record.end_date.tt05()),
        ("keyword", "; ".join(record.keywords) or None),
        ("totalDoc", str(record.total_doc)),
        ("numberOfPaper", None if record.number_of_paper is None else str(record.number_of_paper)),
        ("numberOfPage", str(record.number_of_page)),
        ("format", record.physical_state),
        ("inforSign", record.infor_sign),
        ("confidenceLevel", record.confidence_level),
        ("paperFileCode", record.paper_file_code),
        ("riskRecovery", "1" if record.risk_recovery else "0"),
        ("riskRecoveryStatus", record.risk_recovery_status),
        ("description", record.description),
    ]
    mandatory = {ident, "title", "maintenance", "mode", "language", "startDate", "endDate", "totalDoc"}
    mandatory |= {"numberOfPage", "riskRecovery"}
    return {k: v for k, v in raw if v is not None and (k in mandatory or v.strip())}


# --------------------------------------------------------------------------- writers: properties


@FAST
@given(data=st.data(), ptype=st.sampled_from(TYPES), profile=profiles())
def test_every_file_description_validates_and_round_trips(
    data: st.DataObject, ptype: PackageType, profile: ArchiveProfile
) -> None:
    record = data.draw(file_records(complete_dates=ptype is PackageType.SIP, max_documents=0))
    xml = tt05.simpledc_file(record, profile, ptype)
    assert tt05.check_simpledc(xml, "file", ptype, path="metadata/descriptive/EAD.xml") == []
    back = tt05.read_simpledc(xml)
    assert back == expected_file_values(record, profile, ptype)
    assert list(back) == [
        k for k in (s.tag_for(ptype.value) for s in vocab.field_table("file", ptype.value)) if k in back
    ]  # table order
    assert tt05.simpledc_file(record, profile, ptype) == xml  # deterministic
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<simpledc>")


@FAST
@given(record=file_records(complete_dates=True, max_documents=3), ptype=st.sampled_from(TYPES))
def test_every_document_description_validates_and_round_trips(record: FileRecord, ptype: PackageType) -> None:
    profile = sample_profile()
    for document in record.documents:
        xml = tt05.simpledc_document(record, document, profile, ptype)
        path = f"representations/rep1/metadata/descriptive/{tt05.doc_file_name(record, document)}"
        assert tt05.check_simpledc(xml, "document", ptype, path=path) == []
        back = tt05.read_simpledc(xml)
        assert back == tt05.simpledc_document_values(record, document, profile, ptype)
        assert back["docCode"] == f"{record.file_code}.{document.ordinal:07d}"
        assert back["subject"] == document.subject  # exactly as given: NFD stays NFD
        assert back["organName"] == document.organ_name
        if ptype is PackageType.SIP:
            assert back["docId"] == f"{record.file_code}.{document.ordinal}"
            assert back["maintenance"] == document.maintenance
            assert "arcFileCode" not in back
        else:
            assert back["arcFileCode"] == record.arc_file_code(profile)
            assert back["docOrdinal"] == str(document.ordinal)
            assert "docId" not in back
            assert "riskRecovery" not in back
        assert tt05.simpledc_document(record, document, profile, ptype) == xml


@FAST
@given(record=file_records(complete_dates=True, max_documents=3))
def test_document_file_names_are_safe_and_unique(record: FileRecord) -> None:
    names = [tt05.doc_file_name(record, d) for d in record.documents]
    assert len(set(names)) == len(names)
    for name in names:
        assert name.startswith("EAD_doc_")
        assert name.endswith(".xml")
        assert all(c.isascii() and (c.isalnum() or c in "._-") for c in name)


def test_doc_file_name_examples() -> None:
    record = sample_record()
    assert tt05.doc_file_name(record, record.documents[0]) == "EAD_doc_H40.21.05.2001.01.0000001.xml"
    odd = sample_record(file_code="H05.02/HC:Ư")
    assert tt05.doc_file_name(odd, odd.documents[1]) == "EAD_doc_H05.02_HC__.0000002.xml"


def test_text_is_written_exactly_as_given() -> None:
    nfd = unicodedata.normalize("NFD", "Hồ sơ về việc Đề án")
    record = sample_record(title=nfd, description="  lề trái\r\n và <b>&amp;</b>  ")
    xml = tt05.simpledc_file(record, sample_profile(), PackageType.AIP)
    assert nfd.encode() in xml
    assert unicodedata.normalize("NFC", nfd).encode() not in xml
    back = tt05.read_simpledc(xml)
    assert back["title"] == nfd
    assert back["description"] == "  lề trái\r\n và <b>&amp;</b>  "


def test_empty_optional_fields_are_omitted_and_mandatory_ones_never() -> None:
    record = sample_record(
        keywords=(),
        description="   ",
        infor_sign="",
        physical_state=None,
        number_of_paper=None,
        confidence_level=None,
        paper_file_code=None,
        title="",
    )
    values = tt05.simpledc_file_values(record, sample_profile(), PackageType.SIP)
    for tag in ("keyword", "description", "inforSign", "format", "numberOfPaper", "confidenceLevel"):
        assert tag not in values
    assert values["title"] == ""  # mandatory: written, so the XSD reports it
    xml = tt05.simpledc_file(record, sample_profile(), PackageType.SIP)
    assert b"<keyword" not in xml
    assert b"<description" not in xml
    found = tt05.check_simpledc(xml, "file", PackageType.SIP, path="EAD.xml")
    assert codes_of(found) == ["SCH003"]
    assert "'title'" in found[0].params["reason"]


def test_booleans_are_one_and_zero() -> None:
    record = sample_record(risk_recovery=True, risk_recovery_status="02")
    values = tt05.simpledc_file_values(record, sample_profile(), PackageType.AIP)
    assert values["riskRecovery"] == "1"
    assert values["riskRecoveryStatus"] == "02"
    doc = sample_document(process=False, risk_recovery=False)
    values = tt05.simpledc_document_values(record, doc, sample_profile(), PackageType.SIP)
    assert values["riskRecovery"] == "0"
    assert values["process"] == "0"
    assert "process" not in tt05.simpledc_document_values(
        record, sample_document(process=None), sample_profile(), PackageType.SIP
    )


def test_multiple_languages_are_joined() -> None:
    record = sample_record(languages=("01", "09"))
    assert tt05.simpledc_file_values(record, sample_profile(), PackageType.SIP)["language"] == "01, 09"


def test_characters_xml_cannot_carry_raise_input_error_naming_the_field() -> None:
    with pytest.raises(InputError, match=r"title contains the character U\+0007"):
        tt05.simpledc_file(sample_record(title="bell \x07"), sample_profile(), PackageType.SIP)
    record = sample_record()
    with pytest.raises(InputError, match=r"subject .*U\+FFFE"):
        tt05.simpledc_document(record, sample_document(subject="x\ufffe"), sample_profile(), PackageType.AIP)
    assert tt05.require_xml_text("tab\tok\n\r𠀀", field="x") == "tab\tok\n\r𠀀"


def test_sip_uses_filecode_and_aip_arcfilecode() -> None:
    record = sample_record(file_code="2001.01")
    profile = ArchiveProfile("Lưu trữ", "H40.21.05", "P623", archive_code="H40")
    sip = tt05.read_simpledc(tt05.simpledc_file(record, profile, PackageType.SIP))
    aip = tt05.read_simpledc(tt05.simpledc_file(record, profile, PackageType.AIP))
    assert sip["fileCode"] == "2001.01"
    assert "arcFileCode" not in sip
    assert aip["arcFileCode"] == "H40.2001.01"
    assert "fileCode" not in aip
    assert next(iter(sip)) == "fileCode"
    assert next(iter(aip)) == "arcFileCode"


# --------------------------------------------------------------------------- XSD: negative cases


def _file_xml(ptype: PackageType = PackageType.AIP, **changes: object) -> bytes:
    return tt05.simpledc_file(sample_record(**changes), sample_profile(), ptype)


def _only_sch003(found: list[Finding], element: str) -> str:
    assert codes_of(found) == ["SCH003"], found
    reason = str(found[0].params["reason"])
    assert f"'{element}'" in reason, reason
    return reason


def test_a_wrong_code_fails_naming_the_element() -> None:
    found = tt05.check_simpledc(_file_xml(maintenance="99"), "file", PackageType.AIP, path="EAD.xml")
    reason = _only_sch003(found, "maintenance")
    assert "enumeration" in reason
    assert found[0].location.path == "EAD.xml"
    assert found[0].location.xpath == "/simpledc/maintenance"
    assert found[0].params["schema"] == "tt05-simpledc-file-aip.xsd"
    assert found[0].location.line == 5  # declaration, <simpledc>, arcFileCode, title, maintenance
    doc = sample_document(type_name="33")
    xml = tt05.simpledc_document(sample_record(), doc, sample_profile(), PackageType.SIP)
    _only_sch003(tt05.check_simpledc(xml, "document", PackageType.SIP, path="d.xml"), "typeName")


def test_a_missing_mandatory_element_fails_naming_it() -> None:
    doc = sample_document(number_of_page=None)
    xml = tt05.simpledc_document(sample_record(), doc, sample_profile(), PackageType.AIP)
    assert b"numberOfPage" not in xml
    found = tt05.check_simpledc(xml, "document", PackageType.AIP, path="d.xml")
    assert codes_of(found) == ["SCH003"]
    assert "numberOfPage" in str(found[0].params["reason"])
    tree = parse_xml(_file_xml())
    root = tree.getroot()
    root.remove(root.find("title"))
    found = tt05.check_simpledc(tree, "file", PackageType.AIP, path="EAD.xml")
    assert codes_of(found) == ["SCH003"]
    assert "title" in str(found[0].params["reason"])


@pytest.mark.parametrize(
    ("field", "limit", "element"),
    [
        ("title", 1000, "title"),
        ("description", 2000, "description"),
        ("paper_file_code", 100, "paperFileCode"),
    ],
)
def test_an_overlong_string_fails_and_the_limit_itself_passes(field: str, limit: int, element: str) -> None:
    at_limit = ("ệ" * limit)[:limit]
    assert tt05.check_simpledc(_file_xml(**{field: at_limit}), "file", PackageType.AIP, path="EAD.xml") == []
    reason = _only_sch003(
        tt05.check_simpledc(_file_xml(**{field: at_limit + "a"}), "file", PackageType.AIP, path="EAD.xml"),
        element,
    )
    assert "maxLength" in reason


def test_lengths_count_code_points_so_nfd_text_is_longer() -> None:
    nfc = "ệ" * 1000
    nfd = unicodedata.normalize("NFD", nfc)
    assert tt05.check_simpledc(_file_xml(title=nfc), "file", PackageType.AIP, path="EAD.xml") == []
    _only_sch003(tt05.check_simpledc(_file_xml(title=nfd), "file", PackageType.AIP, path="EAD.xml"), "title")


def test_a_blank_mandatory_string_fails() -> None:
    found = tt05.check_simpledc(_file_xml(title=" \n\t "), "file", PackageType.AIP, path="EAD.xml")
    _only_sch003(found, "title")


@pytest.mark.parametrize(
    ("start", "sip_ok", "aip_ok"),
    [
        (PartialDate(2001, 3, 5), True, True),
        (PartialDate(2001, 3), False, True),
        (PartialDate(2001), False, True),
    ],
)
def test_partial_dates_only_in_aip_file_dates(start: PartialDate, sip_ok: bool, aip_ok: bool) -> None:
    for ptype, ok in ((PackageType.SIP, sip_ok), (PackageType.AIP, aip_ok)):
        found = tt05.check_simpledc(_file_xml(ptype, start_date=start), "file", ptype, path="EAD.xml")
        if ok:
            assert found == []
        else:
            _only_sch003(found, "startDate")
    doc = sample_document(issued_date=PartialDate(2001, 3))
    xml = tt05.simpledc_document(sample_record(), doc, sample_profile(), PackageType.AIP)
    _only_sch003(tt05.check_simpledc(xml, "document", PackageType.AIP, path="d.xml"), "issuedDate")


def _with(xml: bytes, tag: str, text: str) -> bytes:
    tree = parse_xml(xml)
    element = tree.getroot().find(tag)
    assert element is not None
    element.text = text
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


@pytest.mark.parametrize(
    ("tag", "value", "ok"),
    [
        ("language", "01, 02", True),
        ("language", "01, 09, 11", True),
        ("language", "01,02", False),
        ("language", "01; 02", False),
        ("language", "12", False),
        ("language", "", False),
        ("totalDoc", "0000000001", True),
        ("totalDoc", "12345678901", False),
        ("totalDoc", "-1", False),
        ("totalDoc", "", False),
        ("riskRecovery", "1", True),
        ("riskRecovery", "true", False),
        ("startDate", "31/12/2001", True),
        ("startDate", "2001-12-31", False),
        ("startDate", "1/2/2001", False),
        ("numberOfPaper", "", True),  # an empty optional element is "no value" (other tools write them)
        ("format", "", True),
        ("format", "04", False),
        ("confidenceLevel", "02", True),
    ],
)
def test_field_forms(tag: str, value: str, ok: bool) -> None:
    xml = _with(_file_xml(PackageType.SIP), tag, value)
    found = tt05.check_simpledc(xml, "file", PackageType.SIP, path="EAD.xml")
    if ok:
        assert found == []
    else:
        _only_sch003(found, tag)


def test_order_root_and_namespace_matter() -> None:
    tree = parse_xml(_file_xml())
    root = tree.getroot()
    title = root.find("title")
    root.remove(title)
    root.append(title)
    assert codes_of(tt05.check_simpledc(tree, "file", PackageType.AIP, path="EAD.xml")) == ["SCH003"]
    other = b"<?xml version='1.0' encoding='UTF-8'?><dc/>"
    assert codes_of(tt05.check_simpledc(other, "file", PackageType.AIP, path="EAD.xml")) == ["SCH003"]
    namespaced = _file_xml().replace(b"<simpledc>", b'<simpledc xmlns="http://purl.org/dc/elements/1.1/">')
    assert codes_of(tt05.check_simpledc(namespaced, "file", PackageType.AIP, path="EAD.xml")) == ["SCH003"]
    sip_in_aip = _file_xml(PackageType.SIP)
    _only_sch003(tt05.check_simpledc(sip_in_aip, "file", PackageType.AIP, path="EAD.xml"), "fileCode")


def test_bad_xml_gives_xml_findings_and_many_errors_are_capped() -> None:
    found = tt05.check_simpledc(b"<simpledc><title>", "file", PackageType.SIP, path="EAD.xml")
    assert codes_of(found) == ["XML001"]
    assert found[0].location.path == "EAD.xml"
    xml = _with(_with(_file_xml(), "maintenance", "x"), "mode", "y")
    found = tt05.check_simpledc(xml, "file", PackageType.AIP, path="EAD.xml", max_errors=1)
    assert codes_of(found) == ["SCH003", "SCH005"]
    assert found[1].params["count"] == 1
    element = parse_xml(_file_xml()).getroot()
    assert tt05.check_simpledc(element, "file", PackageType.AIP, path="EAD.xml") == []


# --------------------------------------------------------------------------- conditional rules


def test_conditional_problems_file_level() -> None:
    record = sample_record(
        number_of_paper=None,
        physical_state=None,
        paper_file_code=None,
        risk_recovery=True,
        risk_recovery_status=None,
    )
    values = tt05.simpledc_file_values(record, sample_profile(), PackageType.AIP)
    problems = tt05.conditional_problems(values, "file", PackageType.AIP)
    assert [tag for tag, _ in problems] == ["numberOfPaper", "format", "paperFileCode", "riskRecoveryStatus"]
    assert "digitised" in problems[0][1]
    vi = tt05.conditional_problems(values, "file", PackageType.AIP, lang="vi")
    assert "số hóa" in vi[0][1]
    assert "dự phòng" in vi[3][1]
    complete = sample_record(risk_recovery=True, risk_recovery_status="01")
    values = tt05.simpledc_file_values(complete, sample_profile(), PackageType.SIP)
    assert tt05.conditional_problems(values, "file", PackageType.SIP) == []
    born_digital = {"confidenceLevel": "01", "riskRecovery": "0"}
    assert tt05.conditional_problems(born_digital, "file", PackageType.SIP) == []
    assert tt05.conditional_problems({}, "file", PackageType.SIP) == []  # undecidable: not reported
    blank = {"confidenceLevel": "03", "numberOfPaper": " ", "format": "", "paperFileCode": "x"}
    assert [t for t, _ in tt05.conditional_problems(blank, "file", PackageType.AIP)] == [
        "numberOfPaper",
        "format",
    ]


def test_conditional_problems_document_level() -> None:
    values = {"confidenceLevel": "01", "riskRecovery": "1"}
    sip = tt05.conditional_problems(values, "document", PackageType.SIP)
    assert [t for t, _ in sip] == ["riskRecoveryStatus", "process"]
    aip = tt05.conditional_problems(values, "document", PackageType.AIP)  # no backup fields in an AIP doc
    assert [t for t, _ in aip] == ["process"]
    assert tt05.conditional_problems({"confidenceLevel": "02"}, "document", PackageType.AIP) == []
    assert tt05.conditional_problems({"confidenceLevel": "03", "process": "0"}, "document", "AIP") == []  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="level"):
        tt05.conditional_problems({}, "fonds", PackageType.SIP)  # type: ignore[arg-type]


def test_every_condition_in_the_tables_is_known() -> None:
    for level in LEVELS:
        for ptype in ("SIP", "AIP"):
            for spec in vocab.field_table(level, ptype):
                if spec.obligation == "C":
                    assert spec.condition in tt05.CONDITION_REASONS
                    assert set(tt05.CONDITION_REASONS[spec.condition]) == {"en", "vi"}


# --------------------------------------------------------------------------- the XSDs themselves


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("ptype", TYPES)
def test_committed_xsds_equal_the_generated_ones(level: str, ptype: PackageType) -> None:
    generated = tt05.generate_simpledc_xsd(level, ptype)  # type: ignore[arg-type]
    committed = tt05.simpledc_schema_bytes(level, ptype)  # type: ignore[arg-type]
    assert committed == generated, "run `python tools/gen_tt05_xsd.py`"
    assert generated == tt05.generate_simpledc_xsd(level, ptype)  # type: ignore[arg-type]


def test_generator_tool_check_mode_agrees() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_tt05_xsd.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_xsd_file_names_and_package_data() -> None:
    assert tt05.XSD_FILES == (
        "tt05-simpledc-file-sip.xsd",
        "tt05-simpledc-file-aip.xsd",
        "tt05-simpledc-document-sip.xsd",
        "tt05-simpledc-document-aip.xsd",
    )
    folder = ROOT / "src" / "luutru_aip" / "schemas" / "tt05"
    assert sorted(p.name for p in folder.glob("*.xsd")) == sorted(tt05.XSD_FILES)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("ptype", TYPES)
def test_xsd_elements_follow_the_field_table_with_labels(level: str, ptype: PackageType) -> None:
    xs = "{http://www.w3.org/2001/XMLSchema}"
    tree = parse_xml(tt05.simpledc_schema_bytes(level, ptype))  # type: ignore[arg-type]
    assert tree.getroot().get("targetNamespace") is None  # simpledc is in no namespace
    sequence = tree.getroot().find(f"{xs}element/{xs}complexType/{xs}sequence")
    assert sequence is not None
    elements = sequence.findall(f"{xs}element")
    specs = vocab.field_table(level, ptype.value)
    assert [e.get("name") for e in elements] == [s.tag_for(ptype.value) for s in specs]
    for element, spec in zip(elements, specs, strict=True):
        assert (element.get("minOccurs") == "0") == (spec.obligation != "M")
        docs = element.findall(f"{xs}annotation/{xs}documentation")
        assert docs[0].text == spec.label_for(ptype.value)
        assert docs[0].get("{http://www.w3.org/XML/1998/namespace}lang") == "vi"
    assert "R1" in etree.tostring(tree, encoding="unicode")


def test_schema_is_compiled_once_per_thread() -> None:
    assert tt05.simpledc_schema("file", PackageType.SIP) is tt05.simpledc_schema("file", PackageType.SIP)
    assert tt05.simpledc_schema("file", PackageType.SIP) is not tt05.simpledc_schema("file", PackageType.AIP)
    with pytest.raises(ValueError, match="level"):
        tt05.xsd_file_name("fonds", PackageType.SIP)  # type: ignore[arg-type]


@pytest.mark.needs_xmllint
@pytest.mark.skipif(shutil.which("xmllint") is None, reason="xmllint is not installed")
def test_xmllint_agrees_with_our_xsds(tmp_path: Path) -> None:
    record = sample_record(title='Hồ sơ <đặc biệt> & "trích dẫn" ]]>')
    profile = sample_profile()
    cases: list[tuple[str, PackageType, bytes]] = []
    for ptype in TYPES:
        cases.append(("file", ptype, tt05.simpledc_file(record, profile, ptype)))
        cases.append(("file", ptype, tt05.simpledc_file(sample_record(mode="9"), profile, ptype)))
        cases.append(
            ("file", ptype, tt05.simpledc_file(sample_record(start_date=PartialDate(2001)), profile, ptype))
        )
        for document in record.documents:
            cases.append(("document", ptype, tt05.simpledc_document(record, document, profile, ptype)))
        bad = sample_document(subject="x" * 501)
        cases.append(("document", ptype, tt05.simpledc_document(record, bad, profile, ptype)))
    verdicts = []
    for index, (level, ptype, xml) in enumerate(cases):
        schema = tmp_path / tt05.xsd_file_name(level, ptype)  # type: ignore[arg-type]
        schema.write_bytes(tt05.simpledc_schema_bytes(level, ptype))  # type: ignore[arg-type]
        doc = tmp_path / f"doc{index}.xml"
        doc.write_bytes(xml)
        proc = subprocess.run(
            ["xmllint", "--noout", "--nonet", "--schema", str(schema), str(doc)],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
            env={"PATH": "/usr/bin:/bin"},
        )
        ours = tt05.check_simpledc(xml, level, ptype, path=doc.name) == []  # type: ignore[arg-type]
        assert (proc.returncode == 0) == ours, (level, ptype, proc.stderr)
        verdicts.append(ours)
    assert True in verdicts
    assert False in verdicts


def test_the_docs_list_every_field_and_xsd() -> None:
    page = (ROOT / "docs" / "tt05-metadata.md").read_text(encoding="utf-8")
    for level in LEVELS:
        for ptype in ("SIP", "AIP"):
            for spec in vocab.field_table(level, ptype):
                assert f"`{spec.tag_for(ptype)}`" in page, spec.tag_for(ptype)
                assert spec.label_for(ptype) in page
    for name in tt05.XSD_FILES:
        assert name.removeprefix("tt05-simpledc") in page  # "-file-sip.xsd" …
    assert "tt05-simpledc-file-sip.xsd" in page
