"""One fixture test per FMT code (identification warnings), plus catalogue integrity for our files."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from luutru_aip.findings import catalogue
from luutru_aip.identify import PronomIdentifier


def test_fmt001_no_match(corpus: dict[str, Path], identifier: PronomIdentifier) -> None:
    ident = identifier.identify_path(str(corpus["noext_text"]))
    assert ident.puids == ()
    assert "FMT001" in ident.warnings


def test_fmt002_several_matches(corpus: dict[str, Path], identifier: PronomIdentifier) -> None:
    ident = identifier.identify_path(str(corpus["txt"]))
    assert "FMT002" in ident.warnings
    (f,) = [f for f in ident.findings() if f.code == "FMT002"]
    assert f.params["count"] == 3
    assert f.params["puids"] == "x-fmt/111 fmt/1085 fmt/1591"


def test_fmt003_extension_contradicts_signature(
    corpus: dict[str, Path], identifier: PronomIdentifier
) -> None:
    ident = identifier.identify_path(str(corpus["png_named.jpg"]))
    assert ident.puids == ("fmt/11",)
    assert "FMT003" in ident.warnings
    (f,) = [f for f in ident.findings() if f.code == "FMT003"]
    assert f.params["extension"] == "jpg"
    assert "png" in str(f.params["expected"])
    assert "FMT003" not in identifier.identify_path(str(corpus["png"])).warnings
    assert "FMT003" not in identifier.identify_path(str(corpus["UPPER.PDF"])).warnings


def test_fmt004_unreadable(tmp_path: Path, identifier: PronomIdentifier) -> None:
    ident = identifier.identify_path(str(tmp_path / "missing.pdf"))
    assert ident.warnings == ("FMT004",)
    assert ident.puids == ()
    assert ident.findings()[0].params["reason"]


def test_fmt005_empty(corpus: dict[str, Path], identifier: PronomIdentifier) -> None:
    ident = identifier.identify_path(str(corpus["empty.txt"]))
    assert "FMT005" in ident.warnings
    assert ident.size == 0


def test_fmt006_extension_only(corpus: dict[str, Path], identifier: PronomIdentifier) -> None:
    ident = identifier.identify_path(str(corpus["csv"]))
    assert ident.puids == ("x-fmt/18",)
    assert "FMT006" in ident.warnings


def test_fmt007_container_unreadable(tmp_path: Path, identifier: PronomIdentifier) -> None:
    """A DOCX whose [Content_Types].xml has a corrupt deflate stream: fido would crash (zlib.error)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types>" + "x" * 5000 + "</Types>")
    data = bytearray(buf.getvalue())
    start = 30 + len("[Content_Types].xml")
    for i in range(start + 5, start + 40):
        data[i] = 0xFF
    path = tmp_path / "broken.docx"
    path.write_bytes(bytes(data))
    ident = identifier.identify_path(str(path))
    assert "FMT007" in ident.warnings
    assert ident.puids == ("x-fmt/263",)  # the signature match stands


def test_fmt008_container_without_opener(corpus: dict[str, Path], identifier: PronomIdentifier) -> None:
    data = corpus["docx"].read_bytes()
    big = len(data) + 200_000
    # pretend the file is larger than its head: without an opener the container cannot be read
    ident = identifier.identify_buffers("x.docx", big, data, data)
    assert "FMT008" in ident.warnings
    ident2 = identifier.identify_buffers(
        "x.docx", len(data), data, data
    )  # whole file in head: no opener needed
    assert ident2.puids == ("fmt/412",)
    assert "FMT008" not in ident2.warnings


def test_opener_is_used_for_containers(corpus: dict[str, Path], identifier: PronomIdentifier) -> None:
    data = corpus["xlsx"].read_bytes()
    calls = []

    def opener() -> io.BytesIO:
        calls.append(1)
        return io.BytesIO(data)

    ident = identifier.identify_buffers("a.xlsx", len(data), data, data, opener=opener)
    assert ident.puids == ("fmt/214",)
    assert calls == [1]


@pytest.mark.parametrize("prefix", ["FMT", "PDF"])
def test_our_rules_are_complete(prefix: str) -> None:
    rules = [r for code, r in catalogue().items() if code.startswith(prefix)]
    assert len(rules) >= 7
    for rule in rules:
        assert rule.title_vi
        assert rule.message_vi
        assert rule.title_en
        assert rule.message_en
        assert "path" in rule.params
