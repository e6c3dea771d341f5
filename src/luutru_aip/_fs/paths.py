"""Validated paths inside a package: :class:`PackagePath`.

Implements design.md style rule 4 ("paths inside a package are validated
``PackagePath`` values") and the path rules of PKWARE APPNOTE 6.3.10
§4.4.17.1 (no drive or device letter, no leading slash, forward slashes only),
which BagIt (RFC 8493 §7.2.2, §7.3) and E-ARK CSIP (CSIPSTR, file names) rely
on too. Reason codes map to the ``PATH0xx`` rules in ``data/rules/fs.toml``.

Design decisions (documented here because they are security decisions):

* **A frozen attrs class, not a ``str`` subclass.** A ``str`` subclass would be
  accepted by ``open()``, ``os.path.join`` and every ``str`` method, and each of
  those silently yields a plain, *unvalidated* ``str`` (``p + "/../x"``,
  ``p.replace(...)``) or resolves it against the current directory. A
  separate type makes the only way to the file system :meth:`PackagePath.to_fs`,
  which checks containment. It is deliberately *not* :class:`os.PathLike`.
* **Equality is on the original text.** NFC and NFD spellings of one name are
  different paths on ext4 (byte names) and the same on APFS/NTFS-ish systems,
  so they are distinct values; :attr:`PackagePath.collision_key` (NFC +
  casefold) lets validators find such clashes.
* **``.`` and empty segments are rejected**, not normalised away: ``a/./b``,
  ``a//b`` and ``a/`` have no business in a manifest, and silently
  normalising them would let two different manifest lines name one file.
  ZIP directory entries end in ``/``; the ZIP layer strips that one slash
  before checking.
* **C0 controls, DEL and C1 controls are rejected** (not only NUL): they make
  names that terminals, XML 1.0 (which forbids most of them) and reports
  cannot show faithfully.
* **Text that cannot be encoded as UTF-8** (lone surrogates, as produced by
  ``os.fsdecode`` for undecodable bytes) is rejected: manifests and METS
  are UTF-8.
* **A segment longer than 255 UTF-8 bytes** is rejected: no common file
  system can store it (NAME_MAX), so it could not be extracted or checked.
  Note that NFD Vietnamese needs more bytes than NFC.
* Only a drive letter *at the start* (``C:``, ``C:foo``, ``C:/x``) is
  rejected. A colon later in a name (``Quyết định: 01``) is legal POSIX.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Final

import attrs

from luutru_aip.errors import UnsafePathError
from luutru_aip.findings import Finding, finding

__all__ = [
    "MAX_SEGMENT_BYTES",
    "REASON_CODES",
    "PackagePath",
    "check_package_path",
    "display_name",
    "path_finding",
]

#: Longest segment (file or folder name) accepted, in UTF-8 bytes (Linux NAME_MAX).
MAX_SEGMENT_BYTES: Final = 255

#: Reason code (as returned by :func:`check_package_path`) → catalogue rule code.
REASON_CODES: Final[Mapping[str, str]] = {
    "empty": "PATH001",
    "absolute": "PATH002",
    "parent": "PATH003",
    "dot": "PATH004",
    "empty_segment": "PATH005",
    "nul": "PATH006",
    "control": "PATH007",
    "backslash": "PATH008",
    "drive": "PATH009",
    "unc": "PATH010",
    "home": "PATH011",
    "encoding": "PATH012",
    "long_segment": "PATH013",
    "escapes_root": "PATH014",
}

_REASON_TEXT: Final[Mapping[str, str]] = {
    "empty": "the path is empty",
    "absolute": "the path is absolute (starts with '/')",
    "parent": "the path has a '..' segment",
    "dot": "the path has a '.' segment",
    "empty_segment": "the path has an empty segment ('a//b', a trailing '/')",
    "nul": "the path contains a NUL character",
    "control": "the path contains a control character",
    "backslash": "the path contains a backslash",
    "drive": "the path starts with a drive letter ('C:')",
    "unc": "the path is a UNC or network path ('//server')",
    "home": "the path starts with '~' (a home-folder reference)",
    "encoding": "the path is not valid Unicode (cannot be encoded as UTF-8)",
    "long_segment": f"a segment is longer than {MAX_SEGMENT_BYTES} bytes in UTF-8",
    "escapes_root": "the path leads outside the package root (through a symbolic link)",
}


#: Line separators and bidirectional formatting characters: they can make a printed name look like
#: another one ("Trojan Source", CVE-2021-42574), so :func:`display_name` escapes them.
_INVISIBLE_FORMAT: Final = frozenset(
    "\u2028\u2029\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def _is_control(ch: str) -> bool:
    code = ord(ch)
    return code < 0x20 or 0x7F <= code <= 0x9F


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def display_name(text: str) -> str:
    """``text`` made safe to print: controls, surrogates, bidi controls and backslashes escaped.

    Vietnamese letters are shown as they are; anything a terminal could
    interpret (``\\x1b``…), that cannot be printed, or that reorders the text
    shown (U+202E and the other bidirectional controls) is written as an
    escape, so a hostile name cannot forge report lines or disguise itself.
    """
    out: list[str] = []
    for ch in text:
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif _is_control(ch) or 0xD800 <= code <= 0xDFFF or ch in _INVISIBLE_FORMAT:
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def check_package_path(text: str) -> str | None:
    """The reason ``text`` is not a safe package path, or ``None`` if it is.

    Reason codes are the keys of :data:`REASON_CODES`. When several problems
    are present the first in this order is returned: empty, nul, control,
    encoding, backslash, unc, absolute, drive, home, empty_segment, dot,
    parent, long_segment. Never raises (for ``str`` input).
    """
    if not text:
        return "empty"
    if "\x00" in text:
        return "nul"
    if any(_is_control(ch) for ch in text):
        return "control"
    if not _encodable(text):
        return "encoding"
    if "\\" in text:
        return "backslash"
    if text.startswith("//"):
        return "unc"
    if text.startswith("/"):
        return "absolute"
    if len(text) >= 2 and text[1] == ":" and text[0].isascii() and text[0].isalpha():
        return "drive"
    if text.startswith("~"):
        return "home"
    segments = text.split("/")
    if any(seg == "" for seg in segments):
        return "empty_segment"
    if any(seg == "." for seg in segments):
        return "dot"
    if any(seg == ".." for seg in segments):
        return "parent"
    if any(len(seg.encode("utf-8")) > MAX_SEGMENT_BYTES for seg in segments):
        return "long_segment"
    return None


def path_finding(text: str, *, reason: str | None = None) -> Finding | None:
    """A ``PATH0xx`` finding for ``text``, or ``None`` when it is a safe path.

    ``reason`` forces a reason code (used for ``escapes_root``, which needs a
    file system to detect; see :meth:`PackagePath.check_fs`).
    """
    found = reason if reason is not None else check_package_path(text)
    if found is None:
        return None
    return finding(REASON_CODES[found], path=display_name(text))


def _unsafe(text: str, reason: str) -> UnsafePathError:
    return UnsafePathError(f"unsafe package path '{display_name(text)}': {_REASON_TEXT[reason]} [{reason}]")


def _validate(_inst: object, _attr: object, value: str) -> None:
    if not isinstance(value, str):
        raise TypeError(f"PackagePath needs a str, not {type(value).__name__}")
    reason = check_package_path(value)
    if reason is not None:
        raise _unsafe(value, reason)


def _nfc(self: PackagePath) -> str:
    return unicodedata.normalize("NFC", self.raw)


def _collision_key(self: PackagePath) -> str:
    # Canonical caseless matching (Unicode D145), expressed in NFC.
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", self.raw).casefold())


@attrs.frozen(order=True, repr=False)
class PackagePath:
    """A safe POSIX path relative to a package root, e.g. ``Hồ sơ số 01/Quyết định.pdf``.

    Construct with :meth:`parse` (or the constructor, which validates the same
    way); an unsafe text raises :class:`~luutru_aip.errors.UnsafePathError`
    whose message names the path and the reason. The original text is kept in
    :attr:`raw` and is what ``str()`` returns; equality, hashing and ordering
    are on :attr:`raw`.
    """

    raw: str = attrs.field(validator=_validate)
    nfc: str = attrs.field(init=False, eq=False, order=False, default=attrs.Factory(_nfc, takes_self=True))
    """The NFC-normalised form of :attr:`raw`."""
    collision_key: str = attrs.field(
        init=False, eq=False, order=False, default=attrs.Factory(_collision_key, takes_self=True)
    )
    """NFC + casefold: two paths with equal keys clash on a normalising or case-insensitive system."""

    @classmethod
    def parse(cls, text: str) -> PackagePath:
        """Validate ``text``; raises :class:`~luutru_aip.errors.UnsafePathError` if it is unsafe."""
        return cls(text)

    def __str__(self) -> str:
        return self.raw

    def __repr__(self) -> str:
        return f"PackagePath({self.raw!r})"

    @property
    def parts(self) -> tuple[str, ...]:
        """The segments, e.g. ``("Hồ sơ số 01", "Quyết định.pdf")``."""
        return tuple(self.raw.split("/"))

    @property
    def name(self) -> str:
        """The last segment."""
        return self.raw.rpartition("/")[2]

    @property
    def suffix(self) -> str:
        """The last dotted suffix of :attr:`name` (``".pdf"``), or ``""``, as in :mod:`pathlib`."""
        name = self.name
        dot = name.rfind(".")
        if 0 < dot < len(name) - 1:
            return name[dot:]
        return ""

    @property
    def stem(self) -> str:
        """:attr:`name` without :attr:`suffix`."""
        suffix = self.suffix
        return self.name[: -len(suffix)] if suffix else self.name

    @property
    def parent(self) -> PackagePath | None:
        """The containing folder, or ``None`` for a top-level name (the root is not a PackagePath)."""
        head, sep, _ = self.raw.rpartition("/")
        return PackagePath(head) if sep else None

    def parents(self) -> Iterator[PackagePath]:
        """Every ancestor folder, nearest first."""
        parent = self.parent
        while parent is not None:
            yield parent
            parent = parent.parent

    def joinpath(self, *others: str | PackagePath) -> PackagePath:
        """This path followed by ``others``; the result is validated as a whole."""
        text = "/".join([self.raw, *(str(o) for o in others)])
        return PackagePath(text)

    def __truediv__(self, other: str | PackagePath) -> PackagePath:
        return self.joinpath(other)

    def is_relative_to(self, other: PackagePath) -> bool:
        """True when ``other`` is this path or one of its ancestors (segment-wise, on raw text)."""
        return self.raw == other.raw or self.raw.startswith(other.raw + "/")

    # ------------------------------------------------------------------ file system

    def _fs_candidate(self, root: Path) -> tuple[Path, Path]:
        root_resolved = Path(root).resolve()
        candidate = root_resolved.joinpath(*self.parts)
        return root_resolved, candidate

    def check_fs(self, root: Path) -> str | None:
        """``"escapes_root"`` if, under ``root``, this path resolves (via links) outside it, else ``None``.

        Existing components are resolved (symbolic links followed); missing
        ones are taken as they are. The answer holds at the time of the call
        only: a writer that races with us can still swap a folder for a link,
        which is why extraction creates files with ``O_NOFOLLOW | O_EXCL`` in
        a fresh folder of its own.
        """
        root_resolved, candidate = self._fs_candidate(root)
        try:
            resolved = candidate.resolve(strict=False)
        except (OSError, RuntimeError):  # a symlink loop: do not follow it anywhere
            return "escapes_root"
        if resolved == root_resolved or not resolved.is_relative_to(root_resolved):
            return "escapes_root"
        return None

    def to_fs(self, root: Path) -> Path:
        """The file-system path of this package path under ``root``.

        Raises :class:`~luutru_aip.errors.UnsafePathError` if the result,
        after resolving the symbolic links of its existing components, is not
        strictly inside ``root``. The returned path is ``root`` (resolved)
        joined with :attr:`parts`, links left as they are.
        """
        if self.check_fs(root) is not None:
            raise UnsafePathError(
                f"unsafe package path '{display_name(self.raw)}' under '{display_name(os.fspath(root))}': "
                f"{_REASON_TEXT['escapes_root']} [escapes_root]"
            )
        return self._fs_candidate(root)[1]

    @classmethod
    def from_fs(cls, root: Path, path: Path) -> PackagePath:
        """The package path of ``path``, a file or folder under ``root``.

        ``path`` may be absolute or relative to ``root``. Purely lexical
        (links are not followed), so that a link *in* the package is reported
        under its own name; raises :class:`~luutru_aip.errors.UnsafePathError`
        when ``path`` is not below ``root`` or its name is unsafe.
        """
        # Lexical on purpose (Path.resolve would follow links): noqa PTH100.
        root_abs = Path(os.path.abspath(root))  # noqa: PTH100
        target = Path(path)
        target_abs = Path(os.path.abspath(target if target.is_absolute() else root_abs / target))  # noqa: PTH100
        try:
            rel = target_abs.relative_to(root_abs)
        except ValueError:
            shown, shown_root = display_name(os.fspath(path)), display_name(os.fspath(root))
            raise UnsafePathError(f"'{shown}' is not inside the package root '{shown_root}'") from None
        return cls("/".join(rel.parts))
