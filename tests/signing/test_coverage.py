"""Coverage: the signed file must reach every other file with a strong checksum (bag and METS)."""

from __future__ import annotations

import hashlib
import shutil
import unicodedata
from pathlib import Path

import pytest

from luutru_aip.errors import InputError
from luutru_aip.signing import sign_package, verify_package

from ._mets import REP_DATA, REP_META, ROOT_META, mets_document, write_files
from .conftest import NOW, Pki, codes, error_codes

CLOCK = lambda: NOW  # noqa: E731


def _package(
    root: Path, *, rep_kw: dict[str, object] | None = None, root_kw: dict[str, object] | None = None
) -> Path:
    rep = root / "representations" / "rep1"
    write_files(rep, {**REP_DATA, **REP_META})
    rep_mets = mets_document(files=REP_DATA, metadata=REP_META, **(rep_kw or {}))  # type: ignore[arg-type]
    (rep / "METS.xml").write_bytes(rep_mets)
    write_files(root, ROOT_META)
    (root / "METS.xml").write_bytes(
        mets_document(  # type: ignore[arg-type]
            files={"representations/rep1/METS.xml": rep_mets},
            metadata=ROOT_META,
            mptrs=("representations/rep1/METS.xml",),
            **(root_kw or {}),
        )
    )
    return root


def _sign_unchecked_and_verify(package: Path, pki: Pki) -> object:
    with pytest.raises(InputError):  # a package the signature would not fully cover is not signed…
        sign_package(package, signer=pki.default_signer, clock=CLOCK)
    sign_package(package, signer=pki.default_signer, clock=CLOCK, check=False)  # …unless forced
    return verify_package(package, trust=[pki.root_file], clock=CLOCK)


def test_reference_without_checksum(tmp_path: Path, pki: Pki) -> None:
    package = _package(tmp_path / "p", rep_kw={"omit_checksum": ("data/Tài liệu số 2.txt",)})
    report = _sign_unchecked_and_verify(package, pki)
    assert error_codes(report) == {"SIG024"}
    finding = report.findings[0]  # type: ignore[attr-defined]
    assert finding.location.path == "representations/rep1/METS.xml"
    assert finding.location.xpath.endswith("FLocat")
    assert finding.params["target"] == "representations/rep1/data/Tài liệu số 2.txt"


def test_mptr_without_a_checksummed_file_entry(tmp_path: Path, pki: Pki) -> None:
    root = tmp_path / "p"
    _package(root)
    write_files(root, {"representations/rep2/METS.xml": b"<x/>"})
    data = (
        (root / "METS.xml")
        .read_text()
        .replace(
            "</mets:div></mets:structMap>",
            '<mets:div><mets:mptr LOCTYPE="URL" xlink:type="simple"'
            ' xlink:href="representations/rep2/METS.xml"/>'
            "</mets:div></mets:div></mets:structMap>",
        )
    )
    (root / "METS.xml").write_text(data)
    report = _sign_unchecked_and_verify(root, pki)
    assert error_codes(report) == {"SIG024"}


@pytest.mark.parametrize("kind", ["MD5", "SHA-1", "CRC32"])
def test_weak_or_unknown_checksum_types(tmp_path: Path, pki: Pki, kind: str) -> None:
    package = _package(tmp_path / "p", rep_kw={"checksum_type": kind})
    report = _sign_unchecked_and_verify(package, pki)
    assert error_codes(report) == {"SIG025"}
    assert {f.params["algorithm"] for f in report.findings} == {kind}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "href", ["http://example.org/x.pdf", "../../../outside.pdf", "/etc/passwd", "C:\\x.pdf", ""]
)
def test_references_outside_the_package(tmp_path: Path, pki: Pki, href: str) -> None:
    package = _package(tmp_path / "p", rep_kw={"extra_hrefs": (href,)})
    report = _sign_unchecked_and_verify(package, pki)
    assert error_codes(report) == {"SIG027"}


def test_unreadable_root_mets(tmp_path: Path, pki: Pki) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "METS.xml").write_bytes(b"<mets:mets xmlns:mets='http://www.loc.gov/METS/'>")
    report = _sign_unchecked_and_verify(root, pki)
    assert error_codes(report) == {"SIG026"}


def test_raw_and_percent_encoded_hrefs_both_resolve(tmp_path: Path, pki: Pki) -> None:
    for encode in (False, True):
        package = _package(tmp_path / f"p{encode}", rep_kw={"encode_hrefs": encode})
        sign_package(package, signer=pki.default_signer, clock=CLOCK)
        assert codes(verify_package(package, trust=[pki.root_file], clock=CLOCK)) == {"SIG020"}


def test_file_names_in_another_unicode_normal_form(bag: Path, pki: Pki) -> None:
    """A manifest may list NFC names of files stored as NFD (macOS): the file is still covered."""
    folder = next(p for p in (bag / "data").iterdir() if p.is_dir())
    nfd = folder.with_name(unicodedata.normalize("NFD", folder.name))
    if nfd.name == folder.name:
        nfd = folder.with_name(unicodedata.normalize("NFC", folder.name))
    folder.rename(nfd)
    sign_package(bag, signer=pki.default_signer, clock=CLOCK)
    assert codes(verify_package(bag, trust=[pki.root_file], clock=CLOCK)) == {"SIG020"}


def _retag(bag: Path) -> None:
    """Rewrite both tag manifests for the current tag files (as a bag tool would)."""
    for algorithm in ("sha256", "sha512"):
        lines = []
        for name in ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt"):
            if (bag / name).exists():
                lines.append(f"{hashlib.new(algorithm, (bag / name).read_bytes()).hexdigest()}  {name}\n")
        (bag / f"tagmanifest-{algorithm}.txt").write_text("".join(lines))


def test_bag_with_only_weak_payload_manifests(bag: Path, pki: Pki) -> None:
    lines = []
    for line in (bag / "manifest-sha256.txt").read_text().splitlines():
        path = line.split("  ", 1)[1]
        lines.append(f"{hashlib.md5((bag / path).read_bytes()).hexdigest()}  {path}\n")
    (bag / "manifest-md5.txt").write_text("".join(lines))
    (bag / "manifest-sha256.txt").unlink()
    (bag / "manifest-sha512.txt").unlink()
    tags = "".join(
        f"{hashlib.sha512((bag / n).read_bytes()).hexdigest()}  {n}\n"
        for n in ("bagit.txt", "bag-info.txt", "manifest-md5.txt")
    )
    (bag / "tagmanifest-sha512.txt").write_text(tags)
    (bag / "tagmanifest-sha256.txt").unlink()
    report = _sign_unchecked_and_verify(bag, pki)
    assert error_codes(report) == {"SIG025"}
    assert any(s.check == "signature.coverage.payload" for s in report.skipped)  # type: ignore[attr-defined]


def test_bag_manifest_with_an_unreadable_line(bag: Path, pki: Pki) -> None:
    with (bag / "manifest-sha256.txt").open("a") as fh:
        fh.write("this line is not a checksum and a path\n")
    _retag(bag)
    report = _sign_unchecked_and_verify(bag, pki)
    assert error_codes(report) == {"SIG026"}
    assert report.findings[0].location.line is not None  # type: ignore[attr-defined]


def test_bag_tag_file_not_in_the_signed_tag_manifest(bag: Path, pki: Pki) -> None:
    (bag / "extra-tags").mkdir()
    (bag / "extra-tags" / "note.txt").write_text("a tag file nobody listed")
    report = _sign_unchecked_and_verify(bag, pki)
    assert error_codes(report) == {"SIG023"}
    assert report.findings[0].location.path == "extra-tags/note.txt"  # type: ignore[attr-defined]


def test_bag_payload_listed_but_missing(bag: Path, pki: Pki) -> None:
    sign_package(bag, signer=pki.default_signer, clock=CLOCK)
    shutil.rmtree(bag / "data")
    (bag / "data").mkdir()
    report = verify_package(bag, trust=[pki.root_file], clock=CLOCK)
    assert error_codes(report) == {"SIG022"}
    assert {f.params["listed_in"] for f in report.findings} <= {"manifest-sha256.txt", "manifest-sha512.txt"}
