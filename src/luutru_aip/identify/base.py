"""Result types and the :class:`Identifier` interface for format identification (issue 3).

Every file that enters a package is identified against a format registry (PRONOM by
default): the PUID, format name and version, MIME type, and the *basis* of the match
(an internal signature, a container signature, or the file extension alone). These
values go into PREMIS (``formatRegistryName``/``formatRegistryKey``/``formatBasis``)
and feed the format policy.

The :class:`Identifier` protocol lets another registry or tool be plugged in later;
the default implementation is :class:`luutru_aip.identify.FidoIdentifier`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, Final, Protocol, runtime_checkable

import attrs

from luutru_aip.findings import Finding, ParamValue, finding

__all__ = [
    "BUFFER_SIZE",
    "IDENTIFY_FORMAT",
    "IDENTIFY_FORMAT_VERSION",
    "FormatMatch",
    "Identification",
    "Identifier",
    "MatchBasis",
    "Opener",
]

#: Bytes read at each end of a file, as fido does (``bufsize`` = 128 KiB).
BUFFER_SIZE: Final = 128 * 1024

#: Name and version of the ``identify --json`` document (``schemas/identify.schema.json``).
IDENTIFY_FORMAT: Final = "luutru-aip-identify"
IDENTIFY_FORMAT_VERSION: Final = "1.1"

#: Opens the file again from its start, for container formats (ZIP, OLE2) whose
#: signatures look at members inside the file rather than at its two ends.
Opener = Callable[[], IO[bytes]]


class MatchBasis(enum.Enum):
    """Why a format was proposed (PREMIS ``formatNote``/basis)."""

    SIGNATURE = "signature"
    CONTAINER = "container"
    EXTENSION = "extension"


@attrs.frozen(kw_only=True)
class FormatMatch:
    """One candidate format for a file."""

    puid: str
    name: str
    version: str | None = None
    mime: str | None = None
    basis: MatchBasis
    #: The name of the signature that matched (fido's ``signaturename``).
    signature: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "puid": self.puid,
            "name": self.name,
            "version": self.version,
            "mime": self.mime,
            "basis": self.basis.value,
            "signature": self.signature,
        }


@attrs.frozen(kw_only=True)
class Identification:
    """What an identifier found for one file.

    ``matches`` keeps the identifier's order and carries each PUID once;
    ``warnings`` holds rule codes (``FMT001`` …) and :meth:`findings` turns them
    into :class:`~luutru_aip.findings.Finding` values with their parameters.
    """

    path: str
    size: int
    matches: tuple[FormatMatch, ...] = ()
    basis: MatchBasis | None = None
    warnings: tuple[str, ...] = ()
    #: The version of the signature file (PRONOM release, e.g. ``"v109"``) that PREMIS records.
    signature_version: str = ""
    #: The version of the container signature file (e.g. ``"20200121"``).
    container_signature_version: str = ""
    #: The registry the PUIDs come from (PREMIS ``formatRegistryName``).
    registry: str = "PRONOM"
    #: Tool name and version, e.g. ``"luutru-aip (fido 1.6.1 compatible)"``.
    tool: str = ""
    #: Parameters of the warnings, keyed by code (reason, extension …).
    details: tuple[tuple[str, tuple[tuple[str, ParamValue], ...]], ...] = ()

    @property
    def puids(self) -> tuple[str, ...]:
        return tuple(m.puid for m in self.matches)

    @property
    def best(self) -> FormatMatch | None:
        """The first match, or ``None``. With several matches, read :attr:`matches`."""
        return self.matches[0] if self.matches else None

    def findings(self) -> tuple[Finding, ...]:
        """The warnings as findings, located at :attr:`path`."""
        params = dict(self.details)
        out = []
        for code in self.warnings:
            extra: dict[str, Any] = dict(params.get(code, ()))
            out.append(finding(code, path=self.path, **extra))
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of one file in ``schemas/identify.schema.json``."""
        params = dict(self.details)
        return {
            "path": self.path,
            "size": self.size,
            "basis": None if self.basis is None else self.basis.value,
            "matches": [m.to_dict() for m in self.matches],
            "warnings": [{"code": code, "params": dict(params.get(code, ()))} for code in self.warnings],
            "registry": self.registry,
            "signature_version": self.signature_version,
            "container_signature_version": self.container_signature_version,
        }


@runtime_checkable
class Identifier(Protocol):
    """What any format identifier offers.

    ``identify_buffers`` is the fast path for a caller that already reads the file
    (the builder hashes each file once and keeps its first and last
    :data:`BUFFER_SIZE` bytes). ``opener`` reopens the file when a container
    format (ZIP, OLE2) must be looked into; without it only files no longer than
    one buffer can be looked into.
    """

    @property
    def name(self) -> str: ...

    @property
    def signature_version(self) -> str: ...

    def identify_buffers(
        self,
        name: str,
        size: int,
        head: bytes,
        tail: bytes,
        *,
        opener: Opener | None = None,
    ) -> Identification: ...

    def identify_path(self, path: str, *, display_path: str | None = None) -> Identification: ...

    def identify_paths(self, paths: Iterable[str], *, workers: int = 1) -> Iterator[Identification]: ...
