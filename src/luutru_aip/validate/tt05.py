"""The TT05 profile: Thông tư 05/2025/TT-BNV packages (SIP_hoso, SIP_tailieu, AIP_hoso, AIP_tailieu).

TT05 packages are E-ARK CSIP 2.0.4-style trees (reference §e) whose descriptive metadata is a
flat ``<simpledc>`` document named ``EAD.xml`` (not real EAD) for the file (hồ sơ) and one
``EAD_doc_<name>.xml`` per document (tài liệu). On top of the CSIP checks this module checks
(rule codes ``TT0xx`` in ``data/rules/tt05.toml``; sources are marked R1/R2 as in the reference):

* the required files of the package tree (Phụ lục I; R1);
* every simpledc field against the field tables and code lists of :mod:`luutru_aip.vocab`
  (reference §d3–d5): obligation, type, length, code list, the date forms ``DD/MM/YYYY`` (AIP
  file level also ``MM/YYYY`` and ``YYYY``), start before end, and the mandatory-if rules
  (``riskRecoveryStatus`` when ``riskRecovery=1``; ``paperFileCode``, ``numberOfPaper`` and
  ``format`` for digitised files, ``confidenceLevel=02``; ``process`` for documents handled in
  the system, ``confidenceLevel`` 01 or 03);
* identifier structures (reference §f): ``fileCode``/``arcFileCode``, ``docCode`` (file code +
  7-digit ordinal), ``docId`` (file code + ordinal), ``paperFileCode``, ``OBJID``;
* times in METS and PREMIS with the ``+07:00`` offset; SHA-256 checksums;
* digitised paper: every PDF claims PDF/A; PDF page counts against ``numberOfPage``.

The derived simpledc XML Schema of :mod:`luutru_aip.metadata.tt05` (generated from the same field
tables) is applied too; the field checks above name each problem with its own rule code and catch
what an XSD cannot express.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any, Final

from luutru_aip.findings import Finding, finding
from luutru_aip.metadata.tt05 import Level, check_simpledc
from luutru_aip.model import PackageType
from luutru_aip.validate._context import RunState, read_xml
from luutru_aip.validate._metsread import split_tag
from luutru_aip.vocab import FieldSpec, code_list, field_table

__all__ = ["TT05Checker"]

_SIP_OBJID: Final = re.compile(r"uuid-[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}")
_AIP_OBJID: Final = re.compile(
    r"urn:uuid:[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}|urn:[^:\s]+:uuid[:\-]\S+"
)
_FILE_ID: Final = re.compile(r"ID-[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_DMY: Final = re.compile(r"(\d{2})/(\d{2})/(\d{4})")
_MY: Final = re.compile(r"(\d{2})/(\d{4})")
_Y: Final = re.compile(r"(\d{4})")
_DOC_ORDINAL: Final = re.compile(r"\.(\d{7})$")
_DOC_FILES: Final = re.compile(r"EAD_(doc|pic|media)_.+\.xml")
_TAILIEU_FIELDS: Final = {
    # SIP_tailieu / AIP_tailieu batches (reference §d3 notes, R1): tag → (type, length, obligation)
    "SIP": (
        ("fileCode", "string", 100, "M"),
        ("title", "string", 1000, "M"),
        ("source", "boolean", 1, "M"),
        ("totalDoc", "number", 10, "M"),
        ("description", "string", 2000, "O"),
    ),
    "AIP": (
        ("arcFileCode", "string", 100, "M"),
        ("title", "string", 1000, "M"),
        ("source", "boolean", 1, "M"),
        ("description", "string", 2000, "O"),
    ),
}


def _file_code_ok(value: str) -> bool:
    """Agency (or fonds) code, sub-levels, a 4-digit year, then the file number/notation (reference §f)."""
    parts = value.split(".")
    if len(parts) < 3 or any(not p or re.search(r"\s", p) for p in parts) or not parts[0][:1].isalpha():
        return False
    return any(re.fullmatch(r"(19|20|21)\d\d", p) for p in parts[1:-1])


def _partial_date(value: str, *, aip: bool) -> tuple[int, int, int] | None:
    """``DD/MM/YYYY`` (and for AIP file level ``MM/YYYY``, ``YYYY``) → (year, month, day); 0 = unknown."""
    text = value.strip()
    match = _DMY.fullmatch(text)
    try:
        if match:
            day, month, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
            date(year, month, day)
            return year, month, day
        if aip and (match := _MY.fullmatch(text)):
            month, year = int(match.group(1)), int(match.group(2))
            date(year, month, 1)
            return year, month, 0
        if aip and (match := _Y.fullmatch(text)):
            return int(match.group(1)), 0, 0
    except ValueError:
        return None
    return None


class TT05Checker:
    """TT05 checks over one package (after the CSIP stages and the content stage)."""

    def __init__(self, state: RunState) -> None:
        self.state = state
        self.file_fields: dict[str, str] = {}
        self.doc_fields: dict[str, dict[str, str]] = {}  # EAD_doc name (stem) → fields

    # ------------------------------------------------------------------ hooks

    def time_hook(
        self, kind: str, value: str, shown: str, line: int | None, xpath: str | None
    ) -> Iterator[Finding]:
        """Every METS/PREMIS date-time: TT05 wants ISO 8601 with the +07:00 offset (R1)."""
        if not value.strip().endswith("+07:00"):
            yield finding("TT012", path=shown, line=line, xpath=xpath, field=kind, found=value)

    @property
    def package_type(self) -> str:
        kind = self.state.package_type
        if kind in ("SIP", "AIP"):
            return kind
        return "AIP" if "metadata/preservation/PREMIS.xml" in self.state.source.files else "SIP"

    # ------------------------------------------------------------------ driver

    def run(self) -> Iterator[Finding]:
        yield from self._required()
        yield from self._objid()
        yield from self._checksums()
        yield from self._file_ids()
        yield from self._file_level()
        yield from self._document_level()
        yield from self._pdfs()

    def _required(self) -> Iterator[Finding]:
        source = self.state.source
        files = ["METS.xml", "metadata/descriptive/EAD.xml", "representations/rep1/METS.xml"]
        if self.package_type == "AIP":
            files += [
                "metadata/preservation/PREMIS.xml",
                "representations/rep1/metadata/preservation/PREMIS_rep1.xml",
            ]
        for rel in files:
            if rel not in source.files:
                yield finding("TT001", path=source.show(rel), field=self.package_type)
        for folder in ("representations/rep1/data", "schemas"):
            if not source.is_dir(folder):
                yield finding("TT001", path=source.show(folder + "/"), field=self.package_type)

    def _objid(self) -> Iterator[Finding]:
        for doc in self.state.mets_docs[:1]:
            objid = (doc.get("OBJID") or "").strip()
            if not objid:
                return
            pattern = _AIP_OBJID if self.package_type == "AIP" else _SIP_OBJID
            if not pattern.fullmatch(objid):
                expected = "urn:uuid:<UUID>" if self.package_type == "AIP" else "uuid-<UUID IN CAPITALS>"
                assert doc.root is not None
                yield finding(
                    "TT013",
                    path=self.state.source.show(doc.path),
                    line=doc.root.line,
                    xpath=doc.root.xpath,
                    expected=expected,
                    found=objid,
                )

    def _checksums(self) -> Iterator[Finding]:
        for rel in sorted(self.state.expects):
            for item in self.state.expects[rel]:
                if item.source == "mets" and item.algorithm is not None and item.algorithm != "sha256":
                    yield finding(
                        "TT017",
                        path=item.where,
                        line=item.line,
                        xpath=item.xpath,
                        file=self.state.source.show(rel),
                        found=item.algorithm,
                    )

    def _file_ids(self) -> Iterator[Finding]:
        for ident, rel in sorted(self.state.file_ids.items()):
            if not _FILE_ID.fullmatch(ident):
                yield finding("TT020", path=self.state.source.show(rel), found=ident)

    # ------------------------------------------------------------------ simpledc

    def _read_simpledc(self, rel: str, kind: str) -> Iterator[Finding | dict[str, str]]:
        """Yields findings, then (last) the field dict (empty when the file is unusable)."""
        state = self.state
        shown = state.source.show(rel)
        read = read_xml(state.source, rel, shown=shown)
        yield from read.findings
        tree = read.tree
        if tree is None:
            yield {}
            return
        root = tree.getroot()
        _, local = split_tag(str(root.tag))
        if local != "simpledc":
            yield finding("TT002", path=shown, line=root.sourceline, found=local)
            yield {}
            return
        if not state.options.schemas:
            state.skip("schema.tt05", "schema validation was switched off")
        elif state.options.fast:
            state.skip("schema.tt05", "fast mode: schemas are not validated")
        else:
            level: Level = "file" if kind == "file" else "document"
            yield from check_simpledc(tree, level, PackageType(self.package_type), path=shown)
        fields: dict[str, str] = {}
        for child in root:
            if not isinstance(child.tag, str):
                continue
            _, name = split_tag(child.tag)
            if name in fields:
                yield finding("TT019", path=shown, line=child.sourceline, field=name)
                continue
            fields[name] = (child.text or "").strip()
            fields["@line:" + name] = str(child.sourceline or "")
        yield fields

    def _load(self, rel: str, kind: str) -> tuple[list[Finding], dict[str, str]]:
        out: list[Finding] = []
        fields: dict[str, str] = {}
        for item in self._read_simpledc(rel, kind):
            if isinstance(item, dict):
                fields = item
            else:
                out.append(item)
        return out, fields

    def _check_fields(
        self, rel: str, fields: dict[str, str], specs: tuple[FieldSpec, ...], *, level: str, aip_dates: bool
    ) -> Iterator[Finding]:
        shown = self.state.source.show(rel)
        ptype = self.package_type

        def line(tag: str) -> int | None:
            text = fields.get("@line:" + tag, "")
            return int(text) if text.isdigit() else None

        known = {s.tag_for(ptype) for s in specs}
        for name in fields:
            if not name.startswith("@line:") and name not in known:
                yield finding("TT018", path=shown, line=line(name), field=name)
        confidence = fields.get("confidenceLevel", "")
        risk = fields.get("riskRecovery", "")
        for spec in specs:
            tag = spec.tag_for(ptype)
            value = fields.get(tag, "")
            if not value:
                if spec.obligation == "M":
                    yield finding("TT003", path=shown, field=tag, label=spec.label_for(ptype))
                elif spec.obligation == "C":
                    if spec.condition == "digitised" and confidence == "02":
                        yield finding("TT010", path=shown, field=tag, label=spec.label_for(ptype))
                    elif spec.condition == "riskRecovery" and risk == "1":
                        yield finding("TT009", path=shown, field=tag, label=spec.label_for(ptype))
                    elif spec.condition == "processed" and confidence in ("01", "03"):
                        yield finding("TT021", path=shown, field=tag, found=confidence)
                continue
            yield from self._value(
                shown, tag, value, spec.type, spec.length, spec.codelist, spec.multiple, line(tag), aip_dates
            )
        start = fields.get("startDate")
        end = fields.get("endDate")
        if start and end:
            first = _partial_date(start, aip=aip_dates)
            last = _partial_date(end, aip=aip_dates)
            if first and last:
                low = first
                high = (last[0], last[1] or 13, last[2] or 32)
                if low > high:
                    yield finding("TT006", path=shown, line=line("startDate"), expected=end, found=start)
        yield from self._identifiers(shown, fields, level, line)

    def _value(
        self,
        shown: str,
        tag: str,
        value: str,
        kind: str,
        length: int | None,
        codelist: str | None,
        multiple: bool,
        line: int | None,
        aip_dates: bool,
    ) -> Iterator[Finding]:
        if kind == "string":
            if length is not None and len(value) > length:
                yield finding("TT008", path=shown, line=line, field=tag, expected=length, found=len(value))
        elif kind == "number":
            if not value.isdigit() or (length is not None and len(value) > length):
                yield finding("TT007", path=shown, line=line, field=tag, expected=length, found=value)
        elif kind == "date":
            if _partial_date(value, aip=aip_dates) is None:
                expected = "DD/MM/YYYY, MM/YYYY, YYYY" if aip_dates else "DD/MM/YYYY"
                yield finding("TT005", path=shown, line=line, field=tag, expected=expected, found=value)
        elif kind == "boolean":
            if value not in ("0", "1"):
                yield finding("TT004", path=shown, line=line, field=tag, expected="0, 1", found=value)
        elif kind == "code" and codelist is not None:
            codes = code_list(codelist).codes
            parts = [p.strip() for p in value.split(",")] if multiple else [value]
            bad = [p for p in parts if p not in codes]
            if bad:
                yield finding(
                    "TT004",
                    path=shown,
                    line=line,
                    field=tag,
                    expected=", ".join(sorted(codes)),
                    found=", ".join(bad),
                )

    def _identifiers(self, shown: str, fields: dict[str, str], level: str, line: Any) -> Iterator[Finding]:
        ptype = self.package_type
        file_code = self.file_fields.get("fileCode") or self.file_fields.get("arcFileCode") or ""
        if level == "file":
            for tag in ("fileCode", "arcFileCode"):
                value = fields.get(tag)
                if value and not _file_code_ok(value):
                    yield finding(
                        "TT011",
                        path=shown,
                        line=line(tag),
                        field=tag,
                        expected="agency.….YYYY.number",
                        found=value,
                    )
            paper = fields.get("paperFileCode")
            if paper and (len(paper.split(".")) < 3 or any(not p.strip() for p in paper.split("."))):
                yield finding(
                    "TT011",
                    path=shown,
                    line=line("paperFileCode"),
                    field="paperFileCode",
                    expected="archive.storage.number",
                    found=paper,
                )
            return
        doc_code = fields.get("docCode")
        if doc_code:
            ok = bool(_DOC_ORDINAL.search(doc_code)) and (
                ptype == "AIP" or not file_code or doc_code.startswith(file_code + ".")
            )
            if not ok:
                expected = f"{file_code or 'fileCode'}.NNNNNNN"
                yield finding(
                    "TT011",
                    path=shown,
                    line=line("docCode"),
                    field="docCode",
                    expected=expected,
                    found=doc_code,
                )
        doc_id = fields.get("docId")
        if doc_id and file_code and not re.fullmatch(re.escape(file_code) + r"\.[1-9]\d*", doc_id):
            yield finding(
                "TT011",
                path=shown,
                line=line("docId"),
                field="docId",
                expected=f"{file_code}.N",
                found=doc_id,
            )
        arc = fields.get("arcFileCode")
        own = self.file_fields.get("arcFileCode")
        if arc and own and arc != own:
            yield finding(
                "TT011", path=shown, line=line("arcFileCode"), field="arcFileCode", expected=own, found=arc
            )

    def _file_level(self) -> Iterator[Finding]:
        rel = "metadata/descriptive/EAD.xml"
        if rel not in self.state.source.files:
            return
        problems, fields = self._load(rel, "file")
        yield from problems
        if not fields:
            return
        self.file_fields = {k: v for k, v in fields.items() if not k.startswith("@")}
        ptype = self.package_type
        if "source" in fields and "maintenance" not in fields:  # SIP_tailieu / AIP_tailieu batch
            shown = self.state.source.show(rel)
            for tag, kind, length, obligation in _TAILIEU_FIELDS[ptype]:
                value = fields.get(tag, "")
                if not value:
                    if obligation == "M":
                        yield finding("TT003", path=shown, field=tag, label=tag)
                    continue
                line_text = fields.get("@line:" + tag, "")
                yield from self._value(
                    shown,
                    tag,
                    value,
                    kind,
                    length,
                    None,
                    False,
                    int(line_text) if line_text.isdigit() else None,
                    False,
                )
            return
        yield from self._check_fields(
            rel, fields, field_table("file", ptype), level="file", aip_dates=ptype == "AIP"
        )

    def _document_level(self) -> Iterator[Finding]:
        source = self.state.source
        folder = "representations/rep1/metadata/descriptive/"
        docs = [r for r in source.iter_files(folder.rstrip("/")) if _DOC_FILES.fullmatch(r[len(folder) :])]
        data = list(source.iter_files("representations/rep1/data"))
        if data and not docs and "source" not in self.file_fields:
            yield finding("TT022", path=source.show(folder))
        specs = field_table("document", self.package_type)
        for rel in docs:
            name = rel[len(folder) :]
            if not name.startswith("EAD_doc_"):
                continue
            problems, fields = self._load(rel, "document")
            yield from problems
            if not fields:
                continue
            self.doc_fields[name[len("EAD_doc_") : -len(".xml")]] = {
                k: v for k, v in fields.items() if not k.startswith("@")
            }
            yield from self._check_fields(rel, fields, specs, level="document", aip_dates=False)

    # ------------------------------------------------------------------ PDFs (TT05 Art. 8)

    def _pdfs(self) -> Iterator[Finding]:
        state = self.state
        facts = state.pdf_facts
        if not facts:
            return
        digitised_file = self.file_fields.get("confidenceLevel") == "02"
        by_stem: dict[str, str] = {}
        for rel in facts:
            stem = rel.rpartition("/")[2].rpartition(".")[0]
            by_stem.setdefault(stem, rel)
        for rel, (pages, claim, _encrypted) in sorted(facts.items()):
            stem = rel.rpartition("/")[2].rpartition(".")[0]
            doc = self.doc_fields.get(stem, {})
            digitised = digitised_file or doc.get("confidenceLevel") == "02"
            if digitised and pages is not None and not claim:
                yield finding("TT014", path=state.source.show(rel))
            declared = doc.get("numberOfPage", "")
            if declared.isdigit() and pages is not None and int(declared) != pages:
                yield finding("TT015", path=state.source.show(rel), expected=int(declared), found=pages)
        total = self.file_fields.get("numberOfPage", "")
        data = list(state.source.iter_files("representations/rep1/data"))
        counted = [facts[r][0] for r in data if r in facts]
        if total.isdigit() and data and len(counted) == len(data) and all(c is not None for c in counted):
            found = sum(c for c in counted if c is not None)
            if found != int(total):
                yield finding(
                    "TT016",
                    path=state.source.show("metadata/descriptive/EAD.xml"),
                    expected=int(total),
                    found=found,
                )
