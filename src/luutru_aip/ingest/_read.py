"""``read_metadata``: XLSX / CSV / JSON + profile + mapping → hồ sơ records and findings (issue 4).

See the package docstring for the contract and docs/metadata-input.md for every rule.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final

import attrs

from luutru_aip.errors import InputError, UsageError
from luutru_aip.findings import Finding, Severity
from luutru_aip.model import ArchiveProfile, FileRecord, PackageType

from ._csv import read_csv
from ._json import read_json
from ._records import Context, build_file, mark_paths
from ._sheet import SkippedRow, choose_layout, group_rows, required_columns, score_rows
from ._sources import SourceIndex
from ._spec import field_def
from ._table import RawFile, RawRow, Sheet
from ._values import Sink, show
from ._xlsx import read_workbook
from .mapping import ColumnMapping
from .profile import DEFAULT_AGENCY_CODE_PATTERN, check_profile

__all__ = ["SUFFIXES", "IngestResult", "SkippedFile", "read_metadata"]

#: Metadata file suffixes and their reader.
SUFFIXES: Final = {".xlsx": "xlsx", ".xlsm": "xlsx", ".csv": "csv", ".tsv": "csv", ".json": "json"}


@attrs.frozen
class SkippedFile:
    """What cannot be packaged, where it is, and the codes of why.

    ``scope`` is ``"file"`` (a whole hồ sơ), ``"document"`` (one tài liệu; the rest of its hồ sơ is
    packaged, with warning ING029) or ``"row"`` (a row that belongs to no hồ sơ).
    """

    file_code: str | None
    #: ``Sheet1!5:9`` (rows), ``Sheet1!12`` or a JSON pointer (``/files/3``, ``/files/3/documents/1``).
    rows: str
    reasons: tuple[str, ...]
    scope: str = "file"

    def to_dict(self) -> dict[str, object]:
        """The JSON form (``--json`` output of the build command)."""
        return {
            "file_code": self.file_code,
            "rows": self.rows,
            "reasons": list(self.reasons),
            "scope": self.scope,
        }

    def __str__(self) -> str:
        what = {"file": "hồ sơ", "document": "document of", "row": "row"}.get(self.scope, self.scope)
        code = f" {self.file_code}" if self.file_code else ""
        return f"{what}{code} at {self.rows}: {', '.join(self.reasons)}"


@attrs.frozen
class IngestResult:
    """What :func:`read_metadata` found.

    ``files`` holds only the hồ sơ that can be packaged; ``skipped`` the others (with their rows);
    ``findings`` every problem, located by cell (``Location.field``) in the metadata file
    (``Location.path``), or by the file's path in the source folder.
    """

    files: tuple[FileRecord, ...]
    findings: tuple[Finding, ...]
    skipped: tuple[SkippedFile, ...] = ()
    #: Files in the source folder that no row lists (source-relative POSIX paths).
    unlisted: tuple[str, ...] = ()
    #: Path as written in the metadata → actual source-relative POSIX path on disk.
    source_files: Mapping[str, str] = attrs.field(factory=dict)
    strict: bool = False

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity >= Severity.ERROR)

    @property
    def blocking(self) -> tuple[Finding, ...]:
        """Findings that stop a build: in strict mode every error (warnings were raised to errors);
        otherwise none (hồ sơ with errors are skipped, the others are built)."""
        return self.errors if self.strict else ()

    @property
    def ok(self) -> bool:
        """True when a build may go on: nothing blocking and at least one hồ sơ to package."""
        return not self.blocking and bool(self.files)

    def counts(self) -> dict[str, int]:
        out = {s.label: 0 for s in sorted(Severity, reverse=True)}
        for item in self.findings:
            out[item.severity.label] += 1
        return out


def _raise_warnings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(
        attrs.evolve(f, severity=Severity.ERROR) if f.severity is Severity.WARNING else f for f in findings
    )


@attrs.define
class _Tabular:
    files: list[RawFile] = attrs.field(factory=list)
    skipped: list[SkippedRow] = attrs.field(factory=list)
    orphans: list[RawRow] = attrs.field(factory=list)
    sheet: str | None = None
    missing: frozenset[str] = frozenset()
    #: Nothing could be read (no header row, no file-code column).
    fatal: bool = False


def _tabular(
    sheets: list[Sheet],
    mapping: ColumnMapping | None,
    profile: ArchiveProfile,
    sink: Sink,
    source: str,
) -> _Tabular:
    layout, others = choose_layout(sheets, mapping)
    if layout is None:
        if (
            mapping is not None
            and mapping.sheet is not None
            and not any(s.name == mapping.sheet for s in sheets)
        ):
            names = ", ".join(s.name for s in sheets)
            raise UsageError(
                f"{source}: no sheet named {mapping.sheet!r} (the mapping file's sheet); sheets: {names}"
            )
        where = mapping.header_row if mapping is not None and mapping.header_row else None
        sink.add("ING003", None, rows=where or "1–15", sheets=", ".join(show(s.name) for s in sheets) or "—")
        return _Tabular(fatal=True)
    if others:
        sink.add("ING010", None, sheet=show(layout.sheet.name), others=", ".join(show(o) for o in others))
    missing = required_columns(layout, language_default=bool(profile.default_language))
    for name, _ in missing:
        spec = field_def(name)
        sink.add("ING004", None, label=spec.label, header=spec.expected_header, sheet=show(layout.sheet.name))
    absent = frozenset(name for name, _ in missing)
    if "file_code" in absent:
        return _Tabular(sheet=layout.sheet.name, missing=absent, fatal=True)
    files, skipped, orphans = group_rows(layout, sink)
    return _Tabular(files, skipped, orphans, layout.sheet.name, absent)


def read_metadata(
    path: Path,
    *,
    source_root: Path,
    profile: ArchiveProfile,
    mapping: ColumnMapping | None = None,
    package_type: PackageType = PackageType.AIP,
    strict: bool = False,
    agency_code_pattern: str = DEFAULT_AGENCY_CODE_PATTERN,
    exclude: Iterable[Path] = (),
) -> IngestResult:
    """Read the metadata at *path* (``.xlsx``, ``.csv`` or ``.json``) about the files under *source_root*.

    Never raises for problems in the metadata or the folder: they are findings. Raises
    :class:`~luutru_aip.errors.InputError` when *path* or *source_root* does not exist and
    :class:`~luutru_aip.errors.UsageError` for an unsupported file type or a mapping sheet that is not
    in the workbook. *exclude* names files under *source_root* that are not payload (a profile or
    mapping file kept there); the metadata file itself is always excluded. With ``strict=True`` every
    warning is raised to an error and :attr:`IngestResult.ok` is false when any error remains.
    """
    path = Path(path)
    source_root = Path(source_root)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        hint = " (save an Excel 97–2003 .xls workbook as .xlsx)" if path.suffix.lower() == ".xls" else ""
        raise UsageError(f"unsupported metadata file {path.name}: use .xlsx, .csv or .json{hint}")
    if not path.is_file():
        raise InputError(f"metadata file not found: {os.fspath(path)}")
    if not source_root.is_dir():
        raise InputError(f"source folder not found: {os.fspath(source_root)}")
    source = path.name
    sink = Sink(source)
    general: list[Finding] = list(check_profile(profile, agency_code_pattern=agency_code_pattern))
    index = SourceIndex(source_root, exclude=[path, *exclude])

    table = _Tabular(fatal=True)
    if kind in ("xlsx", "csv"):
        if kind == "xlsx":
            sheets, problems = read_workbook(path)
        else:
            sheets, problems = read_csv(path, score=lambda rows: score_rows(rows, mapping))
        general.extend(problems)
        if sheets:
            table = _tabular(sheets, mapping, profile, sink, source)
    else:
        table.files, table.skipped, problems, table.fatal = read_json(path, source)
        general.extend(problems)
    raws, skipped_rows, orphans = table.files, table.skipped, table.orphans

    ctx = Context(
        source=source,
        profile=profile,
        package_type=package_type,
        index=index,
        source_name=source,
        sheet=table.sheet,
        required_columns=table.missing,
        strict=strict,
    )
    outcomes = [build_file(raw, ctx) for raw in raws]
    first_seen: dict[str, RawFile] = {}
    for outcome in outcomes:
        code = outcome.code
        if code is None:
            continue
        if code in first_seen and first_seen[code] is not outcome.raw:
            outcome.sink.add(
                "ING025", outcome.raw.code_cell.address, file_code=show(code), first=first_seen[code].where
            )
        else:
            first_seen.setdefault(code, outcome.raw)
    for row in orphans:
        mark_paths(row, index)

    _summaries(ctx, sink)
    files: list[FileRecord] = []
    skipped: list[SkippedFile] = [SkippedFile(None, s.where, (s.code,), scope="row") for s in skipped_rows]
    collected: list[Finding] = [*general, *sink.findings]
    for outcome in outcomes:
        collected.extend(outcome.findings())
        code = outcome.code or outcome.raw.key
        file_reasons = outcome.sink.error_codes(strict=strict)
        doc_reasons = [(d, d.sink.error_codes(strict=strict)) for d in outcome.documents]
        if outcome.record is None or file_reasons:
            reasons = [*file_reasons, *(r for _, found in doc_reasons for r in found)]
            unique = tuple(dict.fromkeys(reasons)) or ("ING030",)
            skipped.append(SkippedFile(code, outcome.raw.where, unique, scope="file"))
            continue
        files.append(outcome.record)
        for document, found in doc_reasons:
            if document.record is None or found:
                skipped.append(
                    SkippedFile(code, document.row.where, tuple(found) or ("ING027",), scope="document")
                )
    if not table.fatal:  # when nothing could be read, every file would be "unlisted": say nothing
        collected.extend(index.leftover_findings())
    final = _raise_warnings(collected) if strict else tuple(collected)
    return IngestResult(
        files=tuple(files),
        findings=final,
        skipped=tuple(skipped),
        unlisted=() if table.fatal else tuple(index.unlisted()),
        source_files=dict(sorted(ctx.source_files.items())),
        strict=strict,
    )


def _summaries(ctx: Context, sink: Sink) -> None:
    if ctx.language_defaulted:
        sink.add(
            "ING042",
            ctx.language_defaulted[0],
            count=len(ctx.language_defaulted),
            language=ctx.profile.default_language,
        )
    if ctx.risk_defaulted:
        sink.add("ING043", ctx.risk_defaulted[0], count=len(ctx.risk_defaulted))
    if ctx.ordinal_by_position:
        sink.add("ING014", ctx.ordinal_by_position[0], count=len(ctx.ordinal_by_position))
