"""luutru_aip.fixity: one read, every algorithm, equal to hashlib; pools equal single-process."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from luutru_aip.errors import UsageError
from luutru_aip.fixity import (
    ALGORITHMS,
    BUFFER_SIZE,
    DIGEST_SIZES,
    hash_file,
    hash_many,
    is_supported,
    verify_many,
)

SIZES = [0, 1, 2, 4095, 4096, 4097, BUFFER_SIZE - 1, BUFFER_SIZE, BUFFER_SIZE + 1, 2 * BUFFER_SIZE + 3]


def write(path: Path, size: int, seed: int = 0) -> bytes:
    data = (hashlib.sha512(str(seed).encode()).digest() * (size // 64 + 1))[:size]
    data = bytes(b ^ (i & 0xFF) for i, b in enumerate(data)) if size < 100_000 else os.urandom(size)
    path.write_bytes(data)
    return data


@pytest.mark.parametrize("size", SIZES)
def test_digests_equal_hashlib(tmp_path: Path, size: int) -> None:
    data = write(tmp_path / "f", size)
    result = hash_file(tmp_path / "f", ALGORITHMS)
    assert result.size == size
    for algorithm in ALGORITHMS:
        assert result.digests[algorithm] == hashlib.new(algorithm, data).hexdigest()
        assert len(result.digests[algorithm]) == 2 * DIGEST_SIZES[algorithm]


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=5000), head=st.integers(0, 300), tail=st.integers(0, 300))
def test_head_and_tail_come_from_the_same_read(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, head: int, tail: int
) -> None:
    path = tmp_path_factory.mktemp("ht") / "f"
    path.write_bytes(data)
    result = hash_file(path, ["sha256"], head_bytes=head, tail_bytes=tail)
    assert result.digests["sha256"] == hashlib.sha256(data).hexdigest()
    assert result.head == (data[:head] if head else None)
    assert result.tail == (data[-tail:] if tail else None)


def test_head_and_tail_across_buffers(tmp_path: Path) -> None:
    data = write(tmp_path / "f", 3 * BUFFER_SIZE + 17)
    result = hash_file(tmp_path / "f", ["md5"], head_bytes=128 << 10, tail_bytes=128 << 10)
    assert result.head == data[: 128 << 10]
    assert result.tail == data[-(128 << 10) :]


def test_unknown_algorithm_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"x")
    assert not is_supported("whirlpool")
    with pytest.raises(UsageError):
        hash_file(tmp_path / "f", ["whirlpool"])
    with pytest.raises(UsageError):
        list(hash_many([tmp_path / "f"], []))


def test_errors_are_records_not_exceptions(tmp_path: Path) -> None:
    (tmp_path / "ok").write_bytes(b"fine")
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "fifo")  # must not hang
    items = [tmp_path / "ok", tmp_path / "missing", tmp_path / "folder", tmp_path / "fifo"]
    for workers in (1, 2):
        results = {Path(r.path).name: r for r in hash_many(items, ["sha256"], workers=workers)}
        assert results["ok"].ok
        assert results["ok"].digest is not None
        for name in ("missing", "folder", "fifo"):
            assert not results[name].ok
            assert results[name].digest is None
            assert results[name].error


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path: Path) -> None:
    (tmp_path / "secret").write_bytes(b"x")
    (tmp_path / "secret").chmod(0)
    [result] = list(hash_many([tmp_path / "secret"]))
    assert not result.ok


def test_many_workers_equal_one(tmp_path: Path) -> None:
    paths = []
    for i in range(300):
        path = tmp_path / f"f{i}"
        write(path, (i * 997) % 20000, seed=i)
        paths.append(path)
    big = tmp_path / "big"
    write(big, BUFFER_SIZE * 2 + 5)
    paths.append(big)
    single = {r.path: r.digest for r in hash_many(paths, ["sha1", "sha256"], workers=1)}
    pooled = {r.path: r.digest for r in hash_many(paths, ["sha1", "sha256"], workers=2, batch_size=7)}
    sized = {
        r.path: r.digest
        for r in hash_many(
            [(str(p), p.stat().st_size) for p in paths], ["sha1", "sha256"], workers=2, batch_bytes=1
        )
    }
    assert single == pooled == sized
    assert len(single) == len(paths)


def test_verify_many_reports_only_what_needs_attention(tmp_path: Path) -> None:
    good = tmp_path / "good"
    bad = tmp_path / "bad"
    ask = tmp_path / "ask"
    for p in (good, bad, ask):
        p.write_bytes(p.name.encode())
    items = [
        (str(good), 4, (hashlib.md5(b"good").hexdigest().upper(), None)),
        (str(bad), 3, (hashlib.md5(b"bad").hexdigest(), "0" * 64)),
        (str(ask), 3, None),
        (str(tmp_path / "gone"), 1, (None, None)),
    ]
    for workers in (1, 2):
        results = {Path(r.path).name: r for r in verify_many(items, ["md5", "sha256"], workers=workers)}
        assert set(results) == {"bad", "ask", "gone"}
        assert results["bad"].mismatched == ("sha256",)
        assert results["bad"].digest is not None
        assert results["bad"].digest.digests["sha256"] == hashlib.sha256(b"bad").hexdigest()
        assert results["ask"].ok
        assert results["ask"].digest is not None
        assert results["gone"].error
        assert not results["gone"].ok
