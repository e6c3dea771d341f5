"""TT05 code lists, field tables and the 2011 → 2024 vocabulary, loaded from package data (L0).

The data lives in ``luutru_aip/data/vocab/`` (reference §b, §d3–d5):

* ``tt05-codes.toml``: the code lists (``maintenance``, ``mode``, ``language``, ``confidenceLevel``,
  ``format``, ``riskRecoveryStatus``, ``typeName``) with their labels and the free-text aliases that
  archivists type instead of codes;
* ``tt05-fields.toml``: the simpledc field tables of ``EAD.xml`` (hồ sơ) and ``EAD_doc_*.xml``
  (tài liệu), in element order, with types, lengths and obligations;
* ``terms-2024.toml``: old → new vocabulary with the legal source of each row.

Normalisation never guesses. :meth:`CodeList.normalise` returns a :class:`Normalised` whose
``status`` says whether the raw value was a code, a recognised label or alias, blank, unknown, or
*ambiguous* (a legacy value that meant different things in different code lists, such as "Hạn chế").
Matching first compares the value case-insensitively with its diacritics; only when that fails does it
compare a folded form without diacritics ("vinh vien"), and a folded form shared by two codes (``HĐ``
hợp đồng and ``HD`` hướng dẫn) is ambiguous unless typed exactly.
"""

from __future__ import annotations

import enum
import functools
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from importlib import resources
from typing import Any, Final

import attrs

__all__ = [
    "CODE_LISTS",
    "CodeList",
    "FieldSpec",
    "Normalised",
    "Status",
    "Term",
    "code_list",
    "field_table",
    "fold",
    "normalise_boolean",
    "normalise_languages",
    "old_terms_in",
    "terms",
    "terms_version",
]

CODE_LISTS: Final = (
    "maintenance",
    "mode",
    "language",
    "confidenceLevel",
    "format",
    "riskRecoveryStatus",
    "typeName",
)

_PUNCT = re.compile(r"[\s\.,;:_\-–—/\\()\[\]\"'`]+")


def fold(text: str) -> str:
    """Fold *text* for loose matching: NFC, lower case, no diacritics (đ → d), punctuation to spaces.

    >>> fold("  Vĩnh  VIỄN ")
    'vinh vien'
    >>> fold("Quyết định") == fold("quyet dinh") == fold("QUYẾT ĐỊNH")
    True
    """
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _PUNCT.sub(" ", bare.casefold()).strip()


def _exact(text: str) -> str:
    """Case-insensitive key that keeps diacritics (NFC), with spacing/punctuation collapsed."""
    return _PUNCT.sub(" ", unicodedata.normalize("NFC", text).casefold()).strip()


class Status(enum.Enum):
    """How a raw value was normalised."""

    CODE = "code"  # the value was already a code ("01", 1)
    MATCHED = "matched"  # a label or alias matched
    BLANK = "blank"  # empty cell
    UNKNOWN = "unknown"  # nothing matched
    AMBIGUOUS = "ambiguous"  # matches a legacy value with conflicting meanings, or two codes


@attrs.frozen
class Normalised:
    """The outcome of normalising one raw value against one code list."""

    status: Status
    code: str | None = None
    #: Candidate codes for an ambiguous value (may be empty for a legacy value with no safe mapping).
    candidates: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.code is not None


@attrs.frozen
class CodeList:
    """One TT05 code list: ``codes`` maps each code to its 2024-vocabulary label."""

    name: str
    label_vi: str
    source: str
    codes: Mapping[str, str]
    _exact_map: Mapping[str, str] = attrs.field(repr=False)
    _folded_map: Mapping[str, tuple[str, ...]] = attrs.field(repr=False)
    _ambiguous: frozenset[str] = attrs.field(repr=False)

    def label(self, code: str) -> str:
        """The label of *code* (KeyError when it is not in the list)."""
        return self.codes[code]

    def normalise(self, raw: object) -> Normalised:
        """Map a cell value (code, number, label or alias, any case, with or without diacritics).

        >>> code_list("maintenance").normalise("vinh vien").code
        '01'
        >>> code_list("maintenance").normalise(1).code
        '01'
        >>> code_list("mode").normalise("Hạn chế").status
        <Status.AMBIGUOUS: 'ambiguous'>
        """
        if raw is None or isinstance(raw, bool):
            return Normalised(Status.BLANK if raw is None else Status.UNKNOWN)
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        text = str(raw).strip()
        if not text:
            return Normalised(Status.BLANK)
        if text.isascii() and text.isdigit() and len(text) <= 3:
            code = f"{int(text):02d}"
            if code in self.codes and (len(text) <= 2 or text.startswith("0")):
                return Normalised(Status.CODE, code)
        key = _exact(text)
        if key in self._ambiguous:
            return Normalised(Status.AMBIGUOUS)
        if key in self._exact_map:
            return Normalised(Status.MATCHED, self._exact_map[key])
        folded = fold(text)
        if folded in self._ambiguous:
            return Normalised(Status.AMBIGUOUS)
        found = self._folded_map.get(folded, ())
        if len(found) == 1:
            return Normalised(Status.MATCHED, found[0])
        if len(found) > 1:
            return Normalised(Status.AMBIGUOUS, None, found)
        return Normalised(Status.UNKNOWN)


def _read(name: str) -> dict[str, Any]:
    text = resources.files("luutru_aip").joinpath("data", "vocab", name).read_text(encoding="utf-8")
    return tomllib.loads(text)


def _build_list(name: str, table: Mapping[str, Any]) -> CodeList:
    codes: dict[str, str] = {}
    exact: dict[str, str] = {}
    folded: dict[str, set[str]] = {}
    for code, entry in table["codes"].items():
        codes[code] = entry["label"]
        for alias in (entry["label"], *entry.get("aliases", ())):
            key = _exact(alias)
            if exact.get(key, code) != code:
                raise ValueError(
                    f"tt05-codes.toml [{name}]: alias {alias!r} is under {exact[key]} and {code}"
                )
            exact[key] = code
            folded.setdefault(fold(alias), set()).add(code)
    ambiguous = frozenset(key for value in table.get("ambiguous", ()) for key in (_exact(value), fold(value)))
    return CodeList(
        name=name,
        label_vi=table["label_vi"],
        source=table["source"],
        codes=codes,
        exact_map=exact,
        folded_map={key: tuple(sorted(value)) for key, value in folded.items()},
        ambiguous=ambiguous,
    )


@functools.cache
def _lists() -> dict[str, CodeList]:
    data = _read("tt05-codes.toml")
    return {name: _build_list(name, data[name]) for name in CODE_LISTS}


def code_list(name: str) -> CodeList:
    """The code list called *name* (one of :data:`CODE_LISTS`)."""
    return _lists()[name]


#: Language pairs that TT05 codes as one bilingual value (reference §d5).
_PAIRS: Final = {
    frozenset({"01", "02"}): "06",
    frozenset({"01", "04"}): "07",
    frozenset({"01", "03"}): "08",
    frozenset({"01", "05"}): "10",
}
_LANG_SPLIT = re.compile(r"\s*(?:[,;/+]|\bvà\b|\bva\b|\band\b)\s*", re.IGNORECASE)


def normalise_languages(raw: object) -> tuple[Normalised, ...]:
    """Normalise a language cell that may hold several languages.

    Each part is normalised on its own; exactly Vietnamese plus one of English, Russian, French or
    Chinese becomes TT05's bilingual code.

    >>> [n.code for n in normalise_languages("Tiếng Việt, Tiếng Anh")]
    ['06']
    >>> [n.code for n in normalise_languages("Tiếng Việt; Hán Nôm")]
    ['01', '09']
    """
    languages = code_list("language")
    whole = languages.normalise(raw)
    if whole.status is not Status.UNKNOWN or raw is None:
        return (whole,)
    parts = [part for part in _LANG_SPLIT.split(str(raw)) if part.strip()]
    results = tuple(languages.normalise(part) for part in parts)
    codes = [r.code for r in results if r.code]
    if len(codes) == len(results) == 2 and frozenset(codes) in _PAIRS:
        return (Normalised(Status.MATCHED, _PAIRS[frozenset(codes)]),)
    seen: dict[str | None, Normalised] = {}
    for result in results:
        seen.setdefault(result.code if result.ok else f"?{len(seen)}", result)
    return tuple(seen.values())


_TRUE: Final = frozenset({"1", "co", "x", "true", "yes", "dung", "da lap", "du phong", "bao hiem"})
_FALSE: Final = frozenset({"0", "khong", "false", "no", "sai"})


def normalise_boolean(raw: object) -> Normalised:
    """Normalise a TT05 Boolean (``riskRecovery``, ``process``) to ``"1"`` or ``"0"``.

    >>> normalise_boolean("Có").code, normalise_boolean(0).code, normalise_boolean("x").code
    ('1', '0', '1')
    """
    if raw is None:
        return Normalised(Status.BLANK)
    if isinstance(raw, bool):
        return Normalised(Status.MATCHED, "1" if raw else "0")
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return Normalised(Status.CODE, str(int(raw)))
    text = fold(str(raw))
    if not text:
        return Normalised(Status.BLANK)
    if text in _TRUE:
        return Normalised(Status.CODE if text == "1" else Status.MATCHED, "1")
    if text in _FALSE:
        return Normalised(Status.CODE if text == "0" else Status.MATCHED, "0")
    return Normalised(Status.UNKNOWN)


@attrs.frozen
class FieldSpec:
    """One simpledc field (reference §d3/§d4)."""

    tag: str
    label: str
    type: str
    obligation: str
    length: int | None = None
    codelist: str | None = None
    multiple: bool = False
    condition: str | None = None
    packages: tuple[str, ...] = ("SIP", "AIP")
    sip_tag: str | None = None
    sip_label: str | None = None

    def tag_for(self, package_type: str) -> str:
        return self.sip_tag if package_type == "SIP" and self.sip_tag else self.tag

    def label_for(self, package_type: str) -> str:
        return self.sip_label if package_type == "SIP" and self.sip_label else self.label


@functools.cache
def _fields() -> dict[str, tuple[FieldSpec, ...]]:
    data = _read("tt05-fields.toml")
    out: dict[str, tuple[FieldSpec, ...]] = {}
    for level in ("file", "document"):
        specs = []
        for row in data[level]["fields"]:
            row = dict(row)
            row["packages"] = tuple(row.get("packages", ("SIP", "AIP")))
            specs.append(FieldSpec(**row))
        out[level] = tuple(specs)
    return out


def field_table(level: str, package_type: str) -> tuple[FieldSpec, ...]:
    """The simpledc fields of *level* (``"file"`` or ``"document"``) for ``"SIP"`` or ``"AIP"``, in order.

    >>> [f.tag_for("SIP") for f in field_table("file", "SIP")][:3]
    ['fileCode', 'title', 'maintenance']
    """
    if package_type not in ("SIP", "AIP"):
        raise ValueError(f"package type must be SIP or AIP, not {package_type!r}")
    return tuple(spec for spec in _fields()[level] if package_type in spec.packages)


@attrs.frozen
class Term:
    """One row of the 2011 → 2024 vocabulary."""

    old: str
    new: str
    applies_to: str
    source: str


@functools.cache
def _terms() -> tuple[str, tuple[Term, ...]]:
    data = _read("terms-2024.toml")
    return data["version"], tuple(Term(**row) for row in data["term"])


def terms() -> tuple[Term, ...]:
    """The old → new vocabulary rows."""
    return _terms()[1]


def terms_version() -> str:
    """The version of the vocabulary mapping (recorded in PREMIS event details)."""
    return _terms()[0]


def old_terms_in(text: str) -> tuple[Term, ...]:
    """The rows whose *old* term occurs in *text* (case- and normalisation-insensitive).

    >>> [t.new for t in old_terms_in("Kế hoạch bảo hiểm tài liệu lưu trữ năm 2020")]
    ['lưu trữ dự phòng']
    """
    haystack = _exact(text)
    return tuple(term for term in terms() if _exact(term.old) in haystack)
