"""Signing and verifying packages: folder (METS), bag, ZIP; signer material; what signing refuses."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest

from luutru_aip.errors import InputError, OutputExistsError, UsageError
from luutru_aip.findings import Severity
from luutru_aip.signing import (
    SIGNATURE_PATH,
    PassphraseRequiredError,
    has_signature,
    load_signer,
    sign_package,
    verify_package,
)
from luutru_aip.signing._asn1 import OID, parse_signed_data

from ._mets import zip_folder
from .conftest import NOW, PASSPHRASE, Pki, codes, snapshot


def _clock(when: dt.datetime = NOW) -> object:
    return lambda: when


def test_bag_signs_and_verifies_without_changing_anything(bag: Path, pki: Pki) -> None:
    before = snapshot(bag)
    result = sign_package(bag, signer=pki.default_signer, clock=_clock())
    after = snapshot(bag)
    assert set(after) - set(before) == {SIGNATURE_PATH}
    assert all(after[k] == v for k, v in before.items())
    assert result.signed_file == "tagmanifest-sha512.txt"
    assert result.signature_path == SIGNATURE_PATH
    assert "Chi cục Văn thư" in result.signer
    report = verify_package(bag, trust=[pki.root_file], clock=_clock())
    assert report.valid
    assert codes(report) == {"SIG020"}
    assert report.profile == "signature"
    assert has_signature(bag)


def test_mets_folder_signs_and_verifies(mets_package: Path, pki: Pki) -> None:
    result = sign_package(mets_package, signer=pki.default_signer, clock=_clock())
    assert result.signed_file == "METS.xml"
    report = verify_package(mets_package, trust=[pki.root_file], clock=_clock())
    assert codes(report) == {"SIG020"}, [f.message() for f in report.findings]


@pytest.mark.parametrize("top", [True, False])
def test_zip_signs_and_verifies_and_members_stay_byte_identical(
    mets_package: Path, pki: Pki, tmp_path: Path, top: bool
) -> None:
    archive = zip_folder(mets_package, tmp_path / "pkg.zip", top=top)
    with zipfile.ZipFile(archive) as zf:
        before = {i.filename: (i.CRC, i.compress_type, zf.read(i)) for i in zf.infolist()}
    sign_package(archive, signer=pki.default_signer, clock=_clock())
    prefix = f"{mets_package.name}/" if top else ""
    with zipfile.ZipFile(archive) as zf:
        after = {i.filename: (i.CRC, i.compress_type, zf.read(i)) for i in zf.infolist()}
    assert set(after) - set(before) == {prefix + SIGNATURE_PATH}
    assert all(after[k] == v for k, v in before.items())
    report = verify_package(archive, trust=[pki.root_file], clock=_clock())
    assert codes(report) == {"SIG020"}, [f.message() for f in report.findings]
    assert not list(tmp_path.glob(".pkg.zip.*"))  # no temporary left behind


def test_zipped_bag_signs_and_verifies(bag: Path, pki: Pki, tmp_path: Path) -> None:
    archive = zip_folder(bag, tmp_path / "bag.zip", top=True)
    sign_package(archive, signer=pki.default_signer, clock=_clock())
    assert codes(verify_package(archive, trust=[pki.root_file], clock=_clock())) == {"SIG020"}


def test_overwrite_replaces_signature_in_folder_and_zip(mets_package: Path, pki: Pki, tmp_path: Path) -> None:
    sign_package(mets_package, signer=pki.default_signer, clock=_clock())
    with pytest.raises(OutputExistsError):
        sign_package(mets_package, signer=pki.default_signer, clock=_clock())
    sign_package(mets_package, signer=pki.signer_rsa.signer(pki), clock=_clock(), overwrite=True)
    report = verify_package(mets_package, trust=[pki.root_file], clock=_clock())
    assert codes(report) == {"SIG020"}
    assert "RSA" in str(report.findings[0].params["signer"])
    archive = zip_folder(mets_package, tmp_path / "p.zip")
    with pytest.raises(OutputExistsError):
        sign_package(archive, signer=pki.default_signer, clock=_clock())
    sign_package(archive, signer=pki.signer_p384.signer(pki), clock=_clock(), overwrite=True)
    with zipfile.ZipFile(archive) as zf:
        names = [i.filename for i in zf.infolist()]
    assert len([n for n in names if n.endswith(SIGNATURE_PATH)]) == 1
    report = verify_package(archive, trust=[pki.root_file], clock=_clock())
    assert codes(report) == {"SIG020"}
    assert "P-384" in str(report.findings[0].params["signer"])


@pytest.mark.parametrize(("ident", "digest_oid"), [("signer", OID.SHA256), ("signer_rsa", OID.SHA256),
                                                   ("signer_p384", OID.SHA384)])  # fmt: skip
def test_algorithms_follow_the_key(bag: Path, pki: Pki, ident: str, digest_oid: str) -> None:
    sign_package(bag, signer=getattr(pki, ident).signer(pki), clock=_clock())
    info = parse_signed_data((bag / SIGNATURE_PATH).read_bytes())
    si = info.signer_infos[0]
    assert si.digest_oid == digest_oid
    assert info.econtent is None  # detached
    oids = [a.oid for a in si.signed_attrs or ()]
    assert {OID.CONTENT_TYPE, OID.MESSAGE_DIGEST, OID.SIGNING_TIME, OID.SIGNING_CERTIFICATE_V2} == set(oids)
    assert len(info.certificates) == 2  # the signer and its chain
    assert codes(verify_package(bag, trust=[pki.root_file], clock=_clock())) == {"SIG020"}


def test_rsa_signatures_are_deterministic_for_the_same_clock(bag: Path, pki: Pki) -> None:
    signer = pki.signer_rsa.signer(pki)
    sign_package(bag, signer=signer, clock=_clock())
    first = (bag / SIGNATURE_PATH).read_bytes()
    sign_package(bag, signer=signer, clock=_clock(), overwrite=True)
    assert (bag / SIGNATURE_PATH).read_bytes() == first


# --------------------------------------------------------------------------- signer material


def test_pem_files_with_chain(bag: Path, pki: Pki) -> None:
    sign_package(
        bag, key=pki.signer.key_file, cert=pki.signer.cert_file, chain=[pki.chain_file], clock=_clock()
    )
    assert verify_package(bag, trust=[pki.root_file], clock=_clock()).valid


def test_encrypted_key_needs_the_passphrase(bag: Path, pki: Pki) -> None:
    with pytest.raises(PassphraseRequiredError):
        load_signer(key=pki.encrypted_key_file, cert=pki.signer.cert_file)
    with pytest.raises(InputError, match="wrong passphrase") as info:
        load_signer(key=pki.encrypted_key_file, cert=pki.signer.cert_file, passphrase="sai")
    assert "sai" not in str(info.value)
    signer = load_signer(
        key=pki.encrypted_key_file, cert=pki.signer.cert_file, chain=[pki.chain_file], passphrase=PASSPHRASE
    )
    sign_package(bag, signer=signer, clock=_clock())
    assert verify_package(bag, trust=[pki.root_file], clock=_clock()).valid


def test_pkcs12(bag: Path, pki: Pki) -> None:
    with pytest.raises(PassphraseRequiredError):
        load_signer(p12=pki.p12_file)
    with pytest.raises(InputError) as info:
        load_signer(p12=pki.p12_file, passphrase="wrong-secret")
    assert "wrong-secret" not in str(info.value)
    sign_package(bag, p12=pki.p12_file, passphrase=PASSPHRASE.encode(), clock=_clock())
    report = verify_package(bag, trust=[pki.root_file], clock=_clock())
    assert codes(report) == {"SIG020"}
    assert len(parse_signed_data((bag / SIGNATURE_PATH).read_bytes()).certificates) == 2


@pytest.mark.parametrize(("stem", "match"), [("rsa1024", "1024 bits"), ("ed25519", "Ed25519"),
                                             ("p521", "secp521r1")])  # fmt: skip
def test_key_policy_refuses_weak_or_other_keys(pki: Pki, stem: str, match: str) -> None:
    with pytest.raises(InputError, match=match):
        load_signer(key=getattr(pki, f"{stem}_key_file"), cert=getattr(pki, f"{stem}_cert_file"))


def test_certificate_must_belong_to_the_key(pki: Pki) -> None:
    with pytest.raises(InputError, match="does not belong"):
        load_signer(key=pki.signer.key_file, cert=pki.signer_rsa.cert_file)


def test_unreadable_files_name_the_file(pki: Pki, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the key file"):
        load_signer(key=tmp_path / "missing.key", cert=pki.signer.cert_file)
    junk = tmp_path / "junk.pem"
    junk.write_text("hello")
    with pytest.raises(InputError, match="no readable private key"):
        load_signer(key=junk, cert=pki.signer.cert_file)


def test_signing_refuses_expired_or_unsuitable_certificates(bag: Path, pki: Pki) -> None:
    with pytest.raises(InputError, match="not valid now"):
        sign_package(bag, signer=pki.expired.signer(pki), clock=_clock())
    with pytest.raises(InputError, match="may not sign documents"):
        sign_package(bag, signer=pki.wrong_ku.signer(pki), clock=_clock())
    assert not (bag / "signatures").exists()


def test_signing_refuses_a_damaged_package_and_writes_nothing(bag: Path, pki: Pki) -> None:
    payload = next((bag / "data").rglob("*.pdf"))
    payload.write_bytes(payload.read_bytes() + b"x")
    with pytest.raises(InputError, match="SIG021"):
        sign_package(bag, signer=pki.default_signer, clock=_clock())
    assert not (bag / "signatures").exists()
    # check=False is for builders that just computed every digest themselves
    sign_package(bag, signer=pki.default_signer, clock=_clock(), check=False)
    assert "SIG021" in codes(verify_package(bag, trust=[pki.root_file], clock=_clock()))


def test_signing_refuses_bags_without_a_strong_tag_manifest(bag: Path, pki: Pki) -> None:
    for name in ("tagmanifest-sha256.txt", "tagmanifest-sha512.txt"):
        (bag / name).unlink()
    with pytest.raises(InputError, match="has no tag manifest"):
        sign_package(bag, signer=pki.default_signer, clock=_clock())
    (bag / "tagmanifest-md5.txt").write_text("00000000000000000000000000000000  bagit.txt\n")
    with pytest.raises(InputError, match="too weak"):
        sign_package(bag, signer=pki.default_signer, clock=_clock())


def test_not_a_package(tmp_path: Path, pki: Pki) -> None:
    (tmp_path / "x").mkdir()
    with pytest.raises(InputError, match="not a package"):
        sign_package(tmp_path / "x", signer=pki.default_signer)
    with pytest.raises(InputError, match="does not exist"):
        verify_package(tmp_path / "nope", trust=[pki.root_file])
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(InputError, match="neither a folder nor a ZIP"):
        verify_package(tmp_path / "f.txt", trust=[pki.root_file])


def test_api_rejects_bad_options(bag: Path, pki: Pki) -> None:
    with pytest.raises(UsageError, match="timezone-aware"):
        sign_package(bag, signer=pki.default_signer, clock=lambda: dt.datetime(2025, 1, 1))
    with pytest.raises(UsageError):
        verify_package(bag, trust=[pki.root_file], workers=0)
    with pytest.raises(InputError, match=r"no certificate found|no readable"):
        verify_package(bag, trust=[pki.signer.key_file])


def test_report_threshold_and_workers(bag: Path, pki: Pki) -> None:
    sign_package(bag, signer=pki.default_signer, clock=_clock())
    report = verify_package(bag, trust=[pki.root_file], clock=_clock(), workers=2, threshold=Severity.INFO)
    assert not report.valid  # SIG020 is an info finding
    assert report.to_dict()["findings"][0]["code"] == "SIG020"


def test_unsafe_zip_is_not_signed_and_its_problems_are_reported(pki: Pki, tmp_path: Path) -> None:
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("METS.xml", "<mets/>")
        zf.writestr("../escape.txt", "outside")
    with pytest.raises(InputError, match="cannot be signed safely"):
        sign_package(archive, signer=pki.default_signer, clock=_clock())
    report = verify_package(archive, trust=[pki.root_file], clock=_clock())
    assert "SIG001" in codes(report)
    assert any(code.startswith(("ZIP", "PATH")) for code in codes(report))


def test_coverage_can_be_left_to_the_caller(bag: Path, pki: Pki) -> None:
    sign_package(bag, signer=pki.default_signer, clock=_clock())
    (bag / "bag-info.txt").write_text("changed\n")
    report = verify_package(bag, trust=[pki.root_file], clock=_clock(), coverage=False)
    assert codes(report) == {"SIG020"}
    assert any(s.check == "signature.coverage" for s in report.skipped)
    assert "SIG021" in codes(verify_package(bag, trust=[pki.root_file], clock=_clock()))
