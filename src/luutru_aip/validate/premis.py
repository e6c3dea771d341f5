"""PREMIS 3 consistency: the preservation metadata agrees with the package it describes.

PREMIS Data Dictionary 3.0 (``http://www.loc.gov/premis/v3``; PREMIS 2 documents are read the
same way): for every ``object`` of type ``file`` the declared ``size`` (§1.5.3) and ``fixity``
digests (§1.5.2) must match the file, and the object must be locatable in the package through
``storage/contentLocation`` (§1.7.2), its ``objectIdentifier`` (a package path or a METS file
``@ID``). Every ``event`` needs its identifier, type and date-time (§2.1–2.3), and its
``linkingAgentIdentifier`` / ``linkingObjectIdentifier`` must name agents and objects that the
package's PREMIS files describe. Identifiers are unique.

Rule codes ``PRM0xx`` live in ``data/rules/premis.toml``. PREMIS files are streamed (objects are
cleared as soon as they are read), so a PREMIS file describing 100,000 files needs little memory.
Digests are not computed here: they are registered with the run and verified in the single
hashing pass, together with the METS checksums (one read per file).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final

import attrs

from luutru_aip.findings import Finding, finding
from luutru_aip.validate._context import (
    Expect,
    RunState,
    is_datetime,
    read_xml,
    resolve_href,
    schema_findings,
    stream_problem,
)
from luutru_aip.validate._metsread import split_tag
from luutru_aip.validate._source import algorithm_key

__all__ = ["NS_PREMIS2", "NS_PREMIS3", "PremisChecker"]

NS_PREMIS3: Final = "http://www.loc.gov/premis/v3"
NS_PREMIS2: Final = "info:lc/xmlns/premis-v2"
_NAMESPACES: Final = frozenset({NS_PREMIS3, NS_PREMIS2})
_XSI_TYPE: Final = "{http://www.w3.org/2001/XMLSchema-instance}type"
_DATE_ONLY: Final = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


def _is_premis_datetime(text: str) -> bool:
    value = text.strip()
    return is_datetime(value) or bool(_DATE_ONLY.fullmatch(value))


@attrs.define
class _Obj:
    kind: str
    line: int | None
    xpath: str
    ids: list[tuple[str, str]] = attrs.Factory(list)
    fixity: list[tuple[str, str, int | None]] = attrs.Factory(list)
    size: str | None = None
    locations: list[str] = attrs.Factory(list)
    original: str | None = None


@attrs.define
class _Event:
    line: int | None
    xpath: str
    ids: list[tuple[str, str]] = attrs.Factory(list)
    type: str | None = None
    datetime: str | None = None
    agents: list[tuple[str, str, int | None]] = attrs.Factory(list)
    objects: list[tuple[str, str, int | None]] = attrs.Factory(list)


class PremisChecker:
    """Reads every PREMIS file of the package and checks them together (links cross files)."""

    def __init__(self, state: RunState) -> None:
        self.state = state
        self.object_ids: dict[tuple[str, str], tuple[str, int | None]] = {}
        self.object_values: set[str] = set()
        self.agent_ids: set[tuple[str, str]] = set()
        self.agent_values: set[str] = set()
        self._file_objects: dict[tuple[str, str], int | None] = {}
        self._file_events: dict[tuple[str, str], int | None] = {}
        self.links: list[tuple[str, str, str, str, int | None]] = []  # (kind, type, value, shown, line)
        self.described: set[str] = set()
        self.file_objects = 0

    def run(self) -> Iterator[Finding]:
        """Check every PREMIS file named by a METS ``digiprovMD`` (and required by the profile)."""
        seen: set[str] = set()
        for rel, base in self.state.premis_files:
            if rel in seen or rel not in self.state.source.files:
                continue
            seen.add(rel)
            yield from self._file(rel, base)
        yield from self._links()
        yield from self._undescribed()

    # ------------------------------------------------------------------ one file

    def _file(self, rel: str, base: str) -> Iterator[Finding]:
        state = self.state
        shown = state.source.show(rel)
        read = read_xml(state.source, rel, shown=shown)
        yield from read.findings
        if not read.ok:
            return
        self._file_objects = {}
        self._file_events = {}
        if read.tree is not None:
            root = read.tree.getroot()
            ns, _ = split_tag(str(root.tag))
            if ns == NS_PREMIS3:
                yield from schema_findings(state, read.tree, ("premis3",), shown, "schema.premis")
            yield from self._top(root, base, shown, list(root))
            return
        assert read.events is not None
        state.skip(
            "schema.premis.large", "PREMIS files larger than 16 MiB are streamed and not schema-validated"
        )
        try:
            yield from self._stream(read.events, base, shown)
        except Exception as exc:
            yield stream_problem(exc, shown)

    def _stream(self, events: Iterator[tuple[str, Any]], base: str, shown: str) -> Iterator[Finding]:
        """Large files: handle each child of the root when it ends, then drop it (flat memory)."""
        root: Any = None
        counts: dict[str, int] = {}
        for kind, node in events:
            if kind == "start" and root is None:
                root = node
                if not self._is_root(node):
                    yield finding(
                        "PRM001", path=shown, line=node.sourceline, found=split_tag(str(node.tag))[1]
                    )
                    return
                continue
            if kind != "end" or node.getparent() is not root or not isinstance(node.tag, str):
                continue
            yield from self._child(node, base, shown, counts)
            node.clear()
            while node.getprevious() is not None:
                del root[0]

    @staticmethod
    def _is_root(node: Any) -> bool:
        ns, local = split_tag(str(node.tag))
        return ns in _NAMESPACES and local == "premis"

    def _top(self, root: Any, base: str, shown: str, children: list[Any]) -> Iterator[Finding]:
        if not self._is_root(root):
            yield finding("PRM001", path=shown, line=root.sourceline, found=split_tag(str(root.tag))[1])
            return
        counts: dict[str, int] = {}
        for child in children:
            if isinstance(child.tag, str):
                yield from self._child(child, base, shown, counts)

    def _child(self, node: Any, base: str, shown: str, counts: dict[str, int]) -> Iterator[Finding]:
        ns, local = split_tag(node.tag)
        index = counts.get(local, 0) + 1
        counts[local] = index
        if ns not in _NAMESPACES:
            return
        xpath = f"/premis:premis/premis:{local}[{index}]"

        def q(name: str) -> str:
            return f"{{{ns}}}{name}"

        def text(element: Any, name: str) -> str:
            return (element.findtext(q(name)) or "").strip()

        if local == "object":
            xsi = node.get(_XSI_TYPE) or ""
            obj = _Obj(kind=xsi.rpartition(":")[2], line=node.sourceline, xpath=xpath)
            for ident in node.iterchildren(q("objectIdentifier")):
                obj.ids.append((text(ident, "objectIdentifierType"), text(ident, "objectIdentifierValue")))
            for chars in node.iterchildren(q("objectCharacteristics")):
                for fixity in chars.iterchildren(q("fixity")):
                    digest = fixity.find(q("messageDigest"))
                    obj.fixity.append(
                        (
                            text(fixity, "messageDigestAlgorithm"),
                            (digest.text or "").strip() if digest is not None else "",
                            digest.sourceline if digest is not None else fixity.sourceline,
                        )
                    )
                size = chars.find(q("size"))
                if size is not None and obj.size is None:
                    obj.size = (size.text or "").strip()
            for storage in node.iterchildren(q("storage")):
                for location in storage.iterchildren(q("contentLocation")):
                    value = text(location, "contentLocationValue")
                    if value:
                        obj.locations.append(value)
            obj.original = text(node, "originalName") or None
            yield from self._object(obj, base, shown)
        elif local == "event":
            event = _Event(line=node.sourceline, xpath=xpath)
            for ident in node.iterchildren(q("eventIdentifier")):
                event.ids.append((text(ident, "eventIdentifierType"), text(ident, "eventIdentifierValue")))
            event.type = text(node, "eventType") or None
            event.datetime = text(node, "eventDateTime") or None
            for link in node.iterchildren(q("linkingAgentIdentifier")):
                event.agents.append(
                    (
                        text(link, "linkingAgentIdentifierType"),
                        text(link, "linkingAgentIdentifierValue"),
                        link.sourceline,
                    )
                )
            for link in node.iterchildren(q("linkingObjectIdentifier")):
                event.objects.append(
                    (
                        text(link, "linkingObjectIdentifierType"),
                        text(link, "linkingObjectIdentifierValue"),
                        link.sourceline,
                    )
                )
            yield from self._event(event, shown)
        elif local == "agent":
            for ident in node.iterchildren(q("agentIdentifier")):
                pair = (text(ident, "agentIdentifierType"), text(ident, "agentIdentifierValue"))
                self.agent_ids.add(pair)
                self.agent_values.add(pair[1])

    # ------------------------------------------------------------------ objects

    def _locate(self, value: str, base: str) -> str | None:
        source = self.state.source
        if value in self.state.file_ids:
            return self.state.file_ids[value]
        for folder in (base, ""):
            rel, problem = resolve_href(value, folder)
            if rel is not None and problem is None and rel in source.files:
                return rel
        return None

    def _object(self, obj: _Obj, base: str, shown: str) -> Iterator[Finding]:
        for ident in obj.ids:
            if ident[1] and ident in self._file_objects:
                yield finding(
                    "PRM010",
                    path=shown,
                    line=obj.line,
                    xpath=obj.xpath,
                    found=ident[1],
                    first_line=self._file_objects[ident],
                )
                continue
            self._file_objects[ident] = obj.line
            self.object_ids.setdefault(ident, (shown, obj.line))
            self.object_values.add(ident[1])
        if obj.kind != "file":
            return
        self.file_objects += 1
        located: str | None = None
        for candidate in (*obj.locations, *(v for _, v in obj.ids)):
            if candidate:
                located = self._locate(candidate, base)
                if located is not None:
                    break
        if located is None:
            shown_id = obj.ids[0][1] if obj.ids else (obj.locations[0] if obj.locations else None)
            yield finding("PRM004", path=shown, line=obj.line, xpath=obj.xpath, found=shown_id)
            return
        self.described.add(located)
        size: int | None = None
        if obj.size is not None:
            if obj.size.isdigit():
                size = int(obj.size)
                actual = self.state.source.files[located]
                if size != actual:
                    yield finding(
                        "PRM003",
                        path=shown,
                        line=obj.line,
                        xpath=obj.xpath,
                        file=self.state.source.show(located),
                        expected=size,
                        found=actual,
                    )
            else:
                yield finding(
                    "PRM003",
                    path=shown,
                    line=obj.line,
                    xpath=obj.xpath,
                    file=self.state.source.show(located),
                    expected=obj.size,
                    found=None,
                )
        for algorithm_text, digest, line in obj.fixity:
            algorithm = algorithm_key(algorithm_text)
            if algorithm is None:
                yield finding("PRM005", path=shown, line=line, found=algorithm_text or None)
                continue
            self.state.expect(
                located,
                Expect(
                    source="premis",
                    algorithm=algorithm,
                    value=digest.strip().lower(),
                    size=None,
                    where=shown,
                    line=line,
                    xpath=obj.xpath,
                ),
            )

    # ------------------------------------------------------------------ events

    def _event(self, event: _Event, shown: str) -> Iterator[Finding]:
        missing = []
        if not event.ids or not all(t and v for t, v in event.ids):
            missing.append("eventIdentifier")
        if not event.type:
            missing.append("eventType")
        if not event.datetime:
            missing.append("eventDateTime")
        for field in missing:
            yield finding("PRM006", path=shown, line=event.line, xpath=event.xpath, field=field)
        if event.datetime:
            if not _is_premis_datetime(event.datetime):
                yield finding("PRM007", path=shown, line=event.line, xpath=event.xpath, found=event.datetime)
            elif self.state.time_hook is not None:
                yield from self.state.time_hook(
                    "eventDateTime", event.datetime, shown, event.line, event.xpath
                )
        for ident in event.ids:
            if not ident[1]:
                continue
            if ident in self._file_events:
                yield finding(
                    "PRM012",
                    path=shown,
                    line=event.line,
                    xpath=event.xpath,
                    found=ident[1],
                    first_line=self._file_events[ident],
                )
            else:
                self._file_events[ident] = event.line
        for kind, value, line in event.agents:
            self.links.append(("agent", kind, value, shown, line))
        for kind, value, line in event.objects:
            self.links.append(("object", kind, value, shown, line))

    def _links(self) -> Iterator[Finding]:
        for what, kind, value, shown, line in self.links:
            if what == "agent":
                if (kind, value) not in self.agent_ids and value not in self.agent_values:
                    yield finding("PRM008", path=shown, line=line, found=f"{kind}: {value}")
            elif (
                (kind, value) not in self.object_ids
                and value not in self.object_values
                and value not in self.state.file_ids
                and self._locate(value, "") is None
            ):
                yield finding("PRM009", path=shown, line=line, found=f"{kind}: {value}")

    def _undescribed(self) -> Iterator[Finding]:
        """AIP: every data file of a representation has a PREMIS file object (when PREMIS lists files)."""
        if self.file_objects == 0 or self.state.package_type != "AIP":
            return
        for rel in sorted(self.state.referenced):
            parts = rel.split("/")
            in_data = len(parts) >= 4 and parts[0] == "representations" and parts[2] == "data"
            if in_data and rel in self.state.source.files and rel not in self.described:
                yield finding("PRM011", path=self.state.source.show(rel))
