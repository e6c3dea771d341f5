"""Every single-byte tamper is caught: payload, tag files, manifests, METS, metadata, the signature itself.

Each case signs a fresh package, changes one byte of one file, and verifies: the report must be
invalid and name what failed. For the signature file, every byte offset is tried.
"""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

import pytest

from luutru_aip.signing import SIGNATURE_PATH, sign_package, verify_package

from ._mets import zip_folder
from .conftest import NOW, Pki, Tsa, error_codes

CLOCK = lambda: NOW  # noqa: E731


def _flip(path: Path, offset: int, mask: int = 0x01) -> None:
    data = bytearray(path.read_bytes())
    data[offset % len(data)] ^= mask
    path.write_bytes(bytes(data))


BAG_FILES = [
    "data/Hồ sơ 01/H49.64.33.2001.160.0000001.pdf",
    "data/Hồ sơ 01/Mục lục hồ sơ.txt",
    "bag-info.txt",
    "bagit.txt",
    "manifest-sha256.txt",
    "manifest-sha512.txt",
    "tagmanifest-sha512.txt",  # the signed one
    "tagmanifest-sha256.txt",  # not signed; every entry is still checked against the files
]


def _bag_file(bag: Path, rel: str) -> Path:
    path = bag / rel
    if path.exists():
        return path
    # the example's Vietnamese names may be stored in another Unicode normal form
    import unicodedata

    for candidate in bag.rglob("*"):
        if unicodedata.normalize("NFC", candidate.relative_to(bag).as_posix()) == unicodedata.normalize(
            "NFC", rel
        ):
            return candidate
    raise FileNotFoundError(rel)


@pytest.mark.parametrize("rel", BAG_FILES)
@pytest.mark.parametrize("where", [0, 7, -1])
def test_single_byte_tamper_in_a_bag_fails(bag: Path, pki: Pki, rel: str, where: int) -> None:
    sign_package(bag, signer=pki.default_signer, clock=CLOCK)
    target = _bag_file(bag, rel)
    size = target.stat().st_size
    _flip(target, where if where >= 0 else size - 2)  # -2: the last character before the final newline
    report = verify_package(bag, trust=[pki.root_file], clock=CLOCK)
    assert not report.valid
    errors = error_codes(report)
    if rel == "tagmanifest-sha512.txt":
        assert "SIG004" in errors  # the signed file's message digest
    else:
        assert errors & {"SIG021", "SIG022", "SIG026"}, errors


METS_FILES = [
    "METS.xml",
    "representations/rep1/METS.xml",
    "representations/rep1/data/H49.64.33.2001.160.0000001.pdf",
    "representations/rep1/data/Tài liệu số 2.txt",
    "representations/rep1/metadata/descriptive/EAD_doc_H49.64.33.2001.160.0000001.xml",
    "metadata/descriptive/EAD.xml",
    "metadata/preservation/PREMIS.xml",
    "schemas/simpledc.xsd",
]


@pytest.mark.parametrize("rel", METS_FILES)
def test_single_byte_tamper_in_a_mets_package_fails(mets_package: Path, pki: Pki, rel: str) -> None:
    sign_package(mets_package, signer=pki.default_signer, clock=CLOCK)
    target = mets_package / rel
    _flip(target, target.stat().st_size // 2)
    report = verify_package(mets_package, trust=[pki.root_file], clock=CLOCK)
    assert not report.valid
    expected = "SIG004" if rel == "METS.xml" else "SIG021"
    assert expected in error_codes(report), [f.message() for f in report.findings]
    if rel == "representations/rep1/METS.xml":
        # what a changed METS lists is not evidence: its files are skipped, not "verified"
        assert any("rep1" in s.reason for s in report.skipped)


@pytest.mark.parametrize("rel", ["METS.xml", "representations/rep1/data/Tài liệu số 2.txt"])
def test_single_byte_tamper_inside_a_zip_fails(
    mets_package: Path, pki: Pki, tmp_path: Path, rel: str
) -> None:
    target = mets_package / rel
    archive = zip_folder(mets_package, tmp_path / "p.zip")
    sign_package(archive, signer=pki.default_signer, clock=CLOCK)
    data = bytearray(target.read_bytes())
    data[3] ^= 0x01
    rebuilt = tmp_path / "tampered.zip"
    with zipfile.ZipFile(archive) as zin, zipfile.ZipFile(rebuilt, "w") as zout:
        for info in zin.infolist():
            body = zin.read(info)
            if info.filename == f"{mets_package.name}/{rel}":
                body = bytes(data)
            zout.writestr(info, body)
    report = verify_package(rebuilt, trust=[pki.root_file], clock=CLOCK)
    assert not report.valid
    assert error_codes(report) & {"SIG004", "SIG021"}


def _every_offset(package: Path, pki: Pki, *, stride: int = 1, clock: object = CLOCK) -> list[int]:
    """Flip one byte at each offset of the signature file; the offsets whose change went unnoticed."""
    sig = package / SIGNATURE_PATH
    original = sig.read_bytes()
    masks = (0x01, 0x20, 0x80, 0xFF)
    missed = []
    for offset in range(0, len(original), stride):
        data = bytearray(original)
        data[offset] ^= masks[offset % len(masks)]
        sig.write_bytes(bytes(data))
        if verify_package(package, trust=[pki.root_file], clock=clock).valid:  # type: ignore[arg-type]
            missed.append(offset)
    sig.write_bytes(original)
    assert verify_package(package, trust=[pki.root_file], clock=clock).valid  # type: ignore[arg-type]
    return missed


def test_every_byte_of_the_signature_is_protected(bag: Path, pki: Pki) -> None:
    sign_package(bag, signer=pki.default_signer, clock=CLOCK)
    assert _every_offset(bag, pki) == []


def test_every_byte_of_an_rsa_signature_is_protected(mets_package: Path, pki: Pki) -> None:
    sign_package(mets_package, signer=pki.signer_rsa.signer(pki), clock=CLOCK)
    assert _every_offset(mets_package, pki, stride=3) == []


def test_every_byte_of_a_timestamped_signature_is_protected(bag: Path, pki: Pki, tsa: Tsa) -> None:
    sign_package(bag, signer=pki.default_signer, tsa_url=tsa.at("/v2"))
    assert _every_offset(bag, pki, stride=3, clock=None) == []


def test_truncated_or_extended_signature_fails(bag: Path, pki: Pki) -> None:
    sign_package(bag, signer=pki.default_signer, clock=CLOCK)
    sig = bag / SIGNATURE_PATH
    original = sig.read_bytes()
    for data in (original[:-1], original + b"\x00", original[:100], b""):
        sig.write_bytes(data)
        report = verify_package(bag, trust=[pki.root_file], clock=CLOCK)
        assert "SIG002" in error_codes(report)


def test_added_and_removed_files_fail(bag: Path, mets_package: Path, pki: Pki) -> None:
    sign_package(bag, signer=pki.default_signer, clock=CLOCK)
    (bag / "data" / "thêm.txt").write_text("added after signing")
    report = verify_package(bag, trust=[pki.root_file], clock=CLOCK)
    assert error_codes(report) == {"SIG023"}
    assert report.findings[0].location.path == "data/thêm.txt"
    sign_package(mets_package, signer=pki.default_signer, clock=CLOCK)
    (mets_package / "metadata" / "other").mkdir()
    (mets_package / "metadata" / "other" / "note.txt").write_text("x")
    shutil.rmtree(mets_package / "schemas")
    report = verify_package(mets_package, trust=[pki.root_file], clock=CLOCK)
    assert error_codes(report) == {"SIG022", "SIG023"}


def test_a_replaced_signature_from_another_signer_fails_without_trust(bag: Path, pki: Pki) -> None:
    """Re-signing with an untrusted key is caught by the chain check, never silently accepted."""
    untrusted = pki.untrusted
    from luutru_aip.signing import Signer

    sign_package(bag, signer=Signer(key=untrusted.key, certificate=untrusted.cert), clock=CLOCK)
    report = verify_package(bag, trust=[pki.root_file], clock=CLOCK)
    assert error_codes(report) == {"SIG008"}
    later = NOW + dt.timedelta(days=1)
    assert not verify_package(bag, trust=[pki.root_file], clock=lambda: later).valid
