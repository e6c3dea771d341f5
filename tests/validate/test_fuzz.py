"""Never crash: fuzzed METS and PREMIS documents always give a report (hypothesis).

Inputs that once crashed the validator are kept below as regression fixtures.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luutru_aip.validate import validate

from ._csipkit import Spec, build

_SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def package() -> Iterator[tuple[Path, bytes, bytes]]:
    with tempfile.TemporaryDirectory() as tmp:
        root = build(Path(tmp) / "pkg-001", Spec())
        yield root, (root / "METS.xml").read_bytes(), (root / "metadata/preservation/premis.xml").read_bytes()


def _check(root: Path) -> None:
    for fast in (True, False):
        report = validate(root, profile="csip", schemas=False, fast=fast)
        json.dumps(report.to_dict("vi"), ensure_ascii=False)


@st.composite
def mutated(draw: st.DrawFn, text: bytes) -> bytes:
    data = bytearray(text)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        kind = draw(st.sampled_from(["cut", "insert", "delete", "flip", "swap"]))
        if not data:
            break
        pos = draw(st.integers(min_value=0, max_value=len(data) - 1))
        if kind == "cut":
            del data[pos:]
        elif kind == "insert":
            chunk = draw(
                st.sampled_from(
                    [
                        b"<",
                        b">",
                        b'"',
                        b"&",
                        b"<mets:div>",
                        b"\xff\xfe",
                        b"\x00",
                        b"]]>",
                        b'ID="div-1"',
                        b" FILEID=",
                        b"<!--",
                        b"\xc3",
                    ]
                )
            )
            data[pos:pos] = chunk
        elif kind == "delete":
            end = draw(st.integers(min_value=pos, max_value=min(len(data), pos + 40)))
            del data[pos:end]
        elif kind == "flip":
            data[pos] = draw(st.integers(min_value=0, max_value=255))
        else:
            other = draw(st.integers(min_value=0, max_value=len(data) - 1))
            data[pos], data[other] = data[other], data[pos]
    return bytes(data)


@_SETTINGS
@given(data=st.data())
def test_fuzzed_root_mets(package: tuple[Path, bytes, bytes], data: st.DataObject) -> None:
    root, mets, _premis = package
    (root / "METS.xml").write_bytes(data.draw(mutated(mets)))
    try:
        _check(root)
    finally:
        (root / "METS.xml").write_bytes(mets)


@_SETTINGS
@given(data=st.data())
def test_fuzzed_premis(package: tuple[Path, bytes, bytes], data: st.DataObject) -> None:
    root, _mets, premis = package
    target = root / "metadata/preservation/premis.xml"
    target.write_bytes(data.draw(mutated(premis)))
    try:
        _check(root)
    finally:
        target.write_bytes(premis)


@settings(max_examples=60, deadline=None)
@given(blob=st.binary(max_size=400))
def test_random_bytes_as_mets(package: tuple[Path, bytes, bytes], blob: bytes) -> None:
    root, mets, _premis = package
    (root / "METS.xml").write_bytes(blob)
    try:
        _check(root)
    finally:
        (root / "METS.xml").write_bytes(mets)


# Regression fixtures: inputs that crashed earlier versions (kept as text, not blobs).
REGRESSIONS = [
    # a structMap division whose div children stop in the middle of the document
    b'<mets:mets xmlns:mets="http://www.loc.gov/METS/" OBJID="x"><mets:structMap LABEL="CSIP"><mets:div>',
    # an element named like a METS element in another namespace, nested in mdWrap
    b'<mets:mets xmlns:mets="http://www.loc.gov/METS/"><mets:dmdSec ID="a"><mets:mdWrap><mets:xmlData>'
    b'<mets:file xmlns:mets="urn:x"/></mets:xmlData></mets:mdWrap></mets:dmdSec></mets:mets>',
    # fptr outside any div, mptr without attributes, duplicate IDs on every element
    b'<mets:mets xmlns:mets="http://www.loc.gov/METS/"><mets:structMap ID="a"><mets:fptr/><mets:div ID="a">'
    b"<mets:mptr/></mets:div></mets:structMap></mets:mets>",
]


@pytest.mark.parametrize("blob", REGRESSIONS)
def test_regressions(package: tuple[Path, bytes, bytes], blob: bytes) -> None:
    root, mets, _premis = package
    (root / "METS.xml").write_bytes(blob)
    try:
        _check(root)
    finally:
        (root / "METS.xml").write_bytes(mets)
