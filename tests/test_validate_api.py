"""The public validation API: validate, iter_findings, is_valid (issue 5)."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from _bagkit import make_bag, retag
from luutru_aip.errors import InputError, UsageError
from luutru_aip.findings import Severity
from luutru_aip.validate import is_valid, iter_findings, validate


def test_missing_path_raises_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        validate(tmp_path / "nope")
    with pytest.raises(InputError):
        iter_findings(tmp_path / "nope")


@pytest.mark.parametrize("profile", ["whatever", "CSIPX"])
def test_unavailable_profile_is_a_usage_error(tmp_path: Path, profile: str) -> None:
    bag = make_bag(tmp_path / "bag")
    with pytest.raises(UsageError, match="profile"):
        validate(bag, profile=profile)


def test_folder_that_is_not_a_bag(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    with pytest.raises(UsageError, match="bagit"):
        validate(tmp_path / "plain")
    report = validate(tmp_path / "plain", profile="bagit")
    assert {"BAG001", "BAG010", "BAG011"} <= {f.code for f in report.findings}


def test_bag_without_bagit_txt_is_detected_as_a_broken_bag(tmp_path: Path) -> None:
    bag = make_bag(tmp_path / "bag")
    (bag / "bagit.txt").unlink()
    report = validate(bag)
    assert report.profile == "bagit"
    assert not report.valid
    assert "BAG001" in {f.code for f in report.findings}
    assert any(s.check == "bagit.checksums" and "broken" in s.reason for s in report.skipped)


def test_iter_findings_is_lazy(tmp_path: Path) -> None:
    bag = make_bag(tmp_path / "bag")
    (bag / "data" / "a.txt").write_bytes(b"jello\n")
    found = iter_findings(bag)
    assert isinstance(found, types.GeneratorType)
    assert {f.code for f in found} == {"BAG022"}


def test_fast_mode_skips_hashing(tmp_path: Path) -> None:
    bag = make_bag(tmp_path / "bag")
    (bag / "data" / "a.txt").write_bytes(b"jello\n")  # same size: only hashing can tell
    report = validate(bag, fast=True)
    assert report.valid
    assert report.findings == ()
    assert [s.check for s in report.skipped] == ["bagit.checksums"]
    assert not validate(bag).valid


def test_fast_mode_sees_sizes(tmp_path: Path) -> None:
    bag = make_bag(tmp_path / "bag")
    (bag / "data" / "a.txt").write_bytes(b"longer content\n")
    assert {f.code for f in validate(bag, fast=True).findings} == {"BAG044"}


def test_threshold_and_is_valid(tmp_path: Path) -> None:
    bag = make_bag(tmp_path / "bag")
    (bag / "data" / ".DS_Store").write_bytes(b"")
    from _bagkit import oxum, write_manifest

    write_manifest(bag, "sha256", ["data/a.txt", "data/sub/b.txt", "data/.DS_Store"])
    write_manifest(bag, "sha512", ["data/a.txt", "data/sub/b.txt", "data/.DS_Store"])
    (bag / "bag-info.txt").write_text(f"Payload-Oxum: {oxum(bag)}\n", encoding="utf-8")
    retag(bag)
    assert is_valid(bag)
    assert not is_valid(bag, threshold=Severity.WARNING)
    report = validate(bag, threshold=Severity.WARNING)
    assert report.threshold == Severity.WARNING
    assert not report.valid


def test_workers_give_the_same_report(tmp_path: Path) -> None:
    files = {f"data/d{i % 7}/f{i}.bin": bytes([i % 256]) * (i * 37 % 3000) for i in range(400)}
    bag = make_bag(tmp_path / "bag", files=files)
    for name in ("data/d1/f8.bin", "data/d3/f10.bin"):
        path = bag / name
        path.write_bytes(bytes(reversed(path.read_bytes())) + b"")
    (bag / "data" / "d2" / "f9.bin").write_bytes(b"\xff" * (9 * 37 % 3000))
    one = validate(bag, workers=1)
    two = validate(bag, workers=2)
    assert one.findings == two.findings
    assert {f.location.path for f in one.findings if f.code == "BAG022"} == {"data/d2/f9.bin"}


def test_report_to_dict(tmp_path: Path) -> None:
    bag = make_bag(tmp_path / "bag")
    doc = validate(bag).to_dict("vi")
    assert doc["valid"] is True
    assert doc["profile"] == "bagit"
    assert doc["findings"] == []


def test_big_manifest_is_streamed(tmp_path: Path) -> None:
    bag = make_bag(tmp_path / "bag")
    with open(bag / "manifest-sha256.txt", "a", encoding="utf-8") as fh:
        for i in range(20_000):
            fh.write(f"{'0' * 64}  data/ghost/{i}.txt\n")
    retag(bag)
    report = validate(bag)
    counts = {f.code: 0 for f in report.findings}
    for f in report.findings:
        counts[f.code] += 1
    assert counts["BAG018"] == 200  # capped
    summary = [f for f in report.findings if f.code == "BAG070"]
    assert summary
    assert summary[0].params["found"] == 20_000 - 200
