"""Atomic output: nothing half-made is ever visible under its final name.

Implements the conventions' "write to a temp sibling then ``os.replace``;
nothing left behind on error" and design.md style rule 6 ("never modify the
input; overwriting needs ``overwrite=True``").

* :func:`atomic_dir` builds a folder in a hidden sibling
  ``.<name>.luutru-tmp-<random>`` and renames it into place on success.
* :func:`atomic_file` does the same for one file.
* :func:`cleanup_stale_temps` removes the siblings a killed run left behind
  (``kill -9``, power loss). This is how an interrupted run "resumes": the
  final name either holds a complete, synced result or nothing at all.

Durability: file data and folders are ``fsync``-ed before the rename and the
parent folder after it, so after a crash the final name holds either the old
or the new content, never a mix (POSIX rename atomicity; ext4/xfs semantics).

Known limits (POSIX offers no better with the standard library): with
``overwrite=False`` a folder that *another process* creates, empty, between
our check and our rename is silently replaced (``rename(2)`` replaces empty
folders; ``renameat2(RENAME_NOREPLACE)`` is not exposed by Python). Files do
not have this race: they are published with ``link(2)``, which never replaces.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import secrets
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import IO, Any, BinaryIO, Final, Literal, TextIO, overload

from luutru_aip.errors import InputError, OutputExistsError, UsageError

__all__ = [
    "TEMP_MARKER",
    "atomic_dir",
    "atomic_file",
    "cleanup_stale_temps",
    "fsync_dir",
    "is_stale_temp_name",
]

_log = logging.getLogger(__name__)

#: Part of every temporary name this module makes: ``.<name>.luutru-tmp-<random>``.
TEMP_MARKER: Final = ".luutru-tmp-"
_OLD_MARKER: Final = ".luutru-old-"
#: A folder holding the old result as its only child, used when ``.<name>.luutru-old-…`` would be too long.
_HOLD_MARKER: Final = ".luutru-hold-"
_STALE_RE: Final = re.compile(r"^\.(?P<name>.+)\.luutru-(?P<kind>tmp|old|hold)-[A-Za-z0-9_]+$", re.DOTALL)
#: Longest file name on common file systems (NAME_MAX), in bytes.
_NAME_MAX: Final = 255
#: Room kept for the marker and the random part when the final name is long.
_MAX_NAME_IN_TEMP: Final = 180


def is_stale_temp_name(name: str) -> bool:
    """True for names :func:`atomic_dir` / :func:`atomic_file` use for their temporaries."""
    return _STALE_RE.match(name) is not None


def _short_name(name: str) -> str:
    """``name`` cut to at most :data:`_MAX_NAME_IN_TEMP` bytes, so a temporary name stays under NAME_MAX."""
    encoded = name.encode("utf-8", "surrogateescape")
    if len(encoded) > _MAX_NAME_IN_TEMP:
        return encoded[:_MAX_NAME_IN_TEMP].decode("utf-8", "ignore") or "x"
    return name


def _temp_prefix(final: Path, marker: str = TEMP_MARKER) -> str:
    return f".{_short_name(final.name)}{marker}"


def _umask() -> int:
    """The process umask, read without changing it where Linux allows."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    old = os.umask(0o022)  # pragma: no cover - non-Linux fallback
    os.umask(old)  # pragma: no cover
    return old  # pragma: no cover


def fsync_dir(path: Path) -> None:
    """``fsync`` a folder so that names created or renamed in it are durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


#: Above this many files, one ``sync(2)`` is far cheaper than an ``fsync`` per file (each forces a journal
#: commit); Linux's ``sync`` waits for the write-back to finish, so the guarantee is the same.
_SYNC_ALL_FROM: Final = 64


def _fsync_tree(root: Path) -> None:
    """Make every file and folder under ``root`` durable (links are not followed).

    Small trees get an ``fsync`` per file and folder; large ones on Linux one ``os.sync()``.
    """
    if sys.platform.startswith("linux") and hasattr(os, "sync"):
        count = 0
        for _dirpath, _dirnames, filenames in os.walk(root, followlinks=False):
            count += len(filenames)
            if count >= _SYNC_ALL_FROM:
                os.sync()
                return
    for dirpath, _dirnames, filenames in os.walk(root, topdown=False, followlinks=False):
        for filename in filenames:
            full = Path(dirpath, filename)
            try:
                fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            except OSError as exc:
                if exc.errno == errno.ELOOP:  # a symbolic link: nothing of ours to sync
                    continue
                raise
            try:
                if stat.S_ISREG(os.fstat(fd).st_mode):
                    os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(dirpath))


def _remove(path: Path) -> None:
    """Remove a file, link or folder tree; never follows links."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(path)
    else:
        path.unlink()


def _exists_error(final: Path) -> OutputExistsError:
    return OutputExistsError(f"{os.fspath(final)} already exists; pass overwrite=True to replace it")


def _check_parent(final: Path) -> None:
    if final.name in ("", ".", ".."):
        raise UsageError(f"{os.fspath(final)!r} is not a usable output name")
    if not final.parent.is_dir():
        raise InputError(f"cannot create {os.fspath(final)}: folder {os.fspath(final.parent)} does not exist")


@contextmanager
def atomic_dir(final: Path, *, overwrite: bool = False, sync: bool = True) -> Iterator[Path]:
    """Build a folder atomically; yields the temporary folder to fill.

    On normal exit of the ``with`` block the tree is ``fsync``-ed (unless
    ``sync=False``, for callers that synced their own writes), given normal
    permissions (``0o777 & ~umask``) and renamed to ``final``. On any
    exception, ``KeyboardInterrupt`` included, the temporary folder is removed
    and the exception propagates.

    If ``final`` exists (as anything, even a dangling link) and ``overwrite``
    is false, :class:`~luutru_aip.errors.OutputExistsError` is raised before
    any work starts (and again at the end if it appeared meanwhile). With
    ``overwrite=True`` the old entry is renamed aside to
    ``.<name>.luutru-old-<random>``, the new folder renamed in, then the old
    one deleted; if the process dies between the two renames,
    :func:`cleanup_stale_temps` puts the old one back.
    """
    final = Path(final)
    _check_parent(final)
    if not overwrite and os.path.lexists(final):
        raise _exists_error(final)
    tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(final), dir=final.parent))
    try:
        yield tmp
        if sync:
            _fsync_tree(tmp)
        tmp.chmod(0o777 & ~_umask())
        _publish_dir(tmp, final, overwrite=overwrite)
    except BaseException:
        with contextlib.suppress(OSError):
            _remove(tmp)
        raise


def _publish_dir(tmp: Path, final: Path, *, overwrite: bool) -> None:
    parent = final.parent
    if os.path.lexists(final):
        if not overwrite:
            raise _exists_error(final)
        aside_name = f".{final.name}{_OLD_MARKER}{secrets.token_hex(6)}"
        if len(os.fsencode(aside_name)) <= _NAME_MAX:
            aside = litter = parent / aside_name
        else:  # a long name: park the old entry, under its own name, in a holding folder
            litter = Path(tempfile.mkdtemp(prefix=_temp_prefix(final, _HOLD_MARKER), dir=parent))
            aside = litter / final.name
        try:
            final.rename(aside)
        except BaseException:
            if litter != aside:
                with contextlib.suppress(OSError):
                    litter.rmdir()
            raise
        try:
            tmp.rename(final)
        except BaseException:
            aside.rename(final)
            if litter != aside:
                with contextlib.suppress(OSError):
                    litter.rmdir()
            raise
        fsync_dir(parent)
        try:
            _remove(litter)
        except OSError as exc:  # the new tree is in place; an undeletable old copy is only litter
            _log.warning("could not remove the replaced %s: %s", litter, exc)
        return
    try:
        tmp.rename(final)
    except OSError as exc:
        if exc.errno in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR, errno.EISDIR):
            raise _exists_error(final) from exc
        raise
    fsync_dir(parent)


@overload
def atomic_file(
    final: Path, mode: Literal["wb"] = "wb", *, overwrite: bool = True, sync: bool = True
) -> AbstractContextManager[BinaryIO]: ...


@overload
def atomic_file(
    final: Path, mode: Literal["w"], *, overwrite: bool = True, sync: bool = True
) -> AbstractContextManager[TextIO]: ...


def atomic_file(
    final: Path, mode: Literal["wb", "w"] = "wb", *, overwrite: bool = True, sync: bool = True
) -> AbstractContextManager[IO[Any]]:
    """Write one file atomically; yields the open temporary file.

    ``mode`` is ``"wb"`` (bytes) or ``"w"`` (text, UTF-8, no newline
    translation). On normal exit the data is flushed, ``fsync``-ed, given
    normal permissions (``0o666 & ~umask``) and published under ``final``:
    with ``os.replace`` when ``overwrite`` is true (the default here: replacing
    a file is itself atomic), else with ``link(2)``, which fails rather than
    replace, raising :class:`~luutru_aip.errors.OutputExistsError`. A link at
    ``final`` is replaced, never written through. On any exception the
    temporary file is removed.
    """
    if mode not in ("wb", "w"):
        raise UsageError(f"atomic_file mode must be 'wb' or 'w', not {mode!r}")
    return _atomic_file(Path(final), mode, overwrite=overwrite, sync=sync)


@contextmanager
def _atomic_file(final: Path, mode: str, *, overwrite: bool, sync: bool) -> Iterator[IO[Any]]:
    _check_parent(final)
    if not overwrite and os.path.lexists(final):
        raise _exists_error(final)
    fd, tmp_name = tempfile.mkstemp(prefix=_temp_prefix(final), dir=final.parent)
    tmp = Path(tmp_name)
    adopted = False
    try:
        handle: IO[Any] = (
            os.fdopen(fd, "wb") if mode == "wb" else os.fdopen(fd, "w", encoding="utf-8", newline="")
        )
        adopted = True
        with handle:
            yield handle
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        tmp.chmod(0o666 & ~_umask())
        if overwrite:
            tmp.replace(final)
        else:
            _link_no_replace(tmp, final)
        fsync_dir(final.parent)
    except BaseException:
        if not adopted:  # fdopen failed: the descriptor is still ours to close
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _link_no_replace(tmp: Path, final: Path) -> None:
    try:
        os.link(tmp, final)
    except FileExistsError as exc:
        raise _exists_error(final) from exc
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        # A file system without hard links: check, then rename (a small race remains).
        if os.path.lexists(final):
            raise _exists_error(final) from exc
        tmp.rename(final)
        return
    tmp.unlink()


def _held_entry(holder: Path, short: str) -> Path | None:
    """The old result parked in a ``.luutru-hold-`` folder, or ``None`` if it does not hold exactly one."""
    try:
        if not stat.S_ISDIR(os.lstat(holder).st_mode):
            return None
        with os.scandir(holder) as it:
            children = [entry.name for entry in it]
    except OSError:
        return None
    if len(children) != 1 or _short_name(children[0]) != short:
        return None
    return holder / children[0]


def cleanup_stale_temps(parent: Path) -> list[Path]:
    """Remove the temporaries interrupted runs left in ``parent``; returns what was removed.

    ``.<name>.luutru-tmp-*`` entries are always removed. A
    ``.<name>.luutru-old-*`` entry (an old result moved aside by an
    ``overwrite=True`` swap) is removed if ``<name>`` exists, and otherwise
    renamed back to ``<name>``: the swap was cut short, so the old result is
    restored rather than lost. For names too long for that, the old result
    waits, under its own name, as the only entry of a
    ``.<name, shortened>.luutru-hold-*`` folder, and is restored the same way.
    Call it only when no other run is writing into ``parent`` (for instance
    at the start of a run holding the output lock), since a live run's
    temporary looks exactly like a stale one.
    """
    parent = Path(parent)
    removed: list[Path] = []
    with os.scandir(parent) as it:
        names = sorted(entry.name for entry in it)
    for name in names:
        match = _STALE_RE.match(name)
        if match is None:
            continue
        path = parent / name
        kept = _held_entry(path, match["name"]) if match["kind"] == "hold" else None
        if match["kind"] == "old" or kept is not None:
            source = path if kept is None else kept
            original = parent / source.name if kept is not None else parent / match["name"]
            if not os.path.lexists(original):
                source.rename(original)
                _log.warning("restored %s from an interrupted overwrite", original)
                if kept is None:
                    continue
        _remove(path)
        removed.append(path)
    if removed:
        fsync_dir(parent)
    return removed
