"""Migration steps as data: the registry of profile versions and their old → new tables (L3).

A *step* takes packages from one profile version to the next, as a database schema migration does.
Each step is one TOML file (``luutru_aip/data/migrate/*.toml``, or a folder given to
:meth:`Registry.load`); its rows carry the old value, the new value, where they apply and the legal
source. :meth:`Registry.chain` finds the steps from a package's version to the target, in order, so a
package several versions behind is migrated step by step (one PREMIS event per step).
"""

from __future__ import annotations

import functools
import hashlib
import os
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Final

import attrs

from luutru_aip.errors import UsageError
from luutru_aip.vocab import CODE_LISTS, code_list, fold

__all__ = [
    "CodeListInfo",
    "Registry",
    "Step",
    "TagRow",
    "TextRow",
    "ValueRow",
    "default_registry",
    "load_step",
]

_LEVELS: Final = ("file", "document")
_PACKAGES: Final = frozenset({"SIP", "AIP"})


@attrs.frozen
class TagRow:
    """An element renamed (``new``) or removed (``new == ""``) in TT05 ``<simpledc>`` files."""

    old: str
    new: str
    level: str
    packages: tuple[str, ...]
    source: str


@attrs.frozen
class ValueRow:
    """A controlled value of ``field`` in code list ``codes`` mapped to a TT05 code (``""``: none exists)."""

    field: str
    codes: str
    old: str
    new: str
    source: str
    old_label: str = ""


@attrs.frozen
class TextRow:
    """An old term replaced inside a controlled label (bag-info values the software wrote)."""

    old: str
    new: str
    source: str


@attrs.frozen
class CodeListInfo:
    """A source code list that ``--from-codes`` can name."""

    name: str
    title: str
    #: Fields whose numeric codes mean something else in this list than in TT05.
    redefines: frozenset[str]


@attrs.frozen
class Step:
    """One migration step: profile version ``source`` → ``target``, with its table."""

    id: str
    source: str
    target: str
    version: str
    title_vi: str
    title_en: str
    from_declarations: tuple[str, ...]
    to_declaration: str
    declaration_source: str
    codelists: Mapping[str, CodeListInfo]
    baginfo_keys: tuple[str, ...]
    tags: tuple[TagRow, ...]
    values: tuple[ValueRow, ...]
    texts: tuple[TextRow, ...]
    #: Where the table came from (file name) and the SHA-256 of its bytes, for the event detail.
    origin: str = ""
    sha256: str = ""

    def tag_rows(self, level: str, package_type: str) -> dict[str, TagRow]:
        """The tag rows of ``level`` for ``package_type``, keyed by old tag."""
        return {r.old: r for r in self.tags if r.level == level and package_type in r.packages}

    def value_row(self, field: str, codes: str, old: str) -> ValueRow | None:
        """The row mapping ``old`` (matched exactly for codes, folded for words) of ``field`` in ``codes``."""
        for row in self.values:
            if row.field == field and row.codes == codes and row.old == old:
                return row
        key = fold(old)
        for row in self.values:
            if row.field == field and row.codes == codes and not row.old.isdigit() and fold(row.old) == key:
                return row
        return None

    def redefined_by(self, field: str) -> tuple[str, ...]:
        """The source code lists in which ``field``'s numeric codes mean something else than in TT05."""
        return tuple(sorted(name for name, info in self.codelists.items() if field in info.redefines))


def _str(raw: Mapping[str, Any], key: str, where: str, *, empty: bool = False) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or (not empty and not value.strip()):
        raise UsageError(f"{where}: '{key}' must be a{'' if empty else ' non-empty'} string")
    return value


def _parse(data: Mapping[str, Any], origin: str, digest: str) -> Step:
    where = origin
    decl = data.get("declaration", {})
    codelists: dict[str, CodeListInfo] = {}
    for name, raw in dict(data.get("codelists", {})).items():
        redefines = frozenset(raw.get("redefines", ()))
        unknown = redefines - set(CODE_LISTS)
        if unknown:
            raise UsageError(f"{where}: code list {name!r} redefines unknown fields {sorted(unknown)}")
        codelists[name] = CodeListInfo(
            name=name, title=_str(raw, "title", f"{where} [{name}]"), redefines=redefines
        )
    tags: list[TagRow] = []
    for index, raw in enumerate(data.get("tag", ()), 1):
        row_where = f"{where} tag row {index}"
        level = _str(raw, "level", row_where)
        packages = tuple(raw.get("packages", ("SIP", "AIP")))
        if level not in _LEVELS or not packages or not set(packages) <= _PACKAGES:
            raise UsageError(f"{row_where}: level must be file|document and packages SIP/AIP")
        tags.append(
            TagRow(
                old=_str(raw, "old", row_where),
                new=_str(raw, "new", row_where, empty=True),
                level=level,
                packages=packages,
                source=_str(raw, "source", row_where),
            )
        )
    values: list[ValueRow] = []
    for index, raw in enumerate(data.get("value", ()), 1):
        row_where = f"{where} value row {index}"
        row = ValueRow(
            field=_str(raw, "field", row_where),
            codes=_str(raw, "codes", row_where),
            old=_str(raw, "old", row_where),
            new=_str(raw, "new", row_where, empty=True),
            source=_str(raw, "source", row_where),
            old_label=str(raw.get("old_label", "")),
        )
        if row.field not in CODE_LISTS:
            raise UsageError(f"{row_where}: {row.field!r} is not a TT05 code field")
        if row.codes not in codelists:
            raise UsageError(f"{row_where}: code list {row.codes!r} is not declared under [codelists]")
        if row.new and row.new not in code_list(row.field).codes:
            raise UsageError(f"{row_where}: {row.new!r} is not a TT05 code of {row.field}")
        values.append(row)
    texts = [
        TextRow(
            old=_str(raw, "old", f"{where} text row {i}"),
            new=_str(raw, "new", f"{where} text row {i}"),
            source=_str(raw, "source", f"{where} text row {i}"),
        )
        for i, raw in enumerate(data.get("text", ()), 1)
    ]
    return Step(
        id=_str(data, "id", where),
        source=_str(data, "from", where),
        target=_str(data, "to", where),
        version=_str(data, "version", where),
        title_vi=_str(data, "title_vi", where),
        title_en=_str(data, "title_en", where),
        from_declarations=tuple(decl.get("from_content_information_types", ())),
        to_declaration=_str(decl, "to_content_information_type", f"{where} [declaration]"),
        declaration_source=_str(decl, "source", f"{where} [declaration]"),
        codelists=codelists,
        baginfo_keys=tuple(data.get("baginfo_keys", ())),
        tags=tuple(tags),
        values=tuple(values),
        # Longest first, so "tài liệu lưu trữ quý, hiếm" wins over "tài liệu quý, hiếm".
        texts=tuple(sorted(texts, key=lambda t: -len(t.old))),
        origin=origin,
        sha256=digest,
    )


def load_step(path: str | os.PathLike[str]) -> Step:
    """Read one step file (raises :class:`~luutru_aip.errors.UsageError` naming the bad row)."""
    raw = Path(path).read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: not a TOML migration table: {exc}") from None
    return _parse(data, Path(path).name, hashlib.sha256(raw).hexdigest())


@attrs.frozen
class Registry:
    """The known steps; profile versions are the nodes, steps the edges."""

    steps: tuple[Step, ...]

    def __attrs_post_init__(self) -> None:
        seen: dict[str, str] = {}
        for step in self.steps:
            if step.source in seen:
                raise UsageError(
                    f"two migration steps start from {step.source!r} ({seen[step.source]} and {step.id})"
                )
            seen[step.source] = step.id

    def with_steps(self, extra: Iterable[Step]) -> Registry:
        """This registry plus ``extra`` steps (for example a future legal change)."""
        return Registry(steps=(*self.steps, *extra))

    def load(self, folder: str | os.PathLike[str]) -> Registry:
        """This registry plus every ``*.toml`` step in ``folder``."""
        files = sorted(Path(folder).glob("*.toml"))
        if not files:
            raise UsageError(f"{folder}: no migration step (*.toml) found")
        return self.with_steps(load_step(f) for f in files)

    @property
    def versions(self) -> tuple[str, ...]:
        """Every profile version, oldest first along the chains."""
        out: list[str] = []
        for step in self.steps:
            for version in (step.source, step.target):
                if version not in out:
                    out.append(version)
        return tuple(out)

    @property
    def latest(self) -> str:
        """The version no step starts from (the newest)."""
        sources = {s.source for s in self.steps}
        ends = [v for v in self.versions if v not in sources]
        if len(ends) != 1:
            raise UsageError(f"the migration steps do not end in one version ({ends})")
        return ends[0]

    def detect(self, declared: str | None) -> str | None:
        """The profile version a package declares (``csip:OTHERCONTENTINFORMATIONTYPE``), if certain."""
        if not declared:
            return None
        text = declared.strip()
        # A step's target declaration names its target; when a later step lists the same declaration as
        # its source, that source is the same version, so looking at targets first is enough.
        targets = {s.to_declaration: s.target for s in self.steps}
        sources = {d: s.source for s in self.steps for d in s.from_declarations}
        return targets.get(text) or sources.get(text)

    def chain(self, source: str, target: str) -> tuple[Step, ...]:
        """The steps from ``source`` to ``target`` in order (empty when equal)."""
        by_source = {s.source: s for s in self.steps}
        out: list[Step] = []
        current = source
        while current != target:
            step = by_source.get(current)
            if step is None or len(out) > len(self.steps):
                raise LookupError(f"no migration path from {source!r} to {target!r}")
            out.append(step)
            current = step.target
        return tuple(out)

    def codelist_names(self) -> tuple[str, ...]:
        """Every source code list any step knows."""
        return tuple(sorted({name for s in self.steps for name in s.codelists}))


@functools.cache
def default_registry() -> Registry:
    """The steps shipped in ``luutru_aip/data/migrate``."""
    folder = resources.files("luutru_aip").joinpath("data", "migrate")
    steps: list[Step] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            raw = entry.read_bytes()
            steps.append(
                _parse(tomllib.loads(raw.decode("utf-8")), entry.name, hashlib.sha256(raw).hexdigest())
            )
    return Registry(steps=tuple(steps))


def check_codes(registry: Registry, codes: str | None) -> str | None:
    """``codes`` if some step knows that source code list (else a UsageError listing the known ones)."""
    if codes is None:
        return None
    known: Sequence[str] = registry.codelist_names()
    if codes not in known:
        raise UsageError(f"--from-codes {codes!r} is not a known code list; known: {', '.join(known)}")
    return codes
