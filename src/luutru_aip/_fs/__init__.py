"""The "safe files" layer (L1): validated package paths, atomic output, safe ZIP reading.

Everything that touches an untrusted package's names or bytes on disk goes
through here (design.md, style rules 4 and 6; layer L1):

* :mod:`luutru_aip._fs.paths` - :class:`PackagePath` and the ``PATH0xx`` checks;
* :mod:`luutru_aip._fs.atomic` - :func:`atomic_dir`, :func:`atomic_file`, :func:`cleanup_stale_temps`;
* :mod:`luutru_aip._fs.zips` - :func:`inspect_zip`, :class:`SafeZip`, :func:`safe_extract` (``ZIP0xx``).
"""

from __future__ import annotations

from luutru_aip._fs.atomic import (
    TEMP_MARKER,
    atomic_dir,
    atomic_file,
    cleanup_stale_temps,
    fsync_dir,
    is_stale_temp_name,
)
from luutru_aip._fs.paths import (
    MAX_SEGMENT_BYTES,
    REASON_CODES,
    PackagePath,
    check_package_path,
    display_name,
    path_finding,
)
from luutru_aip._fs.zips import (
    EntryKind,
    ExtractResult,
    SafeZip,
    ZipEntryInfo,
    ZipLimits,
    inspect_zip,
    safe_extract,
)

__all__ = [
    "MAX_SEGMENT_BYTES",
    "REASON_CODES",
    "TEMP_MARKER",
    "EntryKind",
    "ExtractResult",
    "PackagePath",
    "SafeZip",
    "ZipEntryInfo",
    "ZipLimits",
    "atomic_dir",
    "atomic_file",
    "check_package_path",
    "cleanup_stale_temps",
    "display_name",
    "fsync_dir",
    "inspect_zip",
    "is_stale_temp_name",
    "path_finding",
    "safe_extract",
]
