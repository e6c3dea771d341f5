"""The signature hook: AUD009 when a signed package's signature no longer verifies (luutru_aip.signing)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from luutru_aip.audit import AuditOptions, InlineExecutor, run_audit
from luutru_aip.audit.signature import default_verifier

from ._kit import bag, codes

signing = pytest.importorskip("luutru_aip.signing", reason="the signing module (issue 6) is not installed")


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Trung tâm Lưu trữ quốc gia (thử nghiệm)")])
    now = dt.datetime.now(dt.UTC)
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = tmp_path / "key.pem", tmp_path / "cert.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


def test_signed_package_is_verified_at_every_audit(tmp_path: Path) -> None:
    root = tmp_path / "store"
    signed = bag(root, "bag1")
    bag(root, "unsigned")
    key, cert = self_signed(tmp_path)
    signing.sign_package(signed, key=key, cert=cert)
    db = tmp_path / "audit.sqlite"
    verifier = default_verifier(trust=signing.TrustConfig.build(trust=[cert]))
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
