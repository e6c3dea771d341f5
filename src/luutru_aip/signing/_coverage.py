"""Coverage: the signed file must transitively protect every other file of the package.

The signature protects one file (the tag manifest of a bag, the root ``METS.xml``
of any other package). This module checks that the protection reaches every
file, and that nothing changed since:

* **BagIt** (RFC 8493 §2.2.1, §3): the signed tag manifest must list every tag
  file (``bagit.txt``, ``bag-info.txt``, every payload manifest, any other tag
  file) and each must match its digest; the payload manifests so authenticated
  must list every payload file under ``data/`` with a strong algorithm (SHA-256 or
  stronger), and each file must match. Other tag manifests cannot be listed by the
  signed one (§2.2.1); each of their entries is checked against the file instead.
* **METS** (METS 1.12 ``CHECKSUM``/``CHECKSUMTYPE``; E-ARK CSIP): every ``file``
  (its ``FLocat`` locations) and ``mdRef`` of the signed ``METS.xml`` must carry a
  strong checksum that matches; a referenced ``METS.xml`` (a representation METS,
  also reached through ``mptr``) is checked the same way before its own references
  are trusted and followed. Every file of the package must be reached so.

Only the signature file itself (``signatures/package.p7s``) is outside coverage.
A referenced file whose digest does not match is never followed: what a changed
METS lists is not evidence, and the files under it are reported as *skipped*.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import unicodedata
import urllib.parse
from collections.abc import Iterator
from typing import Any, Final

import attrs

from luutru_aip._fs.paths import check_package_path, display_name
from luutru_aip.findings import Finding, Skipped, finding
from luutru_aip.fixity import is_supported
from luutru_aip.metadata._xml import parse_xml_findings
from luutru_aip.signing._package import SIGNATURE_PATH, Kind, PackageInfo, Source

__all__ = ["STRONG", "check_coverage"]

#: Algorithms strong enough to carry a signature through a manifest or METS.
STRONG: Final = frozenset({"sha256", "sha384", "sha512"})
#: Largest tag file, manifest or METS document read into memory.
MAX_DOCUMENT: Final = 1 << 30
#: At most this many unreadable lines are reported per manifest.
MAX_LINE_FINDINGS: Final = 20

_METS: Final = "{http://www.loc.gov/METS/}"
_XLINK_HREF: Final = "{http://www.w3.org/1999/xlink}href"
_METS_ALGORITHMS: Final = {
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
    "SHA-1": "sha1",
    "MD5": "md5",
}
_MANIFEST: Final = re.compile(r"manifest-([a-z0-9]+)\.txt")
_TAG_MANIFEST: Final = re.compile(r"tagmanifest-([a-z0-9]+)\.txt")
_LINE: Final = re.compile(r"([0-9A-Fa-f]+)[ \t]+\*?(.+)")
_PERCENT: Final = re.compile(r"%(25|0[AaDd])")
_SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


def _nfc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFC", text)


@attrs.define
class _State:
    source: Source
    workers: int
    findings: list[Finding] = attrs.Factory(list)
    skipped: list[Skipped] = attrs.Factory(list)
    _nfc_index: dict[str, str] | None = None

    def add(self, item: Finding) -> None:
        self.findings.append(item)

    def resolve(self, rel: str) -> str | None:
        """The entry's actual name for ``rel`` (exact, else the same text in another Unicode normal form)."""
        entries = self.source.entries()
        if rel in entries:
            return rel
        if self._nfc_index is None:
            self._nfc_index = {}
            for name in entries:
                self._nfc_index.setdefault(_nfc(name), name)
        return self._nfc_index.get(_nfc(rel))

    def read(self, rel: str) -> bytes | None:
        try:
            return self.source.read(rel, max_bytes=MAX_DOCUMENT)
        except OSError:
            return None


def _hexdigests(data: bytes, algorithms: set[str]) -> dict[str, str]:
    return {a: hashlib.new(a, data).hexdigest() for a in sorted(algorithms) if is_supported(a)}


# --------------------------------------------------------------------------- BagIt


def _decode_path(raw: str) -> str:
    text = _PERCENT.sub(lambda m: {"25": "%", "0a": "\n", "0d": "\r"}[m.group(1).lower()], raw)
    while text.startswith("./"):
        text = text[2:]
    return text


def _parse_manifest(state: _State, name: str, data: bytes) -> dict[str, tuple[str, int]]:
    """``path → (hex digest, line)`` of a manifest; unreadable lines become SIG026 findings."""
    try:
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError:
        state.add(finding("SIG026", path=name, reason="not UTF-8 text"))
        return {}
    out: dict[str, tuple[str, int]] = {}
    bad = 0
    for lineno, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        match = _LINE.fullmatch(line)
        reason = None
        if match is None:
            reason = "a line is not 'checksum path'"
        else:
            path = _decode_path(match.group(2))
            previous = out.get(path)
            if previous is not None and previous[0].lower() != match.group(1).lower():
                reason = "a file is listed twice with different checksums"
            elif previous is None:
                out[path] = (match.group(1).lower(), lineno)
        if reason is not None:
            bad += 1
            if bad <= MAX_LINE_FINDINGS:
                state.add(finding("SIG026", path=name, line=lineno, reason=reason))
    return out


def _bag(state: _State, signed_name: str, signed_bytes: bytes) -> None:
    entries = state.source.entries()
    match = _TAG_MANIFEST.fullmatch(signed_name)
    signed_algorithm = match.group(1) if match else "?"
    if signed_algorithm not in STRONG:
        state.add(finding("SIG025", path=signed_name, algorithm=signed_algorithm))
        return
    listed = _parse_manifest(state, signed_name, signed_bytes)
    other_tag_manifests = sorted(
        rel for rel in entries if _TAG_MANIFEST.fullmatch(rel) and rel != signed_name
    )
    payload_manifests = sorted(rel for rel in entries if _MANIFEST.fullmatch(rel))
    # Every tag file must be listed by the signed tag manifest.
    listed_actual = {state.resolve(p) for p in listed}
    for rel in entries:
        if (
            rel.startswith(("data/", "../"))
            or rel in (signed_name, SIGNATURE_PATH)
            or rel in other_tag_manifests
        ):
            continue
        if rel not in listed_actual:
            state.add(finding("SIG023", path=display_name(rel)))
    # Which algorithms each tag file is hashed with: the signed one, plus the other tag manifests'.
    wanted: dict[str, set[str]] = {}
    others: dict[str, dict[str, tuple[str, int]]] = {}
    for name in other_tag_manifests:
        algorithm = _TAG_MANIFEST.fullmatch(name).group(1)  # type: ignore[union-attr]
        data = state.read(name)
        if data is None:
            state.add(finding("SIG026", path=name, reason="cannot be read"))
            continue
        if not is_supported(algorithm):
            state.add(finding("SIG026", path=name, reason=f"unknown algorithm {algorithm}"))
            continue
        others[name] = _parse_manifest(state, name, data)
        for path in others[name]:
            wanted.setdefault(path, set()).add(algorithm)
    for path in listed:
        wanted.setdefault(path, set()).add(signed_algorithm)
    # Read and hash every listed tag file once.
    contents: dict[str, bytes] = {}
    digests: dict[str, dict[str, str]] = {}
    for path in sorted(wanted):
        lister = signed_name if path in listed else next(n for n in others if path in others[n])
        if check_package_path(path) is not None or path.startswith("data/"):
            if check_package_path(path) is not None:
                state.add(finding("SIG027", path=lister, target=display_name(path)))
            continue
        actual = state.resolve(path)
        entry = entries.get(actual) if actual is not None else None
        data = state.read(actual) if entry is not None and entry.regular and actual is not None else None
        if data is None:
            state.add(finding("SIG022", path=display_name(path), listed_in=lister))
            continue
        contents[path] = data
        digests[path] = _hexdigests(data, wanted[path])
    authenticated: set[str] = set()
    for path, (expected, _line) in listed.items():
        if path not in digests:
            continue
        if digests[path].get(signed_algorithm) == expected:
            authenticated.add(path)
        else:
            state.add(
                finding("SIG021", path=display_name(path), algorithm=signed_algorithm, listed_in=signed_name)
            )
    for name, items in others.items():
        algorithm = _TAG_MANIFEST.fullmatch(name).group(1)  # type: ignore[union-attr]
        for path, (expected, _line) in items.items():
            if path in digests and digests[path].get(algorithm) != expected:
                state.add(finding("SIG021", path=display_name(path), algorithm=algorithm, listed_in=name))
    _bag_payload(state, payload_manifests, authenticated, contents)


def _bag_payload(
    state: _State, payload_manifests: list[str], authenticated: set[str], contents: dict[str, bytes]
) -> None:
    entries = state.source.entries()
    expected: dict[str, list[tuple[str, str, str]]] = {}  # actual path → [(algorithm, hex, manifest)]
    strong_listed: set[str] = set()
    weak_only: dict[str, str] = {}
    usable = [m for m in payload_manifests if m in authenticated]
    for name in usable:
        algorithm = _MANIFEST.fullmatch(name).group(1)  # type: ignore[union-attr]
        if not is_supported(algorithm):
            state.add(finding("SIG026", path=name, reason=f"unknown algorithm {algorithm}"))
            continue
        for path, (hexd, _line) in _parse_manifest(state, name, contents[name]).items():
            if check_package_path(path) is not None:
                state.add(finding("SIG027", path=name, target=display_name(path)))
                continue
            actual = state.resolve(path)
            entry = entries.get(actual) if actual is not None else None
            if actual is None or entry is None or not entry.regular:
                state.add(finding("SIG022", path=display_name(path), listed_in=name))
                continue
            expected.setdefault(actual, []).append((algorithm, hexd, name))
            if algorithm in STRONG:
                strong_listed.add(actual)
            else:
                weak_only.setdefault(actual, algorithm)
    if not any(_MANIFEST.fullmatch(m).group(1) in STRONG for m in usable):  # type: ignore[union-attr]
        for name in usable:
            state.add(finding("SIG025", path=name, algorithm=_MANIFEST.fullmatch(name).group(1)))  # type: ignore[union-attr]
        state.skipped.append(
            Skipped(
                check="signature.coverage.payload",
                reason="no payload manifest with SHA-256 or stronger is covered by the signature",
            )
        )
        return
    for rel, entry in entries.items():
        if not rel.startswith("data/"):
            continue
        if rel in strong_listed:
            continue
        if rel in weak_only and entry.regular:
            state.add(finding("SIG025", path=display_name(rel), algorithm=weak_only[rel]))
        else:
            state.add(finding("SIG023", path=display_name(rel)))
    _compare(state, expected)


def _compare(state: _State, expected: dict[str, list[tuple[str, str, str]]]) -> None:
    items = [(rel, sorted({a for a, _, _ in lst})) for rel, lst in sorted(expected.items())]
    for outcome in state.source.hash(items, workers=state.workers):
        listings = expected[outcome.path]
        if outcome.error is not None:
            state.add(finding("SIG022", path=display_name(outcome.path), listed_in=listings[0][2]))
            continue
        for algorithm, hexd, lister in listings:
            if outcome.digests.get(algorithm, "").lower() != hexd.lower():
                state.add(
                    finding("SIG021", path=display_name(outcome.path), algorithm=algorithm, listed_in=lister)
                )


# --------------------------------------------------------------------------- METS


@attrs.frozen
class _Ref:
    kind: str  # "file" | "mdRef" | "mptr"
    href: str | None
    checksum: str | None
    checksum_type: str | None
    xpath: str


def _refs(tree: Any) -> Iterator[_Ref]:
    root = tree.getroot()
    for el in root.iter(f"{_METS}file"):
        for loc in el.findall(f"{_METS}FLocat"):
            yield _Ref(
                "file", loc.get(_XLINK_HREF), el.get("CHECKSUM"), el.get("CHECKSUMTYPE"), tree.getpath(loc)
            )
    for el in root.iter(f"{_METS}mdRef"):
        yield _Ref("mdRef", el.get(_XLINK_HREF), el.get("CHECKSUM"), el.get("CHECKSUMTYPE"), tree.getpath(el))
    for el in root.iter(f"{_METS}mptr"):
        yield _Ref("mptr", el.get(_XLINK_HREF), None, None, tree.getpath(el))


def _resolve_href(state: _State, href: str, base: str) -> str | None:
    """The package path an ``xlink:href`` names, relative to the METS file's folder ``base``."""
    text = href.strip()
    if text.startswith("file:") and not text.startswith("file://"):
        text = text[5:]
    if _SCHEME.match(text) or text.startswith(("/", "\\")) or "\\" in text:
        return None
    candidates = []
    decoded = urllib.parse.unquote(text, errors="strict") if "%" in text else text
    for option in dict.fromkeys((decoded, text)):
        while option.startswith("./"):
            option = option[2:]
        joined = posixpath.normpath(posixpath.join(base, option)) if base else posixpath.normpath(option)
        if joined in (".", "..") or joined.startswith("../") or check_package_path(joined) is not None:
            continue
        candidates.append(joined)
    if not candidates:
        return None
    for candidate in candidates:
        actual = state.resolve(candidate)
        if actual is not None:
            return actual
    return candidates[0]


@attrs.define
class _Listing:
    algorithm: str
    hexd: str
    lister: str


def _mets(state: _State, signed_bytes: bytes) -> None:
    entries = state.source.entries()
    expected: dict[str, list[_Listing]] = {}
    covered: set[str] = {"METS.xml"}
    reported: set[str] = set()
    untrusted: list[str] = []
    visited: set[str] = {"METS.xml"}
    queue: list[tuple[str, bytes]] = [("METS.xml", signed_bytes)]
    while queue:
        mets_rel, data = queue.pop(0)
        base = posixpath.dirname(mets_rel)
        tree, problems = parse_xml_findings(data, package_path=mets_rel)
        if tree is None:
            reason = problems[0].message("en") if problems else "not XML"
            state.add(finding("SIG026", path=mets_rel, reason=reason))
            if base:
                untrusted.append(base)
            continue
        nested: dict[str, None] = {}
        mptrs: list[tuple[str, _Ref]] = []
        for ref in _refs(tree):
            if not ref.href:
                state.add(finding("SIG027", path=mets_rel, xpath=ref.xpath, target="(empty)"))
                continue
            rel = _resolve_href(state, ref.href, base)
            if rel is None:
                state.add(finding("SIG027", path=mets_rel, xpath=ref.xpath, target=display_name(ref.href)))
                continue
            if ref.kind == "mptr":
                mptrs.append((rel, ref))
                nested[rel] = None
                continue
            algorithm = _METS_ALGORITHMS.get((ref.checksum_type or "").strip().upper())
            if not ref.checksum or not ref.checksum_type:
                state.add(finding("SIG024", path=mets_rel, xpath=ref.xpath, target=display_name(rel)))
                reported.add(rel)
                continue
            if algorithm is None or algorithm not in STRONG:
                state.add(finding("SIG025", path=display_name(rel), algorithm=ref.checksum_type.strip()))
                reported.add(rel)
                if algorithm is None:
                    continue
            expected.setdefault(rel, []).append(_Listing(algorithm, ref.checksum.strip().lower(), mets_rel))
            if algorithm in STRONG:
                covered.add(rel)
            if posixpath.basename(rel) == "METS.xml" and rel not in visited:
                nested[rel] = None
        for rel, ref in mptrs:
            if rel not in covered and rel not in reported:
                state.add(finding("SIG024", path=mets_rel, xpath=ref.xpath, target=display_name(rel)))
                reported.add(rel)
        for rel in nested:
            if rel in visited or rel not in covered:
                continue
            visited.add(rel)
            data_nested = _verify_document(state, rel, expected.pop(rel, []))
            if data_nested is None:
                untrusted.append(posixpath.dirname(rel))
                continue
            queue.append((rel, data_nested))
    for prefix in sorted(set(untrusted)):
        state.skipped.append(
            Skipped(
                check="signature.coverage",
                reason=f"{display_name(prefix)}/: its METS changed or cannot be read, so the files it lists "
                "were not checked",
            )
        )
    for rel in entries:
        if rel in covered or rel in reported or rel == SIGNATURE_PATH or rel.startswith("../"):
            continue
        if any(rel.startswith(p + "/") for p in untrusted if p):
            continue
        state.add(finding("SIG023", path=display_name(rel)))
    missing = {rel for rel in expected if rel not in entries or not entries[rel].regular}
    for rel in sorted(missing):
        state.add(finding("SIG022", path=display_name(rel), listed_in=expected.pop(rel)[0].lister))
    _compare(state, {rel: [(x.algorithm, x.hexd, x.lister) for x in lst] for rel, lst in expected.items()})


def _verify_document(state: _State, rel: str, listings: list[_Listing]) -> bytes | None:
    """Read a referenced METS file and check every digest listed for it; its bytes, or ``None``."""
    entries = state.source.entries()
    entry = entries.get(rel)
    data = state.read(rel) if entry is not None and entry.regular else None
    if data is None:
        state.add(
            finding(
                "SIG022", path=display_name(rel), listed_in=listings[0].lister if listings else "METS.xml"
            )
        )
        return None
    digests = _hexdigests(data, {x.algorithm for x in listings})
    good = True
    for listing in listings:
        if digests.get(listing.algorithm) != listing.hexd:
            state.add(
                finding(
                    "SIG021", path=display_name(rel), algorithm=listing.algorithm, listed_in=listing.lister
                )
            )
            good = False
    return data if good else None


# --------------------------------------------------------------------------- entry point


def check_coverage(
    package: PackageInfo, signed_bytes: bytes, *, workers: int = 1
) -> tuple[list[Finding], list[Skipped]]:
    """Check that ``signed_bytes`` (the signed file, as verified) protects every file of ``package``."""
    state = _State(source=package.source, workers=workers)
    entries = package.source.entries()
    for rel in entries:
        if rel.startswith("../"):
            state.add(finding("SIG023", path=display_name(rel[3:])))
    if package.signed_file is None:  # pragma: no cover - the caller reports SIG028 and stops
        return state.findings, state.skipped
    if package.kind is Kind.BAG:
        _bag(state, package.signed_file, signed_bytes)
    else:
        _mets(state, signed_bytes)
    return state.findings, state.skipped
