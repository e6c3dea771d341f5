"""The audit coordinator: discover, pick what is due, check it in parallel, record everything.

:func:`run_audit` implements ``luutru-aip audit run`` (issue 7):

1. **Roots.** Each storage root is probed (:mod:`luutru_aip.audit.discover`).
   An unreachable root gives one ``AUD007`` and its packages are left alone:
   not checked, not marked missing. New packages are registered (``AUD011``),
   vanished ones reported once (``AUD008``), returning ones noted (``AUD013``).
2. **Due.** Packages whose last completed check is older than ``cycle_days``
   (or never checked) are due; checks in progress come first, then never
   checked packages, then the oldest check first. A package is taken with an
   atomic lease (``packages.lease_run_id``/``lease_until``), so two runs on one
   database never check the same package at once; a lease is renewed with
   every batch and freed at once when its run is found dead on this host.
3. **Check.** A package check streams its own manifests into batches of files
   for the executor (:mod:`luutru_aip.audit.executors`), then *scans* the
   package for files nothing lists (against the plan kept in memory, or, for
   very large packages, against the history once everything listed is
   recorded). Each batch result is recorded in one transaction with the run's
   counters: one row per file, written once. When every batch is recorded, the
   check is *finalised* in one transaction: missing + extra files with the same
   digest become one ``moved``, new baselines are stored, outcomes counted,
   the signature hook consulted and the lease released.
4. **Stop.** A time or byte budget, SIGINT or SIGTERM stop the submission of
   new work; batches in flight are finished and recorded; a second signal
   abandons them. Whatever was recorded stands: the next run resumes an
   unfinished check, skipping the files it already recorded (nothing counted
   twice, nothing skipped). A run killed with SIGKILL loses at most its in-flight
   batches; the next run marks it ``killed``.

Only this coordinator writes the history; the workers only read packages.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from types import FrameType
from typing import Any, Final

import attrs

from luutru_aip import __version__
from luutru_aip._fs import display_name
from luutru_aip.audit._units import iso_time
from luutru_aip.audit.db import NO_SCAN_CODES, HistoryDB, PackageRow, PcheckRow
from luutru_aip.audit.discover import discover_packages, probe_root, unreachable_reason
from luutru_aip.audit.executors import Executor, LocalProcessExecutor
from luutru_aip.audit.history import event_finding, file_finding
from luutru_aip.audit.model import ALGORITHM_CODES, BatchResult, BatchTask, Outcome, Source, TaskItem
from luutru_aip.audit.packages import OUTSIDE_MANIFESTS, Damage, PackageReader, open_package, unsafe_reason
from luutru_aip.audit.signature import SignatureVerifier, default_verifier, signature_events
from luutru_aip.errors import InputError, LuutruError, UsageError
from luutru_aip.findings import Finding

__all__ = ["AuditOptions", "Progress", "RootReport", "RunResult", "run_audit"]

MiB: Final = 1 << 20
#: At most this many findings are listed in a run's result (all are in the history).
MAX_LISTED: Final = 1000
_HEARTBEAT_S: Final = 5.0


@attrs.frozen(kw_only=True)
class AuditOptions:
    """How a run behaves. Durations in seconds, sizes in bytes; ``None`` = no budget."""

    cycle_days: float = 90.0
    max_duration: float | None = None
    max_bytes: int | None = None
    workers: int = attrs.field(factory=lambda: max(1, os.cpu_count() or 1))
    batch_files: int = 512
    batch_bytes: int = 64 * MiB
    lease_seconds: float = 3600.0
    scan_chunk: int = 2048

    def __attrs_post_init__(self) -> None:
        if self.cycle_days < 0:
            raise UsageError("--cycle-days must be 0 or more")
        if self.max_duration is not None and self.max_duration <= 0:
            raise UsageError("--max-duration must be more than 0")
        if self.max_bytes is not None and self.max_bytes <= 0:
            raise UsageError("--max-bytes must be more than 0")
        if self.workers < 1 or self.batch_files < 1 or self.batch_bytes < 1 or self.scan_chunk < 1:
            raise UsageError("workers and batch sizes must be at least 1")
        if self.lease_seconds <= 0:
            raise UsageError("the lease duration must be more than 0")


@attrs.frozen(kw_only=True)
class Progress:
    """Aggregated progress, reported after each batch (never per file)."""

    packages_due: int
    packages_done: int
    files: int
    bytes: int


@attrs.frozen(kw_only=True)
class RootReport:
    """One storage root as this run found it."""

    path: str
    reachable: bool
    reason: str | None
    packages: int
    new: int
    vanished: int
    returned: int


@attrs.frozen(kw_only=True)
class RunResult:
    """What one run did (the ``--json`` document is :meth:`to_dict`)."""

    db: str
    run_id: int
    status: str
    stop_reason: str | None
    started_at: int
    finished_at: int
    roots: tuple[RootReport, ...]
    counts: dict[str, int]
    packages_due: int
    packages_left: int
    packages_busy: int
    signatures: str
    findings: tuple[tuple[str, Finding], ...]
    findings_total: int

    @property
    def failures(self) -> int:
        """Failing outcomes and events this run found or confirmed."""
        c = self.counts
        keys = ("changed", "missing", "extra", "unreadable", "moved", "damaged", "signature", "vanished")
        return sum(c.get(k, 0) for k in keys)

    @property
    def unreachable(self) -> int:
        return sum(1 for r in self.roots if not r.reachable)

    @property
    def exit_code(self) -> int:
        """2 = could not run (interrupted, failed, a root unreachable), 1 = failures found, 0 = all intact."""
        if self.status in ("interrupted", "failed") or self.unreachable:
            return 2
        if self.failures or self.counts.get("packages_failed", 0):  # packages_failed: confirmed failures too
            return 1
        return 0

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """The versioned ``audit run --json`` document (``schemas/audit-run.schema.json``)."""
        c = self.counts
        return {
            "format": "luutru-aip-audit-run",
            "format_version": "1.0",
            "tool_version": __version__,
            "language": lang,
            "db": self.db,
            "run_id": self.run_id,
            "status": self.status,
            "stop_reason": self.stop_reason,
            "started_at": iso_time(self.started_at),
            "finished_at": iso_time(self.finished_at),
            "duration_s": round((self.finished_at - self.started_at) / 1000, 3),
            "exit_code": self.exit_code,
            "roots": [
                {
                    "path": r.path,
                    "reachable": r.reachable,
                    "reason": r.reason,
                    "packages": r.packages,
                    "new": r.new,
                    "vanished": r.vanished,
                    "returned": r.returned,
                }
                for r in self.roots
            ],
            "packages": {
                "due": self.packages_due,
                "checked": c.get("packages_completed", 0),
                "failed": c.get("packages_failed", 0),
                "left": self.packages_left,
                "busy": self.packages_busy,
                "new": c.get("new_packages", 0),
                "vanished": c.get("vanished", 0),
            },
            "files": {"checked": c.get("files", 0), "bytes": c.get("bytes", 0)},
            "outcomes": {
                k: c.get(k, 0) for k in ("ok", "changed", "missing", "extra", "unreadable", "moved")
            },
            "events": {k: c.get(k, 0) for k in ("damaged", "signature", "vanished", "unreachable")},
            "signatures": self.signatures,
            "findings": [{"package": pkg, **f.to_dict(lang)} for pkg, f in self.findings],
            "findings_total": self.findings_total,
        }


class _Interrupted(Exception):
    """A second SIGINT/SIGTERM: abandon the batches in flight."""


@attrs.define
class _Submit:
    task: BatchTask
    sources: tuple[int, ...]


_STEP: Final = object()
_WAIT: Final = object()
_DONE: Final = object()


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return True
    return True


def _root_paths(roots: Sequence[str | os.PathLike[str]]) -> list[str]:
    seen: list[str] = []
    for root in roots:
        path = str(Path(os.fspath(root)).absolute())
        if path not in seen:
            seen.append(path)
    for a in seen:
        for b in seen:
            if a != b and (b + "/").startswith(a.rstrip("/") + "/"):
                raise UsageError(f"storage roots must not overlap: {b} is inside {a}")
    return seen


#: Packages with up to this many listed files keep their plan in memory (about 100 bytes a file), so that
#: files nothing lists are found while the others are hashed; larger ones are compared with the history
#: once every listed file is recorded, so that memory stays flat however large a package is.
IN_MEMORY_PLAN: Final = 250_000

#: A planned file: (path, source, algorithm, expected digest, expected size, size known without I/O).
_Planned = tuple[str, Source, str, bytes | None, int, int]
_ABSENT: Final = b"\x00absent"


class _Job:
    """One package being checked by this run: a generator of actions for the coordinator."""

    def __init__(self, coord: _Coordinator, package: PackageRow) -> None:
        self.coord = coord
        self.package = package
        self.inflight = 0
        self.gone: str | None = None
        self.completed = False
        self.held: object | None = None
        self.pcheck: PcheckRow | None = None
        self.resumed = False
        self.no_scan = False
        self.planned: dict[str, bytes | None] | None = {}
        self.file_ids: dict[str, int] | None = None
        self.seq = 0
        self.seen_files = 0
        self.seen_bytes = 0
        self.gen: Generator[object, None, None] = self._actions()

    # -- helpers

    def _ids(self) -> dict[str, int] | None:
        """The package's interned paths, while they stay few enough to keep in memory."""
        if self.file_ids is not None and len(self.file_ids) > IN_MEMORY_PLAN:
            self.file_ids = None
        return self.file_ids

    def learn(self, files: int, size: int) -> None:
        """Results so far tell the typical file size, which sizes the next batches."""
        self.seen_files += files
        self.seen_bytes += size

    def limit(self) -> int:
        """Files per batch: few until results show the typical size, then about ``batch_bytes`` worth."""
        opts = self.coord.options
        if self.seen_files == 0:
            return min(opts.batch_files, 16)
        average = max(self.seen_bytes / self.seen_files, 1.0)
        return max(1, min(opts.batch_files, int(opts.batch_bytes / average)))

    def _batches(self, reader: PackageReader, planned: Iterable[_Planned]) -> Iterator[_Submit]:
        """Cut ``planned`` files into tasks of about ``batch_bytes`` (or ``limit()`` files)."""
        budget = self.coord.options.batch_bytes
        limit = self.limit()
        batch: list[TaskItem] = []
        sources: list[int] = []
        weight = 0
        for path, source, algorithm, expected, expected_size, size in planned:
            batch.append((self.seq, path, algorithm, expected, expected_size))
            sources.append(int(source))
            self.seq += 1
            weight += max(size, 0)
            if len(batch) >= limit or weight >= budget:
                yield from self._emit(reader, batch, sources)
                batch, sources, weight, limit = [], [], 0, self.limit()
        if batch:
            yield from self._emit(reader, batch, sources)

    def _emit(self, reader: PackageReader, batch: list[TaskItem], sources: list[int]) -> Iterator[_Submit]:
        assert self.pcheck is not None
        if self.resumed:  # files an earlier run of this check recorded are not checked again
            done = self.coord.db.done_paths(
                self.pcheck.pcheck_id, self.package.package_id, [i[1] for i in batch]
            )
            if done:
                kept = [(i, s) for i, s in zip(batch, sources, strict=True) if i[1] not in done]
                batch, sources = [i for i, _ in kept], [s for _, s in kept]
        if not batch:
            return
        task = BatchTask(
            pcheck_id=self.pcheck.pcheck_id,
            location=reader.location,
            container=reader.container,
            items=tuple(batch),
            prefix=reader.prefix,
        )
        yield _Submit(task=task, sources=tuple(sources))

    # -- the phases

    def _actions(self) -> Generator[object, None, None]:
        coord = self.coord
        db = coord.db
        pkg = self.package
        try:
            reader = open_package(pkg.location, kind=pkg.kind)
        except (InputError, OSError) as exc:
            if not os.path.lexists(pkg.location):
                self.gone = "the package is no longer there"
                return
            yield from self._unopenable(str(exc))
            return
        try:
            extras_checked = yield from self._phases(reader)
            while self.inflight:  # also when the package went away: record what is in flight first
                yield _WAIT
            pcheck = self.pcheck
            if self.gone or pcheck is None:
                return
            events: list[tuple[str, Any]] = []
            if coord.verifier is not None:
                events = signature_events(
                    coord.verifier, pkg.location, kind=pkg.kind, package=display_name(pkg.location)
                )
            db.finalise(
                run_id=coord.run_id,
                package_id=pkg.package_id,
                pcheck_id=pcheck.pcheck_id,
                extras_checked=extras_checked,
                signature_events=events,
            )
            self.completed = True
        finally:
            reader.close()

    def _phases(self, reader: PackageReader) -> Generator[object, None, bool]:
        """Plan and scan; returns whether files nothing lists were looked for."""
        coord = self.coord
        db = coord.db
        pkg = self.package
        try:
            fingerprint = reader.fingerprint()
        except OSError as exc:
            self.gone = f"the package cannot be reached: {exc.strerror or exc}"
            return False
        pcheck = db.open_pcheck(pkg.package_id)
        if pcheck is not None and (pcheck.fingerprint != fingerprint or pcheck.format != reader.format):
            db.abandon_pcheck(
                pcheck.pcheck_id,
                coord.run_id,
                pkg.package_id,
                "the package's manifests changed after the check began",
            )
            pcheck = None
        self.resumed = pcheck is not None
        if pcheck is None:
            pcheck = db.create_pcheck(
                pkg.package_id,
                coord.run_id,
                fmt=reader.format,
                algorithm=reader.algorithm,
                fingerprint=fingerprint,
            )
        self.pcheck = pcheck
        coord.touched.add(pcheck.pcheck_id)
        self.file_ids = db.file_ids(pkg.package_id, IN_MEMORY_PLAN)
        yield from self._plan(reader, pcheck)
        if self.gone:
            return False
        return (yield from self._scan(reader, pcheck))

    def _unopenable(self, reason: str) -> Iterator[object]:
        """A package that cannot be opened at all (a ZIP that is not one): one damage finding, check done."""
        coord = self.coord
        db = coord.db
        pkg = self.package
        pcheck = db.open_pcheck(pkg.package_id) or db.create_pcheck(
            pkg.package_id, coord.run_id, fmt="unknown", algorithm="sha256", fingerprint="unopenable"
        )
        self.pcheck = pcheck
        coord.touched.add(pcheck.pcheck_id)
        db.record_events(
            run_id=coord.run_id,
            package_id=pkg.package_id,
            pcheck_id=pcheck.pcheck_id,
            damages=[
                (
                    "AUD006",
                    display_name(Path(pkg.location).name),
                    None,
                    {"reason": f"the package cannot be opened: {reason}"},
                )
            ],
        )
        db.finalise(
            run_id=coord.run_id, package_id=pkg.package_id, pcheck_id=pcheck.pcheck_id, extras_checked=False
        )
        self.completed = True
        yield _STEP

    def _record_damage(self, damages: list[tuple[str, str | None, int | None, Any]]) -> None:
        assert self.pcheck is not None
        if damages:
            self.coord.db.record_events(
                run_id=self.coord.run_id,
                package_id=self.package.package_id,
                pcheck_id=self.pcheck.pcheck_id,
                damages=damages,
            )
            damages.clear()

    def _plan(self, reader: PackageReader, pcheck: PcheckRow) -> Iterator[object]:
        budget = self.coord.options.batch_bytes
        pending: list[_Planned] = []
        damages: list[tuple[str, str | None, int | None, Any]] = []
        weight = 0
        limit = self.limit()
        for record in reader.records():
            if isinstance(record, Damage):
                damages.append((record.code, record.path, record.line, dict(record.params)))
                self.no_scan = self.no_scan or record.code in NO_SCAN_CODES
                if len(damages) >= 256:
                    self._record_damage(damages)
                continue
            planned = self.planned
            if planned is not None:
                before = planned.get(record.path, _ABSENT)
                if before is not _ABSENT:  # listed twice: harmless if the digests agree
                    if before is not None and record.digest is not None and before != record.digest:
                        damages.append(
                            (
                                "AUD006",
                                None,
                                record.line,
                                {
                                    "reason": f"{display_name(record.path)} is listed twice with "
                                    "different checksums"
                                },
                            )
                        )
                        self.no_scan = True
                    continue
                if len(planned) < IN_MEMORY_PLAN:
                    planned[record.path] = record.digest
                else:  # too large to keep: look paths up in the history, and compare with it at the end
                    self.planned = self.file_ids = None
            size = record.size if record.size >= 0 else reader.known_size(record.path)
            pending.append((record.path, record.source, record.algorithm, record.digest, record.size, size))
            weight += max(size, 0)
            if len(pending) >= limit or weight >= budget:
                self._record_damage(damages)
                yield from self._submit_planned(reader, pending)
                if self.gone:
                    return
                pending, weight, limit = [], 0, self.limit()
        self._record_damage(damages)
        yield from self._submit_planned(reader, pending)
        self.coord.db.set_identifier(self.package.package_id, reader.identifier)

    def _submit_planned(self, reader: PackageReader, pending: list[_Planned]) -> Iterator[object]:
        """Give baseline entries the digest the audit recorded for them, then submit the batch(es)."""
        wanted = [p[0] for p in pending if p[1] is Source.BASELINE and p[3] is None]
        if wanted:
            known = self.coord.db.baselines(self.package.package_id, wanted)
            fixed: list[_Planned] = []
            for p in pending:
                base = known.get(p[0]) if p[1] is Source.BASELINE and p[3] is None else None
                if base is not None and base[1] == ALGORITHM_CODES[p[2]]:
                    p = (p[0], p[1], p[2], base[0], p[4], p[5])
                fixed.append(p)
            pending = fixed
        yield from self._batches(reader, pending)

    def _scan(self, reader: PackageReader, pcheck: PcheckRow) -> Generator[object, None, bool]:
        """Find the files nothing lists: extra files (or, at a first check, tag files to baseline)."""
        coord = self.coord
        db = coord.db
        if self.no_scan or (self.resumed and db.damage_count(pcheck.pcheck_id)):
            return False  # a damaged manifest cannot say what is extra: report the damage, not a flood
        if self.planned is None:
            while self.inflight:  # a very large package: compare with the history once all is recorded
                yield _WAIT
            if self.gone:
                return False
        chunk: list[str] = []
        for rel in reader.walk():
            chunk.append(rel)
            if len(chunk) >= coord.options.scan_chunk:
                yield from self._scan_chunk(reader, pcheck, chunk)
                chunk = []
                yield _STEP
                if self.gone:
                    return False
        if chunk:
            yield from self._scan_chunk(reader, pcheck, chunk)
        return True

    def _scan_chunk(self, reader: PackageReader, pcheck: PcheckRow, chunk: list[str]) -> Iterator[object]:
        db = self.coord.db
        completed_before = self.package.last_completed_at is not None
        safe: list[str] = []
        unsafe: list[str] = []
        for rel in chunk:
            (safe if unsafe_reason(rel) is None else unsafe).append(rel)
        if unsafe:
            self._record_unsafe(pcheck, unsafe)
        if self.planned is not None:
            planned = self.planned
            missing = [p for p in safe if p not in planned]
            eligible = [p for p in missing if reader.baseline_eligible(p)]
            known = db.baselines(self.package.package_id, eligible) if eligible else {}
            found = [
                (p, known[p][0] if p in known else None, known[p][1] if p in known else None) for p in missing
            ]
        else:
            found = db.unlisted(pcheck.pcheck_id, self.package.package_id, safe)
        planned_now: list[_Planned] = []
        algorithm = pcheck.algorithm
        for path, baseline, baseline_alg in found:
            size = reader.known_size(path)
            eligible_now = reader.baseline_eligible(path)
            if eligible_now and (baseline is not None or not completed_before or path in OUTSIDE_MANIFESTS):
                expected = baseline if baseline_alg == ALGORITHM_CODES[algorithm] else None
                planned_now.append((path, Source.BASELINE, algorithm, expected, -1, size))
            else:
                planned_now.append((path, Source.UNLISTED, algorithm, None, -1, size))
        if planned_now:
            yield from self._batches(reader, planned_now)

    def _record_unsafe(self, pcheck: PcheckRow, names: list[str]) -> None:
        """Names that are unsafe to open (or not valid Unicode) are extra files, recorded without reading."""
        now = self.coord.db.now_ms()
        code = ALGORITHM_CODES[pcheck.algorithm]
        rows = [
            (
                display_name(name),
                int(Source.UNLISTED),
                code,
                None,
                -1,
                int(Outcome.EXTRA),
                None,
                0,
                now,
                0,
                "the name is unsafe or not valid Unicode: not read",
            )
            for name in names
        ]
        self.coord.db.record_batch(
            run_id=self.coord.run_id,
            package_id=self.package.package_id,
            pcheck_id=pcheck.pcheck_id,
            rows=rows,
            bytes_read=0,
            lease_ms=self.coord.lease_ms,
            ids=self._ids(),
        )


class _Coordinator:
    def __init__(
        self,
        db: HistoryDB,
        options: AuditOptions,
        executor: Executor,
        *,
        verifier: SignatureVerifier | None,
        progress: Callable[[Progress], None] | None,
    ) -> None:
        self.db = db
        self.options = options
        self.executor = executor
        self.verifier = verifier
        self.progress = progress
        self.host = socket.gethostname()
        self.run_id = 0
        self.lease_ms = int(options.lease_seconds * 1000)
        self.touched: set[int] = set()
        self.dead_roots: set[int] = set()
        self.late_unreachable: dict[int, str] = {}
        self.stop_signal: int | None = None
        self.stop_reason: str | None = None
        self.started_mono = time.monotonic()
        self.bytes_done = 0
        self.files_done = 0
        self.packages_done = 0
        self.packages_due = 0
        self.busy = 0
        self.due_before = 0
        self._last_beat = time.monotonic()

    # -- stopping

    def _signal(self, signum: int, _frame: FrameType | None) -> None:
        if self.stop_signal is not None:
            raise _Interrupted
        self.stop_signal = signum
        self.stop_reason = f"stopped by {signal.Signals(signum).name}"

    def should_stop(self) -> bool:
        if self.stop_signal is not None:
            return True
        opts = self.options
        if opts.max_duration is not None and time.monotonic() - self.started_mono >= opts.max_duration:
            self.stop_reason = self.stop_reason or "the time budget (--max-duration) was reached"
            return True
        if opts.max_bytes is not None and self.bytes_done >= opts.max_bytes:
            self.stop_reason = self.stop_reason or "the byte budget (--max-bytes) was reached"
            return True
        return False

    # -- roots

    def prepare_roots(self, roots: Sequence[str]) -> tuple[list[RootReport], list[int]]:
        db = self.db
        reports: list[RootReport] = []
        reachable_ids: list[int] = []
        for path in roots:
            probe = probe_root(path)
            before = db.root_by_path(path)
            root_id = before.root_id if before is not None else None
            known = [] if root_id is None else db.packages_of_root(root_id)
            present = [p for p in known if p.present]
            still = [p for p in present if os.path.lexists(p.location)]
            reason = unreachable_reason(
                probe,
                was_mount=before.is_mount if before is not None else False,
                had_marker=before.has_marker if before is not None else False,
                known=len(present),
                still_there=len(still),
            )
            reachable = reason is None
            root_id = db.save_root(
                path,
                st_dev=probe.st_dev,
                is_mount=probe.is_mount,
                has_marker=probe.has_marker,
                reachable=reachable,
                reason=reason,
            )
            if not reachable:
                with db.transaction() as conn:
                    db.add_event(
                        conn,
                        self.run_id,
                        "AUD007",
                        root_id=root_id,
                        params={"root": display_name(path), "reason": reason, "packages": len(present)},
                    )
                    db.add_to_summary(self.run_id, conn, unreachable=1)
                reports.append(
                    RootReport(
                        path=path,
                        reachable=False,
                        reason=reason,
                        packages=len(present),
                        new=0,
                        vanished=0,
                        returned=0,
                    )
                )
                continue
            reachable_ids.append(root_id)
            there = {p.package_id for p in still}
            vanished = [p for p in present if p.package_id not in there]
            returned = [p for p in known if not p.present and os.path.lexists(p.location)]
            found = list(discover_packages(path, known=[p.rel_path for p in known]))
            new = db.register_packages(root_id, found, self.run_id)
            if still or returned:
                db.mark_seen([p.package_id for p in still + returned], present=True)
            if vanished:
                db.mark_seen([p.package_id for p in vanished], present=False)
            with db.transaction() as conn:
                for p in vanished:
                    db.add_event(
                        conn,
                        self.run_id,
                        "AUD008",
                        root_id=root_id,
                        package_id=p.package_id,
                        params={"package": display_name(p.location), "root": display_name(path)},
                    )
                for p in returned:
                    db.add_event(
                        conn,
                        self.run_id,
                        "AUD013",
                        root_id=root_id,
                        package_id=p.package_id,
                        params={"package": display_name(p.location)},
                    )
                for package_id, rel, kind in new:
                    location = path if rel == "." else f"{path}/{rel}"
                    db.add_event(
                        conn,
                        self.run_id,
                        "AUD011",
                        root_id=root_id,
                        package_id=package_id,
                        params={"package": display_name(location), "kind": kind},
                    )
                db.add_to_summary(self.run_id, conn, vanished=len(vanished), new_packages=len(new))
            reports.append(
                RootReport(
                    path=path,
                    reachable=True,
                    reason=None,
                    packages=len(still) + len(returned) + len(new),
                    new=len(new),
                    vanished=len(vanished),
                    returned=len(returned),
                )
            )
        return reports, reachable_ids

    # -- the loop

    def _open_next(self, due: Iterator[int]) -> _Job | None:
        db = self.db
        for package_id in due:
            package = db.package(package_id)
            if package.root_id in self.dead_roots or not package.present:
                continue
            if not db.acquire_lease(
                package_id, self.run_id, lease_ms=self.lease_ms, due_before=self.due_before
            ):
                holder, _until = db.lease_holder(package_id)
                if holder is not None and holder != self.run_id:
                    # A holder that died on this host frees its leases at once; then try again.
                    if db.recover_stale_runs(
                        host=self.host, lease_ms=self.lease_ms, is_alive=_is_alive, exclude=self.run_id
                    ) and db.acquire_lease(
                        package_id, self.run_id, lease_ms=self.lease_ms, due_before=self.due_before
                    ):
                        return _Job(self, db.package(package_id))
                    self.busy += 1
                continue
            return _Job(self, db.package(package_id))
        return None

    def _advance(
        self,
        jobs: list[_Job],
        inflight: dict[Future[BatchResult], tuple[_Job, _Submit]],
        due: Iterator[int],
        due_left: list[bool],
    ) -> bool:
        """Let jobs act until the executor is full or nothing can move; True if coordinator work was done."""
        capacity = self.executor.capacity
        max_jobs = capacity + 2
        while True:
            acted = False
            for job in list(jobs):
                while True:
                    action = job.held if job.held is not None else next(job.gen, _DONE)
                    job.held = None
                    if action is _DONE:
                        jobs.remove(job)
                        self._job_done(job)
                        acted = True
                        break
                    if action is _WAIT:
                        break
                    if action is _STEP:
                        return True
                    assert isinstance(action, _Submit)
                    if len(inflight) >= capacity:
                        job.held = action
                        break
                    future = self.executor.submit(action.task)
                    inflight[future] = (job, action)
                    job.inflight += 1
                    acted = True
            if len(inflight) >= capacity:
                return acted
            if not acted:
                if due_left[0] and len(jobs) < max_jobs:
                    opened = self._open_next(due)
                    if opened is None:
                        due_left[0] = False
                    else:
                        jobs.append(opened)
                        continue
                return False

    def _commit(self, future: Future[BatchResult], job: _Job, submit: _Submit) -> None:
        job.inflight -= 1
        result = future.result()
        if result.package_gone:
            job.gone = result.gone_reason or "the package disappeared during the check"
            return
        planned = {
            item[0]: (item, source) for item, source in zip(submit.task.items, submit.sources, strict=True)
        }
        ok, extra, unlisted = int(Outcome.OK), int(Outcome.EXTRA), int(Source.UNLISTED)
        rows = []
        for seq, outcome, found, size, at, duration, detail in result.rows:
            item, source = planned[seq]
            if source == unlisted and outcome == ok:
                outcome = extra
            rows.append(
                (
                    item[1],
                    source,
                    ALGORITHM_CODES[item[2]],
                    item[3],
                    item[4],
                    outcome,
                    found,
                    size,
                    at,
                    duration,
                    detail,
                )
            )
        self.db.record_batch(
            run_id=self.run_id,
            package_id=job.package.package_id,
            pcheck_id=result.pcheck_id,
            rows=rows,
            bytes_read=result.bytes_read,
            lease_ms=self.lease_ms,
            ids=job._ids(),
        )
        self.bytes_done += result.bytes_read
        self.files_done += len(rows)
        job.learn(len(rows), result.bytes_read)
        self._last_beat = time.monotonic()
        if self.progress is not None:
            self.progress(
                Progress(
                    packages_due=self.packages_due,
                    packages_done=self.packages_done,
                    files=self.files_done,
                    bytes=self.bytes_done,
                )
            )

    def _job_done(self, job: _Job) -> None:
        db = self.db
        if job.completed:
            self.packages_done += 1
            return
        db.release_lease(job.package.package_id, self.run_id)
        if job.gone is None:
            return
        pkg = job.package
        probe = probe_root(pkg.root_path)
        if not probe.reachable or not os.path.lexists(pkg.root_path):
            if pkg.root_id not in self.dead_roots:
                self.dead_roots.add(pkg.root_id)
                reason = f"it disappeared during the run ({probe.reason or job.gone})"
                db.save_root(
                    pkg.root_path,
                    st_dev=None,
                    is_mount=False,
                    has_marker=False,
                    reachable=False,
                    reason=reason,
                )
                packages = sum(1 for p in db.packages_of_root(pkg.root_id) if p.present)
                with db.transaction() as conn:
                    db.add_event(
                        conn,
                        self.run_id,
                        "AUD007",
                        root_id=pkg.root_id,
                        params={"root": display_name(pkg.root_path), "reason": reason, "packages": packages},
                    )
                    db.add_to_summary(self.run_id, conn, unreachable=1)
                self.late_unreachable[pkg.root_id] = reason
            return
        if not os.path.lexists(pkg.location):
            db.mark_seen([pkg.package_id], present=False)
            with db.transaction() as conn:
                db.add_event(
                    conn,
                    self.run_id,
                    "AUD008",
                    root_id=pkg.root_id,
                    package_id=pkg.package_id,
                    params={"package": display_name(pkg.location), "root": display_name(pkg.root_path)},
                )
                db.add_to_summary(self.run_id, conn, vanished=1)

    def loop(self, due_ids: list[int]) -> None:
        due = iter(due_ids)
        due_left = [True]
        jobs: list[_Job] = []
        inflight: dict[Future[BatchResult], tuple[_Job, _Submit]] = {}
        try:
            while True:
                stopping = self.should_stop()
                progressed = False if stopping else self._advance(jobs, inflight, due, due_left)
                if not inflight:
                    if stopping or (not jobs and not due_left[0]):
                        break
                    continue  # jobs always move when nothing is in flight (see _advance)
                done, _pending = wait(
                    list(inflight), timeout=0 if progressed else _HEARTBEAT_S, return_when=FIRST_COMPLETED
                )
                for future in done:
                    job, submit = inflight.pop(future)
                    self._commit(future, job, submit)
                if not done and time.monotonic() - self._last_beat >= _HEARTBEAT_S:
                    self._beat(jobs)
        except _Interrupted:
            self.stop_reason = (self.stop_reason or "stopped by a signal") + "; batches in flight abandoned"
            for future in inflight:
                future.cancel()
            self.executor.close(cancel=True)
            inflight.clear()
        finally:
            for job in jobs:
                job.gen.close()
                if not job.completed:
                    self.db.release_lease(job.package.package_id, self.run_id)

    def _beat(self, jobs: Sequence[_Job]) -> None:
        self._last_beat = time.monotonic()
        with self.db.transaction() as conn:
            conn.execute("UPDATE runs SET heartbeat_at = ? WHERE run_id = ?", (self.db.now_ms(), self.run_id))
            for job in jobs:
                self.db.renew_lease(conn, job.package.package_id, self.run_id, self.lease_ms)


def _listed_findings(
    db: HistoryDB, run_id: int, touched: Iterable[int]
) -> tuple[list[tuple[str, Finding]], int]:
    """Findings this run found or confirmed: failing file checks and its events (capped)."""
    out: list[tuple[str, Finding]] = []
    total = 0
    for pcheck_id in sorted(touched):
        row = db.conn.execute(
            "SELECT c.finished_run_id, c.status, p.package_id FROM package_checks c "
            "JOIN packages p ON p.package_id = c.package_id WHERE c.pcheck_id = ?",
            (pcheck_id,),
        ).fetchone()
        if row is None:
            continue
        confirmed = row[0] == run_id and row[1] == "completed"
        package = db.package(int(row[2]))
        for failure in db.query(
            "SELECT c.outcome, c.algorithm, c.expected, c.found, c.size, c.detail, c.run_id, f.path, "
            "o.path AS other_path FROM file_checks c JOIN files f ON f.file_id = c.file_id "
            "LEFT JOIN files o ON o.file_id = c.other_file_id "
            "WHERE c.pcheck_id = ? AND c.outcome > 0 ORDER BY f.path",
            (pcheck_id,),
        ):
            if not confirmed and failure["run_id"] != run_id:
                continue
            total += 1
            if len(out) < MAX_LISTED:
                out.append((display_name(package.location), file_finding(failure, package)))
    for event in db.query(
        "SELECT e.*, p.package_id AS pid FROM events e LEFT JOIN packages p ON p.package_id = e.package_id "
        "WHERE e.run_id = ? ORDER BY e.event_id",
        (run_id,),
    ):
        total += 1
        if len(out) < MAX_LISTED:
            owner = db.package(int(event["pid"])) if event["pid"] is not None else None
            where = display_name(owner.location) if owner is not None else ""
            out.append((where, event_finding(event, owner)))
    return out, total


def run_audit(
    roots: Sequence[str | os.PathLike[str]],
    *,
    db: str | os.PathLike[str] | HistoryDB,
    options: AuditOptions | None = None,
    executor: Executor | None = None,
    clock: Callable[[], float] = time.time,
    signature_verifier: SignatureVerifier | str | None = "auto",
    progress: Callable[[Progress], None] | None = None,
    handle_signals: bool = True,
) -> RunResult:
    """Audit the packages under ``roots``, recording everything in the history ``db``.

    ``executor`` defaults to :class:`LocalProcessExecutor` with
    ``options.workers`` processes; ``signature_verifier`` ``"auto"`` uses
    ``luutru_aip.signing`` when it exists. ``clock`` (seconds since the epoch)
    stamps every record. With ``handle_signals`` (and when called from the
    main thread) SIGINT and SIGTERM stop the run cleanly. Never raises for
    problems in packages or storage; raises :class:`~luutru_aip.errors.UsageError`
    or :class:`~luutru_aip.errors.InputError` when the run cannot start.
    """
    options = options or AuditOptions()
    paths = _root_paths(roots)
    if not paths:
        raise UsageError("give at least one storage root")
    db_path = str(Path(db.path if isinstance(db, HistoryDB) else os.fspath(db)).absolute())
    for root in paths:
        if db_path.startswith(root.rstrip("/") + "/"):
            raise UsageError(f"the audit database {db_path} must not be inside the storage root {root}")
    history = db if isinstance(db, HistoryDB) else HistoryDB(db, clock=clock)
    own_db = not isinstance(db, HistoryDB)
    own_executor = executor is None
    runner: Executor = executor if executor is not None else LocalProcessExecutor(options.workers)
    verifier = (
        default_verifier(workers=options.workers, clock=clock)
        if signature_verifier == "auto"
        else signature_verifier
    )
    assert not isinstance(verifier, str)
    coord = _Coordinator(history, options, runner, verifier=verifier, progress=progress)
    coord.run_id = history.start_run(
        host=coord.host,
        pid=os.getpid(),
        tool_version=__version__,
        options={**attrs.asdict(options), "roots": paths},
    )
    history.recover_stale_runs(
        host=coord.host, lease_ms=coord.lease_ms, is_alive=_is_alive, exclude=coord.run_id
    )
    installed: dict[int, Any] = {}
    if handle_signals and threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            installed[int(sig)] = signal.signal(sig, coord._signal)
    status = "completed"
    root_reports: list[RootReport] = []
    due_ids: list[int] = []
    try:
        try:
            root_reports, reachable = coord.prepare_roots(paths)
            coord.due_before = history.now_ms() - int(options.cycle_days * 86_400_000)
            due_ids = history.due_packages(reachable, coord.due_before)
            coord.packages_due = len(due_ids)
            coord.loop(due_ids)
        except (BrokenProcessPool, LuutruError, OSError) as exc:
            status = "failed"
            coord.stop_reason = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # a bug: record the run as failed, then let it be seen
            history.finish_run(coord.run_id, status="failed", stop_reason=f"internal error: {exc!r}")
            raise
        finally:
            for signum, previous in installed.items():
                signal.signal(signum, previous)
            runner.close(cancel=status == "failed" or coord.stop_signal is not None)
        if status != "failed":
            if coord.stop_signal is not None:
                status = "interrupted"
            elif coord.stop_reason is not None:
                status = "partial"
        left = len(history.due_packages(_reachable_ids(history, root_reports), coord.due_before))
        if status == "completed" and left:
            status = "partial"
            coord.stop_reason = coord.stop_reason or f"{left} due packages are held by other runs"
        history.finish_run(coord.run_id, status=status, stop_reason=coord.stop_reason)
        counts = _summary(history, coord.run_id)
        listed, total = _listed_findings(history, coord.run_id, coord.touched)
        roots_out = []
        for report in root_reports:
            row = history.root_by_path(report.path)
            late = None if row is None else coord.late_unreachable.get(row.root_id)
            roots_out.append(report if late is None else attrs.evolve(report, reachable=False, reason=late))
        run = history.query("SELECT started_at, finished_at FROM runs WHERE run_id = ?", (coord.run_id,))[0]
        return RunResult(
            db=history.path,
            run_id=coord.run_id,
            status=status,
            stop_reason=coord.stop_reason,
            started_at=int(run["started_at"]),
            finished_at=int(run["finished_at"]),
            roots=tuple(roots_out),
            counts=counts,
            packages_due=len(due_ids),
            packages_left=left,
            packages_busy=coord.busy,
            signatures=(
                "checked"
                if verifier is not None
                else "unavailable"
                if signature_verifier == "auto"
                else "off"
            ),
            findings=tuple(listed),
            findings_total=total,
        )
    finally:
        if own_executor:
            runner.close(cancel=True)
        if own_db:
            history.close()


def _reachable_ids(db: HistoryDB, reports: Sequence[RootReport]) -> list[int]:
    out = []
    for r in reports:
        row = db.root_by_path(r.path)
        if row is not None and row.reachable:
            out.append(row.root_id)
    return out


def _summary(db: HistoryDB, run_id: int) -> dict[str, int]:
    row = db.query("SELECT * FROM run_summaries WHERE run_id = ?", (run_id,))[0]
    return {key: int(row[key]) for key in row.keys() if key != "run_id"}  # noqa: SIM118 - sqlite3.Row
