"""``luutru-aip validate``: exit codes, JSON, languages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from _bagkit import make_bag

cli_validate = pytest.importorskip("luutru_aip.cli.validate", reason="the CLI package is not importable yet")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli_validate.command, list(args), standalone_mode=False, catch_exceptions=False
    )
    return int(result.return_value or 0), result.output


def test_good_bag_exits_0(tmp_path: Path) -> None:
    bag = make_bag(tmp_path / "bag")
    code, _ = run(str(bag), "--workers", "1")
    assert code == 0


def test_bad_bag_exits_1_with_json(tmp_path: Path) -> None:
    bag = make_bag(tmp_path / "bag")
    (bag / "data" / "a.txt").write_bytes(b"jello\n")
    code, out = run("--json", "--lang", "en", str(bag))
    assert code == 1
    doc = json.loads(out)
    assert doc["valid"] is False
    assert {f["code"] for f in doc["findings"]} == {"BAG022"}


def test_fail_on_warning(tmp_path: Path) -> None:
    bag = make_bag(tmp_path / "bag", version="0.97", encoding="ISO-8859-1")
    assert run(str(bag))[0] == 0
    assert run("--fail-on", "warning", str(bag))[0] == 1


def test_fast_and_several_paths(tmp_path: Path) -> None:
    one = make_bag(tmp_path / "one")
    two = make_bag(tmp_path / "two")
    (two / "data" / "a.txt").write_bytes(b"jello\n")
    code, out = run("--fast", "--json", str(one), str(two))
    assert code == 0
    doc = json.loads(out)
    assert len(doc["reports"]) == 2
