"""Column-mapping files: the archivist's override of header recognition (issue 4, "Input").

A TOML file::

    sheet = "Mục lục hồ sơ"     # optional: the worksheet to read (default: the best-recognised one)
    header_row = 4              # optional: the (last) header row, 1-based (default: found by recognition)

    [columns]
    "Mã HS" = "file_code"       # exact header text (compared loosely: case, diacritics, spacing) → field
    "File scan" = "file_path"
    "Người lập" = ""            # "" (or "ignore") ignores a column that would otherwise be recognised

Field names are those of ``luutru_aip/data/vocab/headers.toml`` (listed in docs/metadata-input.md).
A mapped header wins over the built-in synonyms; unmapped columns are still recognised by them.
An unknown field name raises :class:`~luutru_aip.errors.UsageError` naming the file and line.
"""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import attrs

from luutru_aip import vocab
from luutru_aip.errors import UsageError

from ._spec import FIELDS

__all__ = ["IGNORE", "ColumnMapping", "load_mapping"]

#: The field value that ignores a column.
IGNORE: Final = ""
_TOP_KEYS: Final = frozenset({"sheet", "header_row", "columns"})


def _key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


@attrs.frozen
class ColumnMapping:
    """Header text → ingest field name (``""`` = ignore the column), plus sheet and header row."""

    columns: Mapping[str, str] = attrs.field(factory=dict)
    sheet: str | None = None
    header_row: int | None = None
    source: str | None = None

    def field_for(self, header: str) -> str | None:
        """The mapped field of *header* (``""`` to ignore it), or ``None`` when it is not mapped.

        Exact text (spacing collapsed) first, then the folded form (case and diacritics ignored).
        """
        wanted = _key(header)
        for text, field in self.columns.items():
            if _key(text) == wanted:
                return field
        folded = vocab.fold(header)
        for text, field in self.columns.items():
            if folded and vocab.fold(text) == folded:
                return field
        return None


def _line_of(text: str, needle: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return None


def load_mapping(path: Path) -> ColumnMapping:
    """Read a column-mapping TOML file (see the module docstring)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data: dict[str, Any] = tomllib.loads(text)
    except OSError as exc:
        raise UsageError(f"cannot read the mapping file {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"the mapping file {path} is not valid UTF-8 TOML: {exc}") from None
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        line = _line_of(text, unknown[0])
        raise UsageError(
            f"{path}, line {line}: unknown key {unknown[0]!r} "
            "(expected sheet, header_row and a [columns] table)"
        )
    sheet = data.get("sheet")
    if sheet is not None and not isinstance(sheet, str):
        raise UsageError(f"{path}, line {_line_of(text, 'sheet')}: sheet must be text")
    header_row = data.get("header_row")
    if header_row is not None and (
        not isinstance(header_row, int) or isinstance(header_row, bool) or header_row < 1
    ):
        raise UsageError(
            f"{path}, line {_line_of(text, 'header_row')}: header_row must be a row number (1 or more)"
        )
    raw_columns = data.get("columns", {})
    if not isinstance(raw_columns, dict):
        raise UsageError(f"{path}, line {_line_of(text, 'columns')}: [columns] must be a table")
    columns: dict[str, str] = {}
    for header, field in raw_columns.items():
        if not isinstance(field, str):
            raise UsageError(f"{path}, line {_line_of(text, header)}: the field of {header!r} must be text")
        name = field.strip()
        if name.lower() == "ignore":
            name = IGNORE
        if name != IGNORE and name not in FIELDS:
            raise UsageError(
                f"{path}, line {_line_of(text, header)}: unknown field {field!r} for column {header!r} "
                f'(known fields: {", ".join(FIELDS)}; "" ignores a column)'
            )
        columns[header] = name
    return ColumnMapping(columns=columns, sheet=sheet, header_row=header_row, source=path.name)
