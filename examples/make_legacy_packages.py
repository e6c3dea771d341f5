"""Make a small pre-2025 holding: AIPs that speak the 2011 vocabulary and legacy code lists.

    python examples/make_legacy_packages.py OUT_DIR [--overwrite]

Backup packages made before the Archives Law 2024 (Decision 71/QĐ-TTg, TT 02/2019, NĐ 30/2020 Annex VI,
vendors' code lists) are what ``luutru-aip migrate`` turns into new TT05 AIP versions. Nothing here is a
real record. The script first packages the example fonds (``make_fonds.py``) with the library, then
"ages" each AIP the way older systems wrote it, and reseals it so that it is internally consistent (its
METS checksums and bag manifests match), exactly like a healthy package on the backup centre's storage:

* ``ho-so-nd30``: NĐ 30/2020 Annex VI tags (``FileCode``, ``Title``, ``Maintenance``, ``Rights``,
  ``Language``, ``StartDate``, ``DocTotal``, ``PageTotal``, ``Description``, ``Creator``; ``TypeName``,
  ``Subject``, ``PageAmount``, ``Position``, ``FullName``) with values written as words ("Vĩnh viễn",
  "Hạn chế", "Tiếng Việt", "Tờ trình", "Có");
* ``ho-so-vendor``: TT05-like tags but the AIP says ``fileCode``, and codes from the pre-2025 vendor list
  (mode 01 = Hạn chế, 02 = Không hạn chế; language 05 = Nhật); migrate it with ``--from-codes vendor-2019``;
* every package: ``csip:OTHERCONTENTINFORMATIONTYPE="02/2019/TT-BNV"``, bag-info
  ``Backup-Category: bảo hiểm tài liệu lưu trữ - tài liệu lưu trữ quý, hiếm``, and old terms inside free
  text (a description, a trích yếu), which migration reports but never rewrites.

The output is deterministic (fixed clock).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.util
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from luutru_aip.build import BuildOptions, build_packages, digests_of, write_bag_tags
from luutru_aip.ingest import load_profile, read_metadata
from luutru_aip.metadata.mets import CSIP_NS, METS_NS, XLINK_NS, path_from_href

CLOCK = dt.datetime(2023, 5, 10, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
LEGACY_DECLARATION = "02/2019/TT-BNV"
OLD_BACKUP = "bảo hiểm tài liệu lưu trữ - tài liệu lưu trữ quý, hiếm"
OLD_DESCRIPTION = "Hồ sơ thuộc diện bảo hiểm tài liệu lưu trữ quý, hiếm (bản sao bảo hiểm lập năm 2019)"
NAMES = ("ho-so-nd30", "ho-so-vendor")

#: NĐ 30/2020 Annex VI names for the file level, and the words older systems wrote for the codes.
ND30_FILE = {
    "arcFileCode": "FileCode", "title": "Title", "maintenance": "Maintenance", "mode": "Rights",
    "language": "Language", "startDate": "StartDate", "endDate": "EndDate", "totalDoc": "DocTotal",
    "numberOfPage": "PageTotal", "description": "Description",
}  # fmt: skip
ND30_DOC = {
    "typeName": "TypeName", "subject": "Subject", "language": "Language", "numberOfPage": "PageAmount",
    "codeNumber": "CodeNumber", "codeNotation": "CodeNotation", "issuedDate": "IssuedDate",
    "organName": "OrganName", "docOrdinal": "DocOrdinal",
}  # fmt: skip
WORDS = {
    "maintenance": {"01": "Vĩnh viễn", "04": "30 năm"},
    "mode": {"01": "Không hạn chế", "02": "Hạn chế"},
    "language": {"01": "Tiếng Việt"},
    "format": {"01": "Tốt", "02": "Bình thường", "03": "Hỏng"},
    "confidenceLevel": {"02": "Số hóa", "01": "Gốc điện tử"},
    "typeName": {"02": "Quyết định", "15": "Tờ trình", "14": "Báo cáo", "07": "Thông báo", "22": "Công văn",
                 "20": "Biên bản"},
    "riskRecovery": {"1": "Có", "0": "Không"},
}  # fmt: skip
#: TT05 code → pre-2025 vendor code (reference §d5: mode 01 Hạn chế / 02 Không hạn chế).
VENDOR_MODE = {"01": "02", "02": "01"}


def _load_make_fonds() -> object:
    script = Path(__file__).resolve().with_name("make_fonds.py")
    spec = importlib.util.spec_from_file_location("make_fonds", script)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {script}")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_fonds", module)
    spec.loader.exec_module(module)
    return module


def _simpledc(path: Path, edit: Callable[[etree._Element], None]) -> None:
    tree = etree.parse(str(path))
    edit(tree.getroot())
    etree.indent(tree.getroot(), space="  ")
    path.write_bytes(etree.tostring(tree, xml_declaration=True, encoding="UTF-8") + b"\n")


def _rename(root: etree._Element, names: dict[str, str]) -> None:
    for child in root:
        if isinstance(child.tag, str) and child.tag in names:
            child.tag = names[child.tag]


def _words(root: etree._Element, tags: dict[str, str]) -> None:
    for child in root:
        for new, old in [(k, v) for k, v in tags.items() if v == child.tag or k == child.tag]:
            table = WORDS.get(new, {})
            if child.text in table:
                child.text = table[child.text]
            del old


def age_nd30(package: Path) -> None:
    """NĐ 30 tags and words instead of codes, an extra Creator, signer fields, old terms in free text."""
    ead = package / "metadata/descriptive/EAD.xml"

    def file_level(root: etree._Element) -> None:
        by_tag = {c.tag: c for c in root}
        if "riskRecovery" in by_tag:
            by_tag["riskRecovery"].text = "1"
        for tag in ("riskRecoveryStatus",):
            if tag not in by_tag:
                etree.SubElement(root, tag).text = "01"
        description = by_tag.get("description")
        if description is None:
            description = etree.SubElement(root, "description")
        description.text = OLD_DESCRIPTION
        _words(
            root,
            {t: t for t in ("maintenance", "mode", "language", "riskRecovery", "format", "confidenceLevel")},
        )
        _rename(root, ND30_FILE)
        creator = etree.Element("Creator")
        creator.text = "Nguyễn Văn An"
        root.insert(2, creator)

    _simpledc(ead, file_level)
    for doc in sorted((package / "representations/rep1/metadata/descriptive").glob("EAD_doc_*.xml")):

        def doc_level(root: etree._Element, first: bool = doc.name.endswith("0000001.xml")) -> None:
            by_tag = {c.tag: c for c in root}
            subject = by_tag.get("subject")
            if subject is not None and first:
                subject.text = f"{subject.text} (lập bản sao bảo hiểm)"
            _words(root, {t: t for t in ("typeName", "language", "mode")})
            _rename(root, {"arcFileCode": "fileCode", **ND30_DOC})
            position = etree.SubElement(root, "Position")
            position.text = "Chủ tịch"
            name = etree.SubElement(root, "FullName")
            name.text = "Trần Văn Bình"

        _simpledc(doc, doc_level)


def age_vendor(package: Path) -> None:
    """The AIP says fileCode; mode and language use the pre-2025 vendor code list."""

    def file_level(root: etree._Element) -> None:
        _rename(root, {"arcFileCode": "fileCode"})
        for child in list(root):
            if child.tag in ("confidenceLevel", "format"):  # this vendor did not record them
                root.remove(child)
                continue
            if child.tag == "mode":
                child.text = VENDOR_MODE.get(child.text or "", child.text)

    _simpledc(package / "metadata/descriptive/EAD.xml", file_level)
    docs = sorted((package / "representations/rep1/metadata/descriptive").glob("EAD_doc_*.xml"))
    for index, doc in enumerate(docs):

        def doc_level(root: etree._Element, index: int = index) -> None:
            _rename(root, {"arcFileCode": "fileCode"})
            for child in root:
                if child.tag == "mode":
                    child.text = VENDOR_MODE.get(child.text or "", child.text)
                if child.tag == "language" and index == 1:
                    child.text = "05"  # a Japanese-language document in the vendor's list

        _simpledc(doc, doc_level)


def _reseal_mets(mets: Path, base: str, package: Path, declare: bool) -> None:
    tree = etree.parse(str(mets))
    root = tree.getroot()
    if not declare:
        pass
    elif base == "":
        root.set(f"{{{CSIP_NS}}}OTHERCONTENTINFORMATIONTYPE", LEGACY_DECLARATION)
        for group in root.iter(f"{{{METS_NS}}}fileGrp"):
            if group.get(f"{{{CSIP_NS}}}OTHERCONTENTINFORMATIONTYPE") is not None:
                group.set(f"{{{CSIP_NS}}}OTHERCONTENTINFORMATIONTYPE", LEGACY_DECLARATION)
    elif root.get(f"{{{CSIP_NS}}}OTHERCONTENTINFORMATIONTYPE") is not None:
        root.set(f"{{{CSIP_NS}}}OTHERCONTENTINFORMATIONTYPE", LEGACY_DECLARATION)
    for element in root.iter(f"{{{METS_NS}}}mdRef", f"{{{METS_NS}}}FLocat"):
        holder = element if element.tag == f"{{{METS_NS}}}mdRef" else element.getparent()
        assert holder is not None
        rel = path_from_href(element.get(f"{{{XLINK_NS}}}href", ""), base)
        data = (package / rel).read_bytes()
        holder.set("SIZE", str(len(data)))
        holder.set("CHECKSUM", hashlib.sha256(data).hexdigest())
    mets.write_bytes(etree.tostring(tree, xml_declaration=True, encoding="UTF-8") + b"\n")


def reseal(bag: Path, backup_category: str = OLD_BACKUP, *, keep_declaration: bool = False) -> None:
    """Make the aged bag consistent again: METS checksums, the old bag-info label, all manifests.

    The METS declare TT 02/2019 unless ``keep_declaration`` (then they are left as they are).
    """
    package = bag / "data"
    declare = not keep_declaration
    _reseal_mets(package / "representations/rep1/METS.xml", "representations/rep1", package, declare)
    _reseal_mets(package / "METS.xml", "", package, declare)
    info: list[tuple[str, str]] = []
    for line in (bag / "bag-info.txt").read_text(encoding="utf-8").splitlines():
        if line[:1] in (" ", "\t") and info:
            info[-1] = (info[-1][0], f"{info[-1][1]} {line.strip()}")
        elif ":" in line:
            key, value = line.split(":", 1)
            if key.strip() not in ("Payload-Oxum", "Backup-Category"):
                info.append((key.strip(), value.strip()))
    info.append(("Backup-Category", backup_category))
    payload = {
        p.relative_to(package).as_posix(): digests_of(p.read_bytes())
        for p in sorted(package.rglob("*"))
        if p.is_file()
    }
    for name in (
        "manifest-sha256.txt",
        "manifest-sha512.txt",
        "tagmanifest-sha256.txt",
        "tagmanifest-sha512.txt",
    ):
        (bag / name).unlink(missing_ok=True)
    write_bag_tags(bag, payload, info)


def make(out: Path) -> dict[str, Path]:
    """Write the legacy holding into ``out`` (a new folder); returns name → bag."""
    make_fonds = _load_make_fonds()
    with tempfile.TemporaryDirectory() as scratch:
        fonds = Path(scratch) / "fonds"
        make_fonds.generate(fonds)  # type: ignore[attr-defined]
        profile = load_profile(fonds / "profile.toml")
        imported = read_metadata(fonds / "muc-luc-ho-so.csv", source_root=fonds / "Phong", profile=profile)
        built = Path(scratch) / "built"
        built.mkdir()
        options = BuildOptions(format="bag", ead3=False, identify=True, sync=False)
        results = build_packages(
            imported.files,
            source_root=fonds / "Phong",
            out_dir=built,
            profile=profile,
            source_files=imported.source_files,
            options=options,
            clock=CLOCK,
        )
        done = sorted((r for r in results if r.built), key=lambda r: r.file_code)
        out.mkdir(parents=True)
        made: dict[str, Path] = {}
        for name, result, age in zip(NAMES, done, (age_nd30, age_vendor), strict=False):
            assert result.path is not None
            target = out / name
            shutil.copytree(result.path, target)
            age(target / "data")
            reseal(target)
            made[name] = target
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    args = parser.parse_args(argv)
    if args.out.exists():
        if not args.overwrite:
            print(f"{args.out} exists (use --overwrite)", file=sys.stderr)
            return 2
        shutil.rmtree(args.out)
    for name, path in make(args.out).items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
