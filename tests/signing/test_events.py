"""PREMIS event records for "digital signature generation" and "digital signature validation"."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes

from luutru_aip.signing import (
    EVENT_GENERATION,
    EVENT_VALIDATION,
    sign_package,
    signature_generation_event,
    signature_validation_event,
    verify_package,
)

from .conftest import NOW, Pki

WHEN = dt.datetime(2025, 7, 1, 2, 30, 15, 123456, tzinfo=dt.UTC)


def test_generation_event_can_be_made_before_signing(pki: Pki) -> None:
    event = signature_generation_event(pki.default_signer, when=WHEN, signed_file="METS.xml")
    assert event.event_type == EVENT_GENERATION == "digital signature generation"
    assert event.event_type_uri == "http://id.loc.gov/vocabulary/preservation/eventType/dsg"
    assert event.datetime == "2025-07-01T09:30:15+07:00"
    assert event.outcome == "success"
    assert event.objects == ("METS.xml", "signatures/package.p7s")
    signer, tool = event.agents
    assert signer.role == "implementer"
    assert signer.identifier == pki.signer.cert.fingerprint(hashes.SHA256()).hex()
    assert "Chi cục Văn thư" in signer.name
    assert tool.role == "executing program"
    assert tool.identifier == "luutru-aip"
    assert "Chữ ký số" in event.detail_vi
    assert event.to_dict()["agents"][0]["type"] == "organization"


def test_sign_result_event_matches_the_signing(bag: Path, pki: Pki) -> None:
    result = sign_package(bag, signer=pki.default_signer, clock=lambda: NOW)
    expected = signature_generation_event(pki.default_signer, when=NOW, signed_file="tagmanifest-sha512.txt")
    assert result.event == expected


def test_validation_event_from_reports(bag: Path, pki: Pki) -> None:
    sign_package(bag, signer=pki.default_signer, clock=lambda: NOW)
    good = verify_package(bag, trust=[pki.root_file], clock=lambda: NOW)
    event = signature_validation_event(good, when=WHEN, agent={"name": "Trung tâm lưu trữ dự phòng"})
    assert event.event_type == EVENT_VALIDATION
    assert event.event_type_uri.endswith("/eventType/dig")
    assert event.outcome == "success"
    assert event.agents[0].role == "validator"
    assert "tagmanifest-sha512.txt" in event.detail_en
    (bag / "bagit.txt").write_bytes(b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    bad = verify_package(bag, trust=[pki.root_file], clock=lambda: NOW)
    event = signature_validation_event(bad, when=WHEN)
    assert event.outcome == "fail"
    assert event.outcome_detail == "SIG021"
    assert "bagit.txt" not in event.detail_en  # codes only, no details that would help forge


def test_event_time_must_be_aware(pki: Pki) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        signature_generation_event(pki.default_signer, when=WHEN.replace(tzinfo=None), signed_file="METS.xml")


def test_events_go_through_the_premis_writer_and_validate(bag: Path, pki: Pki, schema_store: object) -> None:
    from luutru_aip.metadata._xml import parse_xml
    from luutru_aip.metadata.premis import premis_document
    from luutru_aip.metadata.schemastore import validate_with

    generation = signature_generation_event(pki.default_signer, when=NOW, signed_file="METS.xml")
    sign_package(bag, signer=pki.default_signer, clock=lambda: NOW)
    report = verify_package(bag, trust=[pki.root_file], crls=[pki.root_crl_file], clock=lambda: NOW)
    validation = signature_validation_event(report, when=NOW)
    assert validation.outcome == "warning"  # SIG012: revocation of the signer not checked
    events = [
        generation.to_model(
            scope="urn:uuid:0f4e1c0a-6b1d-4a51-9d59-2f8f3f4c5a10", objects=[("urn:x", "outcome")]
        ),
        validation.to_model(scope="urn:uuid:0f4e1c0a-6b1d-4a51-9d59-2f8f3f4c5a10", signer_agent="H40.21.05"),
    ]
    assert (
        events[0].identifier
        == generation.to_model(scope="urn:uuid:0f4e1c0a-6b1d-4a51-9d59-2f8f3f4c5a10").identifier
    )
    agents = {a.identifier: a for e in (generation, validation) for a in e.model_agents()}
    from luutru_aip.model import Agent

    agents["H40.21.05"] = Agent(
        identifier="H40.21.05", name="Trung tâm lưu trữ dự phòng", kind="organization"
    )
    document = premis_document(events=events, agents=list(agents.values()), intellectual_entity="urn:x")
    assert b"digital signature generation" in document
    assert "Chữ ký số".encode() in document
    findings = validate_with(schema_store, parse_xml(document), ["premis3"])  # type: ignore[arg-type]
    assert not findings, [f.message() for f in findings]
