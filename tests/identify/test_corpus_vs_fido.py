"""On the generated corpus, our PUIDs equal fido's for every file (issue 3, "Done when")."""

from __future__ import annotations

from pathlib import Path

import pytest

from luutru_aip.identify import MatchBasis, PronomIdentifier

_BASIS = {
    "signature": MatchBasis.SIGNATURE,
    "container": MatchBasis.CONTAINER,
    "extension": MatchBasis.EXTENSION,
}


def _fido_puids(matches: list[tuple[str, str]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(puid for puid, _sig in matches))


def test_corpus_covers_the_required_kinds(corpus: dict[str, Path]) -> None:
    for kind in (
        "pdf_a4",
        "pdfa_1b",
        "encrypted.pdf",
        "truncated.pdf",
        "tiff",
        "jpeg",
        "jp2",
        "png",
        "txt",
        "xml",
        "docx",
        "xlsx",
        "odt",
        "zip",
        "wav",
        "mp3",
        "mp4",
        "doc",
        "xls",
        "empty.txt",
        "png_named.jpg",
    ):
        assert corpus[kind].exists(), kind


def test_every_corpus_file_matches_fido(
    corpus: dict[str, Path],
    identifier: PronomIdentifier,
    fido_results: dict[str, tuple[str, list[tuple[str, str]]]],
) -> None:
    differences = []
    for name, path in corpus.items():
        ours = identifier.identify_path(str(path))
        matchtype, matches = fido_results[str(path)]
        expected = _fido_puids(matches)
        expected_basis = _BASIS[matchtype] if expected else None
        if ours.puids != expected or ours.basis != expected_basis:
            differences.append((name, ours.puids, ours.basis, expected, matchtype))
    assert differences == []


@pytest.mark.parametrize(
    ("name", "puids", "basis"),
    [
        ("pdf_a4", ("fmt/17",), MatchBasis.SIGNATURE),  # PDF 1.3 (pikepdf's default header)
        ("pdfa_1b", ("fmt/18",), MatchBasis.SIGNATURE),  # PDF 1.4
        ("png", ("fmt/11",), MatchBasis.SIGNATURE),
        ("jp2", ("x-fmt/392",), MatchBasis.SIGNATURE),
        ("txt", ("x-fmt/111", "fmt/1085", "fmt/1591"), MatchBasis.EXTENSION),
        ("docx", ("fmt/412",), MatchBasis.CONTAINER),
        ("xlsx", ("fmt/214",), MatchBasis.CONTAINER),
        ("odt", ("fmt/290",), MatchBasis.SIGNATURE),
        ("doc", ("fmt/40", "x-fmt/45", "fmt/755", "fmt/754"), MatchBasis.CONTAINER),
        ("xls", ("fmt/61", "x-fmt/17"), MatchBasis.CONTAINER),
        ("wav", ("fmt/141",), MatchBasis.SIGNATURE),
        ("mp3", ("fmt/134",), MatchBasis.SIGNATURE),
        ("mp4", ("fmt/199",), MatchBasis.SIGNATURE),
        ("zip", ("x-fmt/263",), MatchBasis.SIGNATURE),
        ("empty", (), None),
    ],
)
def test_known_answers(
    corpus: dict[str, Path],
    identifier: PronomIdentifier,
    name: str,
    puids: tuple[str, ...],
    basis: MatchBasis | None,
) -> None:
    """Pinned answers for PRONOM v109, so a silent change in both fido and us is noticed."""
    ident = identifier.identify_path(str(corpus[name]))
    assert ident.puids == puids
    assert ident.basis == basis
    assert ident.signature_version == "v109"


def test_raw_signature_lists_equal_fido(
    corpus: dict[str, Path], identifier: PronomIdentifier, fido_tool: object
) -> None:
    """Below the de-duplication: the exact (PUID, signature name) list of fido's match_formats."""
    from luutru_aip.identify import read_buffers

    for path in corpus.values():
        with path.open("rb") as f:
            head, tail = read_buffers(f, path.stat().st_size)
        ours = [(identifier.index.puids[i], n) for i, n in identifier.index.match(head, tail)]
        theirs = [(f.find("puid").text, n) for f, n in fido_tool.match_formats(head, tail)]  # type: ignore[attr-defined]
        assert ours == theirs, path.name
        ext_ours = [identifier.index.puids[i] for i in identifier.index.match_extension(str(path))]
        ext_theirs = [f.find("puid").text for f, _ in fido_tool.match_extensions(str(path))]  # type: ignore[attr-defined]
        assert ext_ours == ext_theirs, path.name
