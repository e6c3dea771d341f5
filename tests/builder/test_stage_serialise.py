"""Staging (one read: copy + digests + identification + PDF facts) and the bag/ZIP serialisers."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from datetime import datetime
from pathlib import Path

import bagit
import pikepdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luutru_aip.build._serialise import bag_info_lines, digests_of, digests_of_file, write_bag_tags, write_zip
from luutru_aip.build._stage import StageItem, stage_many, stage_one
from luutru_aip.model import VN_TZ
from luutru_aip.validate import validate


def _pdf(path: Path, pages: int) -> None:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
    pdf.save(path)


def test_stage_copies_digests_identifies_and_inspects(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    _pdf(src / "Quyết định.pdf", 3)
    (src / "note.txt").write_bytes(b"ghi chu\n" * 1000)
    os.utime(src / "note.txt", ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    dest = tmp_path / "dest"
    dest.mkdir()
    pdf = stage_one(
        StageItem(str(src / "Quyết định.pdf"), str(dest / "a.pdf"), "Quyết định.pdf"), sha512=True
    )
    assert pdf.ok
    data = (src / "Quyết định.pdf").read_bytes()
    assert (dest / "a.pdf").read_bytes() == data
    assert pdf.sha256 == hashlib.sha256(data).hexdigest()
    assert pdf.sha512 == hashlib.sha512(data).hexdigest()
    assert pdf.size == len(data)
    assert pdf.pdf_pages == 3
    assert pdf.mime == "application/pdf"
    assert pdf.puid is not None
    assert pdf.puid.startswith("fmt/")
    txt = stage_one(StageItem(str(src / "note.txt"), str(dest / "n.txt"), "note.txt"))
    assert txt.ok
    assert txt.pdf_pages is None
    assert txt.sha512 is None
    assert (dest / "n.txt").stat().st_mtime_ns == 1_000_000_000_000_000_000
    assert txt.mtime_ns == 1_000_000_000_000_000_000


def test_stage_errors_are_values_and_never_overwrite(tmp_path: Path) -> None:
    missing = stage_one(StageItem(str(tmp_path / "nope.pdf"), str(tmp_path / "x.pdf"), "nope.pdf"))
    assert not missing.ok
    assert "nope.pdf" in (missing.error or "")
    (tmp_path / "a").write_bytes(b"a")
    (tmp_path / "b").write_bytes(b"old")
    clash = stage_one(StageItem(str(tmp_path / "a"), str(tmp_path / "b"), "a"))
    assert not clash.ok
    assert (tmp_path / "b").read_bytes() == b"old"
    folder = stage_one(StageItem(str(tmp_path), str(tmp_path / "c"), "folder"))
    assert not folder.ok


def test_stage_link_and_pool(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    items = []
    for i in range(20):
        (src / f"{i}.bin").write_bytes(os.urandom(1000 + i))
        items.append(StageItem(str(src / f"{i}.bin"), str(tmp_path / f"out{i}.bin"), f"{i}.bin"))
    results = list(stage_many(items, workers=2, batch_size=3, identify=False))
    assert sorted(r.item.original_name for r in results) == sorted(f"{i}.bin" for i in range(20))
    assert all(r.sha256 == hashlib.sha256(Path(r.item.source).read_bytes()).hexdigest() for r in results)
    linked = stage_one(StageItem(str(src / "0.bin"), str(tmp_path / "linked.bin"), "0.bin"), link=True)
    assert linked.ok
    assert os.path.samefile(src / "0.bin", tmp_path / "linked.bin")


def test_percent_in_names_is_encoded_as_rfc8493_requires(tmp_path: Path) -> None:
    # RFC 8493 §2.1.3: "%" in a manifest path MUST be percent-encoded. bagit-python 1.8 decodes only
    # CR and LF, so it misreads such bags; our validator reads them right (see docs/building.md).
    bag = tmp_path / "bag"
    (bag / "data").mkdir(parents=True)
    (bag / "data" / "100%.txt").write_bytes(b"x")
    write_bag_tags(bag, {"100%.txt": digests_of(b"x")}, [])
    assert "data/100%25.txt" in (bag / "manifest-sha256.txt").read_text(encoding="utf-8")
    assert validate(bag, profile="bagit").findings == ()


def test_bag_tags_round_trip_through_bagit_python_and_our_validator(tmp_path: Path) -> None:
    bag = tmp_path / "bag"
    names = ["METS.xml", "representations/rep1/data/Quyết định.pdf", "a b.txt"]
    payload = {}
    for name in names:
        path = bag / "data" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(name.encode() * 50)
        payload[name] = digests_of_file(path)
    long_value = "Gói lưu trữ (AIP) hồ sơ H40.21.05.2001.01: " + "tài liệu lưu trữ có giá trị đặc biệt " * 4
    write_bag_tags(
        bag, payload, [("Source-Organization", "Trung tâm Lưu trữ"), ("External-Description", long_value)]
    )
    loaded = bagit.Bag(str(bag))
    loaded.validate()
    assert loaded.info["Payload-Oxum"] == f"{sum(d.size for d in payload.values())}.3"
    assert set(loaded.algorithms) == {"sha256", "sha512"}
    assert " ".join(loaded.info["External-Description"].split()) == " ".join(long_value.split())
    report = validate(bag, profile="bagit")
    assert report.findings == ()
    assert all(len(line) <= 79 for line in (bag / "bag-info.txt").read_text(encoding="utf-8").splitlines())


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(min_size=1, max_size=300))
def test_bag_info_folding_keeps_every_word(value: str) -> None:
    text = bag_info_lines([("External-Description", value)])
    unfolded = " ".join(text.replace("\n  ", " ").split())
    assert unfolded == "External-Description: " + " ".join(value.split()) or not value.split()


def test_zip_is_deterministic_and_complete(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "representations" / "rep1" / "data").mkdir(parents=True)
    (tree / "METS.xml").write_bytes(b"<mets/>")
    (tree / "representations" / "rep1" / "data" / "Tờ trình.pdf").write_bytes(b"%PDF-1.7 x" * 100)
    moment = datetime(2026, 11, 21, 9, 30, tzinfo=VN_TZ)
    first, second = io.BytesIO(), io.BytesIO()
    assert write_zip(tree, first, moment=moment, prefix="urn_uuid_x/") == 2
    os.utime(tree / "METS.xml", (0, 0))
    write_zip(tree, second, moment=moment, prefix="urn_uuid_x/")
    assert first.getvalue() == second.getvalue()
    with zipfile.ZipFile(first) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == [
            "urn_uuid_x/METS.xml",
            "urn_uuid_x/representations/rep1/data/Tờ trình.pdf",
        ]
        assert infos[0].date_time == (2026, 11, 21, 9, 30, 0)
        assert infos[0].compress_type == zipfile.ZIP_DEFLATED
        assert infos[1].compress_type == zipfile.ZIP_STORED
        assert archive.read(infos[1]) == b"%PDF-1.7 x" * 100
    assert digests_of(b"x").size == 1


def test_stage_handles_a_damaged_pdf_as_findings(tmp_path: Path) -> None:
    bad = tmp_path / "hỏng.pdf"
    bad.write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog\nendobj\n" + b"x" * 1000)
    result = stage_one(StageItem(str(bad), str(tmp_path / "out.pdf"), "hỏng.pdf"))
    assert result.ok
    assert any(f.code.startswith("PDF") for f in result.pdf_findings)


@pytest.mark.parametrize("size", [0, 1, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) + 5])
def test_stage_digests_at_buffer_boundaries(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    (tmp_path / "f").write_bytes(data)
    result = stage_one(StageItem(str(tmp_path / "f"), str(tmp_path / "g"), "f"), identify=False)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert (tmp_path / "g").read_bytes() == data
