"""From a sheet of cells to the rows of each hồ sơ (issue 4 "Input"; docs/metadata-input.md).

* **Header row**: the row among the first :data:`HEADER_SCAN_ROWS` that names the most known fields
  (headers matched after :func:`luutru_aip.vocab.fold`; a column-mapping file wins over the synonyms),
  or the mapping file's ``header_row``. A second header row directly below (``Thời gian`` over
  ``Bắt đầu`` / ``Kết thúc``, or header cells merged vertically) is merged into the first.
* **Rows**: one per tài liệu; blank rows are skipped silently; a row of column numbers right below the
  header (``(1) (2) (3)``) and totals rows (``Tổng cộng``, ``Cộng``) are skipped with an info finding.
  A row with data but no file code is an error (``ING020``). Rows with the same file code form one hồ sơ,
  in order of first appearance; rows of one hồ sơ that are not together give a warning (``ING023``).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Final

import attrs

from luutru_aip import vocab
from luutru_aip.findings import finding

from ._spec import field_def, fields, match_header
from ._table import Cell, RawFile, RawRow, Sheet, column_letter, row_label
from ._values import Sink, show
from .mapping import IGNORE, ColumnMapping

__all__ = [
    "HEADER_SCAN_ROWS",
    "Layout",
    "SkippedRow",
    "choose_layout",
    "group_rows",
    "required_columns",
    "score_rows",
]

#: How many rows from the top may hold the header row (title rows come first in provincial sheets).
HEADER_SCAN_ROWS: Final = 15
#: A header row must name at least this many fields.
MIN_HEADER_FIELDS: Final = 2
_TOTALS: Final = frozenset({"tong cong", "cong", "tong", "tong so", "cong hop", "tong cong hop"})
_NUMBERING_CELL: Final = re.compile(r"^\(?\s*(\d{1,3})\s*\)?$")


@attrs.frozen
class Layout:
    """Where the header is and which column holds which field."""

    sheet: Sheet
    header_rows: tuple[int, ...]
    columns: Mapping[int, str]
    #: column → (header text, cell address, legacy?) for every recognised header cell used.
    headers: Mapping[int, tuple[str, str, bool]]
    #: (column, header text) of header cells that name no field.
    unknown: tuple[tuple[int, str], ...]
    #: (column, header text, field, column of the first header of that field).
    duplicates: tuple[tuple[int, str, str, int], ...]
    #: Mapping-file headers that no header cell matched.
    unmatched_mapping: tuple[str, ...]
    score: int

    @property
    def data_start(self) -> int:
        return self.header_rows[-1] + 1

    @property
    def fields_present(self) -> frozenset[str]:
        return frozenset(self.columns.values())


@attrs.frozen
class SkippedRow:
    """A data row that belongs to no hồ sơ."""

    where: str
    code: str


def _text(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return value
    return None


def _recognise(text: str, mapping: ColumnMapping | None) -> tuple[str | None, bool]:
    """(field, legacy) for a header text; field ``""`` = ignored by the mapping, ``None`` = unknown."""
    match = match_header(text)
    if mapping is not None:
        mapped = mapping.field_for(text)
        if mapped is not None:
            return mapped, match is not None and match.field == mapped and match.legacy
    if match is None:
        return None, False
    return match.field, match.legacy


def _row_fields(values: Sequence[object], mapping: ColumnMapping | None) -> dict[int, tuple[str, str, bool]]:
    out: dict[int, tuple[str, str, bool]] = {}
    for index, value in enumerate(values, start=1):
        text = _text(value)
        if text is None:
            continue
        field, legacy = _recognise(text, mapping)
        if field is not None:
            out[index] = (field, text, legacy)
    return out


def _score(values: Sequence[object], mapping: ColumnMapping | None) -> int:
    return len({f for f, _, _ in _row_fields(values, mapping).values() if f != IGNORE})


def score_rows(rows: Sequence[Sequence[object]], mapping: ColumnMapping | None = None) -> int:
    """The best header score among the first rows (used to choose a CSV delimiter)."""
    return max((_score(r, mapping) for r in rows[:HEADER_SCAN_ROWS]), default=0)


def _layout(sheet: Sheet, rows: tuple[int, ...], mapping: ColumnMapping | None) -> Layout:
    first = _row_fields(sheet.rows[rows[0] - 1], mapping)
    chosen: dict[int, tuple[str, str, bool, int]] = {c: (*v, rows[0]) for c, v in first.items()}
    if len(rows) > 1:
        for column, value in _row_fields(sheet.rows[rows[1] - 1], mapping).items():
            chosen[column] = (*value, rows[1])
    columns: dict[int, str] = {}
    headers: dict[int, tuple[str, str, bool]] = {}
    duplicates: list[tuple[int, str, str, int]] = []
    first_of: dict[str, int] = {}
    for column in sorted(chosen):
        field, text, legacy, row = chosen[column]
        if field == IGNORE:
            continue
        if field in first_of:
            duplicates.append((column, text, field, first_of[field]))
            continue
        first_of[field] = column
        columns[column] = field
        headers[column] = (text, sheet.address(row, column), legacy)
    unknown: list[tuple[int, str]] = []
    for column in range(1, sheet.width + 1):
        if column in chosen:
            continue
        texts = [t for r in rows if (t := _text(sheet.value(r, column))) is not None]
        if texts:
            unknown.append((column, texts[-1]))
    unmatched: list[str] = []
    if mapping is not None:
        seen = [t for r in rows for v in sheet.rows[r - 1] if (t := _text(v)) is not None]
        for header in mapping.columns:
            probe = ColumnMapping(columns={header: mapping.columns[header]})
            if not any(probe.field_for(text) is not None for text in seen):
                unmatched.append(header)
    return Layout(
        sheet=sheet,
        header_rows=rows,
        columns=columns,
        headers=headers,
        unknown=tuple(unknown),
        duplicates=tuple(duplicates),
        unmatched_mapping=tuple(unmatched),
        score=len(columns),
    )


def find_layout(sheet: Sheet, mapping: ColumnMapping | None) -> Layout | None:
    """The header layout of *sheet*, or ``None`` when no row names at least two fields."""
    if mapping is not None and mapping.header_row is not None:
        row = mapping.header_row
        if row > len(sheet.rows):
            return None
        return _layout(sheet, (row,), mapping)
    best_row, best_score = 0, 0
    for row in range(1, min(HEADER_SCAN_ROWS, len(sheet.rows)) + 1):
        score = _score(sheet.rows[row - 1], mapping)
        if score > best_score:
            best_row, best_score = row, score
    if best_score < MIN_HEADER_FIELDS:
        return None
    rows: tuple[int, ...] = (best_row,)
    if best_row < len(sheet.rows) and _score(sheet.rows[best_row], mapping) >= MIN_HEADER_FIELDS:
        rows = (best_row, best_row + 1)
    return _layout(sheet, rows, mapping)


def choose_layout(sheets: Sequence[Sheet], mapping: ColumnMapping | None) -> tuple[Layout | None, list[str]]:
    """The layout of the sheet to read (the mapping's ``sheet``, else the best-recognised one) and the
    names of the other sheets that also have a header row."""
    if mapping is not None and mapping.sheet is not None:
        wanted = unicodedata.normalize("NFC", mapping.sheet).strip()
        for sheet in sheets:
            if unicodedata.normalize("NFC", sheet.name).strip() == wanted:
                return find_layout(sheet, mapping), []
        return None, []
    layouts = [layout for sheet in sheets if (layout := find_layout(sheet, mapping)) is not None]
    if not layouts:
        return None, []
    best = max(layouts, key=lambda layout: layout.score)  # first of the best on ties
    others = [layout.sheet.name for layout in layouts if layout is not best]
    return best, others


# --------------------------------------------------------------------------- required columns


def required_columns(layout: Layout, *, language_default: bool) -> list[tuple[str, tuple[str, ...]]]:
    """(field, columns any of which satisfies it) of every required column missing from *layout*."""
    present = layout.fields_present
    wanted: list[tuple[str, tuple[str, ...]]] = [
        ("file_code", ("file_code",)),
        ("title", ("title",)),
        ("maintenance", ("maintenance",)),
        ("mode", ("mode",)),
    ]
    if not language_default:
        wanted.append(("language", ("language",)))
    if any(fields()[f].level == "document" for f in present):
        wanted += [
            ("type_name", ("type_name",)),
            ("issued_date", ("issued_date", "issued_day", "issued_month", "issued_year")),
            ("organ_name", ("organ_name",)),
            ("subject", ("subject",)),
        ]
    return [(name, alternatives) for name, alternatives in wanted if not present & set(alternatives)]


# --------------------------------------------------------------------------- rows


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _numbering_row(values: Sequence[object]) -> bool:
    numbers: list[int] = []
    for value in values:
        if _blank(value):
            continue
        if isinstance(value, bool):
            return False
        if isinstance(value, (int, float)) and float(value).is_integer():
            numbers.append(int(value))
            continue
        match = _NUMBERING_CELL.match(value) if isinstance(value, str) else None
        if match is None:
            return False
        numbers.append(int(match.group(1)))
    return len(numbers) >= 3 and all(b > a for a, b in itertools.pairwise(numbers))


def _totals_row(values: Sequence[object]) -> bool:
    for value in values:
        if _blank(value):
            continue
        return isinstance(value, str) and (
            vocab.fold(value) in _TOTALS or vocab.fold(value).startswith("tong cong")
        )
    return False


def _key(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return " ".join(unicodedata.normalize("NFC", value).split())
    return str(value)


def group_rows(layout: Layout, sink: Sink) -> tuple[list[RawFile], list[SkippedRow], list[RawRow]]:
    """The hồ sơ of the sheet, the rows skipped for lack of a file code, and those rows' cells."""
    sheet = layout.sheet
    doc_fields = {f for f in layout.columns.values() if field_def(f).level == "document"}
    files: dict[str, RawFile] = {}
    rows_of: dict[str, list[int]] = {}
    skipped: list[SkippedRow] = []
    orphans: list[RawRow] = []
    data_columns: set[int] = set()
    previous: str | None = None
    warned_split: set[str] = set()
    first_data = True
    after_totals = False
    footer: list[int] = []
    for number in range(layout.data_start, len(sheet.rows) + 1):
        values = sheet.rows[number - 1]
        if all(_blank(v) for v in values):
            continue
        if first_data and _numbering_row(values):
            sink.add("ING009", row_label(sheet.name, number))
            first_data = False
            continue
        first_data = False
        if _totals_row(values):
            sink.add(
                "ING008", row_label(sheet.name, number), value=show(next(v for v in values if not _blank(v)))
            )
            after_totals = True
            continue
        code_value = sheet.value(number, _column_of(layout, "file_code"))
        if after_totals and _blank(code_value):
            footer.append(number)  # place, date and signatures under the totals row
            continue
        for index, value in enumerate(values, start=1):
            if not _blank(value) and index not in layout.columns:
                data_columns.add(index)
        cells = {
            field: Cell(sheet.value(number, column), sheet.address(number, column), number)
            for column, field in layout.columns.items()
        }
        row = RawRow(cells=cells, where=row_label(sheet.name, number), row=number)
        code_cell = cells.get("file_code")
        if code_cell is None or code_cell.blank:
            address = code_cell.address if code_cell is not None else row.where
            sink.add("ING020", address)
            skipped.append(SkippedRow(row.where, "ING020"))
            orphans.append(row)
            previous = None
            continue
        key = _key(code_cell.value)
        raw = files.get(key)
        if raw is None:
            raw = RawFile(
                key=key,
                code_cell=code_cell,
                file_rows=[],
                doc_rows=[],
                where=row.where,
                sheet=sheet.name,
                first_row=number,
            )
            files[key] = raw
            rows_of[key] = []
        elif previous != key and key not in warned_split:
            warned_split.add(key)
        raw.file_rows.append(row)
        if any(row.value(f) is not None for f in doc_fields):
            raw.doc_rows.append(row)
        rows_of[key].append(number)
        previous = key
    for key, raw in files.items():
        numbers = rows_of[key]
        raw.where = row_label(sheet.name, numbers[0], numbers[-1])
        if key in warned_split:
            raw.findings.append(
                finding(
                    "ING023",
                    path=sink.source,
                    field=raw.code_cell.address,
                    file_code=key,
                    rows=_ranges(numbers),
                )
            )
    if footer:
        sink.add("ING015", row_label(sheet.name, footer[0], footer[-1]), count=len(footer))
    extra = sorted(data_columns - {c for c, _ in layout.unknown})
    _report_columns(layout, sink, extra)
    return list(files.values()), skipped, orphans


def _column_of(layout: Layout, field: str) -> int:
    return next((c for c, f in layout.columns.items() if f == field), 0)


def _ranges(numbers: Sequence[int]) -> str:
    parts: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(str(start) if start == prev else f"{start}–{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(parts)


def _report_columns(layout: Layout, sink: Sink, extra: Sequence[int]) -> None:
    sheet = layout.sheet
    for column, (text, address, legacy) in sorted(layout.headers.items()):
        if legacy:
            spec = field_def(layout.columns[column])
            sink.add("ING005", address, header=show(text), label=spec.label)
    for column, text, field, first in layout.duplicates:
        address = sheet.address(layout.header_rows[-1], column)
        sink.add(
            "ING007",
            address,
            header=show(text),
            label=field_def(field).label,
            first=sheet.address(layout.header_rows[0], first),
        )
    listed = [f'{column_letter(c)} "{show(t)}"' for c, t in layout.unknown]
    listed += [f"{column_letter(c)} (—)" for c in extra]
    if listed:
        sink.add("ING006", row_label(sheet.name, layout.header_rows[0]), columns=", ".join(listed))
    for header in layout.unmatched_mapping:
        sink.add("ING013", row_label(sheet.name, layout.header_rows[0]), header=show(header))
