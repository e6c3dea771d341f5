"""Executors run units of work (:func:`luutru_aip.audit.work.check_batch`) for the coordinator.

The coordinator only needs :class:`Executor`: ``submit(task)`` returning a
:class:`concurrent.futures.Future`, ``capacity`` (how many tasks to keep in
flight) and ``close()``. Two implementations ship:

* :class:`InlineExecutor` runs each task at once in the calling process
  (tests, debugging, or a machine with one core);
* :class:`LocalProcessExecutor` runs tasks in worker processes on this
  machine. Like :func:`luutru_aip.fixity.hash_many` it hands each process a
  *batch* of files per task (a task per file costs more than hashing a small
  file) and keeps at most ``2 × workers`` batches in flight, so memory stays
  bounded however large the storage.

**Plugging a distributed engine** (a later issue): write a class with the same
three members whose ``submit`` sends the task (a plain picklable
:class:`~luutru_aip.audit.model.BatchTask`) to a remote worker that sees the
same storage paths, and returns a ``concurrent.futures.Future`` completed with
the remote :class:`~luutru_aip.audit.model.BatchResult` (most engines'
futures can be bridged with ``add_done_callback``). Workers never touch the
history database: only the coordinator writes it.

Worker processes ignore SIGINT and SIGTERM: a Ctrl-C on the terminal reaches
the whole process group, and the coordinator, not the workers, decides how to
stop (finish the batches in flight, record them, write the summary).
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Protocol, runtime_checkable

from luutru_aip.audit.model import BatchResult, BatchTask
from luutru_aip.audit.work import check_batch
from luutru_aip.errors import UsageError
from luutru_aip.fixity import pool_context

__all__ = ["Executor", "InlineExecutor", "LocalProcessExecutor"]

Work = Callable[[BatchTask], BatchResult]


@runtime_checkable
class Executor(Protocol):
    """What the coordinator needs from an executor."""

    @property
    def capacity(self) -> int:
        """How many tasks the coordinator should keep in flight."""
        ...

    def submit(self, task: BatchTask) -> Future[BatchResult]:
        """Start ``task``; the future completes with its :class:`BatchResult`."""
        ...

    def map(self, tasks: Iterable[BatchTask]) -> Iterator[BatchResult]:
        """Run ``tasks`` and yield their results (in any order)."""
        ...

    def close(self, *, cancel: bool = False) -> None:
        """Stop; with ``cancel`` do not wait for tasks not yet started."""
        ...


class InlineExecutor:
    """Runs every task immediately in this process (no parallelism)."""

    def __init__(self, work: Work = check_batch) -> None:
        self._work = work

    @property
    def capacity(self) -> int:
        return 1

    def submit(self, task: BatchTask) -> Future[BatchResult]:
        future: Future[BatchResult] = Future()
        try:
            future.set_result(self._work(task))
        except BaseException as exc:  # the coordinator sees it through the future, as with processes
            if not isinstance(exc, Exception):
                raise
            future.set_exception(exc)
        return future

    def map(self, tasks: Iterable[BatchTask]) -> Iterator[BatchResult]:
        for task in tasks:
            yield self._work(task)

    def close(self, *, cancel: bool = False) -> None:
        return None


def _ignore_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


class LocalProcessExecutor:
    """Runs tasks in ``workers`` processes on this machine."""

    def __init__(self, workers: int, *, work: Work = check_batch) -> None:
        if workers < 1:
            raise UsageError(f"workers must be at least 1 (got {workers})")
        self.workers = workers
        self._work = work
        self._pool: ProcessPoolExecutor | None = None

    @property
    def capacity(self) -> int:
        return 2 * self.workers

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=pool_context(), initializer=_ignore_signals
            )
        return self._pool

    def submit(self, task: BatchTask) -> Future[BatchResult]:
        return self._get_pool().submit(self._work, task)

    def map(self, tasks: Iterable[BatchTask]) -> Iterator[BatchResult]:
        yield from self._get_pool().map(self._work, tasks)

    def close(self, *, cancel: bool = False) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=not cancel, cancel_futures=cancel)
            self._pool = None
