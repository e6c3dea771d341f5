"""Validate packages (L2): the public API ``validate``, ``iter_findings`` and ``is_valid``.

Problems in a package are findings, never exceptions: these functions raise
(:mod:`luutru_aip.errors`) only when validation cannot start, for example when
the path does not exist or the profile is unknown.

Inputs are detected automatically: a folder, a ZIP file (read in place under the safety limits of
:class:`luutru_aip._fs.SafeZip`, never extracted) or a BagIt bag. A bag whose payload ``data/``
holds an E-ARK package (``data/METS.xml``, or one folder inside ``data/`` with a ``METS.xml``) is
checked as a bag **and** as that package; files the bag has already verified are not read again.

Profiles:

* ``"auto"`` (default) detects the kind of package: a bag (``bagit.txt``), or an E-ARK package
  (a ``METS.xml``) whose root METS ``PROFILE``/``csip:OAISPACKAGETYPE`` and descriptive metadata say
  SIP, AIP, TT05 (a ``<simpledc>`` ``EAD.xml``) or plain CSIP;
* ``"bagit"`` checks the folder as a bag only (:mod:`luutru_aip.validate.bagit`, RFC 8493);
* ``"csip"``, ``"sip"``, ``"aip"``: E-ARK CSIP and its SIP/AIP extensions
  (:mod:`luutru_aip.validate.csip`), with PREMIS consistency (:mod:`~luutru_aip.validate.premis`),
  fixity and PDF checks (:mod:`~luutru_aip.validate.content`);
* ``"tt05"``: the above (CSIP 2.0.4 by default) plus Thông tư 05/2025/TT-BNV
  (:mod:`luutru_aip.validate.tt05`) and its format policy.

``spec_version`` picks the E-ARK specification version: ``"2.0.4"``, ``"2.1.0"`` or ``"2.2.0"``
(default: the newest, or 2.0.4 for ``tt05``, on which TT05 is based).

Signatures (issue 6, docs/signing.md): a package with ``signatures/package.p7s`` at its root claims
to be signed, and every profile then verifies that signature too
(:mod:`luutru_aip.validate._signature`) against the trust anchors and CRLs given as ``trust`` and
``crls``; its ``SIG…`` findings join the report. Without trust anchors the signer cannot be
verified, which is an error (SIG017, raised from a warning). The signature file itself is not
reported as a tag file missing from the tag manifests (BAG033) or as a file no METS references
(METS016): nothing it signs can list it. An unsigned package is validated exactly as before.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Final

from luutru_aip import __version__
from luutru_aip.errors import InputError, LuutruError, UsageError
from luutru_aip.findings import Finding, Report, Severity, Skipped, finding
from luutru_aip.metadata.schemastore import SchemaStore
from luutru_aip.signing import SIGNATURE_PATH, TrustConfig
from luutru_aip.validate._context import SPEC_VERSIONS, Options, RunState
from luutru_aip.validate._run import PackageValidator
from luutru_aip.validate._signature import (
    CertificateInput,
    CrlInput,
    SignatureCheck,
    SignatureTarget,
    trust_config,
)
from luutru_aip.validate._source import FolderSource, PackageSource, ZipSource, is_zip_file
from luutru_aip.validate.bagit import BagValidator, looks_like_bag
from luutru_aip.validate.content import POLICIES, FormatPolicy
from luutru_aip.validate.csip import peek_root

__all__ = [
    "FORMAT_POLICIES",
    "PROFILES",
    "SPEC_VERSIONS",
    "FormatPolicy",
    "is_valid",
    "iter_findings",
    "validate",
]

#: Profiles that can be asked for.
PROFILES: Final = ("auto", "bagit", "csip", "sip", "aip", "tt05")
#: Named format policies (``default`` = the profile's own: TT05 Art. 8 for ``tt05``, none otherwise).
FORMAT_POLICIES: Final = ("default", *POLICIES)
_EARK: Final = frozenset({"csip", "sip", "aip", "tt05"})
_SIMPLEDC: Final = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?simpledc[\s>/]")


class _Plan:
    """What to run for one input: a bag check, a package check, or both."""

    def __init__(self) -> None:
        self.subject = ""
        self.bag_root: str | None = None
        self.package: PackageSource | None = None
        self.profile = "bagit"
        self.label = "bagit"
        self.not_a_package = False
        self.zip_bag = False
        self.signature: SignatureTarget | None = None


def _check_options(profile: str, spec_version: str | None, workers: int, format_policy: object) -> str:
    name = profile.strip().lower()
    if name not in PROFILES:
        raise UsageError(f"unknown validation profile {profile!r}; available profiles: {', '.join(PROFILES)}")
    if spec_version is not None and spec_version not in SPEC_VERSIONS:
        raise UsageError(
            f"unknown E-ARK specification version {spec_version!r}; choose one of {', '.join(SPEC_VERSIONS)}"
        )
    if workers < 1:
        raise UsageError(f"workers must be at least 1 (got {workers})")
    if not (
        format_policy is None or isinstance(format_policy, FormatPolicy) or format_policy in FORMAT_POLICIES
    ):
        raise UsageError(
            f"unknown format policy {format_policy!r}; choose one of {', '.join(FORMAT_POLICIES)}"
        )
    return name


def _package_root(folder: Path) -> Path | None:
    """``folder`` if it holds ``METS.xml``; else its only sub-folder holding one (CSIPSTR1 root folder)."""
    if (folder / "METS.xml").is_file():
        return folder
    try:
        entries = [e for e in folder.iterdir() if not e.name.startswith(".")]
    except OSError:
        return None
    dirs = [e for e in entries if e.is_dir() and not e.is_symlink()]
    if len(entries) == 1 and len(dirs) == 1 and (dirs[0] / "METS.xml").is_file():
        return dirs[0]
    return None


def _eark_kind(source: PackageSource) -> str:
    """Which E-ARK profile an ``auto`` run applies to a package (see the module docstring)."""
    state = RunState(source=source, options=Options(profile="csip"))
    attrs_ = peek_root(state) if "METS.xml" in source.files else {}
    if "metadata/descriptive/EAD.xml" in source.files:
        try:
            with source.open("metadata/descriptive/EAD.xml") as fh:
                head = fh.read(4096)
        except (OSError, LuutruError):
            head = b""
        if _SIMPLEDC.search(head):
            return "tt05"
    profile = attrs_.get("PROFILE", "")
    if "E-ARK-SIP" in profile:
        return "sip"
    if "E-ARK-AIP" in profile:
        return "aip"
    kind = attrs_.get("hdr:csip:OAISPACKAGETYPE", "")
    return {"SIP": "sip", "AIP": "aip"}.get(kind, "csip")


def _bag_signature(root: str) -> SignatureTarget:
    """A bag's signature sits at its root, beside ``bagit.txt`` (docs/signing.md)."""
    return SignatureTarget(root=root, kind="bag", present=os.path.lexists(Path(root, SIGNATURE_PATH)))


def _plan(path: str | os.PathLike[str], profile: str) -> _Plan:
    root = os.fspath(path)
    if not os.path.lexists(root):
        raise InputError(f"{root} does not exist")
    plan = _Plan()
    plan.subject = root
    target = Path(root)
    if not target.is_dir():
        if not is_zip_file(root):
            if profile == "bagit":
                raise InputError(f"{root} is not a folder: a bag is a folder")
            plan.not_a_package = True
            plan.profile = plan.label = "csip" if profile == "auto" else profile
            return plan
        if profile == "bagit":
            raise UsageError(
                f"{root} is a ZIP file; BagIt bags are checked as folders (use --profile auto or csip)"
            )
        archive = ZipSource(root)
        plan.package = archive
        plan.signature = SignatureTarget(
            root=root,
            prefix=archive.prefix,
            kind="bag" if "bagit.txt" in archive.files else "mets",
            present=SIGNATURE_PATH in archive.files or SIGNATURE_PATH in archive.others,
        )
        if "bagit.txt" in archive.files and "METS.xml" not in archive.files:
            payload_dir = "data"
            subs = archive.children("data")[1]
            if "data/METS.xml" not in archive.files and len(subs) == 1:
                payload_dir = f"data/{subs[0]}"
            archive.rebase(payload_dir)
            plan.zip_bag = True
        plan.profile = _eark_kind(plan.package) if profile == "auto" else profile
        plan.label = plan.profile
        return plan
    names: list[str]
    try:
        names = [entry.name for entry in target.iterdir()]
    except OSError as exc:
        raise InputError(f"cannot read the folder {root}: {exc.strerror or exc}") from None
    is_bag = looks_like_bag(root)
    package_root = None if is_bag else _package_root(target)
    if profile == "bagit" or (
        not is_bag
        and package_root is None
        and profile == "auto"
        and ("data" in names or any(n.startswith("manifest-") and n.endswith(".txt") for n in names))
    ):
        plan.bag_root = root  # a bag that lost its bagit.txt is checked as a bag, so that BAG001 says so
        plan.signature = _bag_signature(root)
        plan.profile = plan.label = "bagit"
        return plan
    if is_bag:
        plan.bag_root = root
        plan.signature = _bag_signature(root)
        payload = _package_root(target / "data") if (target / "data").is_dir() else None
        if payload is None and profile in _EARK:
            payload = target / "data"
        if payload is None:
            plan.profile = plan.label = "bagit"
            return plan
        prefix = payload.relative_to(target).as_posix() + "/"
        name = target.name if payload == target / "data" else payload.name
        plan.package = FolderSource(payload, prefix=prefix, name=name)
    else:
        if package_root is None and profile == "auto":
            raise UsageError(
                f"cannot tell what kind of package {root} is (no bagit.txt, no METS.xml); "
                "use --profile bagit to check it as a bag, or --profile csip to check it as an E-ARK package"
            )
        package = package_root or target
        prefix = "" if package == target else package.name + "/"
        folder = FolderSource(package, prefix=prefix, name=package.name)
        plan.package = folder
        plan.signature = SignatureTarget(
            root=os.fspath(package),
            prefix=prefix,
            kind="mets",
            present=SIGNATURE_PATH in folder.files or SIGNATURE_PATH in folder.others,
        )
    plan.profile = _eark_kind(plan.package) if profile == "auto" else profile
    plan.label = f"bagit+{plan.profile}" if plan.bag_root else plan.profile
    return plan


def _manifest_digests(bag_root: str, prefix: str, algorithms: set[str]) -> dict[str, dict[str, str]]:
    """Payload digests from the bag's manifests, keyed by package path (for files BagIt verified)."""
    out: dict[str, dict[str, str]] = {}
    for algorithm in sorted(algorithms):
        manifest = Path(bag_root, f"manifest-{algorithm}.txt")
        try:
            with open(manifest, encoding="utf-8", errors="strict") as fh:
                for line in fh:
                    digest, _, name = line.rstrip("\r\n").partition(" ")
                    name = name.lstrip(" \t*")
                    name = (
                        name.replace("%0A", "\n")
                        .replace("%0D", "\r")
                        .replace("%0a", "\n")
                        .replace("%0d", "\r")
                    )
                    name = name.replace("%25", "%")
                    if name.startswith(prefix):
                        out.setdefault(name[len(prefix) :], {})[algorithm] = digest.lower()
        except (OSError, UnicodeDecodeError):
            continue
    return out


class _Run:
    """One validation of one input: BagIt and/or package findings, and what was skipped."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        profile: str,
        spec_version: str | None,
        fast: bool,
        workers: int,
        schemas: bool,
        schema_store: SchemaStore | None,
        format_policy: object,
        content: bool,
        trust: Iterable[CertificateInput] | TrustConfig | None,
        crls: Iterable[CrlInput],
        threshold: Severity,
    ) -> None:
        name = _check_options(profile, spec_version, workers, format_policy)
        self.trust = trust_config(trust, crls)
        self.plan = _plan(path, name)
        resolved = self.plan.profile
        version = spec_version or ("2.0.4" if resolved == "tt05" else SPEC_VERSIONS[-1])
        self.spec_version = version
        self.options = Options(
            profile=resolved if resolved in _EARK else "csip",
            spec_version=version,
            fast=fast,
            workers=workers,
            schemas=schemas,
            store=schema_store,
            content=content,
            policy=format_policy,
            # The CSIP root is the signed package's root only outside a bag (a bag signs its own root).
            signature_path=SIGNATURE_PATH if self.plan.bag_root is None and not self.plan.zip_bag else None,
        )
        self.fast = fast
        self.workers = workers
        self.skipped: list[Skipped] = []
        self.signature: SignatureCheck | None = None
        if self.plan.signature is not None:
            self.signature = SignatureCheck(
                self.plan.signature, config=self.trust, fast=fast, workers=workers, threshold=threshold
            )

    @property
    def label(self) -> str:
        return self.plan.label

    def findings(self) -> Iterator[Finding]:
        """The BagIt and package findings, then those of the signature (when there is one)."""
        yield from self._package_findings()
        if self.signature is not None:
            yield from self.signature.findings()
            self.skipped.extend(self.signature.skipped)

    def _package_findings(self) -> Iterator[Finding]:
        plan = self.plan
        try:
            if plan.not_a_package:
                yield finding("IO002", path=plan.subject)
                return
            bag_bad: set[str] = set()
            if plan.bag_root is not None:
                bag = BagValidator(
                    plan.bag_root, fast=self.fast, workers=self.workers, signature_path=SIGNATURE_PATH
                )
                for item in bag.findings():
                    if item.code == "BAG022" and item.location.path:
                        bag_bad.add(item.location.path)
                    yield item
                self.skipped.extend(bag.skipped)
            if plan.package is None:
                return
            if plan.zip_bag:
                self.skipped.append(
                    Skipped(
                        check="bagit",
                        reason="BagIt checks need a folder: extract the ZIP to check the bag itself; "
                        "the package in its payload was checked",
                    )
                )
            known: dict[str, dict[str, str]] = {}
            if plan.bag_root is not None and not self.fast:
                prefix = plan.package.prefix
                algorithms = {
                    p.name[len("manifest-") : -len(".txt")]
                    for p in Path(plan.bag_root).glob("manifest-*.txt")
                }
                known = _manifest_digests(plan.bag_root, prefix, algorithms)
                for shown in bag_bad:
                    known.pop(shown[len(prefix) :] if shown.startswith(prefix) else shown, None)
            checker = PackageValidator(plan.package, self.options, known=known)
            yield from checker.findings()
            self.skipped.extend(checker.skipped)
        finally:
            if plan.package is not None:
                plan.package.close()


def iter_findings(
    path: str | os.PathLike[str],
    *,
    profile: str = "auto",
    spec_version: str | None = None,
    fast: bool = False,
    workers: int = 1,
    schemas: bool = True,
    schema_store: SchemaStore | None = None,
    format_policy: str | FormatPolicy | None = "default",
    content: bool = True,
    trust: Iterable[CertificateInput] | TrustConfig | None = None,
    crls: Iterable[CrlInput] = (),
) -> Iterator[Finding]:
    """The findings for the package at ``path``, lazily, in the order the checks run.

    The start-up checks (the path exists, the profile is known, the trust and CRL files load)
    run at once, so a bad call raises here, not on the first ``next()``.
    """
    run = _Run(
        path,
        profile=profile,
        spec_version=spec_version,
        fast=fast,
        workers=workers,
        schemas=schemas,
        schema_store=schema_store,
        format_policy=format_policy,
        content=content,
        trust=trust,
        crls=crls,
        threshold=Severity.ERROR,
    )
    return run.findings()


def validate(
    path: str | os.PathLike[str],
    *,
    profile: str = "auto",
    spec_version: str | None = None,
    fast: bool = False,
    workers: int = 1,
    threshold: Severity = Severity.ERROR,
    schemas: bool = True,
    schema_store: SchemaStore | None = None,
    format_policy: str | FormatPolicy | None = "default",
    content: bool = True,
    trust: Iterable[CertificateInput] | TrustConfig | None = None,
    crls: Iterable[CrlInput] = (),
) -> Report:
    """Check the package at ``path`` and return a :class:`~luutru_aip.findings.Report`.

    ``fast=True`` checks structure, completeness, Payload-Oxum and sizes only (no hashing, no
    schema validation, no content checks). ``workers`` processes hash files in parallel.
    ``schemas=False`` skips XML Schema validation; ``schema_store`` overrides the default store.
    ``format_policy`` is ``"default"`` (the profile's), ``"tt05"``, ``"none"`` or a
    :class:`FormatPolicy`. The report is valid when no finding reaches ``threshold``.

    A signed package (``signatures/package.p7s``) also has its signature verified
    (:func:`luutru_aip.signing.verify_package`; in ``fast`` mode over the signed file only).
    ``trust`` are the trust anchors (certificate files, folders, certificates, or a ready
    :class:`~luutru_aip.signing.TrustConfig`) and ``crls`` the CRL files; without anchors a signed
    package gets an error (SIG017). The environment (``LUUTRU_AIP_TRUST``) is not read here; the
    CLI does that. Unreadable trust or CRL files raise :class:`~luutru_aip.errors.InputError`.
    """
    run = _Run(
        path,
        profile=profile,
        spec_version=spec_version,
        fast=fast,
        workers=workers,
        schemas=schemas,
        schema_store=schema_store,
        format_policy=format_policy,
        content=content,
        trust=trust,
        crls=crls,
        threshold=threshold,
    )
    findings = tuple(run.findings())
    versions = {"luutru-aip": __version__}
    if run.plan.package is not None:
        versions["e-ark"] = run.spec_version
    if run.signature is not None:
        versions.update(run.signature.tool_versions)
    return Report(
        subject=os.fspath(path),
        profile=run.label,
        tool_versions=versions,
        findings=findings,
        skipped=tuple(run.skipped),
        threshold=threshold,
    )


def is_valid(
    path: str | os.PathLike[str],
    *,
    profile: str = "auto",
    spec_version: str | None = None,
    fast: bool = False,
    workers: int = 1,
    threshold: Severity = Severity.ERROR,
    schemas: bool = True,
    schema_store: SchemaStore | None = None,
    format_policy: str | FormatPolicy | None = "default",
    trust: Iterable[CertificateInput] | TrustConfig | None = None,
    crls: Iterable[CrlInput] = (),
) -> bool:
    """True when :func:`validate` finds nothing at or above ``threshold``."""
    return validate(
        path,
        profile=profile,
        spec_version=spec_version,
        fast=fast,
        workers=workers,
        threshold=threshold,
        schemas=schemas,
        schema_store=schema_store,
        format_policy=format_policy,
        trust=trust,
        crls=crls,
    ).valid
