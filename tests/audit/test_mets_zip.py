"""METS (E-ARK CSIP-like) folders and ZIPs carrying METS checksums, and bags in ZIPs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from ._kit import assert_consistent, audit, bag, codes, mets_package, rows, sha, zip_folder


@pytest.fixture
def root(tmp_path: Path) -> Path:
    store = tmp_path / "store"
    store.mkdir()
    return store


def run(root: Path) -> tuple[int, Counter[str]]:
    result = audit(root, root.parent / "audit.sqlite")
    assert_consistent(root.parent / "audit.sqlite")
    return result.exit_code, codes(result)


def test_mets_package_every_listed_file_is_checked(root: Path) -> None:
    pkg = mets_package(root)
    result = audit(root, root.parent / "audit.sqlite")
    assert (result.exit_code, codes(result)) == (0, Counter())
    paths = {
        p
        for (p,) in rows(
            root.parent / "audit.sqlite",
            "SELECT f.path FROM file_checks c JOIN files f ON f.file_id = c.file_id WHERE c.outcome = 0",
        )
    }
    # fileSec (percent-encoded names decoded), mdRef, the representation METS and the data it lists,
    # and the root METS itself (against its baseline)
    assert paths == {
        "METS.xml",
        "representations/rep1/METS.xml",
        "representations/rep1/data/trang-001.pdf",
        "representations/rep1/data/trang 002.pdf",
        "metadata/descriptive/ead.xml",
        "documentation/Mục lục.txt",
    }
    identifier = rows(root.parent / "audit.sqlite", "SELECT identifier FROM packages")[0][0]
    assert identifier == "urn:uuid:0f1e2d3c-0000-4000-8000-000000000001"
    assert pkg.is_dir()


def test_mets_representation_file_changed_missing_extra(root: Path) -> None:
    pkg = mets_package(root)
    assert run(root) == (0, Counter())
    (pkg / "representations/rep1/data/trang-001.pdf").write_bytes(b"changed")
    (pkg / "metadata/descriptive/ead.xml").unlink()
    (pkg / "representations/rep1/data/thêm.pdf").write_bytes(b"%PDF extra")
    assert run(root) == (1, Counter({"AUD001": 1, "AUD002": 1, "AUD003": 1}))


def test_mets_moved_file(root: Path) -> None:
    pkg = mets_package(root)
    assert run(root) == (0, Counter())
    (pkg / "documentation/Mục lục.txt").rename(pkg / "documentation/muc-luc.txt")
    assert run(root) == (1, Counter({"AUD005": 1}))


def test_root_mets_edited_is_caught_by_its_baseline(root: Path) -> None:
    pkg = mets_package(root)
    assert run(root) == (0, Counter())
    text = (pkg / "METS.xml").read_text(encoding="utf-8").replace('LABEL="Hồ sơ 01"', 'LABEL="Hồ sơ 02"', 1)
    (pkg / "METS.xml").write_text(text, encoding="utf-8")
    assert run(root) == (1, Counter({"AUD001": 1}))


def test_representation_mets_edited_is_changed(root: Path) -> None:
    pkg = mets_package(root)
    assert run(root) == (0, Counter())
    rep = pkg / "representations/rep1/METS.xml"
    rep.write_bytes(rep.read_bytes().replace(b'OBJID="rep1"', b'OBJID="rep9"'))
    assert run(root) == (1, Counter({"AUD001": 1}))


def test_broken_mets_is_damaged_not_every_file_extra(root: Path) -> None:
    pkg = mets_package(root)
    assert run(root) == (0, Counter())
    (pkg / "METS.xml").write_bytes(b"<mets:mets xmlns:mets='http://www.loc.gov/METS/'><unclosed>")
    code, found = run(root)
    assert code == 1
    # the damage, and the root METS differing from its baseline; nothing reported as extra
    assert found == Counter({"AUD006": 1, "AUD001": 1})


def test_mets_with_entity_declarations_is_refused_as_damaged(root: Path) -> None:
    pkg = mets_package(root, "evil")
    (pkg / "METS.xml").write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<mets:mets xmlns:mets='http://www.loc.gov/METS/'>&x;</mets:mets>"
    )
    code, found = run(root)
    assert (code, found) == (1, Counter({"AUD006": 1}))


def test_mets_href_leaving_the_package_is_damage(root: Path) -> None:
    pkg = mets_package(root)
    text = (pkg / "METS.xml").read_text(encoding="utf-8")
    (pkg / "METS.xml").write_text(
        text.replace('xlink:href="metadata/descriptive/ead.xml"', 'xlink:href="../../etc/passwd"'),
        encoding="utf-8",
    )
    code, found = run(root)
    assert (code, found) == (1, Counter({"AUD006": 1}))


def test_unsupported_checksum_type_falls_back_to_the_baseline(root: Path) -> None:
    pkg = mets_package(root)
    rep = pkg / "representations/rep1/METS.xml"
    before = rep.read_bytes()
    rep.write_bytes(before.replace(b'CHECKSUMTYPE="SHA-256"', b'CHECKSUMTYPE="Adler-32"', 1))
    after = rep.read_bytes()
    root_mets = pkg / "METS.xml"  # keep the root METS true to the edited representation METS
    root_mets.write_bytes(
        root_mets.read_bytes().replace(
            f'SIZE="{len(before)}" CHECKSUM="{sha(before)}"'.encode(),
            f'SIZE="{len(after)}" CHECKSUM="{sha(after)}"'.encode(),
        )
    )
    first = audit(root, root.parent / "audit.sqlite")
    assert (first.exit_code, codes(first)) == (0, Counter({"AUD012": 1}))
    (pkg / "representations/rep1/data/trang-001.pdf").write_bytes(b"changed")
    code, found = run(root)
    assert (code, found) == (1, Counter({"AUD012": 1, "AUD001": 1}))


@pytest.mark.parametrize("top", [None, "HS-01"])
def test_zip_with_mets_checksums(root: Path, tmp_path: Path, top: str | None) -> None:
    source = mets_package(tmp_path / "src")
    zipped = zip_folder(source, root / "goi.zip", top=top)
    assert run(root) == (0, Counter())
    kinds = rows(root.parent / "audit.sqlite", "SELECT kind FROM packages")
    assert kinds == [("zip",)]
    # the same archive with one member changed, one missing and one added
    zip_folder(
        source,
        zipped,
        top=top,
        replace={"representations/rep1/data/trang-001.pdf": b"changed"},
        skip=("documentation/Mục lục.txt",),
        add={"representations/rep1/data/thừa.pdf": b"extra"},
    )
    assert run(root) == (1, Counter({"AUD001": 1, "AUD002": 1, "AUD003": 1}))


def test_zip_member_with_bad_crc_is_changed(root: Path, tmp_path: Path) -> None:
    import zipfile

    source = mets_package(tmp_path / "src")
    target = root / "goi.zip"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as zf:
        for path in sorted(source.rglob("*")):
            if path.is_file():
                zf.writestr(path.relative_to(source).as_posix(), path.read_bytes())
    assert run(root) == (0, Counter())
    data = bytearray(target.read_bytes())
    offset = data.find(b"%PDF-1.4 one")
    data[offset + 3] ^= 0x20  # flip one stored byte: the member's CRC-32 no longer matches
    target.write_bytes(bytes(data))
    assert run(root) == (1, Counter({"AUD001": 1}))


def test_zipped_bag(root: Path, tmp_path: Path) -> None:
    source = bag(tmp_path / "src", "bag")
    zip_folder(source, root / "tui.zip", top="bag")
    assert run(root) == (0, Counter())
    zip_folder(source, root / "tui.zip", top="bag", replace={"data/a.txt": b"jello\n"})
    assert run(root) == (1, Counter({"AUD001": 1}))


def test_zip_without_checksums_has_nothing_to_verify(root: Path) -> None:
    import zipfile

    with zipfile.ZipFile(root / "other.zip", "w") as zf:
        zf.writestr("notes.txt", "no METS, no bag")
    result = audit(root, root.parent / "audit.sqlite")
    assert (result.exit_code, codes(result)) == (0, Counter({"AUD010": 1}))  # a warning, not a failure


def test_file_that_is_not_a_zip_is_damaged(root: Path) -> None:
    (root / "broken.zip").write_bytes(b"PK\x03\x04 this is not really a zip")
    code, found = run(root)
    assert (code, found) == (1, Counter({"AUD006": 1}))


def test_removed_zip_is_a_vanished_package(root: Path, tmp_path: Path) -> None:
    source = mets_package(tmp_path / "src")
    zip_folder(source, root / "goi.zip")
    bag(root, "other")  # a root whose *only* package disappears looks unmounted: see test_outcomes
    assert run(root) == (0, Counter())
    (root / "goi.zip").unlink()
    assert run(root) == (1, Counter({"AUD008": 1}))
