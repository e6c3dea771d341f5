"""``validate`` on signed packages (issue 6): the signature is verified whenever one is present.

Real packages are built with :func:`luutru_aip.build.build_package` (folder, bag, ZIP), signed with
:func:`luutru_aip.signing.sign_package` under a tiny PKI (root CA → signer), and validated:

* with the root as trust anchor: no problem at all, one SIG020 note;
* without trust anchors: an error (SIG017 raised from a warning), since the claim cannot be verified;
* one changed payload byte: the signature coverage (SIG021) *and* the BagIt / METS fixity findings;
* the signature file is exempt from BAG033 / METS016, and only that exact path is;
* unsigned packages: exactly the same report as before (no finding, nothing skipped).
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from builder._fixtures import PROFILE, make_source
from luutru_aip.build import BuildOptions, build_package
from luutru_aip.cli import main
from luutru_aip.errors import InputError, UsageError
from luutru_aip.findings import Report, Severity
from luutru_aip.metadata.schemastore import SchemaStore
from luutru_aip.signing import (
    ENV_CRL,
    ENV_TRUST,
    ENV_TSA_TRUST,
    SIGNATURE_PATH,
    Signer,
    TrustConfig,
    sign_package,
)
from luutru_aip.validate import is_valid, iter_findings, validate
from luutru_aip.validate.bagit import BagValidator
from signing.conftest import CA_KU, NOW, SIGN_KU, make_cert, name, pem

FORMATS = ("dir", "bag", "zip")
PAYLOAD = "representations/rep1/data/hop01/hoso01/001.pdf"


@attrs.frozen
class TinyPki:
    root_file: Path
    other_root_file: Path
    signer: Signer


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TinyPki:
    folder = tmp_path_factory.mktemp("tiny-pki")
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = name("Root CA kiểm tra validate")
    root = make_cert(root_name, root_key, root_name, root_key, ca=True, ku=CA_KU)
    other_key = ec.generate_private_key(ec.SECP256R1())
    other_name = name("Một CA khác", org="Không liên quan")
    other = make_cert(other_name, other_key, other_name, other_key, ca=True, ku=CA_KU)
    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer_cert = make_cert(
        name("Lưu trữ lịch sử tỉnh Nghệ An"), signer_key, root_name, root_key, ca=False, ku=SIGN_KU
    )
    (folder / "root.pem").write_bytes(pem(root))
    (folder / "other.pem").write_bytes(pem(other))
    return TinyPki(
        root_file=folder / "root.pem",
        other_root_file=folder / "other.pem",
        signer=Signer(key=signer_key, certificate=signer_cert, chain=()),
    )


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory, schema_store: SchemaStore) -> dict[str, Path]:
    """One unsigned package per format, built once; tests work on copies."""
    base = tmp_path_factory.mktemp("signed-validate")
    source, record = make_source(base)
    out: dict[str, Path] = {}
    for fmt in FORMATS:
        target = base / fmt
        target.mkdir()
        result = build_package(
            record,
            source_root=source,
            out_dir=target,
            profile=PROFILE,
            options=BuildOptions(format=fmt),
            clock=NOW,
            store=schema_store,
        )
        assert result.built, result.findings
        assert result.path is not None
        out[fmt] = result.path
    return out


def _copy(originals: dict[str, Path], fmt: str, tmp_path: Path) -> Path:
    source = originals[fmt]
    target = tmp_path / fmt / source.name
    target.parent.mkdir(exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copy2(source, target)
    return target


def _signed(originals: dict[str, Path], fmt: str, tmp_path: Path, pki: TinyPki) -> Path:
    package = _copy(originals, fmt, tmp_path)
    sign_package(package, signer=pki.signer, clock=lambda: NOW)
    return package


def _check(package: Path, store: SchemaStore, **options: Any) -> Report:
    return validate(package, schema_store=store, **options)


def _codes(report: Report, at_least: Severity = Severity.INFO) -> set[str]:
    return {f.code for f in report.findings if f.severity >= at_least}


def _zip_root(package: Path) -> str:
    with zipfile.ZipFile(package) as archive:
        return archive.namelist()[0].split("/", 1)[0] + "/"


def _shown_signature(package: Path, fmt: str) -> str:
    return (_zip_root(package) if fmt == "zip" else "") + SIGNATURE_PATH


def _payload_name(fmt: str) -> str:
    return f"data/{PAYLOAD}" if fmt == "bag" else PAYLOAD


def _rewrite_zip(package: Path, member_suffix: str, change: Callable[[bytes], bytes]) -> None:
    """Copy the ZIP member by member; the member ending in ``member_suffix`` goes through ``change``."""
    temporary = package.with_name(package.name + ".tmp")
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(temporary, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith(member_suffix):
                data = change(data)
            target.writestr(info, data)
    temporary.replace(package)


def _change(package: Path, fmt: str, rel: str, change: Callable[[bytes], bytes]) -> None:
    if fmt == "zip":
        _rewrite_zip(package, "/" + rel, change)
    else:
        target = package / rel
        target.write_bytes(change(target.read_bytes()))


def _flip_middle_byte(data: bytes) -> bytes:
    changed = bytearray(data)
    changed[len(changed) // 2] ^= 0x01
    return bytes(changed)


# --------------------------------------------------------------------------- verified


@pytest.mark.parametrize("fmt", FORMATS)
def test_signed_package_with_its_trust_anchor_has_no_problem(
    originals: dict[str, Path], tmp_path: Path, pki: TinyPki, schema_store: SchemaStore, fmt: str
) -> None:
    package = _signed(originals, fmt, tmp_path, pki)
    report = _check(package, schema_store, trust=[pki.root_file], workers=2)
    assert report.valid
    assert _codes(report) == {"SIG020"}, [(f.code, str(f.location)) for f in report.findings]
    assert "Nghệ An" in report.findings[0].message("vi")
    assert {s.check for s in report.skipped} == {"signature.revocation"}
    assert "cryptography" in report.tool_versions
    assert is_valid(package, schema_store=schema_store, trust=[pki.root_file])
    # the same through the lazy API, with a ready TrustConfig
    config = TrustConfig.build(trust=[pki.root_file])
    assert {f.code for f in iter_findings(package, schema_store=schema_store, trust=config)} == {"SIG020"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_signed_package_without_trust_anchors_is_an_error(
    originals: dict[str, Path], tmp_path: Path, pki: TinyPki, schema_store: SchemaStore, fmt: str
) -> None:
    package = _signed(originals, fmt, tmp_path, pki)
    report = _check(package, schema_store)
    assert not report.valid
    problems = [f for f in report.findings if f.severity >= Severity.WARNING]
    assert [(f.code, f.severity, f.location.path) for f in problems] == [
        ("SIG017", Severity.ERROR, _shown_signature(package, fmt))
    ]
    assert "signature.trust" in {s.check for s in report.skipped}
    assert not is_valid(package, schema_store=schema_store)


def test_signature_under_another_root_is_an_error(
    originals: dict[str, Path], tmp_path: Path, pki: TinyPki, schema_store: SchemaStore
) -> None:
    package = _signed(originals, "bag", tmp_path, pki)
    report = _check(package, schema_store, trust=[pki.other_root_file])
    assert _codes(report, Severity.ERROR) == {"SIG008"}


def test_crls_are_passed_on(
    originals: dict[str, Path], tmp_path: Path, pki: TinyPki, schema_store: SchemaStore
) -> None:
    package = _signed(originals, "dir", tmp_path, pki)
    missing_crl = tmp_path / "none.crl"
    with pytest.raises(InputError):
        validate(package, schema_store=schema_store, trust=[pki.root_file], crls=[missing_crl])
    with pytest.raises(UsageError):
        validate(
            package,
            schema_store=schema_store,
            trust=TrustConfig.build(trust=[pki.root_file]),
            crls=[missing_crl],
        )


def test_zipped_signed_bag(
    originals: dict[str, Path], tmp_path: Path, pki: TinyPki, schema_store: SchemaStore
) -> None:
    """A bag zipped with its folder: the bag's own signature is verified through the ZIP."""
    bag = _signed(originals, "bag", tmp_path, pki)
    archive = tmp_path / "bag.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for file in sorted(p for p in bag.rglob("*") if p.is_file()):
            zf.write(file, file.relative_to(bag.parent).as_posix())
    assert _codes(_check(archive, schema_store, trust=[pki.root_file])) == {"SIG020"}
    report = _check(archive, schema_store)
    assert [(f.code, f.location.path) for f in report.findings if f.severity >= Severity.WARNING] == [
        ("SIG017", f"{bag.name}/{SIGNATURE_PATH}")
    ]


# --------------------------------------------------------------------------- tampering


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_changed_payload_byte_is_caught_twice(
    originals: dict[str, Path], tmp_path: Path, pki: TinyPki, schema_store: SchemaStore, fmt: str
) -> None:
    package = _signed(originals, fmt, tmp_path, pki)
    _change(package, fmt, _payload_name(fmt), _flip_middle_byte)
    report = _check(package, schema_store, trust=[pki.root_file])
    errors = _codes(report, Severity.ERROR)
    assert "SIG021" in errors  # the signature no longer covers the file as it is
    assert ("BAG022" if fmt == "bag" else "METS008") in errors  # the package's own fixity
    assert "SIG020" not in _codes(report)
    changed = {f.location.path for f in report.findings if f.code == "SIG021"}
    assert all(path is not None and path.endswith("001.pdf") for path in changed)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_changed_signature_is_caught(
    originals: dict[str, Path], tmp_path: Path, pki: TinyPki, schema_store: SchemaStore, fmt: str
) -> None:
    package = _signed(originals, fmt, tmp_path, pki)
    _change(package, fmt, SIGNATURE_PATH, lambda data: data[:-1] + bytes([data[-1] ^ 0x01]))
    report = _check(package, schema_store, trust=[pki.root_file])
    errors = _codes(report, Severity.ERROR)
    assert errors
    assert all(code.startswith("SIG") for code in errors), errors


def test_fast_mode_checks_the_signed_file_only(
    originals: dict[str, Path], tmp_path: Path, pki: TinyPki, schema_store: SchemaStore
) -> None:
    package = _signed(originals, "dir", tmp_path, pki)
    report = _check(package, schema_store, trust=[pki.root_file], fast=True)
    assert _codes(report) == {"SIG020"}
    coverage = [s for s in report.skipped if s.check == "signature.coverage"]
    assert len(coverage) == 1
    assert "fast mode" in coverage[0].reason
    # a changed payload byte is not hashed in fast mode (by the signature check or by fixity) …
    _change(package, "dir", PAYLOAD, _flip_middle_byte)
    assert _codes(_check(package, schema_store, trust=[pki.root_file], fast=True)) == {"SIG020"}
    # … but the signed METS.xml itself is always checked
    _change(package, "dir", "METS.xml", lambda data: data + b"\n")
    report = _check(package, schema_store, trust=[pki.root_file], fast=True)
    assert "SIG004" in _codes(report, Severity.ERROR)


# --------------------------------------------------------------------------- exemptions


@pytest.mark.parametrize("fmt", FORMATS)
def test_unsigned_package_is_unchanged(
    originals: dict[str, Path], tmp_path: Path, pki: TinyPki, schema_store: SchemaStore, fmt: str
) -> None:
    package = _copy(originals, fmt, tmp_path)
    for options in ({}, {"trust": [pki.root_file]}, {"fast": True}):
        report = _check(package, schema_store, **options)
        assert report.findings == ()
        assert report.skipped == () or options.get("fast")
        assert not any(s.check.startswith("signature") for s in report.skipped)
        assert "cryptography" not in report.tool_versions


def test_other_unlisted_files_still_count_in_a_folder(
    originals: dict[str, Path], tmp_path: Path, pki: TinyPki, schema_store: SchemaStore
) -> None:
    package = _signed(originals, "dir", tmp_path, pki)
    (package / "signatures" / "package.p7s.bak").write_bytes(b"old")
    (package / "signatures" / "PACKAGE.p7s").write_bytes(b"other")
    report = _check(package, schema_store, trust=[pki.root_file])
    unreferenced = {f.location.path for f in report.findings if f.code == "METS016"}
    assert unreferenced == {"signatures/package.p7s.bak", "signatures/PACKAGE.p7s"}
    # the signature check sees them too: nothing signed covers them
    assert {f.location.path for f in report.findings if f.code == "SIG023"} == unreferenced


def test_other_unlisted_tag_files_still_count_in_a_bag(
    originals: dict[str, Path], tmp_path: Path, pki: TinyPki, schema_store: SchemaStore
) -> None:
    package = _signed(originals, "bag", tmp_path, pki)
    (package / "signatures" / "note.txt").write_bytes(b"ghi chu\n")
    report = _check(package, schema_store, trust=[pki.root_file])
    bag033 = {f.location.path for f in report.findings if f.code == "BAG033"}
    assert bag033 == {"signatures/note.txt"}
    # without the exemption (a plain BagIt check) the signature is an unlisted tag file like any other
    plain = {f.location.path for f in BagValidator(package).findings() if f.code == "BAG033"}
    assert plain == {"signatures/note.txt", SIGNATURE_PATH}
    exempt = {
        f.location.path
        for f in BagValidator(package, signature_path=SIGNATURE_PATH).findings()
        if f.code == "BAG033"
    }
    assert exempt == {"signatures/note.txt"}


def test_package_signature_inside_a_bag_payload_is_not_exempt(
    originals: dict[str, Path], tmp_path: Path, pki: TinyPki, schema_store: SchemaStore
) -> None:
    """A bag signs its own root; ``data/signatures/package.p7s`` is an ordinary payload file there."""
    package = _copy(originals, "bag", tmp_path)
    stray = package / "data" / SIGNATURE_PATH
    stray.parent.mkdir()
    stray.write_bytes(b"not a signature")
    report = _check(package, schema_store, trust=[pki.root_file])
    assert ("METS016", f"data/{SIGNATURE_PATH}") in {(f.code, f.location.path) for f in report.findings}
    assert not any(f.code.startswith("SIG") for f in report.findings)  # the bag itself is not signed


@pytest.mark.parametrize("fmt", ["dir", "bag"])
def test_a_file_that_only_claims_to_be_a_signature_is_an_error(
    originals: dict[str, Path], tmp_path: Path, pki: TinyPki, schema_store: SchemaStore, fmt: str
) -> None:
    package = _copy(originals, fmt, tmp_path)
    (package / "signatures").mkdir()
    (package / SIGNATURE_PATH).write_bytes(b"-----BEGIN PKCS7-----\nnot really\n")
    report = _check(package, schema_store, trust=[pki.root_file])
    assert _codes(report, Severity.WARNING) == {"SIG002"}


def test_signature_of_an_unrecognisable_package_is_an_error(
    tmp_path: Path, schema_store: SchemaStore
) -> None:
    """Checked as CSIP, a folder without METS.xml: the signing module cannot tell what was signed."""
    package = tmp_path / "khong-co-mets"
    (package / "signatures").mkdir(parents=True)
    (package / SIGNATURE_PATH).write_bytes(b"\x30\x00")
    report = _check(package, schema_store, profile="csip")
    sig = [(f.code, f.severity, f.location.path) for f in report.findings if f.code.startswith("SIG")]
    assert sig == [("SIG028", Severity.ERROR, "METS.xml")]
    assert not any(f.code == "METS016" and f.location.path == SIGNATURE_PATH for f in report.findings)


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def no_trust_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in (ENV_TRUST, ENV_CRL, ENV_TSA_TRUST):
        monkeypatch.delenv(variable, raising=False)


@pytest.mark.usefixtures("no_trust_env")
def test_cli_trust_option(
    originals: dict[str, Path],
    tmp_path: Path,
    pki: TinyPki,
    schema_store: SchemaStore,
    capsys: pytest.CaptureFixture[str],
) -> None:
    package = _signed(originals, "zip", tmp_path, pki)
    assert main(["validate", "--trust", str(pki.root_file), str(package)]) == 0
    capsys.readouterr()
    assert main(["validate", "--json", "--lang", "en", str(package)]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [(f["code"], f["severity"]) for f in doc["findings"]] == [("SIG017", "error")]
    assert main(["validate", "--trust", str(pki.other_root_file), str(package)]) == 1
    capsys.readouterr()
    assert main(["validate", "--trust", str(tmp_path / "missing.pem"), str(package)]) == 2


@pytest.mark.usefixtures("no_trust_env")
def test_cli_reads_trust_from_the_environment(
    originals: dict[str, Path],
    tmp_path: Path,
    pki: TinyPki,
    schema_store: SchemaStore,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    package = _signed(originals, "bag", tmp_path, pki)
    unsigned = _copy(originals, "dir", tmp_path)
    monkeypatch.setenv(ENV_TRUST, str(pki.root_file))
    assert main(["validate", "--json", str(package), str(unsigned)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [[f["code"] for f in r["findings"]] for r in doc["reports"]] == [["SIG020"], []]
    # an explicit --trust wins over the environment
    assert main(["validate", "--trust", str(pki.other_root_file), str(package)]) == 1
