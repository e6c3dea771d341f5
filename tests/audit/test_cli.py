"""``luutru-aip audit``: exit codes for cron, the summary line, --json against its schema, sub-commands."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from luutru_aip.cli import cli, main
from luutru_aip.cli.audit import command

from ._kit import bag, mets_package

# The lead registers the module in cli/__init__.py (_COMMAND_MODULES); adding it again is harmless.
cli.add_command(command)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["audit", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def schema() -> dict[str, Any]:
    text = resources.files("luutru_aip").joinpath("schemas", "audit-run.schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def check_json(out: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(out)
    jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker()).validate(doc)
    return doc


@pytest.fixture
def store(tmp_path: Path) -> Path:
    root = tmp_path / "store"
    bag(root, "bag1")
    mets_package(root, "mets1")
    return root


def test_run_intact_exits_0_with_one_summary_line(capsys: pytest.CaptureFixture[str], store: Path) -> None:
    db = store.parent / "audit.sqlite"
    code, out, err = run(capsys, "run", str(store), "--db", str(db), "--workers", "1", "--lang", "en")
    assert code == 0
    lines = err.strip().splitlines()
    assert len(lines) == 1  # one line on stderr, and no progress bar: stderr is not a terminal
    assert lines[0].startswith("luutru-aip audit: run 1 completed; 2/2 due packages checked")
    assert "no failures" in lines[0]
    assert "AUD011" in out  # the text report names the new packages


def test_run_json_matches_the_schema_and_the_exit_code(
    capsys: pytest.CaptureFixture[str], store: Path
) -> None:
    db = store.parent / "audit.sqlite"
    code, out, _ = run(capsys, "run", str(store), "--db", str(db), "--json", "--workers", "2")
    doc = check_json(out)
    assert code == doc["exit_code"] == 0
    assert doc["status"] == "completed"
    assert doc["packages"]["checked"] == 2
    assert doc["started_at"].endswith("+07:00")
    (store / "bag1" / "data" / "a.txt").write_bytes(b"jello\n")
    code, out, _ = run(capsys, "run", str(store), "--db", str(db), "--json", "--cycle-days", "0")
    doc = check_json(out)
    assert code == doc["exit_code"] == 1
    assert doc["outcomes"]["changed"] == 1
    assert [f["code"] for f in doc["findings"]] == ["AUD001"]
    assert doc["findings"][0]["package"].endswith("bag1")


def test_failures_exit_1_and_quiet_prints_nothing_on_stderr(
    capsys: pytest.CaptureFixture[str], store: Path
) -> None:
    db = store.parent / "audit.sqlite"
    assert run(capsys, "run", str(store), "--db", str(db))[0] == 0
    (store / "bag1" / "data" / "sub" / "b.txt").unlink()
    code, out, err = run(capsys, "run", str(store), "--db", str(db), "--cycle-days", "0", "--quiet")
    assert (code, err) == (1, "")
    assert "AUD002" in out


def test_unreachable_root_exits_2(capsys: pytest.CaptureFixture[str], store: Path) -> None:
    db = store.parent / "audit.sqlite"
    assert run(capsys, "run", str(store), "--db", str(db))[0] == 0
    shutil.rmtree(store)
    store.mkdir()
    code, out, err = run(capsys, "run", str(store), "--db", str(db), "--cycle-days", "0", "--json")
    doc = check_json(out)
    assert code == doc["exit_code"] == 2
    assert doc["roots"][0]["reachable"] is False
    assert [f["code"] for f in doc["findings"]] == ["AUD007"]
    assert "UNREACHABLE" in err


def test_budget_options_accept_operator_units(capsys: pytest.CaptureFixture[str], store: Path) -> None:
    db = store.parent / "audit.sqlite"
    code, out, _ = run(
        capsys,
        "run",
        str(store),
        "--db",
        str(db),
        "--json",
        "--max-duration",
        "1h30m",
        "--max-bytes",
        "1",
        "--batch-files",
        "1",
    )
    doc = check_json(out)
    assert (code, doc["status"]) == (0, "partial")
    assert "--max-bytes" in doc["stop_reason"]
    code, _, err = run(capsys, "run", str(store), "--db", str(db), "--max-duration", "soon")
    assert code == 2
    assert "cannot read the duration" in err
    assert run(capsys, "run", str(store), "--db", str(db), "--max-bytes", "2 lots")[0] == 2


def test_vietnamese_summary(capsys: pytest.CaptureFixture[str], store: Path) -> None:
    db = store.parent / "audit.sqlite"
    code, _, err = run(capsys, "run", str(store), "--db", str(db), "--lang", "vi")
    assert code == 0
    assert "lượt chạy 1 hoàn tất" in err
    assert "không có lỗi" in err


def test_status_history_report_export(
    capsys: pytest.CaptureFixture[str], store: Path, tmp_path: Path
) -> None:
    db = store.parent / "audit.sqlite"
    assert run(capsys, "run", str(store), "--db", str(db))[0] == 0
    code, out, _ = run(capsys, "status", "--db", str(db), "--json")
    doc = json.loads(out)
    assert code == 0
    assert doc["counts"]["packages"] == 2
    assert doc["counts"]["ok"] == 2
    (store / "bag1" / "data" / "a.txt").write_bytes(b"jello\n")
    assert run(capsys, "run", str(store), "--db", str(db), "--cycle-days", "0")[0] == 1
    code, out, _ = run(capsys, "status", "--db", str(db))
    assert code == 1
    assert "1 failed" in out
    # history by path, by identifier and by #id
    code, out, _ = run(capsys, "history", str(store / "bag1"), "--db", str(db), "--json")
    history = json.loads(out)
    assert code == 1
    assert [c["status"] for c in history["checks"]] == ["completed", "completed"]
    assert history["checks"][0]["findings"][0]["code"] == "AUD001"
    code, out, _ = run(capsys, "history", "urn:uuid:0f1e2d3c-0000-4000-8000-000000000001", "--db", str(db))
    assert code == 0
    assert "mets1" in out
    assert run(capsys, "history", "#1", "--db", str(db))[0] == 1
    assert run(capsys, "history", "no-such-package", "--db", str(db))[0] == 2
    # report formats
    for fmt in ("json", "csv", "html"):
        target = tmp_path / f"report.{fmt}"
        code, _, err = run(capsys, "report", "--db", str(db), "--format", fmt, "-o", str(target))
        assert code == 0, err
        assert target.stat().st_size > 0
    code, out, _ = run(capsys, "report", "--db", str(db), "--format", "csv", "--table", "runs")
    assert code == 0
    assert out.splitlines()[0].lstrip("\ufeff").startswith("run_id,status")
    # PREMIS on stdout
    code, out, _ = run(capsys, "export-premis", str(store / "bag1"), "--db", str(db))
    assert code == 0
    assert "fixity check" in out


def test_reports_are_never_written_into_a_package(capsys: pytest.CaptureFixture[str], store: Path) -> None:
    db = store.parent / "audit.sqlite"
    assert run(capsys, "run", str(store), "--db", str(db))[0] == 0
    inside = store / "bag1" / "data" / "premis.xml"
    code, _, err = run(capsys, "export-premis", str(store / "bag1"), "--db", str(db), "-o", str(inside))
    assert code == 2
    assert "never writes there" in err
    assert not inside.exists()
    assert run(capsys, "report", "--db", str(db), "-o", str(store / "mets1" / "r.html"))[0] == 2


def test_missing_database_for_status_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "status", "--db", str(tmp_path / "none.sqlite"))
    assert code == 2
    assert "does not exist" in err
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite" * 100)
    assert run(capsys, "status", "--db", str(junk))[0] == 2
