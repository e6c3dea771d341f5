"""``luutru-aip identify PATH... [--json] [--workers N] [--no-pdf]``: identification and PDF inspection.

Issue 3 ("CLI" and "PDF inspection"). Recurses into folders, shows aggregated progress on a
terminal, prints one line per file (PUIDs, basis, finding codes, and for PDFs the page count,
PDF/A claim and damage) and a final totals line (files, PDFs, pages — the Ministry's statistic —
encrypted and damaged PDFs), or, with ``--json``, the document described by
``schemas/identify.schema.json`` (format version 1.1). Exit 1 when a finding (``FMT…`` or
``PDF…``) reaches ``--fail-on``.

**Which files are PDFs** (:func:`is_pdf`): a file is inspected when *any* of its matches, whatever
the basis, has the MIME type ``application/pdf`` or a PUID of the PDF family
(:data:`PDF_PUIDS`: PDF 1.0–2.0, PDF/A, PDF/X, PDF/E and PDF Portfolio ``fmt/1451``, which has no
MIME type in PRONOM). Extension-only matches count on purpose: a truncated PDF has lost its
``%%EOF`` trailer, so PRONOM's signatures no longer match and only the ``.pdf`` extension names it;
likewise a ``.pdf`` that is not a PDF at all is reported as unopenable (``PDF001``) rather than
passed over. A PDF named ``.docx`` is inspected (its signature says PDF); a PNG named ``.pdf`` is
not (its signature says PNG).

**Where inspection runs** (:func:`inspect_pdfs`): identification first (with the identify
package's own batched pool), then inspection of the PDFs it found, in a second process pool
owned by this layer. The two stages stay separate because ``luutru_aip.identify`` must not
import ``luutru_aip.pdf`` (both are L1 adapters) and the identification pool stays a pure
identification pool; only this presentation layer (L4) knows both. Each inspection costs
milliseconds (qpdf parses the cross-reference table and page tree), so the pool is used only
when there are at least :data:`PDFS_PER_WORKER` PDFs per worker, tasks go in chunks, and
results come back in input order, so ``--workers 2`` prints exactly what ``--workers 1`` prints.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Final

import click

from luutru_aip.cli._common import (
    AppContext,
    common_options,
    default_workers,
    emit_json,
    exit_for,
    fail_on_option,
    json_option,
    pass_ctx,
    workers_option,
)
from luutru_aip.errors import UsageError
from luutru_aip.findings import Finding, Report, Severity
from luutru_aip.identify import (
    Identification,
    SignatureOptions,
    default_identifier,
    identification_document,
)
from luutru_aip.pdf import PdfFacts, inspect_pdf

__all__ = ["PDFS_PER_WORKER", "PDF_MIME", "PDF_PUIDS", "command", "inspect_pdfs", "is_pdf", "pdf_entry"]

#: The MIME type that makes a match a PDF (parameters and case ignored).
PDF_MIME: Final = "application/pdf"
#: PRONOM PUIDs of formats that are PDF files (signature file v109), for matches without a MIME type.
PDF_PUIDS: Final = frozenset(
    {f"fmt/{n}" for n in (14, 15, 16, 17, 18, 19, 20, 276, 1129)}  # PDF 1.0–1.7, 2.0
    | {f"fmt/{n}" for n in (95, 354, 476, 477, 478, 479, 480, 481)}  # PDF/A-1, -2, -3
    | {f"fmt/{n}" for n in (144, 145, 146, 147, 148, 157, 158, 488, 489, 490, 491, 492)}  # PDF/X
    | {"fmt/493", "fmt/1451"}  # PDF/E-1, PDF Portfolio
)
#: Inspect in a pool only with at least this many PDFs per worker (pool start-up costs more).
PDFS_PER_WORKER: Final = 8
#: Identify in a pool only with at least this many files per worker.
FILES_PER_WORKER: Final = 64

_TEXT: Final[dict[str, dict[str, str]]] = {
    "en": {
        "pages": "{n} pages",
        "page": "1 page",
        "not_a4": "{n} not A4",
        "encrypted": "encrypted",
        "password": "needs a password",
        "repaired": "damaged (repaired)",
        "unreadable": "cannot be opened",
        "signatures": "{n} signature field(s)",
        "total": "Total: {files} files, {identified} identified",
        "pdf_total": "{pdfs} PDF files, {pages} pages",
        "unknown": " (pages unknown for {n} of them)",
        "pdf_flags": "{encrypted} encrypted, {damaged} damaged",
        "skipped": "PDF inspection skipped (--no-pdf)",
    },
    "vi": {
        "pages": "{n} trang",
        "page": "1 trang",
        "not_a4": "{n} trang không phải A4",
        "encrypted": "bị mã hóa",
        "password": "cần mật khẩu",
        "repaired": "bị hỏng (đã sửa để đọc)",
        "unreadable": "không mở được",
        "signatures": "{n} ô chữ ký",
        "total": "Tổng cộng: {files} tệp, {identified} tệp nhận dạng được",
        "pdf_total": "{pdfs} tệp PDF, {pages} trang",
        "unknown": " ({n} tệp trong số đó không đếm được số trang)",
        "pdf_flags": "{encrypted} tệp bị mã hóa, {damaged} tệp bị hỏng",
        "skipped": "bỏ qua kiểm tra PDF (--no-pdf)",
    },
}


def _text(lang: str, key: str, **values: object) -> str:
    return _TEXT.get(lang, _TEXT["en"])[key].format(**values)


def _walk(paths: tuple[str, ...]) -> Iterator[str]:
    for root in paths:
        base = Path(root)
        if base.is_dir():
            for folder, dirs, files in os.walk(base):
                dirs.sort()
                for name in sorted(files):
                    yield str(Path(folder) / name)
        elif base.exists() or base.is_symlink():
            yield root
        else:
            raise UsageError(f"no such file or folder: {root}")


def is_pdf(result: Identification) -> bool:
    """True when any match is a PDF format: MIME ``application/pdf`` or a PUID in :data:`PDF_PUIDS`."""
    for match in result.matches:
        if match.puid in PDF_PUIDS:
            return True
        mimes = (match.mime or "").lower().replace(";", ",").split(",")
        if any(m.strip() == PDF_MIME for m in mimes):
            return True
    return False


def _inspect(path: str) -> PdfFacts:
    """One inspection; module-level so that pool workers can receive it."""
    return inspect_pdf(path, display_path=path)


def inspect_pdfs(paths: Sequence[str], *, workers: int) -> Iterator[PdfFacts]:
    """Inspect ``paths`` in input order; ``workers > 1`` uses a process pool (see the module docstring)."""
    count = min(workers, len(paths) // PDFS_PER_WORKER)
    if count <= 1:
        yield from (_inspect(p) for p in paths)
        return
    method = "fork" if os.name == "posix" and "fork" in multiprocessing.get_all_start_methods() else "spawn"
    chunk = max(1, min(16, len(paths) // (count * 4)))
    with ProcessPoolExecutor(max_workers=count, mp_context=multiprocessing.get_context(method)) as pool:
        yield from pool.map(_inspect, paths, chunksize=chunk)


def pdf_entry(facts: PdfFacts, *, lang: str) -> dict[str, Any]:
    """The ``pdf`` object of one file in ``schemas/identify.schema.json`` (page sizes summarised)."""
    orientations = Counter(p.orientation for p in facts.pages)
    a4 = sum(1 for p in facts.pages if p.is_a4)
    return {
        "opened": facts.opened,
        "page_count": facts.page_count,
        "page_sizes": {
            "a4": a4,
            "not_a4": len(facts.pages) - a4,
            "portrait": orientations["portrait"],
            "landscape": orientations["landscape"],
            "square": orientations["square"],
        },
        "pdf_version": facts.pdf_version,
        "pdfa": {"part": facts.pdfa_part, "conformance": facts.pdfa_conformance, "claim": facts.pdfa_claim},
        "encrypted": facts.encrypted,
        "needs_password": facts.needs_password,
        "signature_fields": facts.signature_fields,
        "signed_fields": facts.signed_fields,
        "repaired": facts.repaired,
        "repair_reason": facts.repair_reason,
        "findings": [f.to_dict(lang) for f in facts.findings],
    }


def _damaged(facts: PdfFacts) -> bool:
    """Repaired on opening (PDF002) or not openable for a reason other than a password (PDF001)."""
    return facts.repaired or (not facts.opened and not facts.needs_password)


def pdf_totals(facts: Sequence[PdfFacts]) -> dict[str, int]:
    """The ``pdf_totals`` object: the statistics the Ministry asks for (PDF files and pages)."""
    return {
        "files": len(facts),
        "pages": sum(f.page_count or 0 for f in facts),
        "pages_a4": sum(1 for f in facts for p in f.pages if p.is_a4),
        "pages_not_a4": sum(1 for f in facts for p in f.pages if not p.is_a4),
        "page_count_unknown": sum(1 for f in facts if f.page_count is None),
        "pdfa_claimed": sum(1 for f in facts if f.pdfa_claim is not None),
        "encrypted": sum(1 for f in facts if f.encrypted),
        "damaged": sum(1 for f in facts if _damaged(f)),
        "with_signature_fields": sum(1 for f in facts if f.signature_fields),
    }


def _pdfa_text(facts: PdfFacts) -> str | None:
    """``PDF/A-2b``: ISO 19005's usual spelling (part, then the conformance letter in lower case)."""
    if not facts.pdfa_part:
        return None
    return f"PDF/A-{facts.pdfa_part}{(facts.pdfa_conformance or '').lower()}"


def _pdf_text(facts: PdfFacts, lang: str) -> str:
    if not facts.opened:
        return _text(lang, "password" if facts.needs_password else "unreadable")
    n = facts.page_count or 0
    parts = [_text(lang, "page") if n == 1 else _text(lang, "pages", n=n), f"PDF {facts.pdf_version}"]
    if (claim := _pdfa_text(facts)) is not None:
        parts.append(claim)
    not_a4 = sum(1 for p in facts.pages if not p.is_a4)
    if not_a4:
        parts.append(_text(lang, "not_a4", n=not_a4))
    if facts.encrypted:
        parts.append(_text(lang, "encrypted"))
    if facts.repaired:
        parts.append(_text(lang, "repaired"))
    if facts.signature_fields:
        parts.append(_text(lang, "signatures", n=facts.signature_fields))
    return ", ".join(parts)


def _summary(results: Sequence[Identification], facts: Sequence[PdfFacts] | None, lang: str) -> str:
    identified = sum(1 for r in results if r.matches)
    line = _text(lang, "total", files=len(results), identified=identified)
    if facts is None:
        return f"{line}; {_text(lang, 'skipped')}"
    totals = pdf_totals(facts)
    line += "; " + _text(lang, "pdf_total", pdfs=totals["files"], pages=totals["pages"])
    if totals["page_count_unknown"]:
        line += _text(lang, "unknown", n=totals["page_count_unknown"])
    return line + "; " + _text(lang, "pdf_flags", encrypted=totals["encrypted"], damaged=totals["damaged"])


@click.command(name="identify")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--signature-file",
    type=click.Path(exists=True, dir_okay=False),
    help="A newer PRONOM signature file in fido's format (formats-vNNN.xml).",
)
@click.option(
    "--container-file",
    type=click.Path(exists=True, dir_okay=False),
    help="A container signature file (container-signature-YYYYMMDD.xml).",
)
@click.option(
    "--no-pdf",
    "no_pdf",
    is_flag=True,
    help="Do not inspect PDFs (pages, PDF/A claim, encryption, damage); identification only.",
)
@workers_option
@fail_on_option
@json_option
@common_options
@pass_ctx
def command(
    app: AppContext,
    paths: tuple[str, ...],
    signature_file: str | None,
    container_file: str | None,
    no_pdf: bool,
    workers: int | None,
    fail_on: Severity,
    as_json: bool,
) -> int:
    """Identify the format (PRONOM PUID) of every file in PATHS, recursing into folders, and inspect PDFs.

    Nhận dạng định dạng tệp (mã PUID của PRONOM) cho mọi tệp trong PATHS và kiểm tra các tệp PDF
    (số trang, khổ giấy, PDF/A, mã hóa, hư hỏng).
    """
    files = list(_walk(paths))
    identifier = default_identifier(
        SignatureOptions(signature_file=signature_file, container_file=container_file)
    )
    requested = default_workers(workers)
    n_workers = min(requested, max(1, len(files) // FILES_PER_WORKER))
    app.debug(f"{len(files)} files, {n_workers} worker(s), signatures {identifier.signature_version}")
    results: list[Identification] = []
    with app.progress(
        identifier.identify_paths(files, workers=n_workers), length=len(files), label="identify"
    ) as bar:
        for result in bar:
            results.append(result)
    facts_by_index: dict[int, PdfFacts] = {}
    if not no_pdf:
        pdf_indices = [i for i, r in enumerate(results) if is_pdf(r)]
        app.debug(f"{len(pdf_indices)} PDF file(s) to inspect")
        pdf_paths = [results[i].path for i in pdf_indices]
        with app.progress(
            inspect_pdfs(pdf_paths, workers=requested), length=len(pdf_paths), label="pdf"
        ) as bar:
            facts_by_index = dict(zip(pdf_indices, bar, strict=True))
    findings: list[Finding] = []
    for i, r in enumerate(results):
        findings.extend(r.findings())
        if i in facts_by_index:
            findings.extend(facts_by_index[i].findings)
    all_facts = None if no_pdf else [facts_by_index[i] for i in sorted(facts_by_index)]
    if as_json:
        document = identification_document(results, identifier=identifier, lang=app.lang)
        for i, entry in enumerate(document["files"]):
            if i in facts_by_index:
                entry["pdf"] = pdf_entry(facts_by_index[i], lang=app.lang)
        if all_facts is not None:
            document["pdf_totals"] = pdf_totals(all_facts)
        emit_json(document)
    else:
        for i, r in enumerate(results):
            puids = ",".join(r.puids) or "-"
            basis = r.basis.value if r.basis else "none"
            codes = list(r.warnings)
            pdf_text = ""
            if i in facts_by_index:
                codes.extend(f.code for f in facts_by_index[i].findings)
                pdf_text = "\t" + _pdf_text(facts_by_index[i], app.lang)
            warn = (" " + ",".join(codes)) if codes else ""
            click.echo(f"{r.path}\t{puids}\t{basis}{warn}{pdf_text}")
        click.echo(_summary(results, all_facts, app.lang))
        app.log(f"PRONOM {identifier.signature_version}")
    report = Report(subject=", ".join(paths), profile="identify", findings=findings)
    return exit_for([report], fail_on)
