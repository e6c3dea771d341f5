"""Matching the file paths written in the metadata with the files in the source folder.

Paths are written as archivists copy them from Windows Explorer: ``\\Phong\\hop01\\hoso01\\001.pdf``,
``hop01\\hoso01\\001.pdf`` or ``hop01/hoso01/001.pdf``. The rules (docs/metadata-input.md, "Paths"):

1. surrounding quotes and spaces are removed, backslashes become ``/``, leading ``/`` and ``./`` go;
2. a first folder equal to the source folder's own name is dropped when the path does not exist as
   written (``ING068``, once);
3. the result must be a safe relative path (:func:`luutru_aip._fs.check_package_path`: no ``..``, no
   drive letter, no control characters) that does not lead out of the source folder through a
   symbolic link (``ING065``);
4. an exact match is used; otherwise a match of the Unicode NFC forms (a sheet typed in NFC, files
   copied from a Mac in NFD) is used with an info finding (``ING062``); two on-disk names with one NFC
   form are an error (``ING066``); a name that differs only in letter case is *not* used: the finding
   (``ING061``) suggests it; anything else is absent (``ING060``).

Files present but referenced by no row are reported (``ING063``), except the operating system's own
files (``Thumbs.db``, ``.DS_Store``, ``desktop.ini``, ``~$`` Office lock files, ``._`` AppleDouble
files), which are listed in one info finding (``ING064``).
"""

from __future__ import annotations

import os
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from luutru_aip._fs import PackagePath, check_package_path, display_name
from luutru_aip.findings import Finding, finding

from ._values import Sink, printable

__all__ = ["JUNK_NAMES", "SourceIndex", "is_junk"]

#: Files that operating systems and office programs leave in folders (compared case-insensitively).
JUNK_NAMES: Final = frozenset({"thumbs.db", "ehthumbs.db", ".ds_store", "desktop.ini", "icon\r"})


def is_junk(name: str) -> bool:
    """True for files the operating system or Office leave behind (never archival content)."""
    lowered = name.lower()
    return (
        lowered in JUNK_NAMES
        or name.startswith(("~$", "._"))
        or (name.startswith(".~lock.") and name.endswith("#"))
    )


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", text).casefold())


class SourceIndex:
    """The files under a source folder, and the paths the metadata resolved to."""

    def __init__(self, root: Path, *, exclude: Iterable[Path] = ()) -> None:
        self.root = Path(root)
        self.root_name = Path(os.path.abspath(self.root)).name  # noqa: PTH100 - the name as given, links kept
        self.files: set[str] = set()
        self.dirs: set[str] = set()
        self.junk: list[str] = []
        #: Files that are symbolic links (their target is checked before use).
        self.links: set[str] = set()
        self.errors: list[Finding] = []
        excluded = set()
        for path in exclude:
            try:
                excluded.add(os.path.realpath(path))
            except (OSError, ValueError):
                continue
        self._walk(excluded)
        self.by_nfc: dict[str, list[str]] = defaultdict(list)
        self.by_fold: dict[str, list[str]] = defaultdict(list)
        for rel in sorted(self.files):
            self.by_nfc[_nfc(rel)].append(rel)
            self.by_fold[_fold(rel)].append(rel)
        self.dirs_nfc = {_nfc(d) for d in self.dirs}
        self.referenced: set[str] = set()
        self.stripped_root = False

    def _walk(self, excluded: set[str]) -> None:
        """Inventory regular files (and links to files) without following links to folders."""
        if not self.root.is_dir():
            return
        pending: list[tuple[str, str]] = [(os.fspath(self.root), "")]
        while pending:
            folder, prefix = pending.pop()
            try:
                with os.scandir(folder) as entries:
                    listing = sorted(entries, key=lambda e: e.name)
            except OSError as exc:
                where = display_name(prefix.rstrip("/") or os.fspath(self.root))
                self.errors.append(finding("IO001", path=where, reason=str(exc.strerror or exc)))
                continue
            for entry in listing:
                rel = prefix + entry.name
                try:
                    is_link = entry.is_symlink()
                    if entry.is_dir(follow_symlinks=False):
                        self.dirs.add(rel)
                        pending.append((entry.path, rel + "/"))
                        continue
                except OSError:  # pragma: no cover - vanished while listing
                    continue
                if excluded and os.path.realpath(entry.path) in excluded:
                    continue
                if is_junk(entry.name):
                    self.junk.append(rel)
                    continue
                self.files.add(rel)
                if is_link:
                    self.links.add(rel)
        self.junk.sort()

    # ------------------------------------------------------------------ resolution

    def _clean(self, written: str) -> tuple[str, str | None]:
        text = written.strip().strip('"').strip()
        text = text.replace("\\", "/")
        if text.startswith("//") or (
            len(text) >= 2 and text[1] == ":" and text[0].isascii() and text[0].isalpha()
        ):
            return text, "unc" if text.startswith("//") else "drive"
        while text.startswith("./"):
            text = text[2:]
        text = text.lstrip("/")
        return text, None

    def _candidates(self, text: str) -> list[str]:
        out = [text]
        first, sep, rest = text.partition("/")
        if sep and rest and _nfc(first) == _nfc(self.root_name):
            out.append(rest)
        return out

    def _known(self, text: str) -> bool:
        nfc = _nfc(text)
        return text in self.files or nfc in self.by_nfc or _fold(text) in self.by_fold or nfc in self.dirs_nfc

    def resolve(self, sink: Sink, written: str, address: str) -> str | None:
        """The on-disk relative POSIX path that *written* names, or ``None`` (with a finding in *sink*)."""
        text, unsafe = self._clean(written)
        shown = printable(written.strip())
        if unsafe is not None:
            sink.add("ING065", address, file=shown, reason=unsafe)
            return None
        candidates = self._candidates(text)
        chosen = candidates[0]
        if len(candidates) > 1 and not self._known(candidates[0]) and self._known(candidates[1]):
            chosen = candidates[1]
            if not self.stripped_root:
                self.stripped_root = True
                sink.add("ING068", address, folder=printable(self.root_name), file=shown)
        reason = check_package_path(chosen)
        if reason is None and (chosen not in self.files or chosen in self.links):
            # folders were walked without following links, so only a link or a path outside the
            # inventory can lead elsewhere
            reason = PackagePath(chosen).check_fs(self.root)
        if reason is not None:
            sink.add("ING065", address, file=shown, reason=reason)
            return None
        return self._match(sink, chosen, shown, address)

    def _match(self, sink: Sink, chosen: str, shown: str, address: str) -> str | None:
        if chosen in self.files:
            self.referenced.add(chosen)
            return chosen
        if _nfc(chosen) in self.dirs_nfc:
            sink.add("ING069", address, file=shown)
            return None
        same_nfc = self.by_nfc.get(_nfc(chosen), [])
        if len(same_nfc) == 1:
            actual = same_nfc[0]
            self.referenced.add(actual)
            form = "NFD" if actual == unicodedata.normalize("NFD", actual) else "NFC"
            if unicodedata.normalize("NFC", actual) != actual and actual != unicodedata.normalize(
                "NFD", actual
            ):
                form = "mixed"
            sink.add("ING062", address, file=shown, actual=printable(actual), form=form)
            return actual
        if len(same_nfc) > 1:
            self.referenced.update(same_nfc)
            sink.add("ING066", address, file=shown, candidates=", ".join(printable(c) for c in same_nfc))
            return None
        same_case = self.by_fold.get(_fold(chosen), [])
        if same_case:
            sink.add("ING061", address, file=shown, suggestion=", ".join(printable(c) for c in same_case))
            return None
        sink.add("ING060", address, file=shown)
        return None

    def mark(self, written: str) -> None:
        """Count *written* as referenced without any finding (rows that are skipped still list files)."""
        text, unsafe = self._clean(written)
        if unsafe is not None:
            return
        for candidate in self._candidates(text):
            if candidate in self.files:
                self.referenced.add(candidate)
                return
            same = self.by_nfc.get(_nfc(candidate), [])
            if same:
                self.referenced.update(same)
                return

    # ------------------------------------------------------------------ leftovers

    def unlisted(self) -> list[str]:
        """Files present but referenced by no row, sorted."""
        return sorted(self.files - self.referenced)

    def leftover_findings(self) -> list[Finding]:
        found = list(self.errors)
        for rel in self.unlisted():
            found.append(finding("ING063", path=display_name(rel)))
        if self.junk:
            shown = ", ".join(printable(j) for j in self.junk[:20])
            if len(self.junk) > 20:
                shown += ", …"
            found.append(finding("ING064", count=len(self.junk), files=shown))
        return found
