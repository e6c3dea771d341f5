"""Reading CSV metadata (RFC 4180 as spreadsheets write it) into a :class:`~._table.Sheet`.

Encoding: UTF-8 with or without a byte-order mark, or UTF-16 with a BOM (Excel's "Unicode text").
Anything else is reported (``ING002``) with the offset of the first undecodable byte: legacy
Vietnamese encodings (Windows-1258, TCVN3/ABC, VNI) all decode to *some* text, so guessing one would
silently corrupt names. Delimiter: comma, semicolon (Excel in locales whose decimal mark is a comma) or
tab, chosen as the one whose header row is recognised best. The sheet is named after the file's stem,
as spreadsheet programs name a CSV's only sheet, so cell addresses read ``mucluc!F12``.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

from luutru_aip.findings import Finding, finding

from ._table import Sheet

__all__ = ["read_csv"]

DELIMITERS: Final = (",", ";", "\t")
#: Rows parsed when choosing the delimiter.
_PROBE_ROWS: Final = 15


def _decode(data: bytes) -> tuple[str | None, int]:
    """(text, 0) or (None, offset of the first undecodable byte)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), 0
        except UnicodeDecodeError as exc:
            return None, exc.start
    try:
        return data.decode("utf-8-sig"), 0
    except UnicodeDecodeError as exc:
        return None, exc.start


def _parse(text: str, delimiter: str, limit: int | None = None) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    for values in reader:
        rows.append(tuple(v if v.strip() else None for v in values))
        if limit is not None and len(rows) >= limit:
            break
    return rows


def read_csv(
    path: Path, *, score: Callable[[Sequence[Sequence[object]]], int]
) -> tuple[list[Sheet], list[Finding]]:
    """The CSV at *path* as one sheet; *score* rates candidate parses (higher: better header row)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [], [finding("ING001", path=path.name, reason=str(exc.strerror or exc))]
    text, offset = _decode(data)
    if text is None:
        return [], [finding("ING002", path=path.name, offset=offset)]
    try:
        best = max(
            DELIMITERS,
            key=lambda d: (score(_parse(text, d, _PROBE_ROWS)), -DELIMITERS.index(d)),
        )
        rows = _parse(text, best)
    except csv.Error as exc:
        return [], [finding("ING001", path=path.name, reason=f"CSV: {exc}")]
    return [Sheet(path.stem, tuple(rows))], []
