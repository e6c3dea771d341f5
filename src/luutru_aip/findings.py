"""One findings model for the Python API, the CLI text and ``--json``.

A *rule* is a stable code (``BAG012``, ``XML002`` …) with a severity, the
requirement it implements (``spec_ref``) and message templates in English and
Vietnamese. Rules live in a catalogue kept as data (``data/rules/*.toml``), not
in check code. A check is a small generator that yields :class:`Finding`
values built with :func:`finding`::

    yield finding("FIX002", path=p, algorithm="sha256", expected=e, found=f)

A :class:`Report` gathers the findings of one run over one subject, sorted, with
the checks that were skipped and why. :meth:`Report.to_dict` gives the
versioned JSON form described by ``schemas/report.schema.json``.

Codes are stable API: never renumbered, never reused.
"""

from __future__ import annotations

import enum
import locale
import os
import re
import string
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from importlib import resources
from typing import Any, Final

import attrs

__all__ = [
    "LANGUAGES",
    "REPORT_FORMAT",
    "REPORT_FORMAT_VERSION",
    "Finding",
    "Location",
    "Report",
    "Rule",
    "Severity",
    "Skipped",
    "catalogue",
    "default_language",
    "finding",
    "get_rule",
]

REPORT_FORMAT: Final = "luutru-aip-report"
#: Bumped on any incompatible change to :meth:`Report.to_dict` (called out in CHANGELOG).
REPORT_FORMAT_VERSION: Final = "1.0"
LANGUAGES: Final = ("vi", "en")

ParamValue = str | int | float | bool | None

_CODE_RE: Final = re.compile(r"^[A-Z]{2,6}[0-9]{3}$")


class Severity(enum.IntEnum):
    """How serious a finding is: MAY → INFO, SHOULD → WARNING, MUST → ERROR."""

    INFO = 10
    WARNING = 20
    ERROR = 30

    @property
    def label(self) -> str:
        """The lower-case name used in JSON and on the command line."""
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        """``"error"`` → :attr:`ERROR`; raises :class:`ValueError` on an unknown name."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of: {names})") from None


_SEVERITY_VI: Final = {Severity.INFO: "thông tin", Severity.WARNING: "cảnh báo", Severity.ERROR: "lỗi"}


def severity_word(severity: Severity, lang: str) -> str:
    """The severity's name in ``lang`` ("lỗi", "cảnh báo", "thông tin" in Vietnamese)."""
    return _SEVERITY_VI[severity] if lang == "vi" else severity.label


@attrs.frozen(kw_only=True)
class Rule:
    """One entry of the rule catalogue."""

    code: str
    severity: Severity
    spec_ref: str
    category: str
    title_en: str
    title_vi: str
    message_en: str
    message_vi: str
    params: tuple[str, ...] = ()

    def title(self, lang: str) -> str:
        return self.title_vi if lang == "vi" else self.title_en

    def template(self, lang: str) -> str:
        return self.message_vi if lang == "vi" else self.message_en


@attrs.frozen(kw_only=True)
class Location:
    """Where a finding is.

    ``path`` is POSIX and relative to the package root; ``field`` is a tag-file
    key, a spreadsheet cell such as ``Sheet1!F12`` or a JSON pointer.
    """

    path: str | None = None
    line: int | None = None
    xpath: str | None = None
    field: str | None = None

    def to_dict(self) -> dict[str, str | int]:
        out: dict[str, str | int] = {}
        for key in ("path", "line", "xpath", "field"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out

    def __str__(self) -> str:
        text = self.path or ""
        if self.line is not None:
            text += f":{self.line}"
        if self.field:
            text += f" [{self.field}]" if text else self.field
        if self.xpath:
            text += f" {self.xpath}" if text else self.xpath
        return text

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.path or "", self.line or 0, self.field or "", self.xpath or "")


class _SafeFormatter(string.Formatter):
    """Leaves ``{name}`` visible when a parameter is missing instead of raising."""

    def get_value(self, key: int | str, args: Any, kwargs: Any) -> Any:
        if isinstance(key, str):
            return kwargs.get(key, "{" + key + "}")
        return super().get_value(key, args, kwargs)  # pragma: no cover - templates use names


_FORMATTER: Final = _SafeFormatter()


def _render(template: str, params: Mapping[str, ParamValue]) -> str:
    shown = {k: ("—" if v is None else v) for k, v in params.items()}
    try:
        return _FORMATTER.vformat(template, (), shown)
    except (ValueError, IndexError):  # a malformed template must never crash a report
        return template


def _sorted_params(params: Mapping[str, ParamValue]) -> dict[str, ParamValue]:
    return dict(sorted(params.items()))


def _sorted_versions(versions: Mapping[str, str]) -> dict[str, str]:
    return dict(sorted(versions.items()))


@attrs.frozen(kw_only=True)
class Finding:
    """One problem (or note) found by a check."""

    code: str
    severity: Severity
    spec_ref: str
    location: Location = attrs.field(factory=Location)
    params: Mapping[str, ParamValue] = attrs.field(factory=dict, converter=_sorted_params)

    @property
    def rule(self) -> Rule:
        return get_rule(self.code)

    def message(self, lang: str = "en") -> str:
        """The message rendered from the catalogue template in ``lang`` (``vi`` or ``en``)."""
        return _render(self.rule.template(lang), {**self.location.to_dict(), **self.params})

    def sort_key(self) -> tuple[int, tuple[str, int, str, str], str, str]:
        return (-int(self.severity), self.location.sort_key(), self.code, repr(sorted(self.params.items())))

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.label,
            "spec_ref": self.spec_ref,
            "location": self.location.to_dict(),
            "message": self.message(lang),
            "params": dict(self.params),
        }


def finding(
    code: str,
    *,
    path: str | os.PathLike[str] | None = None,
    line: int | None = None,
    xpath: str | None = None,
    field: str | None = None,
    severity: Severity | None = None,
    **params: ParamValue,
) -> Finding:
    """Build a :class:`Finding` for catalogue rule ``code``.

    The severity and spec reference come from the catalogue; ``severity`` may
    override the default where a profile decides (for example a ``--strict``
    build turning a warning into an error). Unknown codes raise
    :class:`KeyError` at once, so a typo in check code fails its tests.
    """
    rule = get_rule(code)
    return Finding(
        code=code,
        severity=rule.severity if severity is None else severity,
        spec_ref=rule.spec_ref,
        location=Location(
            path=None if path is None else os.fspath(path),
            line=line,
            xpath=xpath,
            field=field,
        ),
        params=params,
    )


# --------------------------------------------------------------------------- catalogue


def _load_rule(code: str, raw: Mapping[str, Any], source: str) -> Rule:
    if not _CODE_RE.match(code):
        raise ValueError(f"{source}: rule code {code!r} does not match {_CODE_RE.pattern}")
    try:
        return Rule(
            code=code,
            severity=Severity.parse(str(raw["severity"])),
            spec_ref=str(raw["spec_ref"]),
            category=str(raw.get("category", source.removesuffix(".toml"))),
            title_en=str(raw["title_en"]),
            title_vi=str(raw["title_vi"]),
            message_en=str(raw["message_en"]),
            message_vi=str(raw["message_vi"]),
            params=tuple(str(p) for p in raw.get("params", ())),
        )
    except KeyError as exc:
        raise ValueError(f"{source}: rule {code} lacks the key {exc.args[0]!r}") from None


@cache
def catalogue() -> Mapping[str, Rule]:
    """Every rule, keyed by code, read once from ``luutru_aip/data/rules/*.toml``."""
    rules: dict[str, Rule] = {}
    folder = resources.files("luutru_aip").joinpath("data", "rules")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        data = tomllib.loads(entry.read_text(encoding="utf-8"))
        for code, raw in data.items():
            if code in rules:
                raise ValueError(f"{entry.name}: rule code {code} is defined twice")
            rules[code] = _load_rule(code, raw, entry.name)
    return dict(sorted(rules.items()))


def get_rule(code: str) -> Rule:
    """The catalogue entry for ``code``; :class:`KeyError` if there is none."""
    try:
        return catalogue()[code]
    except KeyError:
        raise KeyError(f"unknown rule code {code!r}") from None


def default_language(environ: Mapping[str, str] | None = None) -> str:
    """``vi`` or ``en``: ``LUUTRU_AIP_LANG``, else the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``)."""
    env = os.environ if environ is None else environ
    explicit = env.get("LUUTRU_AIP_LANG", "").strip().lower()
    if explicit in LANGUAGES:
        return explicit
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if value:
            return "vi" if value.lower().startswith("vi") else "en"
    if environ is None:
        loc = locale.getlocale(locale.LC_MESSAGES)[0] or ""
        if loc.lower().startswith("vi"):
            return "vi"
    return "en"


# --------------------------------------------------------------------------- report


@attrs.frozen(kw_only=True)
class Skipped:
    """A check that did not run, and why (for example: no hashing while the structure is broken)."""

    check: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"check": self.check, "reason": self.reason}


def _sorted_findings(items: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(sorted(items, key=Finding.sort_key))


@attrs.frozen(kw_only=True)
class Report:
    """The findings of one run over one subject (a package, a file, a storage root)."""

    subject: str
    profile: str
    tool_versions: Mapping[str, str] = attrs.field(factory=dict, converter=_sorted_versions)
    findings: tuple[Finding, ...] = attrs.field(factory=tuple, converter=_sorted_findings)
    skipped: tuple[Skipped, ...] = ()
    threshold: Severity = Severity.ERROR

    @property
    def valid(self) -> bool:
        """True when no finding is at or above :attr:`threshold`."""
        return not any(f.severity >= self.threshold for f in self.findings)

    def counts(self) -> dict[str, int]:
        out = {s.label: 0 for s in sorted(Severity, reverse=True)}
        for f in self.findings:
            out[f.severity.label] += 1
        return out

    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)

    def iter_at_least(self, severity: Severity) -> Iterator[Finding]:
        return (f for f in self.findings if f.severity >= severity)

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """The versioned JSON form (``schemas/report.schema.json``)."""
        return {
            "format": REPORT_FORMAT,
            "format_version": REPORT_FORMAT_VERSION,
            "subject": self.subject,
            "profile": self.profile,
            "language": lang,
            "tool_versions": dict(self.tool_versions),
            "threshold": self.threshold.label,
            "valid": self.valid,
            "counts": self.counts(),
            "findings": [f.to_dict(lang) for f in self.findings],
            "skipped": [s.to_dict() for s in self.skipped],
        }
