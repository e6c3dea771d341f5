"""Streaming reader for BagIt text tag files (RFC 8493 §2.3).

Lines end with LF, CR or CRLF; the text is in the encoding declared by
``bagit.txt``. The reader decodes incrementally (a manifest with ten million
lines is never held in memory), never raises for bad bytes, and reports per
line whether the bytes were valid in that encoding. A line longer than
:data:`MAX_LINE` characters (binary garbage without line breaks) is cut and
flagged rather than accumulated.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from typing import IO, Final

__all__ = ["MAX_LINE", "TagLine", "TagLineReader"]

#: Longest line kept, in characters; longer lines are reported truncated.
MAX_LINE: Final = 1 << 20
_CHUNK: Final = 1 << 20
_UTF8_BOM: Final = b"\xef\xbb\xbf"
_NEWLINES: Final = re.compile("\r\n|\r|\n")
_SURROGATE_ESCAPES: Final = re.compile("[\udc80-\udcff]")

#: (line number, text without its terminator, text was valid in the encoding, line was cut)
TagLine = tuple[int, str, bool, bool]


class TagLineReader:
    """Iterate over the lines of an open binary tag file.

    After iteration, :attr:`bom` tells whether a UTF-8 byte-order mark began
    the file (it is not part of the first line) and :attr:`unterminated_line`
    is the number of a last line that had no line terminator, if any.
    """

    def __init__(self, stream: IO[bytes], encoding: str) -> None:
        self._stream = stream
        info = codecs.lookup(encoding)
        self._utf8 = info.name == "utf-8"
        self._encoding = info.name
        # surrogateescape keeps undecodable bytes round-trippable, so a manifest name with
        # the same bad bytes as a file name on disk still matches it (os.fsdecode does the same).
        self._errors = "surrogateescape" if self._utf8 or info.name == "latin-1" else "replace"
        self.bom = False
        self.unterminated_line: int | None = None
        self._always_bad = False

    def _bad(self, text: str) -> bool:
        if self._always_bad:
            return True
        if self._errors == "surrogateescape":
            return _SURROGATE_ESCAPES.search(text) is not None
        return "\ufffd" in text

    def __iter__(self) -> Iterator[TagLine]:
        decoder = codecs.getincrementaldecoder(self._encoding)(errors=self._errors)
        read = self._stream.read
        chunk = read(_CHUNK)
        if self._utf8 and chunk.startswith(_UTF8_BOM):
            self.bom = True
            chunk = chunk[len(_UTF8_BOM) :]
        carry = ""
        lineno = 0
        skipping = False  # inside the rest of a line already reported as too long
        while True:
            eof = not chunk
            try:
                text = decoder.decode(chunk, final=eof)
            except UnicodeError:
                # e.g. UTF-16 without a byte-order mark: RFC 2781 says big-endian then; anything else
                # that still fails is read as Latin-1 with every line flagged as badly encoded.
                fallback = {"utf-16": "utf-16-be", "utf-32": "utf-32-be"}.get(self._encoding)
                if fallback is None:
                    fallback, self._always_bad = "latin-1", True
                decoder = codecs.getincrementaldecoder(fallback)(errors="replace")
                text = decoder.decode(chunk, final=eof)
            buf = carry + text if carry else text
            held = ""
            if not eof and buf.endswith("\r"):  # may be the first half of a CRLF split across chunks
                buf, held = buf[:-1], "\r"
            parts = _NEWLINES.split(buf) if "\r" in buf else buf.split("\n")
            carry = parts.pop() + held
            check = self._bad(buf)
            for index, part in enumerate(parts):
                if skipping and index == 0:
                    skipping = False
                    continue
                lineno += 1
                yield (lineno, part, not (check and self._bad(part)), False)
            if skipping and parts:
                skipping = False
            if len(carry) > MAX_LINE:
                if not skipping:
                    lineno += 1
                    yield (lineno, carry[:200], not self._bad(carry[:200]), True)
                skipping = True
                carry = ""
            if eof:
                break
            chunk = read(_CHUNK)
        if carry and not skipping:
            lineno += 1
            self.unterminated_line = lineno
            yield (lineno, carry, not self._bad(carry), False)
