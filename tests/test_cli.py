"""CLI conventions: help, version, rules, language selection, stdout/stderr split and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from luutru_aip import __version__
from luutru_aip.cli import cli, main
from luutru_aip.findings import catalogue

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_BAG = ROOT / "examples" / "bag-ho-so-01"


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Invoke the CLI in-process through main(), as the console script does."""
    runner = CliRunner()
    with runner.isolation(env=env) as (out, err, *_):
        code = main(list(args))
        return code, out.getvalue().decode(), err.getvalue().decode()


def report_schema() -> dict[str, object]:
    return json.loads((ROOT / "schemas" / "report.schema.json").read_text(encoding="utf-8"))


def test_help_lists_every_command() -> None:
    code, out, _ = run("--help")
    assert code == 0
    for name in cli.commands:
        assert name in out
    assert "Exit codes" in out


def test_version() -> None:
    code, out, _ = run("--version")
    assert code == 0
    assert __version__ in out


def test_module_entry_point() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "luutru_aip", "--version"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0
    assert __version__ in proc.stdout


def test_unknown_command_and_option_exit_2() -> None:
    code, out, err = run("no-such-command")
    assert code == 2
    assert out == ""
    assert "no-such-command" in err
    code, _, err = run("rules", "--no-such-option")
    assert code == 2
    assert "--no-such-option" in err


def test_rules_lists_catalogue_in_both_languages() -> None:
    code, out, _ = run("rules", "--lang", "en")
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == len(catalogue())
    assert lines[0].split()[0] == next(iter(catalogue()))
    code, out_vi, _ = run("--lang", "vi", "rules")
    assert code == 0
    assert out_vi != out
    assert "Không đọc được tệp" in out_vi


def test_rules_one_code_and_json() -> None:
    code, out, _ = run("rules", "io001")
    assert code == 0
    assert "IO001" in out
    assert "Cannot read" in out
    assert "Không đọc được" in out
    code, out, _ = run("rules", "IO001", "--json")
    doc = json.loads(out)
    assert doc["code"] == "IO001"
    assert set(doc["message"]) == {"en", "vi"}
    code, out, _ = run("rules", "--json")
    assert {r["code"] for r in json.loads(out)["rules"]} == set(catalogue())


def test_rules_unknown_code_is_exit_2_on_stderr() -> None:
    code, out, err = run("rules", "ZZZ999")
    assert code == 2
    assert out == ""
    assert "ZZZ999" in err


def test_language_from_environment() -> None:
    _, out_env, _ = run("rules", "IO001", env={"LUUTRU_AIP_LANG": "vi", "LANG": "C"})
    assert out_env.splitlines()[1].strip() == "Không đọc được tệp"
    _, out_locale, _ = run("rules", "IO001", env={"LUUTRU_AIP_LANG": "", "LC_ALL": "vi_VN.UTF-8"})
    assert out_locale.splitlines()[1].strip() == "Không đọc được tệp"


def test_rules_markdown_matches_docs_page() -> None:
    _, out, _ = run("rules", "--markdown")
    assert out == (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")


def test_docs_checks_pass() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "check_docs.py")], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_validate_example_bag_text_and_json() -> None:
    code, out, err = run("validate", str(EXAMPLE_BAG), "--lang", "en")
    assert code == 0, out + err
    assert "OK" in out
    code, out, _ = run("validate", str(EXAMPLE_BAG), "--json", "--quiet")
    assert code == 0
    doc = json.loads(out)
    jsonschema.validate(doc, report_schema())
    assert doc["valid"] is True
    assert doc["counts"]["error"] == 0
    assert doc["findings"] == [], "the bundled example must be spotless"


def test_validate_broken_bag_exit_1_and_json_schema(tmp_path: Path) -> None:
    import shutil

    bag = tmp_path / "bag"
    shutil.copytree(EXAMPLE_BAG, bag)
    target = next((bag / "data").rglob("*.txt"))
    target.write_bytes(target.read_bytes() + b"x")  # payload changed after bagging
    code, out, _ = run("validate", str(bag), "--json", "--lang", "vi")
    assert code == 1
    doc = json.loads(out)
    jsonschema.validate(doc, report_schema())
    assert doc["valid"] is False
    assert doc["counts"]["error"] >= 1
    assert all(f["message"] for f in doc["findings"])
    # Several subjects give one report-set document.
    code, out, _ = run("validate", str(EXAMPLE_BAG), str(bag), "--json")
    assert code == 1
    doc = json.loads(out)
    jsonschema.validate(doc, report_schema())
    assert doc["format"] == "luutru-aip-report-set"
    assert [r["valid"] for r in doc["reports"]] == [True, False]


def test_validate_fail_on_threshold(tmp_path: Path) -> None:
    import shutil

    bag = tmp_path / "md5bag"
    shutil.copytree(EXAMPLE_BAG, bag)
    # An extra, unlisted tag file is at most a warning/info, never an error.
    (bag / "ghi-chu.txt").write_text("ghi chú", encoding="utf-8")
    code_error, _, _ = run("validate", str(bag), "--quiet")
    code_info, out, _ = run("validate", str(bag), "--quiet", "--fail-on", "info", "--json")
    assert code_error == 0
    doc = json.loads(out)
    assert code_info == (1 if doc["findings"] else 0)


def test_validate_missing_path_is_exit_2(tmp_path: Path) -> None:
    code, out, err = run("validate", str(tmp_path / "không-có"))
    assert code == 2
    assert out == ""
    assert "không-có" in err


@pytest.mark.parametrize("args", [["--help"], ["rules", "--help"], ["validate", "--help"]])
def test_subcommand_help(args: list[str]) -> None:
    code, out, _ = run(*args)
    assert code == 0
    assert "Usage" in out
