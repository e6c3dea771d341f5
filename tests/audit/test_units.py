"""Budgets as operators write them: durations and sizes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from luutru_aip.audit import parse_duration, parse_size
from luutru_aip.audit._units import format_bytes, format_duration, iso_time
from luutru_aip.errors import UsageError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90),
        ("90s", 90),
        ("30m", 1800),
        ("6h", 21600),
        ("1d", 86400),
        ("2w", 1209600),
        ("1h30m", 5400),
        ("1.5h", 5400),
        (" 6H ", 21600),
        ("1d 2h", 93600),
    ],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1000", 1000),
        ("64K", 64 << 10),
        ("500G", 500 << 30),
        ("2T", 2 << 40),
        ("2t", 2 << 40),
        ("1.5GB", 1_500_000_000),
        ("100MiB", 100 << 20),
        ("1PB", 10**15),
        ("3 GiB", 3 << 30),
    ],
)
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "soon", "6x", "h", "1h-2m", "--1"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(UsageError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["", "big", "5X", "1.2.3G", "iB", "-5G", "5 G B"])
def test_bad_sizes(text: str) -> None:
    with pytest.raises(UsageError, match="size"):
        parse_size(text)


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(["s", "m", "h", "d", "w"]))
def test_duration_units_multiply(n: int, unit: str) -> None:
    factor = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit]
    assert parse_duration(f"{n}{unit}") == n * factor


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(["K", "M", "G", "T"]))
def test_binary_and_decimal_prefixes(n: int, prefix: str) -> None:
    power = "KMGT".index(prefix) + 1
    assert parse_size(f"{n}{prefix}") == parse_size(f"{n}{prefix}iB") == n * 1024**power
    assert parse_size(f"{n}{prefix}B") == n * 1000**power


def test_formatting() -> None:
    assert format_bytes(0) == "0 B"
    assert format_bytes(5 << 40) == "5.0 TiB"
    assert format_duration(3725) == "1h02m05s"
    assert format_duration(65) == "1m05s"
    assert iso_time(1_800_000_000_000) == "2027-01-15T15:00:00+07:00"
    assert iso_time(None) is None


_PATH_TEXT = st.lists(
    st.sampled_from([*"ab./~:\\ -_đơĐ\x00\t\x85\u202e", "\udc80", "x" * 70, "ệ" * 64]), max_size=12
).map("".join)


@given(st.one_of(_PATH_TEXT, st.text(max_size=80)))
def test_fast_path_check_agrees_with_the_full_one(text: str) -> None:
    from luutru_aip._fs import check_package_path
    from luutru_aip.audit.packages import unsafe_reason

    assert unsafe_reason(text) == check_package_path(text)
