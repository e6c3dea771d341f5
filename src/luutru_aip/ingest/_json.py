"""Reading JSON metadata (``luutru-aip-metadata/1.0``, described by ``schemas/metadata.schema.json``).

The document is parsed (RFC 8259: UTF-8), validated against the JSON Schema (draft 2020-12) and turned
into the same :class:`~._table.RawFile` rows as a spreadsheet, so values are normalised by the same
rules. Cells are addressed by JSON pointers (RFC 6901): ``/files/0/documents/2/typeName``. A schema
violation inside one hồ sơ skips that hồ sơ only; one outside any hồ sơ (wrong ``format``, ``files``
not a list) stops the import.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Final

import jsonschema  # type: ignore[import-untyped]

from luutru_aip.findings import Finding, finding

from ._sheet import SkippedRow
from ._spec import fields
from ._table import Cell, RawFile, RawRow

__all__ = ["FORMAT", "json_keys", "read_json", "schema"]

FORMAT: Final = "luutru-aip-metadata/1.0"
_MESSAGE_LIMIT: Final = 300


@functools.cache
def schema() -> Mapping[str, Any]:
    """The JSON Schema of the metadata input."""
    text = (
        resources.files("luutru_aip").joinpath("schemas", "metadata.schema.json").read_text(encoding="utf-8")
    )
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@functools.cache
def json_keys(level: str) -> Mapping[str, str]:
    """Ingest field → JSON key at *level* (``file`` or ``document``)."""
    return {name: spec.tag for name, spec in fields().items() if spec.level == level and spec.tag}


def _escape(part: object) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def pointer(parts: Sequence[object]) -> str:
    return "".join("/" + _escape(p) for p in parts)


def _key(value: object, fallback: str) -> str:
    if isinstance(value, bool) or value is None:
        return fallback
    if isinstance(value, (int, str)):
        text = " ".join(str(value).split())
        return text or fallback
    return fallback


def _row(obj: Mapping[str, Any], where: str, level: str) -> RawRow:
    keys = json_keys(level)
    cells = {name: Cell(obj[key], f"{where}/{_escape(key)}") for name, key in keys.items() if key in obj}
    return RawRow(cells=cells, where=where, pointer=where, json_keys=keys)


def read_json(path: Path, source: str) -> tuple[list[RawFile], list[SkippedRow], list[Finding], bool]:
    """(hồ sơ, skipped entries, findings outside any hồ sơ, fatal?) of the JSON file at *path*."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [], [], [finding("ING001", path=source, reason=str(exc.strerror or exc))], True
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [], [finding("ING002", path=source, offset=exc.start)], True
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        return (
            [],
            [],
            [finding("ING011", path=source, line=exc.lineno, reason=exc.msg, column=exc.colno)],
            True,
        )
    except (RecursionError, ValueError) as exc:
        return [], [], [finding("ING011", path=source, reason=type(exc).__name__, column=None)], True
    validator = jsonschema.Draft202012Validator(schema())
    per_file: dict[int, list[Finding]] = {}
    general: list[Finding] = []
    fatal = False
    errors = sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
    for error in errors:
        parts = list(error.absolute_path)
        message = (
            error.message if len(error.message) <= _MESSAGE_LIMIT else error.message[:_MESSAGE_LIMIT] + "…"
        )
        found = finding("ING012", path=source, field=pointer(parts) or "/", reason=message)
        if len(parts) >= 2 and parts[0] == "files" and isinstance(parts[1], int):
            per_file.setdefault(parts[1], []).append(found)
        else:
            general.append(found)
            fatal = fatal or not (parts and parts[0] == "profile")
    if fatal or not isinstance(document, dict) or not isinstance(document.get("files"), list):
        return [], [], general, True
    files: list[RawFile] = []
    skipped: list[SkippedRow] = []
    for index, entry in enumerate(document["files"]):
        where = f"/files/{index}"
        if not isinstance(entry, dict):
            general.extend(per_file.get(index, []))
            skipped.append(SkippedRow(where, "ING012"))
            continue
        row = _row(entry, where, "file")
        code_cell = row.get("file_code") or Cell(None, f"{where}/fileCode")
        docs: list[RawRow] = []
        raw_docs = entry.get("documents")
        if isinstance(raw_docs, list):
            for number, item in enumerate(raw_docs):
                if isinstance(item, dict):
                    docs.append(_row(item, f"{where}/documents/{number}", "document"))
        files.append(
            RawFile(
                key=_key(entry.get("fileCode"), where),
                code_cell=code_cell,
                file_rows=[row],
                doc_rows=docs,
                where=where,
                pointer=where,
                findings=per_file.get(index, []),
            )
        )
    return files, skipped, general, False
