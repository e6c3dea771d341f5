"""Builders for benign and malicious ZIP fixtures (generated in tmp_path; no binary blobs committed)."""

from __future__ import annotations

import stat
import struct
import zipfile
from collections.abc import Iterable
from pathlib import Path

CDH = struct.Struct("<4s4B4HL2L5H2L")
# Field offsets inside a central directory header.
CD_FLAGS, CD_METHOD, CD_CRC, CD_CSIZE, CD_USIZE, CD_OFFSET = 8, 10, 16, 20, 24, 42


def make_zip(
    path: Path,
    entries: Iterable[tuple[str | zipfile.ZipInfo, bytes]],
    *,
    compression: int = zipfile.ZIP_DEFLATED,
) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return path


def info(name: str, *, mode: int | None = None, flags: int = 0, extra: bytes = b"") -> zipfile.ZipInfo:
    zi = zipfile.ZipInfo(name, date_time=(2024, 1, 2, 3, 4, 6))
    zi.create_system = 3
    if mode is not None:
        zi.external_attr = mode << 16
    zi.flag_bits |= flags
    zi.extra = extra
    return zi


def symlink(name: str) -> zipfile.ZipInfo:
    return info(name, mode=stat.S_IFLNK | 0o777)


def patch(path: Path, old: bytes, new: bytes, *, count: int = -1) -> None:
    """Replace bytes in place (local header and central directory alike)."""
    assert len(old) == len(new)
    data = path.read_bytes()
    assert old in data, old
    path.write_bytes(data.replace(old, new, count))


def central_offsets(path: Path) -> list[int]:
    """File offsets of each central directory record of a well-formed ZIP."""
    with zipfile.ZipFile(path) as zf:
        pos = zf.start_dir
        n = len(zf.infolist())
    data = path.read_bytes()
    out = []
    for _ in range(n):
        fields = CDH.unpack_from(data, pos)
        out.append(pos)
        pos += CDH.size + fields[12] + fields[13] + fields[14]
    return out


def set_central(path: Path, index: int, field_offset: int, fmt: str, value: int) -> None:
    data = bytearray(path.read_bytes())
    pos = central_offsets(path)[index] + field_offset
    struct.pack_into(fmt, data, pos, value)
    path.write_bytes(bytes(data))


def streaming_bomb(path: Path, name: str, size: int) -> Path:
    """One deflated entry of ``size`` zero bytes, written in chunks (ratio ≈ 1000)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        entry = info(name, mode=stat.S_IFREG | 0o644)
        entry.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(entry, "w") as out:
            chunk = bytes(1 << 20)
            left = size
            while left:
                n = min(left, len(chunk))
                out.write(chunk[:n])
                left -= n
    return path


def tree(root: Path) -> list[str]:
    """Every path under root (relative, sorted), to assert nothing was written anywhere else."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))
