"""The hardened XML parser refuses real attack payloads and malformed input, never crashing."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from luutru_aip.errors import InputError, XMLSecurityError
from luutru_aip.findings import Finding
from luutru_aip.metadata._xml import (
    XMLLimits,
    iterparse_xml,
    make_parser,
    parse_xml,
    parse_xml_findings,
)

SECRET = "TOP-SECRET-luutru-7f3a9"


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET + "\n", encoding="utf-8")
    return path


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A local TCP listener: any network attempt by the parser would show up as a pending connection."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(5)
    sock.setblocking(False)
    yield sock
    sock.close()


def assert_no_connection(sock: socket.socket) -> None:
    with pytest.raises(BlockingIOError):
        sock.accept()


def codes(findings: Sequence[Finding]) -> list[str]:
    return [f.code for f in findings]


def check_refused(doc: bytes, tmp_path: Path, code: str = "XML002") -> str:
    """Run every entry point on ``doc``; all must refuse it. Returns the rendered finding message."""
    path = tmp_path / "METS.xml"
    path.write_bytes(doc)
    with pytest.raises(XMLSecurityError) as info:
        parse_xml(doc)
    with pytest.raises(XMLSecurityError):
        parse_xml(path)
    with pytest.raises(XMLSecurityError):
        list(iterparse_xml(path))
    tree, findings = parse_xml_findings(path, package_path="METS.xml")
    assert tree is None
    assert codes(findings) == [code]
    message = findings[0].message("en") + findings[0].message("vi") + str(info.value)
    assert SECRET not in message
    return message


# --------------------------------------------------------------------------- entity attacks


def test_classic_xxe_does_not_leak_file(tmp_path: Path, secret_file: Path) -> None:
    doc = (
        f'<?xml version="1.0"?>\n<!DOCTYPE mets [<!ENTITY xxe SYSTEM "{secret_file.as_uri()}">]>\n'
        "<mets>&xxe;</mets>"
    ).encode()
    check_refused(doc, tmp_path)
    # Even the raw lxml parser from the factory never expands the entity.
    root = etree.fromstring(doc, make_parser())
    assert SECRET not in etree.tostring(root, encoding="unicode")


def test_etc_passwd_xxe(tmp_path: Path) -> None:
    doc = b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
    message = check_refused(doc, tmp_path)
    assert "root:" not in message


def test_billion_laughs_does_not_expand(tmp_path: Path) -> None:
    decls = ['<!ENTITY lol0 "lollollollollollollollollollol">']
    decls += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    doc = ("<!DOCTYPE lolz [" + "".join(decls) + "]><lolz>&lol9;</lolz>").encode()
    check_refused(doc, tmp_path)


def test_quadratic_blowup_is_refused(tmp_path: Path) -> None:
    doc = ('<!DOCTYPE r [<!ENTITY a "' + "x" * 50_000 + '">]><r>' + "&a;" * 2_000 + "</r>").encode()
    check_refused(doc, tmp_path)


def test_parameter_entity_not_loaded(tmp_path: Path, secret_file: Path, listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    for target in (secret_file.as_uri(), f"http://127.0.0.1:{port}/evil.dtd"):
        doc = f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{target}"> %p;]><r/>'.encode()
        check_refused(doc, tmp_path)
    assert_no_connection(listener)


def test_external_dtd_not_loaded(tmp_path: Path, secret_file: Path, listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f'<!ENTITY leak "{SECRET}">', encoding="utf-8")
    for ref in (
        f'SYSTEM "{dtd.as_uri()}"',
        f'SYSTEM "{secret_file}"',
        f'SYSTEM "http://127.0.0.1:{port}/x.dtd"',
        f'PUBLIC "-//EVIL//DTD x//EN" "http://127.0.0.1:{port}/x.dtd"',
    ):
        check_refused(f"<!DOCTYPE x {ref}><x>&leak;</x>".encode(), tmp_path)
        message = check_refused(f"<!DOCTYPE x {ref}><x/>".encode(), tmp_path)
        assert "DTD" in message
    assert_no_connection(listener)


def test_xinclude_is_not_processed(tmp_path: Path, secret_file: Path) -> None:
    doc = (
        '<r xmlns:xi="http://www.w3.org/2001/XInclude">'
        f'<xi:include href="{secret_file.as_uri()}" parse="text"/></r>'
    ).encode()
    tree = parse_xml(doc)
    text = etree.tostring(tree, encoding="unicode")
    assert SECRET not in text
    assert tree.getroot()[0].tag == "{http://www.w3.org/2001/XInclude}include"


# --------------------------------------------------------------------------- DOCTYPE policy


def test_bare_doctype_is_tolerated() -> None:
    tree = parse_xml(b'<?xml version="1.0"?>\n<!-- <!DOCTYPE x [ ]> -->\n<!DOCTYPE  mets >\n<mets/>')
    assert tree.getroot().tag == "mets"


@pytest.mark.parametrize(
    "doctype",
    [
        "<!DOCTYPE mets []>",
        "<!DOCTYPE mets [<!-- only a comment -->]>",
        '<!DOCTYPE mets [<!ATTLIST mets a CDATA "injected">]>',
        "<!DOCTYPE mets [<!ELEMENT mets ANY>]>",
        '<!DOCTYPE mets [<!NOTATION n SYSTEM "x">]>',
    ],
)
def test_any_internal_subset_is_refused(tmp_path: Path, doctype: str) -> None:
    check_refused(f"<!-- <!DOCTYPE mets> -->{doctype}<mets/>".encode(), tmp_path)


def test_utf16_documents_are_checked_too(tmp_path: Path) -> None:
    bare = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r><r>ư</r>'.encode("utf-16")
    assert parse_xml(bare).getroot().text == "ư"
    subset = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ATTLIST r a CDATA "b">]><r/>'
    check_refused(subset.encode("utf-16"), tmp_path)


# --------------------------------------------------------------------------- limits


def test_deep_nesting_over_libxml2_limit(tmp_path: Path) -> None:
    check_refused(b"<a>" * 5000 + b"</a>" * 5000, tmp_path, "XML003")


def test_depth_limit_is_configurable(tmp_path: Path) -> None:
    doc = b"<a>" * 20 + b"</a>" * 20
    assert parse_xml(doc, limits=XMLLimits(max_depth=20)) is not None
    limits = XMLLimits(max_depth=19)
    with pytest.raises(XMLSecurityError, match="deeper than the limit of 19"):
        parse_xml(doc, limits=limits)
    path = tmp_path / "deep.xml"
    path.write_bytes(doc)
    with pytest.raises(XMLSecurityError):
        list(iterparse_xml(path, limits=limits))
    _, findings = parse_xml_findings(path, limits=limits)
    assert codes(findings) == ["XML003"]


def test_oversize_is_refused_before_parsing(tmp_path: Path) -> None:
    doc = b"<r>" + b"x" * 5000 + b"</r>"
    path = tmp_path / "big.xml"
    path.write_bytes(doc)
    limits = XMLLimits(max_bytes=1000)
    with pytest.raises(XMLSecurityError, match="over the limit of 1000 bytes"):
        parse_xml(doc, limits=limits)
    with pytest.raises(XMLSecurityError, match=r"big\.xml"):
        parse_xml(path, limits=limits)
    with pytest.raises(XMLSecurityError):
        list(iterparse_xml(path, limits=limits))
    tree, findings = parse_xml_findings(path, package_path="data/big.xml", limits=limits)
    assert tree is None
    assert codes(findings) == ["XML003"]
    assert findings[0].location.path == "data/big.xml"
    assert parse_xml(path, limits=XMLLimits(max_bytes=len(doc))) is not None


def test_element_and_attribute_count_limits() -> None:
    doc = b"<r>" + b"<e/>" * 10 + b'<f a="1" b="2" c="3"/></r>'
    assert parse_xml(doc, limits=XMLLimits(max_elements=12, max_attributes=3)) is not None
    with pytest.raises(XMLSecurityError, match="more than 11 elements"):
        parse_xml(doc, limits=XMLLimits(max_elements=11))
    with pytest.raises(XMLSecurityError, match="more than 2 attributes"):
        parse_xml(doc, limits=XMLLimits(max_attributes=2))


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_depth"):
        XMLLimits(max_depth=0)
    with pytest.raises(ValueError, match="max_bytes"):
        XMLLimits(max_bytes=-1)


# --------------------------------------------------------------------------- malformed input


def test_not_well_formed_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "METS.xml"
    path.write_bytes(b"<mets>\n  <a>\n</mets>\n")
    with pytest.raises(InputError) as info:
        parse_xml(path)
    assert not isinstance(info.value, XMLSecurityError)
    assert "METS.xml, line 3" in str(info.value)
    tree, findings = parse_xml_findings(path, package_path="METS.xml")
    assert tree is None
    assert codes(findings) == ["XML001"]
    assert findings[0].location.line == 3
    assert "METS.xml" in findings[0].message("vi")


def test_binary_garbage_named_mets(tmp_path: Path) -> None:
    path = tmp_path / "METS.xml"
    path.write_bytes(bytes(range(256)) * 64 + b"\x89PNG\r\n\x1a\n")
    tree, findings = parse_xml_findings(path, package_path="METS.xml")
    assert tree is None
    assert codes(findings)[0] in ("XML001", "XML004")
    with pytest.raises(InputError):
        parse_xml(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.xml"
    path.write_bytes(b"")
    tree, findings = parse_xml_findings(path)
    assert tree is None
    assert codes(findings) == ["XML001"]
    with pytest.raises(InputError, match="empty"):
        parse_xml(path)


def test_invalid_utf8_is_an_encoding_finding() -> None:
    tree, findings = parse_xml_findings(b'<?xml version="1.0" encoding="UTF-8"?><r>\xff\xfe</r>')
    assert tree is None
    assert codes(findings) == ["XML004"]
    tree, findings = parse_xml_findings(b'<?xml version="1.0" encoding="no-such-charset"?><r/>')
    assert codes(findings) == ["XML004"]


def test_non_utf8_encoding_is_a_warning() -> None:
    doc = '<?xml version="1.0" encoding="windows-1258"?><r>Văn thư</r>'.encode("cp1258")
    tree, findings = parse_xml_findings(doc, package_path="x.xml")
    assert tree is not None
    assert tree.getroot().text == "Văn thư"
    assert codes(findings) == ["XML005"]
    assert "windows-1258" in findings[0].message().lower()
    assert parse_xml_findings(b"<r>ok</r>")[1] == []


def test_unreadable_file_is_io001(tmp_path: Path) -> None:
    tree, findings = parse_xml_findings(tmp_path / "missing.xml", package_path="missing.xml")
    assert tree is None
    assert codes(findings) == ["IO001"]
    with pytest.raises(InputError, match=r"missing\.xml"):
        parse_xml(tmp_path / "missing.xml")
    with pytest.raises(InputError):
        list(iterparse_xml(tmp_path / "missing.xml"))


# --------------------------------------------------------------------------- streaming


def test_iterparse_streams_with_tag_filter(tmp_path: Path) -> None:
    path = tmp_path / "METS.xml"
    ns = "http://www.loc.gov/METS/"
    body = "".join(f'<file ID="f{i}"/>' for i in range(50))
    path.write_text(f'<mets xmlns="{ns}"><fileSec>{body}</fileSec></mets>', encoding="utf-8")
    ids = []
    for event, element in iterparse_xml(path, tag=f"{{{ns}}}file"):
        assert event == "end"
        ids.append(element.get("ID"))
        element.clear()
    assert ids == [f"f{i}" for i in range(50)]
    starts = [e for e, _ in iterparse_xml(path, events=("start",))]
    assert len(starts) == 52


def test_iterparse_reports_syntax_errors(tmp_path: Path) -> None:
    path = tmp_path / "bad.xml"
    path.write_bytes(b"<a>\n<b>\n</a>")
    with pytest.raises(InputError, match="line 3"):
        list(iterparse_xml(path))


# --------------------------------------------------------------------------- fuzz


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_never_crash(data: bytes) -> None:
    tree, findings = parse_xml_findings(data)
    assert (tree is None) == bool([f for f in findings if f.code != "XML005"])
    for f in findings:
        assert f.code in {"XML001", "XML002", "XML003", "XML004", "XML005"}
        f.message("vi")


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="<>!&;[]%\"' ENTITYDOCAMSLx=/?-\n", max_size=200))
def test_markup_soup_never_crashes(text: str) -> None:
    tree, findings = parse_xml_findings(("<!DOCTYPE r [" + text).encode())
    assert tree is None or not findings
    # Any document starting "<!DOCTYPE r [" is malformed or has an internal subset: always refused.
    assert tree is None
    assert findings
    with contextlib.suppress(InputError):
        parse_xml(text.encode())
