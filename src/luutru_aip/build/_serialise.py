"""Serialise a staged package tree as a BagIt 1.0 bag or a deterministic ZIP (L2).

* **Bag** (RFC 8493): the package tree is the payload under ``data/``; ``manifest-sha256.txt`` and
  ``manifest-sha512.txt`` list every payload file (digests already computed while staging, so nothing is
  read twice), ``bag-info.txt`` carries the labels issue 4 asks for, and ``tagmanifest-sha256.txt`` /
  ``tagmanifest-sha512.txt`` cover every tag file. Paths in manifests percent-encode CR, LF and ``%``
  (RFC 8493 §2.1.3); bag-info lines longer than 79 characters are folded onto indented continuation
  lines (§2.2.2), so our own validator gives the bag no warning.
* **ZIP** (TT05 handover): members sorted by path, every member dated with the build clock in local
  (+07:00) time, no extra fields, Unix mode 0644. Already-compressed payload (PDF, images, audio, video)
  is stored; XML and text are deflated. ZIP64 is used for members of 2 GiB or more, so multi-GB
  packages work. The same tree and clock give the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Final

import attrs

from luutru_aip.model import VN_TZ

__all__ = ["Digests", "bag_info_lines", "write_bag_tags", "write_zip"]

_STORED_SUFFIXES: Final = frozenset(
    {".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".jp2", ".mp3", ".mp4", ".m4a", ".avi", ".wma", ".zip"}
)
_FOLD_AT: Final = 79


@attrs.frozen
class Digests:
    """Size and digests of one file in the package tree."""

    size: int
    sha256: str
    sha512: str


def digests_of(data: bytes) -> Digests:
    return Digests(len(data), hashlib.sha256(data).hexdigest(), hashlib.sha512(data).hexdigest())


def digests_of_file(path: Path) -> Digests:
    sha, big, size = hashlib.sha256(), hashlib.sha512(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            sha.update(chunk)
            big.update(chunk)
            size += len(chunk)
    return Digests(size, sha.hexdigest(), big.hexdigest())


def _encode_manifest_path(path: str) -> str:
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _fold(label: str, value: str) -> list[str]:
    """``Label: value`` folded at word boundaries onto lines of at most 79 characters."""
    words = " ".join(value.split()).split(" ")
    lines: list[str] = []
    current = f"{label}:"
    for word in words:
        candidate = f"{current} {word}"
        if len(candidate) > _FOLD_AT and current.strip() not in (f"{label}:", ""):
            lines.append(current)
            current = f"  {word}"
        else:
            current = candidate
    lines.append(current)
    return lines


def bag_info_lines(pairs: Iterable[tuple[str, str]]) -> str:
    """bag-info.txt text from (label, value) pairs, folded (RFC 8493 §2.2.2)."""
    out: list[str] = []
    for label, value in pairs:
        out.extend(_fold(label, value))
    return "".join(f"{line}\n" for line in out)


def write_bag_tags(
    bag: Path, payload: Mapping[str, Digests], info: Sequence[tuple[str, str]]
) -> dict[str, Digests]:
    """Write bagit.txt, bag-info.txt, both payload manifests and both tag manifests into ``bag``.

    ``payload`` maps paths relative to ``data/`` to their digests. ``Payload-Oxum`` is added to ``info``.
    Returns the digests of the tag files written (for callers that sign or record them).
    """
    octets = sum(d.size for d in payload.values())
    tags: dict[str, bytes] = {
        "bagit.txt": b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
        "bag-info.txt": bag_info_lines([*info, ("Payload-Oxum", f"{octets}.{len(payload)}")]).encode("utf-8"),
    }
    ordered = sorted(payload)
    for algorithm in ("sha256", "sha512"):
        lines = [f"{getattr(payload[p], algorithm)}  {_encode_manifest_path('data/' + p)}\n" for p in ordered]
        tags[f"manifest-{algorithm}.txt"] = "".join(lines).encode("utf-8")
    written: dict[str, Digests] = {}
    for name, data in tags.items():
        (bag / name).write_bytes(data)
        written[name] = digests_of(data)
    for algorithm in ("sha256", "sha512"):
        lines = [f"{getattr(written[name], algorithm)}  {name}\n" for name in sorted(written)]
        data = "".join(lines).encode("utf-8")
        (bag / f"tagmanifest-{algorithm}.txt").write_bytes(data)
    return written


def _walk(root: Path) -> list[str]:
    found: list[str] = []
    for top, dirs, files in os.walk(root):
        dirs.sort()
        rel = Path(top).relative_to(root)
        for name in sorted(files):
            found.append((rel / name).as_posix() if rel != Path() else name)
    return sorted(found)


def write_zip(tree: Path, out: BinaryIO, *, moment: datetime, prefix: str = "") -> int:
    """Write the files under ``tree`` into the ZIP stream ``out``; returns the number of members.

    ``prefix`` (e.g. the package folder name plus ``/``) is put in front of every member name.
    """
    local = moment.astimezone(VN_TZ)
    stamp = (max(local.year, 1980), local.month, local.day, local.hour, local.minute, local.second)
    names = _walk(tree)
    with zipfile.ZipFile(out, "w", allowZip64=True) as archive:
        for name in names:
            source = tree / name
            size = source.stat().st_size
            info = zipfile.ZipInfo(prefix + name, date_time=stamp)
            info.external_attr = 0o100644 << 16
            info.create_system = 3
            info.compress_type = (
                zipfile.ZIP_STORED if Path(name).suffix.lower() in _STORED_SUFFIXES else zipfile.ZIP_DEFLATED
            )
            with source.open("rb") as handle, archive.open(info, "w", force_zip64=size >= (1 << 31)) as dest:
                while chunk := handle.read(1 << 20):
                    dest.write(chunk)
    return len(names)
