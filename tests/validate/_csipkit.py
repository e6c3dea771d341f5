"""Writes small, valid E-ARK CSIP / SIP / AIP and TT05 packages for the tests, by hand.

The XML is written from string templates and the sizes and checksums with :mod:`hashlib`, not
with luutru_aip (the validator is tested against an independent writer). Every document is
built in dependency order (data → representation METS and PREMIS → root METS), so a *hook*
(a text substitution applied to one document before its checksum is taken) changes exactly one
thing: a mutation test sees only the finding it is about.
"""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

import attrs

Hook = Callable[[str], str]
T = "2025-07-01T09:00:00+07:00"
CSIP_PROFILE = "https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml"
SIP_PROFILE = "https://earksip.dilcis.eu/profile/E-ARK-SIP-v2-2-0.xml"
AIP_PROFILE = "https://earkaip.dilcis.eu/profile/E-ARK-AIP-v2-2-0.xml"
SHARED_XSD = Path(__file__).resolve().parents[2].parent / "shared" / "xsd"
NS = (
    'xmlns:mets="http://www.loc.gov/METS/" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:csip="https://DILCIS.eu/XML/METS/CSIPExtensionMETS" '
    'xmlns:sip="https://DILCIS.eu/XML/METS/SIPExtensionMETS"'
)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_ALGO = {"SHA-256": "sha256", "MD5": "md5", "SHA-512": "sha512", "SHA-1": "sha1"}


def checksum(data: bytes, kind: str) -> str:
    return hashlib.new(_ALGO[kind], data).hexdigest()


def _same(text: str) -> str:
    return text


def official_mets_xsd() -> bytes:
    """The official METS schema when the shared XSD folder is there (pinned: no SCH002), else a stub."""
    path = SHARED_XSD / "mets.xsd"
    return (
        path.read_bytes() if path.is_file() else b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>\n'
    )


@attrs.define
class Spec:
    """What to put in the package; defaults give a minimal valid CSIP package."""

    objid: str = "pkg-001"
    profile: str = CSIP_PROFILE
    ptype: str = "SIP"
    mets_type: str = "Text"
    time: str = T
    data: Mapping[str, bytes] = attrs.Factory(lambda: {"a.txt": b"Ho so luu tru so 01\n"})
    data_mime: Mapping[str, str] = attrs.Factory(dict)
    docs: Mapping[str, bytes] = attrs.Factory(lambda: {"documentation/readme.txt": b"Huong dan\n"})
    schemas: Mapping[str, bytes] = attrs.Factory(lambda: {"schemas/mets.xsd": official_mets_xsd()})
    descriptive: tuple[str, str, bytes] | None = (
        "metadata/descriptive/dc.xml",
        "DC",
        b'<?xml version="1.0" encoding="UTF-8"?>\n<dc '
        b'xmlns="http://purl.org/dc/elements/1.1/"><title>Ho so</title></dc>\n',
    )
    premis: bool = True
    premis_path: str = "metadata/preservation/premis.xml"
    rep_premis: str | None = None  # e.g. "metadata/preservation/PREMIS_rep1.xml" (relative to rep1/)
    rep_descriptive: Mapping[str, bytes] = attrs.Factory(dict)  # relative to rep1/metadata/descriptive/
    extra_agents: str = ""
    alt_ids: str = ""
    file_id: Callable[[str], str] = lambda name: "file-" + name.replace("/", "-").replace(".", "-")
    rep_name: str = "rep1"
    hooks: dict[str, Hook] = attrs.Factory(dict)  # keys: root, rep, premis, rep_premis
    extra_files: Mapping[str, bytes] = attrs.Factory(dict)  # written as-is, referenced by nothing
    extra_rep_group_files: Mapping[str, bytes] = attrs.Factory(dict)  # written and listed in grp-rep1
    extra_dirs: tuple[str, ...] = ()
    reps_dir: str = "representations"
    data_dir: str = "data"
    rep_metadata_dir: bool = True
    checksum: str = "SHA-256"  # SHA-256 | MD5 | SHA-512

    def hook(self, key: str) -> Hook:
        return self.hooks.get(key, _same)


def _mdref(href: str, mdtype: str, data: bytes, spec: Spec, mime: str = "application/xml") -> str:
    return (
        f'<mets:mdRef LOCTYPE="URL" xlink:type="simple" xlink:href="{href}" MDTYPE="{mdtype}" '
        f'MIMETYPE="{mime}" SIZE="{len(data)}" CREATED="{spec.time}" '
        f'CHECKSUM="{checksum(data, spec.checksum)}" '
        f'CHECKSUMTYPE="{spec.checksum}"/>'
    )


def _file(ident: str, href: str, data: bytes, mime: str, spec: Spec) -> str:
    return (
        f'<mets:file ID="{ident}" MIMETYPE="{mime}" SIZE="{len(data)}" CREATED="{spec.time}" '
        f'CHECKSUM="{checksum(data, spec.checksum)}" CHECKSUMTYPE="{spec.checksum}">'
        f'<mets:FLocat LOCTYPE="URL" xlink:type="simple" xlink:href="{href}"/></mets:file>'
    )


def _agent_software() -> str:
    return (
        '<mets:agent ROLE="CREATOR" TYPE="OTHER" OTHERTYPE="SOFTWARE"><mets:name>luutru-aip test '
        "kit</mets:name>"
        '<mets:note csip:NOTETYPE="SOFTWARE VERSION">1.0</mets:note></mets:agent>'
    )


def premis_doc(
    objects: list[tuple[str, bytes]], spec: Spec, *, events: bool = True, event_id: str = "event-1"
) -> str:
    """A PREMIS 3 document describing ``objects`` ((identifier path, bytes)) with one event and agent."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<premis:premis xmlns:premis="http://www.loc.gov/premis/v3" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" version="3.0">',
    ]
    for ident, data in objects:
        parts.append(
            '<premis:object xsi:type="premis:file"><premis:objectIdentifier>'
            "<premis:objectIdentifierType>local</premis:objectIdentifierType>"
            f"<premis:objectIdentifierValue>{ident}</premis:objectIdentifierValue></premis:objectIdentifier>"
            "<premis:objectCharacteristics><premis:fixity>"
            "<premis:messageDigestAlgorithm>SHA-256</premis:messageDigestAlgorithm>"
            f"<premis:messageDigest>{sha256(data)}</premis:messageDigest></premis:fixity>"
            f"<premis:size>{len(data)}</premis:size><premis:format><premis:formatDesignation>"
            "<premis:formatName>Plain text</premis:formatName></premis:formatDesignation></premis:format>"
            "</premis:objectCharacteristics></premis:object>"
        )
    if events:
        first = objects[0][0] if objects else "none"
        parts.append(
            "<premis:event><premis:eventIdentifier><premis:eventIdentifierType>local</premis:eventIdentifierType>"
            f"<premis:eventIdentifierValue>{event_id}</premis:eventIdentifierValue></premis:eventIdentifier>"
            f"<premis:eventType>creation</premis:eventType><premis:eventDateTime>{spec.time}</premis:eventDateTime>"
            "<premis:linkingAgentIdentifier><premis:linkingAgentIdentifierType>local</premis:linkingAgentIdentifierType>"
            "<premis:linkingAgentIdentifierValue>agent-1</premis:linkingAgentIdentifierValue></premis:linkingAgentIdentifier>"
            "<premis:linkingObjectIdentifier><premis:linkingObjectIdentifierType>local</premis:linkingObjectIdentifierType>"
            f"<premis:linkingObjectIdentifierValue>{first}</premis:linkingObjectIdentifierValue>"
            "</premis:linkingObjectIdentifier></premis:event>"
            "<premis:agent><premis:agentIdentifier><premis:agentIdentifierType>local</premis:agentIdentifierType>"
            "<premis:agentIdentifierValue>agent-1</premis:agentIdentifierValue></premis:agentIdentifier>"
            "<premis:agentName>luutru-aip test "
            "kit</premis:agentName><premis:agentType>software</premis:agentType>"
            "</premis:agent>"
        )
    parts.append("</premis:premis>\n")
    return "\n".join(parts)


def build(root: Path, spec: Spec | None = None) -> Path:
    """Write the package described by ``spec`` into the new folder ``root``; returns ``root``."""
    spec = spec or Spec()
    root.mkdir(parents=True, exist_ok=False)
    rep = f"{spec.reps_dir}/{spec.rep_name}"
    dd = spec.data_dir

    def write(rel: str, data: bytes) -> bytes:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return data

    data_files = {name: write(f"{rep}/{dd}/{name}", blob) for name, blob in spec.data.items()}
    if spec.rep_metadata_dir:
        (root / rep / "metadata").mkdir(parents=True, exist_ok=True)
    for rel, blob in {**spec.docs, **spec.schemas, **spec.extra_files, **spec.extra_rep_group_files}.items():
        write(rel, blob)
    for folder in spec.extra_dirs:
        (root / folder).mkdir(parents=True, exist_ok=True)
    # representation-level metadata
    rep_dmd: list[str] = []
    rep_md_ids: list[str] = []
    for index, (name, blob) in enumerate(sorted(spec.rep_descriptive.items()), start=1):
        write(f"{rep}/metadata/descriptive/{name}", blob)
        rep_dmd.append(
            f'<mets:dmdSec ID="rep-dmd-{index}" CREATED="{spec.time}" STATUS="CURRENT">'
            + _mdref(f"metadata/descriptive/{name}", "OTHER", blob, spec)
            + "</mets:dmdSec>"
        )
        rep_md_ids.append(f"rep-dmd-{index}")
    rep_amd = ""
    if spec.rep_premis is not None:
        text = spec.hook("rep_premis")(
            premis_doc([(f"{dd}/{n}", b) for n, b in sorted(data_files.items())], spec, event_id="event-rep1")
        ).encode()
        write(f"{rep}/{spec.rep_premis}", text)
        rep_amd = (
            f'<mets:amdSec ID="rep-amd"><mets:digiprovMD ID="rep-digiprov" CREATED="{spec.time}" '
            'STATUS="CURRENT">'
            + _mdref(spec.rep_premis, "PREMIS", text, spec, "text/xml")
            + "</mets:digiprovMD></mets:amdSec>"
        )
    rep_files = "".join(
        _file(
            spec.file_id(f"{rep}/{dd}/{name}"),
            f"{dd}/{name}",
            blob,
            spec.data_mime.get(name, "text/plain"),
            spec,
        )
        for name, blob in sorted(data_files.items())
    )
    rep_meta_div = ""
    if rep_dmd or rep_amd:
        dmdid = f' DMDID="{" ".join(rep_md_ids)}"' if rep_md_ids else ""
        admid = ' ADMID="rep-digiprov"' if rep_amd else ""
        rep_meta_div = f'<mets:div ID="rep-div-metadata" LABEL="Metadata"{dmdid}{admid}/>'
    rep_mets = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<mets:mets {NS} OBJID="{spec.rep_name}" '
        f'TYPE="{spec.mets_type}" '
        'csip:CONTENTINFORMATIONTYPE="OTHER" csip:OTHERCONTENTINFORMATIONTYPE="Plain records" '
        f'PROFILE="{spec.profile}">'
        f'<mets:metsHdr CREATEDATE="{spec.time}" RECORDSTATUS="NEW" csip:OAISPACKAGETYPE="{spec.ptype}">'
        f"{_agent_software()}</mets:metsHdr>{''.join(rep_dmd)}{rep_amd}"
        '<mets:fileSec ID="rep-filesec"><mets:fileGrp ID="rep-grp-data" '
        f'USE="Data">{rep_files}</mets:fileGrp>'
        '</mets:fileSec><mets:structMap ID="rep-structmap" TYPE="PHYSICAL" LABEL="CSIP">'
        f'<mets:div ID="rep-div" LABEL="{spec.rep_name}">{rep_meta_div}'
        '<mets:div ID="rep-div-data" LABEL="Data"><mets:fptr FILEID="rep-grp-data"/></mets:div>'
        "</mets:div></mets:structMap></mets:mets>\n"
    )
    rep_mets_bytes = write(f"{rep}/METS.xml", spec.hook("rep")(rep_mets).encode())
    # package-level metadata
    dmd = ""
    if spec.descriptive is not None:
        href, mdtype, blob = spec.descriptive
        write(href, blob)
        dmd = (
            f'<mets:dmdSec ID="dmd-1" CREATED="{spec.time}" STATUS="CURRENT">'
            + _mdref(href, mdtype, blob, spec)
            + "</mets:dmdSec>"
        )
    amd = ""
    if spec.premis:
        objects = [(f"{rep}/{dd}/{n}", b) for n, b in sorted(data_files.items())]
        text = spec.hook("premis")(premis_doc(objects, spec)).encode()
        write(spec.premis_path, text)
        amd = (
            f'<mets:amdSec ID="amd-1"><mets:digiprovMD ID="digiprov-1" CREATED="{spec.time}" '
            'STATUS="CURRENT">'
            + _mdref(spec.premis_path, "PREMIS", text, spec, "text/xml")
            + "</mets:digiprovMD></mets:amdSec>"
        )
    docs = "".join(
        _file(spec.file_id(rel), rel, blob, "text/plain", spec) for rel, blob in sorted(spec.docs.items())
    )
    schemas = "".join(
        _file(spec.file_id(rel), rel, blob, "application/xml", spec)
        for rel, blob in sorted(spec.schemas.items())
    )
    groups = ""
    divs = ""
    if docs:
        groups += f'<mets:fileGrp ID="grp-doc" USE="Documentation">{docs}</mets:fileGrp>'
        divs += '<mets:div ID="div-doc" LABEL="Documentation"><mets:fptr FILEID="grp-doc"/></mets:div>'
    if schemas:
        groups += f'<mets:fileGrp ID="grp-schemas" USE="Schemas">{schemas}</mets:fileGrp>'
        divs += '<mets:div ID="div-schemas" LABEL="Schemas"><mets:fptr FILEID="grp-schemas"/></mets:div>'
    groups += (
        f'<mets:fileGrp ID="grp-rep1" USE="Representations/{spec.rep_name}" '
        'csip:CONTENTINFORMATIONTYPE="OTHER" '
        'csip:OTHERCONTENTINFORMATIONTYPE="Plain records">'
        + _file(spec.file_id(f"{rep}/METS.xml"), f"{rep}/METS.xml", rep_mets_bytes, "application/xml", spec)
        + "".join(
            _file(spec.file_id(rel), rel, blob, "text/plain", spec)
            for rel, blob in sorted(spec.extra_rep_group_files.items())
        )
        + "</mets:fileGrp>"
    )
    divs += (
        f'<mets:div ID="div-rep1" LABEL="Representations/{spec.rep_name}"><mets:mptr LOCTYPE="URL" '
        f'xlink:type="simple" xlink:href="{rep}/METS.xml" xlink:title="grp-rep1"/></mets:div>'
    )
    meta_attrs = (' DMDID="dmd-1"' if dmd else "") + (' ADMID="digiprov-1"' if amd else "")
    meta_div = f'<mets:div ID="div-metadata" LABEL="Metadata"{meta_attrs}/>' if (dmd or amd) else ""
    mets = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<mets:mets {NS} OBJID="{spec.objid}" '
        f'TYPE="{spec.mets_type}" '
        'csip:CONTENTINFORMATIONTYPE="OTHER" csip:OTHERCONTENTINFORMATIONTYPE="Plain records" '
        f'PROFILE="{spec.profile}">\n'
        f'<mets:metsHdr CREATEDATE="{spec.time}" RECORDSTATUS="NEW" csip:OAISPACKAGETYPE="{spec.ptype}">'
        f"{_agent_software()}{spec.extra_agents}{spec.alt_ids}</mets:metsHdr>\n{dmd}\n{amd}\n"
        f'<mets:fileSec ID="filesec-1">{groups}</mets:fileSec>\n'
        '<mets:structMap ID="structmap-1" TYPE="PHYSICAL" LABEL="CSIP"><mets:div ID="div-1" '
        f'LABEL="{spec.objid}">'
        f"{meta_div}{divs}</mets:div></mets:structMap>\n</mets:mets>\n"
    )
    write("METS.xml", spec.hook("root")(mets).encode())
    return root


SIP_AGENTS = (
    '<mets:agent ROLE="CREATOR" TYPE="ORGANIZATION"><mets:name>Chi cục Văn thư - Lưu trữ</mets:name>'
    '<mets:note csip:NOTETYPE="IDENTIFICATIONCODE">G09.01</mets:note></mets:agent>'
)


def sip_spec(**changes: object) -> Spec:
    spec = Spec(profile=SIP_PROFILE, ptype="SIP", extra_agents=SIP_AGENTS)
    return attrs.evolve(spec, **changes)


def aip_spec(**changes: object) -> Spec:
    spec = Spec(profile=AIP_PROFILE, ptype="AIP")
    return attrs.evolve(spec, **changes)


def zip_folder(folder: Path, target: Path, *, root_name: str | None = None) -> Path:
    """ZIP ``folder`` so that it unpacks to one root folder (``root_name``, default the folder's name)."""
    name = root_name if root_name is not None else folder.name
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder).as_posix()
            arc = f"{name}/{rel}" if name else rel
            if path.is_dir():
                zf.writestr(arc + "/", b"")
            else:
                zf.write(path, arc)
    return target


def copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


# --------------------------------------------------------------------------- TT05

FILE_CODE = "H49.64.33.2001.160"
ARC_FILE_CODE = "LTQG1.H49.64.33.2001.160"


def pdf_bytes(pages: int = 2, *, pdfa: bool = True, encrypt: bool = False) -> bytes:
    """A small PDF (A4 pages) made with pikepdf, claiming PDF/A-2B in XMP when ``pdfa``."""
    import io

    import pikepdf

    pdf = pikepdf.new()
    for i in range(pages):
        pdf.add_blank_page(page_size=(595.28, 841.89))
        pdf.pages[-1].Contents = pikepdf.Stream(pdf, f"BT /F1 12 Tf 72 720 Td (trang {i}) Tj ET".encode())
    if pdfa:
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["pdfaid:part"] = "2"
            meta["pdfaid:conformance"] = "B"
    out = io.BytesIO()
    kwargs: dict[str, object] = {"deterministic_id": True}
    if encrypt:
        kwargs["encryption"] = pikepdf.Encryption(owner="owner", user="", R=6)
        kwargs.pop("deterministic_id")
    pdf.save(out, **kwargs)  # type: ignore[arg-type]
    return out.getvalue()


def simpledc(fields: Mapping[str, str]) -> bytes:
    body = "".join(f"<{k}>{v}</{k}>" for k, v in fields.items())
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<simpledc>{body}</simpledc>\n'.encode()


def tt05_file_fields(kind: str = "SIP", **changes: str | None) -> dict[str, str]:
    fields = {
        ("fileCode" if kind == "SIP" else "arcFileCode"): FILE_CODE if kind == "SIP" else ARC_FILE_CODE,
        "title": "Hồ sơ về việc ban hành quy chế văn thư, lưu trữ năm 2001",
        "maintenance": "01",
        "mode": "01",
        "language": "01",
        "startDate": "15/03/2001",
        "endDate": "31/12/2001",
        "keyword": "văn thư",
        "totalDoc": "1",
        "numberOfPaper": "2",
        "numberOfPage": "2",
        "format": "01",
        "inforSign": "VT",
        "confidenceLevel": "02",
        "paperFileCode": "LTQG1.K1-G2-H3.160",
        "riskRecovery": "1",
        "riskRecoveryStatus": "01",
        "description": "Người lập hồ sơ: Nguyễn Văn An",
    }
    for key, value in changes.items():
        if value is None:
            fields.pop(key, None)
        else:
            fields[key] = value
    return fields


def tt05_doc_fields(kind: str = "SIP", **changes: str | None) -> dict[str, str]:
    if kind == "SIP":
        fields = {"docId": f"{FILE_CODE}.1", "docCode": f"{FILE_CODE}.0000001", "maintenance": "01"}
    else:
        fields = {"arcFileCode": ARC_FILE_CODE, "docOrdinal": "1", "docCode": f"{FILE_CODE}.0000001"}
    fields.update(
        {
            "typeName": "02",
            "codeNumber": "12",
            "codeNotation": "QĐ-UBND",
            "issuedDate": "15/03/2001",
            "organName": "Ủy ban nhân dân tỉnh",
            "subject": "Quyết định ban hành quy chế công tác văn thư, lưu trữ",
            "language": "01",
            "numberOfPage": "2",
            "mode": "01",
            "confidenceLevel": "02",
        }
    )
    if kind == "SIP":
        fields.update({"riskRecovery": "1", "riskRecoveryStatus": "01"})
    fields["description"] = "Bản số hóa từ bản gốc giấy"
    for key, value in changes.items():
        if value is None:
            fields.pop(key, None)
        else:
            fields[key] = value
    return fields


def tt05_spec(
    kind: str = "SIP",
    *,
    file_fields: Mapping[str, str] | None = None,
    doc_fields: Mapping[str, str] | None = None,
    pdf: bytes | None = None,
    **changes: object,
) -> Spec:
    """A TT05 SIP_hoso or AIP_hoso with one digitised two-page PDF document."""
    import uuid

    ident = uuid.UUID("1b4e28ba-2fa1-11d2-883f-0016d3cca427")
    objid = f"uuid-{str(ident).upper()}" if kind == "SIP" else f"urn:uuid:{ident}"
    stem = f"{FILE_CODE}.0000001"
    spec = Spec(
        objid=objid,
        profile=SIP_PROFILE if kind == "SIP" else AIP_PROFILE,
        ptype=kind,
        data={f"{stem}.pdf": pdf if pdf is not None else pdf_bytes()},
        data_mime={f"{stem}.pdf": "application/pdf"},
        descriptive=(
            "metadata/descriptive/EAD.xml",
            "OTHER",
            simpledc(file_fields or tt05_file_fields(kind)),
        ),
        premis=kind == "AIP",
        premis_path="metadata/preservation/PREMIS.xml",
        rep_premis="metadata/preservation/PREMIS_rep1.xml" if kind == "AIP" else None,
        rep_descriptive={f"EAD_doc_{stem}.xml": simpledc(doc_fields or tt05_doc_fields(kind))},
        extra_agents=SIP_AGENTS,
        file_id=lambda name: "ID-" + str(uuid.uuid5(ident, name)),
    )
    return attrs.evolve(spec, **changes)


def tt05_folder_name(spec: Spec) -> str:
    return spec.objid.replace(":", "_")
