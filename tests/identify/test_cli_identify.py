"""``luutru-aip identify``: text and JSON output, recursion, workers, exit codes; JSON matches the schema."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from luutru_aip.cli.identify import FILES_PER_WORKER, PDFS_PER_WORKER, command, is_pdf
from luutru_aip.identify import FormatMatch, Identification, MatchBasis, identification_document

from .corpus import A4, LETTER, _pdf, _text

SCHEMA = json.loads(
    (Path(__file__).parents[2] / "schemas" / "identify.schema.json").read_text(encoding="utf-8")
)


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(command, list(args), catch_exceptions=False, standalone_mode=False)
    return int(result.return_value), result.stdout


def test_json_output_is_valid_and_recurses(corpus: dict[str, Path]) -> None:
    root = next(iter(corpus.values())).parent
    code, out = _run("--json", "--workers", "1", "--no-pdf", str(root))  # identification findings only
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


# --- PDF inspection in `identify` -------------------------------------------------------------------


def _by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {Path(f["path"]).name: f for f in doc["files"]}


def _validated(out: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(out)
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    return doc


def test_page_totals_for_generated_multi_page_pdfs(tmp_path: Path) -> None:
    _pdf(tmp_path / "ho-so-01.pdf", [A4] * 5, seed=1)
    _pdf(tmp_path / "ho-so-02.pdf", [A4] * 7, seed=2, pdfa=("2", "B"), version="1.7")
    (tmp_path / "sub").mkdir()
    _pdf(tmp_path / "sub" / "ho-so-03.pdf", [A4, LETTER, (A4[1], A4[0])], seed=3)
    _text(tmp_path / "ghi-chu.txt", 4)
    code, out = _run("--json", "--workers", "1", str(tmp_path))
    doc = _validated(out)
    assert doc["format_version"] == "1.1"
    files = _by_name(doc)
    assert "pdf" not in files["ghi-chu.txt"]
    assert [files[n]["pdf"]["page_count"] for n in ("ho-so-01.pdf", "ho-so-02.pdf", "ho-so-03.pdf")] == [
        5,
        7,
        3,
    ]
    assert files["ho-so-02.pdf"]["pdf"]["pdfa"] == {"part": "2", "conformance": "B", "claim": "PDF/A-2B"}
    assert files["ho-so-02.pdf"]["pdf"]["pdf_version"] == "1.7"
    sizes = files["ho-so-03.pdf"]["pdf"]["page_sizes"]
    assert sizes == {"a4": 2, "not_a4": 1, "portrait": 2, "landscape": 1, "square": 0}
    assert [f["code"] for f in files["ho-so-03.pdf"]["pdf"]["findings"]] == ["PDF004", "PDF005"]
    totals = doc["pdf_totals"]
    assert totals["files"] == 3
    assert totals["pages"] == 15
    assert (totals["pages_a4"], totals["pages_not_a4"]) == (14, 1)
    assert (totals["pdfa_claimed"], totals["encrypted"], totals["damaged"]) == (1, 0, 0)
    assert code == 0  # PDF004/PDF005 are info

    code, text = _run("--lang", "en", str(tmp_path))
    lines = text.splitlines()
    assert len(lines) == 5  # one line per file, then the totals
    (line02,) = [ln for ln in lines if "ho-so-02.pdf" in ln]
    assert "7 pages, PDF 1.7, PDF/A-2b" in line02
    assert lines[-1] == "Total: 4 files, 4 identified; 3 PDF files, 15 pages; 0 encrypted, 0 damaged"
    vi = _run("--lang", "vi", str(tmp_path))[1].splitlines()
    assert "7 trang" in next(ln for ln in vi if "ho-so-02.pdf" in ln)
    assert vi[-1].startswith("Tổng cộng: 4 tệp")
    assert "15 trang" in vi[-1]


def test_encrypted_and_truncated_pdfs_give_findings(corpus: dict[str, Path]) -> None:
    enc, trunc = str(corpus["encrypted.pdf"]), str(corpus["truncated.pdf"])
    code, out = _run("--json", "--lang", "en", enc, trunc)
    doc = _validated(out)
    files = _by_name(doc)
    enc_pdf = files["encrypted.pdf"]["pdf"]
    assert not enc_pdf["opened"]
    assert enc_pdf["needs_password"]
    assert enc_pdf["encrypted"]
    assert enc_pdf["page_count"] is None
    assert sorted(f["code"] for f in enc_pdf["findings"]) == ["PDF003", "PDF006"]
    trunc_pdf = files["truncated.pdf"]["pdf"]
    assert files["truncated.pdf"]["basis"] == "extension"  # the %%EOF trailer is gone
    assert trunc_pdf["opened"]
    assert trunc_pdf["repaired"]
    assert trunc_pdf["repair_reason"]
    assert "PDF002" in [f["code"] for f in trunc_pdf["findings"]]
    assert doc["pdf_totals"]["encrypted"] == 1
    assert doc["pdf_totals"]["damaged"] == 1
    assert doc["pdf_totals"]["page_count_unknown"] == 1
    assert code == 1  # PDF006 is an error

    code, text = _run("--lang", "en", enc, trunc)
    assert code == 1
    assert "PDF006" in text
    assert "needs a password" in text
    assert "PDF002" in text
    assert "damaged (repaired)" in text
    assert "1 encrypted, 1 damaged" in text.splitlines()[-1]
    # the truncated file alone: only warnings and info, so --fail-on decides
    assert _run(trunc)[0] == 0
    assert _run("--fail-on", "warning", trunc)[0] == 1


def test_unopenable_pdf_and_pdf_with_wrong_extension(corpus: dict[str, Path]) -> None:
    doc = _validated(
        _run(
            "--json",
            str(corpus["text_named.pdf"]),
            str(corpus["pdf_named.docx"]),
            str(corpus["png_named.jpg"]),
        )[1]
    )
    files = _by_name(doc)
    assert [f["code"] for f in files["text_named.pdf"]["pdf"]["findings"]] == ["PDF001"]
    assert files["pdf_named.docx"]["pdf"]["page_count"] == 1
    assert "pdf" not in files["png_named.jpg"]
    assert doc["pdf_totals"]["damaged"] == 1


def test_no_pdf_omits_the_facts(corpus: dict[str, Path]) -> None:
    paths = [str(corpus[n]) for n in ("pdf_letter3", "encrypted.pdf", "png")]
    code, out = _run("--json", "--no-pdf", *paths)
    doc = _validated(out)
    assert "pdf_totals" not in doc
    assert all("pdf" not in f for f in doc["files"])
    assert code == 0  # PDF006 is not looked for
    code, text = _run("--no-pdf", "--lang", "en", *paths)
    assert "pages" not in text.split("Total:")[0]
    assert "PDF0" not in text
    assert text.splitlines()[-1] == "Total: 3 files, 3 identified; PDF inspection skipped (--no-pdf)"


def test_workers_2_gives_the_same_json_as_workers_1(corpus: dict[str, Path], tmp_path: Path) -> None:
    root = next(iter(corpus.values())).parent
    for copy in ("a", "b", "c"):
        shutil.copytree(root, tmp_path / copy)
    one = _run("--json", "--workers", "1", str(tmp_path))[1]
    two = _run("--json", "--workers", "2", str(tmp_path))[1]
    doc = _validated(two)
    # enough files and PDFs that both the identification pool and the inspection pool really run
    assert len(doc["files"]) >= 2 * FILES_PER_WORKER
    assert doc["pdf_totals"]["files"] >= 2 * PDFS_PER_WORKER
    assert two == one
    assert _run("--workers", "2", str(tmp_path))[1] == _run("--workers", "1", str(tmp_path))[1]


def _ident(*matches: tuple[str, str | None], basis: MatchBasis = MatchBasis.SIGNATURE) -> Identification:
    return Identification(
        path="x",
        size=1,
        matches=tuple(FormatMatch(puid=p, name=p, mime=m, basis=basis) for p, m in matches),
        basis=basis,
    )


def test_is_pdf_by_mime_or_puid_family() -> None:
    assert is_pdf(_ident(("fmt/276", "application/pdf")))
    assert is_pdf(_ident(("fmt/9999", "Application/PDF; version=2.0")))  # a newer PUID, by MIME
    assert is_pdf(_ident(("fmt/1451", None)))  # PDF Portfolio: no MIME in PRONOM
    assert is_pdf(
        _ident(("x-fmt/111", "text/plain"), ("fmt/95", "application/pdf"), basis=MatchBasis.EXTENSION)
    )
    assert not is_pdf(_ident(("fmt/558", "application/postscript")))
    assert not is_pdf(_ident(("fmt/11", "image/png")))
    assert not is_pdf(_ident())


def test_schema_still_accepts_version_1_0_documents(corpus: dict[str, Path]) -> None:
    from luutru_aip.identify import identify_path

    doc = identification_document([identify_path(str(corpus["pdf_a4"]))])
    doc["format_version"] = "1.0"
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    doc["files"][0]["pdf"] = {"page_count": 1}  # an incomplete pdf object is rejected
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(SCHEMA).validate(doc)
