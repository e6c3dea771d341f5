"""Normalising one cell to a TT05 value (reference §d3–d5), with a finding for anything it cannot do.

Every function takes a :class:`Sink` (where findings go), the :class:`~._table.Cell` and the field, and
returns the normalised value or ``None``. None of them guesses: a value that cannot be read as the field
wants gives an error finding naming the cell, the value and what is allowed, and ``None``. They accept
any Python object (what openpyxl, csv and json return, and worse) and never raise.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, time
from typing import Any, Final

import attrs

from luutru_aip import vocab
from luutru_aip.findings import Finding, ParamValue, Severity, finding
from luutru_aip.model import PartialDate

from ._spec import FieldDef, spec_length
from ._table import Cell

__all__ = [
    "Sink",
    "allowed_codes",
    "boolean_value",
    "code_value",
    "date_parts_value",
    "date_range_value",
    "date_value",
    "keywords_value",
    "languages_value",
    "number_notation_value",
    "number_value",
    "parse_date_text",
    "printable",
    "show",
    "text_value",
    "year_value",
]

_SHOW_LIMIT: Final = 120


class Sink:
    """Collects the findings of one hồ sơ (or of the whole input) and the codes that block it."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.findings: list[Finding] = []
        #: Codes that make the hồ sơ unpackageable without a finding of their own here (the finding was
        #: given once for the whole sheet, for example a missing required column).
        self.reasons: list[str] = []

    def add(self, code: str, address: str | None, **params: ParamValue) -> None:
        extra: dict[str, Any] = dict(params)
        self.findings.append(finding(code, path=self.source, field=address, **extra))

    def block(self, code: str) -> None:
        self.reasons.append(code)

    def error_count(self) -> int:
        """How many errors so far (findings at error severity plus blocking reasons)."""
        return sum(1 for f in self.findings if f.severity >= Severity.ERROR) + len(self.reasons)

    def error_codes(self, *, strict: bool = False) -> list[str]:
        """The codes that stop this hồ sơ being packaged, first-seen order."""
        worst = Severity.WARNING if strict else Severity.ERROR
        codes = [f.code for f in self.findings if f.severity >= worst] + list(self.reasons)
        return list(dict.fromkeys(codes))


def show(value: object) -> str:
    """A cell value as text for a message: escaped (no terminal tricks), shortened."""
    if isinstance(value, datetime):
        text = value.isoformat(sep=" ")
    elif isinstance(value, (date, time)):
        text = value.isoformat()
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, (list, tuple)):
        text = ", ".join(show(v) for v in value)
    else:
        text = str(value)
    text = printable(text.replace("\n", " "))
    return text if len(text) <= _SHOW_LIMIT else text[: _SHOW_LIMIT - 1] + "…"


#: Bidirectional formatting characters: they can make a printed value look like another one.
_BIDI: Final = frozenset("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def printable(text: str) -> str:
    """*text* with control, line-separator, surrogate and bidi characters escaped (``\\x1b``).

    Unlike :func:`luutru_aip._fs.display_name` it leaves backslashes alone, so that Windows paths
    written in a sheet (``\\Phong\\hop01``) read as written; the text renderer escapes again anyway.
    """
    out: list[str] = []
    for ch in text:
        if ch in _BIDI or unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp"):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def allowed_codes(codelist: str) -> str:
    """``01 Vĩnh viễn, 02 70 năm, …`` for messages."""
    return ", ".join(f"{code} {label}" for code, label in vocab.code_list(codelist).codes.items())


def _kind_of(value: object) -> str | None:
    """A word for a value of the wrong kind for a text/number/code field, or ``None`` when acceptable."""
    if isinstance(value, bool):
        return "TRUE/FALSE"
    if isinstance(value, (datetime, date)):
        return "date"
    if isinstance(value, time):
        return "time"
    if isinstance(value, float) and not math.isfinite(value):
        return "number"
    if isinstance(value, (str, int, float)):
        return None
    return type(value).__name__


def _bad_characters(text: str) -> bool:
    for ch in text:
        code = ord(ch)
        if (code < 0x20 and ch not in "\t\n\r") or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF:
            return True
        if code in (0xFFFE, 0xFFFF):
            return True
    return False


def _plain(value: int | float | str) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def text_value(sink: Sink, cell: Cell, spec: FieldDef) -> str | None:
    """Free text: NFC, trimmed; numbers as written (``12``, never ``12.0``); length checked against TT05."""
    value = cell.value
    if cell.blank:
        return None
    kind = _kind_of(value)
    if kind is not None:
        sink.add("ING040", cell.address, value=show(value), label=spec.label, kind=kind)
        return None
    assert isinstance(value, (str, int, float))
    text = unicodedata.normalize("NFC", _plain(value)).strip()
    if _bad_characters(text):
        sink.add("ING051", cell.address, label=spec.label)
        return None
    limit = spec_length(spec.level, spec.tag) if spec.tag else None
    if limit is not None and len(text) > limit:
        sink.add("ING039", cell.address, label=spec.label, length=len(text), limit=limit)
    return text


def _report_code(sink: Sink, cell: Cell, spec: FieldDef, result: vocab.Normalised, codelist: str) -> None:
    allowed = allowed_codes(codelist)
    if result.status is vocab.Status.AMBIGUOUS and result.candidates:
        candidates = ", ".join(f"{c} {vocab.code_list(codelist).label(c)}" for c in result.candidates)
        sink.add("ING052", cell.address, value=show(cell.value), label=spec.label, candidates=candidates)
    elif result.status is vocab.Status.AMBIGUOUS:
        sink.add("ING032", cell.address, value=show(cell.value), label=spec.label, allowed=allowed)
    else:
        sink.add("ING031", cell.address, value=show(cell.value), label=spec.label, allowed=allowed)


def code_value(sink: Sink, cell: Cell, spec: FieldDef) -> str | None:
    """A code of the field's TT05 list from a code (``"01"``, ``1``), a label or an alias."""
    if cell.blank:
        return None
    assert spec.codelist is not None
    kind = _kind_of(cell.value)
    if kind is not None:
        sink.add("ING040", cell.address, value=show(cell.value), label=spec.label, kind=kind)
        return None
    value = cell.value
    if isinstance(value, str):
        value = unicodedata.normalize("NFC", value)
    result = vocab.code_list(spec.codelist).normalise(value)
    if result.code is not None:
        return result.code
    _report_code(sink, cell, spec, result, spec.codelist)
    return None


def languages_value(sink: Sink, cell: Cell, spec: FieldDef) -> tuple[str, ...] | None:
    """One or more TT05 language codes (``"Tiếng Việt, Tiếng Anh"`` → ``("06",)``)."""
    if cell.blank:
        return None
    raw = cell.value
    items = list(raw) if isinstance(raw, (list, tuple)) else [raw]
    if len(items) > 1 and all(isinstance(i, str) for i in items):
        # a JSON list reads like the comma-separated cell: Việt + one of Anh/Nga/Pháp/Trung = one code
        items = [", ".join(str(i) for i in items if str(i).strip())]
    codes: list[str] = []
    for item in items:
        if isinstance(item, str) and not item.strip():
            continue
        kind = _kind_of(item)
        if kind is not None:
            sink.add("ING040", cell.address, value=show(item), label=spec.label, kind=kind)
            return None
        text = unicodedata.normalize("NFC", item) if isinstance(item, str) else item
        for result in vocab.normalise_languages(text):
            if result.code is None:
                _report_code(sink, Cell(item, cell.address, cell.row), spec, result, "language")
                return None
            codes.append(result.code)
    unique = tuple(dict.fromkeys(codes))
    return unique or None


_BOOLEAN_ALLOWED: Final = "1 / Có / x / TRUE, 0 / Không / FALSE"


def boolean_value(sink: Sink, cell: Cell, spec: FieldDef) -> bool | None:
    """A TT05 Boolean: ``1``/``0``, ``Có``/``Không``, ``x``, TRUE/FALSE."""
    if cell.blank:
        return None
    value = cell.value
    if isinstance(value, (datetime, date, time)) or not isinstance(value, (str, int, float, bool)):
        sink.add("ING040", cell.address, value=show(value), label=spec.label, kind=_kind_of(value))
        return None
    result = vocab.normalise_boolean(value)
    if result.code is None:
        sink.add("ING031", cell.address, value=show(value), label=spec.label, allowed=_BOOLEAN_ALLOWED)
        return None
    return result.code == "1"


_INTEGER_TEXT: Final = re.compile(r"^\s*([0-9]+)(?:\.0+)?\s*$")


def _integer(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str):
        match = _INTEGER_TEXT.match(value)
        if match and len(match.group(1)) <= 18:
            return int(match.group(1))
    return None


def number_value(sink: Sink, cell: Cell, spec: FieldDef, *, minimum: int = 0) -> int | None:
    """A whole number ≥ *minimum*: ``5``, ``5.0``, ``"05"``, ``"0012"``."""
    if cell.blank:
        return None
    value = cell.value
    kind = _kind_of(value)
    if kind is not None and kind != "number":
        sink.add("ING040", cell.address, value=show(value), label=spec.label, kind=kind)
        return None
    number = _integer(value)
    if number is None or number < minimum:
        sink.add("ING033", cell.address, value=show(value), label=spec.label, minimum=minimum)
        return None
    return number


def year_value(sink: Sink, cell: Cell, spec: FieldDef) -> int | None:
    """A four-digit year (``2001``)."""
    if cell.blank:
        return None
    number = number_value(sink, cell, spec)
    if number is None:
        return None
    if not 1000 <= number <= 9999:
        sink.add("ING035", cell.address, value=show(cell.value), label=spec.label, reason=f"year {number}")
        return None
    return number


# --------------------------------------------------------------------------- dates


class _NotADate(ValueError):
    pass


_ISO: Final = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DMY: Final = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_MY: Final = re.compile(r"^(\d{1,2})[/.\-](\d{4})$")
_Y: Final = re.compile(r"^(\d{4})$")
_WORDS: Final = re.compile(r"^(?:ngay (\d{1,2}) )?(?:thang (\d{1,2}) )?nam (\d{4})$")


def _parts_of(text: str) -> tuple[int, int | None, int | None]:
    """(year, month, day) of a date text; raises :class:`_NotADate`."""
    text = unicodedata.normalize("NFC", text).strip()
    match = _ISO.match(text)
    if match:
        year, month, day = match.groups()
        return int(year), int(month), int(day) if day else None
    match = _DMY.match(text)
    if match:
        day, month, year = match.groups()
        return int(year), int(month), int(day)
    match = _MY.match(text)
    if match:
        month, year = match.groups()
        return int(year), int(month), None
    match = _Y.match(text)
    if match:
        return int(match.group(1)), None, None
    match = _WORDS.match(vocab.fold(text))
    if match:
        day, month, year = match.groups()
        return int(year), int(month) if month else None, int(day) if day else None
    raise _NotADate(text)


def parse_date_text(text: str) -> PartialDate:
    """Parse a date as archivists type it; :class:`ValueError` if it is not one or is impossible.

    Accepted: ``15/03/2001``, ``15-3-2001``, ``15.03.2001``, ``03/2001``, ``2001``, ``2001-03-15``
    (optionally with a time, as CSV exports write it), ``2001-03``, ``ngày 15 tháng 3 năm 2001``.

    >>> parse_date_text("ngày 5 tháng 3 năm 2001").tt05()
    '05/03/2001'
    """
    year, month, day = _parts_of(text)
    return PartialDate(year, month, day)


def _from_text(sink: Sink, cell: Cell, spec: FieldDef, text: str) -> PartialDate | None:
    try:
        year, month, day = _parts_of(text)
    except _NotADate:
        sink.add("ING034", cell.address, value=show(text), label=spec.label)
        return None
    try:
        return PartialDate(year, month, day)
    except ValueError as exc:
        sink.add("ING035", cell.address, value=show(text), label=spec.label, reason=str(exc))
        return None


def date_value(sink: Sink, cell: Cell, spec: FieldDef) -> PartialDate | None:
    """A date from an Excel date, a year number or text (:func:`parse_date_text`)."""
    if cell.blank:
        return None
    value = cell.value
    if isinstance(value, (datetime, date)):
        day = value.date() if isinstance(value, datetime) else value
        if day.year < 1000:
            sink.add("ING035", cell.address, value=show(value), label=spec.label, reason=f"year {day.year}")
            return None
        return PartialDate.from_date(day)
    if isinstance(value, str):
        return _from_text(sink, cell, spec, value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = _integer(value)
        if number is not None and 1000 <= number <= 9999:
            return PartialDate(number)
        sink.add("ING034", cell.address, value=show(value), label=spec.label)
        return None
    sink.add("ING040", cell.address, value=show(value), label=spec.label, kind=_kind_of(value))
    return None


def date_parts_value(
    sink: Sink,
    day: Cell | None,
    month: Cell | None,
    year: Cell | None,
    spec: FieldDef,
) -> PartialDate | None:
    """A date from split day / month / year columns; blank day (and month) give a partial date."""
    numbers: dict[str, int | None] = {}
    cells = {"day": day, "month": month, "year": year}
    failed = False
    for name, cell in cells.items():
        if cell is None or cell.blank:
            numbers[name] = None
            continue
        number = number_value(sink, cell, spec, minimum=1)
        failed = failed or number is None
        numbers[name] = number
    if failed or all(v is None for v in numbers.values()):
        return None
    given = next(c for c in (day, month, year) if c is not None and not c.blank)
    if numbers["year"] is None:
        where = year.address if year is not None else given.address
        sink.add("ING036", where, label=spec.label)
        return None
    if numbers["day"] is not None and numbers["month"] is None:
        where = month.address if month is not None else given.address
        sink.add("ING036", where, label=spec.label)
        return None
    shown = "/".join(str(v) for v in (numbers["day"], numbers["month"], numbers["year"]) if v is not None)
    try:
        return PartialDate(numbers["year"], numbers["month"], numbers["day"])
    except ValueError as exc:
        sink.add("ING035", given.address, value=shown, label=spec.label, reason=str(exc))
        return None


_RANGE: Final = re.compile(r"^\s*(.*?\d{4})\s*(?:[-–—]|đến|den|to)\s*(\d.*?)\s*$", re.IGNORECASE)


def date_range_value(sink: Sink, cell: Cell, spec: FieldDef) -> tuple[PartialDate | None, PartialDate | None]:
    """A "Thời gian" cell: ``01/2001 - 12/2001``, ``2001–2003``, ``15/03/2001 đến 20/12/2001``, or one date
    (then the hồ sơ starts and ends with it)."""
    if cell.blank:
        return None, None
    value = cell.value
    if isinstance(value, str):
        text = unicodedata.normalize("NFC", value).strip()
        match = _RANGE.match(text)
        if match:
            try:
                first = _parts_of(match.group(1))
                second = _parts_of(match.group(2))
            except _NotADate:
                pass
            else:
                try:
                    return PartialDate(*first), PartialDate(*second)
                except ValueError as exc:
                    sink.add("ING035", cell.address, value=show(text), label=spec.label, reason=str(exc))
                    return None, None
    single = date_value(sink, cell, spec)
    return single, single


_KEYWORD_SPLIT: Final = re.compile(r"\s*[;,\n]\s*")


def keywords_value(sink: Sink, cell: Cell, spec: FieldDef) -> tuple[str, ...]:
    """Keywords separated by ``;``, ``,`` or line breaks (or a JSON list)."""
    if cell.blank:
        return ()
    raw = cell.value
    items = list(raw) if isinstance(raw, (list, tuple)) else [raw]
    out: list[str] = []
    for item in items:
        text = text_value(sink, Cell(item, cell.address, cell.row), _no_length(spec))
        if text is None:
            continue
        out.extend(part for part in _KEYWORD_SPLIT.split(text) if part)
    unique = tuple(dict.fromkeys(out))
    limit = spec_length(spec.level, spec.tag) if spec.tag else None
    joined = ", ".join(unique)
    if limit is not None and len(joined) > limit:
        sink.add("ING039", cell.address, label=spec.label, length=len(joined), limit=limit)
    return unique


def _no_length(spec: FieldDef) -> FieldDef:
    return attrs.evolve(spec, tag=None)


_NUMBER_NOTATION: Final = re.compile(r"^(?:số\s*:?\s*)?([0-9]+[A-Za-z]?)\s*/\s*(\S.*)$", re.IGNORECASE)
_ONLY_NUMBER: Final = re.compile(r"^(?:số\s*:?\s*)?([0-9]+[A-Za-z]?)$", re.IGNORECASE)


def number_notation_value(sink: Sink, cell: Cell, spec: FieldDef) -> tuple[str | None, str | None]:
    """Split ``12/QĐ-UBND`` into number ``12`` and notation ``QĐ-UBND`` (NĐ 30/2020 Art. 15)."""
    text = text_value(sink, cell, spec)
    if text is None:
        return None, None
    match = _NUMBER_NOTATION.match(text)
    if match:
        return match.group(1), match.group(2).strip()
    match = _ONLY_NUMBER.match(text)
    if match:
        return match.group(1), None
    return None, text
