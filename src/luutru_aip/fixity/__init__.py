"""Streaming multi-algorithm file digests, in one read per file (L1).

One read of a file feeds every requested algorithm at once, through a reused,
page-aligned 1 MiB buffer (``mmap.mmap(-1, 1 << 20)`` + ``readinto``): on this
class of machine that reaches about 1,250 MB/s for SHA-256 where a ``bytearray``
buffer reaches about 930 (see ``shared/reference/performance-notes.md``). The
same read can also capture the first and last bytes of the file for format
identification (fido reads 128 KiB at each end), so nothing is read twice.

:func:`hash_many` spreads work over *processes* (threads lose to the GIL on
small files) and gives each worker a *batch* of files per task, because a task
per file costs more than hashing a 10 KB file. Results stream back in bounded
memory, in completion order; an I/O error is a :class:`HashResult` with
``error`` set, never an exception. :func:`verify_many` does the comparison
with expected digests inside the workers and returns only the files that need
attention, so a validator's parent process does almost no per-file work.

Algorithm names are the BagIt normalised names (RFC 8493 §2.4): ``md5``,
``sha1``, ``sha224``, ``sha256``, ``sha384``, ``sha512``.
"""

from __future__ import annotations

from luutru_aip.fixity._hash import (
    ALGORITHMS,
    BUFFER_SIZE,
    DIGEST_SIZES,
    FileDigest,
    HashResult,
    PathItem,
    VerifyItem,
    VerifyResult,
    aligned_buffer,
    hash_file,
    hash_many,
    is_supported,
    new_hasher,
    pool_context,
    verify_many,
)

__all__ = [
    "ALGORITHMS",
    "BUFFER_SIZE",
    "DIGEST_SIZES",
    "FileDigest",
    "HashResult",
    "PathItem",
    "VerifyItem",
    "VerifyResult",
    "aligned_buffer",
    "hash_file",
    "hash_many",
    "is_supported",
    "new_hasher",
    "pool_context",
    "verify_many",
]
