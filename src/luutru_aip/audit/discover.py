"""Find packages under storage roots, and tell an unreachable root from vanished packages.

**Discovery.** Under a root, a folder holding ``bagit.txt`` is a BagIt bag
(RFC 8493 §2.1.1), a folder holding ``METS.xml`` is a METS package (E-ARK
CSIP: the root METS file is named ``METS.xml``), and a ``*.zip`` file is a
zipped package (what it holds is read when it is checked). The search does not
go into packages, into hidden folders (names starting with ``.``, which also
skips the temporaries of :mod:`luutru_aip._fs.atomic`), nor through symbolic
links, and stops at :data:`MAX_DEPTH` folders below the root. A root that is
itself a bag or METS package is one package with the relative path ``.``.

**Unreachable roots** (issue 7: "reported as unreachable, never as every file
missing"). A root is *unreachable* when:

1. it does not exist, is not a folder, or cannot be listed; or
2. packages were recorded under it and *none* of them is there now (an
   unmounted share shows its empty mount point; a root replaced by another
   folder shows other content), unless the root holds the marker file; or
3. it was a mount point and no longer is; or
4. it held the optional marker file :data:`MARKER` and no longer does.

Operators who want the strongest check put an empty ``.luutru-aip-root`` file
in each root: its absence then always means "not the storage we know",
however many packages are visible. The audit itself never writes into a root.
Otherwise, packages that are gone from a reachable root are reported as
*vanished*, each once, and never as missing files.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

import attrs

from luutru_aip._fs import is_stale_temp_name
from luutru_aip.audit.packages import BAG_DECLARATION, ROOT_METS

__all__ = ["MARKER", "MAX_DEPTH", "RootProbe", "discover_packages", "probe_root", "unreachable_reason"]

#: Optional marker file an operator may put in a storage root (never written by the audit).
MARKER: Final = ".luutru-aip-root"
#: How many folder levels below a root are searched for packages.
MAX_DEPTH: Final = 12


@attrs.frozen(kw_only=True)
class RootProbe:
    """What a storage root looks like right now."""

    path: str
    reachable: bool
    reason: str | None = None
    st_dev: int | None = None
    is_mount: bool = False
    has_marker: bool = False


def probe_root(path: str) -> RootProbe:
    """Stat and list ``path`` once; never raises."""
    try:
        st = Path(path).stat()
    except FileNotFoundError:
        return RootProbe(
            path=path, reachable=False, reason="the folder does not exist (removed or not mounted)"
        )
    except OSError as exc:
        return RootProbe(path=path, reachable=False, reason=f"cannot be reached: {exc.strerror or exc}")
    if not stat.S_ISDIR(st.st_mode):
        return RootProbe(path=path, reachable=False, reason="is not a folder")
    try:
        with os.scandir(path) as it:
            next(it, None)
    except OSError as exc:
        return RootProbe(path=path, reachable=False, reason=f"cannot be listed: {exc.strerror or exc}")
    return RootProbe(
        path=path,
        reachable=True,
        st_dev=st.st_dev,
        is_mount=os.path.ismount(path),
        has_marker=os.path.lexists(f"{path}/{MARKER}"),
    )


def unreachable_reason(
    probe: RootProbe,
    *,
    was_mount: bool,
    had_marker: bool,
    known: int,
    still_there: int,
) -> str | None:
    """Why a root that *answers* must still be treated as unreachable, or ``None``.

    ``known`` packages were present under it last time; ``still_there`` of them
    exist now.
    """
    if not probe.reachable:
        return probe.reason
    if had_marker and not probe.has_marker:
        return f"the marker file {MARKER} has disappeared (not mounted, or another folder?)"
    if was_mount and not probe.is_mount:
        return "it was a mount point and is no longer one (unmounted?)"
    if known and not still_there and not probe.has_marker:  # the marker vouches for the root
        return (
            f"none of the {known} packages recorded under it is there any more "
            "(unmounted, or replaced by another folder?)"
        )
    return None


def _marker_kind(folder: str) -> str | None:
    if os.path.lexists(f"{folder}/{BAG_DECLARATION}"):
        return "bag"
    if os.path.lexists(f"{folder}/{ROOT_METS}"):
        return "mets"
    return None


def discover_packages(
    root: str, *, known: Sequence[str] = (), max_depth: int = MAX_DEPTH
) -> Iterator[tuple[str, str]]:
    """Yield ``(relative path, kind)`` for each package under ``root`` not in ``known``, sorted.

    ``kind`` is ``bag``, ``mets`` or ``zip``. Folders in ``known`` (registered
    packages) are not searched, so a package that lost its marker file is not
    taken apart into new packages.
    """
    skip = set(known)
    own = _marker_kind(root)
    if own is not None:
        if "." not in skip:
            yield ".", own
        return
    stack: list[tuple[str, int]] = [("", 0)]
    while stack:
        rel_dir, depth = stack.pop()
        folder = f"{root}/{rel_dir}" if rel_dir else root
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        subdirs: list[str] = []
        for entry in entries:
            name = entry.name
            if name.startswith(".") or is_stale_temp_name(name):
                continue
            rel = f"{rel_dir}/{name}" if rel_dir else name
            try:
                text = rel.encode("utf-8").decode("utf-8")
            except UnicodeError:
                continue  # an undecodable name cannot be recorded faithfully; it is not a package path
            if text in skip:
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    kind = _marker_kind(entry.path)
                    if kind is not None:
                        yield rel, kind
                    elif depth + 1 < max_depth:
                        subdirs.append(rel)
                elif entry.is_file(follow_symlinks=False) and name.lower().endswith(".zip"):
                    yield rel, "zip"
            except OSError:
                continue
        stack.extend((d, depth + 1) for d in reversed(subdirs))
