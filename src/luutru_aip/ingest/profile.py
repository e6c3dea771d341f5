"""The archive profile: details no spreadsheet carries (issue 4, "Input"; reference §f).

A small TOML file, command-line options, or the ``profile`` object of a JSON metadata file, merged in
that order of precedence (an option beats the file, the file beats the JSON)::

    archive_name = "Trung tâm Lưu trữ lịch sử tỉnh Hưng Yên"
    agency_code = "H40.21.05"        # mã định danh điện tử, QĐ 20/2020/QĐ-TTg, QĐ 09/2025/QĐ-TTg
    fonds_code = "P623"              # mã phông
    fonds_name = "UBND huyện Văn Lâm"
    archive_code = "H40.21"          # prefix of arcFileCode; default: agency_code
    default_language = "Tiếng Việt"  # used (with an info finding) when a hồ sơ's language is blank

A missing required detail raises :class:`~luutru_aip.errors.UsageError` naming the option and the key.
The shape of ``agency_code`` (ND 30/2020 Annex VI: a string of at most 13 characters; a letter and two
digits, then dot-separated numeric levels, reference §f) is checked by :func:`check_profile`, which gives
a *warning* (``ING080``), not an error: the post-2025 merger codes are not confirmed.
"""

from __future__ import annotations

import json
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from luutru_aip import vocab
from luutru_aip.errors import UsageError
from luutru_aip.findings import Finding, finding
from luutru_aip.model import ArchiveProfile

__all__ = [
    "DEFAULT_AGENCY_CODE_PATTERN",
    "MAX_AGENCY_CODE_LENGTH",
    "OPTIONS",
    "check_profile",
    "load_profile",
]

#: Profile key → command-line option that sets it.
OPTIONS: Final[Mapping[str, str]] = {
    "archive_name": "--archive-name",
    "agency_code": "--agency-code",
    "fonds_code": "--fonds-code",
    "fonds_name": "--fonds-name",
    "archive_code": "--archive-code",
    "repository_name": "--repository-name",
    "creator_name": "--creator-name",
    "default_language": "--default-language",
    "arc_separator": "--arc-separator",
}
_REQUIRED: Final = {
    "archive_name": ("the archive's name", "tên cơ quan lưu trữ"),
    "agency_code": ("the agency identifier code (QĐ 20/2020, QĐ 09/2025)", "mã định danh cơ quan"),
    "fonds_code": ("the fonds code", "mã phông"),
}
#: ND 30/2020 Annex VI: OrganId is a string of at most 13 characters.
MAX_AGENCY_CODE_LENGTH: Final = 13
#: A level-1 letter with two digits (H49, G09), then dot-separated two-digit levels (H49.64.33).
DEFAULT_AGENCY_CODE_PATTERN: Final = r"[A-Z][0-9]{2}(?:\.[0-9]{2})*"


def _clean(key: str, value: object, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise UsageError(f"{where}: {key} must be text, not {type(value).__name__}")
    text = unicodedata.normalize("NFC", value).strip()
    return text or None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read the profile file {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"the profile file {path} is not valid UTF-8 TOML: {exc}") from None
    table = data.get("profile", data) if isinstance(data.get("profile"), dict) else data
    return dict(table)


def _read_json_profile(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}  # read_metadata reports a broken JSON file with its own findings
    profile = data.get("profile") if isinstance(data, dict) else None
    return dict(profile) if isinstance(profile, dict) else {}


def _merge(
    layers: list[tuple[str, Mapping[str, Any]]],
) -> dict[str, str]:
    merged: dict[str, str] = {}
    for where, layer in layers:
        for key, value in layer.items():
            if key not in OPTIONS:
                known = ", ".join(OPTIONS)
                raise UsageError(f"{where}: unknown profile key {key!r} (known keys: {known})")
            text = _clean(key, value, where)
            if text is not None and key not in merged:
                merged[key] = text
    return merged


def _language_codes(text: str) -> str:
    results = vocab.normalise_languages(text)
    if not results or not all(r.ok for r in results):
        allowed = ", ".join(f"{c} {label}" for c, label in vocab.code_list("language").codes.items())
        raise UsageError(
            f"default_language {text!r} is not a TT05 language (set {OPTIONS['default_language']} "
            f"or default_language in the profile file to one of: {allowed})"
        )
    return ", ".join(r.code for r in results if r.code)


def load_profile(
    path: Path | None,
    *,
    overrides: Mapping[str, str | None] | None = None,
    metadata: Path | None = None,
) -> ArchiveProfile:
    """The :class:`~luutru_aip.model.ArchiveProfile` from *path* (TOML), *overrides* and *metadata*.

    *overrides* are the command-line values keyed by profile key (``None`` = option not given).
    *metadata* may be a JSON metadata file whose ``profile`` object supplies defaults.
    ``default_language`` is normalised to TT05 codes (``"01"``; several as ``"01, 09"``).
    Raises :class:`~luutru_aip.errors.UsageError` naming the option and key of anything missing or wrong.
    """
    layers: list[tuple[str, Mapping[str, Any]]] = []
    if overrides:
        layers.append(("command line", {k: v for k, v in overrides.items() if v is not None}))
    if path is not None:
        layers.append((f"profile file {path}", _read_toml(Path(path))))
    if metadata is not None and Path(metadata).suffix.lower() == ".json":
        layers.append((f"profile object of {metadata}", _read_json_profile(Path(metadata))))
    values = _merge(layers)
    missing = [key for key in _REQUIRED if key not in values]
    if missing:
        parts = [
            f"{_REQUIRED[key][0]} / {_REQUIRED[key][1]} (set {OPTIONS[key]} or {key} in the profile file)"
            for key in missing
        ]
        raise UsageError("missing archive profile details: " + "; ".join(parts))
    if "default_language" in values:
        values["default_language"] = _language_codes(values["default_language"])
    return ArchiveProfile(
        archive_name=values["archive_name"],
        agency_code=values["agency_code"],
        fonds_code=values["fonds_code"],
        fonds_name=values.get("fonds_name"),
        archive_code=values.get("archive_code"),
        repository_name=values.get("repository_name"),
        creator_name=values.get("creator_name"),
        default_language=values.get("default_language"),
        arc_separator=values.get("arc_separator", "."),
    )


def check_profile(
    profile: ArchiveProfile,
    *,
    agency_code_pattern: str = DEFAULT_AGENCY_CODE_PATTERN,
    source: str | None = None,
) -> tuple[Finding, ...]:
    """Warnings about the profile: an ``agency_code`` (and ``archive_code``) of an unexpected shape."""
    found: list[Finding] = []
    pattern = re.compile(agency_code_pattern)
    for key in ("agency_code", "archive_code"):
        code = getattr(profile, key)
        if code is None:
            continue
        if not pattern.fullmatch(code) or len(code) > MAX_AGENCY_CODE_LENGTH:
            found.append(
                finding(
                    "ING080",
                    path=source,
                    field=key,
                    value=code,
                    pattern=agency_code_pattern,
                    limit=MAX_AGENCY_CODE_LENGTH,
                )
            )
    return tuple(found)
