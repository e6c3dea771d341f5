"""Implementation of :mod:`luutru_aip.fixity` (one read per file, every algorithm at once)."""

from __future__ import annotations

import hashlib
import mmap
import multiprocessing
import os
import stat
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any, Final

import attrs

from luutru_aip.errors import UsageError

__all__ = [
    "ALGORITHMS",
    "BUFFER_SIZE",
    "DIGEST_SIZES",
    "FileDigest",
    "HashResult",
    "PathItem",
    "VerifyItem",
    "VerifyResult",
    "hash_file",
    "hash_many",
    "is_supported",
    "verify_many",
]

#: Size of the reused, page-aligned read buffer.
BUFFER_SIZE: Final = 1 << 20


def _md5() -> Any:
    return hashlib.md5(usedforsecurity=False)


def _sha1() -> Any:
    return hashlib.sha1(usedforsecurity=False)


_CONSTRUCTORS: Final[Mapping[str, Callable[[], Any]]] = {
    "md5": _md5,
    "sha1": _sha1,
    "sha224": hashlib.sha224,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}

#: The BagIt algorithm names (RFC 8493 §2.4) this module computes.
ALGORITHMS: Final = tuple(_CONSTRUCTORS)
#: Digest length in bytes, per algorithm.
DIGEST_SIZES: Final[Mapping[str, int]] = {
    "md5": 16,
    "sha1": 20,
    "sha224": 28,
    "sha256": 32,
    "sha384": 48,
    "sha512": 64,
}


def new_hasher(algorithm: str) -> Any:
    """A fresh hashlib object for a BagIt algorithm name (KeyError for an unsupported one)."""
    return _CONSTRUCTORS[algorithm]()


def aligned_buffer() -> tuple[mmap.mmap, memoryview]:
    """This thread's reused, page-aligned :data:`BUFFER_SIZE` read buffer and a view of it.

    Private to the process (re-made after a fork), so pool workers never share one.
    """
    return _BUFFERS.get()


def pool_context() -> Any:
    """The multiprocessing context for worker pools (fork while single-threaded on Linux)."""
    return _mp_context()


def is_supported(algorithm: str) -> bool:
    """True when ``algorithm`` (a BagIt normalised name such as ``sha256``) can be computed."""
    return algorithm in _CONSTRUCTORS


def _check_algorithms(algorithms: Iterable[str]) -> tuple[str, ...]:
    algos = tuple(dict.fromkeys(algorithms))
    if not algos:
        raise UsageError(
            "no digest algorithm was given (expected one or more of: " + ", ".join(ALGORITHMS) + ")"
        )
    unknown = [a for a in algos if a not in _CONSTRUCTORS]
    if unknown:
        raise UsageError(f"unsupported digest algorithm {unknown[0]!r} (supported: {', '.join(ALGORITHMS)})")
    return algos


@attrs.frozen(kw_only=True)
class FileDigest:
    """What one read of a file produced: its size, hex digests and optionally its first/last bytes."""

    size: int
    digests: Mapping[str, str]
    head: bytes | None = None
    tail: bytes | None = None


@attrs.frozen(kw_only=True)
class HashResult:
    """One file of :func:`hash_many`: ``digest`` when it could be read, else ``error`` (never raised)."""

    path: str
    digest: FileDigest | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class _Buffer(threading.local):
    """One page-aligned read buffer per thread and per process.

    The mapping is private (``MAP_PRIVATE``) and re-created in a forked child:
    an anonymous ``mmap`` is *shared* by default, and forked pool workers
    writing into one shared buffer would hash each other's bytes.
    """

    def __init__(self) -> None:
        self.pid = -1
        self.mem: mmap.mmap | None = None
        self.view: memoryview | None = None

    def get(self) -> tuple[mmap.mmap, memoryview]:
        pid = os.getpid()
        if self.mem is None or self.view is None or self.pid != pid:
            flags = getattr(mmap, "MAP_PRIVATE", None)
            self.mem = (
                mmap.mmap(-1, BUFFER_SIZE) if flags is None else mmap.mmap(-1, BUFFER_SIZE, flags=flags)
            )
            self.view = memoryview(self.mem)
            self.pid = pid
        return self.mem, self.view


_BUFFERS: Final = _Buffer()


_OPEN_FLAGS: Final = (
    os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
)  # O_NONBLOCK: never hang on a FIFO; it has no effect on regular files.


def _read_digest(
    path: str, algos: Sequence[str], head_bytes: int, tail_bytes: int
) -> tuple[int, tuple[str, ...], bytes | None, bytes | None]:
    hashers = [_CONSTRUCTORS[a]() for a in algos]
    updates = [h.update for h in hashers]
    buf, view = _BUFFERS.get()
    buffers = [buf]
    size = 0
    head = bytearray() if head_bytes > 0 else None
    tail = b""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise OSError(f"is {kind}")
        expected = info.st_size
        readv = os.readv
        while True:
            n = readv(fd, buffers)
            if not n:
                break
            chunk = view if n == BUFFER_SIZE else view[:n]
            for update in updates:
                update(chunk)
            if head is not None and len(head) < head_bytes:
                head += chunk[: head_bytes - len(head)]
            if tail_bytes > 0:
                if n >= tail_bytes:
                    tail = bytes(chunk[n - tail_bytes : n])
                else:
                    tail = (tail + bytes(chunk))[-tail_bytes:]
            size += n
            if chunk is not view:
                chunk.release()
            if n < BUFFER_SIZE and size >= expected:
                break  # a short read of a regular file at its stat size is the end: save one read call
    finally:
        os.close(fd)
    return (
        size,
        tuple(h.hexdigest() for h in hashers),
        None if head is None else bytes(head),
        tail if tail_bytes > 0 else None,
    )


def hash_file(
    path: str | os.PathLike[str],
    algorithms: Iterable[str] = ("sha256",),
    *,
    head_bytes: int = 0,
    tail_bytes: int = 0,
) -> FileDigest:
    """Digest ``path`` with every algorithm in ``algorithms`` in one read.

    ``head_bytes``/``tail_bytes`` > 0 also keep the first/last bytes seen in that
    same read (for a file shorter than that, the whole file). Raises
    :class:`OSError` when the file cannot be read, and
    :class:`~luutru_aip.errors.UsageError` for an unknown algorithm.
    """
    algos = _check_algorithms(algorithms)
    size, hexes, head, tail = _read_digest(os.fspath(path), algos, head_bytes, tail_bytes)
    return FileDigest(size=size, digests=dict(zip(algos, hexes, strict=True)), head=head, tail=tail)


# One result travels between processes as a plain tuple (cheaper to pickle than an attrs object):
# (path, size, hex digests, head, tail, error)
_Row = tuple[str, int, tuple[str, ...], bytes | None, bytes | None, str | None]


def _error_text(exc: OSError) -> str:
    if exc.errno is not None and exc.strerror:
        return f"{exc.strerror} (errno {exc.errno})"
    return str(exc) or type(exc).__name__


def _hash_row(path: str, algos: Sequence[str], head_bytes: int, tail_bytes: int) -> _Row:
    try:
        size, hexes, head, tail = _read_digest(path, algos, head_bytes, tail_bytes)
    except OSError as exc:
        return (path, 0, (), None, None, _error_text(exc))
    except ValueError as exc:  # e.g. an embedded NUL in the path
        return (path, 0, (), None, None, str(exc))
    return (path, size, hexes, head, tail, None)


def _hash_batch(batch: list[str], algos: tuple[str, ...], head_bytes: int, tail_bytes: int) -> list[_Row]:
    return [_hash_row(p, algos, head_bytes, tail_bytes) for p in batch]


def _to_result(row: _Row, algos: Sequence[str]) -> HashResult:
    path, size, hexes, head, tail, error = row
    if error is not None:
        return HashResult(path=path, error=error)
    return HashResult(
        path=path,
        digest=FileDigest(size=size, digests=dict(zip(algos, hexes, strict=True)), head=head, tail=tail),
    )


def _mp_context() -> Any:
    # fork is by far the cheapest start on Linux, and safe while this process has a single thread.
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")


#: A path, or a (path, size in bytes) pair when the caller already knows the size.
PathItem = str | os.PathLike[str] | tuple[str, int]


def _split_item(item: PathItem) -> tuple[str, int | None]:
    if isinstance(item, tuple):
        return item[0], item[1]
    return os.fspath(item), None


def _batches(items: Iterable[PathItem], batch_size: int, batch_bytes: int) -> Iterator[list[str]]:
    batch: list[str] = []
    weight = 0
    for item in items:
        path, size = _split_item(item)
        batch.append(path)
        if size is None:
            try:
                size = Path(path).stat().st_size
            except (OSError, ValueError):
                size = 0
        weight += size
        if len(batch) >= batch_size or weight >= batch_bytes:
            yield batch
            batch = []
            weight = 0
    if batch:
        yield batch


def hash_many(
    paths: Iterable[PathItem],
    algorithms: Iterable[str] = ("sha256",),
    *,
    workers: int = 1,
    batch_size: int = 256,
    batch_bytes: int = 32 << 20,
    head_bytes: int = 0,
    tail_bytes: int = 0,
) -> Iterator[HashResult]:
    """Digest many files, yielding one :class:`HashResult` per path in completion order.

    ``paths`` holds paths, or ``(path, size)`` pairs when sizes are known.
    ``workers`` > 1 uses that many processes; each task is a batch of at most
    ``batch_size`` files or about ``batch_bytes`` bytes (sizes not given are
    taken with ``os.stat``). Results carry each path as ``os.fspath`` gave it. At most
    ``2 * workers`` batches are in flight, so memory stays bounded however many
    paths there are. ``workers=1`` hashes in this process, lazily, with no pool.
    Unreadable files give results with ``error`` set; nothing is raised for them.
    """
    algos = _check_algorithms(algorithms)
    if workers < 1:
        raise UsageError(f"workers must be at least 1 (got {workers})")
    if batch_size < 1 or batch_bytes < 1:
        raise UsageError("batch_size and batch_bytes must be at least 1")
    if workers == 1:
        for item in paths:
            yield _to_result(_hash_row(_split_item(item)[0], algos, head_bytes, tail_bytes), algos)
        return
    yield from _hash_pool(paths, algos, workers, batch_size, batch_bytes, head_bytes, tail_bytes)


def _hash_pool(
    paths: Iterable[PathItem],
    algos: tuple[str, ...],
    workers: int,
    batch_size: int,
    batch_bytes: int,
    head_bytes: int,
    tail_bytes: int,
) -> Iterator[HashResult]:
    batches = _batches(paths, batch_size, batch_bytes)
    limit = 4 * workers
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context())
    pending: set[Future[list[_Row]]] = set()
    try:
        exhausted = False
        while True:
            while not exhausted and len(pending) < limit:
                batch = next(batches, None)
                if batch is None:
                    exhausted = True
                    break
                pending.add(executor.submit(_hash_batch, batch, algos, head_bytes, tail_bytes))
            if not pending:
                return
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                for row in future.result():
                    yield _to_result(row, algos)
    finally:
        for future in pending:
            future.cancel()
        executor.shutdown(wait=True, cancel_futures=True)


#: (path, size in bytes, expected hex digests aligned with the algorithms - or None to get the digests back)
VerifyItem = tuple[str, int, tuple[str | None, ...] | None]


@attrs.frozen(kw_only=True)
class VerifyResult:
    """A file :func:`verify_many` reports: unreadable, mismatching, or whose digests were asked for."""

    path: str
    digest: FileDigest | None = None
    error: str | None = None
    mismatched: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None and not self.mismatched


def _verify_batch(batch: list[VerifyItem], algos: tuple[str, ...]) -> list[tuple[_Row, tuple[str, ...]]]:
    out: list[tuple[_Row, tuple[str, ...]]] = []
    for path, _size, expected in batch:
        row = _hash_row(path, algos, 0, 0)
        if row[5] is not None:
            out.append((row, ()))
            continue
        if expected is None:
            out.append((row, ()))
            continue
        found = row[2]
        bad = tuple(
            algo
            for algo, want, got in zip(algos, expected, found, strict=True)
            if want is not None and want.lower() != got
        )
        if bad:
            out.append((row, bad))
    return out


def verify_many(
    items: Iterable[VerifyItem],
    algorithms: Iterable[str],
    *,
    workers: int = 1,
    batch_size: int = 256,
    batch_bytes: int = 32 << 20,
) -> Iterator[VerifyResult]:
    """Check many files against expected digests, in one read each; yield only what needs attention.

    Each item is ``(path, size, expected)`` where ``expected`` holds one hex
    digest (or ``None``, not checked) per algorithm, in the order of
    ``algorithms``. A result is yielded for a file that cannot be read, whose
    digests differ (``mismatched`` names the algorithms; ``digest`` has what
    was found), or whose ``expected`` is ``None`` (its digests are returned).
    Matching files cost the caller nothing: the comparison happens in the
    worker processes, so the parent handles almost no per-file work.
    """
    algos = _check_algorithms(algorithms)
    if workers < 1:
        raise UsageError(f"workers must be at least 1 (got {workers})")
    if batch_size < 1 or batch_bytes < 1:
        raise UsageError("batch_size and batch_bytes must be at least 1")
    batches = _verify_batches(items, batch_size, batch_bytes)
    if workers == 1:
        for items_batch in batches:
            for row, bad in _verify_batch(items_batch, algos):
                yield _to_verify_result(row, bad, algos)
        return
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context())
    pending: set[Future[list[tuple[_Row, tuple[str, ...]]]]] = set()
    try:
        exhausted = False
        while True:
            while not exhausted and len(pending) < 4 * workers:
                batch = next(batches, None)
                if batch is None:
                    exhausted = True
                    break
                pending.add(executor.submit(_verify_batch, batch, algos))
            if not pending:
                return
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                for row, bad in future.result():
                    yield _to_verify_result(row, bad, algos)
    finally:
        for future in pending:
            future.cancel()
        executor.shutdown(wait=True, cancel_futures=True)


def _verify_batches(
    items: Iterable[VerifyItem], batch_size: int, batch_bytes: int
) -> Iterator[list[VerifyItem]]:
    batch: list[VerifyItem] = []
    weight = 0
    for item in items:
        batch.append(item)
        weight += item[1]
        if len(batch) >= batch_size or weight >= batch_bytes:
            yield batch
            batch = []
            weight = 0
    if batch:
        yield batch


def _to_verify_result(row: _Row, bad: tuple[str, ...], algos: Sequence[str]) -> VerifyResult:
    result = _to_result(row, algos)
    return VerifyResult(path=result.path, digest=result.digest, error=result.error, mismatched=bad)
