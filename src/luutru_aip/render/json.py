"""The JSON forms printed by ``--json`` (described by ``schemas/report.schema.json``).

One subject gives one report document; several subjects give a report set, so a
consumer always reads exactly one JSON document from stdout.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from luutru_aip.findings import REPORT_FORMAT_VERSION, Report, Severity

REPORT_SET_FORMAT: Final = "luutru-aip-report-set"


def report_document(report: Report, *, lang: str, fail_on: Severity | None = None) -> dict[str, Any]:
    doc = report.to_dict(lang)
    if fail_on is not None:
        doc["fail_on"] = fail_on.label
        doc["fails"] = any(f.severity >= fail_on for f in report.findings)
    return doc


def reports_document(reports: Sequence[Report], *, lang: str, fail_on: Severity) -> dict[str, Any]:
    """One report → that report; several → a ``luutru-aip-report-set`` holding them in order."""
    if len(reports) == 1:
        return report_document(reports[0], lang=lang, fail_on=fail_on)
    docs = [report_document(r, lang=lang, fail_on=fail_on) for r in reports]
    return {
        "format": REPORT_SET_FORMAT,
        "format_version": REPORT_FORMAT_VERSION,
        "language": lang,
        "fail_on": fail_on.label,
        "fails": any(d["fails"] for d in docs),
        "reports": docs,
    }
