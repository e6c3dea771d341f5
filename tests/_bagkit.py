"""Helpers that write small BagIt bags for the tests (fixtures are generated, never committed)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

DEFAULT_FILES: Mapping[str, bytes] = {
    "data/a.txt": b"hello\n",
    "data/sub/b.txt": "Hồ sơ lưu trữ\n".encode(),
}


def digest(data: bytes, algorithm: str) -> str:
    return hashlib.new(algorithm, data).hexdigest()


def write_manifest(bag: Path, algorithm: str, entries: Iterable[str], *, tag: bool = False) -> None:
    """Write ``[tag]manifest-<algorithm>.txt`` listing ``entries`` (paths relative to the bag)."""
    lines = []
    for rel in entries:
        data = (bag / rel).read_bytes()
        lines.append(f"{digest(data, algorithm)}  {rel}\n")
    name = f"{'tag' if tag else ''}manifest-{algorithm}.txt"
    (bag / name).write_text("".join(lines), encoding="utf-8")


def payload_files(bag: Path) -> list[str]:
    out = []
    for folder, _dirs, files in os.walk(bag / "data"):
        for name in files:
            full = Path(folder) / name
            if full.is_file() and not full.is_symlink():
                out.append(full.relative_to(bag).as_posix())
    return sorted(out)


def oxum(bag: Path) -> str:
    files = payload_files(bag)
    return f"{sum((bag / f).stat().st_size for f in files)}.{len(files)}"


def retag(bag: Path, algorithms: Iterable[str] = ("sha256",)) -> None:
    """(Re)write tag manifests listing every tag file in the bag root (not tag manifests)."""
    for old in bag.glob("tagmanifest-*.txt"):
        old.unlink()
    tags = sorted(p.name for p in bag.iterdir() if p.is_file() and not p.name.startswith("tagmanifest-"))
    for algorithm in algorithms:
        write_manifest(bag, algorithm, tags, tag=True)


def make_bag(
    root: Path,
    *,
    files: Mapping[str, bytes] = DEFAULT_FILES,
    version: str = "1.0",
    encoding: str = "UTF-8",
    algorithms: Iterable[str] = ("sha256", "sha512"),
    tag_algorithms: Iterable[str] = ("sha256",),
    bag_info: str | None = None,
) -> Path:
    """A complete, valid bag at ``root`` (made with independent code: hashlib, not luutru_aip)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "data").mkdir(exist_ok=True)
    for rel, data in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    (root / "bagit.txt").write_bytes(
        f"BagIt-Version: {version}\nTag-File-Character-Encoding: {encoding}\n".encode()
    )
    for algorithm in algorithms:
        write_manifest(root, algorithm, sorted(files))
    if bag_info is None:
        bag_info = (
            f"Bagging-Date: 2026-11-21\nPayload-Oxum: {oxum(root)}\nSource-Organization: Trung tâm lưu trữ\n"
        )
    if bag_info:
        (root / "bag-info.txt").write_text(bag_info, encoding="utf-8")
    retag(root, tag_algorithms)
    return root
