"""From the rows of one hồ sơ to a :class:`~luutru_aip.model.FileRecord` (reference §d3, §d4, §f).

The rules, in the order they apply (each documented with its finding in docs/metadata-input.md):

* hồ sơ fields are read on every row; the first non-blank value wins, and a later row that says
  something else gives a warning naming both cells (``ING024``);
* dates come from a date column, else from split day / month / year columns, else from a
  ``Thời gian`` range column;
* blank ``language`` takes the profile's ``default_language`` (info ``ING042``, once); blank
  ``riskRecovery`` is 0 (info ``ING043``, once); blank ``totalDoc``, ``numberOfPage``, ``startDate`` and
  ``endDate`` are computed from the documents listed (info ``ING044``–``ING046``); given ones are checked
  against them (warnings ``ING047``, ``ING048``, ``ING050``);
* a file code that is only a number (``01``) becomes agency_code.year.number (info ``ING021``);
* a document's blank ``maintenance``, ``mode``, ``language``, ``riskRecovery`` and
  ``riskRecoveryStatus`` are the hồ sơ's (TT05: the document value "defaults to the file's value");
* anything required that is still missing is an error (``ING030``; ``ING041`` for the conditional
  fields: ``riskRecoveryStatus`` when ``riskRecovery`` = 1; ``numberOfPaper``, ``format`` and
  ``paperFileCode`` when ``confidenceLevel`` is 02 số hóa or 03 hỗn hợp).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from typing import Any, Final

import attrs

from luutru_aip.findings import Finding
from luutru_aip.model import ArchiveProfile, DocumentRecord, FileRecord, PackageType, PartialDate, SourceRef

from ._sources import SourceIndex
from ._spec import FieldDef, field_def, fields
from ._table import Cell, RawFile, RawRow
from ._values import (
    Sink,
    boolean_value,
    code_value,
    date_parts_value,
    date_range_value,
    date_value,
    keywords_value,
    languages_value,
    number_notation_value,
    number_value,
    show,
    text_value,
    year_value,
)

__all__ = ["MEDIA_SUFFIXES", "Context", "DocumentOutcome", "FileOutcome", "build_file", "mark_paths"]

_NUMBER_ONLY: Final = re.compile(r"^[0-9]{1,6}$")
#: Several paths in one cell are on separate lines (Alt+Enter in Excel); only CR/LF separate them.
_LINES: Final = re.compile(r"\r\n|\r|\n")
_BAD_CODE_CHARS: Final = re.compile(r"[\s/\\]")


@attrs.define
class Context:
    """What every hồ sơ of one input shares."""

    source: str
    profile: ArchiveProfile
    package_type: PackageType
    index: SourceIndex
    source_name: str
    sheet: str | None = None
    #: Addresses where the profile's default language was used / riskRecovery was blank.
    language_defaulted: list[str] = attrs.field(factory=list)
    risk_defaulted: list[str] = attrs.field(factory=list)
    ordinal_by_position: list[str] = attrs.field(factory=list)
    #: written path → on-disk path, for IngestResult.source_files.
    source_files: dict[str, str] = attrs.field(factory=dict)
    #: on-disk path → file code of the hồ sơ that lists it first.
    owner: dict[str, str] = attrs.field(factory=dict)
    #: Fields whose missing column was reported once for the whole sheet (ING004).
    required_columns: frozenset[str] = frozenset()
    #: Strict mode: a document with a warning is not packaged either.
    strict: bool = False


Reader = Callable[[Sink, Cell, FieldDef], Any]

_READERS: Final[dict[str, Reader]] = {
    "text": text_value,
    "code": code_value,
    "languages": languages_value,
    "boolean": boolean_value,
    "number": number_value,
    "ordinal": lambda sink, cell, spec: number_value(sink, cell, spec, minimum=1),
    "year": year_value,
    "date": date_value,
    "keywords": lambda sink, cell, spec: keywords_value(sink, cell, spec) or None,
}

_FILE_SIMPLE: Final = tuple(
    name
    for name, spec in fields().items()
    if spec.level == "file" and spec.kind in _READERS and name not in ("file_code", "start_date", "end_date")
)


def _date_of(sink: Sink, row: RawRow, which: str) -> tuple[PartialDate | None, str | None]:
    """A row's start/end/issued date from its date column, split columns, or range column."""
    name = f"{which}_date"
    spec = field_def(name)
    cell = row.value(name)
    if cell is not None:
        return date_value(sink, cell, spec), cell.address
    parts = [row.get(f"{which}_{p}") for p in ("day", "month", "year")]
    if any(p is not None and not p.blank for p in parts):
        given = next(p for p in parts if p is not None and not p.blank)
        return date_parts_value(sink, parts[0], parts[1], parts[2], spec), given.address
    return None, None


def _memo_key(name: str, value: object) -> tuple[str, str, str]:
    return (name, type(value).__name__, repr(value))


def _row_file_values(
    sink: Sink, row: RawRow, memo: dict[tuple[str, str, str], Any]
) -> dict[str, tuple[Any, str]]:
    """The hồ sơ values one row gives. A raw value already read in an earlier row of the same hồ sơ is
    not read (nor reported) again: a bad value repeated on every row gives one finding."""
    out: dict[str, tuple[Any, str]] = {}
    for name in _FILE_SIMPLE:
        cell = row.value(name)
        if cell is None:
            continue
        spec = field_def(name)
        key = _memo_key(name, cell.value)
        if key not in memo:
            memo[key] = _READERS[spec.kind](sink, cell, spec)
        value = memo[key]
        if value is not None:
            out[name] = (value, cell.address)
    range_cell = row.value("date_range")
    span: tuple[PartialDate | None, PartialDate | None] = (None, None)
    if range_cell is not None:
        key = _memo_key("date_range", range_cell.value)
        if key not in memo:
            memo[key] = date_range_value(sink, range_cell, field_def("date_range"))
        span = memo[key]
    for index, which in enumerate(("start", "end")):
        key = ("date", which, repr([c.value if (c := row.value(f)) else None for f in _DATE_COLUMNS[which]]))
        if key not in memo:
            memo[key] = _date_of(sink, row, which)
        value, address = memo[key]
        if value is not None:
            address = _first_address(row, _DATE_COLUMNS[which]) or address
        if value is None and address is None and span[index] is not None and range_cell is not None:
            value, address = span[index], range_cell.address
        if value is not None and address is not None:
            out[f"{which}_date"] = (value, address)
    return out


def _first_address(row: RawRow, columns: tuple[str, ...]) -> str | None:
    for column in columns:
        cell = row.value(column)
        if cell is not None:
            return cell.address
    return None


_DATE_COLUMNS: Final = {
    "start": ("start_date", "start_day", "start_month", "start_year"),
    "end": ("end_date", "end_day", "end_month", "end_year"),
    "issued": ("issued_date", "issued_day", "issued_month", "issued_year"),
}


def _merge_file_values(sink: Sink, rows: list[RawRow]) -> dict[str, tuple[Any, str]]:
    merged: dict[str, tuple[Any, str]] = {}
    memo: dict[Any, Any] = {}
    for row in rows:
        for name, (value, address) in _row_file_values(sink, row, memo).items():
            if name not in merged:
                merged[name] = (value, address)
                continue
            first, first_address = merged[name]
            if value != first and address != first_address:
                sink.add(
                    "ING024",
                    address,
                    label=field_def(name).label,
                    value=_shown(value),
                    first=first_address,
                    first_value=_shown(first),
                )
    return merged


def _shown(value: Any) -> str:
    if isinstance(value, PartialDate):
        return value.tt05()
    if isinstance(value, bool):
        return "1" if value else "0"
    return show(value)


def _span_low(date: PartialDate) -> tuple[int, int, int]:
    return (date.year, date.month or 1, date.day or 1)


def _span_high(date: PartialDate) -> tuple[int, int, int]:
    month = date.month or 12
    return (date.year, month, date.day or calendar.monthrange(date.year, month)[1])


#: Suffixes of sound and moving-image files: such a document has no pages (TT05 EAD_media has no
#: numberOfPage), so a blank "Số trang" is expected and counts as 0 in the hồ sơ's page total.
MEDIA_SUFFIXES: Final = frozenset(
    {
        ".wav",
        ".mp3",
        ".wma",
        ".m4a",
        ".aac",
        ".flac",
        ".ogg",
        ".mp4",
        ".m4v",
        ".avi",
        ".mov",
        ".mkv",
        ".mpg",
        ".mpeg",
        ".wmv",
        ".webm",
        ".3gp",
    }
)


@attrs.define
class DocumentOutcome:
    """One document row: its record (``None`` when it cannot be packaged) and its own findings."""

    row: RawRow
    record: DocumentRecord | None
    sink: Sink
    issued: PartialDate | None = None
    pages: int | None = None


@attrs.define
class FileOutcome:
    """One hồ sơ: its record (``None`` when it cannot be packaged), its code, findings and documents."""

    raw: RawFile
    record: FileRecord | None
    code: str | None
    sink: Sink
    documents: list[DocumentOutcome]

    def findings(self) -> list[Finding]:
        out = list(self.sink.findings)
        for document in self.documents:
            out.extend(document.sink.findings)
        return out


def _issued_address(row: RawRow) -> str:
    return _first_address(row, _DATE_COLUMNS["issued"]) or row.where


def _tt05(date: PartialDate | None) -> str | None:
    return None if date is None else date.tt05()


class _FileBuilder:
    def __init__(self, raw: RawFile, ctx: Context) -> None:
        self.raw = raw
        self.ctx = ctx
        self.sink = Sink(ctx.source)
        self.sink.findings.extend(raw.findings)
        self.first = raw.file_rows[0]

    # ------------------------------------------------------------------ helpers

    def given(self, *names: str, rows: list[RawRow] | None = None) -> bool:
        """True when some row has a non-blank cell for one of *names* (then a finding explains a None)."""
        return any(row.value(name) is not None for row in rows or self.raw.file_rows for name in names)

    def missing(
        self, sink: Sink, name: str, *, columns: tuple[str, ...] | None = None, row: RawRow | None = None
    ) -> None:
        """Report a required *name* that is blank (ING030), or has no column at all: ING004, given once
        for the sheet when every sheet needs that column, else ING030 naming the row(s)."""
        row = row or self.first
        spec = field_def(name)
        for column in columns or (name,):
            if row.has(column):
                cell = row.get(column)
                sink.add("ING030", cell.address if cell is not None else row.where, label=spec.label)
                return
        if name in self.ctx.required_columns:
            sink.block("ING004")
        else:
            sink.add("ING030", self.raw.where if row is self.first else row.where, label=spec.label)

    def conditional(self, name: str, condition: str) -> None:
        cell = self.first.get(name)
        address = cell.address if cell is not None else self.raw.where
        self.sink.add("ING041", address, label=field_def(name).label, condition=condition)

    # ------------------------------------------------------------------ build

    def build(self) -> FileOutcome:
        ctx = self.ctx
        sink = self.sink
        code = text_value(sink, self.raw.code_cell, field_def("file_code"))
        if code is None and self.raw.code_cell.blank:
            self.missing(sink, "file_code")
        values = _merge_file_values(sink, self.raw.file_rows)
        got: dict[str, Any] = {name: value for name, (value, _) in values.items()}
        where: dict[str, str] = {name: address for name, (_, address) in values.items()}

        languages = got.get("language")
        if languages is None and not self.given("language") and ctx.profile.default_language:
            languages = tuple(c.strip() for c in ctx.profile.default_language.split(",") if c.strip())
            cell = self.first.get("language")
            ctx.language_defaulted.append(cell.address if cell is not None else self.raw.where)
        risk = got.get("risk_recovery")
        if risk is None and not self.given("risk_recovery"):
            risk = False
            cell = self.first.get("risk_recovery")
            ctx.risk_defaulted.append(cell.address if cell is not None else self.raw.where)
        inherited = {
            "maintenance": got.get("maintenance"),
            "mode": got.get("mode"),
            "languages": languages,
            "risk_recovery": bool(risk),
            "risk_recovery_status": got.get("risk_recovery_status"),
        }
        documents = self.documents(inherited)
        start, end = self.dates(got.get("start_date"), got.get("end_date"), documents, where)
        file_code = self.compose(code, got.get("file_year"), start, where)
        if file_code is not None and _BAD_CODE_CHARS.search(file_code):
            sink.add("ING026", self.raw.code_cell.address, file_code=show(file_code))
        total_doc = self.total_doc(got.get("total_doc"), where)
        pages = self.pages(got.get("number_of_page"), documents, where)
        for name in ("title", "maintenance", "mode"):
            if got.get(name) is None and not self.given(name):
                self.missing(sink, name)
        if languages is None and not self.given("language"):
            self.missing(sink, "language")
        self.conditions(got, bool(risk))
        if not self.raw.doc_rows:
            sink.add("ING028", self.raw.code_cell.address, file_code=show(file_code or self.raw.key))
        outcome = FileOutcome(self.raw, None, file_code, sink, documents)
        if sink.error_count():
            return outcome
        kept = [d for d in documents if d.record is not None and not d.sink.error_codes(strict=ctx.strict)]
        if documents and not kept:
            return outcome
        if len(kept) < len(documents):
            rows = ", ".join(d.row.where for d in documents if d not in kept)
            sink.add("ING029", self.raw.code_cell.address, file_code=show(file_code), rows=rows)
        assert file_code is not None
        assert start is not None
        assert end is not None
        assert total_doc is not None
        assert pages is not None
        assert languages is not None
        outcome.record = FileRecord(
            file_code=file_code,
            title=got["title"],
            maintenance=got["maintenance"],
            mode=got["mode"],
            languages=languages,
            start_date=start,
            end_date=end,
            total_doc=total_doc,
            number_of_page=pages,
            documents=tuple(d.record for d in kept if d.record is not None),
            number_of_paper=got.get("number_of_paper"),
            physical_state=got.get("physical_state"),
            infor_sign=got.get("infor_sign"),
            keywords=got.get("keywords") or (),
            confidence_level=got.get("confidence_level"),
            paper_file_code=got.get("paper_file_code"),
            risk_recovery=bool(risk),
            risk_recovery_status=got.get("risk_recovery_status"),
            description=got.get("file_description"),
            box=got.get("box"),
            source=SourceRef(ctx.source_name, self.raw.sheet, self.raw.first_row, self.raw.pointer),
        )
        return outcome

    def compose(
        self, code: str | None, year: int | None, start: PartialDate | None, where: dict[str, str]
    ) -> str | None:
        if code is None or not _NUMBER_ONLY.match(code):
            return code
        address = self.raw.code_cell.address
        if year is not None:
            used, year_from = year, where.get("file_year", address)
        elif start is not None:
            used, year_from = start.year, where.get("start_date", address)
        else:
            self.sink.add("ING022", address, value=show(code))
            return None
        composed = f"{self.ctx.profile.agency_code}.{used}.{code}"
        self.sink.add("ING021", address, value=show(code), file_code=composed, year_from=year_from)
        return composed

    def dates(
        self,
        start: PartialDate | None,
        end: PartialDate | None,
        documents: list[DocumentOutcome],
        where: dict[str, str],
    ) -> tuple[PartialDate | None, PartialDate | None]:
        starts = (*_DATE_COLUMNS["start"], "date_range")
        ends = (*_DATE_COLUMNS["end"], "date_range")
        dated = [d for d in documents if d.issued is not None]
        derive_start = start is None and not self.given(*starts)
        derive_end = end is None and not self.given(*ends)
        if (derive_start or derive_end) and dated:
            lowest = min(dated, key=lambda d: _span_low(d.issued))  # type: ignore[arg-type]
            highest = max(dated, key=lambda d: _span_high(d.issued))  # type: ignore[arg-type]
            if derive_start:
                start = lowest.issued
                where["start_date"] = _issued_address(lowest.row)
            if derive_end:
                end = highest.issued
                where["end_date"] = _issued_address(highest.row)
            self.sink.add("ING046", self.raw.code_cell.address, start=_tt05(start), end=_tt05(end))
        if start is None and not self.given(*starts):
            self.missing(self.sink, "start_date", columns=starts)
        if end is None and not self.given(*ends):
            self.missing(self.sink, "end_date", columns=ends)
        if start is None or end is None:
            return start, end
        if _span_low(start) > _span_high(end):
            address = where.get("end_date", self.raw.code_cell.address)
            self.sink.add("ING038", address, start=start.tt05(), end=end.tt05())
        for document in dated:
            date = document.issued
            assert date is not None
            if _span_high(date) < _span_low(start) or _span_low(date) > _span_high(end):
                document.sink.add(
                    "ING050",
                    _issued_address(document.row),
                    date=date.tt05(),
                    start=start.tt05(),
                    end=end.tt05(),
                )
        if self.ctx.package_type is PackageType.SIP:
            for name, value, columns in (("start_date", start, starts), ("end_date", end, ends)):
                if not value.complete and self.given(*columns):
                    self.sink.add("ING037", where[name], value=value.tt05(), label=field_def(name).label)
        return start, end

    def total_doc(self, given: int | None, where: dict[str, str]) -> int | None:
        listed = len(self.raw.doc_rows)
        if given is None and self.given("total_doc"):
            return None
        if given is None:
            if listed:
                self.sink.add("ING044", self.raw.code_cell.address, value=listed)
                return listed
            self.missing(self.sink, "total_doc")
            return None
        if listed and given != listed:
            self.sink.add("ING047", where["total_doc"], value=given, counted=listed)
        return given

    def pages(self, given: int | None, documents: list[DocumentOutcome], where: dict[str, str]) -> int | None:
        known = [d.pages for d in documents]
        complete = bool(documents) and all(p is not None for p in known)
        summed = sum(p for p in known if p is not None)
        if given is None and self.given("number_of_page"):
            return None
        if given is None:
            if complete:
                self.sink.add("ING045", self.raw.code_cell.address, value=summed)
                return summed
            self.missing(self.sink, "number_of_page")
            return None
        if complete and given != summed:
            self.sink.add("ING048", where["number_of_page"], value=given, counted=summed)
        return given

    def conditions(self, got: dict[str, Any], risk: bool) -> None:
        if risk and got.get("risk_recovery_status") is None and not self.given("risk_recovery_status"):
            self.conditional("risk_recovery_status", "riskRecovery = 1")
        if got.get("confidence_level") in ("02", "03"):
            condition = f"confidenceLevel = {got['confidence_level']}"
            for name in ("number_of_paper", "physical_state", "paper_file_code"):
                if got.get(name) is None and not self.given(name):
                    self.conditional(name, condition)

    # ------------------------------------------------------------------ documents

    def documents(self, inherited: dict[str, Any]) -> list[DocumentOutcome]:
        out: list[DocumentOutcome] = []
        seen: dict[int, str] = {}
        for position, row in enumerate(self.raw.doc_rows, start=1):
            outcome = _DocumentBuilder(self, row, position, inherited).build()
            record = outcome.record
            if record is not None:
                cell = row.get("doc_ordinal")
                address = cell.address if cell is not None else row.where
                if record.ordinal in seen:
                    outcome.sink.add("ING027", address, value=record.ordinal, first=seen[record.ordinal])
                    outcome.record = None
                else:
                    seen[record.ordinal] = address
            out.append(outcome)
        return out


class _DocumentBuilder:
    def __init__(self, parent: _FileBuilder, row: RawRow, position: int, inherited: dict[str, Any]) -> None:
        self.parent = parent
        self.ctx = parent.ctx
        self.sink = Sink(parent.ctx.source)
        self.row = row
        self.position = position
        self.inherited = inherited

    def read(self, name: str) -> Any:
        cell = self.row.value(name)
        if cell is None:
            return None
        spec = field_def(name)
        return _READERS[spec.kind](self.sink, cell, spec)

    def build(self) -> DocumentOutcome:
        row = self.row
        sink = self.sink
        outcome = DocumentOutcome(row, None, sink)
        ordinal = self.ordinal()
        number, notation = None, None
        combined = row.value("number_notation")
        if combined is not None:
            number, notation = number_notation_value(sink, combined, field_def("number_notation"))
        code_number = self.read("code_number") or number
        code_notation = self.read("code_notation") or notation
        issued, _ = _date_of(sink, row, "issued")
        outcome.issued = issued
        values: dict[str, Any] = {name: self.read(name) for name in ("type_name", "organ_name", "subject")}
        languages = self.read("doc_language") or self.inherited["languages"]
        mode = self.read("doc_mode") or self.inherited["mode"]
        maintenance = self.read("doc_maintenance") or self.inherited["maintenance"]
        risk = self.read("doc_risk_recovery")
        risk_status = self.read("doc_risk_recovery_status")
        if risk is None:
            risk = self.inherited["risk_recovery"]
            risk_status = risk_status or self.inherited["risk_recovery_status"]
        for name in ("type_name", "organ_name", "subject"):
            if values[name] is None and row.value(name) is None:
                self.parent.missing(sink, name, row=row)
        if issued is None and not self.parent.given(*_DATE_COLUMNS["issued"], rows=[row]):
            self.parent.missing(sink, "issued_date", columns=_DATE_COLUMNS["issued"], row=row)
        elif issued is not None and self.ctx.package_type is PackageType.SIP and not issued.complete:
            label = field_def("issued_date").label
            sink.add("ING037", _issued_address(row), value=issued.tt05(), label=label)
        files, media = self.files()
        pages = self.read("doc_pages")
        if pages is None and not self.parent.given("doc_pages", rows=[row]) and not media:
            cell = row.get("doc_pages")
            sink.add("ING049", cell.address if cell is not None else row.where)
        outcome.pages = 0 if pages is None and media else pages
        if sink.error_count() or ordinal is None or issued is None:
            return outcome
        if None in values.values() or languages is None or mode is None or maintenance is None:
            return outcome
        outcome.record = DocumentRecord(
            ordinal=ordinal,
            type_name=values["type_name"],
            issued_date=issued,
            organ_name=values["organ_name"],
            subject=values["subject"],
            languages=languages,
            mode=mode,
            maintenance=maintenance,
            number_of_page=pages,
            code_number=code_number,
            code_notation=code_notation,
            infor_sign=self.read("doc_infor_sign"),
            keywords=self.read("doc_keywords") or (),
            confidence_level=self.read("doc_confidence_level"),
            autograph=self.read("autograph"),
            physical_state=self.read("doc_physical_state"),
            risk_recovery=bool(risk),
            risk_recovery_status=risk_status,
            process=self.read("process"),
            description=self.read("doc_description"),
            files=tuple(files),
            source=SourceRef(self.ctx.source_name, self.parent.raw.sheet, row.row, row.pointer),
        )
        if sink.error_count():
            outcome.record = None
        return outcome

    def ordinal(self) -> int | None:
        row = self.row
        absent_key = row.pointer is not None and "doc_ordinal" not in row.cells
        if not row.has("doc_ordinal") or absent_key:
            self.ctx.ordinal_by_position.append(row.where)
            return self.position
        cell = row.value("doc_ordinal")
        if cell is None:
            self.parent.missing(self.sink, "doc_ordinal", row=row)
            return None
        value: int | None = number_value(self.sink, cell, field_def("doc_ordinal"), minimum=1)
        return value

    def files(self) -> tuple[list[str], bool]:
        """The on-disk paths of the document's files, and whether they are all sound or video."""
        row = self.row
        cell = row.get("file_path")
        if cell is None or cell.blank:
            self.sink.add("ING067", cell.address if cell is not None else row.where)
            return [], False
        written = _written_paths(cell)
        media = bool(written) and all(_suffix(text) in MEDIA_SUFFIXES for text, _ in written)
        out: list[str] = []
        for text, address in written:
            actual = self.ctx.index.resolve(self.sink, text, address)
            if actual is None:
                continue
            self.ctx.source_files[text.strip()] = actual
            code = self.parent.raw.key
            owner = self.ctx.owner.setdefault(actual, code)
            if owner != code:
                self.sink.add("ING070", address, file=show(actual), file_code=show(owner))
            if actual not in out:
                out.append(actual)
        return out, media


def _suffix(text: str) -> str:
    name = text.replace("\\", "/").rstrip().rpartition("/")[2]
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def _written_paths(cell: Cell) -> list[tuple[str, str]]:
    """(text, address) of each path in a path cell: lines of a cell, or items of a JSON list."""
    value = cell.value
    if isinstance(value, (list, tuple)):
        return [(v, f"{cell.address}/{i}") for i, v in enumerate(value) if isinstance(v, str) and v.strip()]
    if isinstance(value, str):
        return [(line, cell.address) for line in _LINES.split(value) if line.strip()]
    return [(show(value), cell.address)]


def build_file(raw: RawFile, ctx: Context) -> FileOutcome:
    """The outcome of one hồ sơ: its FileRecord (``None`` when it cannot be packaged) and findings."""
    return _FileBuilder(raw, ctx).build()


def mark_paths(row: RawRow, index: SourceIndex) -> None:
    """Count the paths of a row that is skipped as referenced (they are listed, not "unlisted")."""
    cell = row.get("file_path")
    if cell is None or cell.blank:
        return
    for text, _ in _written_paths(cell):
        index.mark(text)
