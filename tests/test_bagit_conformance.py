"""The Library of Congress BagIt conformance suite (``../shared/bagit-conformance-suite``).

valid → valid; invalid and linux-only → invalid; warning → valid with at least one warning.
The windows-only cases are not Windows-specific for us (our path checks are the same on every
platform), so they are run too and must be invalid. Cases that cannot be judged as shipped are
explained in docs/bagit-conformance.md.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from luutru_aip.findings import Severity
from luutru_aip.validate import validate


def suite_root() -> Path:
    shared = os.environ.get("LUUTRU_AIP_SHARED", "").strip()
    base = Path(shared) if shared else Path(__file__).resolve().parents[1] / ".." / "shared"
    return base / "bagit-conformance-suite"


SUITE = suite_root()


def cases(kind: str) -> list[Path]:
    if not SUITE.is_dir():
        return []
    return sorted(p for p in SUITE.glob(f"v*/{kind}/*") if p.is_dir())


def ids(paths: list[Path]) -> list[str]:
    return [p.relative_to(SUITE).as_posix() for p in paths]


@pytest.fixture(autouse=True)
def _need_suite() -> None:
    if not SUITE.is_dir():
        message = f"BagIt conformance suite not found at {SUITE} (set LUUTRU_AIP_SHARED)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


VALID = cases("valid")
INVALID = cases("invalid") + cases("linux-only")
WINDOWS = cases("windows-only")
# The suite's copy of this case lost data/.DS_Store (Payload-Oxum 0.2 says two files); see the test below.
DAMAGED = {"v0.97/warning/special-system-files"}
WARNING = [p for p in cases("warning") if p.relative_to(SUITE).as_posix() not in DAMAGED]


def describe(report_path: Path, workers: int = 1) -> tuple[bool, list[str]]:
    report = validate(report_path, workers=workers)
    return report.valid, [f"{f.code} {f.message()}" for f in report.findings]


@pytest.mark.parametrize("bag", VALID, ids=ids(VALID))
def test_valid_bags_are_valid(bag: Path) -> None:
    ok, messages = describe(bag)
    assert ok, messages


@pytest.mark.parametrize("bag", INVALID, ids=ids(INVALID))
def test_invalid_bags_are_invalid(bag: Path) -> None:
    ok, messages = describe(bag, workers=2)
    assert not ok, messages


@pytest.mark.parametrize("bag", WARNING, ids=ids(WARNING))
def test_warning_bags_are_valid_with_a_warning(bag: Path) -> None:
    report = validate(bag)
    assert report.valid, [f.message() for f in report.findings]
    assert any(f.severity == Severity.WARNING for f in report.findings)


@pytest.mark.parametrize("bag", WINDOWS, ids=ids(WINDOWS))
def test_windows_only_bags(bag: Path) -> None:
    # The suite marks these as meaningful on Windows only; our path checks are the same on every
    # platform (drive letters, UNC, backslashes), so they are rejected here too.
    report = validate(bag)
    assert not report.valid
    assert "BAG017" in {f.code for f in report.findings}


def test_special_system_files_with_its_lost_file_restored(tmp_path: Path) -> None:
    source = SUITE / "v0.97" / "warning" / "special-system-files"
    copy = tmp_path / "bag"
    shutil.copytree(source, copy)
    for folder in (copy, copy / "data"):
        folder.chmod(0o755)
    ds_store = copy / "data" / ".DS_Store"
    if not ds_store.exists():
        ds_store.write_bytes(b"")  # the manifest lists it with the SHA-512 of empty content
    report = validate(copy)
    assert report.valid, [f.message() for f in report.findings]
    assert "BAG065" in {f.code for f in report.findings}


def test_special_system_files_as_shipped_is_reported_incomplete() -> None:
    bag = SUITE / "v0.97" / "warning" / "special-system-files"
    if (bag / "data" / ".DS_Store").exists():
        pytest.skip("this copy of the suite has data/.DS_Store")
    report = validate(bag)
    assert {"BAG018", "BAG044"} <= {f.code for f in report.findings}
