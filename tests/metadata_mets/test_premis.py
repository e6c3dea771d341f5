"""PREMIS 3.0 writer and fixity reader: schema validity, vocabularies, links, determinism, streaming."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import attrs
import pytest

from luutru_aip.metadata.premis import (
    DEFAULT_EVENT_DETAILS,
    EVENT_TYPES,
    PREMIS_NS,
    PremisEntity,
    Relationship,
    make_event,
    premis_document,
    read_premis_fixity,
)
from luutru_aip.metadata.schemastore import SchemaStore, validate_with
from luutru_aip.model import Event, PackageType

from .builders import ARCHIVE, CREATED, SOFTWARE, Package, build_package, data_files
from .checks import parse, vn_time

P = {"p": PREMIS_NS}
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


def test_premis_documents_are_valid(aip: Package, aip_1000: Package, schema_store: SchemaStore) -> None:
    for data in (aip.premis_rep, aip.premis_root, aip_1000.premis_rep):
        assert data is not None
        assert validate_with(schema_store, parse(data), ["premis3"]) == []


def test_validation_catches_a_broken_premis(aip: Package, schema_store: SchemaStore) -> None:
    assert aip.premis_rep is not None
    broken = aip.premis_rep.replace(b"<premis:size>", b"<premis:size>x", 1)
    findings = validate_with(schema_store, parse(broken), ["premis3"])
    assert [f.code for f in findings] == ["SCH003"]


def test_file_objects(aip: Package) -> None:
    assert aip.premis_rep is not None
    root = parse(aip.premis_rep).getroot()
    assert root.get("version") == "3.0"
    objects = root.findall("p:object", P)
    assert [o.get(XSI_TYPE) for o in objects] == ["premis:representation"] + ["premis:file"] * len(aip.data)
    by_id = {o.findtext("p:objectIdentifier/p:objectIdentifierValue", namespaces=P): o for o in objects}
    for file in aip.data:
        obj = by_id[file.file_id]  # PREMIS object identifier = METS file/@ID
        chars = obj.find("p:objectCharacteristics", P)
        assert chars.findtext("p:compositionLevel", namespaces=P) == "0"
        digests = {
            f.findtext("p:messageDigestAlgorithm", namespaces=P): f.findtext("p:messageDigest", namespaces=P)
            for f in chars.iterfind("p:fixity", P)
        }
        assert digests == {"SHA-256": file.sha256, "SHA-512": file.sha512}
        assert chars.findtext("p:size", namespaces=P) == str(file.size)
        assert chars.findtext("p:format/p:formatRegistry/p:formatRegistryKey", namespaces=P) == "fmt/479"
        assert (
            chars.findtext("p:format/p:formatDesignation/p:formatVersion", namespaces=P)
            == file.format_version
        )
        assert obj.findtext("p:originalName", namespaces=P) == file.original_name
        props = {
            s.findtext("p:significantPropertiesType", namespaces=P): s.findtext(
                "p:significantPropertiesValue", namespaces=P
            )
            for s in obj.iterfind("p:significantProperties", P)
        }
        assert props == {
            "page count": str(file.pdf_pages),
            "PDF/A conformance claim": "2B",
            "encrypted": "false",
        }
        rel = obj.find("p:relationship", P)
        assert rel.findtext("p:relationshipSubType", namespaces=P) == "is included in"
        assert rel.findtext("p:relatedObjectIdentifier/p:relatedObjectIdentifierValue", namespaces=P) == (
            f"{aip.info.objid}/rep1"
        )


def test_format_without_puid_uses_the_mime_type(schema_store: SchemaStore) -> None:
    tiff = attrs.evolve(data_files(1)[0], puid=None, format_name=None, format_version=None, mime="image/tiff")
    data = premis_document(objects=[tiff])
    root = parse(data).getroot()
    fmt = root.find("p:object/p:objectCharacteristics/p:format", P)
    assert fmt.findtext("p:formatDesignation/p:formatName", namespaces=P) == "image/tiff"
    assert fmt.find("p:formatRegistry", P) is None
    assert fmt.find("p:formatDesignation/p:formatVersion", P) is None
    assert validate_with(schema_store, parse(data), ["premis3"]) == []


def test_events_and_agents(aip: Package) -> None:
    assert aip.premis_root is not None
    assert aip.premis_rep is not None
    events = []
    for data in (aip.premis_rep, aip.premis_root):
        events += parse(data).getroot().findall("p:event", P)
    types = [e.findtext("p:eventType", namespaces=P) for e in events]
    assert types == [
        "message digest calculation",
        "format identification",
        "validation",
        "information package creation",
        "ingestion",
    ]
    for event in events:
        event_type = event.find("p:eventType", P)
        assert event_type.get("valueURI") == EVENT_TYPES[event_type.text]
        vn_time(event.findtext("p:eventDateTime", namespaces=P))
        assert event.findtext("p:eventOutcomeInformation/p:eventOutcome", namespaces=P) in (
            "success",
            "warning",
        )
        assert event.findtext("p:eventDetailInformation/p:eventDetail", namespaces=P)
        roles = [r.text for r in event.iterfind("p:linkingAgentIdentifier/p:linkingAgentRole", P)]
        assert roles  # AIP16: every event names its agent
    validation = events[2]
    assert validation.findtext("p:eventOutcomeInformation/p:eventOutcome", namespaces=P) == "warning"
    assert "PDF/A" in validation.findtext(
        "p:eventOutcomeInformation/p:eventOutcomeDetail/p:eventOutcomeDetailNote", namespaces=P
    )
    agents = parse(aip.premis_root).getroot().findall("p:agent", P)
    assert [a.findtext("p:agentIdentifier/p:agentIdentifierValue", namespaces=P) for a in agents] == [
        "H40.21.05",
        "luutru-aip",
    ]
    assert [a.findtext("p:agentType", namespaces=P) for a in agents] == ["organization", "software"]
    assert agents[1].findtext("p:agentVersion", namespaces=P) == "0.4.0"
    ie = parse(aip.premis_root).getroot().find("p:object", P)
    assert ie.get(XSI_TYPE) == "premis:intellectualEntity"
    assert ie.findtext("p:objectIdentifier/p:objectIdentifierType", namespaces=P) == "URN"


def test_aip_made_from_a_sip_links_the_sip() -> None:
    from .builders import info_for

    package = build_package(1, info=info_for(PackageType.AIP, predecessor="uuid-SIP-0001"))
    assert package.premis_root is not None
    creation = next(
        e
        for e in parse(package.premis_root).getroot().iterfind("p:event", P)
        if e.findtext("p:eventType", namespaces=P) == "information package creation"
    )
    links = {
        link.findtext("p:linkingObjectIdentifierValue", namespaces=P): link.findtext(
            "p:linkingObjectRole", namespaces=P
        )
        for link in creation.iterfind("p:linkingObjectIdentifier", P)
    }
    assert links == {package.info.objid: "outcome", "uuid-SIP-0001": "source"}


def test_deterministic_and_sorted() -> None:
    files = data_files(6)
    events = [
        make_event(
            "validation", scope="s", moment=CREATED + timedelta(seconds=2), agents=[("luutru-aip", "")]
        ),
        make_event("message digest calculation", scope="s", moment=CREATED, agents=[("luutru-aip", "")]),
    ]
    one = premis_document(objects=files, events=events, agents=[SOFTWARE, ARCHIVE])
    two = premis_document(objects=files[::-1], events=events[::-1], agents=[ARCHIVE, SOFTWARE])
    assert one == two
    root = parse(one).getroot()
    assert [e.findtext("p:eventType", namespaces=P) for e in root.iterfind("p:event", P)] == [
        "message digest calculation",
        "validation",
    ]


def test_make_event_is_deterministic() -> None:
    a = make_event("ingestion", scope="urn:uuid:1", moment=CREATED)
    assert a == make_event("ingestion", scope="urn:uuid:1", moment=CREATED)
    assert a.identifier != make_event("ingestion", scope="urn:uuid:1", moment=CREATED, key="2").identifier
    assert a.detail == DEFAULT_EVENT_DETAILS["ingestion"]
    with pytest.raises(ValueError, match="LoC event type"):
        make_event("ingest", scope="x", moment=CREATED)


def test_inconsistent_input_is_refused() -> None:
    files = data_files(1)
    event = make_event("validation", scope="s", moment=CREATED, agents=[("nobody", "executing program")])
    with pytest.raises(ValueError, match="not described"):
        premis_document(objects=files, events=[event], agents=[SOFTWARE])
    with pytest.raises(ValueError, match="at least one object"):
        premis_document(agents=[SOFTWARE])
    bad_type = Event(identifier="e1", type="Validation", moment=CREATED, outcome="success")
    with pytest.raises(ValueError, match="LoC event type"):
        premis_document(objects=files, events=[bad_type])
    bad_outcome = Event(identifier="e1", type="validation", moment=CREATED, outcome="ok")
    with pytest.raises(ValueError, match="outcome"):
        premis_document(objects=files, events=[bad_outcome])
    twice = Event(identifier="e", type="validation", moment=CREATED, outcome="success")
    with pytest.raises(ValueError, match="used twice"):
        premis_document(objects=files, events=[twice, twice])
    with pytest.raises(ValueError, match="used twice"):
        premis_document(objects=files, agents=[SOFTWARE, SOFTWARE])
    with pytest.raises(ValueError, match="used twice"):
        premis_document(objects=[*files, PremisEntity(identifier=files[0].file_id, kind="representation")])
    with pytest.raises(ValueError, match="kind"):
        PremisEntity(identifier="x", kind="file")  # type: ignore[arg-type]


def test_relationship_without_vocabulary_uri(schema_store: SchemaStore) -> None:
    entity = PremisEntity(
        identifier="urn:uuid:new",
        kind="intellectualEntity",
        relationships=(Relationship(type="derivation", sub_type="has source", related="urn:uuid:old"),),
    )
    data = premis_document(objects=[entity])
    sub = parse(data).getroot().find("p:object/p:relationship/p:relationshipSubType", P)
    assert sub.text == "has source"
    assert sub.get("valueURI") is None
    assert validate_with(schema_store, parse(data), ["premis3"]) == []


# --------------------------------------------------------------------------- reader


def test_read_premis_fixity_matches_the_files(aip: Package, tmp_path: Path) -> None:
    assert aip.premis_rep is not None
    from_bytes = list(read_premis_fixity(aip.premis_rep))
    path = tmp_path / "PREMIS_rep1.xml"
    path.write_bytes(aip.premis_rep)
    streamed = list(read_premis_fixity(path))
    assert streamed == from_bytes
    assert from_bytes == list(read_premis_fixity(parse(aip.premis_rep)))
    expected: set[tuple[str, str, str | None, int, str | None, str | None]]
    expected = {(f.file_id, "SHA-256", f.sha256, f.size, f.original_name, f.path) for f in aip.data}
    expected |= {(f.file_id, "SHA-512", f.sha512, f.size, f.original_name, f.path) for f in aip.data}
    got: set[tuple[str, str, str | None, int | None, str | None, str | None]]
    got = {(r.object_id, r.algorithm, r.digest, r.size, r.original_name, r.path) for r in from_bytes}
    assert got == expected


def test_read_premis_fixity_streams_1000_objects(aip_1000: Package, tmp_path: Path) -> None:
    assert aip_1000.premis_rep is not None
    path = tmp_path / "PREMIS_rep1.xml"
    path.write_bytes(aip_1000.premis_rep)
    records = read_premis_fixity(path)
    digest = hashlib.sha256()
    count = 0
    for record in records:
        digest.update(record.digest.encode())
        count += 1
    assert count == 2 * len(aip_1000.data)


def test_read_premis_fixity_tolerates_odd_values() -> None:
    data = premis_document(objects=data_files(1))
    odd = data.replace(b"<premis:size>", b"<premis:size>1e3", 1)
    odd = odd.replace(b"<premis:contentLocationValue>", b"<premis:contentLocationValue>/abs/", 1)
    records = list(read_premis_fixity(odd))
    assert [r.algorithm for r in records] == ["SHA-256", "SHA-512"]
    for record in records:
        assert record.size is None
        assert record.path is None
        assert record.content_location is not None
        assert record.content_location.startswith("/abs/")


def test_root_premis_objects(aip: Package) -> None:
    assert aip.premis_root is not None
    objects = parse(aip.premis_root).getroot().findall("p:object", P)
    assert [o.get(XSI_TYPE) for o in objects] == ["premis:intellectualEntity", "premis:representation"]
    rep = objects[1]
    assert (
        rep.findtext("p:objectIdentifier/p:objectIdentifierValue", namespaces=P) == f"{aip.info.objid}/rep1"
    )
    assert rep.findtext("p:originalName", namespaces=P) == "rep1"
    rel = rep.find("p:relationship", P)
    assert rel.findtext("p:relationshipSubType", namespaces=P) == "represents"
    assert (
        rel.findtext("p:relatedObjectIdentifier/p:relatedObjectIdentifierValue", namespaces=P)
        == aip.info.objid
    )
    with pytest.raises(ValueError, match="used twice"):
        premis_document(
            intellectual_entity=aip.info.objid,
            objects=[PremisEntity(identifier=aip.info.objid, kind="intellectualEntity")],
        )
