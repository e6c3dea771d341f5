"""Root and representation METS: schema validity, CSIP/SIP/AIP rules, determinism, input checks."""

from __future__ import annotations

import random
import unicodedata
from datetime import timedelta

import attrs
import pytest

from luutru_aip.metadata.mets import (
    AIP_PROFILE_EARK_2_2_0,
    CSIP_NS,
    METS_NS,
    SIP_NS,
    MetsOptions,
    default_profile,
    md_type_for,
    read_mets_files,
    representation_mets,
    root_mets,
)
from luutru_aip.metadata.schemastore import EARK_METS, SchemaStore, validate_with
from luutru_aip.model import AIP_ROOT_PROFILE, CSIP_PROFILE, PackageType

from .builders import (
    CREATED,
    Package,
    build_package,
    data_files,
    doc_descriptions,
    info_for,
    package_file,
)
from .checks import NS, check_csip, parse, vn_time

ROOT_PATHS = {
    "metadata/descriptive/EAD.xml",
    "metadata/descriptive/EAD3.xml",
    "documentation/README.txt",
    "documentation/Hướng dẫn đọc gói.txt",
    "representations/rep1/METS.xml",
}


def root_paths(package: Package) -> set[str]:
    return ROOT_PATHS | {f.path for f in package.schemas} | {f.path for f in package.root_preservation}


def rep_paths(package: Package) -> set[str]:
    paths = {f.path for f in package.data} | {f.path for f in package.docs}
    if package.rep_premis is not None:
        paths.add(package.rep_premis.path)
    return paths


# --------------------------------------------------------------------------- schema validity


@pytest.mark.parametrize("kind", ["aip", "sip"])
def test_root_and_representation_mets_are_valid(
    kind: str, request: pytest.FixtureRequest, schema_store: SchemaStore
) -> None:
    package: Package = request.getfixturevalue(kind)
    for data in (package.root, package.rep_mets):
        assert validate_with(schema_store, parse(data), EARK_METS) == []


def test_1000_files_are_valid_and_complete(aip_1000: Package, schema_store: SchemaStore) -> None:
    tree = parse(aip_1000.rep_mets)
    assert validate_with(schema_store, tree, EARK_METS) == []
    check_csip(tree, base="representations/rep1", package_type="AIP", expect_paths=rep_paths(aip_1000))
    assert validate_with(schema_store, parse(aip_1000.root), EARK_METS) == []


def test_validation_catches_a_broken_csip_attribute(aip: Package, schema_store: SchemaStore) -> None:
    """The extension schemas really are checked: a wrong OAISPACKAGETYPE is an SCH003 finding."""
    broken = aip.root.replace(b'csip:OAISPACKAGETYPE="AIP"', b'csip:OAISPACKAGETYPE="XIP"')
    assert broken != aip.root
    findings = validate_with(schema_store, parse(broken), EARK_METS)
    assert [f.code for f in findings] == ["SCH003"]


# --------------------------------------------------------------------------- CSIP rules


@pytest.mark.parametrize("kind", ["aip", "sip"])
def test_csip_structure(kind: str, request: pytest.FixtureRequest) -> None:
    package: Package = request.getfixturevalue(kind)
    ptype = package.info.type.value
    check_csip(parse(package.root), base="", package_type=ptype, expect_paths=root_paths(package))
    check_csip(
        parse(package.rep_mets),
        base="representations/rep1",
        package_type=ptype,
        expect_paths=rep_paths(package),
    )


def test_root_header_and_identity(aip: Package) -> None:
    root = parse(aip.root).getroot()
    assert root.get("OBJID") == aip.info.objid
    assert root.get("LABEL") == aip.info.label
    assert root.get("TYPE") == "Mixed"
    assert root.get("PROFILE") == AIP_ROOT_PROFILE
    assert root.get(f"{{{CSIP_NS}}}CONTENTINFORMATIONTYPE") == "OTHER"
    assert root.get(f"{{{CSIP_NS}}}OTHERCONTENTINFORMATIONTYPE") == "05/2025/TT-BNV"
    header = root.find("mets:metsHdr", NS)
    assert vn_time(header.get("CREATEDATE")) == CREATED
    assert header.get("LASTMODDATE") == header.get("CREATEDATE")
    assert header.get("RECORDSTATUS") == "NEW"
    agents = header.findall("mets:agent", NS)
    assert [(a.get("ROLE"), a.get("TYPE")) for a in agents] == [
        ("CREATOR", "OTHER"),
        ("ARCHIVIST", "ORGANIZATION"),
        ("CREATOR", "ORGANIZATION"),
    ]
    archive = agents[1]
    assert archive.findtext("mets:name", namespaces=NS) == "Trung tâm Lưu trữ lịch sử tỉnh Khánh Hòa"
    note = archive.find("mets:note", NS)
    assert note.get(f"{{{CSIP_NS}}}NOTETYPE") == "IDENTIFICATIONCODE"
    assert note.text == "H40.21.05"
    alt = header.findall("mets:altRecordID", NS)
    assert [(a.get("TYPE"), a.text) for a in alt] == [
        ("SUBMISSIONAGREEMENT", "Thỏa thuận giao nộp số 12/2026/TTGN")
    ]


def test_sip_profile_follows_spec_version(sip: Package) -> None:
    assert (
        parse(sip.root).getroot().get("PROFILE") == "https://earksip.dilcis.eu/profile/E-ARK-SIP-v2-2-0.xml"
    )
    assert default_profile(PackageType.SIP, "2.0.4") == CSIP_PROFILE
    assert default_profile(PackageType.AIP) == AIP_ROOT_PROFILE
    info = info_for(PackageType.AIP)
    package = build_package(1, info=info)
    data = root_mets(
        info,
        descriptive=package.root_descriptive,
        preservation=package.root_preservation,
        documentation=package.documentation,
        schemas=package.schemas,
        representations=[("rep1", package.rep_mets_file)],
        options=MetsOptions(profile=AIP_PROFILE_EARK_2_2_0),
    )
    assert parse(data).getroot().get("PROFILE") == AIP_PROFILE_EARK_2_2_0
    with pytest.raises(ValueError, match="spec_version"):
        default_profile(PackageType.SIP, "1.0")


def test_predecessor_is_an_alt_record_id() -> None:
    made_from_sip = build_package(1, info=info_for(PackageType.AIP, predecessor="uuid-SIP-1"))
    alt = parse(made_from_sip.root).getroot().findall("mets:metsHdr/mets:altRecordID", NS)
    assert ("SUBMISSIONPACKAGE", "uuid-SIP-1") in [(a.get("TYPE"), a.text) for a in alt]
    new_version = build_package(
        1, info=info_for(PackageType.AIP, predecessor="urn:uuid:old", record_status="REPLACEMENT")
    )
    alt = parse(new_version.root).getroot().findall("mets:metsHdr/mets:altRecordID", NS)
    assert ("PREVIOUSVERSION", "urn:uuid:old") in [(a.get("TYPE"), a.text) for a in alt]


def test_root_structmap_points_at_file_groups_and_representation(aip: Package, sip: Package) -> None:
    for package, has_fptr in ((aip, True), (sip, False)):
        root = parse(package.root).getroot()
        groups = {g.get("USE"): g.get("ID") for g in root.iterfind("mets:fileSec/mets:fileGrp", NS)}
        assert list(groups) == ["Documentation", "Schemas", "Representations/rep1"]
        top = root.find("mets:structMap/mets:div", NS)
        labels = [d.get("LABEL") for d in top.iterfind("mets:div", NS)]
        assert labels == ["Metadata", "Documentation", "Schemas", "Representations/rep1"]
        doc_div = top.find("mets:div[@LABEL='Documentation']", NS)
        assert [f.get("FILEID") for f in doc_div.iterfind("mets:fptr", NS)] == [groups["Documentation"]]
        rep_div = top.find("mets:div[@LABEL='Representations/rep1']", NS)
        mptr = rep_div.find("mets:mptr", NS)
        assert mptr.get("{http://www.w3.org/1999/xlink}href") == "representations/rep1/METS.xml"
        assert mptr.get("{http://www.w3.org/1999/xlink}title") == groups["Representations/rep1"]  # CSIP108
        fptrs = [f.get("FILEID") for f in rep_div.iterfind("mets:fptr", NS)]
        assert fptrs == ([package.rep_mets_file.file_id] if has_fptr else [])  # AIP3


def test_representation_mets(aip: Package) -> None:
    root = parse(aip.rep_mets).getroot()
    assert root.get("OBJID") == "rep1"  # CSIP1: the representation folder name
    groups = root.findall("mets:fileSec/mets:fileGrp", NS)
    assert [g.get("USE") for g in groups] == ["Representations/rep1/data"]
    files = groups[0].findall("mets:file", NS)
    assert [f.get("ID") for f in files] == [f.file_id for f in sorted(aip.data, key=lambda f: f.path)]
    first = next(f for f in files if f.get("ID") == aip.data[0].file_id)
    assert first.get(f"{{{SIP_NS}}}FORMATREGISTRYKEY") == "fmt/479"
    assert first.get(f"{{{SIP_NS}}}FORMATREGISTRY") == "PRONOM"
    # CSIP75: each scanned document points at its own EAD_doc description.
    dmd_by_href = {
        d.find("mets:mdRef", NS).get("{http://www.w3.org/1999/xlink}href"): d.get("ID")
        for d in root.iterfind("mets:dmdSec", NS)
    }
    for data in aip.data:
        element = next(f for f in files if f.get("ID") == data.file_id)
        doc = next(d for d in aip.docs if d.document == data.document)
        assert element.get("DMDID") == dmd_by_href["metadata/descriptive/" + doc.path.rsplit("/", 1)[1]]
    struct = root.find("mets:structMap/mets:div", NS)
    assert [d.get("LABEL") for d in struct.iterfind("mets:div", NS)] == ["Metadata", "Representations"]


def test_metadata_types() -> None:
    assert md_type_for(package_file("metadata/descriptive/EAD.xml", "application/xml")) == (
        "OTHER",
        "TT05-simpledc",
        None,
    )
    assert md_type_for(package_file("x/metadata/descriptive/EAD_doc_A.0000001.xml", "application/xml"))[
        1
    ] == ("TT05-simpledc")
    assert md_type_for(package_file("metadata/descriptive/EAD3.xml", "application/xml")) == ("EAD", None, "3")
    assert md_type_for(package_file("metadata/preservation/PREMIS.xml", "application/xml")) == (
        "PREMIS",
        None,
        "3.0",
    )
    assert md_type_for(package_file("metadata/other/fido.json", "application/json")) == (
        "OTHER",
        "FIDO",
        None,
    )


def test_other_metadata_becomes_tech_md(schema_store: SchemaStore) -> None:
    package = build_package(1)
    extra = package_file("metadata/other/identification.json", "application/json")
    data = root_mets(
        package.info,
        descriptive=package.root_descriptive,
        preservation=package.root_preservation,
        documentation=package.documentation,
        schemas=package.schemas,
        representations=[("rep1", package.rep_mets_file)],
        other_metadata=[extra],
    )
    tree = parse(data)
    assert validate_with(schema_store, tree, EARK_METS) == []
    tech = tree.getroot().findall("mets:amdSec/mets:techMD", NS)
    assert len(tech) == 1
    check_csip(tree, base="", package_type="AIP", expect_paths=root_paths(package) | {extra.path})


# --------------------------------------------------------------------------- reader


def test_read_mets_files_round_trips(aip: Package) -> None:
    refs = list(read_mets_files(aip.rep_mets, base="representations/rep1"))
    by_path = {r.path: r for r in refs}
    for file in (*aip.data, *aip.docs):
        ref = by_path[file.path]
        assert (ref.size, ref.checksum, ref.checksum_type, ref.mime) == (
            file.size,
            file.sha256,
            "SHA-256",
            file.mime,
        )
        if ref.section == "file":
            assert ref.id == file.file_id
        else:
            assert ref.id is not None
            assert ref.id.startswith("ID-")
    assert {r.section for r in refs} == {"file", "dmdSec", "digiprovMD"}
    assert {r.use for r in refs if r.section == "file"} == {"Representations/rep1/data"}
    # NFD names stay NFD: the path read back is byte-identical to the staged one.
    nfd = [f for f in aip.data if unicodedata.is_normalized("NFC", f.path) is False]
    assert nfd
    assert all(f.path in by_path for f in nfd)


def test_read_mets_files_reports_unresolvable_hrefs(aip: Package) -> None:
    broken = aip.root.replace(b'xlink:href="documentation/README.txt"', b'xlink:href="../../etc/passwd"')
    refs = list(read_mets_files(broken))
    bad = [r for r in refs if r.href == "../../etc/passwd"]
    assert len(bad) == 1
    assert bad[0].path is None


# --------------------------------------------------------------------------- determinism


def test_same_input_same_bytes_in_any_order() -> None:
    first = build_package(12)
    second = build_package(12)
    assert first.root == second.root
    assert first.rep_mets == second.rep_mets
    assert first.premis_rep == second.premis_rep
    assert first.premis_root == second.premis_root
    shuffled = list(first.data)
    random.Random(7).shuffle(shuffled)
    docs = list(first.docs)
    random.Random(8).shuffle(docs)
    assert first.rep_premis is not None
    again = representation_mets(
        first.info, "rep1", data=shuffled, descriptive=docs, preservation=[first.rep_premis]
    )
    assert again == first.rep_mets


def test_output_depends_on_the_clock() -> None:
    a = build_package(2)
    b = build_package(2, info=info_for(PackageType.AIP, created=CREATED + timedelta(seconds=1)))
    assert a.root != b.root
    assert b"2026-11-21T09:30:16+07:00" in b.root


def test_times_are_converted_to_vietnam_time() -> None:
    from datetime import UTC, datetime

    info = info_for(PackageType.SIP, created=datetime(2026, 11, 21, 2, 30, tzinfo=UTC))
    package = build_package(1, info=info)
    header = parse(package.root).getroot().find("mets:metsHdr", NS)
    assert header.get("CREATEDATE") == "2026-11-21T09:30:00+07:00"


# --------------------------------------------------------------------------- bad input


def _rep(**changes: object) -> bytes:
    info = info_for(PackageType.AIP)
    kwargs: dict[str, object] = {"data": data_files(2), "descriptive": doc_descriptions(2)}
    kwargs.update(changes)
    return representation_mets(info, "rep1", **kwargs)  # type: ignore[arg-type]


def test_bad_inputs_are_refused() -> None:
    good = data_files(2)
    with pytest.raises(ValueError, match="not a valid XML ID"):
        _rep(data=[attrs.evolve(good[0], file_id="1-starts-with-digit")])
    with pytest.raises(ValueError, match="sha256"):
        _rep(data=[attrs.evolve(good[0], sha256="abc")])
    with pytest.raises(ValueError, match="used twice"):
        _rep(data=[good[0], attrs.evolve(good[1], file_id=good[0].file_id)])
    with pytest.raises(ValueError, match="listed twice"):
        _rep(data=[good[0], attrs.evolve(good[0], file_id="ID-other")])
    with pytest.raises(ValueError, match="not inside"):
        _rep(data=[attrs.evolve(good[0], path="representations/rep2/data/x.pdf")])
    with pytest.raises(ValueError, match="no data files"):
        _rep(data=[])
    with pytest.raises(ValueError, match="MIME"):
        _rep(data=[attrs.evolve(good[0], mime="pdf")])
    with pytest.raises(ValueError, match="two descriptions"):
        _rep(
            descriptive=[
                *doc_descriptions(1),
                attrs.evolve(
                    doc_descriptions(1)[0],
                    path="representations/rep1/metadata/descriptive/EAD_doc_x.xml",
                    file_id="ID-y",
                ),
            ]
        )
    with pytest.raises(ValueError, match="single folder name"):
        representation_mets(info_for(), "rep/1", data=good)
    with pytest.raises(ValueError, match=r"XML 1\.0"):
        representation_mets(info_for(label="bad \x01 label"), "rep1", data=good)
    with pytest.raises(ValueError, match="version"):
        representation_mets(
            info_for(software=attrs.evolve(info_for().software, version=None)), "rep1", data=good
        )
    with pytest.raises(ValueError, match="record_status"):
        representation_mets(info_for(record_status="new"), "rep1", data=good)


def test_root_refuses_a_misplaced_representation_mets() -> None:
    package = build_package(1)
    with pytest.raises(ValueError, match=r"representations/rep2/METS\.xml"):
        root_mets(
            package.info,
            descriptive=package.root_descriptive,
            preservation=(),
            documentation=(),
            schemas=(),
            representations=[("rep2", package.rep_mets_file)],
        )


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="content category"):
        MetsOptions(content_category="Textual works - Digital")  # hyphen, not the vocabulary's en dash
    assert MetsOptions(content_category="Textual works – Digital").content_category.endswith("Digital")
    with pytest.raises(ValueError, match="CSIP3"):
        MetsOptions(content_category="Other")
    with pytest.raises(ValueError, match="CSIP5"):
        MetsOptions(other_content_information_type=None)
    with pytest.raises(ValueError, match="not allowed"):
        MetsOptions(content_information_type="TT05")
    with pytest.raises(ValueError, match="spec_version"):
        MetsOptions(spec_version="3.0.0")


def test_other_content_category_is_written(schema_store: SchemaStore) -> None:
    package = build_package(1)
    data = representation_mets(
        package.info,
        "rep1",
        data=package.data,
        options=MetsOptions(
            content_category="Other", other_content_category="Hồ sơ lưu trữ", content_information_type="MIXED"
        ),
    )
    root = parse(data).getroot()
    assert root.get("TYPE") == "Other"
    assert root.get(f"{{{CSIP_NS}}}OTHERTYPE") == "Hồ sơ lưu trữ"
    assert root.get(f"{{{CSIP_NS}}}OTHERCONTENTINFORMATIONTYPE") is None
    assert validate_with(schema_store, parse(data), EARK_METS) == []


def test_mets_namespace_constant() -> None:
    assert parse(build_package(1).root).getroot().tag == f"{{{METS_NS}}}mets"


def test_extra_agents(schema_store: SchemaStore) -> None:
    from luutru_aip.model import Agent

    package = build_package(1)
    fido = Agent(identifier="fido", name="fido", kind="software", role="OTHER", version="1.6.1")
    person = Agent(identifier="", name="Nguyễn Văn A", kind="person", role="submitter")
    data = representation_mets(package.info, "rep1", data=package.data, agents=[fido, person])
    assert validate_with(schema_store, parse(data), EARK_METS) == []
    agents = parse(data).getroot().findall("mets:metsHdr/mets:agent", NS)
    assert [(a.get("ROLE"), a.get("OTHERROLE"), a.get("TYPE"), a.get("OTHERTYPE")) for a in agents] == [
        ("CREATOR", None, "OTHER", "SOFTWARE"),
        ("ARCHIVIST", None, "ORGANIZATION", None),
        ("OTHER", None, "OTHER", "SOFTWARE"),
        ("OTHER", "submitter", "INDIVIDUAL", None),
    ]
    assert agents[2].findtext("mets:note", namespaces=NS) == "1.6.1"
    assert agents[3].find("mets:note", NS) is None
