"""Stage payload files into a package: copy (or hard-link), digest, identify and inspect in one read (L2).

Issue 4 asks for one read per file. :func:`stage_one` reads each source file once through a reused,
page-aligned 1 MiB buffer; every chunk is written to the destination, fed to SHA-256 (and SHA-512 when
the package becomes a BagIt bag) and to a :class:`~luutru_aip.identify.engine.HeadTail` collector, so
PRONOM identification needs no second read. With ``link=True`` the destination is a hard link and the
source is read once for the digests.

PDF inspection (page count, PDF/A claim, encryption) is the one exception: pikepdf parses the file's
cross-reference table and page tree, which it must open itself. It opens the freshly written copy,
whose pages are still in the page cache, and reads only the structure, not the image streams; the
build benchmark (``bench/bench_build.py``) measures what that costs.

Work is spread over processes in batches (threads lose to the GIL on small files, and a task per file
costs more than hashing a small file). Errors are values, never exceptions: a source that cannot be
read gives a :class:`Staged` with ``error`` set, so one bad file never loses the others.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Final

import attrs

from luutru_aip.findings import Finding
from luutru_aip.fixity import BUFFER_SIZE, aligned_buffer, pool_context
from luutru_aip.identify import default_identifier
from luutru_aip.identify.engine import HeadTail
from luutru_aip.pdf import inspect_pdf

__all__ = ["StageItem", "Staged", "stage_many", "stage_one"]

_PDF_MIME: Final = "application/pdf"


@attrs.frozen
class StageItem:
    """One file to stage: absolute source and destination paths, and the name recorded as original."""

    source: str
    dest: str
    original_name: str


@attrs.frozen
class Staged:
    """What staging learnt about one file."""

    item: StageItem
    size: int = 0
    sha256: str = ""
    sha512: str | None = None
    mtime_ns: int = 0
    puid: str | None = None
    format_name: str | None = None
    format_version: str | None = None
    mime: str | None = None
    identification_findings: tuple[Finding, ...] = ()
    pdf_pages: int | None = None
    pdfa_claim: str | None = None
    encrypted: bool | None = None
    pdf_findings: tuple[Finding, ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _write_all(fd: int, view: memoryview) -> None:
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _copy_digest(item: StageItem, *, link: bool, sha512: bool) -> tuple[int, str, str | None, int, HeadTail]:
    """Copy (or link) ``item`` and digest it in the same read; returns size, digests, mtime and head/tail."""
    buf, view = aligned_buffer()
    sha = hashlib.sha256()
    big = hashlib.sha512() if sha512 else None
    collector = HeadTail()
    size = 0
    src = os.open(item.source, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    dest = -1
    try:
        info = os.fstat(src)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(f"{item.original_name} is not a regular file")
        if link:
            os.link(item.source, item.dest)
        else:
            dest = os.open(
                item.dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o644
            )
        while True:
            n = os.readv(src, [buf])
            if not n:
                break
            chunk = view if n == BUFFER_SIZE else view[:n]
            sha.update(chunk)
            if big is not None:
                big.update(chunk)
            collector.update(chunk)
            if dest >= 0:
                _write_all(dest, chunk)
            size += n
            if chunk is not view:
                chunk.release()
    finally:
        os.close(src)
        if dest >= 0:
            os.close(dest)
    if not link:
        os.utime(item.dest, ns=(info.st_atime_ns, info.st_mtime_ns))
    return size, sha.hexdigest(), None if big is None else big.hexdigest(), info.st_mtime_ns, collector


def stage_one(item: StageItem, *, link: bool = False, sha512: bool = False, identify: bool = True) -> Staged:
    """Stage one file; never raises for an unreadable source (the result carries ``error``).

    ``identify=False`` makes a bare copy with digests: no format identification, no PDF inspection.
    """
    try:
        size, sha256, digest512, mtime_ns, collector = _copy_digest(item, link=link, sha512=sha512)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if exc.errno == 18:  # EXDEV
            reason = (
                "cannot hard-link across file systems (--link needs the output on the source's file system)"
            )
        return Staged(item=item, error=f"{item.original_name}: {reason}")
    puid = name = version = mime = None
    ident_findings: tuple[Finding, ...] = ()
    if identify:
        found = default_identifier().identify_buffers(
            item.original_name,
            size,
            collector.head,
            collector.tail,
            opener=lambda: open(item.dest, "rb"),  # noqa: SIM115 - the identifier closes it
        )
        best = found.best
        if best is not None:
            puid, name, version, mime = best.puid, best.name, best.version, best.mime
        ident_findings = found.findings()
    pages = claim = None
    encrypted: bool | None = None
    pdf_findings: tuple[Finding, ...] = ()
    if identify and (mime == _PDF_MIME or collector.head.startswith(b"%PDF-")):
        facts = inspect_pdf(item.dest, display_path=item.original_name)
        pages, claim, encrypted, pdf_findings = (
            facts.page_count,
            facts.pdfa_claim,
            facts.encrypted,
            facts.findings,
        )
        mime = _PDF_MIME
    return Staged(
        item=item,
        size=size,
        sha256=sha256,
        sha512=digest512,
        mtime_ns=mtime_ns,
        puid=puid,
        format_name=name,
        format_version=version,
        mime=mime,
        identification_findings=ident_findings,
        pdf_pages=pages,
        pdfa_claim=claim,
        encrypted=encrypted,
        pdf_findings=pdf_findings,
    )


def _stage_batch(batch: list[StageItem], link: bool, sha512: bool, identify: bool) -> list[Staged]:
    return [stage_one(item, link=link, sha512=sha512, identify=identify) for item in batch]


def _batches(items: Iterable[StageItem], batch_size: int, batch_bytes: int) -> Iterator[list[StageItem]]:
    batch: list[StageItem] = []
    weight = 0
    for item in items:
        batch.append(item)
        with contextlib.suppress(OSError):
            weight += Path(item.source).stat().st_size
        if len(batch) >= batch_size or weight >= batch_bytes:
            yield batch
            batch, weight = [], 0
    if batch:
        yield batch


def stage_many(
    items: Sequence[StageItem],
    *,
    workers: int = 1,
    link: bool = False,
    sha512: bool = False,
    identify: bool = True,
    batch_size: int = 64,
    batch_bytes: int = 64 << 20,
) -> Iterator[Staged]:
    """Stage many files, yielding results in completion order (at most ``4 * workers`` batches in flight)."""
    if workers <= 1 or len(items) < 2:
        for item in items:
            yield stage_one(item, link=link, sha512=sha512, identify=identify)
        return
    if identify:
        default_identifier()  # load signatures once, before forking, so workers inherit them
    batches = _batches(items, batch_size, batch_bytes)
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=pool_context())
    pending: set[Future[list[Staged]]] = set()
    try:
        exhausted = False
        while True:
            while not exhausted and len(pending) < 4 * workers:
                batch = next(batches, None)
                if batch is None:
                    exhausted = True
                    break
                pending.add(executor.submit(_stage_batch, batch, link, sha512, identify))
            if not pending:
                break
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield from future.result()
    finally:
        for future in pending:
            future.cancel()
        executor.shutdown(wait=True, cancel_futures=True)
