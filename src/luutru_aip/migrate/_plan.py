"""Reading a predecessor package and planning its migration, without writing anything (L3).

:func:`open_package` finds the package inside a folder, bag or ZIP; :func:`plan` applies the chain of
steps to in-memory copies of the controlled metadata (TT05 ``<simpledc>`` files, bag-info labels, the
METS declaration) and returns every change, old → new, with its rule and legal source, plus the
findings for values that cannot be mapped with certainty.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

import attrs
from lxml import etree

from luutru_aip._fs import TEMP_MARKER, safe_extract
from luutru_aip.errors import LuutruError
from luutru_aip.findings import Finding, Severity, finding
from luutru_aip.metadata._xml import parse_xml
from luutru_aip.metadata.mets import CSIP_NS, METS_NS
from luutru_aip.migrate._steps import Registry, Step, TextRow
from luutru_aip.vocab import FieldSpec, Status, code_list, field_table, normalise_boolean, old_terms_in

__all__ = ["Change", "Opened", "Plan", "open_package", "plan", "representation_mets"]

PREVIOUS_DIR: Final = "metadata/preservation/previous"
_DOC_FOLDER: Final = re.compile(r"representations/([^/]+)/metadata/descriptive/(EAD_doc_[^/]+\.xml)")
_REP_METS: Final = re.compile(r"representations/[^/]+/METS\.xml")
_SPLIT: Final = re.compile(r"\s*[,;]\s*")
_FREE_TYPES: Final = frozenset({"string"})


@attrs.frozen
class Change:
    """One planned change: in ``path`` (package-relative), ``field`` goes from ``old`` to ``new``."""

    path: str
    field: str
    old: str
    new: str
    #: ``tag`` (renamed), ``tag-removed``, ``value``, ``label`` (a term in a bag-info label), ``declaration``.
    kind: str
    rule: str
    source: str
    step: str

    def to_dict(self) -> dict[str, str]:
        return attrs.asdict(self)

    def describe(self) -> str:
        """One line for the PREMIS event detail and the text report."""
        if self.kind == "tag":
            return f"{self.path}: thẻ {self.old} → {self.new}"
        if self.kind == "tag-removed":
            return f"{self.path}: bỏ thẻ {self.field} ('{self.old}', không có trong Thông tư 05/2025/TT-BNV)"
        return f"{self.path}: {self.field} '{self.old}' → '{self.new}'"


@attrs.define
class Opened:
    """A predecessor package found on disk (never modified)."""

    input: Path
    kind: str  # dir | bag | zip
    root: Path  # the package root (where METS.xml is)
    bag: Path | None
    files: list[str]  # package-relative paths of every regular file
    temp: Path | None = None  # extraction folder of a ZIP, removed by close()

    def close(self) -> None:
        if self.temp is not None:
            shutil.rmtree(self.temp, ignore_errors=True)
            self.temp = None


class PackageError(LuutruError):
    """The predecessor cannot be read as a package (carries the finding)."""

    def __init__(self, found: Finding) -> None:
        super().__init__(found.message("en"))
        self.finding = found


def _fail(path: str | os.PathLike[str], reason: str) -> PackageError:
    return PackageError(finding("MIG008", path=os.fspath(path), reason=reason))


def _walk(root: Path) -> list[str]:
    out: list[str] = []
    for folder, dirs, names in os.walk(root, followlinks=False):
        base = Path(folder)
        for name in dirs:
            if (base / name).is_symlink():
                raise _fail(base / name, "a symbolic link is not part of a package (refused)")
        for name in names:
            full = base / name
            if full.is_symlink() or not full.is_file():
                raise _fail(full, "only regular files may be in a package (symbolic link or special file)")
            out.append(full.relative_to(root).as_posix())
    return sorted(out)


def _package_root(folder: Path) -> Path | None:
    if (folder / "METS.xml").is_file():
        return folder
    inner = [p for p in folder.iterdir() if p.is_dir() and not p.is_symlink()] if folder.is_dir() else []
    if len(inner) == 1 and (inner[0] / "METS.xml").is_file():
        return inner[0]
    return None


def open_package(path: str | os.PathLike[str], scratch: Path | None = None) -> Opened:
    """Locate the package in a folder, a BagIt bag (``data/``) or a ZIP (extracted under the ZIP limits)."""
    source = Path(path)
    if source.is_symlink():
        raise _fail(source, "the package is a symbolic link (refused)")
    if source.is_file():
        # a name cleanup_stale_temps recognises, so a killed run leaves nothing behind for long
        temp = Path(tempfile.mkdtemp(prefix=f".{source.name}{TEMP_MARKER}", dir=scratch))
        try:
            safe_extract(source, temp / "x")
            root = _package_root(temp / "x")
            if root is None:
                raise _fail(source, "the ZIP holds no METS.xml at its top or in one top folder")
            return Opened(input=source, kind="zip", root=root, bag=None, files=_walk(root), temp=temp)
        except LuutruError as exc:
            shutil.rmtree(temp, ignore_errors=True)
            if isinstance(exc, PackageError):
                raise
            raise _fail(source, str(exc)) from None
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
    if not source.is_dir():
        raise _fail(source, "no such package (folder, bag or ZIP)")
    if (source / "bagit.txt").is_file():
        root = _package_root(source / "data")
        if root is None:
            raise _fail(source, "the bag's data/ holds no METS.xml")
        return Opened(input=source, kind="bag", root=root, bag=source, files=_walk(root))
    if not (source / "METS.xml").is_file():
        raise _fail(source, "no METS.xml: not an E-ARK / TT05 package")
    return Opened(input=source, kind="dir", root=source, bag=None, files=_walk(source))


# --------------------------------------------------------------------------- bag-info


def read_bag_info(bag: Path) -> list[tuple[str, str]]:
    """The (label, value) pairs of ``bag-info.txt``, continuation lines joined (RFC 8493 §2.2.2)."""
    path = bag / "bag-info.txt"
    if not path.is_file():
        return []
    pairs: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        if line[:1] in (" ", "\t") and pairs:
            label, value = pairs[-1]
            pairs[-1] = (label, f"{value} {line.strip()}")
        elif ":" in line:
            label, value = line.split(":", 1)
            pairs.append((label.strip(), value.strip()))
    return pairs


def replace_terms(text: str, rows: Sequence[TextRow]) -> tuple[str, list[TextRow]]:
    """``text`` with every old term of ``rows`` replaced (case-insensitive, NFC), and the rows used."""
    out = unicodedata.normalize("NFC", text)
    used: list[TextRow] = []
    for row in rows:
        pattern = re.compile(re.escape(unicodedata.normalize("NFC", row.old)), re.IGNORECASE)

        def swap(match: re.Match[str], new: str = row.new) -> str:
            return new[:1].upper() + new[1:] if match.group(0)[:1].isupper() else new

        out, count = pattern.subn(swap, out)
        if count:
            used.append(row)
    return out, used


# --------------------------------------------------------------------------- plan


@attrs.define
class Plan:
    """What migrating one package would do."""

    opened: Opened
    objid: str
    package_type: str
    declared: str | None
    source_version: str | None
    steps: tuple[Step, ...] = ()
    codes: str | None = None
    #: package path → migrated tree of every TT05 <simpledc> file (only the changed ones are written)
    documents: dict[str, etree._ElementTree] = attrs.field(factory=dict)
    changed_documents: set[str] = attrs.field(factory=set)
    bag_info: list[tuple[str, str]] = attrs.field(factory=list)
    changes: list[Change] = attrs.field(factory=list)
    #: the changes of each step, in step order (one PREMIS event per step)
    by_step: list[tuple[Step, list[Change]]] = attrs.field(factory=list)
    findings: list[Finding] = attrs.field(factory=list)
    mets: etree._ElementTree | None = None

    @property
    def blocked(self) -> bool:
        return any(f.severity >= Severity.ERROR for f in self.findings)


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _shown(plan: Plan, rel: str) -> str:
    return f"{plan.opened.input.name}:{rel}"


def _map_token(
    step: Step, spec: FieldSpec, token: str, codes: str | None, where: str
) -> tuple[str | None, str, str, Finding | None]:
    """(new code, rule, source, finding) for one value of a code field."""
    name = spec.codelist or spec.tag
    tt05 = code_list(name)
    if token.isascii() and token.isdigit() and len(token) <= 3:
        code = f"{int(token):02d}"
        redefining = step.redefined_by(name)
        if codes is not None and codes in redefining:
            row = step.value_row(name, codes, code)
            if row is None:
                return None, "", "", finding("MIG002", path=where, field=spec.tag, found=token, codes=codes)
            if not row.new:
                return (
                    None,
                    "",
                    "",
                    finding(
                        "MIG005", path=where, field=spec.tag, found=token, codes=codes, source=row.source
                    ),
                )
            label = f" ({row.old_label})" if row.old_label else ""
            return row.new, f"{codes} {code}{label} → TT05 {row.new}", row.source, None
        if redefining and codes not in ("tt05", *redefining):
            expected = ", ".join(("tt05", *redefining))
            return None, "", "", finding("MIG003", path=where, field=spec.tag, found=token, expected=expected)
        row = step.value_row(name, "tt05", code)  # a later step may re-code the TT05 list itself
        if row is not None:
            if not row.new:
                return (
                    None,
                    "",
                    "",
                    finding(
                        "MIG005", path=where, field=spec.tag, found=token, codes="tt05", source=row.source
                    ),
                )
            return row.new, f"tt05 {code} → {step.target} {row.new}", row.source, None
        if code in tt05.codes:
            return code, "TT05 code written with two digits", tt05.source, None
        return None, "", "", finding("MIG002", path=where, field=spec.tag, found=token, codes=codes or "tt05")
    for list_name in dict.fromkeys((*((codes,) if codes else ()), "text-2011")):
        row = step.value_row(name, list_name, token)
        if row is not None:
            if not row.new:
                return (
                    None,
                    "",
                    "",
                    finding(
                        "MIG005", path=where, field=spec.tag, found=token, codes=list_name, source=row.source
                    ),
                )
            return row.new, f"{list_name} '{token}' → TT05 {row.new}", row.source, None
    result = tt05.normalise(token)
    if result.code is not None:
        return result.code, f"TT05 label '{tt05.label(result.code)}'", tt05.source, None
    if result.status is Status.AMBIGUOUS:
        expected = ", ".join(result.candidates) or "legacy value with several meanings"
        return None, "", "", finding("MIG004", path=where, field=spec.tag, found=token, expected=expected)
    return None, "", "", finding("MIG002", path=where, field=spec.tag, found=token, codes=codes or "tt05")


def _migrate_simpledc(
    plan: Plan, step: Step, rel: str, tree: etree._ElementTree, level: str, out: list[Change]
) -> bool:
    """Apply ``step`` to one <simpledc> tree in place; True when anything changed."""
    where = _shown(plan, rel)
    root = tree.getroot()
    if _local(root.tag) != "simpledc":
        plan.findings.append(
            finding("MIG008", path=where, reason=f"the root element is {_local(root.tag)!r}, not simpledc")
        )
        return False
    changed = False
    rows = step.tag_rows(level, plan.package_type)
    specs = {s.tag_for(plan.package_type): s for s in field_table(level, plan.package_type)}

    def add(field: str, old: str, new: str, kind: str, rule: str, source: str) -> None:
        out.append(
            Change(path=rel, field=field, old=old, new=new, kind=kind, rule=rule, source=source, step=step.id)
        )

    for child in list(root):
        name = _local(child.tag)
        row = rows.get(name)
        if not name or row is None:
            continue
        changed = True
        if not row.new:
            add(name, (child.text or "").strip(), "", "tag-removed", f"{name} has no TT05 field", row.source)
            parent = child.getparent()
            assert parent is not None
            parent.remove(child)
            continue
        add(name, name, row.new, "tag", f"tag {name} → {row.new}", row.source)
        namespace = etree.QName(child.tag).namespace
        child.tag = etree.QName(namespace, row.new).text if namespace else row.new

    seen: set[str] = set()
    for child in root:
        name = _local(child.tag)
        if not name:
            continue
        if name in seen:
            plan.findings.append(
                finding(
                    "MIG006",
                    path=where,
                    field=name,
                    reason="the field appears twice after renaming the legacy tags",
                )
            )
            continue
        seen.add(name)
        spec = specs.get(name)
        text = child.text or ""
        value = text.strip()
        if spec is None:
            plan.findings.append(
                finding(
                    "MIG006",
                    path=where,
                    field=name,
                    reason="it is not a TT05 field and no row of the migration table covers it",
                )
            )
            continue
        if spec.type == "code" and value:
            tokens = [t for t in _SPLIT.split(value) if t] if spec.multiple else [value]
            mapped: list[str] = []
            notes: list[tuple[str, str]] = []
            failed = False
            for token in tokens:
                new, rule, source, problem = _map_token(step, spec, token, plan.codes, where)
                if problem is not None:
                    plan.findings.append(problem)
                    failed = True
                    continue
                assert new is not None
                if new not in mapped:
                    mapped.append(new)
                if new != token:
                    notes.append((rule, source))
            joined = ", ".join(mapped)
            if not failed and joined != text:
                rule = "; ".join(dict.fromkeys(r for r, _ in notes)) or "TT05 code list separator"
                source = (
                    "; ".join(dict.fromkeys(s for _, s in notes)) or code_list(spec.codelist or name).source
                )
                add(name, text, joined, "value", rule, source)
                child.text = joined
                changed = True
        elif spec.type == "boolean" and value and value not in ("0", "1"):
            result = normalise_boolean(value)
            if result.code is None:
                plan.findings.append(
                    finding("MIG002", path=where, field=name, found=value, codes="TT05 Boolean 1/0")
                )
            else:
                add(
                    name,
                    text,
                    result.code,
                    "value",
                    "TT05 Boolean written as 1 / 0",
                    "Thông tư 05/2025/TT-BNV (Boolean)",
                )
                child.text = result.code
                changed = True
        elif spec.type in _FREE_TYPES and value:
            for term in old_terms_in(value):
                plan.findings.append(
                    finding("MIG010", path=where, field=name, found=term.old, expected=term.new)
                )

    order = {tag: index for index, tag in enumerate(specs)}
    elements = [c for c in root if _local(c.tag)]
    wanted = sorted(elements, key=lambda c: order.get(_local(c.tag), len(order)))
    if changed or wanted != elements:
        for child in elements:
            root.remove(child)
        for child in wanted:
            child.tail = None
            root.append(child)
        root.text = None
        etree.indent(root, space="  ")
        changed = True
    return changed


def representation_mets(files: Sequence[str]) -> list[str]:
    """The representation METS files (``representations/<name>/METS.xml``) among package paths."""
    return [rel for rel in files if _REP_METS.fullmatch(rel)]


def _simpledc_files(files: Sequence[str]) -> Iterator[tuple[str, str]]:
    for rel in files:
        if rel == "metadata/descriptive/EAD.xml":
            yield rel, "file"
        elif _DOC_FOLDER.fullmatch(rel):
            yield rel, "document"


def _migrate_bag_info(plan: Plan, step: Step, out: list[Change]) -> None:
    keys = {k.casefold() for k in step.baginfo_keys}
    for index, (label, value) in enumerate(plan.bag_info):
        if label.casefold() in keys:
            new, used = replace_terms(value, step.texts)
            if used:
                plan.bag_info[index] = (label, new)
                out.append(
                    Change(
                        path="bag-info.txt",
                        field=label,
                        old=value,
                        new=new,
                        kind="label",
                        rule="; ".join(f"'{r.old}' → '{r.new}'" for r in used),
                        source="; ".join(dict.fromkeys(r.source for r in used)),
                        step=step.id,
                    )
                )
        else:
            for term in old_terms_in(value):
                plan.findings.append(
                    finding(
                        "MIG010",
                        path=f"{plan.opened.input.name}:bag-info.txt",
                        field=label,
                        found=term.old,
                        expected=term.new,
                    )
                )


def plan(
    opened: Opened, registry: Registry, *, target: str | None, codes: str | None, source_version: str | None
) -> Plan:
    """The migration of ``opened`` along the registry's steps (nothing is written)."""
    shown = f"{opened.input.name}:METS.xml"
    try:
        mets = parse_xml(opened.root / "METS.xml", name=shown)
    except LuutruError as exc:
        raise _fail(opened.input, str(exc)) from None
    root = mets.getroot()
    if _local(root.tag) != "mets" or etree.QName(root.tag).namespace != METS_NS:
        raise _fail(shown, "the root element is not mets:mets")
    objid = (root.get("OBJID") or "").strip()
    if not objid:
        raise _fail(shown, "mets/@OBJID is missing: the predecessor cannot be referenced")
    header = root.find(f"{{{METS_NS}}}metsHdr")
    declared_type = header.get(f"{{{CSIP_NS}}}OAISPACKAGETYPE") if header is not None else None
    package_type = declared_type or ("AIP" if "metadata/preservation/PREMIS.xml" in opened.files else "SIP")
    if package_type != "AIP":
        raise _fail(shown, f"the package is a {package_type}; only AIPs are migrated (ingest a SIP first)")
    declared = root.get(f"{{{CSIP_NS}}}OTHERCONTENTINFORMATIONTYPE")
    result = Plan(
        opened=opened,
        objid=objid,
        package_type=package_type,
        declared=declared,
        source_version=source_version or registry.detect(declared),
        codes=codes,
        mets=mets,
    )
    goal = target or registry.latest
    if result.source_version is None:
        result.findings.append(
            finding(
                "MIG009", path=shown, found=declared or "(no csip:OTHERCONTENTINFORMATIONTYPE)", expected=goal
            )
        )
        return result
    try:
        result.steps = registry.chain(result.source_version, goal)
    except LookupError:
        result.findings.append(finding("MIG009", path=shown, found=result.source_version, expected=goal))
        return result
    if not result.steps:
        return result
    for rel, _level in _simpledc_files(opened.files):
        try:
            result.documents[rel] = parse_xml(opened.root / rel, name=_shown(result, rel))
        except LuutruError as exc:
            raise _fail(_shown(result, rel), str(exc)) from None
    if opened.bag is not None:
        result.bag_info = read_bag_info(opened.bag)
    rep_mets = representation_mets(opened.files)
    current_declaration = declared
    for step in result.steps:
        changes: list[Change] = []
        for rel, level in _simpledc_files(opened.files):
            if _migrate_simpledc(result, step, rel, result.documents[rel], level, changes):
                result.changed_documents.add(rel)
        _migrate_bag_info(result, step, changes)
        for rel in ("METS.xml", *rep_mets):
            changes.append(
                Change(
                    path=rel,
                    field="csip:OTHERCONTENTINFORMATIONTYPE",
                    old=current_declaration or "",
                    new=step.to_declaration,
                    kind="declaration",
                    rule=f"profile {step.source} → {step.target}",
                    source=step.declaration_source,
                    step=step.id,
                )
            )
        current_declaration = step.to_declaration
        result.by_step.append((step, changes))
        result.changes.extend(changes)
    return result
