"""Export a package's audit history as PREMIS 3 fixity-check events (``audit export-premis PKG``).

One PREMIS 3.0 document (namespace ``http://www.loc.gov/premis/v3``, valid
against ``premis-v3-0.xsd``) per package:

* one ``intellectualEntity`` object: the package, identified by its OBJID /
  External-Identifier when it has one, else by its location (``local``);
* one ``event`` per *completed* package check, oldest first: ``eventType``
  "fixity check" (LoC vocabulary ``eventType/fix``), ``eventDateTime`` when the
  check completed, in Viet Nam time (``+07:00``, as TT05 requires),
  ``eventDetail`` (files, algorithm, runs), ``eventOutcome`` "success" or
  "fail" (LoC ``eventOutcome``) with one ``eventOutcomeDetail`` per failure
  (rule code, path, message), the software as the executing program and the
  package as the source object;
* one ``agent``: this software, with its version.

The document is written incrementally (``lxml.etree.xmlfile``), so a package
with a million failures needs no tree in memory, and it is deterministic: the
same history gives the same bytes (event identifiers are name-based UUIDs).
It is written to a stream the caller gives (stdout or a report file): an
export never writes into the package. A later migration folds these events
into a new AIP version.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import IO, Any, Final

from lxml import etree

from luutru_aip import __version__
from luutru_aip._fs import display_name
from luutru_aip.audit._units import iso_time
from luutru_aip.audit.db import HistoryDB, PackageRow
from luutru_aip.audit.history import event_finding, file_finding
from luutru_aip.audit.model import ALGORITHM_NAMES
from luutru_aip.findings import Finding
from luutru_aip.metadata.premis import (
    AGENT_ROLES,
    AGENT_TYPES,
    EVENT_OUTCOMES,
    EVENT_TYPES,
    OBJECT_ROLES,
    PREMIS_NS,
)
from luutru_aip.model import stable_uuid

__all__ = ["AGENT_ID", "export_premis"]

_XSI: Final = "http://www.w3.org/2001/XMLSchema-instance"
_NSMAP: Final = {"premis": PREMIS_NS, "xsi": _XSI}
#: How this software names itself as a PREMIS agent.
AGENT_ID: Final = f"luutru-aip/{__version__}"
_DETAIL: Final = {
    "en": "Periodic fixity audit: {files} files re-hashed with {algorithm} against the package's own "
    "manifests (luutru-aip audit, package check {check}, {runs}).",
    "vi": "Kiểm tra định kỳ tính toàn vẹn: tính lại mã băm {algorithm} của {files} tệp và so với danh mục "
    "của chính gói (luutru-aip audit, lần kiểm tra {check}, {runs}).",
}
_COUNTED: Final = (
    "files",
    "ok",
    "changed",
    "missing",
    "extra",
    "unreadable",
    "moved",
    "damaged",
    "signature",
)
_SUMMARY: Final = {
    "en": "{files} files: {ok} intact, {changed} changed, {missing} missing, {extra} extra, "
    "{unreadable} unreadable, {moved} moved; {damaged} damaged manifests; {signature} signature failures.",
    "vi": "{files} tệp: {ok} nguyên vẹn, {changed} bị thay đổi, {missing} bị thiếu, {extra} thừa, "
    "{unreadable} không đọc được, {moved} bị chuyển chỗ; {damaged} danh mục bị hỏng; "
    "{signature} lỗi chữ ký số.",
}


def _q(name: str) -> str:
    return f"{{{PREMIS_NS}}}{name}"


def _authority(table: dict[str, str], label: str) -> dict[str, str]:
    uri = table.get(label)
    if uri is None:
        return {}
    scheme_uri = uri.rsplit("/", 1)[0]
    return {"authority": scheme_uri.rsplit("/", 1)[1], "authorityURI": scheme_uri, "valueURI": uri}


def _text(xf: Any, name: str, text: str, attrib: dict[str, str] | None = None) -> None:
    with xf.element(_q(name), attrib or {}):
        xf.write(text)


def _pair(xf: Any, name: str, kind: str, value: str, role: str | None = None, table: Any = None) -> None:
    """``<nameType>``, ``<nameValue>`` (and ``<…Role>`` with its LoC authority) inside ``<name>``."""
    with xf.element(_q(name)):
        _text(xf, f"{name}Type", kind)
        _text(xf, f"{name}Value", value)
        if role is not None:
            _text(xf, name.replace("Identifier", "Role"), role, _authority(table or {}, role))


def _object_identity(package: PackageRow) -> tuple[str, str]:
    if package.identifier:
        return ("OBJID" if package.kind != "bag" else "External-Identifier"), package.identifier
    return "local", display_name(package.location)


def _failures(db: HistoryDB, package: PackageRow, pcheck_id: int) -> Iterator[Finding]:
    for event in db.query(
        "SELECT * FROM events WHERE pcheck_id = ? AND code != 'AUD014' ORDER BY event_id", (pcheck_id,)
    ):
        yield event_finding(event, package)
    cursor = db.conn.cursor()
    cursor.row_factory = sqlite3.Row
    cursor.execute(
        "SELECT c.outcome, c.algorithm, c.expected, c.found, c.size, c.detail, f.path, o.path AS other_path "
        "FROM file_checks c JOIN files f ON f.file_id = c.file_id "
        "LEFT JOIN files o ON o.file_id = c.other_file_id WHERE c.pcheck_id = ? AND c.outcome > 0 "
        "ORDER BY f.path",
        (pcheck_id,),
    )
    for row in cursor:
        yield file_finding(row, package)


def export_premis(db: HistoryDB, package: PackageRow, out: IO[bytes], *, lang: str = "en") -> int:
    """Write the PREMIS document for ``package`` to ``out``; returns the number of events written."""
    lang = lang if lang in _DETAIL else "en"
    id_type, id_value = _object_identity(package)
    checks = db.query(
        "SELECT * FROM package_checks WHERE package_id = ? AND status = 'completed' ORDER BY pcheck_id",
        (package.package_id,),
    )
    with etree.xmlfile(out, encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element(_q("premis"), {"version": "3.0"}, nsmap=_NSMAP):
            with xf.element(_q("object"), {f"{{{_XSI}}}type": "premis:intellectualEntity"}):
                _pair(xf, "objectIdentifier", id_type, id_value)
                if id_type != "local":
                    _pair(xf, "objectIdentifier", "local", display_name(package.location))
            for check in checks:
                with xf.element(_q("event")):
                    _write_event_head(xf, check, package, lang)
                    with xf.element(_q("eventOutcomeInformation")):
                        outcome = "fail" if int(check["failures"] or 0) > 0 else "success"
                        _text(xf, "eventOutcome", outcome, _authority(EVENT_OUTCOMES, outcome))
                        counts = {k: int(check[k] or 0) for k in _COUNTED}
                        _detail(xf, _SUMMARY[lang].format(**counts))
                        for item in _failures(db, package, int(check["pcheck_id"])):
                            where = f"{item.location} " if item.location.path else ""
                            _detail(xf, f"{item.code} {where}{item.message(lang)}")
                    _pair(xf, "linkingAgentIdentifier", "local", AGENT_ID, "executing program", AGENT_ROLES)
                    _pair(xf, "linkingObjectIdentifier", id_type, id_value, "source", OBJECT_ROLES)
            with xf.element(_q("agent")):
                _pair(xf, "agentIdentifier", "local", AGENT_ID)
                _text(xf, "agentName", "luutru-aip")
                _text(xf, "agentType", "software", _authority(AGENT_TYPES, "software"))
                _text(xf, "agentVersion", __version__)
    return len(checks)


def _detail(xf: Any, text: str) -> None:
    with xf.element(_q("eventOutcomeDetail")):
        _text(xf, "eventOutcomeDetailNote", text)


def _write_event_head(xf: Any, check: Any, package: PackageRow, lang: str) -> None:
    check_id = int(check["pcheck_id"])
    finished = iso_time(int(check["finished_at"])) or ""
    identifier = stable_uuid(
        package.root_path, package.rel_path, "audit-fixity-check", str(check_id), finished
    )
    _pair(xf, "eventIdentifier", "UUID", str(identifier))
    _text(xf, "eventType", "fixity check", _authority(EVENT_TYPES, "fixity check"))
    _text(xf, "eventDateTime", finished)
    first, last = int(check["started_run_id"]), int(check["finished_run_id"] or check["started_run_id"])
    word = {"en": ("run", "runs"), "vi": ("lượt chạy", "các lượt chạy")}[lang]
    runs = f"{word[0]} {first}" if first == last else f"{word[1]} {first}–{last}"
    detail = _DETAIL[lang].format(
        files=int(check["files"] or 0),
        algorithm=ALGORITHM_NAMES[int(check["algorithm"])],
        check=check_id,
        runs=runs,
    )
    with xf.element(_q("eventDetailInformation")):
        _text(xf, "eventDetail", detail)
