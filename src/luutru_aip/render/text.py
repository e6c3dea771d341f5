"""Reports as text for people, in Vietnamese or English."""

from __future__ import annotations

from typing import Final

import click

from luutru_aip._fs import display_name
from luutru_aip.findings import Finding, Report, Severity, severity_word

_COLORS: Final = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}

_WORDS: Final = {
    "en": {"ok": "OK", "fail": "FAILED", "skipped": "skipped", "profile": "profile", "none": "no findings"},
    "vi": {
        "ok": "ĐẠT",
        "fail": "KHÔNG ĐẠT",
        "skipped": "bỏ qua",
        "profile": "chuẩn kiểm tra",
        "none": "không có phát hiện nào",
    },
}


def _count_phrase(report: Report, lang: str) -> str:
    counts = report.counts()
    parts = [f"{counts[s.label]} {severity_word(s, lang)}" for s in sorted(Severity, reverse=True)]
    return ", ".join(parts)


def render_finding(f: Finding, *, lang: str, color: bool = False) -> str:
    sev = severity_word(f.severity, lang).upper()
    head = f"{sev:<9} {f.code}"
    if color:
        head = click.style(head, fg=_COLORS[f.severity], bold=f.severity is Severity.ERROR)
    # Names and reasons come from untrusted packages: escape control and bidi characters.
    where = display_name(str(f.location))
    line = f"  {head}  {where + ': ' if where else ''}{display_name(f.message(lang))}"
    if f.spec_ref:
        line += f"  [{f.spec_ref}]"
    return line


def render_report(
    report: Report, *, lang: str, color: bool = False, fail_on: Severity = Severity.ERROR
) -> str:
    words = _WORDS.get(lang, _WORDS["en"])
    fails = any(f.severity >= fail_on for f in report.findings)
    verdict = words["fail"] if fails else words["ok"]
    if color:
        verdict = click.style(verdict, fg="red" if fails else "green", bold=True)
    lines = [
        f"{report.subject}: {verdict} ({_count_phrase(report, lang)}; {words['profile']}: {report.profile})"
    ]
    lines.extend(render_finding(f, lang=lang, color=color) for f in report.findings)
    lines.extend(f"  ({words['skipped']}) {s.check}: {display_name(s.reason)}" for s in report.skipped)
    if not report.findings and not report.skipped:
        lines.append(f"  {words['none']}")
    return "\n".join(lines)
