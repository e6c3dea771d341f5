"""A streaming reader of METS 1.12 documents, reduced to what the E-ARK CSIP checks need.

METS 1.12.1 (``http://www.loc.gov/METS/``) is read element by element from the hardened parser of
:mod:`luutru_aip.metadata._xml` (``iterparse_xml`` for large files, or a walk over a tree that was
parsed anyway for schema validation). What the CSIP/SIP/AIP requirements look at is kept in small
records: the root attributes, ``metsHdr`` and its agents, every ``dmdSec``/``amdSec`` section with
its ``mdRef``, the ``fileGrp`` tree, the ``structMap`` divisions down to the representation level,
every ``@ID`` (for uniqueness) and every ``DMDID``/``ADMID``/``FILEID`` reference (for resolution).

``<file>`` elements are **not** kept: each one is handed to a callback as it ends and then
cleared, so a METS file listing 100,000 files is read in memory proportional to the references,
not to the document. Foreign XML inside ``mdWrap/xmlData`` is skipped.

Every record carries its source line and an XPath such as ``/mets:mets/mets:fileSec[1]/mets:fileGrp[2]``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, Final

import attrs

__all__ = [
    "NS_CSIP",
    "NS_METS",
    "NS_SIP",
    "NS_XLINK",
    "Agent",
    "Div",
    "FileGrp",
    "FileRec",
    "MdSec",
    "MetsDoc",
    "MetsWalker",
    "Node",
    "StructMap",
    "split_tag",
    "xml_problem",
]

NS_METS: Final = "http://www.loc.gov/METS/"
NS_XLINK: Final = "http://www.w3.org/1999/xlink"
NS_CSIP: Final = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
NS_SIP: Final = "https://DILCIS.eu/XML/METS/SIPExtensionMETS"
NS_XML: Final = "http://www.w3.org/XML/1998/namespace"
_PREFIXES: Final = {NS_XLINK: "xlink:", NS_CSIP: "csip:", NS_SIP: "sip:", NS_XML: "xml:"}
_AMD_KINDS: Final = frozenset({"techMD", "rightsMD", "sourceMD", "digiprovMD"})
#: Structural-map divisions deeper than this are not kept (their references still are).
MAX_DIV_DEPTH: Final = 3


_TAGS: dict[str, tuple[str, str]] = {}


def split_tag(tag: str) -> tuple[str, str]:
    """``"{ns}local"`` → ``(ns, local)``; ``"local"`` → ``("", local)`` (memoised: tags repeat)."""
    found = _TAGS.get(tag)
    if found is not None:
        return found
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        found = (ns, local)
    else:
        found = ("", tag)
    if len(_TAGS) < 4096:
        _TAGS[tag] = found
    return found


def _attributes(node: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in node.attrib.items():
        ns, local = split_tag(str(key))
        if ns:
            prefix = _PREFIXES.get(ns)
            out[(prefix + local) if prefix else str(key)] = str(value)
        else:
            out[local] = str(value)
    return out


@attrs.define(slots=True)
class Node:
    """One element: local name, attributes (``xlink:href``, ``csip:OAISPACKAGETYPE`` …), line and XPath."""

    tag: str
    attrs: dict[str, str]
    line: int | None
    xpath: str
    text: str = ""

    def get(self, key: str) -> str | None:
        return self.attrs.get(key)


@attrs.define(slots=True)
class Agent:
    node: Node
    names: list[Node] = attrs.Factory(list)
    notes: list[Node] = attrs.Factory(list)


@attrs.define(slots=True)
class MdSec:
    """A ``dmdSec`` or an ``amdSec`` child (``techMD``, ``rightsMD``, ``sourceMD``, ``digiprovMD``)."""

    kind: str
    node: Node
    refs: list[Node] = attrs.Factory(list)
    wraps: int = 0
    amd_id: str | None = None


@attrs.define(slots=True)
class FileGrp:
    node: Node
    use: str | None
    top_use: str | None
    level: int
    files: int = 0
    groups: int = 0


@attrs.define(slots=True)
class FileRec:
    node: Node
    group: FileGrp | None
    flocats: list[Node] = attrs.Factory(list)


@attrs.define(slots=True)
class Div:
    node: Node
    level: int
    fptrs: list[Node] = attrs.Factory(list)
    mptrs: list[Node] = attrs.Factory(list)
    children: list[Div] = attrs.Factory(list)


@attrs.define(slots=True)
class StructMap:
    node: Node
    divs: list[Div] = attrs.Factory(list)


@attrs.define
class MetsDoc:
    """What one METS document says (see the module docstring)."""

    path: str
    root: Node | None = None
    is_mets: bool = False
    complete: bool = False
    headers: list[Node] = attrs.Factory(list)
    agents: list[Agent] = attrs.Factory(list)
    alt_ids: list[Node] = attrs.Factory(list)
    md: list[MdSec] = attrs.Factory(list)
    amdsecs: list[Node] = attrs.Factory(list)
    filesecs: list[Node] = attrs.Factory(list)
    groups: list[FileGrp] = attrs.Factory(list)
    structmaps: list[StructMap] = attrs.Factory(list)
    ids: dict[str, tuple[str, int | None]] = attrs.Factory(dict)
    duplicate_ids: list[tuple[str, Node, int | None]] = attrs.Factory(list)
    #: (attribute, referenced id, referring element)
    refs: list[tuple[str, str, Node]] = attrs.Factory(list)
    file_count: int = 0

    def get(self, key: str) -> str | None:
        return None if self.root is None else self.root.get(key)

    @property
    def header(self) -> Node | None:
        return self.headers[0] if self.headers else None


class MetsWalker:
    """Consumes ``(event, element)`` pairs (``start``/``end``) and fills a :class:`MetsDoc`.

    ``on_file`` receives each ``<file>`` record when its element ends. With ``clear=True`` each
    finished element is cleared and detached (streaming); leave it ``False`` when walking a tree
    that is still needed.
    """

    def __init__(self, doc: MetsDoc, *, on_file: Callable[[FileRec], None], clear: bool) -> None:
        self.doc = doc
        self.on_file = on_file
        self.clear = clear
        self._names: list[str] = []  # local names (METS ns) or "" for foreign elements
        self._counters: list[dict[str, int]] = [{}]
        self._xpaths: list[str] = [""]
        self._foreign = 0
        self._agent: Agent | None = None
        self._md: MdSec | None = None
        self._amd_id: str | None = None
        self._groups: list[FileGrp] = []
        self._files: list[FileRec] = []
        self._divs: list[Div | None] = []
        self._smap: StructMap | None = None
        self._stopped = False

    def feed(self, events: Iterable[tuple[str, Any]]) -> None:
        """Consume every event, then mark the document complete."""
        for event, node in events:
            self.step(event, node)
        self.doc.complete = True

    def step(self, event: str, node: Any) -> None:
        """Consume one ``(event, element)`` pair."""
        tag = node.tag
        if not isinstance(tag, str):
            return
        if event == "start":
            self._start(node, tag)
        elif event == "end":
            self._end(node, tag)

    # ------------------------------------------------------------------ helpers

    def _make(self, node: Any, local: str) -> Node:
        return Node(tag=local, attrs=_attributes(node), line=node.sourceline, xpath=self._xpaths[-1])

    def _start(self, node: Any, tag: str) -> None:
        ns, local = split_tag(tag)
        counters = self._counters[-1]
        index = counters.get(tag, 0) + 1
        counters[tag] = index
        prefix = "mets:" if ns == NS_METS else (f"{{{ns}}}" if ns else "")
        parent_xpath = self._xpaths[-1]
        xpath = f"{parent_xpath}/{prefix}{local}" + (f"[{index}]" if parent_xpath else "")
        self._xpaths.append(xpath)
        self._counters.append({})
        depth = len(self._names)
        if depth == 0:
            self.doc.root = self._make(node, local)
            self.doc.is_mets = ns == NS_METS and local == "mets"
            self._stopped = not self.doc.is_mets
        if self._stopped or ns != NS_METS or self._foreign:
            self._names.append("")
            if ns != NS_METS or self._foreign:
                self._foreign += 1
            return
        parent = self._names[-1] if self._names else ""
        self._names.append(local)
        if depth == 0:
            return
        rec = self._make(node, local)
        ident = rec.get("ID")
        if ident is not None:
            first = self.doc.ids.get(ident)
            if first is None:
                self.doc.ids[ident] = (local, rec.line)
            else:
                self.doc.duplicate_ids.append((ident, rec, first[1]))
        self._dispatch(local, parent, rec)

    def _dispatch(self, local: str, parent: str, rec: Node) -> None:
        doc = self.doc
        if local == "metsHdr" and parent == "mets":
            doc.headers.append(rec)
        elif local == "agent" and parent == "metsHdr":
            self._agent = Agent(rec)
            doc.agents.append(self._agent)
        elif local == "altRecordID" and parent == "metsHdr":
            doc.alt_ids.append(rec)
        elif local == "dmdSec" and parent == "mets":
            self._md = MdSec("dmdSec", rec)
            doc.md.append(self._md)
        elif local == "amdSec" and parent == "mets":
            doc.amdsecs.append(rec)
            self._amd_id = rec.get("ID")
        elif local in _AMD_KINDS and parent == "amdSec":
            self._md = MdSec(local, rec, amd_id=self._amd_id)
            doc.md.append(self._md)
        elif local == "mdRef" and self._md is not None and parent in ("dmdSec", *_AMD_KINDS):
            self._md.refs.append(rec)
        elif local == "mdWrap" and self._md is not None and parent in ("dmdSec", *_AMD_KINDS):
            self._md.wraps += 1
        elif local == "fileSec" and parent == "mets":
            doc.filesecs.append(rec)
        elif local == "fileGrp" and parent in ("fileSec", "fileGrp"):
            outer = self._groups[0] if self._groups else None
            use = rec.get("USE")
            grp = FileGrp(rec, use, outer.top_use if outer else use, len(self._groups))
            if self._groups:
                self._groups[-1].groups += 1
            self._groups.append(grp)
            doc.groups.append(grp)
            self._ref_list(rec, "ADMID")
        elif local == "file" and parent in ("fileGrp", "file"):
            group = self._groups[-1] if self._groups else None
            if group is not None and parent == "fileGrp":
                group.files += 1
            self._files.append(FileRec(rec, group))
            doc.file_count += 1
            self._ref_list(rec, "ADMID")
            self._ref_list(rec, "DMDID")
        elif local == "FLocat" and parent == "file" and self._files:
            self._files[-1].flocats.append(rec)
        elif local == "structMap" and parent == "mets":
            self._smap = StructMap(rec)
            doc.structmaps.append(self._smap)
        elif local == "div" and parent in ("structMap", "div"):
            level = len(self._divs) + 1
            div: Div | None = Div(rec, level) if level <= MAX_DIV_DEPTH else None
            if div is not None:
                holder = self._divs[-1] if self._divs else None
                if holder is not None:
                    holder.children.append(div)
                elif self._smap is not None and parent == "structMap":
                    self._smap.divs.append(div)
            self._divs.append(div)
            self._ref_list(rec, "DMDID")
            self._ref_list(rec, "ADMID")
        elif local == "fptr" and parent == "div":
            fileid = rec.get("FILEID")
            if fileid is not None:
                doc.refs.append(("FILEID", fileid, rec))
            holder = self._divs[-1] if self._divs else None
            if holder is not None:
                holder.fptrs.append(rec)
        elif local == "mptr" and parent == "div":
            holder = self._divs[-1] if self._divs else None
            if holder is not None:
                holder.mptrs.append(rec)

    def _ref_list(self, rec: Node, key: str) -> None:
        value = rec.get(key)
        if value:
            for ident in value.split():
                self.doc.refs.append((key, ident, rec))

    def _end(self, node: Any, tag: str) -> None:
        local = self._names.pop() if self._names else ""
        self._xpaths.pop()
        self._counters.pop()
        if not local:
            if self._foreign:
                self._foreign -= 1
        else:
            parent = self._names[-1] if self._names else ""
            self._finish(node, local, parent)
        if self.clear and len(self._names) >= 1:
            node.clear()
            holder = node.getparent()
            if holder is not None:
                while node.getprevious() is not None:
                    del holder[0]

    def _finish(self, node: Any, local: str, parent: str) -> None:
        if local in ("name", "note") and parent == "agent" and self._agent is not None:
            rec = self._make(node, local)
            rec.text = (node.text or "").strip()
            (self._agent.names if local == "name" else self._agent.notes).append(rec)
        elif local == "altRecordID" and parent == "metsHdr" and self.doc.alt_ids:
            self.doc.alt_ids[-1].text = (node.text or "").strip()
        elif local == "agent":
            self._agent = None
        elif local == "dmdSec" or local in _AMD_KINDS:
            self._md = None
        elif local == "amdSec":
            self._amd_id = None
        elif local == "fileGrp" and self._groups:
            self._groups.pop()
        elif local == "file" and self._files:
            self.on_file(self._files.pop())
        elif local == "div" and self._divs:
            self._divs.pop()
        elif local == "structMap":
            self._smap = None


_KINDS: Final = (
    ("is not well-formed XML", "XML001"),
    ("uses a forbidden XML construct", "XML002"),
    ("exceeds an XML safety limit", "XML003"),
    ("has a character-encoding problem", "XML004"),
    ("cannot read", "IO001"),
)
_LINE: Final = re.compile(r", line (\d+): ")


def xml_problem(message: str) -> tuple[str, int | None, str]:
    """``(code, line, reason)`` from the message of an error raised by ``iterparse_xml``."""
    line_match = _LINE.search(message)
    line = int(line_match.group(1)) if line_match else None
    for kind, code in _KINDS:
        pos = message.find(": " + kind)
        if pos >= 0:
            reason = message[pos + 2 + len(kind) :].lstrip(": ").strip()
            return code, line, reason or kind
    return "XML001", line, message
