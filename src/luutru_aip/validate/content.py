"""Content checks: fixity of every declared file, PDFs that open, and a format policy.

* **Fixity** (:func:`verify_fixity`): every ``CHECKSUM`` declared in METS (CSIP29/43/56/71) and
  every PREMIS ``messageDigest`` (PREMIS 3 §1.5.2) is compared with the file, each file being read
  **once** for all its algorithms — in ``workers`` processes for folders
  (:func:`luutru_aip.fixity.verify_many`, or :func:`~luutru_aip.fixity.hash_many` when the first and
  last 128 KiB are also needed for format identification), and streamed through
  :class:`~luutru_aip._fs.SafeZip` for ZIP members. Mismatches are ``METS008`` / ``PRM002``.
* **PDFs** (:func:`check_content`): each PDF of a representation is opened with
  :func:`luutru_aip.pdf.inspect_pdf` (ISO 32000-1; the only pikepdf adapter): cannot open
  (``PDF001``), damaged (``PDF002``), encrypted (``PDF003``), password (``PDF006``), no pages
  (``PDF007``). The page count and the PDF/A claim are kept for the TT05 checks.
* **Format policy** (:class:`FormatPolicy`): the PRONOM formats a profile accepts for the files of a
  representation (``CNT001`` not allowed, ``CNT002`` not identified), identified with
  :mod:`luutru_aip.identify` from the bytes read while hashing. ``CNT003`` reports a METS
  ``MIMETYPE`` that contradicts the identified format. The TT05 default policy follows Thông tư
  05/2025/TT-BNV Art. 8 (R1): PDF and PDF/A, TIFF, JPEG, PNG, MP3, WMA, MPEG-4 and AVI.

Rule codes ``CNT0xx`` live in ``data/rules/content.toml``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from typing import Any, Final

import attrs

from luutru_aip.errors import LuutruError
from luutru_aip.findings import Finding, Severity, finding
from luutru_aip.fixity import hash_many, verify_many
from luutru_aip.validate._context import Expect, RunState

__all__ = ["POLICIES", "TT05_POLICY", "FormatPolicy", "check_content", "verify_fixity"]

_EDGE: Final = 128 * 1024
_PDF_PUIDS: Final = frozenset(
    {
        "fmt/14",
        "fmt/15",
        "fmt/16",
        "fmt/17",
        "fmt/18",
        "fmt/19",
        "fmt/20",
        "fmt/276",
        "fmt/1129",
        "fmt/95",
        "fmt/354",
        "fmt/476",
        "fmt/477",
        "fmt/478",
        "fmt/479",
        "fmt/480",
        "fmt/481",
        "fmt/488",
        "fmt/489",
        "fmt/490",
        "fmt/491",
        "fmt/492",
        "fmt/493",
        "fmt/144",
        "fmt/145",
        "fmt/146",
        "fmt/147",
        "fmt/148",
        "fmt/157",
        "fmt/158",
    }
)
_KEEP_PDF: Final = frozenset({"PDF001", "PDF002", "PDF003", "PDF006", "PDF007"})
_MIME_ALIASES: Final = {
    "text/xml": "application/xml",
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "audio/mp3": "audio/mpeg",
    "video/mp4": "application/mp4",
    "audio/mp4": "application/mp4",
    "image/tif": "image/tiff",
    "video/avi": "video/x-msvideo",
    "audio/wma": "audio/x-ms-wma",
}


@attrs.frozen(kw_only=True)
class FormatPolicy:
    """The formats allowed for representation files: PRONOM PUIDs and/or media types."""

    name: str
    puids: frozenset[str] = frozenset()
    mimes: frozenset[str] = frozenset()

    def allows(self, puids: Iterable[str], mimes: Iterable[str | None]) -> bool:
        if any(p in self.puids for p in puids):
            return True
        return any(m is not None and _mime_key(m) in self.mimes for m in mimes)


def _mime_key(text: str) -> str:
    base = text.split(";", 1)[0].strip().lower()
    return _MIME_ALIASES.get(base, base)


#: Thông tư 05/2025/TT-BNV Art. 8 (R1, unconfirmed): formats for digitised and born-digital records.
TT05_POLICY: Final = FormatPolicy(
    name="tt05",
    puids=frozenset(
        {
            # PDF 1.0–1.7, 2.0 and PDF/A-1/2/3
            *("fmt/14", "fmt/15", "fmt/16", "fmt/17", "fmt/18", "fmt/19", "fmt/20", "fmt/276", "fmt/1129"),
            *("fmt/95", "fmt/354", "fmt/476", "fmt/477", "fmt/478", "fmt/479", "fmt/480", "fmt/481"),
            # TIFF and uncompressed Exif
            *("fmt/7", "fmt/8", "fmt/9", "fmt/10", "fmt/353", "x-fmt/387"),
            # JPEG, JFIF, SPIFF and compressed Exif
            *("fmt/41", "fmt/42", "fmt/43", "fmt/44", "fmt/112", "x-fmt/390", "x-fmt/391", "x-fmt/398"),
            *("fmt/645", "fmt/1507"),
            # PNG
            *("fmt/11", "fmt/12", "fmt/13"),
            # MP3, WMA, MPEG-4, AVI
            *("fmt/134", "x-fmt/279", "fmt/132", "fmt/199", "fmt/5"),
        }
    ),
    mimes=frozenset(
        {
            "application/pdf",
            "image/tiff",
            "image/jpeg",
            "image/png",
            "audio/mpeg",
            "audio/x-ms-wma",
            "application/mp4",
            "video/x-msvideo",
        }
    ),
)
#: Policies that can be named (``--format-policy``); ``none`` checks no formats.
POLICIES: Final[dict[str, FormatPolicy | None]] = {"tt05": TT05_POLICY, "none": None}


# --------------------------------------------------------------------------- fixity


def _mismatches(state: RunState, rel: str, found: dict[str, str]) -> Iterator[Finding]:
    shown = state.source.show(rel)
    for item in state.expects.get(rel, ()):
        if item.algorithm is None or item.value is None:
            continue
        actual = found.get(item.algorithm)
        if actual is not None and actual != item.value:
            yield finding(
                "METS008" if item.source == "mets" else "PRM002",
                path=item.where,
                line=item.line,
                xpath=item.xpath,
                file=shown,
                algorithm=item.algorithm,
                expected=item.value,
                found=actual,
            )


def _algorithms(items: Iterable[Expect]) -> tuple[str, ...]:
    return tuple(sorted({i.algorithm for i in items if i.algorithm is not None and i.value is not None}))


def verify_fixity(state: RunState, *, edges: set[str]) -> Iterator[Finding]:
    """Hash every file with a declared checksum (and the ``edges`` files, keeping their first/last bytes).

    Fills ``state.edges[rel] = (head, tail)`` for the files in ``edges``.
    """
    source = state.source
    wanted: dict[str, tuple[str, ...]] = {}
    for rel, items in state.expects.items():
        algos = _algorithms(items)
        if algos and rel in source.files:
            wanted[rel] = algos
    for rel in edges:
        if rel not in wanted and rel in source.files:
            wanted[rel] = ()
    if not wanted:
        return
    if source.fs_path("") is None:
        yield from _verify_stream(state, wanted, edges)
        return
    yield from _verify_folder(state, wanted, edges)


def _verify_stream(state: RunState, wanted: dict[str, tuple[str, ...]], edges: set[str]) -> Iterator[Finding]:
    source = state.source
    for rel in sorted(wanted):
        algos = wanted[rel] or ("sha256",)
        try:
            digests, head, tail = _digest_edges(source, rel, algos)
        except (OSError, LuutruError) as exc:
            yield finding("IO001", path=source.show(rel), reason=str(exc))
            continue
        if rel in edges:
            state.edges[rel] = (head, tail)
        yield from _mismatches(state, rel, digests)


def _digest_edges(source: Any, rel: str, algos: tuple[str, ...]) -> tuple[dict[str, str], bytes, bytes]:
    import hashlib

    hashers = {a: hashlib.new(a) for a in algos}
    head = bytearray()
    tail = b""
    with source.open(rel) as stream:
        while True:
            chunk = stream.read(1 << 20)
            if not chunk:
                break
            for h in hashers.values():
                h.update(chunk)
            if len(head) < _EDGE:
                head += chunk[: _EDGE - len(head)]
            tail = (tail + chunk)[-_EDGE:]
    return {a: h.hexdigest() for a, h in hashers.items()}, bytes(head), tail


def _verify_folder(state: RunState, wanted: dict[str, tuple[str, ...]], edges: set[str]) -> Iterator[Finding]:
    source = state.source
    root = source.fs_path("") or ""
    files = source.files
    workers = state.options.workers
    small = len(wanted) < 64 and sum(files[r] for r in wanted) < (64 << 20)
    pool = 1 if small else workers
    cut = len(root)
    # Files whose bytes identification needs: one read gives digests and both ends.
    with_edges = sorted(r for r in wanted if r in edges)
    if with_edges:
        algos = tuple(sorted({a for r in with_edges for a in wanted[r]})) or ("sha256",)
        paths = [(root + r, files[r]) for r in with_edges]
        for hashed in hash_many(paths, algos, workers=pool, head_bytes=_EDGE, tail_bytes=_EDGE):
            rel = hashed.path[cut:]
            if hashed.digest is None:
                yield finding("IO001", path=source.show(rel), reason=hashed.error or "")
                continue
            state.edges[rel] = (hashed.digest.head or b"", hashed.digest.tail or b"")
            yield from _mismatches(state, rel, dict(hashed.digest.digests))
    # The rest: compared in the worker processes against the first expectation per algorithm.
    groups: dict[tuple[str, ...], list[str]] = {}
    for rel, algos in wanted.items():
        if rel not in edges and algos:
            groups.setdefault(algos, []).append(rel)
    for algos, rels in sorted(groups.items()):
        rels.sort()

        def work(
            rels: list[str] = rels, algos: tuple[str, ...] = algos
        ) -> Iterator[tuple[str, int, tuple[str | None, ...]]]:
            for rel in rels:
                first: dict[str, str] = {}
                for item in state.expects[rel]:
                    if item.algorithm and item.value and item.algorithm not in first:
                        first[item.algorithm] = item.value
                yield (root + rel, files[rel], tuple(first.get(a) for a in algos))

        mismatched: set[str] = set()
        for result in verify_many(work(), algos, workers=pool):
            rel = result.path[cut:]
            mismatched.add(rel)
            if result.digest is None:
                yield finding("IO001", path=source.show(rel), reason=result.error or "")
                continue
            yield from _mismatches(state, rel, dict(result.digest.digests))
        # Files that matched their first expectation: further declarations must equal it.
        for rel in rels:
            if rel in mismatched:
                continue
            declared = state.expects[rel]
            agreed: dict[str, str] = {}
            for item in declared:
                if item.algorithm and item.value and item.algorithm not in agreed:
                    agreed[item.algorithm] = item.value
            if len([i for i in declared if i.algorithm and i.value]) > len(agreed):
                yield from _mismatches(state, rel, agreed)


# --------------------------------------------------------------------------- PDFs and formats


def _is_data(rel: str) -> bool:
    parts = rel.split("/")
    return len(parts) >= 4 and parts[0] == "representations" and parts[2] == "data"


def data_files(state: RunState) -> list[str]:
    """Files of every ``representations/<name>/data`` folder."""
    return [r for r in state.source.iter_files("representations") if _is_data(r)]


def check_content(state: RunState, *, policy: FormatPolicy | None) -> Iterator[Finding]:
    """PDF inspection and the format policy over the representation files (after :func:`verify_fixity`)."""
    from luutru_aip.identify import identify_buffers
    from luutru_aip.pdf import inspect_pdf

    source = state.source
    tt05 = state.options.profile == "tt05"
    for rel in data_files(state):
        shown = source.show(rel)
        puids: tuple[str, ...] = ()
        mimes: list[str | None] = []
        if policy is not None or rel in state.edges:
            head, tail = state.edges.get(rel) or _read_edges(source, rel)
            ident = identify_buffers(
                rel.rpartition("/")[2],
                source.files[rel],
                head,
                tail,
                opener=functools.partial(source.open, rel),
            )
            puids = ident.puids
            mimes = [m.mime for m in ident.matches]
            declared = state.mimetypes.get(rel)
            known = [m for m in mimes if m]
            if declared and known and _mime_key(declared) not in {_mime_key(m) for m in known}:
                yield finding("CNT003", path=shown, expected=declared, found=", ".join(sorted(set(known))))
            if policy is not None:
                if not ident.matches:
                    yield finding("CNT002", path=shown, policy=policy.name)
                elif not policy.allows(puids, mimes):
                    best = ident.matches[0]
                    yield finding("CNT001", path=shown, found=f"{best.puid} {best.name}", policy=policy.name)
        declared_pdf = _mime_key(state.mimetypes.get(rel, "")) == "application/pdf"
        is_pdf = (
            any(p in _PDF_PUIDS for p in puids)
            or any(m and _mime_key(m) == "application/pdf" for m in mimes)
            or rel.lower().endswith(".pdf")
            or declared_pdf
        )
        if not is_pdf:
            continue
        try:
            with source.as_file(rel) as name:
                facts = inspect_pdf(name, display_path=shown)
        except (OSError, LuutruError) as exc:
            yield finding("IO001", path=shown, reason=str(exc))
            continue
        state.pdf_facts[rel] = (facts.page_count, facts.pdfa_claim, facts.encrypted)
        for item in facts.findings:
            if item.code not in _KEEP_PDF:
                continue
            if tt05 and item.code == "PDF003":
                item = attrs.evolve(item, severity=Severity.ERROR)
            yield item


def _read_edges(source: Any, rel: str) -> tuple[bytes, bytes]:
    size = source.files[rel]
    with source.open(rel) as stream:
        if size <= 2 * _EDGE:
            data = stream.read()
            return data[:_EDGE], data[-_EDGE:]
        head = stream.read(_EDGE)
        tail = b""
        while True:
            chunk = stream.read(1 << 20)
            if not chunk:
                break
            tail = (tail + chunk)[-_EDGE:]
        return head, tail
