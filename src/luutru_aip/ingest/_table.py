"""Cells, sheets and the rows the importer works on, independent of the input format.

A :class:`Sheet` is a grid of raw values (what openpyxl or the CSV reader returned) plus, for XLSX, the
merged-cell anchors; a :class:`RawRow` is one metadata row reduced to the ingest fields it carries, each a
:class:`Cell` with its address (``Sheet1!F12`` for sheets, a JSON pointer for JSON); a :class:`RawFile` is
the rows of one hồ sơ before normalisation.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Final

import attrs

from luutru_aip.findings import Finding

__all__ = ["Cell", "RawFile", "RawRow", "Sheet", "cell_address", "column_letter", "row_label"]

_PLAIN_SHEET: Final = re.compile(r"^[^\W\d]\w*$")


def column_letter(index: int) -> str:
    """Spreadsheet column letters of the 1-based *index*: 1 → A, 27 → AA."""
    letters = ""
    while index > 0:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@functools.cache
def _letter(index: int) -> str:
    return column_letter(index)


def _sheet_ref(sheet: str) -> str:
    if _PLAIN_SHEET.match(sheet):
        return sheet
    return "'" + sheet.replace("'", "''") + "'"


def cell_address(sheet: str, row: int, column: int) -> str:
    """``Sheet1!F12``; a sheet name with spaces or punctuation is quoted as Excel does (``'Mục lục'!F12``)."""
    return f"{_sheet_ref(sheet)}!{column_letter(column)}{row}"


def row_label(sheet: str, first: int, last: int | None = None) -> str:
    """``Sheet1!12`` or ``Sheet1!12:15`` (a row range, as Excel writes whole rows)."""
    if last is None or last == first:
        return f"{_sheet_ref(sheet)}!{first}"
    return f"{_sheet_ref(sheet)}!{first}:{last}"


@attrs.frozen
class Cell:
    """One raw value and where it is. ``value`` is ``None`` for a blank or absent cell."""

    value: object
    address: str
    row: int | None = None

    @property
    def blank(self) -> bool:
        value = self.value
        if value is None:
            return True
        if isinstance(value, str):
            return not value.strip()
        if isinstance(value, (list, tuple)):
            return all(isinstance(v, str) and not v.strip() for v in value) if value else True
        return False


@attrs.frozen(slots=False)
class Sheet:
    """A grid of raw values. ``rows[0]`` is spreadsheet row 1; rows may have different lengths."""

    name: str
    rows: tuple[tuple[object, ...], ...]
    #: (row, column) of a cell filled from a vertically merged range → (row, column) of its anchor.
    anchors: Mapping[tuple[int, int], tuple[int, int]] = attrs.field(factory=dict)

    def value(self, row: int, column: int) -> object:
        if not 1 <= row <= len(self.rows):
            return None
        values = self.rows[row - 1]
        return values[column - 1] if 1 <= column <= len(values) else None

    def address(self, row: int, column: int) -> str:
        if self.anchors:
            row, column = self.anchors.get((row, column), (row, column))
        return f"{self._ref}!{_letter(column)}{row}"

    @functools.cached_property
    def _ref(self) -> str:
        return _sheet_ref(self.name)

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)


@attrs.define
class RawRow:
    """The cells of one row (or JSON object) keyed by ingest field name.

    Spreadsheet rows carry a cell for every recognised column (blank ones with ``value=None``);
    a field without a column gives ``None`` from :meth:`get`. JSON objects set ``pointer``: a missing
    key then gives a blank cell addressed by the pointer of where the key should be.
    """

    cells: dict[str, Cell]
    where: str
    row: int | None = None
    pointer: str | None = None
    json_keys: Mapping[str, str] = attrs.field(factory=dict)

    def get(self, field: str) -> Cell | None:
        cell = self.cells.get(field)
        if cell is not None:
            return cell
        if self.pointer is not None and field in self.json_keys:
            return Cell(None, f"{self.pointer}/{self.json_keys[field]}")
        return None

    def value(self, field: str) -> Cell | None:
        """The cell of *field* when it is not blank, else ``None``."""
        cell = self.cells.get(field)
        return None if cell is None or cell.blank else cell

    def has(self, field: str) -> bool:
        """True when the input can carry *field* here (a column exists, or this is JSON)."""
        return field in self.cells or (self.pointer is not None and field in self.json_keys)


@attrs.define
class RawFile:
    """The rows of one hồ sơ, in input order, before normalisation."""

    key: str
    code_cell: Cell
    file_rows: list[RawRow]
    doc_rows: list[RawRow]
    where: str
    sheet: str | None = None
    first_row: int | None = None
    pointer: str | None = None
    findings: list[Finding] = attrs.field(factory=list)
