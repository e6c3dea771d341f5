"""E-ARK CSIP 2.x checks: package folder structure (CSIPSTR1–16) and the root and representation METS.

Implements the testable requirements of the E-ARK *Common Specification for Information
Packages* 2.0.4, 2.1.0 and 2.2.0 (DILCIS Board METS profile ``E-ARK-CSIP``), the METS-level
requirements of E-ARK SIP 2.x (``SIP1``–``SIP35``) and AIP 2.2.0 (``AIPM1``–``AIPM6``), and the
integrity rules of METS 1.12.1 they rely on: unique ``@ID`` values, ``DMDID``/``ADMID``/``FILEID``
references that point to real sections, ``xlink:href`` locations that resolve inside the package,
and declared ``SIZE``/``CHECKSUM`` values that match the files. Rule codes ``IPSTR0xx`` (structure),
``EARK0xx`` (CSIP METS profile), ``EASIP0xx``, ``EAAIP0xx`` and ``METS0xx`` (METS integrity) live in
``data/rules/csip.toml``; each finding's ``req`` parameter names the exact requirement id. (The
prefixes differ from the requirement ids on purpose: code ``EARK017`` cannot be misread as
requirement ``CSIP17``.)
``docs/csip-coverage.md`` maps every requirement id to its rule code.

Where the versions differ: ``CSIP86`` (top division label equals ``OBJID``) exists only in
2.0.4; ``CSIP96``/``CSIP100``/``CSIP104`` are MUST in 2.0.4 and 2.1.x and SHOULD in 2.2.0;
``SIP12``/``SIP18`` (agent names) are MAY in 2.0.4 and MUST from 2.1.0.

The METS documents are read by :mod:`luutru_aip.validate._metsread` one at a time; ``<file>``
entries stream through :meth:`MetsChecker.on_file` and only what later stages need is kept
(path, declared size and checksums): memory grows with the number of files, not their size.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from typing import Any, Final

from luutru_aip.findings import Finding, Severity, finding
from luutru_aip.validate._context import (
    Expect,
    RunState,
    is_datetime,
    read_xml,
    resolve_href,
    schema_findings,
    stream_problem,
    walk_events,
)
from luutru_aip.validate._metsread import Div, FileRec, MdSec, MetsDoc, MetsWalker, Node
from luutru_aip.validate._source import algorithm_key
from luutru_aip.vocab import eark

__all__ = [
    "CONTENT_CATEGORIES",
    "CONTENT_INFORMATION_TYPES",
    "OAIS_PACKAGE_TYPES",
    "MetsChecker",
    "check_structure",
    "check_unreferenced",
    "peek_root",
]

#: CSIP vocabularies (``mets/@TYPE`` is compared loosely; see :mod:`luutru_aip.vocab.eark`).
CONTENT_CATEGORIES: Final = eark.CONTENT_CATEGORIES
CONTENT_INFORMATION_TYPES: Final = eark.CONTENT_INFORMATION_TYPES
#: ``csip:OAISPACKAGETYPE`` values of the DILCIS extension schema.
OAIS_PACKAGE_TYPES: Final = frozenset({"SIP", "AIP", "DIP", "AIU", "AIC"})
#: METS 1.12 ``CHECKSUMTYPE`` enumeration.
METS_CHECKSUM_TYPES: Final = frozenset(
    {
        "Adler-32",
        "CRC32",
        "HAVAL",
        "MD5",
        "MNP",
        "SHA-1",
        "SHA-256",
        "SHA-384",
        "SHA-512",
        "TIGER",
        "WHIRLPOOL",
    }
)
_HEX: Final = re.compile(r"[0-9a-f]+")
_HEX_LEN: Final = {"md5": 32, "sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128}
_MEDIA_TYPE: Final = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+\-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+\-]*(\s*;.*)?"
)
_URL: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://\S+")
_SIP_PROFILE: Final = re.compile(r"https?://earksip\.dilcis\.eu/profile/E-ARK-SIP(-v\d+-\d+-\d+)?\.xml", re.I)
_AIP_PROFILE: Final = re.compile(r"https?://\S+/E-ARK-AIP(-v\d+-\d+-\d+)?\.xml", re.I)
_SIP_RECORDSTATUS: Final = frozenset({"NEW", "SUPPLEMENT", "REPLACEMENT", "TEST", "VERSION", "OTHER"})
_SIP_ALT_TYPES: Final = (
    "SUBMISSIONAGREEMENT",
    "PREVIOUSSUBMISSIONAGREEMENT",
    "REFERENCECODE",
    "PREVIOUSREFERENCECODE",
)
_PREMIS_MDTYPES: Final = frozenset(
    {"PREMIS", "PREMIS:OBJECT", "PREMIS:EVENT", "PREMIS:AGENT", "PREMIS:RIGHTS"}
)
_AMD_TARGETS: Final = frozenset({"amdSec", "techMD", "rightsMD", "sourceMD", "digiprovMD"})
# Requirement ids per section kind: (ID, STATUS, mdRef, LOCTYPE, xlink:type, href, MDTYPE, MIMETYPE,
# SIZE, CREATED, CHECKSUM, CHECKSUMTYPE)
_MD_REQS: Final = {
    "dmdSec": (
        "CSIP18",
        "CSIP20",
        "CSIP21",
        "CSIP22",
        "CSIP23",
        "CSIP24",
        "CSIP25",
        "CSIP26",
        "CSIP27",
        "CSIP28",
        "CSIP29",
        "CSIP30",
    ),
    "digiprovMD": (
        "CSIP33",
        "CSIP34",
        "CSIP35",
        "CSIP36",
        "CSIP37",
        "CSIP38",
        "CSIP39",
        "CSIP40",
        "CSIP41",
        "CSIP42",
        "CSIP43",
        "CSIP44",
    ),
    "rightsMD": (
        "CSIP46",
        "CSIP47",
        "CSIP48",
        "CSIP49",
        "CSIP50",
        "CSIP51",
        "CSIP52",
        "CSIP53",
        "CSIP54",
        "CSIP55",
        "CSIP56",
        "CSIP57",
    ),
}
_MD_STATUS: Final = frozenset({"CURRENT", "SUPERSEDED"})
_WINDOWS_UNSAFE: Final = re.compile(r'[\\/:*?"<>|]')


def _loose(text: str) -> str:
    return re.sub(r"[\s\-–—]+", " ", text).strip().casefold()


_CATEGORY_KEYS: Final = frozenset(_loose(c) for c in CONTENT_CATEGORIES)


def _folder_forms(objid: str) -> set[str]:
    """Folder names that stand for ``objid`` (CSIP1: illegal characters may be mapped)."""
    return {
        objid,
        _WINDOWS_UNSAFE.sub("_", objid),
        _WINDOWS_UNSAFE.sub("+", objid),
        _WINDOWS_UNSAFE.sub("-", objid),
    }


def peek_root(state: RunState, rel: str = "METS.xml") -> dict[str, str]:
    """The root ``mets`` attributes and ``metsHdr`` attributes of a METS file (for profile detection)."""
    read = read_xml(state.source, rel)
    out: dict[str, str] = {}
    if not read.ok:
        return out
    doc = MetsDoc(path=rel)
    walker = MetsWalker(doc, on_file=lambda _rec: None, clear=read.events is not None)
    events = read.events if read.events is not None else walk_events(read.tree)
    try:
        for event, node in events:
            walker.step(event, node)
            if doc.headers and event == "end" and isinstance(node.tag, str) and node.tag.endswith("}metsHdr"):
                break
            if not doc.is_mets and doc.root is not None:
                break
    except Exception:
        return out
    if doc.root is not None and doc.is_mets:
        out.update(dict(doc.root.attrs.items()))
        if doc.header is not None:
            out.update({"hdr:" + k: v for k, v in doc.header.attrs.items()})
    return out


# --------------------------------------------------------------------------- structure (CSIPSTR)


def check_structure(state: RunState) -> Iterator[Finding]:
    """CSIPSTR1, 4, 5, 9–13, 15 on the folder layout, plus links and special files (never followed)."""
    source = state.source
    tt05 = state.options.profile == "tt05"
    if source.kind == "zip" and not getattr(source, "single_root", True) and source.files:
        yield finding(
            "IPSTR001",
            path=source.label,
            found=", ".join(getattr(source, "top_level", [])[:5]),
            severity=Severity.WARNING if tt05 else None,
        )
    for rel, kind in sorted(source.others.items()):
        yield finding("IPSTR015", path=source.show(rel), found=kind)
    if "METS.xml" not in source.files:
        lower = [n for n in source.files if "/" not in n and n.lower() == "mets.xml"]
        yield finding("IPSTR003", path=source.show("METS.xml"), found=lower[0] if lower else None)
        state.broken = True
    if not source.is_dir("metadata"):
        yield finding("IPSTR004", path=source.show("metadata/"))
    if not source.is_dir("representations"):
        yield finding("IPSTR007", path=source.show("representations/"))
    else:
        files, reps = source.children("representations")
        for name in files:
            yield finding("IPSTR008", path=source.show(f"representations/{name}"))
        for rep in reps:
            base = f"representations/{rep}"
            if not source.is_dir(f"{base}/data"):
                yield finding("IPSTR009", path=source.show(f"{base}/"))
            if f"{base}/METS.xml" not in source.files:
                yield finding("IPSTR010", path=source.show(f"{base}/"))
            if not source.is_dir(f"{base}/metadata"):
                yield finding("IPSTR011", path=source.show(f"{base}/"))
    has_schema_dir = source.is_dir("schemas") or any(
        source.is_dir(f"representations/{r}/schemas") for r in source.children("representations")[1]
    )
    state.has_schema_dir = has_schema_dir
    if not has_schema_dir:
        yield finding("IPSTR012", path=source.show("schemas/"))


def check_unreferenced(state: RunState) -> Iterator[Finding]:
    """Every file in ``representations/*/data`` is in a fileSec; every other file is referenced somewhere.

    The package signature (:attr:`Options.signature_path`, verified separately) is the one exception:
    the METS it signs cannot list it.
    """
    source = state.source
    referenced = state.referenced
    signature = state.options.signature_path
    for rel in source.iter_files():
        if rel in referenced or rel == "METS.xml" or rel == signature:
            continue
        parts = rel.split("/")
        if len(parts) >= 4 and parts[0] == "representations" and parts[2] == "data":
            yield finding("METS015", path=source.show(rel))
        else:
            yield finding("METS016", path=source.show(rel))


# --------------------------------------------------------------------------- METS documents


class MetsChecker:
    """Checks one METS document (root or representation level) against CSIP/SIP/AIP and METS rules."""

    def __init__(self, state: RunState, rel: str, *, level: str) -> None:
        self.state = state
        self.rel = rel
        self.level = level  # "root" | "representation"
        self.base = rel.rpartition("/")[0] + "/" if "/" in rel else ""
        self.shown = state.source.show(rel)
        self.doc = MetsDoc(path=rel)
        self._pending: list[Finding] = []
        self._hrefs: dict[str, int | None] = {}
        self.rep_mets: set[str] = set()  # representation METS files this document points to

    # ------------------------------------------------------------------ helpers

    def _f(
        self,
        code: str,
        node: Node | None = None,
        *,
        severity: Severity | None = None,
        **params: Any,
    ) -> Finding:
        return finding(
            code,
            path=self.shown,
            line=None if node is None else node.line,
            xpath=None if node is None else node.xpath,
            severity=severity,
            **params,
        )

    @property
    def version(self) -> tuple[int, int, int]:
        return self.state.options.version

    def _time(self, kind: str, value: str, node: Node) -> Iterator[Finding]:
        hook = self.state.time_hook
        if hook is not None:
            yield from hook(kind, value, self.shown, node.line, node.xpath)

    # ------------------------------------------------------------------ driver

    def run(self) -> Iterator[Finding]:
        """Read the document (streaming or from a tree), check it, and yield every finding."""
        state = self.state
        read = read_xml(state.source, self.rel, shown=self.shown)
        yield from read.findings
        if not read.ok:
            if self.level == "root":
                state.broken = True
            return
        if read.tree is not None:
            yield from self._schemas(read.tree)
            events = walk_events(read.tree)
            clear = False
        else:
            assert read.events is not None
            events = read.events
            clear = True
            state.skip(
                "schema.mets.large",
                "METS documents larger than 16 MiB are streamed and not schema-validated",
            )
        walker = MetsWalker(self.doc, on_file=self.on_file, clear=clear)
        try:
            for event, node in events:
                walker.step(event, node)
                if self._pending:
                    yield from self._pending
                    self._pending.clear()
            self.doc.complete = True
        except Exception as exc:
            yield from self._pending
            self._pending.clear()
            yield stream_problem(exc, self.shown)
            if self.level == "root":
                state.broken = True
        read.tree = None
        doc = self.doc
        if doc.root is not None and not doc.is_mets:
            yield self._f("METS001", doc.root, found=doc.root.tag)
            if self.level == "root":
                state.broken = True
            return
        if doc.root is None:
            if self.level == "root":
                state.broken = True
            return
        yield from self._check_root()
        yield from self._check_header()
        yield from self._check_md()
        yield from self._check_filesec()
        yield from self._check_structmap()
        yield from self._check_ids()
        profile = state.options.profile
        if self.level == "root":
            state.package_type = (doc.header.get("csip:OAISPACKAGETYPE") if doc.header else None) or None
            if profile == "sip":
                yield from self._check_sip()
            elif profile == "aip":
                yield from self._check_aip()
        doc.refs = []  # no longer needed; keep the document small
        state.mets_docs.append(doc)

    def _schemas(self, tree: object) -> Iterator[Finding]:
        names = ("mets", "dilcis-csip", "dilcis-sip")
        yield from schema_findings(self.state, tree, names, self.shown, "schema.mets")

    # ------------------------------------------------------------------ mets root (CSIP1–6)

    def _check_root(self) -> Iterator[Finding]:
        doc = self.doc
        root = doc.root
        assert root is not None
        objid = (root.get("OBJID") or "").strip()
        if not objid:
            yield self._f("EARK001", root)
        else:
            folder = (
                self.state.source.root_name
                if self.level == "root"
                else self.base.rstrip("/").rpartition("/")[2]
            )
            if folder and folder not in _folder_forms(objid):
                yield self._f(
                    "IPSTR002",
                    root,
                    expected=objid,
                    found=folder,
                    req="CSIPSTR2" if self.level == "root" else "CSIP1",
                )
        kind = root.get("TYPE")
        if kind is None or not kind.strip():
            yield self._f("EARK002", root)
        else:
            if _loose(kind) not in _CATEGORY_KEYS:
                yield self._f("EARK003", root, found=kind)
            if _loose(kind) == "other" and not root.get("csip:OTHERTYPE"):
                yield self._f("EARK004", root)
        cit = root.get("csip:CONTENTINFORMATIONTYPE")
        if cit is None:
            yield self._f("EARK006" if self.level == "representation" else "EARK005", root)
        else:
            if cit not in CONTENT_INFORMATION_TYPES:
                yield self._f("EARK007", root, found=cit)
            if cit == "OTHER" and not root.get("csip:OTHERCONTENTINFORMATIONTYPE"):
                yield self._f("EARK008", root, element="mets")
        profile = root.get("PROFILE")
        if profile is None or not profile.strip():
            yield self._f("EARK009", root)
        elif not _URL.fullmatch(profile.strip()):
            yield self._f("EARK064", root, found=profile)

    # ------------------------------------------------------------------ metsHdr (CSIP117, CSIP7–16)

    def _check_header(self) -> Iterator[Finding]:
        doc = self.doc
        hdr = doc.header
        if hdr is None:
            yield self._f("EARK010", doc.root)
            return
        created = hdr.get("CREATEDATE")
        if created is None:
            yield self._f("EARK011", hdr)
        else:
            yield from self._datetime(hdr, "CREATEDATE", created, "CSIP7")
        modified = hdr.get("LASTMODDATE")
        if modified is not None:
            yield from self._datetime(hdr, "LASTMODDATE", modified, "CSIP8")
            if (
                created
                and is_datetime(created)
                and is_datetime(modified)
                and modified.strip() < created.strip()
            ):
                yield self._f("EARK012", hdr, expected=created, found=modified)
        ptype = hdr.get("csip:OAISPACKAGETYPE")
        if ptype is None:
            yield self._f("EARK013", hdr)
        elif ptype not in OAIS_PACKAGE_TYPES:
            yield self._f("EARK014", hdr, found=ptype, expected=", ".join(sorted(OAIS_PACKAGE_TYPES)))
        software = [
            a
            for a in doc.agents
            if a.node.get("ROLE") == "CREATOR"
            and a.node.get("TYPE") == "OTHER"
            and a.node.get("OTHERTYPE") == "SOFTWARE"
        ]
        if not software:
            found = "; ".join(
                f"ROLE={a.node.get('ROLE')} TYPE={a.node.get('TYPE')} OTHERTYPE={a.node.get('OTHERTYPE')}"
                for a in doc.agents[:3]
            )
            yield self._f("EARK015", hdr, found=found or None)
        for agent in software:
            if not any(n.text for n in agent.names):
                yield self._f("EARK016", agent.node)
            if not any(n.get("csip:NOTETYPE") == "SOFTWARE VERSION" and n.text for n in agent.notes):
                yield self._f("EARK017", agent.node)

    def _datetime(self, node: Node, attribute: str, value: str, req: str) -> Iterator[Finding]:
        if not is_datetime(value):
            yield self._f("METS013", node, attribute=attribute, found=value, req=req)
        else:
            yield from self._time(attribute, value, node)

    # ------------------------------------------------------------------ dmdSec / amdSec (CSIP17–57)

    def _check_md(self) -> Iterator[Finding]:
        doc = self.doc
        if len(doc.amdsecs) > 1:
            yield self._f("EARK031", doc.amdsecs[1], found=len(doc.amdsecs))
        for sec in doc.md:
            yield from self._check_md_section(sec)

    def _check_md_section(self, sec: MdSec) -> Iterator[Finding]:
        reqs = _MD_REQS.get(sec.kind)
        node = sec.node
        if reqs is not None and not node.get("ID"):
            yield self._f("EARK018", node, element=sec.kind, req=reqs[0])
        if sec.kind == "dmdSec":
            created = node.get("CREATED")
            if created is None:
                yield self._f("EARK019", node)
            else:
                yield from self._datetime(node, "CREATED", created, "CSIP19")
        if reqs is not None:
            status = node.get("STATUS")
            if status is None:
                yield self._f("EARK020", node, element=sec.kind, req=reqs[1])
            elif status not in _MD_STATUS:
                yield self._f("EARK020", node, element=sec.kind, req=reqs[1], found=status)
            if not sec.refs:
                yield self._f(
                    "EARK021", node, element=sec.kind, req=reqs[2], found="mdWrap" if sec.wraps else None
                )
        for ref in sec.refs:
            yield from self._check_mdref(sec, ref, reqs)

    def _check_mdref(self, sec: MdSec, ref: Node, reqs: tuple[str, ...] | None) -> Iterator[Finding]:
        def req(i: int) -> str:
            return reqs[i] if reqs is not None else "METS 1.12 mdRef"

        yield from self._locator(ref, "mdRef", req(3), req(4), req(5))
        mdtype = ref.get("MDTYPE")
        if not mdtype:
            yield self._f("EARK025", ref, req=req(6))
        checks = (
            (7, "MIMETYPE", "EARK026"),
            (8, "SIZE", "EARK027"),
            (9, "CREATED", "EARK028"),
            (10, "CHECKSUM", "EARK029"),
            (11, "CHECKSUMTYPE", "EARK030"),
        )
        if reqs is not None:
            for index, attribute, code in checks:
                if ref.get(attribute) is None:
                    yield self._f(code, ref, element="mdRef", req=req(index))
        created = ref.get("CREATED")
        if created is not None:
            yield from self._datetime(ref, "CREATED", created, req(9))
        rel = yield from self._resolve(ref, req(5))
        if rel is None:
            return
        yield from self._declared(ref, rel, req(8))
        preservation = sec.kind == "digiprovMD"
        descriptive = sec.kind == "dmdSec"
        if preservation and mdtype and mdtype.upper() in _PREMIS_MDTYPES:
            self.state.premis_files.append((rel, self.base))
        if descriptive:
            self.state.descriptive_files.append((rel, mdtype or ""))
            wanted = self.base + "metadata/descriptive/"
            if not rel.startswith(wanted):
                yield self._f("IPSTR006", ref, found=rel, expected=wanted)
        if preservation and not rel.startswith(self.base + "metadata/preservation/"):
            yield self._f("IPSTR005", ref, found=rel, expected=self.base + "metadata/preservation/")

    def _locator(
        self, node: Node, element: str, r_loctype: str, r_type: str, r_href: str
    ) -> Iterator[Finding]:
        loctype = node.get("LOCTYPE")
        if loctype != "URL":
            yield self._f("EARK022", node, element=element, found=loctype, req=r_loctype)
        xtype = node.get("xlink:type")
        if xtype != "simple":
            yield self._f("EARK023", node, element=element, found=xtype, req=r_type)
        if not (node.get("xlink:href") or "").strip():
            yield self._f("EARK024", node, element=element, req=r_href)

    def _resolve(self, node: Node, req: str) -> Generator[Finding, None, str | None]:
        """Resolve ``xlink:href`` of ``node``; yields findings and returns the package path (or None)."""
        href = node.get("xlink:href")
        if href is None or not href.strip():
            return None
        rel, reason = resolve_href(href, self.base)
        source = self.state.source
        if rel is None:
            yield self._f("METS006", node, found=href, reason=reason, req=req)
            return None
        if rel not in source.files:
            loose = source.lookup_loose(rel)
            if loose is not None:
                yield self._f("METS017", node, found=href, expected=loose)
                rel = loose
            elif source.is_dir(rel):
                yield self._f("METS005", node, found=href, reason="folder", req=req)
                return None
            else:
                yield self._f("METS005", node, found=href, reason="missing", req=req)
                self.state.referenced.add(rel)
                return None
        self.state.referenced.add(rel)
        return rel

    def _declared(self, node: Node, rel: str, size_req: str) -> Iterator[Finding]:
        """SIZE against the file (fast mode too) and CHECKSUM/CHECKSUMTYPE registered for hashing."""
        size_text = node.get("SIZE")
        size: int | None = None
        if size_text is not None:
            if not size_text.strip().isdigit():
                yield self._f("METS012", node, found=size_text, req=size_req)
            else:
                size = int(size_text.strip())
                actual = self.state.source.files[rel]
                if size != actual:
                    yield self._f(
                        "METS007", node, file=self.state.source.show(rel), expected=size, found=actual
                    )
        algorithm: str | None = None
        value: str | None = None
        ctype = node.get("CHECKSUMTYPE")
        checksum = node.get("CHECKSUM")
        if ctype is not None:
            algorithm = algorithm_key(ctype)
            if ctype not in METS_CHECKSUM_TYPES:
                yield self._f("METS009", node, found=ctype, expected=", ".join(sorted(METS_CHECKSUM_TYPES)))
                algorithm = None
            elif algorithm is None:
                yield self._f("METS010", node, found=ctype)
        if checksum is not None and algorithm is not None:
            text = checksum.strip().lower()
            if len(text) != _HEX_LEN[algorithm] or not _HEX.fullmatch(text):
                yield self._f("METS011", node, found=checksum, algorithm=ctype)
            else:
                value = text
        if size is not None or value is not None:
            self.state.expect(
                rel,
                Expect(
                    source="mets",
                    algorithm=algorithm if value else None,
                    value=value,
                    size=size,
                    where=self.shown,
                    line=node.line,
                    xpath=node.xpath,
                ),
            )

    # ------------------------------------------------------------------ fileSec (CSIP58–79, 113, 114)

    def on_file(self, rec: FileRec) -> None:
        """Called for every ``<file>`` as it is read: check it now, keep only what hashing needs."""
        self._pending.extend(self._check_file(rec))

    def _check_file(self, rec: FileRec) -> Iterator[Finding]:
        node = rec.node
        ident = node.get("ID")
        if not ident:
            yield self._f("EARK042", node)
        for attribute, code, req in (
            ("MIMETYPE", "EARK026", "CSIP68"),
            ("SIZE", "EARK027", "CSIP69"),
            ("CREATED", "EARK028", "CSIP70"),
            ("CHECKSUM", "EARK029", "CSIP71"),
            ("CHECKSUMTYPE", "EARK030", "CSIP72"),
        ):
            if node.get(attribute) is None:
                yield self._f(code, node, element="file", req=req)
        mime = node.get("MIMETYPE")
        if mime is not None and not _MEDIA_TYPE.fullmatch(mime.strip()):
            yield self._f("EARK043", node, found=mime)
        created = node.get("CREATED")
        if created is not None:
            yield from self._datetime(node, "CREATED", created, "CSIP70")
        if len(rec.flocats) != 1:
            yield self._f("EARK044", node, found=len(rec.flocats))
        if not rec.flocats:
            return
        loc = rec.flocats[0]
        yield from self._locator(loc, "FLocat", "CSIP77", "CSIP78", "CSIP79")
        rel = yield from self._resolve(loc, "CSIP79")
        if rel is None:
            return
        first = self._hrefs.get(rel, -1)
        if first != -1:
            yield self._f("METS014", loc, found=rel, first_line=first)
        else:
            self._hrefs[rel] = loc.line
        if ident and ident not in self.state.file_ids:
            self.state.file_ids[ident] = rel
        mime = node.get("MIMETYPE")
        if mime and rel.startswith("representations/") and "/data/" in rel:
            self.state.mimetypes.setdefault(rel, mime)
        group_use = rec.group.top_use if rec.group is not None else None
        if self.level == "root" and group_use:
            if group_use == "Documentation" and not rel.startswith("documentation/"):
                yield self._f("IPSTR013", loc, found=rel)
            elif (
                group_use == "Schemas"
                and self.state.has_schema_dir
                and not (rel.startswith("schemas/") or "/schemas/" in rel)
            ):
                yield self._f("IPSTR014", loc, found=rel)
            if group_use.startswith("Representations") and re.fullmatch(
                r"representations/[^/]+/METS\.xml", rel
            ):
                self.rep_mets.add(rel)
        yield from self._declared(node, rel, "CSIP69")

    def _check_filesec(self) -> Iterator[Finding]:
        doc = self.doc
        if len(doc.filesecs) > 1:
            yield self._f("EARK032", doc.filesecs[1], found=len(doc.filesecs))
        for sec in doc.filesecs[:1]:
            if not sec.get("ID"):
                yield self._f("EARK033", sec)
        tops = [g for g in doc.groups if g.level == 0]
        uses = [g.use or "" for g in tops]
        anchor = doc.filesecs[0] if doc.filesecs else doc.root
        if self.level == "root":
            tt05 = self.state.options.profile == "tt05"
            if "Documentation" not in uses:
                yield self._f("EARK034", anchor, severity=Severity.WARNING if tt05 else None)
            if "Schemas" not in uses:
                yield self._f("EARK035", anchor)
            if not any(u == "Representations" or u.startswith("Representations/") for u in uses):
                yield self._f("EARK036", anchor)
        for grp in doc.groups:
            node = grp.node
            if grp.use is None or not grp.use.strip():
                yield self._f("EARK038", node)
            if not node.get("ID"):
                yield self._f("EARK040", node)
            if grp.files == 0 and grp.groups == 0:
                yield self._f("EARK041", node)
            use = grp.use or ""
            if grp.level == 0 and (use == "Representations" or use.startswith("Representations/")):
                cit = node.get("csip:CONTENTINFORMATIONTYPE")
                if cit is None:
                    yield self._f("EARK037", node)
                elif cit not in CONTENT_INFORMATION_TYPES:
                    yield self._f("EARK007", node, found=cit)
                if cit == "OTHER" and not node.get("csip:OTHERCONTENTINFORMATIONTYPE"):
                    yield self._f("EARK008", node, element="fileGrp")
                if self.version >= (2, 1, 0) and self.level == "root" and use.startswith("Representations/"):
                    folder = "representations/" + use.split("/", 2)[1]
                    if not self.state.source.is_dir(folder):
                        yield self._f("EARK039", node, found=use, expected=folder)

    # ------------------------------------------------------------------ structMap (CSIP80–112, 116–119)

    def _check_structmap(self) -> Iterator[Finding]:
        doc = self.doc
        if not doc.structmaps:
            yield self._f("EARK045", doc.root)
            return
        csip = [s for s in doc.structmaps if s.node.get("LABEL") == "CSIP"]
        if not csip:
            labels = ", ".join(str(s.node.get("LABEL")) for s in doc.structmaps[:3])
            yield self._f("EARK046", doc.structmaps[0].node, found=labels)
            return
        if len(csip) > 1:
            yield self._f("EARK047", csip[1].node, found=len(csip))
        smap = csip[0]
        if smap.node.get("TYPE") != "PHYSICAL":
            yield self._f("EARK063", smap.node, found=smap.node.get("TYPE"))
        if not smap.node.get("ID"):
            yield self._f("EARK048", smap.node)
        if len(smap.divs) != 1:
            yield self._f("EARK049", smap.node, found=len(smap.divs))
        if not smap.divs:
            return
        top = smap.divs[0]
        if not top.node.get("ID"):
            yield self._f("EARK050", top.node, req="CSIP85")
        objid = doc.get("OBJID")
        if self.version == (2, 0, 4) and objid and top.node.get("LABEL") != objid:
            yield self._f("EARK051", top.node, expected=objid, found=top.node.get("LABEL"))
        by_label: dict[str, list[Div]] = {}
        for div in top.children:
            by_label.setdefault(div.node.get("LABEL") or "", []).append(div)
        reqs_id = {
            "Metadata": "CSIP89",
            "Documentation": "CSIP94",
            "Schemas": "CSIP98",
            "Representations": "CSIP102",
        }
        for div in top.children:
            label = div.node.get("LABEL") or ""
            if not div.node.get("ID"):
                yield self._f("EARK050", div.node, req=reqs_id.get(label, "CSIP106"))
            for fptr in div.fptrs:
                if not fptr.get("FILEID"):
                    req = {"Documentation": "CSIP116", "Schemas": "CSIP118"}.get(label, "CSIP119")
                    yield self._f("EARK058", fptr, req=req)
        # Metadata division (CSIP88–92)
        meta = by_label.get("Metadata", [])
        md_ids = {s.node.get("ID") for s in doc.md if s.node.get("ID")}
        if (doc.md or doc.amdsecs) and not meta:
            yield self._f("EARK052", top.node, found=0)
        elif len(meta) > 1:
            yield self._f("EARK052", meta[1].node, found=len(meta))
        if meta:
            mdiv = meta[0].node
            admids = set((mdiv.get("ADMID") or "").split())
            dmdids = set((mdiv.get("DMDID") or "").split())
            for sec in doc.md:
                sid = sec.node.get("ID")
                if not sid or (sec.node.get("STATUS") or "CURRENT") != "CURRENT":
                    continue
                if sec.kind == "dmdSec" and sid not in dmdids:
                    yield self._f("EARK054", mdiv, found=sid)
                elif sec.kind != "dmdSec" and sid not in admids and (sec.amd_id or "") not in admids:
                    yield self._f("EARK053", mdiv, found=sid)
        del md_ids
        yield from self._check_group_divs(top, by_label)
        yield from self._check_rep_divs(top)

    def _check_group_divs(self, top: Div, by_label: dict[str, list[Div]]) -> Iterator[Finding]:
        doc = self.doc
        pointed: set[str] = set()
        for div in top.children:
            pointed.update(f.get("FILEID") or "" for f in div.fptrs)
        mptr_targets: set[str] = set()
        for div in top.children:
            for mptr in div.mptrs:
                pointed.add(mptr.get("xlink:title") or "")  # CSIP108: the title names the fileGrp
                href = mptr.get("xlink:href")
                if href:
                    rel, _ = resolve_href(href, self.base)
                    if rel:
                        mptr_targets.add(rel)
        strict = self.version < (2, 2, 0)
        for grp in (g for g in doc.groups if g.level == 0):
            use = grp.use or ""
            gid = grp.node.get("ID") or ""
            if use == "Documentation":
                kind, req_div, req_ptr, code_div = "Documentation", "CSIP93", "CSIP96", "EARK055"
            elif use == "Schemas":
                kind, req_div, req_ptr, code_div = "Schemas", "CSIP97", "CSIP100", "EARK059"
            elif use == "Representations" or use.startswith("Representations/"):
                kind, req_div, req_ptr, code_div = "Representations", "CSIP101", "CSIP104", "EARK060"
            else:
                continue
            if self.level != "root" or not gid:
                continue
            if kind == "Representations":
                has_div = any(
                    lbl == "Representations" or lbl.startswith("Representations/") for lbl in by_label
                )
            else:
                has_div = kind in by_label
            if not has_div:
                yield self._f(code_div, grp.node, found=gid, req=req_div)
                continue
            if gid in pointed:
                continue
            if kind == "Representations" and self.rep_mets and mptr_targets & self.rep_mets:
                continue
            yield self._f(
                "EARK057",
                grp.node,
                found=gid,
                element=kind,
                req=req_ptr,
                severity=Severity.ERROR if strict else Severity.WARNING,
            )

    def _check_rep_divs(self, top: Div) -> Iterator[Finding]:
        group_ids = {g.node.get("ID") for g in self.doc.groups if g.node.get("ID")}
        for div in top.children:
            label = div.node.get("LABEL") or ""
            if not (div.mptrs or label.startswith("Representations/")):
                continue
            if len(div.mptrs) != 1:
                yield self._f("EARK061", div.node, found=len(div.mptrs))
            for mptr in div.mptrs:
                yield from self._locator(mptr, "mptr", "CSIP112", "CSIP111", "CSIP110")
                title = mptr.get("xlink:title")
                if not title:
                    yield self._f("EARK062", mptr, found=None)
                elif title not in group_ids:
                    yield self._f("EARK062", mptr, found=title, severity=Severity.WARNING)
                rel = yield from self._resolve(mptr, "CSIP110")
                if rel is None:
                    continue
                self.rep_mets.add(rel)
                folder = rel.rpartition("/")[0]
                if folder.startswith("representations/"):
                    wanted = "Representations/" + folder[len("representations/") :]
                    if label.casefold() != wanted.casefold():
                        yield self._f("EARK056", div.node, expected=wanted, found=label)

    # ------------------------------------------------------------------ IDs and references (METS 1.12)

    def _check_ids(self) -> Iterator[Finding]:
        doc = self.doc
        for ident, node, first in doc.duplicate_ids:
            yield self._f("METS002", node, found=ident, first_line=first)
        for attribute, ident, node in doc.refs:
            target = doc.ids.get(ident)
            if target is None:
                yield self._f("METS003", node, attribute=attribute, found=ident)
                continue
            kind = target[0]
            if attribute == "DMDID" and kind != "dmdSec":
                yield self._f(
                    "METS004", node, attribute=attribute, found=f"{ident} ({kind})", expected="dmdSec"
                )
            elif attribute == "ADMID" and kind not in _AMD_TARGETS:
                yield self._f(
                    "METS004", node, attribute=attribute, found=f"{ident} ({kind})", expected="amdSec/…MD"
                )
            elif attribute == "FILEID" and kind not in ("file", "fileGrp"):
                yield self._f(
                    "METS004", node, attribute=attribute, found=f"{ident} ({kind})", expected="fileGrp/file"
                )

    # ------------------------------------------------------------------ E-ARK SIP (SIP1–SIP35)

    def _check_sip(self) -> Iterator[Finding]:
        doc = self.doc
        root = doc.root
        assert root is not None
        profile = root.get("PROFILE")
        if profile and not _SIP_PROFILE.fullmatch(profile.strip()):
            yield self._f("EASIP001", root, found=profile)
        hdr = doc.header
        if hdr is None:
            return
        status = hdr.get("RECORDSTATUS")
        if status is not None and status not in _SIP_RECORDSTATUS:
            yield self._f("EASIP002", hdr, found=status, expected=", ".join(sorted(_SIP_RECORDSTATUS)))
        ptype = hdr.get("csip:OAISPACKAGETYPE")
        if ptype is not None and ptype != "SIP":
            yield self._f("EASIP003", hdr, found=ptype)
        counts: dict[str, int] = {}
        for alt in doc.alt_ids:
            kind = alt.get("TYPE") or ""
            counts[kind] = counts.get(kind, 0) + 1
            if kind not in _SIP_ALT_TYPES:
                yield self._f("EASIP004", alt, found=kind or None, expected=", ".join(_SIP_ALT_TYPES))
            elif kind in ("SUBMISSIONAGREEMENT", "REFERENCECODE") and counts[kind] == 2:
                yield self._f("EASIP005", alt, found=kind)
        others = [
            a
            for a in doc.agents
            if not (a.node.get("TYPE") == "OTHER" and a.node.get("OTHERTYPE") == "SOFTWARE")
        ]
        if not any(a.node.get("TYPE") in ("ORGANIZATION", "INDIVIDUAL") for a in others):
            yield self._f("EASIP006", hdr)
        name_required = self.version >= (2, 1, 0)
        for agent in others:
            node = agent.node
            role = node.get("ROLE")
            atype = node.get("TYPE")
            if not role or not atype:
                yield self._f("EASIP007", node, found=f"ROLE={role} TYPE={atype}", expected="ROLE and TYPE")
            elif role == "PRESERVATION" and atype != "ORGANIZATION":
                yield self._f(
                    "EASIP007", node, found=f"ROLE={role} TYPE={atype}", expected="TYPE=ORGANIZATION"
                )
            elif atype not in ("ORGANIZATION", "INDIVIDUAL"):
                yield self._f(
                    "EASIP007",
                    node,
                    found=f"ROLE={role} TYPE={atype}",
                    expected="TYPE=ORGANIZATION|INDIVIDUAL",
                )
            if not any(n.text for n in agent.names):
                yield self._f("EASIP008", node, severity=None if name_required else Severity.INFO)
            typed = role in ("ARCHIVIST", "PRESERVATION") or (role == "CREATOR" and atype == "ORGANIZATION")
            if typed:
                for note in agent.notes:
                    if note.get("csip:NOTETYPE") != "IDENTIFICATIONCODE":
                        yield self._f("EASIP009", note, found=note.get("csip:NOTETYPE"))

    # ------------------------------------------------------------------ E-ARK AIP (AIPM1–AIPM6)

    def _check_aip(self) -> Iterator[Finding]:
        doc = self.doc
        root = doc.root
        assert root is not None
        profile = root.get("PROFILE")
        if profile and not _AIP_PROFILE.fullmatch(profile.strip()):
            yield self._f("EAAIP001", root, found=profile)
        hdr = doc.header
        ptype = hdr.get("csip:OAISPACKAGETYPE") if hdr is not None else None
        if hdr is not None and ptype is not None and ptype != "AIP":
            yield self._f("EAAIP002", hdr, found=ptype)
        digiprov = [s for s in doc.md if s.kind == "digiprovMD"]
        refs = [r for s in digiprov for r in s.refs]
        if not refs:
            yield self._f("EAAIP003", doc.amdsecs[0] if doc.amdsecs else root)
        elif not any((r.get("MDTYPE") or "").upper() in _PREMIS_MDTYPES for r in refs):
            yield self._f("EAAIP004", refs[0], found=refs[0].get("MDTYPE"))


def representation_mets(state: RunState, root_checker: MetsChecker) -> list[str]:
    """Representation METS files to check: pointed to by the root METS, or present on disk."""
    found = set(root_checker.rep_mets)
    source = state.source
    for rep in source.children("representations")[1] if source.is_dir("representations") else []:
        rel = f"representations/{rep}/METS.xml"
        if rel in source.files:
            found.add(rel)
    return sorted(r for r in found if r in source.files)
