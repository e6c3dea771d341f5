"""Small hand-made METS packages (E-ARK CSIP layout, TT05 file names) for the signing tests.

Only what coverage needs is written: ``fileSec`` entries with ``FLocat`` and checksums,
``dmdSec``/``amdSec`` ``mdRef``s with checksums, and a ``structMap`` with an ``mptr`` to
the representation METS. Not meant to be schema-valid E-ARK packages.
"""

from __future__ import annotations

import hashlib
import urllib.parse
import zipfile
from collections.abc import Mapping
from pathlib import Path

METS_NS = "http://www.loc.gov/METS/"
XLINK_NS = "http://www.w3.org/1999/xlink"

REP_DATA: Mapping[str, bytes] = {
    "data/H49.64.33.2001.160.0000001.pdf": b"%PDF-1.7\n% scanned page one\n" + bytes(range(256)) * 8,
    "data/Tài liệu số 2.txt": "Quyết định về việc lập tài liệu lưu trữ dự phòng.\n".encode(),
}
REP_META: Mapping[str, bytes] = {
    "metadata/descriptive/EAD_doc_H49.64.33.2001.160.0000001.xml": (
        '<?xml version="1.0" encoding="UTF-8"?>\n<simpledc><docCode>H49.64.33.2001.160.0000001</docCode>'
        "<subject>Quyết định</subject></simpledc>\n"
    ).encode(),
}
ROOT_META: Mapping[str, bytes] = {
    "metadata/descriptive/EAD.xml": (
        '<?xml version="1.0" encoding="UTF-8"?>\n<simpledc><fileCode>H49.64.33.2001.160</fileCode>'
        "<title>Hồ sơ lập tài liệu lưu trữ dự phòng</title></simpledc>\n"
    ).encode(),
    "metadata/preservation/PREMIS.xml": b'<?xml version="1.0"?>\n<premis xmlns="http://www.loc.gov/premis/v3"/>\n',
}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_HASHES = {"SHA-256": "sha256", "SHA-512": "sha512", "MD5": "md5", "SHA-1": "sha1"}


def checksum(data: bytes, kind: str) -> str:
    return hashlib.new(_HASHES.get(kind, "sha256"), data).hexdigest()


def _href(path: str, encode: bool) -> str:
    return urllib.parse.quote(path) if encode else path


def mets_document(
    *,
    files: Mapping[str, bytes],
    metadata: Mapping[str, bytes],
    mptrs: tuple[str, ...] = (),
    encode_hrefs: bool = False,
    checksum_type: str = "SHA-256",
    omit_checksum: tuple[str, ...] = (),
    extra_hrefs: tuple[str, ...] = (),
) -> bytes:
    """A METS document listing ``files`` in a fileSec and ``metadata`` through mdRefs."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<mets:mets xmlns:mets="{METS_NS}" xmlns:xlink="{XLINK_NS}" OBJID="uuid-PKG">',
    ]
    for index, (path, data) in enumerate(sorted(metadata.items())):
        section = "dmdSec" if "/descriptive/" in path else "amdSec"
        value = "" if path in omit_checksum else f' CHECKSUM="{checksum(data, checksum_type)}"'
        kind = "" if path in omit_checksum else f' CHECKSUMTYPE="{checksum_type}"'
        out.append(
            f'  <mets:{section} ID="md{index}"><mets:mdRef LOCTYPE="URL" MDTYPE="OTHER" xlink:type="simple"'
            f' xlink:href="{_href(path, encode_hrefs)}"{value}{kind}/></mets:{section}>'
        )
    out.append('  <mets:fileSec><mets:fileGrp USE="Data">')
    for index, (path, data) in enumerate(sorted(files.items())):
        value = "" if path in omit_checksum else f' CHECKSUM="{checksum(data, checksum_type)}"'
        kind = "" if path in omit_checksum else f' CHECKSUMTYPE="{checksum_type}"'
        out.append(
            f'    <mets:file ID="f{index}" SIZE="{len(data)}"{value}{kind}>'
            f'<mets:FLocat LOCTYPE="URL" xlink:type="simple"'
            f' xlink:href="{_href(path, encode_hrefs)}"/></mets:file>'
        )
    for index, href in enumerate(extra_hrefs):
        out.append(
            f'    <mets:file ID="x{index}" CHECKSUM="{"0" * 64}" CHECKSUMTYPE="SHA-256">'
            f'<mets:FLocat LOCTYPE="URL" xlink:type="simple" xlink:href="{href}"/></mets:file>'
        )
    out.append("  </mets:fileGrp></mets:fileSec>")
    out.append('  <mets:structMap TYPE="PHYSICAL"><mets:div>')
    for href in mptrs:
        out.append(
            f'    <mets:div><mets:mptr LOCTYPE="URL" xlink:type="simple" xlink:href="{href}"/></mets:div>'
        )
    out.append("  </mets:div></mets:structMap>")
    out.append("</mets:mets>")
    return ("\n".join(out) + "\n").encode()


def write_files(root: Path, files: Mapping[str, bytes]) -> None:
    for rel, data in files.items():
        target = root.joinpath(*rel.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def make_mets_package(root: Path, *, encode_hrefs: bool = True) -> Path:
    """``root/METS.xml`` → ``representations/rep1/METS.xml`` → data and metadata, all with SHA-256."""
    rep = root / "representations" / "rep1"
    write_files(rep, REP_DATA)
    write_files(rep, REP_META)
    rep_mets = mets_document(files=REP_DATA, metadata=REP_META, encode_hrefs=encode_hrefs)
    (rep / "METS.xml").write_bytes(rep_mets)
    write_files(root, ROOT_META)
    root_files = {"representations/rep1/METS.xml": rep_mets, "schemas/simpledc.xsd": b"<xs:schema/>\n"}
    write_files(root, {"schemas/simpledc.xsd": b"<xs:schema/>\n"})
    (root / "METS.xml").write_bytes(
        mets_document(files=root_files, metadata=ROOT_META, mptrs=("representations/rep1/METS.xml",))
    )
    return root


def zip_folder(folder: Path, target: Path, *, top: bool = True) -> Path:
    """Zip ``folder`` (under its own name when ``top``), with deterministic member order."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                rel = path.relative_to(folder).as_posix()
                zf.write(path, f"{folder.name}/{rel}" if top else rel)
    return target
