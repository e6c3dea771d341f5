"""The signature hook: AUD009 when a signed package's signature no longer verifies (luutru_aip.signing)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from luutru_aip.audit import AuditOptions, InlineExecutor, run_audit
from luutru_aip.audit.signature import default_verifier
from signing.conftest import Pki

from ._kit import bag, codes

signing = pytest.importorskip("luutru_aip.signing", reason="the signing module (issue 6) is not installed")


def test_signed_package_is_verified_at_every_audit(tmp_path: Path, pki: Pki) -> None:
    root = tmp_path / "store"
    signed = bag(root, "bag1")
    bag(root, "unsigned")
    signing.sign_package(signed, signer=pki.default_signer)
    db = tmp_path / "audit.sqlite"
    verifier = default_verifier(trust=signing.TrustConfig.build(trust=[pki.root_file]))
    options = AuditOptions(cycle_days=0, workers=1)
    first = run_audit([root], db=db, options=options, executor=InlineExecutor(), signature_verifier=verifier)
    assert first.signatures == "checked"
    assert (first.exit_code, codes(first)) == (0, Counter())  # the signature file is not an extra file
    sig = signed / "signatures" / "package.p7s"
    data = bytearray(sig.read_bytes())
    data[-8] ^= 0x01
    sig.write_bytes(bytes(data))
    second = run_audit([root], db=db, options=options, executor=InlineExecutor(), signature_verifier=verifier)
    found = codes(second)
    assert second.exit_code == 1
    assert found["AUD009"] >= 1
    assert found["AUD001"] == 1  # and the signature file differs from what the first audit read
    assert set(found) == {"AUD001", "AUD009"}
    messages = [f.message("vi") for _p, f in second.findings if f.code == "AUD009"]
    assert all("Chữ ký số của gói" in m for m in messages)


def test_auto_mode_uses_the_signing_module(tmp_path: Path) -> None:
    root = tmp_path / "store"
    bag(root, "bag1")
    result = run_audit(
        [root],
        db=tmp_path / "a.sqlite",
        options=AuditOptions(cycle_days=0, workers=1),
        executor=InlineExecutor(),
    )
    assert result.signatures == "checked"
    off = run_audit(
        [root],
        db=tmp_path / "a.sqlite",
        options=AuditOptions(cycle_days=0, workers=1),
        executor=InlineExecutor(),
        signature_verifier=None,
    )
    assert off.signatures == "off"
