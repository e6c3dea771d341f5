"""Interoperability with the OpenSSL command line, both ways; RFC 3161 tokens checked by ``openssl ts``."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from luutru_aip.signing import SIGNATURE_PATH, sign_package, verify_package
from luutru_aip.signing._asn1 import parse_signed_data

from ._craft import openssl_sign, openssl_verify, signed_file, token_of
from .conftest import NOW, Pki, Tsa, codes, error_codes

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
CLOCK = lambda: NOW  # noqa: E731


# --------------------------------------------------------------------------- ours → openssl


@pytest.mark.parametrize("ident", ["signer", "signer_rsa", "signer_p384"])
def test_openssl_accepts_our_signatures(bag: Path, mets_package: Path, pki: Pki, ident: str) -> None:
    for package in (bag, mets_package):
        sign_package(package, signer=getattr(pki, ident).signer(pki), clock=CLOCK)
        done = openssl_verify(package, pki.root_file)
        assert done.returncode == 0, done.stderr.decode()
        assert b"Verification successful" in done.stderr


def test_openssl_rejects_our_signature_over_changed_content(bag: Path, pki: Pki, tmp_path: Path) -> None:
    sign_package(bag, signer=pki.default_signer, clock=CLOCK)
    changed = tmp_path / "changed.txt"
    changed.write_bytes(signed_file(bag).read_bytes() + b"\n")
    assert openssl_verify(bag, pki.root_file, content=changed).returncode != 0


def test_openssl_accepts_our_timestamped_signature_and_token(
    bag: Path, pki: Pki, tsa: Tsa, tmp_path: Path
) -> None:
    sign_package(bag, signer=pki.default_signer, tsa_url=tsa.at("/v2"))
    assert openssl_verify(bag, pki.root_file).returncode == 0
    signature = (bag / SIGNATURE_PATH).read_bytes()
    token = tmp_path / "token.der"
    token.write_bytes(token_of(signature))
    value = tmp_path / "signature-value.bin"
    value.write_bytes(parse_signed_data(signature).signer_infos[0].signature)
    done = subprocess.run(
        ["openssl", "ts", "-verify", "-token_in", "-in", str(token), "-data", str(value),
         "-CAfile", str(pki.root_file), "-untrusted", str(pki.tsa.cert_file)],
        capture_output=True,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    assert b"Verification: OK" in done.stdout


# --------------------------------------------------------------------------- openssl → ours


@pytest.mark.parametrize(
    ("ident", "extra"),
    [
        ("signer", ()),
        ("signer", ("-cades",)),  # adds ESS signingCertificateV2
        ("signer", ("-keyid",)),  # subjectKeyIdentifier as the signer identifier (SignedData v3)
        ("signer_p384", ("-md", "sha384")),
        ("signer_rsa", ()),
        ("signer_rsa", ("-md", "sha512", "-keyopt", "rsa_padding_mode:pss", "-keyopt", "rsa_pss_saltlen:32")),
    ],
)
def test_we_verify_openssl_signatures(
    bag: Path, mets_package: Path, pki: Pki, ident: str, extra: tuple[str, ...]
) -> None:
    for package in (bag, mets_package):
        openssl_sign(package, getattr(pki, ident), *extra, certfile=pki.chain_file)
        report = verify_package(package, trust=[pki.root_file], clock=CLOCK)
        assert codes(report) == {"SIG020"}, [f.message() for f in report.findings]


def test_openssl_signature_over_other_content_fails(bag: Path, pki: Pki) -> None:
    openssl_sign(bag, pki.signer, certfile=pki.chain_file)
    (bag / "tagmanifest-sha512.txt").write_bytes((bag / "tagmanifest-sha512.txt").read_bytes() + b"\n")
    assert "SIG004" in error_codes(verify_package(bag, trust=[pki.root_file], clock=CLOCK))


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        (("-noattr",), "SIG006"),  # no signed attributes at all
        (("-nocerts",), "SIG007"),  # the signer certificate is not embedded
        (("-nodetach",), "SIG003"),  # attached content
        (("-stream",), "SIG003"),  # indefinite-length BER
    ],
)
def test_openssl_signatures_we_do_not_accept(bag: Path, pki: Pki, extra: tuple[str, ...], code: str) -> None:
    openssl_sign(bag, pki.signer, *extra, certfile=pki.chain_file)
    report = verify_package(bag, trust=[pki.root_file], clock=CLOCK)
    assert code in error_codes(report), [f.message() for f in report.findings]


def test_two_signers_are_not_accepted(bag: Path, pki: Pki) -> None:
    openssl_sign(
        bag, pki.signer, "-signer", str(pki.signer_rsa.cert_file), "-inkey", str(pki.signer_rsa.key_file),
        certfile=pki.chain_file,
    )  # fmt: skip
    report = verify_package(bag, trust=[pki.root_file], clock=CLOCK)
    assert error_codes(report) == {"SIG003"}
    assert "2 signers" in str(report.findings[0].params["what"])


def test_weak_keys_are_not_accepted(bag: Path, pki: Pki, tmp_path: Path) -> None:
    from .conftest import Identity

    weak = Identity(key=None, cert=None, key_file=pki.rsa1024_key_file, cert_file=pki.rsa1024_cert_file)  # type: ignore[arg-type]
    openssl_sign(bag, weak, certfile=pki.chain_file)
    report = verify_package(bag, trust=[pki.root_file], clock=CLOCK)
    assert "SIG003" in error_codes(report)
    assert "1024" in " ".join(str(f.params.get("what")) for f in report.findings)
