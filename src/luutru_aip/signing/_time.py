"""Time for the signing package: the injected clock, and times shown with the Vietnamese offset.

TT05 writes times as ISO 8601 with ``+07:00``; findings and PREMIS events do the same.
The clock is always injected (design.md, style rule 7): a callable returning an aware datetime.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Final

from luutru_aip.errors import UsageError

__all__ = ["VIETNAM_TIME", "Clock", "now_from", "vietnam_time"]

#: A clock: returns the current time as a timezone-aware datetime.
Clock = Callable[[], dt.datetime]
#: UTC+07:00, the offset TT05 prescribes for times in packages.
VIETNAM_TIME: Final = dt.timezone(dt.timedelta(hours=7))


def vietnam_time(when: dt.datetime) -> str:
    """``when`` as ISO 8601 with seconds and the ``+07:00`` offset (aware datetimes only)."""
    if when.tzinfo is None:
        raise ValueError("the time must be timezone-aware")
    return when.astimezone(VIETNAM_TIME).replace(microsecond=0).isoformat()


def now_from(clock: Clock | None) -> dt.datetime:
    """The current time from an injected clock (``None`` = the system clock); must be aware."""
    when = dt.datetime.now(dt.UTC) if clock is None else clock()
    if not isinstance(when, dt.datetime) or when.tzinfo is None:
        raise UsageError("the clock must return a timezone-aware datetime")
    return when
