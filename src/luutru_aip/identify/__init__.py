"""Format identification: PRONOM PUIDs identical to fido 1.6, at many times its speed (issue 3).

Public API::

    from luutru_aip.identify import identify_path, identify_buffers, identify_paths

    ident = identify_path("scan/0001.pdf")
    ident.puids              # ('fmt/276',)
    ident.basis              # MatchBasis.SIGNATURE
    ident.signature_version  # 'v109' (PRONOM release, recorded in PREMIS)
    ident.warnings           # ('FMT003',) when the extension contradicts the signature

* :func:`identify_buffers` takes the first and last 128 KiB that the caller already read
  (the builder gets them from the read that hashes the file, see :class:`HeadTail`) and
  an ``opener`` to reopen the file for ZIP/OLE2 container signatures.
* :func:`identify_paths` identifies many files with a process pool, in batches.
* :class:`Identifier` is the interface another registry or tool can implement;
  :class:`PronomIdentifier` is the default, loading fido's own signature files
  (:mod:`luutru_aip.identify.fido`) or a newer signature file named by the user.

See ``docs/identification.md`` for how agreement with fido is proven.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from luutru_aip.identify.base import (
    BUFFER_SIZE,
    IDENTIFY_FORMAT,
    IDENTIFY_FORMAT_VERSION,
    FormatMatch,
    Identification,
    Identifier,
    MatchBasis,
    Opener,
)
from luutru_aip.identify.engine import HeadTail, PronomIdentifier, SignatureOptions, read_buffers

__all__ = [
    "BUFFER_SIZE",
    "IDENTIFY_FORMAT",
    "IDENTIFY_FORMAT_VERSION",
    "FormatMatch",
    "HeadTail",
    "Identification",
    "Identifier",
    "MatchBasis",
    "Opener",
    "PronomIdentifier",
    "SignatureOptions",
    "default_identifier",
    "identification_document",
    "identify_buffers",
    "identify_path",
    "identify_paths",
    "read_buffers",
]

_LOCK = threading.Lock()
_CACHE: dict[SignatureOptions, PronomIdentifier] = {}


def default_identifier(options: SignatureOptions | None = None) -> PronomIdentifier:
    """A :class:`PronomIdentifier` for ``options``, built once per process and then reused."""
    key = options or SignatureOptions()
    with _LOCK:
        found = _CACHE.get(key)
        if found is None:
            found = _CACHE[key] = PronomIdentifier(key)
        return found


def identify_buffers(
    name: str,
    size: int,
    head: bytes,
    tail: bytes,
    *,
    opener: Opener | None = None,
    identifier: Identifier | None = None,
) -> Identification:
    """Identify a file from its first and last 128 KiB (see :meth:`PronomIdentifier.identify_buffers`)."""
    ident = identifier if identifier is not None else default_identifier()
    return ident.identify_buffers(name, size, head, tail, opener=opener)


def identify_path(path: str, *, identifier: Identifier | None = None) -> Identification:
    """Identify one file on disk."""
    ident = identifier if identifier is not None else default_identifier()
    return ident.identify_path(path)


def identify_paths(
    paths: Iterable[str], *, workers: int = 1, identifier: Identifier | None = None
) -> Iterator[Identification]:
    """Identify many files in input order; ``workers > 1`` uses a process pool with batches of files."""
    ident = identifier if identifier is not None else default_identifier()
    return ident.identify_paths(paths, workers=workers)


def identification_document(
    results: Sequence[Identification], *, identifier: PronomIdentifier | None = None, lang: str = "en"
) -> dict[str, Any]:
    """The versioned JSON document of ``luutru-aip identify --json`` (``schemas/identify.schema.json``)."""
    ident = identifier if identifier is not None else default_identifier()
    files = []
    for r in results:
        entry = r.to_dict()
        messages = {f.code: f.message(lang) for f in r.findings()}
        for warning in entry["warnings"]:
            warning["message"] = messages.get(warning["code"], "")
        files.append(entry)
    identified = sum(1 for r in results if r.matches)
    return {
        "format": IDENTIFY_FORMAT,
        "format_version": IDENTIFY_FORMAT_VERSION,
        "tool": ident.name,
        "registry": "PRONOM",
        "signature_version": ident.signatures.version,
        "container_signature_version": ident.signatures.container_version,
        "counts": {
            "files": len(results),
            "identified": identified,
            "unidentified": len(results) - identified,
            "with_warnings": sum(1 for r in results if r.warnings),
        },
        "files": files,
    }
