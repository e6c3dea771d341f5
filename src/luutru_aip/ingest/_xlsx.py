"""Reading XLSX workbooks: the only module that imports openpyxl (design.md style rule 8).

The workbook is untrusted input, so before openpyxl sees it:

* the ZIP is scanned by :class:`luutru_aip._fs.SafeZip` with limits sized for spreadsheets (entries,
  declared and actual sizes, compression ratio: no ZIP bombs);
* every XML part's prolog is read and a part with a document type declaration (``<!DOCTYPE``, the
  carrier of entity-expansion and external-entity attacks) is refused: Office Open XML never has one.

openpyxl then reads in ``read_only=True, data_only=True`` mode: cell *values* (the cached results of
formulas, never the formulas), streamed row by row. The worksheet dimension recorded in the file is not
trusted (some writers get it wrong): every row is read.

Vertically merged cells (a hồ sơ's title merged over its documents' rows, very common in provincial
sheets) are read from the sheet's ``<mergeCells>`` list: their value is copied down the column and the
copies keep the anchor cell's address. Horizontal merges are not copied (the other columns are other
fields).
"""

from __future__ import annotations

import codecs
import re
import warnings
from pathlib import Path
from typing import Any, Final

from luutru_aip._fs import SafeZip, ZipLimits
from luutru_aip.errors import InputError
from luutru_aip.findings import Finding, Severity, finding

from ._table import Sheet

__all__ = ["XLSX_LIMITS", "read_workbook"]

MiB: Final = 1024 * 1024
#: Limits for a metadata workbook: generous for a 100 000-row catalogue, far below any ZIP bomb.
XLSX_LIMITS: Final = ZipLimits(
    max_entries=10_000,
    max_total_uncompressed=4096 * MiB,
    max_entry_size=2048 * MiB,
    max_ratio=1000.0,
)
#: How many decoded characters of a part's prolog may come before its root element.
_PROLOG_LIMIT: Final = 64 * 1024
_CHUNK: Final = 1 * MiB
_MERGE: Final = re.compile(
    r"<(?:[A-Za-z_][\w.\-]*:)?mergeCell\b[^>]*?\bref\s*=\s*[\"']"
    r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})(?::\$?([A-Za-z]{1,3})\$?([0-9]{1,7}))?[\"']"
)
_OLE2_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PROBLEMS: Final = {
    "doctype": "has a document type declaration (<!DOCTYPE …>), which an XLSX part never has",
    "text": "does not start with XML markup",
    "unfinished": "ends before its root element",
    "long": f"has no root element in its first {_PROLOG_LIMIT} characters",
}


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters.upper():
        index = index * 26 + (ord(ch) - 64)
    return index


def _decoder(head: bytes) -> codecs.IncrementalDecoder:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return codecs.getincrementaldecoder("utf-16")(errors="replace")
    return codecs.getincrementaldecoder("utf-8-sig")(errors="replace")


def _prolog_problem(text: str) -> str | None:
    """``"doctype"`` if the prolog has a DOCTYPE, ``"unfinished"`` if no root element appears, else None."""
    pos = 0
    size = len(text)
    while pos < size:
        while pos < size and text[pos] in " \t\r\n":
            pos += 1
        if pos >= size:
            return "unfinished"
        if text.startswith("<?", pos):
            end = text.find("?>", pos)
            if end < 0:
                return "unfinished"
            pos = end + 2
        elif text.startswith("<!--", pos):
            end = text.find("-->", pos)
            if end < 0:
                return "unfinished"
            pos = end + 3
        elif text.startswith("<!", pos):
            return "doctype"
        elif text.startswith("<", pos):
            return None
        else:
            return "text"
    return "unfinished"


def _check_part(archive: SafeZip, name: str) -> str | None:
    with archive.open(name) as stream:
        head = stream.read(4)
        decoder = _decoder(head)
        text = decoder.decode(head)
        while True:
            problem = _prolog_problem(text)
            if problem != "unfinished":
                return problem
            if len(text) >= _PROLOG_LIMIT:
                return "long"
            chunk = stream.read(4096)
            if not chunk:
                return None if not text.strip() else problem
            text += decoder.decode(chunk)


def _merged_ranges(archive: SafeZip, part: str) -> list[tuple[int, int, int, int]]:
    """(first row, first column, last row, last column) of each merged range of the sheet *part*."""
    found: list[tuple[int, int, int, int]] = []
    try:
        stream = archive.open(part)
    except (KeyError, InputError):
        return found
    with stream:
        head = stream.read(4)
        decoder = _decoder(head)
        buffer = decoder.decode(head)
        done = False
        while not done:
            chunk = stream.read(_CHUNK)
            done = not chunk
            buffer += decoder.decode(chunk, final=done)
            keep_from = 0 if done else max(0, len(buffer) - 256)
            last_end = 0
            for match in _MERGE.finditer(buffer):
                if not done and match.end() > keep_from:
                    break
                c1, r1, c2, r2 = match.groups()
                first = (int(r1), _column_index(c1))
                last = (int(r2), _column_index(c2)) if c2 and r2 else first
                found.append((first[0], first[1], last[0], last[1]))
                last_end = match.end()
            buffer = buffer[max(last_end, keep_from) :]
    return found


def _apply_merges(
    rows: list[list[object]], ranges: list[tuple[int, int, int, int]]
) -> dict[tuple[int, int], tuple[int, int]]:
    anchors: dict[tuple[int, int], tuple[int, int]] = {}
    for r1, c1, r2, c2 in ranges:
        if r2 <= r1 or r1 > len(rows):
            continue
        for column in range(min(c1, c2), max(c1, c2) + 1):
            top = rows[r1 - 1]
            value = top[column - 1] if column <= len(top) else None
            if value is None:
                continue
            for row in range(r1 + 1, min(r2, len(rows)) + 1):
                values = rows[row - 1]
                if len(values) < column:
                    values.extend([None] * (column - len(values)))
                if values[column - 1] is None:
                    values[column - 1] = value
                    anchors[(row, column)] = (r1, column)
    return anchors


def _unreadable(path: Path, reason: str) -> tuple[list[Sheet], list[Finding]]:
    return [], [finding("ING001", path=path.name, reason=reason)]


def _precheck(path: Path) -> tuple[SafeZip | None, str | None]:
    try:
        with path.open("rb") as handle:
            magic = handle.read(8)
    except OSError as exc:
        return None, str(exc.strerror or exc)
    if magic == _OLE2_MAGIC:
        return None, "this is an Excel 97–2003 (.xls) workbook; save it as .xlsx"
    if not magic.startswith(b"PK"):
        return None, "not an XLSX workbook (not a ZIP archive)"
    try:
        archive = SafeZip(path, limits=XLSX_LIMITS)
    except InputError as exc:
        return None, str(exc)
    errors = [f for f in archive.findings if f.severity >= Severity.ERROR]
    if errors:
        archive.close()
        return None, f"unsafe ZIP structure ({errors[0].code}: {errors[0].message('en')})"
    try:
        for entry in archive.entries:
            if entry.path is not None and entry.name.lower().endswith((".xml", ".rels")):
                problem = _check_part(archive, entry.name)
                if problem is not None:
                    archive.close()
                    return None, f"part {entry.name}: {_PROBLEMS[problem]}"
    except InputError as exc:
        archive.close()
        return None, str(exc)
    return archive, None


def read_workbook(path: Path) -> tuple[list[Sheet], list[Finding]]:
    """Every worksheet of the workbook at *path*, or an ``ING001`` finding saying why it cannot be read."""
    archive, problem = _precheck(path)
    if archive is None:
        return _unreadable(path, problem or "unreadable")
    import openpyxl  # type: ignore[import-untyped]  # deferred: only XLSX input needs it

    sheets: list[Sheet] = []
    # openpyxl warns (UserWarning) about workbook features it ignores (data validation, styles): noise
    # for an archivist, and nothing it ignores is metadata we read.
    with archive, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            workbook: Any = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
        except Exception as exc:  # openpyxl raises many kinds (KeyError, ParseError, …) on damaged files
            return _unreadable(path, f"{type(exc).__name__}: {exc}")
        try:
            for worksheet in workbook.worksheets:
                if not hasattr(worksheet, "iter_rows"):  # a chart sheet
                    continue
                worksheet.reset_dimensions()
                rows = [
                    list(values) for values in worksheet.iter_rows(min_row=1, min_col=1, values_only=True)
                ]
                part = getattr(worksheet, "_worksheet_path", None)
                ranges = _merged_ranges(archive, part) if isinstance(part, str) else []
                anchors = _apply_merges(rows, ranges)
                sheets.append(Sheet(str(worksheet.title), tuple(tuple(r) for r in rows), anchors))
        except Exception as exc:  # as above: a damaged sheet part must be a finding, never a crash
            return _unreadable(path, f"{type(exc).__name__}: {exc}")
        finally:
            workbook.close()
    if not sheets:
        return _unreadable(path, "the workbook has no worksheet that can be read")
    return sheets, []
