"""PREMIS 3.0 writer (``PREMIS.xml``, ``PREMIS_rep1.xml``) and fixity reader (L1).

Implements the PREMIS Data Dictionary 3.0 as the schema ``premis-v3-0.xsd`` encodes it
(namespace ``http://www.loc.gov/premis/v3``), used the way E-ARK CSIP §5.4 ("Use of PREMIS") and
E-ARK AIP 2.2.0 (``AIP7``, ``AIP8``, ``AIP11``–``AIP13``, ``AIP15``–``AIP18``) describe:

* objects: ``file`` objects (``xsi:type="file"``) from :class:`~luutru_aip.model.PackageFile` with
  SHA-256 (and SHA-512) fixity, size, format (PRONOM PUID in ``formatRegistry`` when known, the name
  and version from identification, else the MIME type), ``originalName``, the package location
  (``storage/contentLocation``), PDF facts as ``significantProperties`` and a structural
  ``is included in`` relationship to their representation; ``representation`` and
  ``intellectualEntity`` objects from :class:`PremisEntity`;
* events: :class:`~luutru_aip.model.Event` with the Library of Congress event type vocabulary
  (``http://id.loc.gov/vocabulary/preservation/eventType``), outcome, detail, and linking agent /
  object identifiers with their roles;
* agents: :class:`~luutru_aip.model.Agent` (the archive, this software with ``agentVersion``).

Labels come from the LoC vocabularies and carry ``authority`` / ``authorityURI`` / ``valueURI``.
Event details are checked against the 2011 → 2024 vocabulary (:func:`luutru_aip.vocab.old_terms_in`):
a new package never says "bảo hiểm tài liệu lưu trữ" (``allow_old_terms`` exists for migration
events that must quote an old label). Output is deterministic (sorted objects, events and agents;
times from the inputs via :func:`~luutru_aip.model.format_vn_time`, +07:00) and streamed, so
10,000 files need no document tree in memory.

:func:`read_premis_fixity` reads the digests back (for validate and audit), streaming large files.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Final, Literal

import attrs
from lxml import etree

from luutru_aip.metadata._xml import iterparse_xml, parse_xml
from luutru_aip.metadata.mets import XmlWriter, href_for, path_from_href
from luutru_aip.model import Agent, Event, PackageFile, format_vn_time, stable_uuid
from luutru_aip.vocab import old_terms_in

__all__ = [
    "AGENT_ROLES",
    "AGENT_TYPES",
    "DEFAULT_EVENT_DETAILS",
    "EVENT_OUTCOMES",
    "EVENT_TYPES",
    "OBJECT_ROLES",
    "PREMIS_NS",
    "PremisEntity",
    "PremisFixity",
    "Relationship",
    "make_event",
    "premis_document",
    "read_premis_fixity",
]

PREMIS_NS: Final = "http://www.loc.gov/premis/v3"
_XSI_NS: Final = "http://www.w3.org/2001/XMLSchema-instance"
_SCHEMA_LOCATION: Final = f"{PREMIS_NS} http://www.loc.gov/standards/premis/v3/premis-v3-0.xsd"
_LOC: Final = "http://id.loc.gov/vocabulary/preservation/"


def _vocab(scheme: str, codes: Mapping[str, str]) -> dict[str, str]:
    return {label: f"{_LOC}{scheme}/{code}" for label, code in codes.items()}


#: LoC "Event Type" vocabulary: authoritative label → URI (http://id.loc.gov/vocabulary/preservation/eventType).
EVENT_TYPES: Final = _vocab(
    "eventType",
    {
        "accession": "acc", "appraisal": "app", "capture": "cap", "compression": "com", "compiling": "cop",
        "creation": "cre", "deaccession": "dea", "decompression": "dec", "deletion": "del",
        "decryption": "der", "digital signature validation": "dig", "dissemination": "dis",
        "digital signature generation": "dsg", "displaying": "dsp", "encryption": "enc",
        "execution": "exe", "exporting": "exp", "extraction": "ext", "forensic feature analysis": "ffa",
        "filename change": "fil", "fixity check": "fix", "format identification": "for",
        "imaging": "ima", "ingestion end": "ine", "ingestion": "ing", "ingestion start": "ins",
        "interpreting": "int", "information package creation": "ipc",
        "information package merging": "ipm", "information package splitting": "ips",
        "metadata extraction": "mee", "metadata modification": "mem",
        "message digest calculation": "mes", "migration": "mig", "modification": "mod",
        "normalization": "nor", "packing": "pac", "policy assignment": "poa", "printing": "prt",
        "quarantine": "qua", "recovery": "rec", "redaction": "red", "refreshment": "ref",
        "rendering": "ren", "replication": "rep", "transfer": "tra", "unpacking": "unp",
        "unquarantine": "unq", "validation": "val", "virus check": "vir",
    },
)  # fmt: skip
#: LoC "Event Outcome" vocabulary.
EVENT_OUTCOMES: Final = _vocab("eventOutcome", {"success": "suc", "fail": "fai", "warning": "war"})
#: LoC "Event Related Agent Role" terms we use (other roles are written without a URI).
AGENT_ROLES: Final = _vocab(
    "eventRelatedAgentRole", {"authorizer": "aut", "executing program": "exe", "implementer": "imp"}
)
#: LoC "Event Related Object Role" vocabulary.
OBJECT_ROLES: Final = _vocab("eventRelatedObjectRole", {"source": "sou", "outcome": "out"})
#: LoC "Agent Type" vocabulary.
AGENT_TYPES: Final = _vocab(
    "agentType", {"organization": "org", "person": "per", "software": "sof", "hardware": "har"}
)
_RELATIONSHIP_TYPES: Final = _vocab("relationshipType", {"structural": "str", "derivation": "der"})
_RELATIONSHIP_SUBTYPES: Final = _vocab(
    "relationshipSubType",
    {"includes": "inc", "is included in": "isi", "represents": "rep", "is represented by": "isr",
     "is source of": "iso"},
)  # fmt: skip
_HASHES: Final = _vocab("cryptographicHashFunctions", {"SHA-256": "sha256", "SHA-512": "sha512"})
_AUTHORITY_URI: Final = {
    "eventType": f"{_LOC}eventType",
    "eventOutcome": f"{_LOC}eventOutcome",
    "eventRelatedAgentRole": f"{_LOC}eventRelatedAgentRole",
    "eventRelatedObjectRole": f"{_LOC}eventRelatedObjectRole",
    "agentType": f"{_LOC}agentType",
    "relationshipType": f"{_LOC}relationshipType",
    "relationshipSubType": f"{_LOC}relationshipSubType",
    "cryptographicHashFunctions": f"{_LOC}cryptographicHashFunctions",
}

#: Default ``eventDetail`` texts (Vietnamese, 2024 vocabulary) for the events a build records.
DEFAULT_EVENT_DETAILS: Final[Mapping[str, str]] = {
    "message digest calculation": "Tính giá trị băm SHA-256 của từng tệp trong gói khi sao chép vào gói.",
    "format identification": "Nhận dạng định dạng tệp theo sổ đăng ký PRONOM.",
    "validation": "Kiểm tra gói theo E-ARK CSIP và Thông tư 05/2025/TT-BNV; kiểm tra tệp PDF.",
    "information package creation": "Lập gói thông tin tài liệu lưu trữ số theo Thông tư 05/2025/TT-BNV.",
    "ingestion": "Tiếp nhận gói vào kho lưu trữ số.",
    "digital signature generation": "Ký số gói tài liệu lưu trữ số.",
    "digital signature validation": "Xác thực chữ ký số của gói.",
    "transfer": "Số hóa tài liệu lưu trữ và chuyển vào gói lưu trữ.",
    "fixity check": "Kiểm tra tính toàn vẹn của tệp bằng giá trị băm đã lưu.",
    "metadata modification": "Cập nhật dữ liệu đặc tả của hồ sơ, tài liệu.",
    "replication": "Lập bản lưu trữ dự phòng của gói.",
}

_UUID: Final = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _identifier_type(value: str) -> str:
    """``UUID`` for a bare UUID, ``URN`` for ``urn:…`` (``urn:uuid:`` OBJIDs), else ``local``."""
    if _UUID.fullmatch(value):
        return "UUID"
    if value[:4].lower() == "urn:":
        return "URN"
    return "local"


@attrs.frozen(kw_only=True)
class Relationship:
    """A PREMIS ``relationship`` (LoC relationshipType / relationshipSubType labels)."""

    type: str
    sub_type: str
    related: str
    related_type: str | None = None


@attrs.frozen(kw_only=True)
class PremisEntity:
    """A ``representation`` or ``intellectualEntity`` object (for files, pass PackageFile)."""

    identifier: str
    kind: Literal["representation", "intellectualEntity"]
    identifier_type: str | None = None
    original_name: str | None = None
    significant_properties: tuple[tuple[str, str], ...] = ()
    relationships: tuple[Relationship, ...] = ()

    def __attrs_post_init__(self) -> None:
        if self.kind not in ("representation", "intellectualEntity"):
            raise ValueError(f"kind must be representation or intellectualEntity, not {self.kind!r}")
        if not self.identifier:
            raise ValueError("an object needs an identifier")


def make_event(
    event_type: str,
    *,
    scope: str,
    moment: datetime,
    outcome: str = "success",
    detail: str | None = None,
    outcome_detail: str | None = None,
    agents: Sequence[tuple[str, str]] = (),
    objects: Sequence[tuple[str, str]] = (),
    key: str = "",
) -> Event:
    """An :class:`~luutru_aip.model.Event` with a deterministic UUID identifier.

    The identifier is :func:`~luutru_aip.model.stable_uuid` of ``scope`` (usually the OBJID), the
    event type and ``key`` (to tell apart two events of one type); ``detail`` defaults to
    :data:`DEFAULT_EVENT_DETAILS`.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"{event_type!r} is not a LoC event type label")
    return Event(
        identifier=str(stable_uuid(scope, "premis-event", event_type, key)),
        type=event_type,
        moment=moment,
        outcome=outcome,
        detail=DEFAULT_EVENT_DETAILS.get(event_type, "") if detail is None else detail,
        outcome_detail=outcome_detail,
        agents=tuple(agents),
        objects=tuple(objects),
    )


# --------------------------------------------------------------------------- writer


def _authority(scheme: str, table: Mapping[str, str], label: str) -> list[tuple[str, str | None]]:
    uri = table.get(label)
    if uri is None:
        return []
    return [("authority", scheme), ("authorityURI", _AUTHORITY_URI[scheme]), ("valueURI", uri)]


def _identifier(w: XmlWriter, element: str, prefix: str, kind: str, value: str) -> None:
    with w.element(f"premis:{element}"):
        w.leaf(f"premis:{prefix}Type", text=kind)
        w.leaf(f"premis:{prefix}Value", text=value)


def _relationship(w: XmlWriter, rel: Relationship) -> None:
    with w.element("premis:relationship"):
        w.leaf(
            "premis:relationshipType",
            _authority("relationshipType", _RELATIONSHIP_TYPES, rel.type),
            rel.type,
        )
        w.leaf(
            "premis:relationshipSubType",
            _authority("relationshipSubType", _RELATIONSHIP_SUBTYPES, rel.sub_type),
            rel.sub_type,
        )
        _identifier(
            w,
            "relatedObjectIdentifier",
            "relatedObjectIdentifier",
            rel.related_type or _identifier_type(rel.related),
            rel.related,
        )


def _significant(w: XmlWriter, properties: Sequence[tuple[str, str]]) -> None:
    for kind, value in properties:
        with w.element("premis:significantProperties"):
            w.leaf("premis:significantPropertiesType", text=kind)
            w.leaf("premis:significantPropertiesValue", text=value)


def _pdf_properties(file: PackageFile) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if file.pdf_pages is not None:
        out.append(("page count", str(file.pdf_pages)))
    if file.pdfa_claim:
        out.append(("PDF/A conformance claim", file.pdfa_claim))
    if file.encrypted is not None:
        out.append(("encrypted", "true" if file.encrypted else "false"))
    return out


def _write_entity(w: XmlWriter, entity: PremisEntity) -> None:
    with w.element("premis:object", [("xsi:type", f"premis:{entity.kind}")]):
        _identifier(
            w,
            "objectIdentifier",
            "objectIdentifier",
            entity.identifier_type or _identifier_type(entity.identifier),
            entity.identifier,
        )
        _significant(w, entity.significant_properties)
        if entity.original_name:
            w.leaf("premis:originalName", text=entity.original_name)
        for rel in entity.relationships:
            _relationship(w, rel)


def _write_file(w: XmlWriter, file: PackageFile, parent: str | None, originator: str | None) -> None:
    with w.element("premis:object", [("xsi:type", "premis:file")]):
        # objectIdentifier = METS file/@ID, so PREMIS and METS agree on which object is which.
        _identifier(w, "objectIdentifier", "objectIdentifier", "local", file.file_id)
        _significant(w, _pdf_properties(file))
        with w.element("premis:objectCharacteristics"):
            w.leaf("premis:compositionLevel", text="0")
            for algorithm, digest in (("SHA-256", file.sha256), ("SHA-512", file.sha512)):
                if digest:
                    with w.element("premis:fixity"):
                        w.leaf(
                            "premis:messageDigestAlgorithm",
                            _authority("cryptographicHashFunctions", _HASHES, algorithm),
                            algorithm,
                        )
                        w.leaf("premis:messageDigest", text=digest.lower())
                        if originator:
                            w.leaf("premis:messageDigestOriginator", text=originator)
            w.leaf("premis:size", text=str(file.size))
            with w.element("premis:format"):  # AIP7, AIP8
                with w.element("premis:formatDesignation"):
                    w.leaf("premis:formatName", text=file.format_name or file.mime)
                    w.optional("premis:formatVersion", file.format_version)
                if file.puid:
                    with w.element("premis:formatRegistry"):
                        w.leaf("premis:formatRegistryName", text="PRONOM")
                        w.leaf("premis:formatRegistryKey", text=file.puid)
                        w.leaf("premis:formatRegistryRole", text="specification")
        if file.original_name:
            w.leaf("premis:originalName", text=file.original_name)
        with w.element("premis:storage"), w.element("premis:contentLocation"):  # AIP11
            w.leaf("premis:contentLocationType", text="URI")
            w.leaf("premis:contentLocationValue", text=href_for(file.path))
        if parent is not None:  # AIP12, AIP13
            _relationship(w, Relationship(type="structural", sub_type="is included in", related=parent))


def _check_terms(text: str | None, where: str) -> None:
    if text:
        found = old_terms_in(text)
        if found:
            pairs = "; ".join(f"{t.old!r} → {t.new!r}" for t in found)
            raise ValueError(f"{where} uses the 2011 vocabulary ({pairs}); new packages use the 2024 terms")


def _write_event(
    w: XmlWriter, event: Event, agents: Mapping[str, Agent], object_types: Mapping[str, str]
) -> None:
    with w.element("premis:event"):
        _identifier(
            w, "eventIdentifier", "eventIdentifier", _identifier_type(event.identifier), event.identifier
        )
        w.leaf("premis:eventType", _authority("eventType", EVENT_TYPES, event.type), event.type)
        w.leaf("premis:eventDateTime", text=format_vn_time(event.moment))
        if event.detail:
            with w.element("premis:eventDetailInformation"):
                w.leaf("premis:eventDetail", text=event.detail)
        with w.element("premis:eventOutcomeInformation"):
            w.leaf(
                "premis:eventOutcome",
                _authority("eventOutcome", EVENT_OUTCOMES, event.outcome),
                event.outcome,
            )
            if event.outcome_detail:
                with w.element("premis:eventOutcomeDetail"):
                    w.leaf("premis:eventOutcomeDetailNote", text=event.outcome_detail)
        for agent_id, role in event.agents:  # AIP16
            with w.element("premis:linkingAgentIdentifier"):
                w.leaf("premis:linkingAgentIdentifierType", text=_agent_id_type(agents[agent_id]))
                w.leaf("premis:linkingAgentIdentifierValue", text=agent_id)
                if role:
                    w.leaf(
                        "premis:linkingAgentRole",
                        _authority("eventRelatedAgentRole", AGENT_ROLES, role),
                        role,
                    )
        for object_id, role in event.objects:
            with w.element("premis:linkingObjectIdentifier"):
                w.leaf(
                    "premis:linkingObjectIdentifierType",
                    text=object_types.get(object_id) or _identifier_type(object_id),
                )
                w.leaf("premis:linkingObjectIdentifierValue", text=object_id)
                if role:
                    w.leaf(
                        "premis:linkingObjectRole",
                        _authority("eventRelatedObjectRole", OBJECT_ROLES, role),
                        role,
                    )


def _agent_id_type(agent: Agent) -> str:
    return _identifier_type(agent.identifier)


def _write_agent(w: XmlWriter, agent: Agent) -> None:
    with w.element("premis:agent"):  # AIP18
        _identifier(w, "agentIdentifier", "agentIdentifier", _agent_id_type(agent), agent.identifier)
        w.leaf("premis:agentName", text=agent.name)
        kind = agent.kind.lower()
        w.leaf("premis:agentType", _authority("agentType", AGENT_TYPES, kind), kind)
        w.optional("premis:agentVersion", agent.version)
        if agent.note:
            w.leaf("premis:agentNote", text=agent.note)


def premis_document(
    *,
    objects: Sequence[PackageFile | PremisEntity] = (),
    events: Sequence[Event] = (),
    agents: Sequence[Agent] = (),
    representation: tuple[str, str] | None = None,
    intellectual_entity: str | None = None,
    digest_originator: str | None = None,
    allow_old_terms: bool = False,
) -> bytes:
    """A PREMIS 3.0 document (``<premis version="3.0">``) as UTF-8 bytes.

    Objects are written in this order: the ``intellectualEntity`` named by ``intellectual_entity``
    (usually the OBJID); the ``representation`` given as ``(identifier, folder name)`` (the folder
    name becomes its ``originalName``; it ``represents`` the intellectual entity when both are
    given); the :class:`PremisEntity` items of ``objects`` in the order given; then one ``file``
    object per :class:`~luutru_aip.model.PackageFile` of ``objects``, sorted by package path, each
    ``is included in`` the representation when one is given. Events are sorted by time then
    identifier, agents by identifier. Every agent an event names must be in ``agents`` (AIP18);
    event types must be LoC labels (:data:`EVENT_TYPES`) and outcomes ``success`` / ``fail`` /
    ``warning``. ``digest_originator`` fills ``messageDigestOriginator``. Raises
    :class:`ValueError` for inconsistent input.
    """
    entities: list[PremisEntity] = []
    if intellectual_entity is not None:
        entities.append(PremisEntity(identifier=intellectual_entity, kind="intellectualEntity"))
    parent: str | None = None
    if representation is not None:
        parent, label = representation
        links: tuple[Relationship, ...] = ()
        if intellectual_entity is not None:
            links = (Relationship(type="structural", sub_type="represents", related=intellectual_entity),)
        entities.append(
            PremisEntity(identifier=parent, kind="representation", original_name=label, relationships=links)
        )
    entities += [o for o in objects if isinstance(o, PremisEntity)]
    file_list = sorted((o for o in objects if isinstance(o, PackageFile)), key=lambda f: f.path)
    if not file_list and not entities:
        raise ValueError("a PREMIS document needs at least one object")
    object_types: dict[str, str] = {}
    for entity in entities:
        if entity.identifier in object_types:
            raise ValueError(f"object identifier {entity.identifier!r} is used twice")
        object_types[entity.identifier] = entity.identifier_type or _identifier_type(entity.identifier)
    for file in file_list:
        if file.file_id in object_types:
            raise ValueError(f"object identifier {file.file_id!r} is used twice")
        object_types[file.file_id] = "local"
    agent_map: dict[str, Agent] = {}
    for agent in agents:
        if agent.identifier in agent_map:
            raise ValueError(f"agent identifier {agent.identifier!r} is used twice")
        agent_map[agent.identifier] = agent
        if not allow_old_terms:
            _check_terms(agent.note, f"agent {agent.identifier!r} note")
    seen_events: set[str] = set()
    for event in events:
        if event.identifier in seen_events:
            raise ValueError(f"event identifier {event.identifier!r} is used twice")
        seen_events.add(event.identifier)
        if event.type not in EVENT_TYPES:
            raise ValueError(f"event {event.identifier}: {event.type!r} is not a LoC event type label")
        if event.outcome not in EVENT_OUTCOMES:
            raise ValueError(f"event {event.identifier}: outcome must be one of {sorted(EVENT_OUTCOMES)}")
        for agent_id, _ in event.agents:
            if agent_id not in agent_map:
                raise ValueError(f"event {event.identifier} names agent {agent_id!r}, which is not described")
        if not allow_old_terms:
            _check_terms(event.detail, f"event {event.identifier} detail")
            _check_terms(event.outcome_detail, f"event {event.identifier} outcome detail")

    w = XmlWriter()
    root_attrs = [
        ("xmlns:premis", PREMIS_NS),
        ("xmlns:xsi", _XSI_NS),
        ("version", "3.0"),
        ("xsi:schemaLocation", _SCHEMA_LOCATION),
    ]
    with w.element("premis:premis", root_attrs):
        for entity in entities:
            _write_entity(w, entity)
        for file in file_list:
            _write_file(w, file, parent, digest_originator)
        for event in sorted(events, key=lambda e: (e.moment, e.identifier)):
            _write_event(w, event, agent_map, object_types)
        for agent in sorted(agent_map.values(), key=lambda a: a.identifier):
            _write_agent(w, agent)
    return w.getvalue()


# --------------------------------------------------------------------------- reader


@attrs.frozen(kw_only=True)
class PremisFixity:
    """One ``fixity`` of a PREMIS object, with what identifies the object."""

    object_id: str
    algorithm: str
    digest: str
    size: int | None
    original_name: str | None
    #: ``storage/contentLocationValue`` as written (a URI relative to the package root).
    content_location: str | None
    #: The package path of ``content_location`` (``None`` when absent or not a valid reference).
    path: str | None


def _text(element: Any, path: str) -> str | None:
    found = element.find(path, {"p": PREMIS_NS})
    if found is None or found.text is None:
        return None
    return str(found.text).strip()


def _object_fixities(element: Any) -> Iterator[PremisFixity]:
    object_id = _text(element, "p:objectIdentifier/p:objectIdentifierValue") or ""
    size_text = _text(element, "p:objectCharacteristics/p:size")
    try:
        size = int(size_text) if size_text is not None else None
    except ValueError:
        size = None
    location = _text(element, "p:storage/p:contentLocation/p:contentLocationValue")
    try:
        path = path_from_href(location) if location else None
    except ValueError:
        path = None
    original = element.find("p:originalName", {"p": PREMIS_NS})
    original_name = None if original is None else (original.text or "")
    for fixity in element.iterfind("p:objectCharacteristics/p:fixity", {"p": PREMIS_NS}):
        yield PremisFixity(
            object_id=object_id,
            algorithm=_text(fixity, "p:messageDigestAlgorithm") or "",
            digest=_text(fixity, "p:messageDigest") or "",
            size=size,
            original_name=original_name,
            content_location=location,
            path=path,
        )


def read_premis_fixity(
    source: etree._ElementTree | etree._Element | bytes | str | os.PathLike[str],
) -> Iterator[PremisFixity]:
    """Every ``(object, fixity)`` pair of a PREMIS document, in document order.

    ``source`` is a tree or element already parsed with :mod:`luutru_aip.metadata._xml`, document
    bytes, or a file name; a file is streamed (:func:`~luutru_aip.metadata._xml.iterparse_xml`), one
    object at a time, so memory stays flat for 10,000+ objects. Bad documents raise like the
    hardened parser (:class:`~luutru_aip.errors.InputError`, ``XMLSecurityError``).
    """
    tag = f"{{{PREMIS_NS}}}object"
    if isinstance(source, (str, os.PathLike)):
        for _event, element in iterparse_xml(source, events=("end",), tag=tag):
            if element.getparent() is not None and element.getparent().tag != f"{{{PREMIS_NS}}}premis":
                continue
            yield from _object_fixities(element)
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
        return
    if isinstance(source, bytes):
        source = parse_xml(source)
    root = source.getroot() if isinstance(source, etree._ElementTree) else source
    for element in root.iterfind(tag):
        yield from _object_fixities(element)
