"""Trust: certificate paths, key usage, validity in time, revocation with CRLs, RFC 3161 timestamps.

Every timestamp here comes from a real TSA (``openssl ts -reply`` on loopback); the clock is
injected to verify "later", after a certificate has expired.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from luutru_aip.signing import (
    SIGNATURE_PATH,
    Signer,
    TimestampError,
    sign_package,
    verify_package,
    vietnam_time,
)
from luutru_aip.signing._asn1 import OID

from ._craft import craft, openssl_sign, place, token_of, tst_gen_time
from .conftest import NOW, Pki, Tsa, codes, error_codes

CLOCK = lambda: NOW  # noqa: E731
LATER = NOW + dt.timedelta(days=2)  # after the short-lived signer (and the TSA certificate) expired


def _verify(package: Path, pki: Pki, **kw: object) -> object:
    kw.setdefault("trust", [pki.root_file])
    kw.setdefault("clock", CLOCK)
    return verify_package(package, **kw)  # type: ignore[arg-type]


def test_unsigned_package_is_reported(bag: Path, pki: Pki) -> None:
    report = verify_package(bag, trust=[pki.root_file], clock=CLOCK)
    assert error_codes(report) == {"SIG001"}
    assert report.findings[0].location.path == SIGNATURE_PATH


def test_untrusted_self_signed_certificate(bag: Path, pki: Pki) -> None:
    sign_package(bag, signer=Signer(key=pki.untrusted.key, certificate=pki.untrusted.cert), clock=CLOCK)
    report = _verify(bag, pki)
    assert error_codes(report) == {"SIG008"}
    assert "impostor" in str(report.findings[0].params["subject"])
    # trusting it explicitly makes it a (self-signed) anchor
    assert codes(_verify(bag, pki, trust=[pki.untrusted.cert_file])) == {"SIG020"}


def test_expired_and_untrusted_reports_both(bag: Path, pki: Pki) -> None:
    sign_package(bag, signer=Signer(key=pki.untrusted.key, certificate=pki.untrusted.cert), clock=CLOCK)
    far = NOW + dt.timedelta(days=400)
    assert error_codes(_verify(bag, pki, clock=lambda: far)) == {"SIG008", "SIG009"}
    # a trusted but expired signer: the time is what failed, not the path
    sign_package(bag, signer=pki.default_signer, clock=CLOCK, overwrite=True)
    assert error_codes(_verify(bag, pki, clock=lambda: NOW + dt.timedelta(days=366))) == {"SIG009"}


def test_wrong_key_usage(bag: Path, pki: Pki) -> None:
    openssl_sign(bag, pki.wrong_ku, certfile=pki.chain_file)
    report = _verify(bag, pki)
    assert error_codes(report) == {"SIG010"}
    assert "nonRepudiation" in str(report.findings[0].params["usage"])


def test_expired_certificate(bag: Path, pki: Pki) -> None:
    openssl_sign(bag, pki.expired, certfile=pki.chain_file)
    report = _verify(bag, pki)
    assert error_codes(report) == {"SIG009"}
    finding = next(f for f in report.findings if f.code == "SIG009")
    assert finding.params["subject"] == "CN=Expired signer,O=Trung tâm Lưu trữ quốc gia I,C=VN"


def test_expired_intermediate_is_named(bag: Path, pki: Pki) -> None:
    sign_package(bag, signer=pki.default_signer, clock=CLOCK)
    far = NOW + dt.timedelta(days=400)  # the intermediate (1 year) has expired; the root (10 years) not
    report = _verify(bag, pki, clock=lambda: far)
    assert "SIG009" in error_codes(report)


def test_revoked_certificate(bag: Path, pki: Pki) -> None:
    sign_package(bag, signer=pki.revoked.signer(pki), clock=lambda: NOW - dt.timedelta(hours=2))
    report = _verify(bag, pki, crls=[pki.crl_file, pki.root_crl_file])
    assert error_codes(report) == {"SIG011"}
    assert report.findings[0].params["issuer"].startswith("CN=Intermediate CA")  # type: ignore[union-attr]
    # without CRLs, revocation is reported as not checked, not silently passed
    report = _verify(bag, pki)
    assert codes(report) == {"SIG020"}
    assert any(s.check == "signature.revocation" for s in report.skipped)


def test_crl_coverage_freshness_and_authenticity(bag: Path, pki: Pki) -> None:
    sign_package(bag, signer=pki.default_signer, clock=CLOCK)
    ok = _verify(bag, pki, crls=[pki.crl_file, pki.root_crl_file])
    assert codes(ok) == {"SIG020"}
    missing = _verify(bag, pki, crls=[pki.root_crl_file])
    assert codes(missing) == {"SIG012", "SIG020"}
    assert missing.valid  # a warning
    stale = _verify(bag, pki, crls=[pki.stale_crl_file, pki.root_crl_file])
    assert codes(stale) == {"SIG013", "SIG020"}
    forged = _verify(bag, pki, crls=[pki.forged_crl_file, pki.root_crl_file])
    assert codes(forged) == {"SIG014", "SIG012", "SIG020"}


def test_no_trust_anchors_checks_everything_but_identity(bag: Path, pki: Pki) -> None:
    sign_package(bag, signer=pki.default_signer, clock=CLOCK)
    report = verify_package(bag, trust=[], clock=CLOCK)
    assert codes(report) == {"SIG017"}
    assert report.valid
    assert any(s.check == "signature.trust" for s in report.skipped)
    (bag / "bag-info.txt").write_text("changed\n")
    assert "SIG021" in error_codes(verify_package(bag, trust=[], clock=CLOCK))


def test_claimed_signing_time_in_the_future(bag: Path, pki: Pki) -> None:
    sign_package(bag, signer=pki.default_signer, clock=lambda: NOW + dt.timedelta(days=1))
    report = _verify(bag, pki)
    assert codes(report) == {"SIG018", "SIG020"}


def test_unprotected_extra_certificate_is_ignored_with_a_warning(bag: Path, pki: Pki, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(pki.chain_file.read_bytes() + pki.untrusted.cert_file.read_bytes())
    openssl_sign(bag, pki.signer, certfile=bundle)
    report = _verify(bag, pki)
    assert codes(report) == {"SIG019", "SIG020"}
    assert report.valid


# --------------------------------------------------------------------------- timestamps


def test_expired_certificate_without_timestamp_fails_later(bag: Path, pki: Pki) -> None:
    sign_package(bag, signer=pki.short.signer(pki))  # real clock: the certificate is valid now
    assert codes(_verify(bag, pki, clock=None)) == {"SIG020"}
    report = _verify(bag, pki, clock=lambda: LATER)
    assert error_codes(report) == {"SIG009"}


@pytest.mark.parametrize("path", ["/v2", "/v1"])
def test_timestamp_made_before_expiry_keeps_the_signature_valid(
    bag: Path, pki: Pki, tsa: Tsa, path: str
) -> None:
    result = sign_package(bag, signer=pki.short.signer(pki), tsa_url=tsa.at(path))
    assert result.timestamp
    token = token_of((bag / SIGNATURE_PATH).read_bytes())
    gen_time = tst_gen_time(token)
    assert abs(gen_time - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    report = _verify(bag, pki, clock=lambda: LATER)
    assert report.valid, [f.message() for f in report.findings]
    # the TSA certificate has expired since: a note suggests adding a new timestamp
    assert codes(report) == {"SIG020", "SIG029"}
    summary = next(f for f in report.findings if f.code == "SIG020")
    assert summary.params["timestamp"] == vietnam_time(gen_time)
    # and with revocation checked for both paths
    report = _verify(bag, pki, clock=lambda: LATER, crls=[pki.crl_file, pki.root_crl_file])
    assert {"SIG020", "SIG029"} <= codes(report)
    assert not error_codes(report)


def test_timestamp_from_an_untrusted_tsa_is_not_used(bag: Path, pki: Pki, tsa: Tsa) -> None:
    sign_package(bag, signer=pki.short.signer(pki), tsa_url=tsa.at("/v2"))
    report = _verify(bag, pki, clock=lambda: LATER, tsa_trust=[pki.untrusted.cert_file])
    assert error_codes(report) == {"SIG015", "SIG009"}
    assert next(f for f in report.findings if f.code == "SIG015").params["check"] == "certificate path"
    report = _verify(bag, pki, clock=lambda: LATER, trust=[])
    assert any(s.check == "signature.timestamp" for s in report.skipped)


def test_timestamp_over_another_signature_is_rejected(
    bag: Path, mets_package: Path, pki: Pki, tsa: Tsa
) -> None:
    sign_package(mets_package, signer=pki.default_signer, tsa_url=tsa.at("/v2"))
    foreign = token_of((mets_package / SIGNATURE_PATH).read_bytes())
    place(bag, craft(bag, pki.default_signer, when=NOW, unsigned=[(OID.TIME_STAMP_TOKEN, foreign)]))
    report = _verify(bag, pki)
    assert error_codes(report) == {"SIG015"}
    assert report.findings[0].params["check"] == "message imprint"


def test_tsa_certificate_must_have_a_critical_timestamping_eku(bag: Path, pki: Pki) -> None:
    # openssl ts refuses to sign with such a certificate, so this token is made by the test itself
    place(bag, craft(bag, pki.default_signer, when=NOW, token_signer=pki.tsa_no_critical))
    report = _verify(bag, pki)
    assert error_codes(report) == {"SIG015"}
    assert report.findings[0].params["check"] == "key usage"
    # the same self-made token with a proper TSA certificate passes every check
    place(bag, craft(bag, pki.default_signer, when=NOW, token_signer=pki.tsa_ec))
    assert codes(_verify(bag, pki)) == {"SIG020"}


@pytest.mark.parametrize(
    ("path", "match"),
    [("/refuse", "HTTP 500"), ("/junk", "TimeStampResp"), ("/v9", "HTTP 400"), ("/badcert", "HTTP 500")],
)
def test_tsa_failures_stop_signing_and_leave_nothing(
    bag: Path, pki: Pki, tsa: Tsa, path: str, match: str
) -> None:
    with pytest.raises(TimestampError, match=match):
        sign_package(bag, signer=pki.default_signer, tsa_url=tsa.at(path))
    assert not (bag / "signatures").exists()


def test_tsa_url_must_be_http(bag: Path, pki: Pki) -> None:
    with pytest.raises(TimestampError, match="http"):
        sign_package(bag, signer=pki.default_signer, tsa_url="file:///etc/passwd")
    with pytest.raises(TimestampError, match="cannot reach"):
        sign_package(bag, signer=pki.default_signer, tsa_url="http://127.0.0.1:9/")


# --------------------------------------------------------------------------- structure and attributes


def test_unknown_unsigned_attribute(bag: Path, pki: Pki) -> None:
    counter_signature = "1.2.840.113549.1.9.6"
    place(bag, craft(bag, pki.default_signer, when=NOW, unsigned=[(counter_signature, b"\x04\x00")]))
    report = _verify(bag, pki)
    assert error_codes(report) == {"SIG016"}
    assert report.findings[0].params["oid"] == counter_signature


@pytest.mark.parametrize(
    ("oid", "name"),
    [
        (OID.SIGNING_TIME, "signingTime"),
        (OID.MESSAGE_DIGEST, "messageDigest"),
        (OID.CONTENT_TYPE, "contentType"),
    ],
)
def test_required_signed_attributes(bag: Path, pki: Pki, oid: str, name: str) -> None:
    place(bag, craft(bag, pki.default_signer, when=NOW, drop_attribute=oid))
    report = _verify(bag, pki)
    assert ("SIG006", name) in {(f.code, f.params.get("attribute")) for f in report.findings}
    assert not report.valid


def test_signing_certificate_v2_binds_the_signer(bag: Path, pki: Pki) -> None:
    """A signature made by the signer but claiming another certificate chain is rejected."""
    other = Signer(key=pki.signer.key, certificate=pki.signer.cert, chain=(pki.inter.cert,))
    place(bag, craft(bag, other, when=NOW))
    assert codes(_verify(bag, pki)) == {"SIG020"}
    place(bag, craft(bag, other, when=NOW, drop_attribute=OID.SIGNING_CERTIFICATE_V2))
    assert codes(_verify(bag, pki)) == {"SIG020"}  # optional: the chain check still protects


def test_signature_value_damaged(bag: Path, pki: Pki) -> None:
    sign_package(bag, signer=pki.default_signer, clock=CLOCK)
    sig = bag / SIGNATURE_PATH
    data = bytearray(sig.read_bytes())
    data[-1] ^= 0x01  # the last byte of the signature value
    sig.write_bytes(bytes(data))
    assert error_codes(_verify(bag, pki)) == {"SIG005"}


def test_signed_file_missing(bag: Path, pki: Pki) -> None:
    sign_package(bag, signer=pki.default_signer, clock=CLOCK)
    for name in ("tagmanifest-sha512.txt", "tagmanifest-sha256.txt"):
        (bag / name).unlink()
    assert error_codes(_verify(bag, pki)) == {"SIG028"}


def test_weaker_tag_manifest_cannot_stand_in(bag: Path, pki: Pki) -> None:
    """Deleting the signed (strongest) tag manifest makes the next one the candidate: it fails."""
    sign_package(bag, signer=pki.default_signer, clock=CLOCK)
    (bag / "tagmanifest-sha512.txt").unlink()
    assert "SIG004" in error_codes(_verify(bag, pki))
