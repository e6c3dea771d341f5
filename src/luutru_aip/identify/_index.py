"""The compiled signature index: fido's matching rules, made fast (issue 3, "Speed").

fido 1.6 tries every signature of every format on every file (about 1,950 signatures,
2,300 regular expressions, through a 2,084-entry regex cache that thrashes). This module
gives **the same answer** while trying only the signatures that can possibly match:

1. Each pattern's regular expression is parsed (with the standard library's own
   regex parser) into its top-level items. For a pattern anchored at the beginning
   (fido's ``BOF`` positions use ``re.match``; ``\\A`` anchors a ``re.search``) every
   run of literal bytes must start inside an offset window ``[lo, hi]`` computed from
   the minimum and maximum widths of the items before it. For a pattern ending in
   ``\\Z`` the same holds, measured from the end. Any other literal run must at least
   occur in the buffer. These are *necessary* conditions: a buffer that fails one
   cannot match the regular expression.
2. A signature's conditions are the union of its patterns' conditions. One condition
   with a fixed offset (most often the magic number at offset 0) is the signature's
   *key*: signatures are bucketed by ``(side, offset, length)`` and the bytes found
   there, so a file is looked up in a few dictionaries instead of being tried against
   everything. Signatures without a fixed-offset literal are kept on a short list and
   tried only after their cheap conditions pass.
3. Every candidate that passes its conditions is then checked with **fido's own
   regular expressions**, applied exactly as fido applies them (``re.match`` on the
   first buffer for ``BOF``, ``re.search`` on the last buffer for ``EOF``,
   ``re.search`` on the first buffer for ``VAR`` and ``IFB``; other positions are
   ignored, as in fido).
4. The matches are then pruned in fido's order with fido's ``has_priority_over``
   rule (a format is skipped when an earlier match has priority over it; at the end,
   every match something else has priority over is dropped).

Because the last word is always fido's regular expression, the only way to differ from
fido is a wrong necessary condition; ``tests/identify`` checks them with property tests
against fido itself. Formats with a pattern that fido cannot use (no regex, a regex that
does not compile) are tried in full, fido's way, including its "stop this format at the
first error" behaviour.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Iterable, Sequence
from typing import Any, Final

import attrs

from luutru_aip.identify.fido import FormatRecord, SignatureSet

__all__ = ["Condition", "SignatureIndex", "analyse_pattern"]

_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

#: Where a condition looks.
HEAD_START: Final = 0  # literal starts at an offset in [lo, hi] of the first buffer
TAIL_END: Final = 1  # literal ends at a distance in [lo, hi] from the end of the last buffer
HEAD_ANY: Final = 2  # literal occurs somewhere in the first buffer
TAIL_ANY: Final = 3  # literal occurs somewhere in the last buffer

#: fido's pattern positions and the buffer each one reads.
_POS_BUFFER: Final = {"BOF": "head", "EOF": "tail", "VAR": "head", "IFB": "head"}

#: Bucket keys are at most this many bytes long.
_KEY_LEN: Final = 4

#: Top-level regex items whose width the standard parser computes exactly.
_SAFE_OPS: Final = frozenset(
    {
        "LITERAL",
        "NOT_LITERAL",
        "ANY",
        "IN",
        "MAX_REPEAT",
        "MIN_REPEAT",
        "POSSESSIVE_REPEAT",
        "SUBPATTERN",
        "ATOMIC_GROUP",
        "BRANCH",
        "AT",
        "ASSERT",
        "ASSERT_NOT",
        "CATEGORY",
    }
)


@attrs.frozen
class Condition:
    """A necessary condition: ``literal`` must appear in a window of one buffer.

    ``hi`` is ``None`` when the window is unbounded.
    """

    where: int
    literal: bytes
    lo: int = 0
    hi: int | None = None

    @property
    def fixed(self) -> bool:
        return self.where in (HEAD_START, TAIL_END) and self.hi == self.lo

    def cost(self) -> int:
        """Rough cost of checking, to try cheap conditions first."""
        if self.fixed:
            return 0
        if self.hi is None:
            return 1 << 40
        return self.hi - self.lo + 1

    def holds(self, head: bytes, tail: bytes) -> bool:
        """Check this condition (reference form; the index inlines it)."""
        return _holds(self.where, self.literal, self.lo, self.hi, head, tail)


def _holds(where: int, lit: bytes, lo: int, hi: int | None, head: bytes, tail: bytes) -> bool:
    if where == HEAD_START:
        if hi == lo:
            return head.startswith(lit, lo)
        end = len(head) if hi is None else hi + len(lit)
        return head.find(lit, lo, end) >= 0
    if where == TAIL_END:
        size = len(tail)
        stop = size - lo  # the literal ends at or before here
        if stop < len(lit):
            return False
        if hi == lo:
            return tail.endswith(lit, 0, stop)
        start = 0 if hi is None else max(0, size - hi - len(lit))
        return tail.find(lit, start, stop) >= 0
    if where == HEAD_ANY:
        return lit in head
    return lit in tail


_FAR: Final = 1 << 62  # an "unbounded" end for bytes.find


def _normalise(where: int, lit: bytes, lo: int, hi: int | None) -> tuple[bool, bytes, int, int]:
    """A condition as ``(in_tail, literal, a, b)`` for the inlined checks of :meth:`SignatureIndex.match`.

    In the head: ``head.find(literal, a, b) >= 0``. In the tail: the literal lies inside
    ``tail[max(0, size - b) : size - a]``.
    """
    if where == HEAD_START:
        return False, lit, lo, _FAR if hi is None else hi + len(lit)
    if where == HEAD_ANY:
        return False, lit, 0, _FAR
    if where == TAIL_END:
        return True, lit, lo, _FAR if hi is None else hi + len(lit)
    return True, lit, 0, _FAR


def _check(in_tail: bool, lit: bytes, a: int, b: int, head: bytes, tail: bytes) -> bool:
    if not in_tail:
        return head.find(lit, a, b) >= 0
    size = len(tail)
    stop = size - a
    return stop >= len(lit) and tail.find(lit, max(0, size - b), stop) >= 0


def _all_ops_safe(items: Iterable[tuple[Any, Any]]) -> bool:
    for op, av in items:
        name = str(op)
        if name not in _SAFE_OPS:
            return False
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            if not _all_ops_safe(av[2]):
                return False
        elif name == "SUBPATTERN":
            if not _all_ops_safe(av[3]):
                return False
        elif name in ("ATOMIC_GROUP",):
            if not _all_ops_safe(av):
                return False
        elif name in ("ASSERT", "ASSERT_NOT"):
            if not _all_ops_safe(av[1]):
                return False
        elif name == "BRANCH" and not all(_all_ops_safe(branch) for branch in av[1]):
            return False
    return True


def _runs_with_offsets(
    items: Sequence[tuple[Any, Any]], widths: Sequence[tuple[int, int | None]]
) -> list[tuple[bytes, int, int | None]]:
    """Literal runs of ``items`` with the window of their start offset from the first item."""
    out: list[tuple[bytes, int, int | None]] = []
    lo, hi = 0, 0
    hi_open = False
    run = bytearray()
    run_lo, run_hi = 0, 0
    run_open = False
    for (op, av), (wlo, whi) in zip(items, widths, strict=True):
        if op is _c.LITERAL:
            if not run:
                run_lo, run_hi, run_open = lo, hi, hi_open
            run.append(av)
        elif run:
            out.append((bytes(run), run_lo, None if run_open else run_hi))
            run = bytearray()
        lo += wlo
        if whi is None:
            hi_open = True
        else:
            hi += whi
    if run:
        out.append((bytes(run), run_lo, None if run_open else run_hi))
    return out


def analyse_pattern(position: str | None, regex: bytes) -> tuple[Condition, ...]:
    """Necessary conditions for fido's pattern ``(position, regex)`` to match.

    Returns ``()`` when nothing can be said (the pattern is then simply run).
    """
    buffer = _POS_BUFFER.get(position or "")
    if buffer is None:
        return ()  # fido ignores patterns with other positions
    try:
        parsed = _parser.parse(regex)
    except (re.error, TypeError, ValueError, OverflowError, RecursionError):
        return ()
    if parsed.state.flags & re.IGNORECASE:
        return ()
    items = list(parsed)
    if not _all_ops_safe(items):
        return ()
    widths: list[tuple[int, int | None]] = []
    for item in items:
        wlo, whi = _parser.SubPattern(parsed.state, [item]).getwidth()
        widths.append((int(wlo), None if whi >= _c.MAXREPEAT else int(whi)))
    conditions: list[Condition] = []
    anchored_start = (position == "BOF") or (
        bool(items) and items[0][0] is _c.AT and items[0][1] is _c.AT_BEGINNING_STRING
    )
    anchored_end = bool(items) and items[-1][0] is _c.AT and items[-1][1] is _c.AT_END_STRING
    runs = _runs_with_offsets(items, widths)
    if anchored_start and buffer == "head":
        conditions.extend(Condition(HEAD_START, lit, lo, hi) for lit, lo, hi in runs)
    if anchored_end:
        back = _runs_with_offsets(items[::-1], widths[::-1])
        where = TAIL_END if buffer == "tail" else None
        for rlit, lo, hi in back:
            lit = rlit[::-1]
            # ``lo``/``hi`` bound where the reversed run starts, i.e. the distance from the
            # end of the buffer to the end of the literal.
            if where is not None:
                conditions.append(Condition(where, lit, lo, hi))
    if not conditions:
        any_where = HEAD_ANY if buffer == "head" else TAIL_ANY
        conditions.extend(Condition(any_where, lit) for lit, _lo, _hi in runs)
    # The longest unbounded literals are enough; drop one-byte "anywhere" conditions.
    return tuple(c for c in conditions if c.literal and not (c.hi is None and len(c.literal) < 2))


# --------------------------------------------------------------------------- the index

#: How a compiled pattern is applied: 0 = re.match on head, 1 = re.search on tail,
#: 2 = re.search on head, 3 = ignored (fido ignores unknown positions), 4 = fido raises
#: on it (no position, no regex, or a regex that does not compile).
_MATCH_HEAD, _SEARCH_TAIL, _SEARCH_HEAD, _IGNORED, _BROKEN = 0, 1, 2, 3, 4


def _mode(position: str | None) -> int:
    if position == "BOF":
        return _MATCH_HEAD
    if position == "EOF":
        return _SEARCH_TAIL
    if position in ("VAR", "IFB"):
        return _SEARCH_HEAD
    return _IGNORED


@attrs.frozen(kw_only=True)
class _Sig:
    fmt: int
    name: str | None
    #: ``(mode, compiled)``; compiled is None for a pattern fido cannot use.
    patterns: tuple[tuple[int, Any], ...]
    #: Condition tuples ``(where, literal, lo, hi)``, cheapest first.
    checks: tuple[tuple[int, bytes, int, int | None], ...]
    #: The same conditions, normalised (:func:`_normalise`).
    fast: tuple[tuple[bool, bytes, int, int], ...]


class SignatureIndex:
    """fido's signatures compiled for fast, fido-identical matching.

    Build once per process (about 0.1 s); then :meth:`match` is pure and thread-safe.
    """

    def __init__(self, signatures: SignatureSet) -> None:
        self.signatures = signatures
        self.formats: tuple[FormatRecord, ...] = signatures.formats
        self.puids: tuple[str, ...] = tuple(f.puid for f in self.formats)
        self._priority: tuple[frozenset[str], ...] = tuple(f.has_priority_over for f in self.formats)
        sigs: list[_Sig] = []
        fragile: list[int] = []  # formats matched fido's way, in full
        # bucket tables: (side, offset, length) -> {bytes: [sig ids]}
        tables: dict[tuple[int, int, int], dict[bytes, list[int]]] = {}
        always: list[int] = []
        self.stats = {"signatures": 0, "keyed": 0, "unkeyed": 0, "fragile_formats": 0}
        for fidx, fmt in enumerate(self.formats):
            compiled_sigs: list[_Sig] = []
            broken = False
            for sig in fmt.signatures:
                patterns: list[tuple[int, Any]] = []
                conditions: list[Condition] = []
                for position, regex in sig.patterns:
                    mode = _mode(position)
                    if position is None or regex is None:
                        # fido reads .text of both before looking at the position
                        broken = True
                        patterns.append((_BROKEN, None))
                        continue
                    if mode == _IGNORED:
                        patterns.append((mode, None))
                        continue
                    try:
                        patterns.append((mode, re.compile(regex)))
                    except (re.error, TypeError, ValueError, OverflowError, RecursionError):
                        broken = True
                        patterns.append((_BROKEN, None))
                        continue
                    conditions.extend(analyse_pattern(position, regex))
                ordered = sorted(set(conditions), key=lambda c: (c.cost(), -len(c.literal)))
                compiled_sigs.append(
                    _Sig(
                        fmt=fidx,
                        name=sig.name,
                        patterns=tuple(patterns),
                        checks=tuple((c.where, c.literal, c.lo, c.hi) for c in ordered),
                        fast=tuple(_normalise(c.where, c.literal, c.lo, c.hi) for c in ordered),
                    )
                )
            if broken:
                fragile.append(fidx)
                self.stats["fragile_formats"] += 1
            for csig in compiled_sigs:
                sid = len(sigs)
                sigs.append(csig)
                self.stats["signatures"] += 1
                if broken:
                    continue  # tried fido's way in _match_fragile
                key = _choose_key(csig.checks)
                if key is None:
                    always.append(sid)
                    self.stats["unkeyed"] += 1
                    continue
                table_key, value = key
                tables.setdefault(table_key, {}).setdefault(value, []).append(sid)
                self.stats["keyed"] += 1
        self._sigs: tuple[_Sig, ...] = tuple(sigs)
        self._fragile: tuple[int, ...] = tuple(fragile)
        self._fragile_set = frozenset(fragile)
        self._format_sigs: dict[int, tuple[int, ...]] = {}
        for sid, s in enumerate(sigs):
            self._format_sigs.setdefault(s.fmt, ())
            self._format_sigs[s.fmt] += (sid,)
        self._head_tables = tuple(
            (off, off + length, {k: tuple(v) for k, v in table.items()})
            for (side, off, length), table in sorted(tables.items())
            if side == HEAD_START
        )
        self._tail_tables = tuple(
            (off, length, {k: tuple(v) for k, v in table.items()})
            for (side, off, length), table in sorted(tables.items())
            if side == TAIL_END
        )
        # Unkeyed signatures are grouped by their cheapest condition (the "gate"): each
        # distinct gate is checked once per file, not once per signature.
        gates: dict[tuple[int, bytes, int, int | None] | None, list[int]] = {}
        for sid in always:
            checks = sigs[sid].checks
            gates.setdefault(checks[0] if checks else None, []).append(sid)
        self._always: tuple[int, ...] = tuple(gates.pop(None, ()))
        self._head_gates: tuple[tuple[bytes, int, int, tuple[int, ...]], ...] = tuple(
            (n[1], n[2], n[3], tuple(sids))
            for gate, sids in gates.items()
            if gate is not None and not (n := _normalise(*gate))[0]
        )
        self._tail_gates: tuple[tuple[bytes, int, int, tuple[int, ...]], ...] = tuple(
            (n[1], n[2], n[3], tuple(sids))
            for gate, sids in gates.items()
            if gate is not None and (n := _normalise(*gate))[0]
        )
        self.stats["tables"] = len(tables)
        self.stats["gates"] = len(self._head_gates) + len(self._tail_gates)
        # extensions: lower-case extension -> format indexes, in fido's order
        ext: dict[str, list[int]] = {}
        for fidx, fmt in enumerate(self.formats):
            for e in dict.fromkeys(fmt.extensions):
                ext.setdefault(e, []).append(fidx)
        self._extensions = {k: tuple(v) for k, v in ext.items()}
        self._puid_index = {p: i for i, p in enumerate(self.puids)}

    # ------------------------------------------------------------------ signatures

    def candidates(self, head: bytes, tail: bytes) -> list[int]:
        """Signature ids worth trying on these buffers, in fido's order."""
        found: set[int] = set(self._always)
        for lit, a, b, sids in self._head_gates:
            if head.find(lit, a, b) >= 0:
                found.update(sids)
        size = len(tail)
        for lit, a, b, sids in self._tail_gates:
            stop = size - a
            if stop >= len(lit) and tail.find(lit, max(0, size - b), stop) >= 0:
                found.update(sids)
        for start, stop, table in self._head_tables:
            hit = table.get(head[start:stop])
            if hit is not None:
                found.update(hit)
        for dist, length, table in self._tail_tables:
            stop = size - dist
            if stop < length:
                continue
            hit = table.get(tail[stop - length : stop])
            if hit is not None:
                found.update(hit)
        return sorted(found)

    def match(self, head: bytes, tail: bytes) -> list[tuple[int, str | None]]:
        """fido's ``match_formats``: ``[(format index, signature name), …]`` after pruning."""
        matched: dict[int, list[str | None]] = {}
        sigs = self._sigs
        for sid in self.candidates(head, tail):
            sig = sigs[sid]
            ok = True
            for in_tail, lit, a, b in sig.fast:
                if not (head.find(lit, a, b) >= 0 if not in_tail else _check(True, lit, a, b, head, tail)):
                    ok = False
                    break
            if not ok:
                continue
            for mode, rx in sig.patterns:
                if mode == _MATCH_HEAD:
                    if rx.match(head) is None:
                        ok = False
                        break
                elif mode == _SEARCH_TAIL:
                    if rx.search(tail) is None:
                        ok = False
                        break
                elif mode == _SEARCH_HEAD and rx.search(head) is None:
                    ok = False
                    break
            if ok:
                matched.setdefault(sig.fmt, []).append(sig.name)
        for fidx in self._fragile:
            names = self._match_fragile(fidx, head, tail)
            if names:
                matched[fidx] = names
        return self._prune(matched)

    def _match_fragile(self, fidx: int, head: bytes, tail: bytes) -> list[str | None]:
        """fido's loop for one format whose patterns may raise: stop at the first error."""
        names: list[str | None] = []
        for sid in self._format_sigs.get(fidx, ()):
            sig = self._sigs[sid]
            ok = True
            for mode, rx in sig.patterns:
                if mode == _BROKEN:
                    return names  # fido: exception -> log, skip the rest of this format
                if mode == _IGNORED:
                    continue
                buf = tail if mode == _SEARCH_TAIL else head
                hit = rx.match(buf) if mode == _MATCH_HEAD else rx.search(buf)
                if hit is None:
                    ok = False
                    break
            if ok:
                names.append(sig.name)
        return names

    def _prune(self, matched: dict[int, list[str | None]]) -> list[tuple[int, str | None]]:
        """fido's order and ``has_priority_over`` pruning (``match_formats``, ``as_good_as_any``)."""
        if not matched:
            return []
        puids, prio = self.puids, self._priority
        result: list[tuple[int, str | None]] = []
        kept: list[int] = []
        for fidx in sorted(matched):
            puid = puids[fidx]
            if any(f2 != fidx and puid in prio[f2] for f2 in kept):
                continue
            kept.append(fidx)
            result.extend((fidx, name) for name in matched[fidx])
        return [(f1, n) for f1, n in result if not any(f2 != f1 and puids[f1] in prio[f2] for f2 in kept)]

    # ------------------------------------------------------------------ extensions

    def match_extension(self, name: str) -> list[int]:
        """fido's ``match_extensions``: format indexes whose extension is ``name``'s, pruned."""
        ext = os.path.splitext(name)[1].lower().lstrip(".")  # noqa: PTH122 - fido's exact rule
        if not ext:
            return []
        found = list(self._extensions.get(ext, ()))
        if len(found) < 2:
            return found
        puids, prio = self.puids, self._priority
        return [f1 for f1 in found if not any(f2 != f1 and puids[f1] in prio[f2] for f2 in found)]

    # ------------------------------------------------------------------ containers

    def container_type(self, matches: Sequence[tuple[int, str | None]]) -> str | None:
        """fido's ``container_type``: the first match naming a container (``fmt/111`` is OLE2)."""
        for fidx, _name in matches:
            fmt = self.formats[fidx]
            if fmt.container is not None:
                return fmt.container
            if fmt.puid == "fmt/111":
                return "ole"
        return None

    def format_index(self, puid: str) -> int | None:
        return self._puid_index.get(puid)


def _choose_key(
    checks: Sequence[tuple[int, bytes, int, int | None]],
) -> tuple[tuple[int, int, int], bytes] | None:
    """The fixed-offset literal that buckets a signature best, as ``((side, offset, len), bytes)``."""
    best: tuple[tuple[int, int, int], tuple[int, int, int], bytes] | None = None
    for where, lit, lo, hi in checks:
        if hi != lo or where not in (HEAD_START, TAIL_END):
            continue
        length = min(len(lit), _KEY_LEN)
        if where == HEAD_START:
            table, value = (HEAD_START, lo, length), lit[:length]
        else:
            table, value = (TAIL_END, lo, length), lit[-length:]
        # longer keys first, then the start of the file, then small offsets
        rank = (-length, 0 if where == HEAD_START else 1, lo)
        if best is None or rank < best[0]:
            best = (rank, table, value)
    if best is None:
        return None
    return best[1], best[2]
