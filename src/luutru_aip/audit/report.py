"""Render the audit report (:func:`luutru_aip.audit.history.report_document`) as JSON, CSV or HTML.

* **JSON**: the document itself (``format`` ``luutru-aip-audit-report``).
* **CSV**: one table, chosen with ``table``: ``failures`` (default: one row per
  current failure, worst first), ``packages`` (one row per package, failed
  ones first) or ``runs`` (one row per run). UTF-8 with a byte-order mark, so
  that spreadsheet programs show Vietnamese names correctly.
* **HTML**: one self-contained page for an operator to *look at*: a status
  banner, summary figures, the failures first, then an inline SVG chart of the
  bytes checked and the failures found per run over time, then the runs and
  the packages. Inline CSS and SVG only: no script, no font, no image, no
  link to anything outside the page, so it opens the same offline, from a
  mail attachment or an archive's intranet. Built with lxml, so every name
  and message taken from a package is escaped.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from lxml import etree
from lxml import html as lxml_html

from luutru_aip.audit._units import format_bytes

__all__ = ["CSV_TABLES", "render_csv", "render_html", "render_json"]

CSV_TABLES: Final = ("failures", "packages", "runs")
#: At most this many package rows in the HTML page (all are in JSON/CSV).
HTML_MAX_PACKAGES: Final = 2000

_WORDS: Final[Mapping[str, Mapping[str, str]]] = {
    "en": {
        "title": "Fixity audit report",
        "generated": "Generated",
        "database": "History database",
        "intact": "All checked packages are intact",
        "failures_banner": "{n} failures need attention",
        "unreachable_banner": "{n} storage roots are unreachable",
        "summary": "Summary",
        "packages": "Packages",
        "ok": "Intact at last check",
        "failed": "Failed at last check",
        "never": "Never checked",
        "due": "Due now",
        "in_progress": "Check in progress",
        "vanished": "Vanished",
        "roots_unreachable": "Roots unreachable",
        "checked_ever": "Checked so far",
        "failures": "Failures",
        "no_failures": "No failures.",
        "failures_more": "Showing {shown} of {total} failures; the JSON and CSV reports list them all.",
        "chart": "Bytes checked and failures per run",
        "chart_bytes": "bytes checked",
        "chart_failures": "failures found",
        "runs": "Runs",
        "no_runs": "No run yet.",
        "package": "Package",
        "path": "Path",
        "code": "Code",
        "message": "Message",
        "checked_at": "Checked at",
        "run": "Run",
        "status": "Status",
        "started": "Started",
        "files": "Files",
        "bytes": "Bytes",
        "last_checked": "Last checked",
        "last_failures": "Failures",
        "due_at": "Due",
        "roots": "Storage roots",
        "reachable": "reachable",
        "unreachable": "UNREACHABLE",
        "packages_more": "Showing {shown} of {total} packages.",
    },
    "vi": {
        "title": "Báo cáo kiểm tra tính toàn vẹn",
        "generated": "Thời điểm lập",
        "database": "Cơ sở dữ liệu lịch sử",
        "intact": "Mọi gói đã kiểm tra đều nguyên vẹn",
        "failures_banner": "{n} lỗi cần xử lý",
        "unreachable_banner": "{n} kho lưu trữ không truy cập được",
        "summary": "Tổng quan",
        "packages": "Số gói",
        "ok": "Nguyên vẹn ở lần kiểm tra gần nhất",
        "failed": "Có lỗi ở lần kiểm tra gần nhất",
        "never": "Chưa kiểm tra lần nào",
        "due": "Đến hạn kiểm tra",
        "in_progress": "Đang kiểm tra dở",
        "vanished": "Không còn trong kho",
        "roots_unreachable": "Kho không truy cập được",
        "checked_ever": "Dung lượng đã kiểm tra",
        "failures": "Các lỗi",
        "no_failures": "Không có lỗi nào.",
        "failures_more": "Hiển thị {shown} trên {total} lỗi; báo cáo JSON và CSV có đủ mọi lỗi.",
        "chart": "Dung lượng đã kiểm tra và số lỗi theo từng lượt chạy",
        "chart_bytes": "dung lượng đã kiểm tra",
        "chart_failures": "số lỗi tìm thấy",
        "runs": "Các lượt chạy",
        "no_runs": "Chưa có lượt chạy nào.",
        "package": "Gói",
        "path": "Đường dẫn",
        "code": "Mã",
        "message": "Nội dung",
        "checked_at": "Thời điểm kiểm tra",
        "run": "Lượt",
        "status": "Trạng thái",
        "started": "Bắt đầu",
        "files": "Số tệp",
        "bytes": "Dung lượng",
        "last_checked": "Kiểm tra gần nhất",
        "last_failures": "Số lỗi",
        "due_at": "Hạn kiểm tra",
        "roots": "Các kho lưu trữ",
        "reachable": "truy cập được",
        "unreachable": "KHÔNG TRUY CẬP ĐƯỢC",
        "packages_more": "Hiển thị {shown} trên {total} gói.",
    },
}

_CSS: Final = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",Arial,sans-serif;margin:0;
color:#1b1f24;background:#f6f7f9}
header,main{max-width:1200px;margin:0 auto;padding:16px 24px}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.25em;margin:1.4em 0 .5em;border-bottom:2px solid #d0d5db}
.meta{color:#57606a;font-size:.9em}
.banner{padding:18px 24px;border-radius:8px;font-size:1.4em;font-weight:700;color:#fff;margin:12px 0}
.banner.ok{background:#1a7f37}.banner.fail{background:#cf222e}.banner.warn{background:#9a6700}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border:1px solid #d0d5db;border-radius:8px;padding:10px 16px;min-width:150px}
.card .n{font-size:1.6em;font-weight:700}.card .l{color:#57606a;font-size:.85em}
.card.bad .n{color:#cf222e}.card.good .n{color:#1a7f37}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.88em}
th,td{border:1px solid #d0d5db;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eaeef2}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.error td.code{color:#cf222e;font-weight:700}tr.warning td.code{color:#9a6700;font-weight:700}
.path{font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all}
svg{background:#fff;border:1px solid #d0d5db;border-radius:8px;max-width:100%;height:auto}
.note{color:#57606a;font-size:.85em}
"""


def render_json(document: Mapping[str, Any]) -> str:
    """The report as one JSON document (keys in a stable order, UTF-8 text)."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def render_csv(document: Mapping[str, Any], *, table: str = "failures") -> str:
    """One table of the report as CSV text (starting with a UTF-8 byte-order mark)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if table == "failures":
        writer.writerow(["package", "path", "line", "code", "severity", "message", "checked_at"])
        for f in document["failures"]:
            loc = f.get("location", {})
            writer.writerow(
                [
                    f.get("package") or "",
                    loc.get("path", ""),
                    loc.get("line", ""),
                    f["code"],
                    f["severity"],
                    f["message"],
                    f.get("checked_at") or "",
                ]
            )
    elif table == "packages":
        columns = [
            "id",
            "location",
            "root",
            "path",
            "identifier",
            "kind",
            "present",
            "last_checked",
            "last_failures",
            "in_progress",
            "due_at",
        ]
        writer.writerow(columns)
        for p in document["packages"]:
            writer.writerow(["" if p[c] is None else p[c] for c in columns])
    elif table == "runs":
        columns = [
            "run_id",
            "status",
            "host",
            "started_at",
            "finished_at",
            "files",
            "bytes",
            "failures",
            "packages_completed",
            "packages_failed",
            "unreachable",
            "stop_reason",
        ]
        writer.writerow(columns)
        for r in document["runs"]:
            writer.writerow(["" if r[c] is None else r[c] for c in columns])
    else:
        raise ValueError(f"unknown CSV table {table!r} (one of: {', '.join(CSV_TABLES)})")
    return "\ufeff" + buffer.getvalue()


def _el(parent: Any, tag: str, text: str | None = None, **attrib: str) -> Any:
    element = etree.SubElement(parent, tag, {k.rstrip("_").replace("_", "-"): v for k, v in attrib.items()})
    if text is not None:
        element.text = text
    return element


def _table(
    parent: Any,
    headers: Sequence[str],
    rows: Sequence[tuple[Sequence[str | int], str | None]],
    numeric: Sequence[int] = (),
) -> Any:
    table = _el(parent, "table")
    head = _el(_el(table, "thead"), "tr")
    for h in headers:
        _el(head, "th", h)
    body = _el(table, "tbody")
    for cells, css in rows:
        tr = _el(body, "tr", class_=css) if css else _el(body, "tr")
        for index, cell in enumerate(cells):
            if index in numeric:
                _el(tr, "td", f"{cell:,}" if isinstance(cell, int) else str(cell), class_="num")
            else:
                _el(tr, "td", str(cell))
    return table


def _chart(parent: Any, runs: Sequence[Mapping[str, Any]], words: Mapping[str, str]) -> None:
    """An inline SVG: a bar of bytes checked per run (blue, left axis) and failures (red, right axis)."""
    width, height = 960, 320
    left, right, top, bottom = 70, 60, 30, 60
    plot_w, plot_h = width - left - right, height - top - bottom
    svg = _el(
        parent,
        "svg",
        xmlns="http://www.w3.org/2000/svg",
        width=str(width),
        height=str(height),
        viewBox=f"0 0 {width} {height}",
        role="img",
    )
    _el(svg, "title", words["chart"])
    _el(
        svg,
        "rect",
        x=str(left),
        y=str(top),
        width=str(plot_w),
        height=str(plot_h),
        fill="#fbfcfd",
        stroke="#d0d5db",
    )
    max_bytes = max((int(r["bytes"]) for r in runs), default=0) or 1
    max_fail = max((int(r["failures"]) for r in runs), default=0) or 1
    for frac in (0.0, 0.5, 1.0):
        y = top + plot_h - frac * plot_h
        _el(svg, "line", x1=str(left), x2=str(left + plot_w), y1=f"{y:.1f}", y2=f"{y:.1f}", stroke="#eaeef2")
        _el(
            svg,
            "text",
            format_bytes(max_bytes * frac),
            x=str(left - 6),
            y=f"{y + 4:.1f}",
            text_anchor="end",
            font_size="11",
            fill="#0969da",
        )
        _el(
            svg,
            "text",
            str(round(max_fail * frac)),
            x=str(left + plot_w + 6),
            y=f"{y + 4:.1f}",
            font_size="11",
            fill="#cf222e",
        )
    count = max(len(runs), 1)
    step = plot_w / count
    bar = max(2.0, step * 0.6)
    points: list[str] = []
    label_every = max(1, count // 12)
    for index, run in enumerate(runs):
        x = left + index * step + (step - bar) / 2
        h = plot_h * int(run["bytes"]) / max_bytes
        rect = _el(
            svg,
            "rect",
            x=f"{x:.1f}",
            y=f"{top + plot_h - h:.1f}",
            width=f"{bar:.1f}",
            height=f"{h:.1f}",
            fill="#54aeff",
            class_="bytes",
        )
        _el(rect, "title", f"{words['run']} {run['run_id']}: {format_bytes(int(run['bytes']))}")
        cx = left + index * step + step / 2
        cy = top + plot_h - plot_h * int(run["failures"]) / max_fail
        points.append(f"{cx:.1f},{cy:.1f}")
        dot = _el(svg, "circle", cx=f"{cx:.1f}", cy=f"{cy:.1f}", r="4", fill="#cf222e", class_="failures")
        _el(dot, "title", f"{words['run']} {run['run_id']}: {run['failures']} {words['chart_failures']}")
        if index % label_every == 0:
            day = str(run["started_at"] or "")[:10]
            _el(
                svg,
                "text",
                day,
                x=f"{cx:.1f}",
                y=str(top + plot_h + 16),
                text_anchor="middle",
                font_size="10",
                fill="#57606a",
            )
    if len(points) > 1:
        _el(svg, "polyline", points=" ".join(points), fill="none", stroke="#cf222e", stroke_width="2")
    legend_y = str(height - 14)
    _el(svg, "rect", x=str(left), y=str(height - 24), width="12", height="12", fill="#54aeff")
    _el(svg, "text", words["chart_bytes"], x=str(left + 18), y=legend_y, font_size="12")
    _el(svg, "circle", cx=str(left + 236), cy=str(height - 18), r="5", fill="#cf222e")
    _el(svg, "text", words["chart_failures"], x=str(left + 248), y=legend_y, font_size="12")


def render_html(document: Mapping[str, Any], *, lang: str = "en") -> str:
    """The report as one self-contained HTML page (inline CSS and SVG; nothing loaded from elsewhere)."""
    words = _WORDS.get(lang, _WORDS["en"])
    summary = document["summary"]
    page = etree.Element("html", lang=lang if lang in _WORDS else "en")
    head = _el(page, "head")
    _el(head, "meta", charset="utf-8")
    _el(head, "meta", name="viewport", content="width=device-width, initial-scale=1")
    _el(head, "title", f"{words['title']} — luutru-aip")
    _el(head, "style", _CSS)
    body = _el(page, "body")
    header = _el(body, "header")
    _el(header, "h1", words["title"])
    _el(
        header,
        "p",
        f"{words['generated']}: {document['generated_at']} · {words['database']}: {document['db']}",
        class_="meta",
    )
    failures_total = int(document["failures_total"])
    unreachable = int(summary["roots_unreachable"])
    if unreachable:
        _el(
            header,
            "div",
            words["unreachable_banner"].format(n=unreachable),
            class_="banner fail",
            id="status",
        )
    elif failures_total:
        _el(
            header,
            "div",
            words["failures_banner"].format(n=failures_total),
            class_="banner fail",
            id="status",
        )
    else:
        _el(header, "div", words["intact"], class_="banner ok", id="status")
    main = _el(body, "main")

    section = _el(main, "section", id="summary")
    _el(section, "h2", words["summary"])
    cards = _el(section, "div", class_="cards")
    for key, value, css in (
        ("packages", summary["packages"], ""),
        ("ok", summary["ok"], "good"),
        ("failed", summary["failed"], "bad" if summary["failed"] else ""),
        ("never", summary["never_checked"], ""),
        ("due", summary["due"], ""),
        ("in_progress", summary["in_progress"], ""),
        ("vanished", summary["vanished"], "bad" if summary["vanished"] else ""),
        ("roots_unreachable", unreachable, "bad" if unreachable else ""),
        ("checked_ever", format_bytes(int(summary["bytes_checked_ever"])), ""),
    ):
        card = _el(cards, "div", class_=f"card {css}".strip())
        _el(card, "div", f"{value:,}" if isinstance(value, int) else str(value), class_="n")
        _el(card, "div", words[key], class_="l")
    _el(section, "h2", words["roots"])
    _table(
        section,
        [words["path"], words["status"], words["packages"]],
        [
            (
                (
                    r["path"],
                    words["reachable"] if r["reachable"] else f"{words['unreachable']}: {r['reason'] or ''}",
                    int(r["packages"]),
                ),
                None if r["reachable"] else "error",
            )
            for r in document["roots"]
        ],
        numeric=(2,),
    )

    section = _el(main, "section", id="failures")
    _el(section, "h2", f"{words['failures']} ({failures_total:,})")
    failures = document["failures"]
    if not failures:
        _el(section, "p", words["no_failures"])
    else:
        rows = [
            (
                (
                    f.get("package") or "",
                    f.get("location", {}).get("path", ""),
                    f["code"],
                    f["message"],
                    f.get("checked_at") or "",
                ),
                f["severity"],
            )
            for f in failures
        ]
        table = _table(
            section,
            [words["package"], words["path"], words["code"], words["message"], words["checked_at"]],
            rows,
        )
        for tr in table.iter("tr"):
            cells = tr.findall("td")
            if len(cells) == 5:
                cells[1].set("class", "path")
                cells[2].set("class", "code")
        if failures_total > len(failures):
            _el(
                section,
                "p",
                words["failures_more"].format(shown=len(failures), total=failures_total),
                class_="note",
            )

    section = _el(main, "section", id="chart")
    _el(section, "h2", words["chart"])
    runs = document["runs"]
    if runs:
        _chart(section, runs, words)
    else:
        _el(section, "p", words["no_runs"])

    section = _el(main, "section", id="runs")
    _el(section, "h2", words["runs"])
    _table(
        section,
        [words["run"], words["status"], words["started"], words["files"], words["bytes"], words["failures"]],
        [
            (
                (
                    int(r["run_id"]),
                    r["status"],
                    r["started_at"] or "",
                    int(r["files"]),
                    format_bytes(int(r["bytes"])),
                    int(r["failures"]),
                ),
                "error" if r["failures"] or r["unreachable"] else None,
            )
            for r in reversed(runs)
        ],
        numeric=(0, 3, 5),
    )

    section = _el(main, "section", id="packages")
    packages = document["packages"]
    _el(section, "h2", f"{words['packages']} ({len(packages):,})")
    shown = packages[:HTML_MAX_PACKAGES]
    _table(
        section,
        [words["package"], words["last_checked"], words["last_failures"], words["due_at"]],
        [
            (
                (
                    p["location"],
                    p["last_checked"] or "—",
                    "" if p["last_failures"] is None else int(p["last_failures"]),
                    p["due_at"] or "—",
                ),
                "error" if (p["last_failures"] or 0) > 0 or not p["present"] else None,
            )
            for p in shown
        ],
        numeric=(2,),
    )
    if len(packages) > len(shown):
        _el(section, "p", words["packages_more"].format(shown=len(shown), total=len(packages)), class_="note")
    text = lxml_html.tostring(page, doctype="<!DOCTYPE html>", encoding="unicode", method="html")
    return str(text) + "\n"
