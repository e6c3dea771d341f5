"""Building packages end to end: layout, schemas, checksums, serialisations, safety, determinism."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import unicodedata
import zipfile
from datetime import datetime
from pathlib import Path

import attrs
import bagit
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luutru_aip import vocab
from luutru_aip.build import BuildOptions, build_package, read_sip
from luutru_aip.errors import InputError
from luutru_aip.metadata._xml import parse_xml
from luutru_aip.metadata.mets import read_mets_files
from luutru_aip.metadata.schemastore import SchemaStore, validate_with
from luutru_aip.metadata.tt05 import check_simpledc
from luutru_aip.model import VN_TZ, PackageType

from ._fixtures import PROFILE, make_source

CLOCK = datetime(2026, 11, 21, 9, 30, tzinfo=VN_TZ)
SHARED_XSD = Path(__file__).resolve().parents[2].parent / "shared" / "xsd"


def _tree_state(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(root).as_posix(): (hashlib.sha256(p.read_bytes()).digest(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _build(tmp_path: Path, store: SchemaStore, **options: object) -> tuple[Path, object]:
    source, record = make_source(tmp_path)
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    result = build_package(
        record,
        source_root=source,
        out_dir=out,
        profile=PROFILE,
        options=BuildOptions(**options),  # type: ignore[arg-type]
        clock=CLOCK,
        store=store,
    )
    return source, result


@pytest.mark.parametrize("package_type", [PackageType.AIP, PackageType.SIP])
def test_folder_package_layout_schemas_and_checksums(
    tmp_path: Path, schema_store: SchemaStore, package_type: PackageType
) -> None:
    _source, result = _build(tmp_path, schema_store, package_type=package_type)
    assert result.built, result.findings
    root = result.path
    aip = package_type is PackageType.AIP
    assert root.name == (result.objid.replace(":", "_"))
    assert result.objid.startswith("urn:uuid:" if aip else "uuid-")
    expected = {
        "METS.xml",
        "metadata/descriptive/EAD.xml",
        "metadata/descriptive/EAD3.xml",
        "representations/rep1/METS.xml",
        "representations/rep1/data/hop01/hoso01/001.pdf",
        "representations/rep1/data/hop01/hoso01/ảnh.png",
        "documentation/README.txt",
        "schemas/mets.xsd",
    }
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert expected <= present
    assert ("metadata/preservation/PREMIS.xml" in present) is aip
    assert ("representations/rep1/metadata/preservation/PREMIS_rep1.xml" in present) is aip
    assert sum(1 for p in present if "/EAD_doc_" in p) == 3
    # every METS, PREMIS and EAD3 document validates against the official schemas
    for mets in ("METS.xml", "representations/rep1/METS.xml"):
        assert (
            validate_with(schema_store, parse_xml(root / mets), ["mets", "dilcis-csip", "dilcis-sip"]) == []
        )
    for premis in [p for p in present if "PREMIS" in p]:
        assert validate_with(schema_store, parse_xml(root / premis), ["premis3"]) == []
    assert validate_with(schema_store, parse_xml(root / "metadata/descriptive/EAD3.xml"), ["ead3"]) == []
    level = {"EAD.xml": "file"}
    for ead in [p for p in present if p.endswith("EAD.xml") or "/EAD_doc_" in p]:
        kind = level.get(Path(ead).name, "document")
        assert check_simpledc((root / ead).read_bytes(), kind, package_type, path=ead) == []
    # METS sizes and checksums match the files; every file is referenced by a METS
    referenced: set[str] = set()
    for mets, base in (("METS.xml", ""), ("representations/rep1/METS.xml", "representations/rep1")):
        for ref in read_mets_files(root / mets, base=base):
            assert ref.path is not None
            data = (root / ref.path).read_bytes()
            assert ref.size == len(data)
            assert (
                ref.checksum == hashlib.sha256(data).hexdigest().upper()
                or ref.checksum == hashlib.sha256(data).hexdigest()
            )
            referenced.add(ref.path)
    assert present - referenced == {"METS.xml"}
    # times carry the +07:00 offset
    assert 'CREATEDATE="2026-11-21T09:30:00+07:00"' in (root / "METS.xml").read_text(encoding="utf-8")


def test_new_packages_speak_the_2024_vocabulary(tmp_path: Path, schema_store: SchemaStore) -> None:
    _source, result = _build(tmp_path, schema_store, format="bag")
    assert result.built
    for path in result.path.rglob("*"):
        if path.suffix in {".xml", ".txt"} and "schemas" not in path.parts:
            text = path.read_text(encoding="utf-8")
            assert not vocab.old_terms_in(text), path
    info = (result.path / "bag-info.txt").read_text(encoding="utf-8")
    assert "lưu trữ dự phòng" in " ".join(info.split())


def test_bag_round_trips_through_bagit_python(tmp_path: Path, schema_store: SchemaStore) -> None:
    _source, result = _build(tmp_path, schema_store, format="bag")
    assert result.built
    bag = bagit.Bag(os.fspath(result.path))
    bag.validate()
    assert set(bag.algorithms) == {"sha256", "sha512"}
    assert bag.info["External-Identifier"] == result.objid
    assert bag.info["Bag-Group-Identifier"] == "P623"
    assert bag.info["Source-Organization"] == PROFILE.archive_name
    assert bag.info["Package-Type"] == "AIP"
    assert bag.info["Bagging-Date"] == "2026-11-21"
    assert (result.path / "tagmanifest-sha256.txt").is_file()
    assert (result.path / "tagmanifest-sha512.txt").is_file()


def test_zip_holds_the_same_package_as_the_folder(tmp_path: Path, schema_store: SchemaStore) -> None:
    source, record = make_source(tmp_path)
    folder_out, zip_out = tmp_path / "d", tmp_path / "z"
    folder_out.mkdir()
    zip_out.mkdir()
    common = {"source_root": source, "profile": PROFILE, "clock": CLOCK, "store": schema_store}
    folder = build_package(record, out_dir=folder_out, options=BuildOptions(format="dir"), **common)  # type: ignore[arg-type]
    packed = build_package(record, out_dir=zip_out, options=BuildOptions(format="zip"), **common)  # type: ignore[arg-type]
    assert packed.built
    assert packed.path.name == folder.path.name + ".zip"
    assert os.listdir(zip_out) == [packed.path.name]  # the staging folder is gone
    with zipfile.ZipFile(packed.path) as archive:
        members = {i.filename: archive.read(i) for i in archive.infolist()}
    prefix = folder.path.name + "/"
    files = {
        p.relative_to(folder.path).as_posix(): p.read_bytes() for p in folder.path.rglob("*") if p.is_file()
    }
    assert {k.removeprefix(prefix): v for k, v in members.items()} == files


def test_same_input_and_clock_give_identical_bytes(tmp_path: Path, schema_store: SchemaStore) -> None:
    source, record = make_source(tmp_path)
    results = []
    for name in ("a", "b"):
        out = tmp_path / name
        out.mkdir()
        results.append(
            build_package(
                record, source_root=source, out_dir=out, profile=PROFILE, clock=CLOCK, store=schema_store
            )
        )
    first, second = (
        {p.relative_to(r.path).as_posix(): p.read_bytes() for p in r.path.rglob("*") if p.is_file()}
        for r in results
    )
    assert first == second
    later = build_package(
        record,
        source_root=source,
        out_dir=tmp_path / "a",
        profile=PROFILE,
        clock=datetime(2026, 11, 22, tzinfo=VN_TZ),
        store=schema_store,
    )
    assert later.objid != results[0].objid


def test_source_is_never_modified(tmp_path: Path, schema_store: SchemaStore) -> None:
    source, record = make_source(tmp_path)
    before = _tree_state(source)
    for fmt in ("dir", "zip", "bag"):
        out = tmp_path / fmt
        out.mkdir()
        build_package(
            record,
            source_root=source,
            out_dir=out,
            profile=PROFILE,
            options=BuildOptions(format=fmt, workers=2),
            clock=CLOCK,
            store=schema_store,
        )
    assert _tree_state(source) == before


def test_a_failed_build_leaves_nothing_and_names_the_file(tmp_path: Path, schema_store: SchemaStore) -> None:
    source, record = make_source(tmp_path)
    (source / "hop01" / "hoso01" / "001.pdf").unlink()
    for fmt in ("dir", "zip", "bag"):
        out = tmp_path / fmt
        out.mkdir()
        result = build_package(
            record,
            source_root=source,
            out_dir=out,
            profile=PROFILE,
            options=BuildOptions(format=fmt),
            clock=CLOCK,
            store=schema_store,
        )
        assert result.status == "failed"
        assert [f.code for f in result.findings if f.code == "BLD001"] == ["BLD001"]
        assert next(f for f in result.findings if f.code == "BLD001").location.path == "hop01/hoso01/001.pdf"
        assert os.listdir(out) == []


def test_existing_package_is_kept_unless_overwrite(tmp_path: Path, schema_store: SchemaStore) -> None:
    _source, first = _build(tmp_path, schema_store)
    _source, again = _build(tmp_path, schema_store)
    assert again.status == "exists"
    assert [f.code for f in again.findings] == ["BLD008"]
    _source, replaced = _build(tmp_path, schema_store, overwrite=True)
    assert replaced.built
    assert replaced.path == first.path


def test_link_hard_links_the_payload(tmp_path: Path, schema_store: SchemaStore) -> None:
    source, result = _build(tmp_path, schema_store, link=True)
    assert result.built
    assert os.path.samefile(
        source / "hop01" / "hoso01" / "001.pdf",
        result.path / "representations/rep1/data/hop01/hoso01/001.pdf",
    )


def test_nfd_names_are_stored_nfc_and_collisions_refused(tmp_path: Path, schema_store: SchemaStore) -> None:
    nfd = unicodedata.normalize("NFD", "hop01/Tờ trình.pdf")
    source, record = make_source(tmp_path, [nfd])
    result = build_package(
        record, source_root=source, out_dir=tmp_path, profile=PROFILE, clock=CLOCK, store=schema_store
    )
    assert result.built
    assert (
        result.path / "representations/rep1/data" / unicodedata.normalize("NFC", "hop01/Tờ trình.pdf")
    ).is_file()
    assert "BLD004" in {f.code for f in result.findings}
    premis = (result.path / "representations/rep1/metadata/preservation/PREMIS_rep1.xml").read_text("utf-8")
    assert nfd in premis  # the original name is kept
    # a second file that differs only by normalisation collides
    nfc = unicodedata.normalize("NFC", "hop01/Tờ trình.pdf")
    shutil.copy(source / nfd, source / nfc)
    doubled = attrs.evolve(
        record, documents=(*record.documents, attrs.evolve(record.documents[0], ordinal=2, files=(nfc,)))
    )
    out = tmp_path / "second"
    out.mkdir()
    clash = build_package(
        doubled, source_root=source, out_dir=out, profile=PROFILE, clock=CLOCK, store=schema_store
    )
    assert clash.status == "failed"
    assert "BLD003" in {f.code for f in clash.findings}


def test_page_count_mismatch_and_missing_pdfa_claim(tmp_path: Path, schema_store: SchemaStore) -> None:
    source, record = make_source(tmp_path)
    wrong = attrs.evolve(record.documents[0], number_of_page=9, confidence_level="02")
    record = attrs.evolve(record, documents=(wrong, *record.documents[1:]))
    from ._fixtures import write_pdf

    write_pdf(source / "hop01" / "hoso01" / "001.pdf", 1, pdfa=False)
    result = build_package(
        record, source_root=source, out_dir=tmp_path, profile=PROFILE, clock=CLOCK, store=schema_store
    )
    assert result.built
    codes = [f.code for f in result.findings]
    assert "BLD002" in codes
    assert "BLD005" in codes
    mismatch = next(f for f in result.findings if f.code == "BLD002")
    assert mismatch.params["found"] == 1
    assert mismatch.params["expected"] == 9


def test_document_without_files_is_reported(tmp_path: Path, schema_store: SchemaStore) -> None:
    source, record = make_source(tmp_path)
    empty = attrs.evolve(record.documents[0], files=())
    record = attrs.evolve(record, documents=(empty, *record.documents[1:]))
    result = build_package(
        record, source_root=source, out_dir=tmp_path, profile=PROFILE, clock=CLOCK, store=schema_store
    )
    assert result.built
    assert "BLD006" in {f.code for f in result.findings}


_NAME_CHARS = st.sampled_from([*"aăâđêôơưAĐ0 #%+;&'()[]-_.,~", "ế", "ữ", "\u0301", "漢"])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(_NAME_CHARS, min_size=1, max_size=12), min_size=1, max_size=3, unique=True))
def test_odd_file_names_round_trip_through_mets(
    tmp_path_factory: pytest.TempPathFactory, schema_store: SchemaStore, stems: list[str]
) -> None:
    names = []
    keys = set()
    for stem in stems:
        clean = stem.strip().strip(".")
        key = unicodedata.normalize("NFC", clean).casefold()
        if not clean or key in keys:
            continue
        keys.add(key)
        names.append(f"hop/{clean}.pdf")
    if not names:
        return
    tmp = tmp_path_factory.mktemp("odd")
    source, record = make_source(tmp, names)
    result = build_package(
        record, source_root=source, out_dir=tmp, profile=PROFILE, clock=CLOCK, store=schema_store
    )
    assert result.built, result.findings
    rep = result.path / "representations" / "rep1"
    found = {ref.path for ref in read_mets_files(rep / "METS.xml", base="") if ref.use and "data" in ref.use}
    assert found == {"data/" + unicodedata.normalize("NFC", n) for n in names}
    for path in found:
        assert (rep / path).is_file()


def test_read_sip_gives_back_the_record(tmp_path: Path, schema_store: SchemaStore) -> None:
    source, record = make_source(tmp_path)
    result = build_package(
        record,
        source_root=source,
        out_dir=tmp_path,
        profile=PROFILE,
        options=BuildOptions(package_type=PackageType.SIP),
        clock=CLOCK,
        store=schema_store,
    )
    content = read_sip(result.path)
    assert content.objid == result.objid
    assert content.record.file_code == record.file_code
    assert [d.subject for d in content.record.documents] == [d.subject for d in record.documents]
    assert [d.files for d in content.record.documents] == [d.files for d in record.documents]
    assert content.loose_files == ()


@pytest.mark.needs_xmllint
def test_xmllint_agrees(tmp_path: Path, schema_store: SchemaStore) -> None:
    if shutil.which("xmllint") is None:
        pytest.skip("xmllint is not installed")
    _source, result = _build(tmp_path, schema_store)
    env = {**os.environ, "XML_CATALOG_FILES": os.fspath(SHARED_XSD / "catalog.xml")}
    checks = [
        ("mets.xsd", "METS.xml"),
        ("mets.xsd", "representations/rep1/METS.xml"),
        ("premis-v3-0.xsd", "metadata/preservation/PREMIS.xml"),
        ("premis-v3-0.xsd", "representations/rep1/metadata/preservation/PREMIS_rep1.xml"),
        ("ead3.xsd", "metadata/descriptive/EAD3.xml"),
    ]
    for schema, doc in checks:
        run = subprocess.run(
            [
                "xmllint",
                "--noout",
                "--nonet",
                "--schema",
                os.fspath(SHARED_XSD / schema),
                os.fspath(result.path / doc),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 0, run.stderr


def test_a_description_that_fails_the_tt05_schema_is_not_packaged(
    tmp_path: Path, schema_store: SchemaStore
) -> None:
    source, record = make_source(tmp_path)
    record = attrs.evolve(record, title="x" * 1001)  # TT05: title is String 1000
    result = (
        build_package(
            record,
            source_root=source,
            out_dir=tmp_path / "out",
            profile=PROFILE,
            clock=CLOCK,
            store=schema_store,
        )
        if (tmp_path / "out").mkdir() is None
        else None
    )
    assert result is not None
    assert result.status == "failed"
    problem = next(f for f in result.findings if f.code == "SCH003")
    assert problem.location.path == "metadata/descriptive/EAD.xml"
    assert os.listdir(tmp_path / "out") == []


def test_read_sip_refuses_an_href_that_leaves_the_package(tmp_path: Path, schema_store: SchemaStore) -> None:
    source, record = make_source(tmp_path)
    result = build_package(
        record,
        source_root=source,
        out_dir=tmp_path,
        profile=PROFILE,
        options=BuildOptions(package_type=PackageType.SIP),
        clock=CLOCK,
        store=schema_store,
    )
    rep_mets = result.path / "representations" / "rep1" / "METS.xml"
    text = rep_mets.read_text(encoding="utf-8")
    rep_mets.write_text(text.replace('xlink:href="data/hop01', 'xlink:href="../../../../hop01', 1), "utf-8")
    with pytest.raises(InputError, match=r"METS\.xml: unusable xlink:href '\.\./"):
        read_sip(result.path)
