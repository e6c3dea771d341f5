"""The package signature inside a validation run (issue 6; docs/signing.md, "Where the signature is").

A package with a file at :data:`~luutru_aip.signing.SIGNATURE_PATH` (``signatures/package.p7s``,
relative to the package root: the bag root for a bag, the folder holding ``METS.xml`` otherwise, the
package root inside a ZIP) claims to be signed. ``validate`` then verifies that signature with
:func:`luutru_aip.signing.verify_package` and merges its ``SIG…`` findings into the same report:

* **Trust.** The trust anchors and CRLs are the caller's (``trust=``/``crls=``, ``--trust``/``--crl``).
  Without anchors the signature is still checked (digest, signature value, certificate binding,
  coverage), but who signed cannot be established. ``verify_package`` reports that as ``SIG017``, a
  warning; a package that claims to be signed but cannot be verified is an *error* for validation, so
  this module raises that one finding to :attr:`~luutru_aip.findings.Severity.ERROR` through the
  findings model's severity override (the code, and so its documentation, stay the same).
* **Fast mode** checks the signature over the signed file only (``coverage=False``): no file is hashed.
* **Only ``SIG…`` findings are merged.** Problems of the ZIP container are already reported by the
  validator's own ZIP reader. Locations are made relative to what the user named, like every other
  finding (``<root folder>/signatures/package.p7s`` inside a ZIP with a root folder).
* When the signing module cannot even recognise the package (no ``bagit.txt`` or ``METS.xml`` where
  it expects one) but the signature file is there, the claim cannot be checked: ``SIG028`` names the
  missing file the signature would cover.

An unsigned package gets no finding and no *skipped* entry from this module.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Final

import attrs
from cryptography import x509

from luutru_aip.errors import InputError, UsageError
from luutru_aip.findings import Finding, Severity, Skipped, finding
from luutru_aip.signing import TrustConfig, has_signature, verify_package

__all__ = [
    "NO_ANCHOR_CODE",
    "CertificateInput",
    "CrlInput",
    "SignatureCheck",
    "SignatureTarget",
    "trust_config",
]

#: The finding ``verify_package`` gives when no trust anchor was configured; an error in validation.
NO_ANCHOR_CODE: Final = "SIG017"

#: A trust anchor: a PEM/DER file, a folder of them, or a certificate object.
CertificateInput = str | os.PathLike[str] | x509.Certificate
#: A CRL: a PEM/DER file, a folder of them, or a CRL object.
CrlInput = str | os.PathLike[str] | x509.CertificateRevocationList


def trust_config(
    trust: Iterable[CertificateInput] | TrustConfig | None, crls: Iterable[CrlInput]
) -> TrustConfig:
    """The :class:`~luutru_aip.signing.TrustConfig` for ``trust``/``crls``; reads the files now.

    Raises :class:`~luutru_aip.errors.InputError` for unreadable trust or CRL files and
    :class:`~luutru_aip.errors.UsageError` for ``crls`` given beside a ready ``TrustConfig``.
    """
    crl_items = tuple(crls)
    if isinstance(trust, TrustConfig):
        if crl_items:
            raise UsageError("give the CRLs inside the TrustConfig, not beside it")
        return trust
    return TrustConfig.build(trust=tuple(trust or ()), crls=crl_items)


@attrs.frozen(kw_only=True)
class SignatureTarget:
    """Where the signature of one validated input is looked for.

    ``root`` is the folder or ZIP handed to the signing module (a bag root, an E-ARK package folder,
    a ZIP file); ``prefix`` is prepended to the locations of its findings so that they read like the
    validator's own; ``kind`` is ``"bag"`` or ``"mets"``; ``present`` is the validator's own view of
    whether the signature file exists (used when the signing module cannot open the package).
    """

    root: str
    prefix: str = ""
    kind: str = "mets"
    present: bool = False


class SignatureCheck:
    """Verify the signature of one input, if it has one. Iterate :meth:`findings` once."""

    def __init__(
        self,
        target: SignatureTarget,
        *,
        config: TrustConfig,
        fast: bool,
        workers: int,
        threshold: Severity,
    ) -> None:
        self.target = target
        self.config = config
        self.fast = fast
        self.workers = workers
        self.threshold = threshold
        self.skipped: list[Skipped] = []
        self.tool_versions: dict[str, str] = {}

    def findings(self) -> Iterator[Finding]:
        target = self.target
        try:
            present = has_signature(target.root)
        except InputError:
            # Not recognisable as a bag or a METS package, so nothing says what the signature covers.
            if target.present:
                missing = "bagit.txt" if target.kind == "bag" else "METS.xml"
                yield self._relocate(finding("SIG028", path=missing))
            return
        if not present:
            return
        report = verify_package(
            target.root,
            trust=self.config,
            workers=self.workers,
            threshold=self.threshold,
            coverage=not self.fast,
        )
        self.tool_versions = {k: v for k, v in report.tool_versions.items() if k != "luutru-aip"}
        for skipped in report.skipped:
            if self.fast and skipped.check == "signature.coverage":
                skipped = Skipped(
                    check="signature.coverage",
                    reason="fast mode: the files the signature covers are not hashed",
                )
            self.skipped.append(skipped)
        for item in report.findings:
            if not item.code.startswith("SIG"):
                continue  # ZIP container problems: the validator's ZIP reader reports them itself
            if item.code == NO_ANCHOR_CODE:
                item = attrs.evolve(item, severity=Severity.ERROR)
            yield self._relocate(item)

    def _relocate(self, item: Finding) -> Finding:
        prefix = self.target.prefix
        path = item.location.path
        if not prefix or path is None:
            return item
        return attrs.evolve(item, location=attrs.evolve(item.location, path=prefix + path))
