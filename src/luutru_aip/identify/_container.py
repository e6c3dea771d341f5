"""Container signatures for ZIP- and OLE2-based formats, matched the way fido 1.6 does (issue 3).

fido looks inside a file only when its signature matches name a container: a match whose
format has a ``<container>`` element (``x-fmt/263`` ZIP) or ``fmt/111`` (OLE2). Then, for
each member path named by a container signature (in the container file's order), it
reads the whole member and searches it with each signature's regular expression. Every
hit reports its PUID, with no priority pruning; a container that cannot be read gives no
container match and fido falls back to the signature matches.

This module does the same with the signatures compiled once per process (fido re-parses
the 190 KB container signature file for every container it sees). Differences, all on
damaged input only (see ``docs/identification.md``): fido stops with a traceback on
errors its code does not catch (for example a corrupt deflate stream inside a ZIP); here
they become "container unreadable" and the signature matches stand. A member larger than
``member_limit`` bytes (a ZIP bomb) is not read.

olefile is fido's own dependency for OLE2; it is imported only here.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from typing import IO, Any

import olefile

from luutru_aip.identify.fido import ContainerRule, SignatureSet

__all__ = ["ContainerMatcher", "ContainerUnreadable"]

#: Members bigger than this are not decompressed (bounded memory); fido has no limit.
DEFAULT_MEMBER_LIMIT = 256 * 1024 * 1024


class ContainerUnreadable(Exception):
    """Raised when a container fails in a way fido itself does not survive."""


_Compiled = tuple[tuple[str, tuple[tuple[str, tuple[re.Pattern[bytes], ...]], ...]], ...]


def _compile(rules: Sequence[ContainerRule]) -> _Compiled:
    return tuple(
        (rule.path, tuple((puid, tuple(re.compile(rx) for rx in regexes)) for puid, regexes in rule.puids))
        for rule in rules
    )


def _search(contents: bytes, puid_map: tuple[tuple[str, tuple[re.Pattern[bytes], ...]], ...]) -> list[str]:
    out: list[str] = []
    for puid, regexes in puid_map:
        for rx in regexes:
            if rx.search(contents):
                out.append(puid)
    return out


class ContainerMatcher:
    """Matches ZIP and OLE2 container signatures; build once per process."""

    def __init__(self, signatures: SignatureSet, *, member_limit: int = DEFAULT_MEMBER_LIMIT) -> None:
        self._zip = _compile(signatures.container_rules("ZIP"))
        self._ole = _compile(signatures.container_rules("OLE2"))
        self.member_limit = member_limit

    def match(self, kind: str, fileobj: IO[bytes]) -> list[str]:
        """PUIDs (fido's order, repeats kept) for container ``kind`` (``"zip"`` or ``"ole"``).

        Returns ``[]`` where fido returns ``[]``; raises :class:`ContainerUnreadable`
        where fido would crash or where a member is over the size limit.
        """
        try:
            if kind == "zip":
                return self._match_zip(fileobj)
            if kind == "ole":
                return self._match_ole(fileobj)
        except ContainerUnreadable:
            raise
        except Exception as exc:  # fido has no handler for these: report, do not crash
            raise ContainerUnreadable(f"{type(exc).__name__}: {exc}") from exc
        return []

    def _match_zip(self, fileobj: IO[bytes]) -> list[str]:
        try:
            with zipfile.ZipFile(fileobj) as archive:
                names = set(archive.namelist())
                results: list[str] = []
                for path, puid_map in self._zip:
                    if path not in names:
                        continue
                    info = archive.getinfo(path)
                    if info.file_size > self.member_limit:
                        raise ContainerUnreadable(f"member {path!r} is larger than {self.member_limit} bytes")
                    with archive.open(path) as member:
                        contents = member.read()
                    results.extend(_search(contents, puid_map))
                return results
        except (zipfile.BadZipFile, RuntimeError, UnicodeDecodeError):
            return []  # fido's ZipPackage.detect_formats catches exactly these

    def _match_ole(self, fileobj: IO[bytes]) -> list[str]:
        try:
            ole: Any = olefile.OleFileIO(fileobj)
        except OSError:
            return []  # fido's OlePackage.detect_formats catches IOError
        try:
            listing = ["/".join(parts) for parts in ole.listdir()]
            results: list[str] = []
            for path, puid_map in self._ole:
                filepath = next((p for p in listing if p == path or p[1:] == path), None)
                if filepath is None:
                    continue
                if ole.get_size(filepath) > self.member_limit:
                    raise ContainerUnreadable(f"stream {path!r} is larger than {self.member_limit} bytes")
                with ole.openstream(filepath) as stream:
                    contents = stream.read()
                results.extend(_search(contents, puid_map))
            return results
        except OSError:
            return []
        finally:
            ole.close()
