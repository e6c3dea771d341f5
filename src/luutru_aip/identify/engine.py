"""The default identifier: PRONOM via fido's signature files, fido-identical, fast (issue 3).

:class:`PronomIdentifier` follows fido 1.6's ``identify_file`` step by step:

1. match the signatures on the first and last 128 KiB (:mod:`._index`);
2. if a match names a container (ZIP ``x-fmt/263``, OLE2 ``fmt/111``), match the
   container signatures (:mod:`._container`); any hit is the answer (basis *container*);
3. otherwise the signature matches are the answer (basis *signature*), unless the file is
   empty or nothing matched: then the extension decides (basis *extension*), which is
   how a plain-text file gets its three candidates ``x-fmt/111``, ``fmt/1085``, ``fmt/1591``.

It returns exactly fido's PUIDs in fido's order (each PUID once). On top of fido it
adds warnings (rule codes ``FMT…`` in ``data/rules/identify.toml``): no match, several
matches, an extension that contradicts the signature, an empty file, an extension-only
answer, an unreadable file or container.

Containers must be read again from the start of the file: :meth:`identify_buffers` takes
an ``opener`` for that. The builder hashes each file in one read, keeps the two buffers
(:class:`HeadTail`) and passes an opener; only ZIP- and OLE2-based files are reopened.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator
from typing import IO, Final

import attrs

from luutru_aip.findings import ParamValue
from luutru_aip.identify._container import ContainerMatcher, ContainerUnreadable
from luutru_aip.identify._index import SignatureIndex
from luutru_aip.identify.base import BUFFER_SIZE, FormatMatch, Identification, MatchBasis, Opener
from luutru_aip.identify.fido import SignatureSet, load_signature_set

__all__ = ["HeadTail", "PronomIdentifier", "SignatureOptions", "read_buffers"]

#: fido's name for an extension-only match's signature.
_EXTERNAL: Final = "External"


@attrs.frozen(kw_only=True)
class SignatureOptions:
    """Which signature files to load (picklable: worker processes rebuild from it)."""

    signature_file: str | None = None
    container_file: str | None = None
    extension_file: str | None = None
    pronom_only: bool = False

    def load(self) -> SignatureSet:
        return load_signature_set(
            signature_file=self.signature_file,
            container_file=self.container_file,
            extension_file=self.extension_file,
            pronom_only=self.pronom_only,
        )


def read_buffers(f: IO[bytes], size: int, bufsize: int = BUFFER_SIZE) -> tuple[bytes, bytes]:
    """The first and last ``bufsize`` bytes of an open, seekable binary file of ``size`` bytes.

    Same bytes as fido's ``get_buffers``: for a file no longer than ``bufsize`` both are
    the whole file.
    """
    head = f.read(bufsize)
    if size <= len(head):
        return head, head
    if size - bufsize < len(head):
        f.seek(len(head))
        rest = f.read()
        tail = (head + rest)[-bufsize:]
        return head, tail
    f.seek(size - bufsize)
    return head, f.read(bufsize)


class HeadTail:
    """Collects the first and last :data:`BUFFER_SIZE` bytes while a file is read in chunks.

    For callers that already read every byte (hashing): feed each chunk to :meth:`update`,
    then pass :attr:`head`, :attr:`tail` and :attr:`size` to ``identify_buffers``.
    """

    __slots__ = ("_head", "_tail", "bufsize", "size")

    def __init__(self, bufsize: int = BUFFER_SIZE) -> None:
        self.bufsize = bufsize
        self._head = bytearray()
        self._tail = bytearray()
        self.size = 0

    def update(self, chunk: bytes | bytearray | memoryview) -> None:
        n = len(chunk)
        self.size += n
        if len(self._head) < self.bufsize:
            self._head += chunk[: self.bufsize - len(self._head)]
        if n >= self.bufsize:
            self._tail = bytearray(chunk[-self.bufsize :])
        else:
            self._tail += chunk
            if len(self._tail) > 2 * self.bufsize:
                del self._tail[: -self.bufsize]

    @property
    def head(self) -> bytes:
        return bytes(self._head)

    @property
    def tail(self) -> bytes:
        return bytes(self._tail[-self.bufsize :])


class PronomIdentifier:
    """fido-compatible PRONOM identification (implements :class:`~luutru_aip.identify.base.Identifier`).

    Loading the signatures and compiling the index takes about 0.3 s; build one per process
    and reuse it (:func:`luutru_aip.identify.default_identifier` caches one).
    """

    def __init__(
        self,
        options: SignatureOptions | None = None,
        *,
        signatures: SignatureSet | None = None,
        extensions: bool = True,
        containers: bool = True,
    ) -> None:
        self.options = options or SignatureOptions()
        self.signatures = signatures if signatures is not None else self.options.load()
        self.index = SignatureIndex(self.signatures)
        self.containers = ContainerMatcher(self.signatures)
        self.use_extensions = extensions
        self.use_containers = containers
        self._tool = f"luutru-aip PronomIdentifier (fido {self.signatures.fido_version} compatible)"
        self._matches_cache: dict[tuple[int, str | None, MatchBasis], FormatMatch] = {}

    # ------------------------------------------------------------------ Identifier protocol

    @property
    def name(self) -> str:
        return self._tool

    @property
    def signature_version(self) -> str:
        return self.signatures.version

    def identify_path(
        self, path: str | os.PathLike[str], *, display_path: str | None = None
    ) -> Identification:
        """Identify one file on disk (reads 128 KiB at each end; reopens it for containers)."""
        fspath = os.fspath(path)
        shown = display_path if display_path is not None else fspath
        try:
            with open(fspath, "rb", buffering=0) as f:
                size = os.fstat(f.fileno()).st_size
                head, tail = read_buffers(f, size)
        except OSError as exc:
            return self._unreadable(shown, exc)
        return self.identify_buffers(
            shown, size, head, tail, opener=lambda: open(fspath, "rb"), _ext_name=fspath
        )

    def identify_paths(self, paths: Iterable[str], *, workers: int = 1) -> Iterator[Identification]:
        """Identify many files, in order; ``workers > 1`` uses a process pool (batches of files)."""
        if workers <= 1:
            for p in paths:
                yield self.identify_path(p)
            return
        from luutru_aip.identify._pool import identify_in_pool

        yield from identify_in_pool(self, paths, workers=workers)

    def identify_buffers(
        self,
        name: str,
        size: int,
        head: bytes,
        tail: bytes,
        *,
        opener: Opener | None = None,
        _ext_name: str | None = None,
    ) -> Identification:
        """Identify a file from its first and last bytes (see :class:`HeadTail`, :func:`read_buffers`).

        ``head`` is ``data[:128 KiB]``, ``tail`` is ``data[-128 KiB:]`` (the same bytes when
        the file is no longer than 128 KiB); ``name`` gives the extension. ``opener``
        reopens the file for container signatures; without it, a container longer than
        ``head`` is not looked into (warning ``FMT008``).
        """
        index = self.index
        warnings: list[str] = []
        details: dict[str, dict[str, ParamValue]] = {}
        matches = index.match(head, tail)
        kind = index.container_type(matches) if self.use_containers else None
        if kind in ("zip", "ole"):
            found: list[str] | None = None
            if opener is None and size > len(head):
                warnings.append("FMT008")
                details["FMT008"] = {"container": kind}
            else:
                try:
                    if opener is None:
                        found = self.containers.match(kind, io.BytesIO(head))
                    else:
                        with opener() as fileobj:
                            found = self.containers.match(kind, fileobj)
                except ContainerUnreadable as exc:
                    warnings.append("FMT007")
                    details["FMT007"] = {"container": kind, "reason": str(exc)}
                except OSError as exc:
                    warnings.append("FMT007")
                    details["FMT007"] = {"container": kind, "reason": f"{type(exc).__name__}: {exc}"}
            if found:
                fmatches = []
                for puid in found:
                    fidx = index.format_index(puid)
                    if fidx is None:  # fido would raise KeyError; a signature-file inconsistency
                        continue
                    fmatches.append(self._format_match(fidx, index.formats[fidx].name, MatchBasis.CONTAINER))
                if fmatches:
                    return self._finish(
                        name, size, fmatches, MatchBasis.CONTAINER, warnings, details, _ext_name
                    )
        if matches and size > 0:
            fmatches = [self._format_match(f, n, MatchBasis.SIGNATURE) for f, n in matches]
            return self._finish(name, size, fmatches, MatchBasis.SIGNATURE, warnings, details, _ext_name)
        if size == 0:
            warnings.append("FMT005")
        if self.use_extensions:
            ext_matches = index.match_extension(_ext_name if _ext_name is not None else name)
            fmatches = [self._format_match(f, _EXTERNAL, MatchBasis.EXTENSION) for f in ext_matches]
            if fmatches:
                warnings.append("FMT006")
            return self._finish(
                name, size, fmatches, MatchBasis.EXTENSION if fmatches else None, warnings, details, _ext_name
            )
        return self._finish(name, size, [], None, warnings, details, _ext_name)

    # ------------------------------------------------------------------ helpers

    def _format_match(self, fidx: int, sig_name: str | None, basis: MatchBasis) -> FormatMatch:
        key = (fidx, sig_name, basis)
        cached = self._matches_cache.get(key)
        if cached is None:
            fmt = self.index.formats[fidx]
            cached = FormatMatch(
                puid=fmt.puid,
                name=fmt.name,
                version=fmt.version,
                mime=fmt.mime,
                basis=basis,
                signature=sig_name,
            )
            self._matches_cache[key] = cached
        return cached

    def _finish(
        self,
        name: str,
        size: int,
        fmatches: list[FormatMatch],
        basis: MatchBasis | None,
        warnings: list[str],
        details: dict[str, dict[str, ParamValue]],
        ext_name: str | None,
    ) -> Identification:
        # each PUID once, in fido's order (fido prints one line per matching signature)
        seen: dict[str, FormatMatch] = {}
        for m in fmatches:
            seen.setdefault(m.puid, m)
        unique = tuple(seen.values())
        if not unique:
            warnings.append("FMT001")
        elif len(unique) > 1:
            warnings.append("FMT002")
            details["FMT002"] = {"count": len(unique), "puids": " ".join(m.puid for m in unique)}
        if basis in (MatchBasis.SIGNATURE, MatchBasis.CONTAINER):
            ext = os.path.splitext(ext_name if ext_name is not None else name)[1].lower().lstrip(".")  # noqa: PTH122 - fido's exact rule
            if ext:
                expected: list[str] = []
                for m in unique:
                    fidx = self.index.format_index(m.puid)
                    if fidx is not None:
                        expected.extend(e.lower() for e in self.index.formats[fidx].extensions)
                if expected and ext not in expected:
                    warnings.append("FMT003")
                    details["FMT003"] = {
                        "extension": ext,
                        "expected": ", ".join(dict.fromkeys(expected)),
                        "puid": unique[0].puid,
                    }
        order = {"FMT004": 0, "FMT001": 1, "FMT007": 2, "FMT003": 3, "FMT002": 4, "FMT008": 5}
        codes = tuple(sorted(dict.fromkeys(warnings), key=lambda c: (order.get(c, 9), c)))
        return Identification(
            path=name,
            size=size,
            matches=unique,
            basis=basis,
            warnings=codes,
            signature_version=self.signatures.version,
            container_signature_version=self.signatures.container_version,
            tool=self._tool,
            details=tuple(
                (code, tuple(sorted(params.items())))
                for code, params in sorted(details.items())
                if code in codes
            ),
        )

    def _unreadable(self, name: str, exc: OSError) -> Identification:
        return Identification(
            path=name,
            size=0,
            warnings=("FMT004",),
            signature_version=self.signatures.version,
            container_signature_version=self.signatures.container_version,
            tool=self._tool,
            details=(("FMT004", (("reason", exc.strerror or type(exc).__name__),)),),
        )
