"""The audit's vocabulary and the records that travel between the coordinator and the workers.

Outcomes, algorithms and sources are small integers in the history database
(one byte per row instead of a word); the database also carries them as lookup
tables so that plain SQL stays readable. Their numbers are stable: never
renumbered, never reused.

:class:`BatchTask` and :class:`BatchResult` are the unit of work and its result
(issue 7, "Engine design"): plain, picklable values, so that a task can run in
this process, in a local worker process or, later, on another machine.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Final

import attrs

__all__ = [
    "ALGORITHM_CODES",
    "ALGORITHM_NAMES",
    "FAILURES",
    "BatchResult",
    "BatchTask",
    "Container",
    "Outcome",
    "ResultRow",
    "Source",
    "TaskItem",
]


class Outcome(enum.IntEnum):
    """What one check of one file found (``file_checks.outcome``)."""

    OK = 0
    CHANGED = 1
    MISSING = 2
    EXTRA = 3
    UNREADABLE = 4
    MOVED = 5

    @property
    def label(self) -> str:
        return self.name.lower()


#: Outcomes that are failures (everything but OK).
FAILURES: Final = frozenset(o for o in Outcome if o is not Outcome.OK)

#: Finding code for each failing outcome.
OUTCOME_CODES: Final[Mapping[Outcome, str]] = {
    Outcome.CHANGED: "AUD001",
    Outcome.MISSING: "AUD002",
    Outcome.EXTRA: "AUD003",
    Outcome.UNREADABLE: "AUD004",
    Outcome.MOVED: "AUD005",
}


class Source(enum.IntEnum):
    """Where the expected digest of a check came from (``file_checks.source``)."""

    MANIFEST = 0
    """The package's own manifest: a BagIt (tag)manifest, METS ``CHECKSUM``."""
    BASELINE = 1
    """The audit's own first reading of a file no manifest covers (METS.xml, tag files)."""
    UNLISTED = 2
    """A file found on storage that nothing lists (an extra file, or the new place of a moved one)."""


class Container(enum.Enum):
    """How a package is stored: a folder (bag or METS) or a ZIP file."""

    DIR = "dir"
    ZIP = "zip"


#: Stable small-integer codes of the digest algorithms (BagIt names, RFC 8493 §2.4).
ALGORITHM_CODES: Final[Mapping[str, int]] = {
    "md5": 1,
    "sha1": 2,
    "sha224": 3,
    "sha256": 4,
    "sha384": 5,
    "sha512": 6,
}
ALGORITHM_NAMES: Final[Mapping[int, str]] = {v: k for k, v in ALGORITHM_CODES.items()}

#: One file of a task: (seq, package-relative path, algorithm, expected digest or None, expected size or -1).
TaskItem = tuple[int, str, str, bytes | None, int]

#: One file of a result: (seq, outcome, found digest or None, size, checked_at ms, duration µs, detail).
#: ``found`` is None when it equals the expected digest (or the file could not be read).
ResultRow = tuple[int, int, bytes | None, int, int, int, str | None]


@attrs.frozen(kw_only=True)
class BatchTask:
    """Check a batch of files of one package: the unit of work.

    ``location`` is the package folder or ZIP file on the machine that runs the
    task; ``prefix`` is the folder inside a ZIP that holds the package (``""``
    or ``"name/"``). ``items`` are :data:`TaskItem` tuples. ``expected`` None
    means "report the digest found" (baselines and unlisted files).
    """

    pcheck_id: int
    location: str
    container: Container
    items: tuple[TaskItem, ...]
    prefix: str = ""

    @property
    def key(self) -> tuple[int, int]:
        """(package check, first seq): identifies the batch in logs."""
        return (self.pcheck_id, self.items[0][0] if self.items else -1)


@attrs.frozen(kw_only=True)
class BatchResult:
    """What :func:`luutru_aip.audit.work.check_batch` found for a :class:`BatchTask`.

    ``package_gone`` is set when the package folder or ZIP itself disappeared
    while the batch ran (an unmounted share): the rows are then empty, so that
    nothing is recorded as missing.
    """

    pcheck_id: int
    rows: tuple[ResultRow, ...]
    bytes_read: int
    elapsed: float
    package_gone: bool = False
    gone_reason: str | None = None
