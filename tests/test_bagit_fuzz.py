"""Fuzzing the tag-file readers: random bytes in any tag file give findings, never exceptions."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _bagkit import make_bag
from luutru_aip.validate import _lines, validate
from luutru_aip.validate._lines import TagLineReader

TAG_FILES = [
    "bagit.txt",
    "bag-info.txt",
    "manifest-sha256.txt",
    "manifest-md5.txt",
    "tagmanifest-sha256.txt",
    "fetch.txt",
]

# Bytes that make interesting manifests: separators, line ends, %-escapes, BOMs, paths, invalid UTF-8.
PIECES = st.sampled_from(
    [
        b" ",
        b"  ",
        b"\t",
        b"\n",
        b"\r",
        b"\r\n",
        b"%0A",
        b"%25",
        b"%",
        b"*",
        b"./",
        b"../",
        b"/",
        b"~",
        b"C:\\",
        b"\\\\",
        b"data/",
        b"data/a.txt",
        b"\xef\xbb\xbf",
        b"\xff",
        b"\x00",
        b"e3b0c442",
        b":",
        b"Payload-Oxum: ",
        b"BagIt-Version: 1.0",
        b"Tag-File-Character-Encoding: ",
        b"UTF-16",
        b"0" * 64,
    ]
)
CONTENT = st.one_of(st.binary(max_size=400), st.lists(PIECES, max_size=40).map(b"".join))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(TAG_FILES), content=CONTENT, fast=st.booleans())
def test_random_tag_file_gives_a_report(
    tmp_path_factory: pytest.TempPathFactory, name: str, content: bytes, fast: bool
) -> None:
    bag = make_bag(tmp_path_factory.mktemp("fuzz") / "bag", algorithms=("sha256",))
    (bag / name).write_bytes(content)
    report = validate(bag, fast=fast)
    for item in report.findings:
        item.message("vi")
        item.message("en")
    report.to_dict("vi")


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("ab \t\r\nđ%"), max_size=300), chunk=st.integers(1, 7))
def test_line_reader_splits_like_the_rfc_says(text: str, chunk: int) -> None:
    original = _lines._CHUNK
    _lines._CHUNK = chunk  # type: ignore[misc]
    try:
        reader = TagLineReader(io.BytesIO(text.encode("utf-8")), "utf-8")
        got = [line for _, line, good, cut in reader]
    finally:
        _lines._CHUNK = original  # type: ignore[misc]
    expected = re.split("\r\n|\r|\n", text)
    if expected[-1] == "":
        expected.pop()
    assert got == expected


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=2000), encoding=st.sampled_from(["utf-8", "utf-16", "latin-1", "cp1258"]))
def test_line_reader_never_raises(data: bytes, encoding: str) -> None:
    reader = TagLineReader(io.BytesIO(data), encoding)
    for number, line, _good, _cut in reader:
        assert number >= 1
        assert "\n" not in line


def test_line_reader_cuts_binary_garbage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_lines, "MAX_LINE", 50)
    monkeypatch.setattr(_lines, "_CHUNK", 16)
    data = b"x" * 500 + b"\nnext\n"
    lines = list(TagLineReader(io.BytesIO(data), "utf-8"))
    assert [(n, cut) for n, _, _, cut in lines] == [(1, True), (2, False)]
    assert lines[1][1] == "next"


def test_manifest_that_is_a_directory(tmp_path: Path) -> None:
    bag = make_bag(tmp_path / "bag", algorithms=("sha256",))
    (bag / "manifest-sha256.txt").unlink()
    (bag / "manifest-sha256.txt").mkdir()
    codes = {f.code for f in validate(bag).findings}
    assert "BAG024" in codes
