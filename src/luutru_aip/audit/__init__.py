"""Periodic fixity audits of stored packages (layer L3): scheduled, resumable, parallel, with history.

Implements issue 7 for one machine, designed so that a later issue can spread
the same work over several (see docs/audit.md):

* :func:`run_audit` — discover packages under storage roots (BagIt bags,
  METS/E-ARK folders, ZIPs carrying either), pick the ones due (oldest check
  first, within a time or byte budget), re-hash every file against the
  package's own manifests, and record every check in a SQLite history
  (:class:`HistoryDB`). Outcomes: ok, changed, missing, extra, unreadable,
  moved; plus damaged manifests, unreachable storage roots, vanished packages
  and, once ``luutru_aip.signing`` exists, signatures that no longer verify.
  Findings use the ``AUD`` rules (``data/rules/audit.toml``).
* The unit of work is :func:`check_batch` (a plain function from a
  :class:`BatchTask` to a :class:`BatchResult`); executors
  (:class:`InlineExecutor`, :class:`LocalProcessExecutor`, or any object with
  the :class:`Executor` protocol) run it. Only the coordinator writes the
  history.
* :mod:`luutru_aip.audit.history` reads the history back (status, history of
  one package, report data); :mod:`luutru_aip.audit.report` renders reports as
  JSON, CSV or a self-contained HTML page; :mod:`luutru_aip.audit.premis`
  exports PREMIS 3 fixity-check events.

An audit never modifies a package: it opens files read-only, never follows
links, and writes only to its database and to the report files it is asked for.
"""

from __future__ import annotations

from luutru_aip.audit._units import parse_duration, parse_size
from luutru_aip.audit.db import SCHEMA_VERSION, HistoryDB
from luutru_aip.audit.engine import AuditOptions, Progress, RootReport, RunResult, run_audit
from luutru_aip.audit.executors import Executor, InlineExecutor, LocalProcessExecutor
from luutru_aip.audit.model import BatchResult, BatchTask, Container, Outcome, Source
from luutru_aip.audit.work import check_batch

__all__ = [
    "SCHEMA_VERSION",
    "AuditOptions",
    "BatchResult",
    "BatchTask",
    "Container",
    "Executor",
    "HistoryDB",
    "InlineExecutor",
    "LocalProcessExecutor",
    "Outcome",
    "Progress",
    "RootReport",
    "RunResult",
    "Source",
    "check_batch",
    "parse_duration",
    "parse_size",
    "run_audit",
]
