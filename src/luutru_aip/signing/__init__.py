"""Sign packages and verify their signatures (L2): detached CMS, X.509 paths, RFC 3161 timestamps.

The archive that makes a package signs it with its organisation certificate; a
backup centre verifies the signature on receipt and at every audit
(docs/signing.md explains the trust model and what a centre must configure).

* :func:`sign_package` writes one detached CMS ``SignedData`` (RFC 5652) at
  :data:`SIGNATURE_PATH` (``signatures/package.p7s``) over the file that covers the
  whole package: a bag's strongest tag manifest, or the root ``METS.xml``.
* :func:`verify_package` checks the signature, the signer's certificate path to the
  configured trust anchors (RFC 5280 §6) at the signing time proven by an RFC 3161
  timestamp (else at the verification time), revocation against CRL files, and that
  every file of the package is covered and unchanged. It returns a
  :class:`~luutru_aip.findings.Report` of ``SIG…`` findings; it raises only when it
  cannot start (no such package, unreadable trust files).
* :func:`signature_generation_event` / :func:`signature_validation_event` give the
  PREMIS events to record (see the ordering rule in :mod:`luutru_aip.signing._events`).

The clock is injected everywhere (``clock``: a callable returning an aware datetime).
ASN.1 goes through :mod:`asn1crypto` in one adapter module; the cryptographic
arithmetic and X.509 path building are :mod:`cryptography`'s.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Final

import asn1crypto
import cryptography

from luutru_aip import __version__
from luutru_aip.errors import UsageError
from luutru_aip.findings import Report, Severity, finding
from luutru_aip.signing._crypto import PassphraseRequiredError, Signer, load_signer
from luutru_aip.signing._events import (
    EVENT_GENERATION,
    EVENT_VALIDATION,
    EventAgent,
    PremisEvent,
    signature_generation_event,
    signature_validation_event,
)
from luutru_aip.signing._package import SIGNATURE_PATH, open_package
from luutru_aip.signing._sign import SignResult, sign_package
from luutru_aip.signing._time import VIETNAM_TIME, Clock, now_from, vietnam_time
from luutru_aip.signing._trust import (
    ENV_CRL,
    ENV_TRUST,
    ENV_TSA_TRUST,
    CertificateSource,
    CRLSource,
    TrustConfig,
)
from luutru_aip.signing._tsa import TimestampError
from luutru_aip.signing._verify import SignatureFacts, verify_open_package

__all__ = [
    "ENV_CRL",
    "ENV_TRUST",
    "ENV_TSA_TRUST",
    "EVENT_GENERATION",
    "EVENT_VALIDATION",
    "PROFILE",
    "SIGNATURE_PATH",
    "VIETNAM_TIME",
    "Clock",
    "EventAgent",
    "PassphraseRequiredError",
    "PremisEvent",
    "SignResult",
    "SignatureFacts",
    "Signer",
    "TimestampError",
    "TrustConfig",
    "has_signature",
    "load_signer",
    "sign_package",
    "signature_generation_event",
    "signature_validation_event",
    "verify_package",
    "vietnam_time",
]

#: The ``profile`` of the reports :func:`verify_package` returns.
PROFILE: Final = "signature"


def has_signature(path: str | os.PathLike[str]) -> bool:
    """True when the package at ``path`` (folder or ZIP) has a file at :data:`SIGNATURE_PATH`.

    A package that has one claims to be signed: ``validate`` should then verify it, and a
    signature that does not verify is an error.
    """
    with open_package(path) as package:
        return SIGNATURE_PATH in package.source.entries()


def verify_package(
    path: str | os.PathLike[str],
    *,
    trust: Iterable[CertificateSource] | TrustConfig,
    crls: Iterable[CRLSource] = (),
    tsa_trust: Iterable[CertificateSource] | None = None,
    clock: Clock | None = None,
    workers: int = 1,
    threshold: Severity = Severity.ERROR,
    coverage: bool = True,
) -> Report:
    """Verify the signature of the package at ``path`` and return a report of ``SIG…`` findings.

    ``trust`` are the trust anchors: certificate files (PEM bundles or DER), folders of them,
    ``cryptography`` certificates, or a ready :class:`TrustConfig` (then ``crls`` and ``tsa_trust``
    must not be given). ``crls`` are CRL files checked offline. ``tsa_trust`` are the anchors for
    time-stamping authorities (default: ``trust``). An empty ``trust`` checks everything except who
    signed (a SIG017 warning says so). ``clock`` is the verification time; ``workers`` processes
    hash files in parallel. The report is valid when no finding reaches ``threshold``.
    ``coverage=False`` checks the signature over the signed file only and leaves the coverage of
    the other files (which reads every file) to a caller that has just checked every manifest or
    METS checksum itself; the report lists it as skipped.

    Raises :class:`~luutru_aip.errors.InputError` only when it cannot start: no such package, not a
    package, or unreadable trust/CRL files.
    """
    if workers < 1:
        raise UsageError(f"workers must be at least 1 (got {workers})")
    now = now_from(clock)
    if isinstance(trust, TrustConfig):
        if tsa_trust is not None or list(crls):
            raise UsageError("give crls and tsa_trust inside the TrustConfig, not beside it")
        config = trust
    else:
        config = TrustConfig.build(trust=trust, crls=crls, tsa_trust=tsa_trust)
    with open_package(path) as package:
        findings, skipped, facts = verify_open_package(
            package, config=config, now=now, workers=workers, coverage=coverage
        )
        signed_file = package.signed_file
    items = list(findings)
    trusted = not any(f.code == "SIG017" for f in items)
    if trusted and facts.signer is not None and not any(f.severity >= Severity.ERROR for f in items):
        items.append(
            finding(
                "SIG020",
                path=SIGNATURE_PATH,
                signer=facts.signer,
                signed_file=signed_file,
                signing_time=None if facts.signing_time is None else vietnam_time(facts.signing_time),
                timestamp=None if facts.timestamp is None else vietnam_time(facts.timestamp),
            )
        )
    return Report(
        subject=os.fspath(path),
        profile=PROFILE,
        tool_versions={
            "luutru-aip": __version__,
            "cryptography": cryptography.__version__,
            "asn1crypto": str(asn1crypto.__version__),
        },
        findings=tuple(items),
        skipped=tuple(skipped),
        threshold=threshold,
    )
