"""``luutru-aip identify``: text and JSON output, recursion, workers, exit codes; JSON matches the schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from luutru_aip.cli.identify import command

SCHEMA = json.loads(
    (Path(__file__).parents[2] / "schemas" / "identify.schema.json").read_text(encoding="utf-8")
)


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(command, list(args), catch_exceptions=False, standalone_mode=False)
    return int(result.return_value), result.stdout


def test_json_output_is_valid_and_recurses(corpus: dict[str, Path]) -> None:
    root = next(iter(corpus.values())).parent
    code, out = _run("--json", "--workers", "1", str(root))
    doc = json.loads(out)
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    assert doc["counts"]["files"] == len(corpus)
    assert doc["signature_version"] == "v109"
    by_name = {Path(f["path"]).name: f for f in doc["files"]}
    assert [m["puid"] for m in by_name["docx.docx"]["matches"]] == ["fmt/412"]
    assert by_name["docx.docx"]["basis"] == "container"
    assert code == 0  # warnings only; default --fail-on error


def test_workers_give_the_same_answers(corpus: dict[str, Path]) -> None:
    root = next(iter(corpus.values())).parent
    one = json.loads(_run("--json", "--workers", "1", str(root))[1])
    from luutru_aip.identify import default_identifier

    files = [f["path"] for f in one["files"]] * 3  # enough files for a real pool
    pooled = list(default_identifier().identify_paths(files, workers=2))
    assert [r.puids for r in pooled] == [tuple(m["puid"] for m in f["matches"]) for f in one["files"]] * 3


def test_text_output_and_fail_on(corpus: dict[str, Path]) -> None:
    code, out = _run("--fail-on", "warning", str(corpus["png_named.jpg"]))
    assert "fmt/11" in out
    assert "FMT003" in out
    assert code == 1


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    from luutru_aip.errors import UsageError

    with pytest.raises(UsageError):
        CliRunner().invoke(command, [str(tmp_path / "nope")], catch_exceptions=False)
