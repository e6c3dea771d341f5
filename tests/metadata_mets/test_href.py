"""xlink:href encoding (RFC 3986) and the streaming XML writer: round trips over odd names."""

from __future__ import annotations

import string
import unicodedata
import urllib.parse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from luutru_aip.metadata._xml import parse_xml
from luutru_aip.metadata.mets import XmlWriter, href_for, path_from_href

#: Characters allowed unescaped in our hrefs: RFC 3986 unreserved + the sub-delims we keep + "%" + "/".
URI_CHARS = set(string.ascii_letters + string.digits + "-._~!$&'()*,=@%/")

NAME_CHARS = st.characters(
    codec="utf-8",  # lone surrogates cannot be encoded (and are not file names)
    exclude_characters="/\x00\\",
)
SEGMENT = (
    st.text(NAME_CHARS, min_size=1, max_size=24)
    .map(lambda s: unicodedata.normalize("NFD", s) if len(s) % 2 else s)
    .filter(lambda s: s not in (".", ".."))
)
ODD = st.sampled_from(
    ["Hồ sơ 01", "Tờ trình (bản gốc).pdf", "a+b c;d:e?f#g%h&i=j", "~~", "％全角", "🗂️.pdf", "e\u0301", "..."]
)
SEGMENTS = st.lists(st.one_of(SEGMENT, ODD), min_size=1, max_size=5)


@settings(max_examples=400, deadline=None)
@given(base=st.lists(st.one_of(SEGMENT, ODD), max_size=2), rel=SEGMENTS)
def test_href_round_trip(base: list[str], rel: list[str]) -> None:
    base_path = "/".join(base)
    path = "/".join([*base, *rel])
    href = href_for(path, base_path)
    assert set(href) <= URI_CHARS, href
    assert ":" not in href.split("/")[0]  # never mistaken for a scheme
    assert path_from_href(href, base_path) == path  # exact, NFD stays NFD
    # A plain RFC 3986 decoder gets every name back.
    assert [urllib.parse.unquote(s) for s in href.split("/")] == rel


@settings(max_examples=200, deadline=None)
@given(path=SEGMENTS.map("/".join))
def test_href_survives_xml_attribute_round_trip(path: str) -> None:
    """Even names XML cannot carry (control characters) travel safely once percent-encoded."""
    w = XmlWriter()
    w.leaf("a", [("href", href_for(path))])
    element = parse_xml(w.getvalue()).getroot()
    assert path_from_href(element.get("href", "")) == path


XML_TEXT = st.text(
    st.characters(codec="utf-8", exclude_characters="\ufffe\uffff").filter(
        lambda c: c in "\t\n\r" or ord(c) >= 0x20
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(value=XML_TEXT, text=XML_TEXT.filter(bool))
def test_writer_escapes_attributes_and_text(value: str, text: str) -> None:
    w = XmlWriter()
    with w.element("root", [("v", value)]):
        w.leaf("t", text=text)
        w.optional("missing", None)
    root = parse_xml(w.getvalue()).getroot()
    assert root.get("v") == value
    assert root.findtext("t") == text
    assert root.find("missing") is None


def test_writer_refuses_bad_characters_and_two_roots() -> None:
    w = XmlWriter()
    with pytest.raises(ValueError, match=r"XML 1\.0"):
        w.leaf("a", text="bell\x07")
    w = XmlWriter()
    w.leaf("a")
    with pytest.raises(ValueError, match="one root"):
        w.leaf("b")
    w = XmlWriter()
    w.start("a")
    with pytest.raises(ValueError, match="unclosed"):
        w.getvalue()


def test_known_encodings() -> None:
    assert href_for("representations/rep1/data/Hồ sơ 01/a+b.pdf", "representations/rep1") == (
        "data/H%E1%BB%93%20s%C6%A1%2001/a%2Bb.pdf"
    )
    nfc = "Tờ.pdf"
    nfd = unicodedata.normalize("NFD", nfc)
    assert href_for(nfc) != href_for(nfd)  # the bytes on disk decide
    assert href_for("a:b/c") == "a%3Ab/c"
    assert href_for("50%.pdf") == "50%25.pdf"
    assert (
        path_from_href("./data/../data/x%20y.pdf", "representations/rep1")
        == "representations/rep1/data/x y.pdf"
    )
    assert path_from_href("../../schemas/mets.xsd", "representations/rep1") == "schemas/mets.xsd"
    assert path_from_href("data/Hồ sơ.pdf") == "data/Hồ sơ.pdf"  # an IRI is read too


@pytest.mark.parametrize(
    "href",
    [
        "",
        "/etc/passwd",
        "file:///etc/passwd",
        "http://example.org/x",
        "C:/x",
        "data/x.pdf?x=1",
        "data/x.pdf#frag",
        "data//x.pdf",
        "data/",
        "..",
        "../x",
        "data/%2F.pdf",
        "data/%00.pdf",
        "data/%zz.pdf",
        "data/%E1%BB.pdf",  # truncated UTF-8
        "data\\x.pdf",
        "data/.",
    ],
)
def test_bad_hrefs_are_refused(href: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        path_from_href(href)


@pytest.mark.parametrize(
    ("path", "base"),
    [
        ("", ""),
        ("/abs", ""),
        ("a/../b", ""),
        ("a//b", ""),
        ("a\\b", ""),
        ("a/b", "c"),
        ("a", "a"),
        ("x\x00", ""),
    ],
)
def test_bad_paths_are_refused(path: str, base: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        href_for(path, base)
