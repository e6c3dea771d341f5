"""Budgets as operators write them: durations (``30m``, ``6h``, ``1d``) and sizes (``500G``, ``2T``).

Sizes follow GNU coreutils' conventions (``numfmt --from=auto``, ``dd``): a bare
``K``/``M``/``G``/``T``/``P``/``E`` and ``KiB``/``MiB``… are powers of 1024,
``KB``/``MB``/``GB``… are powers of 1000. So ``500G`` is 500 GiB.

>>> parse_duration("1h30m")
5400.0
>>> parse_size("2T") == 2 * 1024**4
True
>>> parse_size("1.5GB")
1500000000
>>> format_bytes(1536)
'1.5 KiB'
>>> iso_time(0)
'1970-01-01T07:00:00+07:00'
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Final

from luutru_aip.errors import UsageError

__all__ = ["VN_TZ", "format_bytes", "format_duration", "iso_time", "parse_duration", "parse_size"]

#: Viet Nam time (UTC+07:00, no daylight saving): the offset TT05 asks for in recorded times.
VN_TZ: Final = timezone(timedelta(hours=7))

_DURATION_UNITS: Final = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_DURATION_PART: Final = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*([smhdw]?)")
_SIZE: Final = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*([kmgtpe]?)(i?b?)", re.IGNORECASE)
_POWERS: Final = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5, "e": 6}


def parse_duration(text: str) -> float:
    """Seconds in ``text``: ``90``, ``90s``, ``30m``, ``6h``, ``1d``, ``2w`` or sums such as ``1h30m``.

    A bare number is seconds. Raises :class:`~luutru_aip.errors.UsageError` otherwise.
    """
    cleaned = text.strip().lower()
    if not cleaned:
        raise UsageError("an empty duration was given (examples: 30m, 6h, 1d)")
    total = 0.0
    pos = 0
    while pos < len(cleaned):
        match = _DURATION_PART.match(cleaned, pos)
        if match is None or match.end() == pos:
            raise UsageError(f"cannot read the duration {text!r} (examples: 90s, 30m, 6h, 1d, 1h30m)")
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2) or "s"]
        pos = match.end()
        while pos < len(cleaned) and cleaned[pos] in " \t":
            pos += 1
    return total


def parse_size(text: str) -> int:
    """Bytes in ``text``: ``1000``, ``64K``, ``500G``, ``2T``, ``1.5GB``, ``100MiB``.

    Raises :class:`~luutru_aip.errors.UsageError` for anything else.
    """
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        raise UsageError(f"cannot read the size {text!r} (examples: 500G, 2T, 1.5TB, 64MiB, 1000000)")
    number, prefix, suffix = match.group(1), match.group(2).lower(), match.group(3).lower()
    if not prefix and suffix == "ib":
        raise UsageError(f"cannot read the size {text!r} (examples: 500G, 2T, 1.5TB, 64MiB, 1000000)")
    base = 1000 if suffix == "b" and prefix else 1024
    return int(float(number) * base ** _POWERS[prefix])


def format_bytes(count: float) -> str:
    """``1536`` → ``'1.5 KiB'`` (binary units, one decimal)."""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(value) < 1024 or unit == "PiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def format_duration(seconds: float) -> str:
    """``3725`` → ``'1h02m05s'``; under a minute, ``'12.3s'``."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    return f"{minutes}m{secs:02d}s"


def iso_time(ms: int | None) -> str | None:
    """Milliseconds since the epoch as ISO 8601 in Viet Nam time (``…+07:00``), to the second."""
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, VN_TZ).replace(microsecond=0).isoformat()
