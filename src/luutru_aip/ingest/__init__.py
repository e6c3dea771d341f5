"""Ingest (L2): the archivist's metadata (XLSX, CSV or JSON) → TT05 hồ sơ records with findings.

Implements issue 4 "Input" and the spreadsheet contract (notes/spreadsheet.md) over reference §d3–d5
(TT05/2025/TT-BNV fields and code lists) and §f (identifiers). The flow::

    profile = load_profile(Path("profile.toml"), overrides={"fonds_code": "P623"})
    result = read_metadata(Path("muc-luc.xlsx"), source_root=Path("Phong"), profile=profile)
    for record in result.files:        # FileRecord (hồ sơ) with its DocumentRecords (tài liệu)
        ...
    result.findings                    # every problem, with the cell ("Sheet1!F12") and the file
    result.skipped                     # hồ sơ that cannot be packaged, with their rows and why

* :func:`load_profile` / :func:`check_profile`: the details no spreadsheet carries;
* :func:`load_mapping`: a column-mapping file that overrides header recognition;
* :func:`read_metadata`: read, recognise headers (2024 and old vocabulary), group rows into hồ sơ,
  normalise every value to TT05 codes, match file paths with the source folder, report.

Nothing is guessed silently: every default, derivation or normalisation that is not a plain reading of
the cell gives a finding (``ING001``…, catalogue ``data/rules/ingest.toml``). Without ``strict`` a hồ sơ
with an error is skipped and listed; the others are packaged. With ``strict`` warnings become errors and
:attr:`IngestResult.ok` is false when any remains, so the caller refuses to build.
"""

from __future__ import annotations

from ._json import FORMAT as JSON_FORMAT
from ._json import schema as metadata_schema
from ._read import SUFFIXES, IngestResult, SkippedFile, read_metadata
from ._spec import FIELDS, FieldDef, field_def, fields
from ._values import parse_date_text
from .mapping import ColumnMapping, load_mapping
from .profile import DEFAULT_AGENCY_CODE_PATTERN, OPTIONS, check_profile, load_profile

__all__ = [
    "DEFAULT_AGENCY_CODE_PATTERN",
    "FIELDS",
    "JSON_FORMAT",
    "OPTIONS",
    "SUFFIXES",
    "ColumnMapping",
    "FieldDef",
    "IngestResult",
    "SkippedFile",
    "check_profile",
    "field_def",
    "fields",
    "load_mapping",
    "load_profile",
    "metadata_schema",
    "parse_date_text",
    "read_metadata",
]
