"""Batch mode: one package per hồ sơ from one import; one failure never stops the others (L2)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from luutru_aip.build._package import BuildOptions, BuildResult, build_package
from luutru_aip.metadata.schemastore import SchemaStore
from luutru_aip.model import ArchiveProfile, FileRecord

__all__ = ["build_packages"]


def build_packages(
    records: Sequence[FileRecord],
    *,
    source_root: Path | str,
    out_dir: Path | str,
    profile: ArchiveProfile,
    source_files: Mapping[str, str] | None = None,
    options: BuildOptions | None = None,
    clock: datetime | None = None,
    store: SchemaStore | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[BuildResult]:
    """Build every record in turn with one clock for the whole batch, yielding each outcome.

    A package that exists already (same input, same clock: a resumed run) is reported with status
    ``"exists"`` and left untouched.
    """
    store = store or SchemaStore.default()
    for record in records:
        yield build_package(
            record,
            source_root=source_root,
            out_dir=out_dir,
            profile=profile,
            source_files=source_files,
            options=options,
            clock=clock,
            store=store,
            progress=progress,
        )
