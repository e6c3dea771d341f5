"""The unit of work of an audit: :func:`check_batch` re-hashes a batch of files of one package.

It is a plain function of its input (a :class:`~luutru_aip.audit.model.BatchTask`)
returning a plain record (a :class:`~luutru_aip.audit.model.BatchResult`): it
reads the package, never writes anything, and touches no database, so any
executor can run it (this process, local worker processes, another machine
that sees the same storage).

How files are read (performance-notes.md; RFC 8493 §5.1 on links):

* one reused, page-aligned 1 MiB buffer per process (``mmap`` + ``readv``),
  which lets OpenSSL-backed ``hashlib`` run near its limit;
* every path is opened relative to its folder's descriptor with
  ``O_NOFOLLOW``, folder by folder from the package root, so no symbolic link
  is ever followed and a path can never lead outside the package; folder
  descriptors are cached for the batch, which also saves the kernel a path
  walk per file;
* ``O_NONBLOCK`` so that a FIFO put in place of a file cannot hang the audit,
  and only regular files are read;
* ZIP members are streamed through :class:`luutru_aip._fs.SafeZip` (limits
  enforced on the bytes really decompressed); the opened archive is cached per
  worker process while it is unchanged on disk.

A file that cannot be found, read or matched is an *outcome*, never an
exception. When the package itself disappears during a batch (an unmounted
share, a removed folder), the batch reports ``package_gone`` and no rows, so
that an offline storage is never recorded as thousands of missing files.
"""

from __future__ import annotations

import errno
import os
import stat
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Final

from luutru_aip._fs import EntryKind, SafeZip
from luutru_aip.audit.model import BatchResult, BatchTask, Container, Outcome, ResultRow, TaskItem
from luutru_aip.errors import ArchiveLimitError, InputError
from luutru_aip.fixity import BUFFER_SIZE, aligned_buffer, new_hasher

__all__ = ["BUFFER_SIZE", "check_batch", "hash_stream_into"]


_NOFOLLOW: Final = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC: Final = getattr(os, "O_CLOEXEC", 0)
_OPEN_FILE: Final = os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW | _CLOEXEC
_OPEN_DIR: Final = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW | _CLOEXEC
_OPEN_ROOT: Final = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _CLOEXEC
#: errno values that mean "not there" (as opposed to "there but unreadable").
_ABSENT: Final = frozenset({errno.ENOENT, errno.ENOTDIR})
#: errno values after which we check whether the whole package (or its storage) went away.
_SUSPICIOUS: Final = frozenset(
    {errno.ENOENT, errno.ENOTDIR, errno.EIO, errno.ESTALE, getattr(errno, "ENOTCONN", errno.EIO)}
)


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.errno is not None and exc.strerror:
        return f"{exc.strerror} (errno {exc.errno})"
    return str(exc) or type(exc).__name__


def _kind_text(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "is a FIFO (named pipe), not a regular file"
    if stat.S_ISLNK(mode):
        return "is a symbolic link"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    return "is a device or special file, not a regular file"


def _hash_fd(fd: int, algorithm: str, expected_size: int) -> tuple[int, bytes]:
    """(size, digest) of the open regular file ``fd``."""
    hasher = new_hasher(algorithm)
    update = hasher.update
    buf, view = aligned_buffer()
    buffers = [buf]
    readv = os.readv
    size = 0
    while True:
        n = readv(fd, buffers)
        if not n:
            break
        if n == BUFFER_SIZE:
            update(view)
        else:
            with view[:n] as part:
                update(part)
        size += n
        if n < BUFFER_SIZE and size >= expected_size:
            break  # a short read at the size fstat gave is the end: save one system call
    return size, hasher.digest()


def hash_stream_into(read_into: Callable[[memoryview], int], algorithm: str) -> tuple[int, bytes]:
    """(size, digest) of a stream read with ``read_into(buffer)`` until it returns 0 (ZIP members)."""
    hasher = new_hasher(algorithm)
    _buf, view = aligned_buffer()
    size = 0
    while True:
        n = read_into(view)
        if not n:
            break
        with view[:n] as part:
            hasher.update(part)
        size += n
    return size, hasher.digest()


def _judge(item: TaskItem, size: int, digest: bytes, started: float, now_ms: int) -> ResultRow:
    seq, _rel, _algo, expected, expected_size = item
    duration = int((time.perf_counter() - started) * 1_000_000)
    if expected is None:
        return (seq, int(Outcome.OK), digest, size, now_ms, duration, None)
    if digest != expected or (expected_size >= 0 and size != expected_size):
        detail = (
            None if expected_size < 0 or size == expected_size else f"size {size}, expected {expected_size}"
        )
        return (seq, int(Outcome.CHANGED), digest, size, now_ms, duration, detail)
    return (seq, int(Outcome.OK), None, size, now_ms, duration, None)


def _failed(item: TaskItem, outcome: Outcome, started: float, now_ms: int, detail: str) -> ResultRow:
    duration = int((time.perf_counter() - started) * 1_000_000)
    return (item[0], int(outcome), None, 0, now_ms, duration, detail)


# --------------------------------------------------------------------------- folders


class _Folders:
    """Descriptors of the folders of one package, opened from its root without following links."""

    def __init__(self, root_fd: int) -> None:
        self._fds: dict[str, int] = {"": root_fd}
        self._errors: dict[str, OSError] = {}

    def get(self, rel_dir: str) -> int:
        fd = self._fds.get(rel_dir)
        if fd is not None:
            return fd
        failed = self._errors.get(rel_dir)
        if failed is not None:
            raise failed
        parent, _, name = rel_dir.rpartition("/")
        try:
            parent_fd = self.get(parent)
            try:
                fd = os.open(name, _OPEN_DIR, dir_fd=parent_fd)
            except NotADirectoryError:
                # O_NOFOLLOW | O_DIRECTORY on a link says ENOTDIR: tell a link from a file
                if stat.S_ISLNK(os.stat(name, dir_fd=parent_fd, follow_symlinks=False).st_mode):
                    raise OSError(errno.ELOOP, "a folder on the path is a symbolic link") from None
                raise
        except OSError as exc:
            self._errors[rel_dir] = exc
            raise
        self._fds[rel_dir] = fd
        return fd

    def close(self) -> None:
        for rel, fd in self._fds.items():
            if rel:
                os.close(fd)
        self._fds = {"": self._fds[""]}


def _same_place(location: str, root_fd: int) -> str | None:
    """``None`` when ``location`` still names the folder ``root_fd`` was opened on; else why not."""
    try:
        now = Path(location).stat()
    except OSError as exc:
        return f"the package folder can no longer be reached: {_error_text(exc)}"
    opened = os.fstat(root_fd)
    if (now.st_dev, now.st_ino) != (opened.st_dev, opened.st_ino):
        return "the package folder was replaced while it was being checked"
    return None


def _check_dir(task: BatchTask) -> BatchResult:
    started_batch = time.perf_counter()
    try:
        root_fd = os.open(task.location, _OPEN_ROOT)
    except OSError as exc:
        return BatchResult(
            pcheck_id=task.pcheck_id,
            rows=(),
            bytes_read=0,
            elapsed=time.perf_counter() - started_batch,
            package_gone=True,
            gone_reason=f"the package folder cannot be opened: {_error_text(exc)}",
        )
    folders = _Folders(root_fd)
    rows: list[ResultRow] = []
    total = 0
    verified_place = False
    try:
        for item in task.items:
            started = time.perf_counter()
            now_ms = int(time.time() * 1000)
            rel = item[1]
            rel_dir, _, name = rel.rpartition("/")
            try:
                dir_fd = folders.get(rel_dir)
                fd = os.open(name, _OPEN_FILE, dir_fd=dir_fd)
            except OSError as exc:
                if exc.errno in _SUSPICIOUS and not verified_place:
                    gone = _same_place(task.location, root_fd)
                    if gone is not None:
                        return BatchResult(
                            pcheck_id=task.pcheck_id,
                            rows=(),
                            bytes_read=0,
                            elapsed=time.perf_counter() - started_batch,
                            package_gone=True,
                            gone_reason=gone,
                        )
                    verified_place = True
                if exc.errno in _ABSENT:
                    rows.append(_failed(item, Outcome.MISSING, started, now_ms, _error_text(exc)))
                elif exc.errno == errno.ELOOP:
                    rows.append(
                        _failed(
                            item, Outcome.UNREADABLE, started, now_ms, "is (or is inside) a symbolic link"
                        )
                    )
                else:
                    rows.append(_failed(item, Outcome.UNREADABLE, started, now_ms, _error_text(exc)))
                continue
            try:
                info = os.fstat(fd)
                if not stat.S_ISREG(info.st_mode):
                    rows.append(_failed(item, Outcome.UNREADABLE, started, now_ms, _kind_text(info.st_mode)))
                    continue
                size, digest = _hash_fd(fd, item[2], info.st_size)
            except OSError as exc:
                rows.append(_failed(item, Outcome.UNREADABLE, started, now_ms, _error_text(exc)))
                continue
            finally:
                os.close(fd)
            total += size
            rows.append(_judge(item, size, digest, started, now_ms))
    finally:
        folders.close()
        os.close(root_fd)
    return BatchResult(
        pcheck_id=task.pcheck_id,
        rows=tuple(rows),
        bytes_read=total,
        elapsed=time.perf_counter() - started_batch,
    )


# --------------------------------------------------------------------------- ZIP


_ZIP_CACHE: Final[OrderedDict[tuple[str, int, int, int, int], SafeZip]] = OrderedDict()
_ZIP_CACHE_SIZE: Final = 4
_ZIP_LOCK: Final = threading.Lock()


def _open_zip(location: str) -> SafeZip:
    st = Path(location).stat()
    key = (location, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    with _ZIP_LOCK:
        cached = _ZIP_CACHE.get(key)
        if cached is not None:
            _ZIP_CACHE.move_to_end(key)
            return cached
        archive = SafeZip(Path(location))
        _ZIP_CACHE[key] = archive
        while len(_ZIP_CACHE) > _ZIP_CACHE_SIZE:
            _old_key, old = _ZIP_CACHE.popitem(last=False)
            old.close()
    return archive


def _check_zip(task: BatchTask) -> BatchResult:
    started_batch = time.perf_counter()
    try:
        archive = _open_zip(task.location)
    except FileNotFoundError as exc:
        return BatchResult(
            pcheck_id=task.pcheck_id,
            rows=(),
            bytes_read=0,
            elapsed=time.perf_counter() - started_batch,
            package_gone=True,
            gone_reason=f"the ZIP file can no longer be reached: {_error_text(exc)}",
        )
    except (OSError, InputError) as exc:
        now_ms = int(time.time() * 1000)
        reason = f"the ZIP file cannot be opened: {_error_text(exc)}"
        rows = tuple(_failed(item, Outcome.UNREADABLE, started_batch, now_ms, reason) for item in task.items)
        return BatchResult(
            pcheck_id=task.pcheck_id, rows=rows, bytes_read=0, elapsed=time.perf_counter() - started_batch
        )
    rows_out: list[ResultRow] = []
    total = 0
    for item in task.items:
        started = time.perf_counter()
        now_ms = int(time.time() * 1000)
        name = task.prefix + item[1]
        try:
            entry = archive.entry(name)
        except KeyError:
            rows_out.append(_failed(item, Outcome.MISSING, started, now_ms, "no such member in the ZIP"))
            continue
        if entry.kind is not EntryKind.FILE:
            detail = f"the ZIP member is a {entry.kind.value}, not a regular file"
            rows_out.append(_failed(item, Outcome.UNREADABLE, started, now_ms, detail))
            continue
        try:
            with archive.open(entry) as stream:
                size, digest = hash_stream_into(stream.readinto, item[2])
        except ArchiveLimitError as exc:
            text = str(exc)
            if "CRC" in text:
                rows_out.append(
                    _failed(item, Outcome.CHANGED, started, now_ms, "ZIP CRC-32 mismatch: " + text)
                )
            else:
                rows_out.append(_failed(item, Outcome.UNREADABLE, started, now_ms, text))
            continue
        except OSError as exc:
            rows_out.append(_failed(item, Outcome.UNREADABLE, started, now_ms, _error_text(exc)))
            continue
        total += size
        rows_out.append(_judge(item, size, digest, started, now_ms))
    return BatchResult(
        pcheck_id=task.pcheck_id,
        rows=tuple(rows_out),
        bytes_read=total,
        elapsed=time.perf_counter() - started_batch,
    )


def check_batch(task: BatchTask) -> BatchResult:
    """Re-hash every file of ``task`` and judge it against its expected digest (and size, when known).

    Never raises for a file problem: each file gets an outcome (ok, changed,
    missing, unreadable) with its size, time and duration. Only a bug or a
    programming error (an unknown algorithm) raises.
    """
    if task.container is Container.ZIP:
        return _check_zip(task)
    return _check_dir(task)
