"""PREMIS 3 event records for signing and signature validation, ready for a PREMIS writer.

This module does not write PREMIS files: it returns a structured, typed
:class:`PremisEvent` that the builder (or an ingest service) puts into
``PREMIS.xml`` itself. Event types are the Library of Congress preservation
vocabulary terms (PREMIS 3.0 §2.1 eventType, id.loc.gov ``eventType``):

* ``digital signature generation`` (``…/eventType/dsg``): when a package is signed;
* ``digital signature validation`` (``…/eventType/dig``): when a received package's
  signature is verified, for example during SIP → AIP ingest.

Times are ISO 8601 with the Vietnamese offset ``+07:00`` (TT05 convention).

**Ordering rule.** Whatever is written into a package after it is signed breaks
the signature, because every file is covered. So a build that signs must:

1. load the signer (:func:`luutru_aip.signing.load_signer`) and fix the clock;
2. make the generation event with :func:`signature_generation_event` and write
   it into PREMIS *with everything else*;
3. compute the final manifests / METS checksums;
4. sign last (:func:`luutru_aip.signing.sign_package` with the same clock), inside
   the build's temporary folder, so that a failed signature discards the build.

Signing an already finished package adds only ``signatures/package.p7s`` and
returns the generation event in :class:`~luutru_aip.signing.SignResult` for the
repository's own records (or for the next AIP version): it never edits PREMIS.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from luutru_aip import __version__
from luutru_aip.findings import Report, Severity
from luutru_aip.metadata.premis import make_event
from luutru_aip.model import Agent, Event
from luutru_aip.signing._crypto import Signer, certificate_subject
from luutru_aip.signing._time import vietnam_time

__all__ = [
    "EVENT_GENERATION",
    "EVENT_VALIDATION",
    "EventAgent",
    "PremisEvent",
    "signature_generation_event",
    "signature_validation_event",
]

EVENT_GENERATION: Final = "digital signature generation"
EVENT_VALIDATION: Final = "digital signature validation"
_EVENT_URI: Final = "http://id.loc.gov/vocabulary/preservation/eventType/"
_URIS: Final = {EVENT_GENERATION: _EVENT_URI + "dsg", EVENT_VALIDATION: _EVENT_URI + "dig"}


@attrs.frozen(kw_only=True)
class EventAgent:
    """A PREMIS ``linkingAgentIdentifier`` with its role and the agent's own description."""

    name: str
    role: str
    agent_type: str
    identifier_type: str
    identifier: str

    def to_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "role": self.role,
            "type": self.agent_type,
            "identifier_type": self.identifier_type,
            "identifier": self.identifier,
        }


@attrs.frozen(kw_only=True)
class PremisEvent:
    """One PREMIS 3 event, as plain data (PREMIS 3.0 §2 ``event``)."""

    event_type: str
    event_type_uri: str
    moment: dt.datetime
    """The event time (aware); :attr:`datetime` is the same in ISO 8601 with ``+07:00``."""
    datetime: str
    outcome: str
    """``success``, ``warning`` or ``fail`` (LoC Event Outcome vocabulary)."""
    detail_en: str
    detail_vi: str
    outcome_detail: str
    agents: tuple[EventAgent, ...]
    objects: tuple[str, ...]
    """Package paths of the linked objects (the signed file and the signature)."""

    def to_model(
        self,
        *,
        scope: str,
        key: str = "",
        objects: Sequence[tuple[str, str]] = (),
        signer_agent: str | None = None,
    ) -> Event:
        """This event as a :class:`luutru_aip.model.Event` for the PREMIS writer.

        ``scope`` (the OBJID) and ``key`` make the deterministic event identifier
        (:func:`luutru_aip.metadata.premis.make_event`); ``objects`` are the writer's
        ``(object identifier, role)`` pairs. ``signer_agent`` replaces the certificate agent's
        identifier (for example with the archive's own agent, when it is the signing organisation).
        The Vietnamese detail is used, as for every event a build records.
        """
        agents = []
        for agent in self.agents:
            identifier = agent.identifier
            if signer_agent is not None and agent.role in ("implementer", "validator"):
                identifier = signer_agent
            agents.append((identifier, agent.role))
        return make_event(
            self.event_type,
            scope=scope,
            key=key,
            moment=self.moment,
            outcome=self.outcome,
            detail=self.detail_vi,
            outcome_detail=self.outcome_detail or None,
            agents=agents,
            objects=objects,
        )

    def model_agents(self) -> tuple[Agent, ...]:
        """The agents this event names, as :class:`luutru_aip.model.Agent` (PREMIS needs each described)."""
        return tuple(
            Agent(
                identifier=a.identifier,
                name=a.name,
                kind=a.agent_type,
                role="OTHER" if a.agent_type == "organization" else "CREATOR",
                version=__version__ if a.agent_type == "software" else None,
                note=a.identifier_type if a.agent_type == "organization" else None,
            )
            for a in self.agents
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_type": self.event_type,
            "event_type_uri": self.event_type_uri,
            "datetime": self.datetime,
            "outcome": self.outcome,
            "detail_en": self.detail_en,
            "detail_vi": self.detail_vi,
            "outcome_detail": self.outcome_detail,
            "agents": [a.to_dict() for a in self.agents],
            "objects": list(self.objects),
        }


def _tool_agent() -> EventAgent:
    return EventAgent(
        name="luutru-aip",
        role="executing program",
        agent_type="software",
        identifier_type="local",
        identifier="luutru-aip",  # the builder's software agent (docs/package-layout.md)
    )


def _certificate_agent(cert: x509.Certificate, role: str) -> EventAgent:
    return EventAgent(
        name=certificate_subject(cert),
        role=role,
        agent_type="organization",
        identifier_type="X.509 certificate SHA-256 fingerprint",
        identifier=cert.fingerprint(hashes.SHA256()).hex(),
    )


def signature_generation_event(
    signer: Signer | x509.Certificate,
    *,
    when: dt.datetime,
    signed_file: str,
    signature_path: str = "signatures/package.p7s",
    timestamped: bool = False,
) -> PremisEvent:
    """The "digital signature generation" event for signing with ``signer``'s certificate at ``when``.

    It can be made *before* the signature exists (see the ordering rule in the module docs): it
    depends only on the certificate, the time and the file to be signed.
    """
    cert = signer.certificate if isinstance(signer, Signer) else signer
    subject = certificate_subject(cert)
    stamp_en = " with an RFC 3161 timestamp" if timestamped else ""
    stamp_vi = " kèm dấu thời gian RFC 3161" if timestamped else ""
    return PremisEvent(
        event_type=EVENT_GENERATION,
        event_type_uri=_URIS[EVENT_GENERATION],
        moment=when,
        datetime=vietnam_time(when),
        outcome="success",
        detail_en=f"Detached CMS signature over {signed_file}{stamp_en}, stored at {signature_path}; "
        f"signed by {subject}.",
        detail_vi=f"Chữ ký số CMS tách rời trên {signed_file}{stamp_vi}, lưu tại {signature_path}; "
        f"người ký: {subject}.",
        outcome_detail=signature_path,
        agents=(_certificate_agent(cert, "implementer"), _tool_agent()),
        objects=(signed_file, signature_path),
    )


def _param(report: Report, code: str, name: str) -> str | None:
    for item in report.findings:
        if item.code == code:
            value = item.params.get(name)
            return None if value is None else str(value)
    return None


def signature_validation_event(
    report: Report, *, when: dt.datetime, agent: Mapping[str, str] | None = None
) -> PremisEvent:
    """The "digital signature validation" event for a :func:`~luutru_aip.signing.verify_package` report.

    ``outcome`` is ``success`` for a valid report, ``warning`` when it is valid with warnings (for
    example revocation not checked), ``fail`` otherwise; ``outcome_detail`` lists the codes of the
    errors and warnings (never their details). ``agent`` optionally names the validating
    organisation (keys ``name`` and ``identifier``), added as the ``validator``.
    """
    if report.valid:
        outcome = "warning" if any(f.severity >= Severity.WARNING for f in report.findings) else "success"
    else:
        outcome = "fail"
    signer = _param(report, "SIG020", "signer")
    signed_file = _param(report, "SIG020", "signed_file")
    codes = sorted({f.code for f in report.findings if f.severity >= Severity.WARNING})
    ok = report.valid
    agents = [_tool_agent()]
    if agent is not None:
        agents.insert(
            0,
            EventAgent(
                name=agent.get("name", ""),
                role="validator",
                agent_type="organization",
                identifier_type="local",
                identifier=agent.get("identifier", agent.get("name", "")),
            ),
        )
    covered = not any(s.check == "signature.coverage" for s in report.skipped)
    if ok and covered:
        detail_en = (
            f"Signature verified: signed by {signer}; {signed_file} and every file it covers are unchanged."
        )
        detail_vi = (
            f"Chữ ký số hợp lệ: người ký {signer}; {signed_file} và mọi tệp mà nó bao phủ không bị thay đổi."
        )
    elif ok:
        detail_en = f"Signature verified: signed by {signer}; {signed_file} is unchanged."
        detail_vi = f"Chữ ký số hợp lệ: người ký {signer}; {signed_file} không bị thay đổi."
    else:
        detail_en = "Signature verification failed."
        detail_vi = "Xác minh chữ ký số không đạt."
    return PremisEvent(
        event_type=EVENT_VALIDATION,
        event_type_uri=_URIS[EVENT_VALIDATION],
        moment=when,
        datetime=vietnam_time(when),
        outcome=outcome,
        detail_en=detail_en,
        detail_vi=detail_vi,
        outcome_detail=", ".join(codes),
        agents=tuple(agents),
        objects=tuple(x for x in (signed_file, "signatures/package.p7s") if x),
    )
