"""Writing the new AIP version of a planned migration (L3).

Everything is built in a temporary sibling of the output and renamed into place at the end, so an
interrupted run leaves no half version. The predecessor is only read: every file it lists in METS is
copied (or hard-linked with ``link``) and checked against the predecessor's own checksums in the same
read, so a damaged predecessor is never migrated. The new version:

* keeps the predecessor's bytes for every file the migration does not change;
* keeps the predecessor's version of every metadata file it changes (root and representation METS,
  the changed ``<simpledc>`` files, ``PREMIS.xml``, ``bag-info.txt``, the old signature) unchanged under
  ``metadata/preservation/previous/<predecessor folder name>/``, at their old relative paths, listed in the
  root METS as ``digiprovMD`` with ``STATUS="SUPERSEDED"``;
* gets a new OBJID, ``altRecordID TYPE="PREVIOUSVERSION"`` = the predecessor's OBJID,
  ``RECORDSTATUS="REPLACEMENT"``, an ``EDITOR`` software agent, and its METS checksums updated;
* gets PREMIS: an ``intellectualEntity`` for the new version with a ``derivation`` / ``has source``
  relationship to the predecessor, one ``metadata modification`` event per step listing every change
  old → new with the table version, a ``migration`` event when the container format changed, and a
  ``digital signature generation`` event when it is signed.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Final

import attrs
from lxml import etree

from luutru_aip import __version__
from luutru_aip._fs import TEMP_MARKER, atomic_dir, atomic_file
from luutru_aip.build import (
    Digests,
    StageItem,
    digests_of,
    package_name,
    stage_many,
    write_bag_tags,
    write_zip,
)
from luutru_aip.findings import Finding, Severity, finding
from luutru_aip.fixity import hash_file
from luutru_aip.metadata import premis as premis_writer
from luutru_aip.metadata._xml import parse_xml
from luutru_aip.metadata.mets import CSIP_NS, METS_NS, XLINK_NS, href_for, path_from_href
from luutru_aip.migrate._plan import PREVIOUS_DIR, Plan, representation_mets
from luutru_aip.model import VN_TZ, Agent, format_vn_time, stable_uuid
from luutru_aip.signing import SIGNATURE_PATH, Signer, sign_package, signature_generation_event

__all__ = ["WriteOptions", "new_objid", "write_version"]

_SOFTWARE: Final = "luutru-aip"
_ALGORITHMS: Final = {
    "SHA-256": "sha256",
    "SHA-512": "sha512",
    "SHA-1": "sha1",
    "MD5": "md5",
    "SHA-384": "sha384",
}
_MIME: Final = {".xml": "text/xml", ".txt": "text/plain", ".p7s": "application/pkcs7-signature"}
_FORMAT_VI: Final = {"dir": "thư mục", "bag": "BagIt", "zip": "ZIP"}


@attrs.frozen(kw_only=True)
class WriteOptions:
    moment: datetime
    format: str
    link: bool = False
    workers: int = 1
    sync: bool = True
    overwrite: bool = False
    signer: Signer | None = None
    tsa_url: str | None = None
    validate: Callable[[Path], Sequence[Finding]] | None = None


class WriteFailed(Exception):
    """The new version could not be written; nothing was published."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        super().__init__("; ".join(f.code for f in findings))
        self.findings = tuple(findings)


def new_objid(plan: Plan) -> str:
    """The new version's OBJID: deterministic from the predecessor and the steps (re-runs find it)."""
    parts = [plan.objid, *(f"{s.id}@{s.version}" for s in plan.steps), plan.codes or ""]
    return f"urn:uuid:{stable_uuid('migrate', *parts)}"


def final_path(plan: Plan, out: Path, fmt: str) -> Path:
    name = package_name(new_objid(plan))
    return out / (name + ".zip" if fmt == "zip" else name)


# --------------------------------------------------------------------------- METS


def _expected(
    plan: Plan, rep_trees: Mapping[str, etree._ElementTree]
) -> dict[str, tuple[str, str, str | None]]:
    """Package path → (algorithm, digest, CREATED) from the predecessor's root and representation METS."""
    out: dict[str, tuple[str, str, str | None]] = {}
    assert plan.mets is not None
    trees = [("", plan.mets), *((rel.rsplit("/", 1)[0], tree) for rel, tree in rep_trees.items())]
    for base, tree in trees:
        for element in tree.getroot().iter(f"{{{METS_NS}}}mdRef", f"{{{METS_NS}}}FLocat"):
            holder = element if element.tag == f"{{{METS_NS}}}mdRef" else element.getparent()
            assert holder is not None
            try:
                path = path_from_href(element.get(f"{{{XLINK_NS}}}href", ""), base)
            except ValueError:
                continue
            kind = (holder.get("CHECKSUMTYPE") or "").upper()
            digest = (holder.get("CHECKSUM") or "").lower()
            if kind in _ALGORITHMS and digest:
                out[path] = (_ALGORITHMS[kind], digest, holder.get("CREATED"))
            else:
                out.setdefault(path, ("", "", holder.get("CREATED")))
    return out


def _set_declaration(root: etree._Element, declaration: str) -> None:
    attr = f"{{{CSIP_NS}}}OTHERCONTENTINFORMATIONTYPE"
    cit = f"{{{CSIP_NS}}}CONTENTINFORMATIONTYPE"
    root.set(cit, "OTHER")
    root.set(attr, declaration)
    for group in root.iter(f"{{{METS_NS}}}fileGrp"):
        if group.get(attr) is not None or group.get(cit) == "OTHER":
            group.set(attr, declaration)


def _update_refs(root: etree._Element, base: str, digests: Mapping[str, Digests], moment: str) -> None:
    for element in root.iter(f"{{{METS_NS}}}mdRef", f"{{{METS_NS}}}FLocat"):
        holder = element if element.tag == f"{{{METS_NS}}}mdRef" else element.getparent()
        assert holder is not None
        try:
            path = path_from_href(element.get(f"{{{XLINK_NS}}}href", ""), base)
        except ValueError:
            continue
        found = digests.get(path)
        if found is None:
            continue
        holder.set("SIZE", str(found.size))
        holder.set("CHECKSUM", found.sha256)
        holder.set("CHECKSUMTYPE", "SHA-256")
        holder.set("CREATED", moment)


def _m(tag: str) -> str:
    return f"{{{METS_NS}}}{tag}"


def _update_root_mets(
    plan: Plan,
    tree: etree._ElementTree,
    *,
    objid: str,
    moment: str,
    digests: Mapping[str, Digests],
    previous: Sequence[tuple[str, Digests, str]],
) -> bytes:
    root = tree.getroot()
    root.set("OBJID", objid)
    _set_declaration(root, plan.steps[-1].to_declaration)
    header = root.find(_m("metsHdr"))
    if header is None:
        header = etree.Element(_m("metsHdr"))
        root.insert(0, header)
    header.set("LASTMODDATE", moment)
    header.set("RECORDSTATUS", "REPLACEMENT")
    for alt in header.findall(_m("altRecordID")):
        if alt.get("TYPE") == "PREVIOUSVERSION":
            header.remove(alt)
    agents = header.findall(_m("agent"))
    editor = etree.Element(_m("agent"), ROLE="EDITOR", TYPE="OTHER", OTHERTYPE="SOFTWARE")
    etree.SubElement(editor, _m("name")).text = _SOFTWARE
    note = etree.SubElement(editor, _m("note"))
    note.set(f"{{{CSIP_NS}}}NOTETYPE", "SOFTWARE VERSION")
    note.text = __version__
    alt = etree.Element(_m("altRecordID"), TYPE="PREVIOUSVERSION")
    alt.text = plan.objid
    position = header.index(agents[-1]) + 1 if agents else 0
    header.insert(position, editor)
    later_alts = header.findall(_m("altRecordID"))
    header.insert(header.index(later_alts[-1]) + 1 if later_alts else position + 1, alt)
    _update_refs(root, "", digests, moment)
    for div in root.iter(_m("div")):
        if div.get("LABEL") == plan.objid:
            div.set("LABEL", objid)
    if previous:
        amd = root.find(_m("amdSec"))
        if amd is None:
            amd = etree.Element(_m("amdSec"), ID=f"ID-{stable_uuid(objid, 'amdSec')}")
            anchor = root.find(_m("fileSec"))
            if anchor is None:
                root.append(amd)
            else:
                anchor.addprevious(amd)
        ids: list[str] = []
        for path, found, created in previous:
            ident = f"ID-{stable_uuid(objid, 'previous', path)}"
            ids.append(ident)
            section = etree.SubElement(amd, _m("digiprovMD"), ID=ident, STATUS="SUPERSEDED", CREATED=created)
            name = path.rsplit("/", 1)[-1]
            other = {"METS.xml": "METS", "bag-info.txt": "BAGIT-BAG-INFO", "package.p7s": "CMS"}.get(name)
            if other is None:
                other = "PREMIS" if name.upper().startswith("PREMIS") else "TT05-simpledc"
            etree.SubElement(
                section,
                _m("mdRef"),
                {
                    "LOCTYPE": "URL",
                    f"{{{XLINK_NS}}}type": "simple",
                    f"{{{XLINK_NS}}}href": href_for(path, ""),
                    "MDTYPE": "OTHER",
                    "OTHERMDTYPE": other,
                    "MIMETYPE": _MIME.get(Path(name).suffix.lower(), "application/octet-stream"),
                    "SIZE": str(found.size),
                    "CREATED": created,
                    "CHECKSUM": found.sha256,
                    "CHECKSUMTYPE": "SHA-256",
                    "LABEL": name,
                },
            )
        for div in root.iter(_m("div")):
            if div.get("LABEL") == "Metadata":
                div.set("ADMID", " ".join([*(div.get("ADMID") or "").split(), *ids]))
                break
    etree.indent(root, space="  ")
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8") + b"\n"


def _update_rep_mets(
    plan: Plan, rel: str, tree: etree._ElementTree, digests: Mapping[str, Digests], moment: str
) -> bytes:
    root = tree.getroot()
    _set_declaration(root, plan.steps[-1].to_declaration)
    header = root.find(_m("metsHdr"))
    if header is not None:
        header.set("LASTMODDATE", moment)
    _update_refs(root, rel.rsplit("/", 1)[0], digests, moment)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8") + b"\n"


# --------------------------------------------------------------------------- PREMIS


def _premis(plan: Plan, objid: str, moment: datetime, options: WriteOptions, signed_file: str) -> bytes:
    path = plan.opened.root / "metadata/preservation/PREMIS.xml"
    tree = parse_xml(path, name=f"{plan.opened.input.name}:metadata/preservation/PREMIS.xml")
    root = tree.getroot()
    ns = premis_writer.PREMIS_NS
    existing_objects = {
        (value.text or "").strip()
        for value in root.iterfind(f"{{{ns}}}object/{{{ns}}}objectIdentifier/{{{ns}}}objectIdentifierValue")
    }
    agents_by_id: dict[str, etree._Element] = {}
    for agent in root.iterfind(f"{{{ns}}}agent"):
        value = agent.findtext(f"{{{ns}}}agentIdentifier/{{{ns}}}agentIdentifierValue")
        if value:
            agents_by_id[value.strip()] = agent
    software_id = _SOFTWARE
    known = agents_by_id.get(software_id)
    if known is not None and (known.findtext(f"{{{ns}}}agentVersion") or "").strip() != __version__:
        software_id = f"{_SOFTWARE}/{__version__}"
    software = Agent(
        identifier=software_id, name=_SOFTWARE, kind="software", role="EDITOR", version=__version__
    )
    entities = [
        premis_writer.PremisEntity(
            identifier=objid,
            kind="intellectualEntity",
            relationships=(
                premis_writer.Relationship(type="derivation", sub_type="has source", related=plan.objid),
            ),
        )
    ]
    if plan.objid not in existing_objects:
        entities.append(premis_writer.PremisEntity(identifier=plan.objid, kind="intellectualEntity"))
    events = []
    for step, changes in plan.by_step:
        lines = [c.describe() for c in changes]
        codes = f"; danh mục mã nguồn: {plan.codes}" if plan.codes else ""
        detail = (
            f"{step.title_vi}. Bước {step.id} (bảng chuyển đổi {step.origin} phiên bản {step.version}, "
            f"SHA-256 {step.sha256}{codes}). Các thay đổi ({len(lines)}): " + "; ".join(lines) + "."
        )
        events.append(
            premis_writer.make_event(
                "metadata modification",
                scope=objid,
                key=step.id,
                moment=moment,
                detail=detail,
                agents=((software_id, "executing program"),),
                objects=((plan.objid, "source"), (objid, "outcome")),
            )
        )
    if options.format != plan.opened.kind:
        events.append(
            premis_writer.make_event(
                "migration",
                scope=objid,
                moment=moment,
                detail=(
                    f"Chuyển gói từ dạng {_FORMAT_VI[plan.opened.kind]} "
                    f"sang dạng {_FORMAT_VI[options.format]}; "
                    "nội dung các tệp tài liệu không thay đổi."
                ),
                agents=((software_id, "executing program"),),
                objects=((plan.objid, "source"), (objid, "outcome")),
            )
        )
    described = {software_id: software}  # every agent the new events name; grafted only when new
    if options.signer is not None:
        event = signature_generation_event(
            options.signer,
            when=moment,
            signed_file=signed_file,
            signature_path=SIGNATURE_PATH,
            timestamped=options.tsa_url is not None,
        )
        events.append(event.to_model(scope=objid, key="migrate"))
        for signer_agent in event.model_agents():
            described.setdefault(signer_agent.identifier, signer_agent)
    snippet = parse_xml(
        premis_writer.premis_document(
            objects=entities, events=events, agents=list(described.values()), allow_old_terms=True
        )
    ).getroot()
    last_object = root.findall(f"{{{ns}}}object")
    last_event = root.findall(f"{{{ns}}}event")
    last_agent = root.findall(f"{{{ns}}}agent")

    def insert_after(anchor: etree._Element | None, items: Sequence[etree._Element], fallback: int) -> None:
        position = root.index(anchor) + 1 if anchor is not None else fallback
        for offset, item in enumerate(items):
            root.insert(position + offset, item)

    new_objects = snippet.findall(f"{{{ns}}}object")
    new_events = snippet.findall(f"{{{ns}}}event")
    new_agent_elements = [
        a
        for a in snippet.findall(f"{{{ns}}}agent")
        if (a.findtext(f"{{{ns}}}agentIdentifier/{{{ns}}}agentIdentifierValue") or "") not in agents_by_id
    ]
    insert_after(last_object[-1] if last_object else None, new_objects, 0)
    events_anchor = last_event[-1] if last_event else (new_objects[-1] if new_objects else None)
    insert_after(events_anchor, new_events, 0)
    agents_anchor = last_agent[-1] if last_agent else (new_events[-1] if new_events else None)
    insert_after(agents_anchor, new_agent_elements, len(root))
    etree.cleanup_namespaces(root, top_nsmap={"premis": ns}, keep_ns_prefixes=["premis", "xsi"])
    etree.indent(root, space="  ")
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8") + b"\n"


# --------------------------------------------------------------------------- the whole version


def _bag_info(plan: Plan, objid: str, moment: datetime) -> list[tuple[str, str]]:
    replaced = {"external-identifier", "bagging-date", "bag-software-agent", "payload-oxum"}
    pairs = [(k, v) for k, v in plan.bag_info if k.casefold() not in replaced]
    pairs += [
        ("External-Identifier", objid),
        ("Bagging-Date", moment.astimezone(VN_TZ).date().isoformat()),
        ("Bag-Software-Agent", f"{_SOFTWARE} {__version__}"),
    ]
    if not any(k.casefold() == "package-type" for k, _ in pairs):
        pairs.append(("Package-Type", plan.package_type))
    return pairs


def _write_tree(plan: Plan, root: Path, options: WriteOptions, objid: str) -> dict[str, Digests]:
    """Fill ``root`` with the new version's package tree; returns every file's digests."""
    moment = format_vn_time(options.moment)
    old_name = package_name(plan.objid)
    previous_dir = f"{PREVIOUS_DIR}/{old_name}"
    shown = plan.opened.input.name
    rep_trees = {
        rel: parse_xml(plan.opened.root / rel, name=f"{shown}:{rel}")
        for rel in representation_mets(plan.opened.files)
    }
    rewritten = {"METS.xml", "metadata/preservation/PREMIS.xml", *rep_trees, *plan.changed_documents}
    signed = plan.opened.root / SIGNATURE_PATH
    expected = _expected(plan, rep_trees)
    findings: list[Finding] = []

    for rel in expected:
        if rel not in plan.opened.files:
            findings.append(
                finding("MIG007", path=f"{plan.opened.input.name}:{rel}", reason="the file is missing")
            )
    if findings:
        raise WriteFailed(findings)

    items: list[StageItem] = []
    destinations: dict[str, str] = {}
    taken: set[str] = set()
    for rel in plan.opened.files:
        if (rel == SIGNATURE_PATH and signed.is_file()) or rel in rewritten:
            dest = f"{previous_dir}/{rel}"
        else:
            dest = rel
        if dest in taken:
            raise WriteFailed(
                [
                    finding(
                        "MIG008",
                        path=f"{plan.opened.input.name}:{rel}",
                        reason=f"{dest} would be written twice",
                    )
                ]
            )
        destinations[rel] = dest
        taken.add(dest)
        target = root / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        items.append(StageItem(source=str(plan.opened.root / rel), dest=str(target), original_name=rel))
    digests: dict[str, Digests] = {}
    by_dest = {v: k for k, v in destinations.items()}
    for staged in stage_many(items, workers=options.workers, link=options.link, sha512=True, identify=False):
        rel = by_dest[Path(staged.item.dest).relative_to(root).as_posix()]
        if not staged.ok:
            findings.append(
                finding(
                    "MIG007", path=f"{plan.opened.input.name}:{rel}", reason=f"cannot be read: {staged.error}"
                )
            )
            continue
        algorithm, digest, _created = expected.get(rel, ("", "", None))
        if algorithm == "sha256":
            found = staged.sha256
        elif algorithm == "sha512":
            found = staged.sha512 or ""
        elif algorithm:
            found = hash_file(staged.item.dest, (algorithm,)).digests[algorithm]
        else:
            found = digest
        if found.lower() != digest:
            findings.append(
                finding(
                    "MIG007",
                    path=f"{plan.opened.input.name}:{rel}",
                    reason=f"{algorithm or 'checksum'} {found} where METS records {digest}",
                )
            )
        digests[destinations[rel]] = Digests(
            size=staged.size, sha256=staged.sha256, sha512=staged.sha512 or ""
        )
    if findings:
        raise WriteFailed(findings)

    written: dict[str, Digests] = {}  # files this version writes: only their METS entries change

    def write(rel: str, data: bytes) -> None:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        digests[rel] = written[rel] = digests_of(data)

    if plan.opened.bag is not None and (plan.opened.bag / "bag-info.txt").is_file():
        write(f"{previous_dir}/bag-info.txt", (plan.opened.bag / "bag-info.txt").read_bytes())
    bag_signature = plan.opened.bag / SIGNATURE_PATH if plan.opened.bag is not None else None
    if bag_signature is not None and bag_signature.is_file() and not bag_signature.is_symlink():
        write(f"{previous_dir}/{SIGNATURE_PATH}", bag_signature.read_bytes())
    for rel in sorted(plan.changed_documents):
        write(rel, etree.tostring(plan.documents[rel], xml_declaration=True, encoding="UTF-8") + b"\n")
    signed_file = "tagmanifest-sha512.txt" if options.format == "bag" else "METS.xml"
    write("metadata/preservation/PREMIS.xml", _premis(plan, objid, options.moment, options, signed_file))
    for rel, tree in rep_trees.items():
        write(rel, _update_rep_mets(plan, rel, tree, written, moment))
    previous: list[tuple[str, Digests, str]] = []
    header = plan.mets.find(_m("metsHdr")) if plan.mets is not None else None
    fallback = moment
    if header is not None:
        fallback = header.get("LASTMODDATE") or header.get("CREATEDATE") or moment
    for rel, dest in sorted(destinations.items()):
        if dest.startswith(previous_dir + "/"):
            created = expected.get(rel, ("", "", None))[2] or fallback
            previous.append((dest, digests[dest], created))
    for extra in ("bag-info.txt", SIGNATURE_PATH):
        rel = f"{previous_dir}/{extra}"
        if rel in digests and all(rel != p for p, _d, _c in previous):
            previous.append((rel, digests[rel], fallback))
    previous.sort()
    assert plan.mets is not None  # read once by plan(); nothing needs the predecessor's tree after this
    write(
        "METS.xml",
        _update_root_mets(plan, plan.mets, objid=objid, moment=moment, digests=written, previous=previous),
    )
    return digests


def _is_content(found: Finding) -> bool:
    """Is the finding about a document's own bytes (which migration never changes)?"""
    path = found.location.path or ""
    return "representations/" in path and "/data/" in path.split("representations/", 1)[1]


def _check(root: Path, options: WriteOptions, name: str, notes: list[Finding]) -> None:
    """Validate the staged version: errors about metadata block it; errors about content are kept as notes."""
    if options.validate is None:
        return
    errors = [f for f in options.validate(root) if f.severity >= Severity.ERROR]
    blocking = [f for f in errors if not _is_content(f)]
    for found in errors:
        if _is_content(found):
            where = (found.location.path or "").split("/representations/", 1)[-1]
            notes.append(
                finding(
                    "MIG013",
                    path=f"{name}/representations/{where}",
                    found=found.code,
                    reason=found.message("en"),
                )
            )
    if blocking:
        shown = "; ".join(f"{f.code} {f.message('en')}" for f in blocking[:3])
        more = f" (+{len(blocking) - 3} more)" if len(blocking) > 3 else ""
        raise WriteFailed([finding("MIG012", path=name, found=blocking[0].code, reason=shown + more)])


def _sign(tree_root: Path, options: WriteOptions) -> None:
    if options.signer is None:
        return
    moment = options.moment
    sign_package(tree_root, signer=options.signer, tsa_url=options.tsa_url, clock=lambda: moment, check=False)


def write_version(
    plan: Plan, out: Path, options: WriteOptions, notes: list[Finding]
) -> tuple[Path, str, int]:
    """Write the new version of ``plan`` into ``out``; returns (path, new OBJID, number of files).

    Findings worth keeping that do not stop the version (MIG013) are appended to ``notes``.
    """
    objid = new_objid(plan)
    final = final_path(plan, out, options.format)
    if options.format in ("dir", "bag"):
        with atomic_dir(final, overwrite=options.overwrite, sync=options.sync) as tmp:
            root = tmp / "data" if options.format == "bag" else tmp
            root.mkdir(exist_ok=True)
            digests = _write_tree(plan, root, options, objid)
            if options.format == "bag":
                write_bag_tags(tmp, digests, _bag_info(plan, objid, options.moment))
            _check(tmp, options, final.name, notes)
            _sign(tmp, options)
        return final, objid, len(digests)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}{TEMP_MARKER}", dir=out))
    try:
        digests = _write_tree(plan, tmp, options, objid)
        _check(tmp, options, final.name, notes)
        _sign(tmp, options)
        with atomic_file(final, "wb", overwrite=options.overwrite, sync=options.sync) as handle:
            write_zip(tmp, handle, moment=options.moment, prefix=package_name(objid) + "/")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final, objid, len(digests)
