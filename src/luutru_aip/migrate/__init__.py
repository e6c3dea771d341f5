"""Migrate older packages to the 2024 Archives Law vocabulary and the TT05 code lists (L3).

The result of a migration is a **new AIP version**; the predecessor is never modified.

* :func:`plan_migration` says what would change (a dry run: nothing is read beyond the metadata,
  nothing is written);
* :func:`migrate_package` writes the new version of one package;
* :func:`migrate_many` migrates many packages (or every package under storage folders) where one
  failure never stops the others;
* :func:`default_registry` / :class:`Registry` hold the migration steps, one versioned TOML table per
  step (``luutru_aip/data/migrate``), each row with its legal source.

What changes and what never does, and where the history is kept: ``docs/migration.md``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import attrs

from luutru_aip._fs import cleanup_stale_temps
from luutru_aip.build import package_name
from luutru_aip.errors import UsageError
from luutru_aip.findings import Finding, finding
from luutru_aip.migrate._plan import PREVIOUS_DIR, Change, PackageError, Plan, open_package, plan
from luutru_aip.migrate._steps import (
    CodeListInfo,
    Registry,
    Step,
    TagRow,
    TextRow,
    ValueRow,
    check_codes,
    default_registry,
    load_step,
)
from luutru_aip.migrate._write import WriteFailed, WriteOptions, final_path, new_objid, write_version
from luutru_aip.model import VN_TZ
from luutru_aip.signing import Signer
from luutru_aip.validate import validate

__all__ = [
    "FORMATS",
    "PREVIOUS_DIR",
    "Change",
    "CodeListInfo",
    "MigrateOptions",
    "MigrationResult",
    "Registry",
    "Step",
    "TagRow",
    "TextRow",
    "ValueRow",
    "default_registry",
    "find_packages",
    "load_step",
    "migrate_many",
    "migrate_package",
    "plan_migration",
]

#: Output containers: ``same`` keeps the predecessor's (folder, bag or ZIP).
FORMATS: Final = ("same", "dir", "bag", "zip")


@attrs.frozen(kw_only=True)
class MigrateOptions:
    """How to migrate.

    * ``target``: the profile version to reach (default: the newest the registry knows, ``tt05-2025``);
    * ``from_codes``: the code list the old values belong to (``vendor-2019``, ``text-2011``, ``tt05``),
      when the package does not say so with certainty;
    * ``from_profile``: the profile version of packages that declare none (``legacy-2011``);
    * ``format``: ``same`` (default), ``dir``, ``bag`` or ``zip``;
    * ``link``: hard-link unchanged files instead of copying them (same file system only);
    * ``clock``: the time recorded (default: now), for reproducible output;
    * ``signer`` / ``tsa_url``: sign the new version (``signatures/package.p7s``);
    * ``validate``: check the new version with ``validate --profile tt05`` before publishing it;
    * ``registry``: the steps (default :func:`default_registry`).
    """

    target: str | None = None
    from_codes: str | None = None
    from_profile: str | None = None
    format: str = "same"
    link: bool = False
    workers: int = 1
    clock: datetime | None = None
    signer: Signer | None = None
    tsa_url: str | None = None
    validate: bool = True
    sync: bool = True
    registry: Registry | None = None

    def __attrs_post_init__(self) -> None:
        if self.format not in FORMATS:
            raise UsageError(f"format must be one of {', '.join(FORMATS)}, not {self.format!r}")
        if self.clock is not None and self.clock.tzinfo is None:
            raise UsageError("the migration clock must be timezone-aware")
        registry = self.resolved_registry
        check_codes(registry, self.from_codes)
        if self.target is not None and self.target not in registry.versions:
            raise UsageError(
                f"--to {self.target!r} is not a known profile version: {', '.join(registry.versions)}"
            )
        if self.from_profile is not None and self.from_profile not in registry.versions:
            known = ", ".join(registry.versions)
            raise UsageError(f"--from-profile {self.from_profile!r} is not a known profile version: {known}")

    @property
    def resolved_registry(self) -> Registry:
        """``registry``, or the steps shipped with the library."""
        return self.registry or default_registry()


@attrs.frozen(kw_only=True)
class MigrationResult:
    """The outcome for one package.

    ``status``: ``migrated`` (new version written), ``exists`` (that new version is already in the
    output: an earlier run made it), ``current`` (already speaks the target version: no new version),
    ``planned`` (dry run), ``failed`` (see ``findings``).
    """

    source: Path
    status: str
    objid: str | None = None
    new_objid: str | None = None
    path: Path | None = None
    steps: tuple[str, ...] = ()
    changes: tuple[Change, ...] = ()
    findings: tuple[Finding, ...] = ()
    files: int = 0

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "source": os.fspath(self.source),
            "status": self.status,
            "objid": self.objid,
            "new_objid": self.new_objid,
            "path": None if self.path is None else os.fspath(self.path),
            "steps": list(self.steps),
            "changes": [c.to_dict() for c in self.changes],
            "findings": [f.to_dict(lang) for f in self.findings],
            "files": self.files,
        }


def _moment(clock: datetime | None) -> datetime:
    moment = clock if clock is not None else datetime.now(tz=VN_TZ)
    return moment.astimezone(VN_TZ).replace(microsecond=0)


def _result(planned: Plan, status: str, **kwargs: Any) -> MigrationResult:
    return MigrationResult(
        source=planned.opened.input,
        status=status,
        objid=planned.objid,
        steps=tuple(s.id for s in planned.steps),
        changes=tuple(planned.changes),
        findings=tuple(planned.findings),
        **kwargs,
    )


def _plan(path: Path, options: MigrateOptions, scratch: Path | None) -> Plan:
    opened = open_package(path, scratch)
    try:
        return plan(
            opened,
            options.resolved_registry,
            target=options.target,
            codes=options.from_codes,
            source_version=options.from_profile,
        )
    except BaseException:
        opened.close()
        raise


def plan_migration(path: str | os.PathLike[str], options: MigrateOptions | None = None) -> MigrationResult:
    """What migrating ``path`` would change (``planned``, ``current`` or ``failed``); writes nothing."""
    options = options or MigrateOptions()
    try:
        planned = _plan(Path(path), options, None)
    except PackageError as exc:
        return MigrationResult(source=Path(path), status="failed", findings=(exc.finding,))
    try:
        if planned.blocked:
            return _result(planned, "failed")
        if not planned.steps:
            return _result(planned, "current")
        fmt = planned.opened.kind if options.format == "same" else options.format
        return _result(
            planned, "planned", new_objid=new_objid(planned), path=final_path(planned, Path(), fmt)
        )
    finally:
        planned.opened.close()


def migrate_package(
    path: str | os.PathLike[str], out: str | os.PathLike[str], options: MigrateOptions | None = None
) -> MigrationResult:
    """Write the new version of the package at ``path`` into the folder ``out``.

    Problems with the package are findings in a ``failed`` result; :class:`~luutru_aip.errors.LuutruError`
    is raised only when the migration cannot start (bad options, no output folder).
    """
    options = options or MigrateOptions()
    destination = Path(out)
    if not destination.is_dir():
        raise UsageError(f"{destination}: the output folder does not exist")
    source = Path(path)
    if destination.resolve().is_relative_to(source.resolve()):
        # writing into the predecessor would modify it: the one thing migration must never do
        raise UsageError(f"{destination}: the output folder is inside the package {source}")
    try:
        planned = _plan(source, options, destination)
    except PackageError as exc:
        return MigrationResult(source=source, status="failed", findings=(exc.finding,))
    try:
        if planned.blocked:
            return _result(planned, "failed")
        if not planned.steps:
            return _result(planned, "current")
        fmt = planned.opened.kind if options.format == "same" else options.format
        final = final_path(planned, destination, fmt)
        objid = new_objid(planned)
        if os.path.lexists(final):
            return _result(planned, "exists", new_objid=objid, path=final)
        validator = _validator() if options.validate else None
        write_options = WriteOptions(
            moment=_moment(options.clock),
            format=fmt,
            link=options.link,
            workers=options.workers,
            sync=options.sync,
            signer=options.signer,
            tsa_url=options.tsa_url,
            validate=validator,
        )
        try:
            written, objid, files = write_version(planned, destination, write_options, planned.findings)
        except WriteFailed as failed:
            planned.findings.extend(failed.findings)
            return _result(planned, "failed", new_objid=objid)
        holder = planned.opened.bag or planned.opened.root
        if options.signer is None and (holder / "signatures/package.p7s").is_file():
            planned.findings.append(
                finding(
                    "MIG011",
                    path=os.fspath(written),
                    found=f"{PREVIOUS_DIR}/{package_name(planned.objid)}/signatures/package.p7s",
                )
            )
        return _result(planned, "migrated", new_objid=objid, path=written, files=files)
    finally:
        planned.opened.close()


def _validator() -> Any:
    def run(root: Path) -> Sequence[Finding]:
        return validate(root, profile="tt05").findings

    return run


def find_packages(roots: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Packages given directly, or found under storage folders: bags, folders with METS.xml, ZIPs.

    A folder that is itself a package is taken as it is; otherwise its children are searched
    (recursively), never descending into a package.
    """
    found: list[Path] = []

    def visit(folder: Path, top: bool) -> None:
        if (folder / "bagit.txt").is_file() or (folder / "METS.xml").is_file():
            found.append(folder)
            return
        try:
            entries = sorted(folder.iterdir())
        except OSError as exc:
            raise UsageError(f"{folder}: cannot list the folder: {exc.strerror or exc}") from None
        for entry in entries:
            if entry.name.startswith(".") or entry.is_symlink():
                continue
            if entry.is_dir():
                visit(entry, False)
            elif entry.suffix.lower() == ".zip" and entry.is_file():
                found.append(entry)

    for raw in roots:
        root = Path(raw)
        if root.is_file():
            found.append(root)
        elif root.is_dir():
            visit(root, True)
        else:
            raise UsageError(f"{root}: no such package or folder")
    return found


def migrate_many(
    paths: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str] | None,
    options: MigrateOptions | None = None,
    *,
    dry_run: bool = False,
) -> Iterator[MigrationResult]:
    """Migrate (or, with ``dry_run``, plan) every package, yielding one result each; never stops early."""
    options = options or MigrateOptions()
    if not dry_run:
        if out is None:
            raise UsageError("an output folder is needed (or a dry run)")
        Path(out).mkdir(parents=True, exist_ok=True)
        cleanup_stale_temps(Path(out))
    for path in paths:
        if dry_run:
            yield plan_migration(path, options)
        else:
            assert out is not None
            yield migrate_package(path, out, options)
