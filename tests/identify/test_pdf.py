"""PDF inspection: page counts, sizes, PDF/A claims and damage against PDFs with known answers."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest

from luutru_aip.pdf import PageSize, inspect_pdf

from .corpus import A4, LETTER, _pdf


def _codes(facts: object) -> list[str]:
    return [f.code for f in facts.findings]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "pages", "claim", "version"),
    [
        ("pdf_a4", 1, None, "1.3"),
        ("pdf_letter3", 3, None, "1.7"),
        ("pdfa_1b", 1, "PDF/A-1B", "1.4"),
        ("pdfa_2u", 2, "PDF/A-2U", "1.7"),
        ("mixed_sizes.pdf", 3, None, "1.3"),
    ],
)
def test_known_answers(
    corpus: dict[str, Path], name: str, pages: int, claim: str | None, version: str
) -> None:
    facts = inspect_pdf(corpus[name])
    assert facts.opened
    assert facts.page_count == pages
    assert len(facts.pages) == pages
    assert facts.pdfa_claim == claim
    assert facts.pdf_version == version
    assert not facts.repaired
    assert ("PDF005" in _codes(facts)) == (claim is None)


def test_page_sizes_and_orientation(corpus: dict[str, Path]) -> None:
    facts = inspect_pdf(corpus["mixed_sizes.pdf"])
    assert [p.is_a4 for p in facts.pages] == [True, False, True]
    assert [p.orientation for p in facts.pages] == ["portrait", "portrait", "landscape"]
    assert facts.pages[0].width_mm == 210.0
    assert facts.pages[0].height_mm == 297.0
    assert not facts.all_a4
    (pdf004,) = [f for f in facts.findings if f.code == "PDF004"]
    assert pdf004.params["count"] == 1
    assert pdf004.params["first_page"] == 2


def test_rotate_is_inherited_and_applied(tmp_path: Path) -> None:
    path = _pdf(tmp_path / "r.pdf", [A4, A4])
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.Root.Pages.Rotate = 90
        pdf.save(path)
    facts = inspect_pdf(path)
    assert [p.orientation for p in facts.pages] == ["landscape", "landscape"]
    assert facts.all_a4


def test_page_size_helpers() -> None:
    assert PageSize(width_pt=A4[0], height_pt=A4[1]).is_a4
    assert not PageSize(width_pt=LETTER[0], height_pt=LETTER[1]).is_a4
    assert PageSize(width_pt=100, height_pt=100).orientation == "square"


def test_pdf001_cannot_open(corpus: dict[str, Path]) -> None:
    for name in ("empty.pdf", "text_named.pdf"):
        facts = inspect_pdf(corpus[name], display_path=name)
        assert not facts.opened
        assert facts.page_count is None
        assert _codes(facts) == ["PDF001"]
        assert facts.findings[0].location.path == name
        assert facts.findings[0].params["reason"]


def test_pdf002_repaired(corpus: dict[str, Path]) -> None:
    for name in ("broken_xref.pdf", "truncated.pdf"):
        facts = inspect_pdf(corpus[name])
        assert facts.opened
        assert facts.repaired
        assert facts.repair_reason
        assert "PDF002" in _codes(facts)
    assert inspect_pdf(corpus["broken_xref.pdf"]).page_count == 1


def test_pdf003_pdf006_encrypted_with_user_password(corpus: dict[str, Path]) -> None:
    facts = inspect_pdf(corpus["encrypted.pdf"])
    assert facts.encrypted
    assert facts.needs_password
    assert not facts.opened
    assert _codes(facts) == ["PDF006", "PDF003"] or sorted(_codes(facts)) == ["PDF003", "PDF006"]


def test_pdf003_encrypted_owner_password_only(tmp_path: Path) -> None:
    path = tmp_path / "owner.pdf"
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=A4)
    pdf.save(path, encryption=pikepdf.Encryption(owner="secret", user=""))
    facts = inspect_pdf(path)
    assert facts.opened
    assert facts.encrypted
    assert not facts.needs_password
    assert facts.page_count == 1
    assert "PDF003" in _codes(facts)


def test_pdf004_not_a4(corpus: dict[str, Path]) -> None:
    assert "PDF004" in _codes(inspect_pdf(corpus["pdf_letter3"]))
    assert "PDF004" not in _codes(inspect_pdf(corpus["landscape.pdf"]))


def test_pdf005_no_pdfa_claim(corpus: dict[str, Path]) -> None:
    assert "PDF005" in _codes(inspect_pdf(corpus["pdf_a4"]))
    assert "PDF005" not in _codes(inspect_pdf(corpus["pdfa_1b"]))


def test_pdf007_no_pages(tmp_path: Path) -> None:
    path = tmp_path / "nopages.pdf"
    pikepdf.new().save(path)
    facts = inspect_pdf(path)
    assert facts.page_count == 0
    assert "PDF007" in _codes(facts)


def test_signature_fields(corpus: dict[str, Path]) -> None:
    facts = inspect_pdf(corpus["signed_field.pdf"])
    assert facts.signature_fields == 1
    assert facts.signed_fields == 0
    assert inspect_pdf(corpus["pdf_a4"]).signature_fields == 0


def test_missing_file_is_a_finding(tmp_path: Path) -> None:
    facts = inspect_pdf(tmp_path / "absent.pdf")
    assert _codes(facts) == ["PDF001"]


def test_to_dict_round_trip(corpus: dict[str, Path]) -> None:
    d = inspect_pdf(corpus["pdfa_2u"]).to_dict()
    assert d["page_count"] == 2
    assert d["pdfa"]["claim"] == "PDF/A-2U"
    assert d["pages"][0] == {"width_mm": 210.0, "height_mm": 297.0, "a4": True, "orientation": "portrait"}
