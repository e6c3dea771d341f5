"""One fixture per AUD rule code: a storage that triggers it; and the rule catalogue entries are sound."""

from __future__ import annotations

import os
import shutil
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from _bagkit import retag
from luutru_aip.findings import Severity, catalogue, finding

from ._kit import audit, bag, codes, mets_package

Case = Callable[[Path], Counter[str]]


def _audited(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "store"
    root.mkdir()
    bag(root, "bag1")
    bag(root, "bag2")
    db = tmp_path / "audit.sqlite"
    assert audit(root, db).exit_code == 0
    return root, db


def _again(root: Path, db: Path, **kwargs: object) -> Counter[str]:
    return codes(audit(root, db, **kwargs), info=True)


def aud001(tmp_path: Path) -> Counter[str]:
    root, db = _audited(tmp_path)
    (root / "bag1" / "data" / "a.txt").write_bytes(b"jello\n")
    return _again(root, db)


def aud002(tmp_path: Path) -> Counter[str]:
    root, db = _audited(tmp_path)
    (root / "bag1" / "data" / "a.txt").unlink()
    return _again(root, db)


def aud003(tmp_path: Path) -> Counter[str]:
    root, db = _audited(tmp_path)
    (root / "bag1" / "data" / "extra.txt").write_bytes(b"x")
    return _again(root, db)


def aud004(tmp_path: Path) -> Counter[str]:
    root, db = _audited(tmp_path)
    target = root / "bag1" / "data" / "a.txt"
    target.unlink()
    os.mkfifo(target)
    return _again(root, db)


def aud005(tmp_path: Path) -> Counter[str]:
    root, db = _audited(tmp_path)
    os.rename(root / "bag1" / "data" / "a.txt", root / "bag1" / "data" / "b.txt")
    return _again(root, db)


def aud006(tmp_path: Path) -> Counter[str]:
    root = tmp_path / "store"
    pkg = bag(root, "bag1")
    with open(pkg / "manifest-sha256.txt", "a", encoding="utf-8") as fh:
        fh.write("not-a-checksum  data/a.txt\n")
    retag(pkg)
    return codes(audit(root, tmp_path / "audit.sqlite"), info=False)


def aud007(tmp_path: Path) -> Counter[str]:
    root, db = _audited(tmp_path)
    shutil.rmtree(root)
    return _again(root, db)


def aud008(tmp_path: Path) -> Counter[str]:
    root, db = _audited(tmp_path)
    shutil.rmtree(root / "bag2")
    return _again(root, db)


def aud009(tmp_path: Path) -> Counter[str]:
    root, db = _audited(tmp_path)

    def verifier(location: str, *, kind: str) -> list[object]:
        if location.endswith("bag1"):
            return [finding("IO001", path="signatures/package.p7s", reason="the signature does not match")]
        return []

    return _again(root, db, verifier=verifier)


def aud010(tmp_path: Path) -> Counter[str]:
    root = tmp_path / "store"
    root.mkdir()
    with zipfile.ZipFile(root / "khong-phai-goi.zip", "w") as zf:
        zf.writestr("ghi-chu.txt", "không có METS, không phải túi BagIt")
    return codes(audit(root, tmp_path / "audit.sqlite"))


def aud011(tmp_path: Path) -> Counter[str]:
    root = tmp_path / "store"
    bag(root, "bag1")
    return codes(audit(root, tmp_path / "audit.sqlite"), info=True)


def aud012(tmp_path: Path) -> Counter[str]:
    root = tmp_path / "store"
    pkg = mets_package(root, checksum_type="SHA-256")
    text = (pkg / "METS.xml").read_text(encoding="utf-8")
    # the mdRef checksum claims an algorithm the audit cannot compute
    (pkg / "METS.xml").write_text(
        text.replace('CHECKSUMTYPE="SHA-256"/>', 'CHECKSUMTYPE="HAVAL"/>', 1), "utf-8"
    )
    return codes(audit(root, tmp_path / "audit.sqlite"))


def aud013(tmp_path: Path) -> Counter[str]:
    root, db = _audited(tmp_path)
    shutil.move(root / "bag2", tmp_path / "away")
    assert _again(root, db) == Counter({"AUD008": 1})
    shutil.move(tmp_path / "away", root / "bag2")
    return _again(root, db)


def aud014(tmp_path: Path) -> Counter[str]:
    root, db = _audited(tmp_path)
    assert audit(root, db, max_bytes=1, batch_files=1).status == "partial"
    # the package being checked gets a new tag file listed in its tag manifest: its manifests changed
    for name in ("bag1", "bag2"):
        (root / name / "bag-info.txt").write_text("Bagging-Date: 2026-11-22\n", encoding="utf-8")
        retag(root / name)
    return _again(root, db)


CASES: dict[str, tuple[Case, Counter[str]]] = {
    "AUD001": (aud001, Counter({"AUD001": 1})),
    "AUD002": (aud002, Counter({"AUD002": 1})),
    "AUD003": (aud003, Counter({"AUD003": 1})),
    "AUD004": (aud004, Counter({"AUD004": 1})),
    "AUD005": (aud005, Counter({"AUD005": 1})),
    "AUD006": (aud006, Counter({"AUD006": 1})),
    "AUD007": (aud007, Counter({"AUD007": 1})),
    "AUD008": (aud008, Counter({"AUD008": 1})),
    "AUD009": (aud009, Counter({"AUD009": 1})),
    "AUD010": (aud010, Counter({"AUD010": 1})),
    "AUD011": (aud011, Counter({"AUD011": 1})),
    "AUD012": (aud012, Counter({"AUD012": 1})),
    "AUD013": (aud013, Counter({"AUD013": 1})),
    # the restarted check; and each bag's rewritten tag manifest differs from its baseline (an AIP edit)
    "AUD014": (aud014, Counter({"AUD014": 1, "AUD001": 2})),
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_rule_fixture_triggers_its_code(code: str, tmp_path: Path) -> None:
    case, expected = CASES[code]
    found = case(tmp_path)
    assert found[code] == expected[code]
    assert found == expected, found


def test_every_audit_code_has_a_fixture() -> None:
    assert {c for c in catalogue() if c.startswith("AUD")} == set(CASES)


@pytest.mark.parametrize("code", sorted(CASES))
def test_rules_read_well_in_both_languages(code: str) -> None:
    rule = catalogue()[code]
    assert rule.category == "audit"
    assert rule.message_vi != rule.message_en
    # Vietnamese with its diacritics, not an ASCII transliteration
    assert any(ord(ch) > 127 for ch in rule.message_vi + rule.title_vi)
    assert "package" in rule.params or "root" in rule.params
    failing = {"AUD001", "AUD002", "AUD003", "AUD004", "AUD005", "AUD006", "AUD007", "AUD008", "AUD009"}
    assert (rule.severity is Severity.ERROR) == (code in failing)
