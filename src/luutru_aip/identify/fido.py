"""Adapter to fido (opf-fido): loads fido's own PRONOM and container signature files (issue 3).

This is the ONLY module of luutru_aip that imports :mod:`fido`. It does no matching:
it asks fido to read its signature files exactly as fido does (``Fido.process_format_element``
keeps fido's order and its "a later file replaces a format with the same PUID" rule;
``Fido.extract_signatures`` turns container signatures into fido's regular expressions)
and hands the result on as plain, picklable data (:class:`SignatureSet`). The fast
matcher in :mod:`luutru_aip.identify._index` compiles that data.

By default the files are those fido itself uses, named in fido's ``conf/versions.xml``:
the PRONOM signature file (``formats-v109.xml`` in opf-fido 1.6.1), fido's extension
signatures (``format_extensions.xml``) and the container signature file. A user may
name a newer PRONOM signature file in fido's format (``formats-vNNN.xml``).
"""

from __future__ import annotations

import hashlib
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from luutru_aip.errors import InputError

__all__ = [
    "ContainerRule",
    "FormatRecord",
    "SignatureRecord",
    "SignatureSet",
    "fido_conf_dir",
    "fido_version",
    "load_signature_set",
]


@attrs.frozen(kw_only=True)
class SignatureRecord:
    """One fido ``<signature>``: a name and its patterns ``(position, regex)``, in file order."""

    name: str | None
    #: ``regex`` is ``None`` when the pattern has no regex text (fido then fails on it).
    patterns: tuple[tuple[str | None, bytes | None], ...]


@attrs.frozen(kw_only=True)
class FormatRecord:
    """One fido ``<format>`` element, reduced to what identification needs."""

    puid: str
    name: str
    version: str | None
    mime: str | None
    extensions: tuple[str, ...]
    has_priority_over: frozenset[str]
    container: str | None
    signatures: tuple[SignatureRecord, ...]


@attrs.frozen(kw_only=True)
class ContainerRule:
    """Container signatures for one member path: ``(puid, (regex, …))`` in fido's order."""

    path: str
    puids: tuple[tuple[str, tuple[bytes, ...]], ...]


@attrs.frozen(kw_only=True)
class SignatureSet:
    """Everything fido would load, as plain data (picklable, no fido objects)."""

    formats: tuple[FormatRecord, ...]
    #: ``{"ZIP": (...), "OLE2": (...)}`` in fido's ``extract_signatures`` order.
    containers: tuple[tuple[str, tuple[ContainerRule, ...]], ...]
    #: PRONOM release of the signature file, e.g. ``"v109"``.
    version: str
    #: Date of the container signature file, e.g. ``"20200121"``.
    container_version: str
    files: tuple[str, ...]
    fido_version: str
    #: sha256 over the signature files, to key caches.
    digest: str

    def container_rules(self, kind: str) -> tuple[ContainerRule, ...]:
        return dict(self.containers).get(kind, ())


def fido_version() -> str:
    """The installed fido's version string."""
    import fido

    return str(fido.__version__)


def fido_conf_dir() -> Path:
    """fido's own configuration folder (``site-packages/fido/conf``)."""
    import fido

    return Path(fido.CONFIG_DIR)


def _versions(conf_dir: Path) -> dict[str, str]:
    try:
        root = ET.parse(conf_dir / "versions.xml").getroot()  # noqa: S314 - fido's own file
    except (OSError, ET.ParseError) as exc:
        raise InputError(f"cannot read fido's versions.xml in {conf_dir}: {exc}") from exc
    return {child.tag: (child.text or "").strip() for child in root}


def _parse(path: Path) -> ET.ElementTree[ET.Element]:
    try:
        return ET.parse(path)  # noqa: S314 - signature files are trusted local configuration
    except (OSError, ET.ParseError) as exc:
        raise InputError(f"cannot read the signature file {path}: {exc}") from exc


def _text(element: Any, tag: str) -> str | None:
    child = element.find(tag)
    return None if child is None else child.text


def _record(element: Any, priority: frozenset[str]) -> FormatRecord:
    signatures = []
    for sig in element.findall("signature"):
        patterns = []
        for pat in sig.findall("pattern"):
            regex = _text(pat, "regex")
            patterns.append((_text(pat, "position"), None if regex is None else regex.encode("utf8")))
        signatures.append(SignatureRecord(name=sig.findtext("name"), patterns=tuple(patterns)))
    return FormatRecord(
        puid=str(element.find("puid").text),
        name=_text(element, "name") or "",
        version=_text(element, "version") or None,
        mime=_text(element, "mime") or None,
        extensions=tuple(e.text for e in element.findall("extension") if e.text is not None),
        has_priority_over=priority,
        container=_text(element, "container"),
        signatures=tuple(signatures),
    )


_VERSION_RE = re.compile(r"v(\d+)", re.IGNORECASE)
_DATE_RE = re.compile(r"(\d{8})")


def load_signature_set(
    *,
    signature_file: str | os.PathLike[str] | None = None,
    container_file: str | os.PathLike[str] | None = None,
    extension_file: str | os.PathLike[str] | None = None,
    pronom_only: bool = False,
    conf_dir: str | os.PathLike[str] | None = None,
) -> SignatureSet:
    """Load the signatures as the fido 1.6 command line does.

    ``signature_file`` names a PRONOM signature file in fido's format (default: the one
    in fido's ``versions.xml``); ``extension_file`` fido's extension signatures, loaded
    after it unless ``pronom_only`` (fido's ``-pronom_only``); ``container_file`` the
    container signature file. Raises :class:`~luutru_aip.errors.InputError` when a file
    cannot be read.
    """
    from fido.fido import Fido

    conf = Path(conf_dir) if conf_dir is not None else fido_conf_dir()
    versions = _versions(conf)
    sig_path = Path(signature_file) if signature_file else conf / versions.get("pronomSignature", "")
    files: list[Path] = [sig_path]
    if not pronom_only:
        files.append(
            Path(extension_file) if extension_file else conf / versions.get("fidoExtensionSignature", "")
        )
    cont_path = (
        Path(container_file) if container_file else conf / versions.get("pronomContainerSignature", "")
    )

    # fido's own loader state: a bare Fido whose process_format_element keeps fido's order
    # and replacement rule, without Fido.__init__ (which prints and exits on errors).
    bare: Any = Fido.__new__(Fido)
    bare.formats = []
    bare.puid_format_map = {}
    bare.puid_has_priority_over_map = {}
    digest = hashlib.sha256()
    for path in files:
        tree = _parse(path)
        digest.update(path.read_bytes())
        for element in tree.getroot().findall("./format"):
            bare.process_format_element(element)
    formats = tuple(_record(el, bare.puid_has_priority_over_map[bare.get_puid(el)]) for el in bare.formats)

    cont_doc = _parse(cont_path)
    digest.update(cont_path.read_bytes())
    containers: list[tuple[str, tuple[ContainerRule, ...]]] = []
    for kind in ("ZIP", "OLE2"):
        extracted = bare.extract_signatures(cont_doc, signature_type=kind)
        rules = tuple(
            ContainerRule(
                path=str(path),
                puids=tuple(
                    (str(puid), tuple(bytes(s["signature"]) for s in sigs)) for puid, sigs in puid_map.items()
                ),
            )
            for path, puid_map in extracted.items()
        )
        containers.append((kind, rules))

    match = _VERSION_RE.search(sig_path.name)
    if signature_file is None and versions.get("pronomVersion"):
        version = "v" + versions["pronomVersion"]
    elif match:
        version = "v" + match.group(1)
    else:
        version = "sha256:" + hashlib.sha256(sig_path.read_bytes()).hexdigest()[:16]
    date = _DATE_RE.search(cont_path.name)
    return SignatureSet(
        formats=formats,
        containers=tuple(containers),
        version=version,
        container_version=date.group(1) if date else cont_path.name,
        files=tuple(p.name for p in [*files, cont_path]),
        fido_version=fido_version(),
        digest=digest.hexdigest(),
    )


def reference_identify(paths: Sequence[str]) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """Run fido itself (in this process, as its command line would) on ``paths``.

    Returns ``{path: (matchtype, [(puid, signature name), …])}``. For tests and the
    benchmark: this is the reference our matcher must agree with.
    """
    from fido.fido import Fido

    conf = fido_conf_dir()
    versions = _versions(conf)
    out: dict[str, tuple[str, list[tuple[str, str]]]] = {}

    def handle(name: str, matches: list[tuple[Any, str]], _delta: float, matchtype: str = "") -> None:
        out[name] = (matchtype, [(str(f.find("puid").text), sig) for f, sig in matches])

    tool: Any = Fido(
        quiet=True,
        handle_matches=handle,
        conf_dir=str(conf),
        format_files=[versions["pronomSignature"], versions["fidoExtensionSignature"]],
    )
    # Fido.__init__ reads the container file name from its module defaults, as its CLI sets it.
    tool.containersignature_file = versions["pronomContainerSignature"]
    for path in paths:
        tool.identify_file(path)
    return out
