"""One fixture per BAG rule code: a bag that triggers exactly that code; good bags trigger none.

Each case starts from a valid bag written by ``_bagkit`` (independent of luutru_aip) and breaks one thing.
"""

from __future__ import annotations

import os
import shutil
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from _bagkit import digest, make_bag, oxum, retag, write_manifest
from luutru_aip.findings import Severity, catalogue
from luutru_aip.validate import iter_findings, validate
from luutru_aip.validate.bagit import BagValidator

SHA256_A = digest(b"hello\n", "sha256")


def codes(bag: Path, **kwargs: object) -> set[str]:
    return {f.code for f in iter_findings(bag, profile="bagit", **kwargs)}  # type: ignore[arg-type]


def append(path: Path, text: str | bytes) -> None:
    with open(path, "ab") as fh:
        fh.write(text if isinstance(text, bytes) else text.encode())


def set_bag_info(bag: Path, text: str) -> None:
    (bag / "bag-info.txt").write_text(text, encoding="utf-8")
    retag(bag)


def add_payload(bag: Path, rel: str, data: bytes, *, list_in: tuple[str, ...] = ("sha256", "sha512")) -> None:
    target = bag / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    for algorithm in list_in:
        append(bag / f"manifest-{algorithm}.txt", f"{digest(data, algorithm)}  {rel}\n")
    set_bag_info(bag, f"Bagging-Date: 2026-11-21\nPayload-Oxum: {oxum(bag)}\n")


def bad_line(bag: Path, line: str, manifest: str = "manifest-sha256.txt") -> None:
    append(bag / manifest, line)
    retag(bag)


# --------------------------------------------------------------------------- mutations


def bag001(bag: Path) -> None:
    (bag / "bagit.txt").unlink()
    retag(bag)


def bag002(bag: Path) -> None:
    (bag / "bagit.txt").write_bytes(b"\xef\xbb\xbfBagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    retag(bag)


def bag003(bag: Path) -> None:
    (bag / "bagit.txt").write_bytes(b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\xff\n")
    retag(bag)


def bag004(bag: Path) -> None:
    (bag / "bagit.txt").write_bytes(b"BagIt-Version : 1.0\nTag-File-Character-Encoding: UTF-8\n")
    retag(bag)


def bag005(bag: Path) -> None:
    (bag / "bagit.txt").write_bytes(b"BagIt-Version: .97\nTag-File-Character-Encoding: UTF-8\n")
    retag(bag)


def bag006(bag: Path) -> None:
    (bag / "bagit.txt").write_bytes(b"BagIt-Version: 1.0\nTag-File-Character-Encoding: ISO-8859-1\n")
    set_bag_info(bag, f"Bagging-Date: 2026-11-21\nPayload-Oxum: {oxum(bag)}\n")


def bag007(bag: Path) -> None:
    (bag / "bagit.txt").write_bytes(b"BagIt-Version: 1.0\nTag-File-Character-Encoding: KLINGON-9\n")
    retag(bag)


def bag008(bag: Path) -> None:
    (bag / "bagit.txt").write_bytes(b"BagIt-Version: 2.0\nTag-File-Character-Encoding: UTF-8\n")
    retag(bag)


def bag010(bag: Path) -> None:
    shutil.rmtree(bag / "data")
    for algorithm in ("sha256", "sha512"):
        (bag / f"manifest-{algorithm}.txt").write_text("", encoding="utf-8")
    retag(bag)


def bag011(bag: Path) -> None:
    for algorithm in ("sha256", "sha512"):
        (bag / f"manifest-{algorithm}.txt").unlink()
    retag(bag)


def bag012(bag: Path) -> None:
    (bag / "manifest-whirlpool.txt").write_text("abcd  data/a.txt\nabcd  data/sub/b.txt\n", encoding="utf-8")
    retag(bag)


def bag013(bag: Path) -> None:
    shutil.rmtree(bag)
    make_bag(bag, algorithms=("md5",), tag_algorithms=("md5",))


def bag014(bag: Path) -> None:
    bad_line(bag, "a-line-without-any-separator\n")


def bag015(bag: Path) -> None:
    lines = (bag / "manifest-sha256.txt").read_text(encoding="utf-8").splitlines(keepends=True)
    lines[0] = "zz" + lines[0][2:]
    (bag / "manifest-sha256.txt").write_text("".join(lines), encoding="utf-8")
    retag(bag)


def bag016(bag: Path) -> None:
    bad_line(bag, f"{SHA256_A}  notes.txt\n")


def bag017(bag: Path) -> None:
    bad_line(bag, f"{SHA256_A}  data/../../etc/passwd\n")


def bag018(bag: Path) -> None:
    bad_line(bag, f"{SHA256_A}  data/missing.txt\n")


def bag019(bag: Path) -> None:
    (bag / "data" / "extra.txt").write_bytes(b"not listed")
    set_bag_info(bag, f"Bagging-Date: 2026-11-21\nPayload-Oxum: {oxum(bag)}\n")


def bag020(bag: Path) -> None:
    bad_line(bag, f"{SHA256_A}  data/a.txt\n")


def bag021(bag: Path) -> None:
    shutil.rmtree(bag)
    make_bag(bag, version="0.97")
    bad_line(bag, f"{SHA256_A}  data/a.txt\n")


def bag022(bag: Path) -> None:
    (bag / "data" / "a.txt").write_bytes(b"jello\n")  # same size: only the checksums differ


def bag023(bag: Path) -> None:
    bad_line(bag, f"{SHA256_A}  data/sub\n")


def bag024(bag: Path) -> None:
    (bag / "fetch.txt").mkdir()


def bag025(bag: Path) -> None:
    (bag / "bag-info.txt").write_bytes(f"Payload-Oxum: {oxum(bag)}\nContact-Name: Ng\xff\n".encode("latin-1"))
    retag(bag)


def bag026(bag: Path) -> None:
    (bag / "bag-info.txt").write_bytes(b"\xef\xbb\xbf" + f"Payload-Oxum: {oxum(bag)}\n".encode())
    retag(bag)


def bag027(bag: Path) -> None:
    write_manifest(bag, "sha256", ["data/sub/b.txt"])
    append(bag / "manifest-sha256.txt", f"{SHA256_A} *data/a.txt\n")
    retag(bag)


def bag028(bag: Path) -> None:
    write_manifest(bag, "sha256", ["data/sub/b.txt"])
    append(bag / "manifest-sha256.txt", f"{SHA256_A}  ./data/a.txt\n")
    retag(bag)


def bag029(bag: Path) -> None:
    add_payload(bag, "data/100%.txt", b"percent")


def bag030(bag: Path) -> None:
    append(bag / "tagmanifest-sha256.txt", f"{SHA256_A}  data/a.txt\n")


def bag031(bag: Path) -> None:
    append(bag / "tagmanifest-sha256.txt", f"{SHA256_A}  tagmanifest-sha256.txt\n")


def bag032(bag: Path) -> None:
    lines = (bag / "tagmanifest-sha256.txt").read_text(encoding="utf-8").splitlines(keepends=True)
    (bag / "tagmanifest-sha256.txt").write_text(
        "".join(line for line in lines if "manifest-sha512.txt" not in line), encoding="utf-8"
    )


def bag033(bag: Path) -> None:
    (bag / "notes").mkdir()
    (bag / "notes" / "readme.txt").write_text("ghi chú", encoding="utf-8")


def bag034(bag: Path) -> None:
    retag(bag, ("sha256", "md5"))


def bag040(bag: Path) -> None:
    set_bag_info(bag, f"Payload-Oxum: {oxum(bag)}\nthis line has no colon\n")


def bag041(bag: Path) -> None:
    set_bag_info(bag, f"Payload-Oxum: {oxum(bag)}\nContact-Name : Nguyễn Văn A\n")


def bag042(bag: Path) -> None:
    set_bag_info(bag, "Payload-Oxum: many.files\n")


def bag043(bag: Path) -> None:
    set_bag_info(bag, f"Payload-Oxum: {oxum(bag)}\nPayload-Oxum: {oxum(bag)}\n")


def bag044(bag: Path) -> None:
    set_bag_info(bag, "Payload-Oxum: 1.1\n")


def bag045(bag: Path) -> None:
    set_bag_info(bag, f"Payload-Oxum: {oxum(bag)}\nBagging-Date: 2026-11-20\nBagging-Date: 2026-11-21\n")


def bag046(bag: Path) -> None:
    set_bag_info(bag, f"Payload-Oxum: {oxum(bag)}\nExternal-Description: {'x' * 90}\n")


def bag047(bag: Path) -> None:
    set_bag_info(bag, f"Payload-Oxum: {oxum(bag)}\nBagging-Date: 21/11/2026\n")


def fetch(bag: Path, text: str) -> None:
    (bag / "fetch.txt").write_text(text, encoding="utf-8")
    retag(bag)


def bag050(bag: Path) -> None:
    fetch(bag, "only-one-field\n")


def bag051(bag: Path) -> None:
    fetch(bag, "not-a-url - data/a.txt\n")


def bag052(bag: Path) -> None:
    fetch(bag, "https://example.org/a 12ab data/a.txt\n")


def bag053(bag: Path) -> None:
    shutil.rmtree(bag)
    make_bag(bag, version="0.97")
    add_payload(bag, "data/c.txt", b"c", list_in=("sha256",))
    fetch(bag, "https://example.org/c - data/c.txt\n")


def bag054(bag: Path) -> None:
    fetch(bag, "https://example.org/i - bag-info.txt\n")


def bag055(bag: Path) -> None:
    data = b"remote content"
    for algorithm in ("sha256", "sha512"):
        append(bag / f"manifest-{algorithm}.txt", f"{digest(data, algorithm)}  data/remote.bin\n")
    fetch(bag, f"https://example.org/remote.bin {len(data)} data/remote.bin\n")


def bag056(bag: Path) -> None:
    fetch(bag, "https://example.org/a 999 data/a.txt\n")


def bag060(bag: Path) -> None:
    add_payload(bag, "data/README.txt", b"one")
    add_payload(bag, "data/Readme.txt", b"two")


NFC = unicodedata.normalize("NFC", "Núñez.txt")
NFD = unicodedata.normalize("NFD", "Núñez.txt")


def bag061(bag: Path) -> None:
    add_payload(bag, f"data/{NFC}", b"nfc")
    add_payload(bag, f"data/{NFD}", b"nfd")


def bag062(bag: Path) -> None:
    add_payload(bag, f"data/{NFC}", b"nfc", list_in=())
    for algorithm in ("sha256", "sha512"):
        append(bag / f"manifest-{algorithm}.txt", f"{digest(b'nfc', algorithm)}  data/{NFD}\n")
    retag(bag)


def bag063(bag: Path) -> None:
    bad_line(bag, f"{SHA256_A}  data/A.txt\n")


def bag064(bag: Path) -> None:
    for algorithm in ("sha256", "sha512"):
        text = (bag / f"manifest-{algorithm}.txt").read_text(encoding="utf-8")
        (bag / f"manifest-{algorithm}.txt").write_text(
            text.replace("data/a.txt", "data/A.txt"), encoding="utf-8"
        )
    retag(bag)


def bag065(bag: Path) -> None:
    add_payload(bag, "data/.DS_Store", b"\x00\x00\x00\x01Bud1")


def bag066(bag: Path) -> None:
    add_payload(bag, "data/what?.txt", b"question")


def bag067(bag: Path) -> None:
    raw = os.fsencode(bag / "data") + b"/t\xeat.txt"
    with open(raw, "wb") as fh:
        fh.write(b"latin-1 name")
    set_bag_info(bag, f"Payload-Oxum: {oxum(bag)}\n")
    for algorithm in ("sha256", "sha512"):
        append(
            bag / f"manifest-{algorithm}.txt",
            digest(b"latin-1 name", algorithm).encode() + b"  data/t\xeat.txt\n",
        )
    retag(bag)


def bag068(bag: Path) -> None:
    os.symlink("/etc/hostname", bag / "data" / "link")


def bag069(bag: Path) -> None:
    os.mkfifo(bag / "data" / "pipe")


def bag072(bag: Path) -> None:
    set_bag_info(bag, f"Payload-Oxum: {oxum(bag)}")


def bag073(bag: Path) -> None:
    for algorithm in ("sha256", "sha512"):
        (bag / f"manifest-{algorithm}.txt").unlink()
    (bag / "manifest-whirlpool.txt").write_text("abcd  data/a.txt\nabcd  data/sub/b.txt\n", encoding="utf-8")
    retag(bag)


# code → (mutation, codes expected besides it, why)
CASES: dict[str, tuple[Callable[[Path], None], frozenset[str]]] = {
    "BAG001": (bag001, frozenset()),
    "BAG002": (bag002, frozenset()),
    # both bagit.txt lines are strictly formatted, so a bad byte also spoils the encoding name
    "BAG003": (bag003, frozenset({"BAG007"})),
    "BAG004": (bag004, frozenset()),
    "BAG005": (bag005, frozenset()),
    "BAG006": (bag006, frozenset()),
    "BAG007": (bag007, frozenset()),
    "BAG008": (bag008, frozenset()),
    "BAG010": (bag010, frozenset()),
    "BAG011": (bag011, frozenset()),
    "BAG012": (bag012, frozenset()),
    "BAG013": (bag013, frozenset()),
    "BAG014": (bag014, frozenset()),
    "BAG015": (bag015, frozenset()),
    "BAG016": (bag016, frozenset()),
    "BAG017": (bag017, frozenset()),
    "BAG018": (bag018, frozenset()),
    "BAG019": (bag019, frozenset()),
    "BAG020": (bag020, frozenset()),
    "BAG021": (bag021, frozenset()),
    "BAG022": (bag022, frozenset()),
    "BAG023": (bag023, frozenset()),
    "BAG024": (bag024, frozenset()),
    "BAG025": (bag025, frozenset()),
    "BAG026": (bag026, frozenset()),
    "BAG027": (bag027, frozenset()),
    "BAG028": (bag028, frozenset()),
    "BAG029": (bag029, frozenset()),
    "BAG030": (bag030, frozenset()),
    "BAG031": (bag031, frozenset()),
    "BAG032": (bag032, frozenset()),
    "BAG033": (bag033, frozenset()),
    "BAG034": (bag034, frozenset()),
    "BAG040": (bag040, frozenset()),
    "BAG041": (bag041, frozenset()),
    "BAG042": (bag042, frozenset()),
    "BAG043": (bag043, frozenset()),
    "BAG044": (bag044, frozenset()),
    "BAG045": (bag045, frozenset()),
    "BAG046": (bag046, frozenset()),
    "BAG047": (bag047, frozenset()),
    "BAG050": (bag050, frozenset()),
    "BAG051": (bag051, frozenset()),
    "BAG052": (bag052, frozenset()),
    "BAG053": (bag053, frozenset()),
    "BAG054": (bag054, frozenset()),
    "BAG055": (bag055, frozenset()),
    "BAG056": (bag056, frozenset()),
    "BAG060": (bag060, frozenset()),
    "BAG061": (bag061, frozenset()),
    "BAG062": (bag062, frozenset()),
    "BAG063": (bag063, frozenset()),
    "BAG064": (bag064, frozenset()),
    "BAG065": (bag065, frozenset()),
    "BAG066": (bag066, frozenset()),
    # a name that is not UTF-8 cannot be written in a UTF-8 manifest without breaking its encoding
    "BAG067": (bag067, frozenset({"BAG025"})),
    "BAG068": (bag068, frozenset()),
    "BAG069": (bag069, frozenset()),
    "BAG072": (bag072, frozenset()),
    # no supported algorithm at all means the unsupported one is reported too
    "BAG073": (bag073, frozenset({"BAG012"})),
}


@pytest.fixture
def good_bag(tmp_path: Path) -> Path:
    return make_bag(tmp_path / "bag")


def test_good_bags_trigger_nothing(tmp_path: Path) -> None:
    for version in ("1.0", "0.97", "0.96"):
        bag = make_bag(tmp_path / f"bag-{version}", version=version)
        report = validate(bag)
        assert report.findings == (), [f.message() for f in report.findings]
        assert report.valid
        assert validate(bag, fast=True).findings == ()
        assert validate(bag, workers=2).findings == ()


def test_good_bag_in_another_encoding_only_warns_about_it(tmp_path: Path) -> None:
    bag = make_bag(tmp_path / "bag", version="0.97", encoding="ISO-8859-1")
    assert codes(bag) == {"BAG006"}


@pytest.mark.parametrize("code", sorted(CASES))
def test_rule_fixture_triggers_exactly_its_code(code: str, good_bag: Path) -> None:
    mutate, companions = CASES[code]
    mutate(good_bag)
    found = codes(good_bag)
    assert found == {code} | companions
    # and the severity of the catalogue applies (BAG032 is lowered for old bags only)
    for item in iter_findings(good_bag, profile="bagit"):
        if item.code == code:
            assert item.severity == catalogue()[code].severity


def test_bag032_is_a_warning_before_bagit_1_0(tmp_path: Path) -> None:
    bag = make_bag(tmp_path / "bag", version="0.97")
    bag032(bag)
    found = [f for f in iter_findings(bag) if f.code == "BAG032"]
    assert found
    assert all(f.severity == Severity.WARNING for f in found)
    assert validate(bag).valid


def test_bag070_caps_repeated_findings(good_bag: Path) -> None:
    for i in range(5):
        append(good_bag / "manifest-sha256.txt", f"{SHA256_A}  data/missing-{i}.txt\n")
    retag(good_bag)
    validator = BagValidator(good_bag, max_same=2)
    found = list(validator.findings())
    assert [f.code for f in found].count("BAG018") == 2
    summary = [f for f in found if f.code == "BAG070"]
    assert len(summary) == 1
    assert summary[0].params["found"] == 3
    assert summary[0].params["rule"] == "BAG018"
    assert {f.code for f in found} == {"BAG018", "BAG070"}


def test_bag071_file_vanishing_before_hashing(good_bag: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = BagValidator._walk

    def walk_then_delete(self: BagValidator):  # type: ignore[no-untyped-def]
        yield from original(self)
        (good_bag / "data" / "a.txt").unlink()

    monkeypatch.setattr(BagValidator, "_walk", walk_then_delete)
    assert codes(good_bag) == {"BAG071"}


def test_every_bag_code_has_a_fixture() -> None:
    bag_codes = {c for c in catalogue() if c.startswith("BAG")}
    covered = set(CASES) | {"BAG070", "BAG071"}
    assert bag_codes == covered


def test_messages_name_file_line_expected_and_found(good_bag: Path) -> None:
    bag022(good_bag)
    mismatch = [f for f in iter_findings(good_bag) if f.code == "BAG022"]
    assert len(mismatch) == 2
    sha256 = next(f for f in mismatch if f.params["algorithm"] == "sha256")
    assert sha256.location.path == "data/a.txt"
    assert sha256.params["manifest"] == "manifest-sha256.txt"
    assert sha256.params["manifest_line"] == 1
    assert sha256.params["expected"] == SHA256_A
    assert sha256.params["found"] == digest(b"jello\n", "sha256")
    for lang in ("en", "vi"):
        text = sha256.message(lang)
        assert "data/a.txt" in text
        assert SHA256_A in text
        assert "manifest-sha256.txt" in text


def test_percent_encoded_names_are_decoded(good_bag: Path) -> None:
    name = "data/line\nbreak 100%.txt"
    (good_bag / name).write_bytes(b"x")
    for algorithm in ("sha256", "sha512"):
        encoded = name.replace("%", "%25").replace("\n", "%0A")
        append(good_bag / f"manifest-{algorithm}.txt", f"{digest(b'x', algorithm)}  {encoded}\n")
    set_bag_info(good_bag, f"Payload-Oxum: {oxum(good_bag)}\n")
    assert codes(good_bag) <= {"BAG066"}  # a newline cannot be part of a Windows name; nothing else


def test_holey_bag_is_incomplete_not_corrupt(good_bag: Path) -> None:
    bag055(good_bag)
    report = validate(good_bag)
    assert {f.code for f in report.findings} == {"BAG055"}
    assert "BAG018" not in {f.code for f in report.findings}
    assert any(s.check == "bagit.payload-oxum" for s in report.skipped)
