"""Hostile signature files never crash the verifier: every input gives a report (hypothesis)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luutru_aip.signing import SIGNATURE_PATH, sign_package, verify_package
from luutru_aip.signing._asn1 import Asn1Error, parse_signed_data, parse_timestamp_response, parse_tst_info

from .conftest import NOW, Pki


@given(st.binary(max_size=600))
@settings(max_examples=300, deadline=None)
def test_parsers_raise_only_their_own_error(data: bytes) -> None:
    for parse in (parse_signed_data, parse_timestamp_response, parse_tst_info):
        with contextlib.suppress(Asn1Error):
            parse(data)


_ORIGINALS: dict[Path, bytes] = {}


@given(data=st.data())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_spliced_and_truncated_signatures_give_reports(bag: Path, pki: Pki, data: st.DataObject) -> None:
    sig = bag / SIGNATURE_PATH
    if bag not in _ORIGINALS:  # the fixture's bag lives for the whole test, across examples
        sign_package(bag, signer=pki.default_signer, clock=lambda: NOW)
        _ORIGINALS[bag] = sig.read_bytes()
    original = _ORIGINALS[bag]
    start = data.draw(st.integers(0, len(original)))
    end = data.draw(st.integers(start, len(original)))
    insert = data.draw(st.binary(max_size=40))
    changed = original[:start] + insert + original[end:]
    sig.write_bytes(changed)
    report = verify_package(bag, trust=[pki.root_file], clock=lambda: NOW)
    assert report.valid == (changed == original)
