"""A generated corpus of real-looking files for identification tests and the benchmark.

Every file is made here, from the standard library, Pillow, pikepdf and openpyxl, so no
binary blobs live in the repository. :func:`make_corpus` writes one of each kind (with
known answers for the PDF facts); :func:`make_bench_corpus` writes many varied files.
"""

from __future__ import annotations

import io
import random
import struct
import wave
import zipfile
from collections.abc import Callable
from pathlib import Path

import pikepdf

A4 = (595.28, 841.89)
LETTER = (612.0, 792.0)

# --------------------------------------------------------------------------- PDF


def _pdf(
    path: Path,
    pages: list[tuple[float, float]],
    *,
    pdfa: tuple[str, str] | None = None,
    version: str | None = None,
    encrypt: bool = False,
    sig_field: bool = False,
    seed: int = 0,
) -> Path:
    pdf = pikepdf.new()
    for i, (w, h) in enumerate(pages):
        pdf.add_blank_page(page_size=(w, h))
        content = pikepdf.Stream(pdf, f"BT /F1 12 Tf 72 720 Td (page {i} seed {seed}) Tj ET".encode())
        pdf.pages[-1].Contents = content
    if pdfa is not None:
        part, conformance = pdfa
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta.load_from_docinfo(pdf.docinfo)
            meta["pdfaid:part"] = part
            if conformance:
                meta["pdfaid:conformance"] = conformance
    if sig_field:
        field = pdf.make_indirect(
            pikepdf.Dictionary(
                FT=pikepdf.Name.Sig,
                T=pikepdf.String("Signature1"),
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Widget,
                Rect=[0, 0, 0, 0],
                P=pdf.pages[0].obj,
            )
        )
        pdf.Root.AcroForm = pikepdf.Dictionary(Fields=[field], SigFlags=3)
        pdf.pages[0].Annots = pdf.make_indirect([field])
    kwargs: dict[str, object] = {}
    if version:
        kwargs["min_version"] = version
    if encrypt:
        kwargs["encryption"] = pikepdf.Encryption(owner="owner", user="user", R=6)
    pdf.save(path, **kwargs)  # type: ignore[arg-type]
    return path


def _truncated_pdf(path: Path) -> Path:
    buf = io.BytesIO()
    p = pikepdf.new()
    for _ in range(3):
        p.add_blank_page(page_size=A4)
    p.save(buf)
    data = buf.getvalue()
    path.write_bytes(data[: len(data) * 2 // 3])
    return path


def _broken_xref_pdf(path: Path) -> Path:
    """A PDF whose xref offsets are wrong: qpdf opens it only after repair."""
    buf = io.BytesIO()
    p = pikepdf.new()
    p.add_blank_page(page_size=A4)
    p.save(buf)
    data = buf.getvalue()
    start = data.rindex(b"startxref")
    data = data[:start] + b"startxref\n999999\n%%EOF\n"
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------- images, audio, video


def _image(path: Path, fmt: str, size: tuple[int, int] = (64, 48), seed: int = 0, **save: object) -> Path:
    from PIL import Image

    rng = random.Random(seed)
    img = Image.new("RGB", size, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    for _ in range(20):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        img.putpixel((x, y), (rng.randrange(256), 0, 0))
    img.save(path, fmt, **save)
    return path


def _wav(path: Path, seed: int = 0, frames: int = 800) -> Path:
    rng = random.Random(seed)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(bytes(rng.randrange(256) for _ in range(frames * 2)))
    return path


def _mp3(path: Path, seed: int = 0, frames: int = 12, id3: bool = True) -> Path:
    """MPEG-1 Layer III, 128 kbit/s, 44.1 kHz frames (417 bytes each), optionally behind an ID3v2 tag."""
    rng = random.Random(seed)
    out = bytearray()
    if id3:
        title = b"\x00bai hat"
        frame = b"TIT2" + struct.pack(">I", len(title)) + b"\x00\x00" + title
        size = len(frame)
        synchsafe = bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])
        out += b"ID3\x03\x00\x00" + synchsafe + frame
    for _ in range(frames):
        out += b"\xff\xfb\x90\x64" + bytes(rng.randrange(256) for _ in range(413))
    path.write_bytes(bytes(out))
    return path


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _mp4(path: Path, seed: int = 0) -> Path:
    """ISO base media file: ftyp (isom), a minimal moov/mvhd and an mdat."""
    rng = random.Random(seed)
    ftyp = _box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41")
    mvhd = _box(
        b"mvhd",
        b"\x00\x00\x00\x00"
        + struct.pack(">IIII", 0, 0, 1000, 0)
        + b"\x00\x01\x00\x00"
        + b"\x01\x00"
        + b"\x00" * 10
        + struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
        + b"\x00" * 24
        + struct.pack(">I", 2),
    )
    moov = _box(b"moov", mvhd)
    mdat = _box(b"mdat", bytes(rng.randrange(256) for _ in range(256)))
    path.write_bytes(ftyp + moov + mdat)
    return path


# --------------------------------------------------------------------------- office and zip

_CT_DOCX = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'wordprocessingml.document.main+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="word/document.xml"/></Relationships>'
)


def _docx(path: Path, seed: int = 0, text: str = "Công văn số 12/UBND") -> Path:
    body = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body><w:p><w:r><w:t>{text} {seed}</w:t></w:r></w:p></w:body></w:document>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT_DOCX)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("word/document.xml", body)
    return path


def _xlsx(path: Path, seed: int = 0) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"] = "Hồ sơ"
    ws["B2"] = seed
    wb.save(path)
    return path


def _odf(path: Path, mimetype: str, seed: int = 0) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        z.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
            'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
            f'manifest:media-type="{mimetype}"/></manifest:manifest>',
            compress_type=zipfile.ZIP_DEFLATED,
        )
        z.writestr(
            "content.xml",
            '<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" office:version="1.2">'
            f"<office:body>{seed}</office:body></office:document-content>",
            compress_type=zipfile.ZIP_DEFLATED,
        )
    return path


def _zip(path: Path, seed: int = 0) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("readme.txt", f"tep nen {seed}\n" * 20)
        z.writestr("data/values.csv", "a,b\n1,2\n")
    return path


def _cfb(path: Path, streams: dict[str, bytes]) -> Path:
    """A minimal OLE2 compound file (CFB v3) with streams of at least 4,096 bytes (no mini stream)."""
    sector = 512
    free, end, fatsect, nostream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    names = list(streams)
    datas = [streams[n].ljust(4096, b"\x00") for n in names]
    n_dir_entries = 1 + len(names)
    dir_sectors = (n_dir_entries * 128 + sector - 1) // sector
    fat = [fatsect] + [0] * dir_sectors
    for i in range(dir_sectors):
        fat[1 + i] = (2 + i) if i < dir_sectors - 1 else end
    starts = []
    next_sector = 1 + dir_sectors
    for data in datas:
        count = (len(data) + sector - 1) // sector
        starts.append(next_sector)
        for j in range(count):
            fat.append(next_sector + j + 1 if j < count - 1 else end)
        next_sector += count
    assert len(fat) <= sector // 4
    fat += [free] * (sector // 4 - len(fat))

    def entry(name: str, kind: int, left: int, right: int, child: int, start: int, size: int) -> bytes:
        raw = (name + "\x00").encode("utf-16-le")
        return (
            raw.ljust(64, b"\x00")
            + struct.pack("<HBB", len(raw), kind, 1)
            + struct.pack("<III", left, right, child)
            + b"\x00" * 16
            + b"\x00" * 4
            + b"\x00" * 16
            + struct.pack("<IQ", start, size)
        )

    # siblings: a right-leaning chain (olefile does not require a balanced tree)
    entries = [entry("Root Entry", 5, nostream, nostream, 1 if names else nostream, end, 0)]
    for i, (name, data) in enumerate(zip(names, datas, strict=True)):
        right = i + 2 if i + 1 < len(names) else nostream
        entries.append(entry(name, 2, nostream, right, nostream, starts[i], len(data)))
    directory = b"".join(entries).ljust(dir_sectors * sector, b"\x00")
    for k in range(n_dir_entries, dir_sectors * 4):
        off = k * 128
        directory = (
            directory[: off + 68] + struct.pack("<III", nostream, nostream, nostream) + directory[off + 80 :]
        )
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\x00" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
    )
    header += struct.pack("<I", 0) + struct.pack("<I", free) * 108
    assert len(header) == sector
    body = struct.pack(f"<{sector // 4}I", *fat) + directory + b"".join(datas)
    path.write_bytes(header + body)
    return path


def _doc(path: Path, seed: int = 0) -> Path:
    word = b"\xec\xa5\xc1\x00" + b"\x00" * 60 + b"\x10\x00\x00\x00Word.Document.8\x00" + bytes([seed % 256])
    return _cfb(path, {"WordDocument": word})


def _xls(path: Path, seed: int = 0) -> Path:
    workbook = b"\x09\x08\x10\x00\x00\x06\x05\x00" + bytes([seed % 256]) * 16
    return _cfb(path, {"Workbook": workbook})


# --------------------------------------------------------------------------- text


_VI = "Ủy ban nhân dân tỉnh, hồ sơ lưu trữ số {n}; ngày ký văn bản.\n"


def _text(path: Path, seed: int = 0, lines: int = 20, encoding: str = "utf-8") -> Path:
    path.write_bytes("".join(_VI.format(n=seed + i) for i in range(lines)).encode(encoding))
    return path


def _xml(path: Path, seed: int = 0, declaration: bool = True) -> Path:
    head = '<?xml version="1.0" encoding="UTF-8"?>\n' if declaration else ""
    path.write_text(
        head + f'<hoSo xmlns="urn:example:tt05"><maHoSo>{seed}</maHoSo></hoSo>\n', encoding="utf-8"
    )
    return path


def _html(path: Path, seed: int = 0) -> Path:
    path.write_text(
        f"<!DOCTYPE html>\n<html><head><title>{seed}</title></head><body>x</body></html>\n", encoding="utf-8"
    )
    return path


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------- corpus

Maker = Callable[[Path, int], Path]

KINDS: dict[str, tuple[str, Maker]] = {
    "pdf_a4": (".pdf", lambda p, s: _pdf(p, [A4], seed=s)),
    "pdf_letter3": (".pdf", lambda p, s: _pdf(p, [LETTER] * 3, seed=s, version="1.7")),
    "pdfa_1b": (".pdf", lambda p, s: _pdf(p, [A4], pdfa=("1", "B"), version="1.4", seed=s)),
    "pdfa_2u": (".pdf", lambda p, s: _pdf(p, [A4, A4], pdfa=("2", "U"), version="1.7", seed=s)),
    "tiff": (".tif", lambda p, s: _image(p, "TIFF", seed=s)),
    "tiff_lzw": (".tiff", lambda p, s: _image(p, "TIFF", seed=s, compression="tiff_lzw")),
    "jpeg": (".jpg", lambda p, s: _image(p, "JPEG", seed=s)),
    "jp2": (".jp2", lambda p, s: _image(p, "JPEG2000", seed=s)),
    "png": (".png", lambda p, s: _image(p, "PNG", seed=s)),
    "gif": (".gif", lambda p, s: _image(p, "GIF", seed=s)),
    "bmp": (".bmp", lambda p, s: _image(p, "BMP", seed=s)),
    "txt": (".txt", lambda p, s: _text(p, s)),
    "csv": (".csv", lambda p, s: _bytes(p, f"ma,ten\n{s},Hà Nội\n".encode())),
    "xml": (".xml", lambda p, s: _xml(p, s)),
    "xml_nodecl": (".xml", lambda p, s: _xml(p, s, declaration=False)),
    "html": (".html", lambda p, s: _html(p, s)),
    "docx": (".docx", lambda p, s: _docx(p, s)),
    "xlsx": (".xlsx", lambda p, s: _xlsx(p, s)),
    "odt": (".odt", lambda p, s: _odf(p, "application/vnd.oasis.opendocument.text", s)),
    "ods": (".ods", lambda p, s: _odf(p, "application/vnd.oasis.opendocument.spreadsheet", s)),
    "zip": (".zip", lambda p, s: _zip(p, s)),
    "doc": (".doc", lambda p, s: _doc(p, s)),
    "xls": (".xls", lambda p, s: _xls(p, s)),
    "wav": (".wav", lambda p, s: _wav(p, s)),
    "mp3": (".mp3", lambda p, s: _mp3(p, s)),
    "mp3_noid3": (".mp3", lambda p, s: _mp3(p, s, id3=False)),
    "mp4": (".mp4", lambda p, s: _mp4(p, s)),
    "random_bin": (".bin", lambda p, s: _bytes(p, random.Random(s).randbytes(3000))),
}

#: Files whose answers the PDF tests know.
SPECIAL: dict[str, Maker] = {
    "empty.txt": lambda p, s: _bytes(p, b""),
    "empty.pdf": lambda p, s: _bytes(p, b""),
    "empty": lambda p, s: _bytes(p, b""),
    "noext_text": lambda p, s: _text(p, s),
    "png_named.jpg": lambda p, s: _image(p, "PNG", seed=s),
    "pdf_named.docx": lambda p, s: _pdf(p, [A4], seed=s),
    "text_named.pdf": lambda p, s: _text(p, s),
    "docx_named.zip": lambda p, s: _docx(p, s),
    "xlsx_named.bin": lambda p, s: _xlsx(p, s),
    "encrypted.pdf": lambda p, s: _pdf(p, [A4], encrypt=True),
    "truncated.pdf": lambda p, s: _truncated_pdf(p),
    "broken_xref.pdf": lambda p, s: _broken_xref_pdf(p),
    "signed_field.pdf": lambda p, s: _pdf(p, [A4], sig_field=True),
    "landscape.pdf": lambda p, s: _pdf(p, [(A4[1], A4[0])]),
    "mixed_sizes.pdf": lambda p, s: _pdf(p, [A4, LETTER, (A4[1], A4[0])]),
    "big_text.txt": lambda p, s: _text(p, s, lines=6000),
    "big_random.dat": lambda p, s: _bytes(p, random.Random(7).randbytes(400_000)),
    "UPPER.PDF": lambda p, s: _pdf(p, [A4]),
    "utf16.txt": lambda p, s: _text(p, s, encoding="utf-16"),
    "truncated.zip": lambda p, s: _bytes(p, _zip_bytes()[:-30]),
    "fake_ole.doc": lambda p, s: _bytes(p, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600),
}


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.txt", "x" * 100)
    return buf.getvalue()


def make_corpus(root: Path) -> dict[str, Path]:
    """One file of every kind plus the special cases; returns ``{name: path}``."""
    root.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    for kind, (ext, maker) in KINDS.items():
        out[kind] = maker(root / f"{kind}{ext}", 1)
    for name, maker in SPECIAL.items():
        out[name] = maker(root / name, 2)
    return out


def make_bench_corpus(root: Path, n_files: int, *, seed: int = 0) -> list[Path]:
    """``n_files`` varied files cycling through every kind (and the special cases)."""
    root.mkdir(parents=True, exist_ok=True)
    makers: list[tuple[str, str, Maker]] = [(k, e, m) for k, (e, m) in KINDS.items()]
    makers += [
        (n.replace(".", "_"), "." + n.rsplit(".", 1)[1] if "." in n else "", m)
        for n, m in SPECIAL.items()
        if not n.startswith("big_")
    ]
    paths = []
    for i in range(n_files):
        kind, ext, maker = makers[i % len(makers)]
        sub = root / f"d{i // 250:03d}"
        sub.mkdir(exist_ok=True)
        paths.append(maker(sub / f"{kind}_{i:05d}{ext}", seed + i))
    return paths
