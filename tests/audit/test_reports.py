"""Reports: the self-contained HTML page (validated structurally), CSV tables and PREMIS 3 events."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from lxml import html as lxml_html

from luutru_aip.audit import HistoryDB
from luutru_aip.audit.history import history_document, report_document
from luutru_aip.audit.premis import export_premis
from luutru_aip.audit.report import render_csv, render_html
from luutru_aip.metadata._xml import parse_xml
from luutru_aip.metadata.schemastore import SchemaStore, validate_with

from ._kit import audit, bag, mets_package

HOSTILE = "<img src=x onerror=alert(1)>.txt"


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """Three runs over a bag and a METS package: intact, then damaged (a hostile file name too), again."""
    root = tmp_path / "store"
    bag(root, "bag1")
    mets_package(root, "mets1")
    db = tmp_path / "audit.sqlite"
    audit(root, db)
    (root / "bag1" / "data" / "a.txt").write_bytes(b"jello\n")
    (root / "bag1" / "data" / HOSTILE).write_bytes(b"x")
    audit(root, db)
    audit(root, db)
    return db


def report(db: Path, lang: str = "en") -> dict[str, Any]:
    with HistoryDB(db, create=False) as history:
        return report_document(history, now_ms=1_800_000_000_000, cycle_days=90, lang=lang)


def test_html_report_is_one_self_contained_page(history: Path) -> None:
    page = render_html(report(history), lang="en")
    assert page.startswith("<!DOCTYPE html>")
    doc = lxml_html.document_fromstring(page)
    assert doc.find("head/title").text.startswith("Fixity audit report")
    assert doc.find("head/meta").get("charset") == "utf-8"
    # nothing is loaded from anywhere: no script, stylesheet link, image, frame, or URL attribute
    assert doc.xpath("//script | //link | //img | //iframe | //object | //embed") == []
    assert doc.xpath("//@src | //@href") == []
    assert doc.xpath("//style")  # inline CSS
    for value in doc.xpath("//@*"):
        assert "http" not in value or value == "http://www.w3.org/2000/svg"
    assert "@import" not in page
    assert "url(" not in page
    # the summary, then the failures first, then the chart, then runs and packages
    order = [s.get("id") for s in doc.xpath("//main/section")]
    assert order == ["summary", "failures", "chart", "runs", "packages"]
    assert doc.get_element_by_id("status").get("class") == "banner fail"
    failures = doc.get_element_by_id("failures")
    rows = failures.xpath(".//tbody/tr")
    assert len(rows) == 2
    assert {r.xpath("td[3]")[0].text for r in rows} == {"AUD001", "AUD003"}
    # the hostile name is text, not markup
    assert any(HOSTILE in (r.xpath("td[2]")[0].text or "") for r in rows)


def test_html_chart_has_one_bar_and_one_point_per_run(history: Path) -> None:
    doc = lxml_html.document_fromstring(render_html(report(history)))
    chart = doc.get_element_by_id("chart")
    [svg] = chart.xpath(".//svg")
    assert svg.get("viewbox") or svg.get("viewBox")
    bars = svg.xpath(".//rect[@class='bytes']")
    points = svg.xpath(".//circle[@class='failures']")
    assert len(bars) == len(points) == 3
    heights = [float(b.get("height")) for b in bars]
    assert all(h > 0 for h in heights)
    # failures: 0 in the first run, 2 in the second and the third: the first point sits on the axis
    ys = [float(p.get("cy")) for p in points]
    assert ys[0] > ys[1] == ys[2]
    assert svg.xpath(".//polyline")


def test_html_report_in_vietnamese_and_when_all_is_well(tmp_path: Path) -> None:
    root = tmp_path / "store"
    bag(root, "bag1")
    audit(root, tmp_path / "audit.sqlite")
    doc = lxml_html.document_fromstring(render_html(report(tmp_path / "audit.sqlite", "vi"), lang="vi"))
    assert doc.get("lang") == "vi"
    assert doc.find("head/title").text.startswith("Báo cáo kiểm tra tính toàn vẹn")
    assert doc.get_element_by_id("status").get("class") == "banner ok"
    assert "Không có lỗi nào." in doc.get_element_by_id("failures").text_content()


def test_csv_tables(history: Path) -> None:
    doc = report(history)
    for table, columns, count in (
        ("failures", "package,path,line,code,severity,message,checked_at", 2),
        (
            "packages",
            "id,location,root,path,identifier,kind,present,last_checked,last_failures,in_progress,due_at",
            2,
        ),
        (
            "runs",
            "run_id,status,host,started_at,finished_at,files,bytes,failures,packages_completed,"
            "packages_failed,unreachable,stop_reason",
            3,
        ),
    ):
        text = render_csv(doc, table=table)
        assert text.startswith("\ufeff")
        parsed = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        assert ",".join(parsed[0]) == columns
        assert len(parsed) == 1 + count
    failures = list(csv.DictReader(io.StringIO(render_csv(doc).lstrip("\ufeff"))))
    assert {f["path"] for f in failures} == {"data/a.txt", f"data/{HOSTILE}"}
    packages = list(csv.DictReader(io.StringIO(render_csv(doc, table="packages").lstrip("\ufeff"))))
    assert packages[0]["last_failures"] == "2"  # failed packages first


def premis_of(db: Path, which: str, lang: str = "en") -> bytes:
    with HistoryDB(db, create=False) as history:
        [package] = history.find_packages(which)
        out = io.BytesIO()
        export_premis(history, package, out, lang=lang)
        return out.getvalue()


def test_premis_export_is_valid_premis3(history: Path, schema_store: SchemaStore) -> None:
    data = premis_of(history, "bag1")
    tree = parse_xml(data)
    assert validate_with(schema_store, tree, ["premis3"]) == []
    ns = {"p": "http://www.loc.gov/premis/v3"}
    events = tree.findall("p:event", ns)
    assert len(events) == 3
    assert {e.findtext("p:eventType", namespaces=ns) for e in events} == {"fixity check"}
    assert all(e.findtext("p:eventDateTime", namespaces=ns).endswith("+07:00") for e in events)
    outcomes = [e.findtext("p:eventOutcomeInformation/p:eventOutcome", namespaces=ns) for e in events]
    assert outcomes == ["success", "fail", "fail"]
    linked = {
        e.findtext("p:linkingObjectIdentifier/p:linkingObjectIdentifierValue", namespaces=ns) for e in events
    }
    assert len(linked) == 1
    assert linked.pop().endswith("bag1")
    notes = [n.text for n in events[1].iterfind(".//p:eventOutcomeDetailNote", ns)]
    assert any(n.startswith("AUD001 data/a.txt") for n in notes)
    assert data == premis_of(history, "bag1")  # deterministic


def test_premis_export_of_a_mets_package_uses_its_objid(history: Path, schema_store: SchemaStore) -> None:
    tree = parse_xml(premis_of(history, "mets1", "vi"))
    assert validate_with(schema_store, tree, ["premis3"]) == []
    ns = {"p": "http://www.loc.gov/premis/v3"}
    ids = tree.findall("p:object/p:objectIdentifier", ns)
    assert ids[0].findtext("p:objectIdentifierType", namespaces=ns) == "OBJID"
    assert (
        ids[0].findtext("p:objectIdentifierValue", namespaces=ns)
        == "urn:uuid:0f1e2d3c-0000-4000-8000-000000000001"
    )
    detail = tree.findtext("p:event/p:eventDetailInformation/p:eventDetail", namespaces=ns)
    assert detail.startswith("Kiểm tra định kỳ tính toàn vẹn")


def test_premis_without_checks_is_still_valid(tmp_path: Path, schema_store: SchemaStore) -> None:
    root = tmp_path / "store"
    bag(root, "bag1")
    db = tmp_path / "audit.sqlite"
    audit(root, db, max_bytes=1, batch_files=1)  # the check is left in progress
    tree = parse_xml(premis_of(db, "bag1"))
    assert validate_with(schema_store, tree, ["premis3"]) == []
    assert tree.findall("{http://www.loc.gov/premis/v3}event") == []


def test_history_document(history: Path) -> None:
    with HistoryDB(history, create=False) as db:
        [package] = db.find_packages("bag1")
        doc = history_document(db, package)
    assert doc["package"]["kind"] == "bag"
    assert [c["failures_total"] for c in doc["checks"]] == [2, 2, 0]
    assert doc["events"][0]["code"] == "AUD011"
    assert etree  # lxml is the parser of record here too
