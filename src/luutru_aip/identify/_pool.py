"""A process pool for identifying many files (issue 3, performance-notes "Per-file costs").

Small files are cheap to identify (tens of microseconds), so work goes to the workers in
**batches of paths**, never one file per task, and results come back in input order.

Index loading is fork-safe: each worker builds its identifier once, in the pool
initializer, from plain picklable data (:class:`~luutru_aip.identify.fido.SignatureSet`,
so workers never import fido). A worker forked from a parent that already holds the
same signature set reuses the parent's compiled index (copy-on-write) instead of
rebuilding it; nothing in the index holds a lock, a thread or an open file.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

from luutru_aip.identify.base import Identification

if TYPE_CHECKING:
    from luutru_aip.identify.engine import PronomIdentifier

__all__ = ["identify_in_pool"]

_WORKER: Any = None  # the identifier of this worker process


def _init_worker(parent: PronomIdentifier | None, payload: tuple[Any, bool, bool] | None) -> None:
    global _WORKER
    if parent is not None:  # forked: the parent's index came with the fork
        _WORKER = parent
        return
    from luutru_aip.identify.engine import PronomIdentifier

    assert payload is not None
    signatures, extensions, containers = payload
    _WORKER = PronomIdentifier(signatures=signatures, extensions=extensions, containers=containers)


def _run_batch(paths: list[str]) -> list[Identification]:
    return [_WORKER.identify_path(p) for p in paths]


def _batches(paths: Iterable[str], size: int) -> Iterator[list[str]]:
    it = iter(paths)
    while batch := list(itertools.islice(it, size)):
        yield batch


def identify_in_pool(
    identifier: PronomIdentifier,
    paths: Iterable[str],
    *,
    workers: int,
    batch_size: int = 128,
) -> Iterator[Identification]:
    """Identify ``paths`` with ``workers`` processes; yields results in input order."""
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() and os.name == "posix" else "spawn"
    ctx = multiprocessing.get_context(method)
    if method == "fork":
        initargs: tuple[Any, ...] = (identifier, None)
    else:
        initargs = (None, (identifier.signatures, identifier.use_extensions, identifier.use_containers))
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=initargs
    ) as ex:
        # bounded look-ahead: at most 4 batches per worker in flight
        pending: list[Any] = []
        batches = _batches(paths, batch_size)
        for batch in batches:
            pending.append(ex.submit(_run_batch, batch))
            if len(pending) >= workers * 4:
                yield from pending.pop(0).result()
        for fut in pending:
            yield from fut.result()
