"""Property tests: the fast index agrees with fido itself (issue 3, "prove agreement").

The index skips signatures using necessary conditions derived from fido's regular
expressions. These tests check (1) every derived condition is implied by its regular
expression, on strings generated *from* that expression, and (2) on random buffers with
real signatures' bytes spliced in, our match list equals fido's ``match_formats`` and our
extension matches equal fido's ``match_extensions``.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from luutru_aip.identify import PronomIdentifier, default_identifier
from luutru_aip.identify._index import analyse_pattern

_IDENT: PronomIdentifier = default_identifier()
_sre: Any = importlib.import_module("re._parser")

#: Hypothesis cannot generate strings longer than about 8 KB; patterns that need more
#: (a handful of ``.{32700}``-style offsets) are left to the corpus and the full-match tests.
_MAX_MIN_WIDTH = 3000


def _generable(regex: bytes) -> bool:
    return int(_sre.parse(regex).getwidth()[0]) <= _MAX_MIN_WIDTH


_ALL_PATTERNS = sorted(
    {
        (pos, rx)
        for fmt in _IDENT.signatures.formats
        for sig in fmt.signatures
        for pos, rx in sig.patterns
        if pos is not None and rx is not None
    }
)
_PATTERNS: list[tuple[str, bytes]] = [(p, r) for p, r in _ALL_PATTERNS if _generable(r)]
_SIGS: list[tuple[tuple[str, bytes], ...]] = [
    tuple((p, r) for p, r in sig.patterns if p is not None and r is not None)
    for fmt in _IDENT.signatures.formats
    for sig in fmt.signatures
    if all(_generable(r) for p, r in sig.patterns if r is not None)
]
_EXTENSIONS = sorted({e for fmt in _IDENT.signatures.formats for e in fmt.extensions})

_SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


def _example(data: st.DataObject, regex: bytes, max_len: int = 4096) -> bytes:
    """A byte string that (usually) matches ``regex``; very long repeats are shortened."""
    # bound huge repeats so examples stay small; the shortened regex matches a subset
    bounded = re.sub(
        rb"\{(\d+),(\d+)\}", lambda m: b"{%d,%d}" % (int(m[1]), min(int(m[2]), int(m[1]) + 64)), regex
    )
    bounded = bounded.replace(b".*", b".{0,64}")
    try:
        value: bytes = data.draw(st.from_regex(re.compile(bounded), fullmatch=False))
    except re.error:
        value = b""
    return value[:max_len] if len(value) > max_len else value


def test_nearly_every_pattern_is_generable() -> None:
    assert len(_ALL_PATTERNS) - len(_PATTERNS) <= 20
    assert len(_SIGS) > 1900


@_SETTINGS
@given(data=st.data(), which=st.integers(min_value=0, max_value=len(_PATTERNS) - 1))
def test_conditions_are_implied_by_the_regex(data: st.DataObject, which: int) -> None:
    position, regex = _PATTERNS[which]
    text = _example(data, regex)
    prefix = data.draw(st.binary(max_size=40)) if position != "BOF" else b""
    suffix = data.draw(st.binary(max_size=40)) if position != "EOF" else b""
    buf = prefix + text + suffix
    compiled = re.compile(regex)
    matched = compiled.match(buf) if position == "BOF" else compiled.search(buf)
    assume(matched is not None)
    for cond in analyse_pattern(position, regex):
        head = tail = buf
        assert cond.holds(head, tail), (position, regex, cond, buf[:200])


def _buffers(data: st.DataObject) -> tuple[bytes, bytes]:
    """head/tail buffers: random bytes with the BOF/VAR/EOF bytes of 1–3 real signatures spliced in."""
    head_parts: list[bytes] = []
    tail_parts: list[bytes] = []
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        sig = _SIGS[data.draw(st.integers(min_value=0, max_value=len(_SIGS) - 1))]
        for position, regex in sig:
            example = _example(data, regex, max_len=2048)
            if position == "EOF":
                tail_parts.append(example)
            else:
                head_parts.append(example)
    noise = st.binary(max_size=64)
    head = b"".join(p + data.draw(noise) for p in head_parts)
    if data.draw(st.booleans()):
        head = head[: data.draw(st.integers(min_value=0, max_value=max(0, len(head))))]
    if data.draw(st.booleans()):
        return head, head  # a small file: both buffers are the whole file
    tail = data.draw(noise) + b"".join(tail_parts)
    return head, tail


@_SETTINGS
@given(data=st.data())
def test_signature_matches_equal_fido(data: st.DataObject, fido_tool: Any) -> None:
    head, tail = _buffers(data)
    ours = [(_IDENT.index.puids[i], n) for i, n in _IDENT.index.match(head, tail)]
    theirs = [(f.find("puid").text, n) for f, n in fido_tool.match_formats(head, tail)]
    event("fido matched" if theirs else "fido found nothing")
    assert ours == theirs


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    stem=st.text(alphabet="abcxyz._- Đ", max_size=8),
    ext=st.one_of(
        st.sampled_from(_EXTENSIONS), st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", max_size=5)
    ),
    upper=st.booleans(),
    folder=st.sampled_from(["", "dir/", "a.b/", "x.pdf/"]),
)
def test_extension_matches_equal_fido(stem: str, ext: str, upper: bool, folder: str, fido_tool: Any) -> None:
    name = folder + stem + ("." + (ext.upper() if upper else ext) if ext else "")
    ours = [_IDENT.index.puids[i] for i in _IDENT.index.match_extension(name)]
    theirs = [f.find("puid").text for f, _ in fido_tool.match_extensions(name)]
    assert ours == theirs


@pytest.mark.parametrize("size", [0, 1, 100, 131071, 131072, 131073, 200_000, 262144, 262145, 400_000])
def test_read_buffers_equal_fido_get_buffers(tmp_path: Any, size: int, fido_tool: Any) -> None:
    from luutru_aip.identify import HeadTail, read_buffers

    data = bytes((i * 7 + i // 256) % 256 for i in range(size))
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    with path.open("rb") as f:
        ours = read_buffers(f, size)
    with path.open("rb") as f:
        bof, eof, _ = fido_tool.get_buffers(f, size, seekable=True)
    assert ours == (bof, eof)
    collector = HeadTail()
    for start in range(0, size, 65536 + 3):
        collector.update(data[start : start + 65536 + 3])
    assert (collector.head, collector.tail, collector.size) == (bof, eof, size)
