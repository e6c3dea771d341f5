"""The ingest fields and their spreadsheet headers, loaded from ``data/vocab/headers.toml``.

An *ingest field* is one thing a metadata row can say (``file_code``, ``maintenance``,
``issued_day`` …). Each has a level (hồ sơ or tài liệu, reference §d3/§d4), a kind (how its cell is
read), the TT05 tag it fills (also its key in the JSON input) and the headers that name it in the 2024
vocabulary and in the old one (reference §b). Headers are matched after :func:`luutru_aip.vocab.fold`.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from importlib import resources
from typing import Any, Final

import attrs

from luutru_aip import vocab

__all__ = [
    "FIELDS",
    "KINDS",
    "FieldDef",
    "HeaderMatch",
    "field_def",
    "fields",
    "match_header",
    "spec_length",
]

KINDS: Final = frozenset(
    {
        "text",
        "code",
        "languages",
        "boolean",
        "number",
        "ordinal",
        "year",
        "date",
        "date_part",
        "date_range",
        "keywords",
        "number_notation",
        "path",
    }
)


@attrs.frozen
class FieldDef:
    """One ingest field (a row of ``headers.toml``)."""

    name: str
    level: str
    kind: str
    label: str
    headers: tuple[str, ...] = ()
    legacy: tuple[str, ...] = ()
    tag: str | None = None
    codelist: str | None = None
    part_of: str | None = None
    part: str | None = None

    @property
    def expected_header(self) -> str:
        """The header we suggest when the column is missing (the first 2024 header)."""
        return self.headers[0] if self.headers else self.label


@attrs.frozen
class HeaderMatch:
    """A recognised header: its field and whether it is an old-vocabulary header."""

    field: str
    legacy: bool


def _load() -> tuple[dict[str, FieldDef], dict[str, HeaderMatch]]:
    text = resources.files("luutru_aip").joinpath("data", "vocab", "headers.toml").read_text(encoding="utf-8")
    data: dict[str, Any] = tomllib.loads(text)
    defs: dict[str, FieldDef] = {}
    index: dict[str, HeaderMatch] = {}
    for name, raw in data.items():
        item = FieldDef(
            name=name,
            level=str(raw["level"]),
            kind=str(raw["kind"]),
            label=str(raw["label"]),
            headers=tuple(raw.get("headers", ())),
            legacy=tuple(raw.get("legacy", ())),
            tag=raw.get("tag"),
            codelist=raw.get("codelist"),
            part_of=raw.get("part_of"),
            part=raw.get("part"),
        )
        if item.level not in ("file", "document"):
            raise ValueError(f"headers.toml [{name}]: level must be file or document")
        if item.kind not in KINDS:
            raise ValueError(f"headers.toml [{name}]: unknown kind {item.kind!r}")
        if item.kind == "code" and item.codelist not in vocab.CODE_LISTS:
            raise ValueError(f"headers.toml [{name}]: unknown codelist {item.codelist!r}")
        defs[name] = item
        for header, legacy in [(h, False) for h in item.headers] + [(h, True) for h in item.legacy]:
            key = vocab.fold(header)
            if key in index and index[key].field != name:
                raise ValueError(f"headers.toml: header {header!r} is under {index[key].field} and {name}")
            index[key] = HeaderMatch(name, legacy)
    for item in defs.values():
        if item.kind == "date_part" and (
            item.part_of not in defs or item.part not in ("day", "month", "year")
        ):
            raise ValueError(f"headers.toml [{item.name}]: bad part_of/part")
    return defs, index


@functools.cache
def _data() -> tuple[dict[str, FieldDef], dict[str, HeaderMatch]]:
    return _load()


def fields() -> Mapping[str, FieldDef]:
    """Every ingest field by name, in file order (hồ sơ fields first)."""
    return _data()[0]


def field_def(name: str) -> FieldDef:
    """The field called *name* (KeyError if unknown)."""
    return _data()[0][name]


def match_header(text: str) -> HeaderMatch | None:
    """The field whose header folds like *text*, or ``None``."""
    key = vocab.fold(text)
    if not key:
        return None
    return _data()[1].get(key)


#: Field names, for the mapping-file check and the docs.
FIELDS: Final = tuple(_data()[0])


@functools.cache
def spec_length(level: str, tag: str) -> int | None:
    """The TT05 maximum length of *tag* at *level* (from :func:`luutru_aip.vocab.field_table`)."""
    lengths: list[int] = []
    for package_type in ("SIP", "AIP"):
        for spec in vocab.field_table(level, package_type):
            if tag in (spec.tag, spec.sip_tag) and spec.type == "string" and spec.length:
                lengths.append(spec.length)
    return min(lengths) if lengths else None
