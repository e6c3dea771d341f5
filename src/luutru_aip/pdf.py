"""PDF inspection with pikepdf: pages, page sizes, PDF/A claim, version, encryption, signature fields, damage.

Issue 3 ("PDF inspection"). Scanned records are mostly PDF; the page count goes into the
TT05 metadata (``numberOfPage``, Thông tư 05/2025/TT-BNV) and the Ministry's statistics,
and the digitisation rules ask for A4 pages and PDF/A. This is the ONLY module that
imports :mod:`pikepdf`.

:func:`inspect_pdf` never raises for a bad file: a PDF that pikepdf (qpdf) cannot open,
or opens only after repairing it, is a *finding* with qpdf's reason (``PDF001`` …,
catalogue ``data/rules/pdf.toml``). The PDF/A facts are the file's *claim* (XMP
``pdfaid:part`` and ``pdfaid:conformance``, ISO 19005), not a validation.
"""

from __future__ import annotations

import os
import re
from typing import Any, Final

import attrs

from luutru_aip.findings import Finding, finding

__all__ = ["A4_MM", "A4_TOLERANCE_MM", "PageSize", "PdfFacts", "inspect_pdf"]

#: ISO 216 A4, in millimetres.
A4_MM: Final = (210.0, 297.0)
#: How far a page may be from A4 and still count as A4 (scanners and rounding), in mm.
A4_TOLERANCE_MM: Final = 2.0
_PT_PER_MM: Final = 72.0 / 25.4


@attrs.frozen(kw_only=True)
class PageSize:
    """The size of one page as displayed (``/MediaBox`` × ``/UserUnit``, after ``/Rotate``)."""

    width_pt: float
    height_pt: float

    @property
    def width_mm(self) -> float:
        return round(self.width_pt / _PT_PER_MM, 1)

    @property
    def height_mm(self) -> float:
        return round(self.height_pt / _PT_PER_MM, 1)

    @property
    def orientation(self) -> str:
        """``portrait``, ``landscape`` or ``square``."""
        if abs(self.width_pt - self.height_pt) < 0.5:
            return "square"
        return "landscape" if self.width_pt > self.height_pt else "portrait"

    @property
    def is_a4(self) -> bool:
        """A4 in either orientation, within :data:`A4_TOLERANCE_MM`."""
        short, long_ = sorted((self.width_pt / _PT_PER_MM, self.height_pt / _PT_PER_MM))
        return abs(short - A4_MM[0]) <= A4_TOLERANCE_MM and abs(long_ - A4_MM[1]) <= A4_TOLERANCE_MM

    def to_dict(self) -> dict[str, Any]:
        return {
            "width_mm": self.width_mm,
            "height_mm": self.height_mm,
            "a4": self.is_a4,
            "orientation": self.orientation,
        }


@attrs.frozen(kw_only=True)
class PdfFacts:
    """What :func:`inspect_pdf` found. Fields are ``None`` when the file could not be read."""

    path: str
    opened: bool
    page_count: int | None = None
    pages: tuple[PageSize, ...] = ()
    pdf_version: str | None = None
    #: PDF/A claim from XMP: part ("1".."4") and conformance ("A", "B", "U", "E", "F" …).
    pdfa_part: str | None = None
    pdfa_conformance: str | None = None
    encrypted: bool = False
    needs_password: bool = False
    #: AcroForm fields of type ``/Sig``; ``signed_fields`` of them hold a signature value ``/V``.
    signature_fields: int = 0
    signed_fields: int = 0
    repaired: bool = False
    repair_reason: str | None = None
    findings: tuple[Finding, ...] = ()

    @property
    def pdfa_claim(self) -> str | None:
        """E.g. ``"PDF/A-2U"``, or ``None`` without a claim."""
        if not self.pdfa_part:
            return None
        return f"PDF/A-{self.pdfa_part}{(self.pdfa_conformance or '').upper()}"

    @property
    def all_a4(self) -> bool:
        return bool(self.pages) and all(p.is_a4 for p in self.pages)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "opened": self.opened,
            "page_count": self.page_count,
            "pages": [p.to_dict() for p in self.pages],
            "pdf_version": self.pdf_version,
            "pdfa": {"part": self.pdfa_part, "conformance": self.pdfa_conformance, "claim": self.pdfa_claim},
            "encrypted": self.encrypted,
            "needs_password": self.needs_password,
            "signature_fields": self.signature_fields,
            "signed_fields": self.signed_fields,
            "repaired": self.repaired,
            "repair_reason": self.repair_reason,
            "findings": [f.to_dict() for f in self.findings],
        }


def _reason(text: str, fspath: str) -> str:
    """qpdf's message without the file name it starts with."""
    text = str(text)
    for prefix in (fspath + ": ", fspath + " "):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return text.strip() or "unknown error"


def _damage_reason(warnings: list[str], fspath: str) -> str:
    reasons = [_reason(w, fspath) for w in warnings]
    useful = [r for r in reasons if r != "file is damaged"]
    return "; ".join(dict.fromkeys(useful or reasons))[:500]


def _inherited(obj: Any, key: str) -> Any:
    """A page attribute, looked up through ``/Parent`` (ISO 32000-1 §7.7.3.4)."""
    seen = 0
    while obj is not None and seen < 64:
        value = obj.get(key)
        if value is not None:
            return value
        obj = obj.get("/Parent")
        seen += 1
    return None


def _page_size(page: Any) -> PageSize:
    box = [float(v) for v in page.mediabox]
    width, height = abs(box[2] - box[0]), abs(box[3] - box[1])
    unit = page.obj.get("/UserUnit")
    if unit is not None:
        width, height = width * float(unit), height * float(unit)
    rotate = _inherited(page.obj, "/Rotate")
    if rotate is not None and int(rotate) % 180 == 90:
        width, height = height, width
    return PageSize(width_pt=round(width, 2), height_pt=round(height, 2))


def _signature_fields(pdf: Any) -> tuple[int, int]:
    """(signature fields, signed ones): AcroForm terminal fields with ``/FT /Sig`` (inheritable)."""
    acroform = pdf.Root.get("/AcroForm")
    fields = None if acroform is None else acroform.get("/Fields")
    if fields is None:
        return 0, 0
    total = signed = 0
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[Any, Any]] = [(f, None) for f in fields]
    while stack:
        field, inherited_ft = stack.pop()
        objgen = tuple(getattr(field, "objgen", (0, 0)))
        if objgen != (0, 0):
            if objgen in seen:  # a loop in a damaged field tree
                continue
            seen.add((int(objgen[0]), int(objgen[1])))
        ft = field.get("/FT", inherited_ft)
        kids = field.get("/Kids")
        if kids is not None and len(kids) > 0:
            stack.extend((k, ft) for k in kids)
            continue
        if ft is not None and str(ft) == "/Sig":
            total += 1
            if field.get("/V") is not None:
                signed += 1
    return total, signed


_PART_RE: Final = re.compile(r"^\s*([0-9]+)\s*$")


def inspect_pdf(path: str | os.PathLike[str], *, display_path: str | None = None) -> PdfFacts:
    """Inspect the PDF at ``path``. Never raises for a bad file (see the module docstring).

    ``display_path`` is the path put in the findings (for example relative to a package root).
    """
    import pikepdf

    fspath = os.fspath(path)
    shown = display_path if display_path is not None else fspath
    found: list[Finding] = []
    try:
        pdf = pikepdf.open(fspath)
    except pikepdf.PasswordError:
        found.append(finding("PDF003", path=shown))
        found.append(finding("PDF006", path=shown))
        return PdfFacts(path=shown, opened=False, encrypted=True, needs_password=True, findings=tuple(found))
    except (pikepdf.PdfError, OSError, ValueError, RuntimeError) as exc:
        found.append(finding("PDF001", path=shown, reason=_reason(str(exc), fspath)))
        return PdfFacts(path=shown, opened=False, findings=tuple(found))
    with pdf:
        try:
            pages = tuple(_page_size(p) for p in pdf.pages)
            version = str(pdf.pdf_version)
            catalog_version = pdf.Root.get("/Version")
            if catalog_version is not None:  # the catalog may raise the header's version (ISO 32000 §7.2.2)
                cv = str(catalog_version).lstrip("/")
                if re.fullmatch(r"\d+\.\d+", cv) and tuple(map(int, cv.split("."))) > tuple(
                    map(int, version.split(".")) if re.fullmatch(r"\d+\.\d+", version) else (0, 0)
                ):
                    version = cv
            part = conformance = None
            try:
                with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
                    raw_part = meta.get("pdfaid:part")
                    raw_conf = meta.get("pdfaid:conformance")
                    if raw_part is not None and _PART_RE.match(str(raw_part)):
                        part = str(raw_part).strip()
                    if raw_conf:
                        conformance = str(raw_conf).strip().upper() or None
            except Exception as exc:
                pdf_warning = f"XMP metadata unreadable: {exc}"
                found.append(finding("PDF002", path=shown, reason=pdf_warning[:300]))
            sig_total, sig_signed = _signature_fields(pdf)
            encrypted = bool(pdf.is_encrypted)
            warnings = list(pdf.get_warnings())
        except (pikepdf.PdfError, ValueError, RuntimeError, KeyError, TypeError, AttributeError) as exc:
            found.append(finding("PDF001", path=shown, reason=_reason(str(exc), fspath)))
            return PdfFacts(path=shown, opened=False, findings=tuple(found))
    repaired = bool(warnings)
    reason = _damage_reason(warnings, fspath) if repaired else None
    if repaired:
        found.append(finding("PDF002", path=shown, reason=reason))
    if encrypted:
        found.append(finding("PDF003", path=shown))
    not_a4 = [i + 1 for i, p in enumerate(pages) if not p.is_a4]
    if not_a4:
        first = pages[not_a4[0] - 1]
        found.append(
            finding(
                "PDF004",
                path=shown,
                count=len(not_a4),
                first_page=not_a4[0],
                size=f"{first.width_mm:g} × {first.height_mm:g} mm",
            )
        )
    if part is None:
        found.append(finding("PDF005", path=shown))
    if not pages:
        found.append(finding("PDF007", path=shown))
    return PdfFacts(
        path=shown,
        opened=True,
        page_count=len(pages),
        pages=pages,
        pdf_version=version,
        pdfa_part=part,
        pdfa_conformance=conformance,
        encrypted=encrypted,
        signature_fields=sig_total,
        signed_fields=sig_signed,
        repaired=repaired,
        repair_reason=reason,
        findings=tuple(found),
    )
