"""Sign a package: one detached CMS SignedData (RFC 5652 §5) over the file that covers the package.

The signature carries the signed attributes RFC 5652 §11 names (content type
``id-data``, message digest, signing time) plus the ESS ``signingCertificateV2``
(RFC 5035) listing the SHA-256 of every embedded certificate (the signer's first):
that binds the signer's certificate and chain to the signature, so no embedded
certificate can be swapped or altered unnoticed. The signer certificate and its
chain are embedded. With a TSA URL, an RFC 3161 token over the signature value is
added as the unsigned attribute ``id-aa-timeStampToken`` (RFC 3161 Appendix A).

Nothing the signature covers is touched: only ``signatures/package.p7s`` is
written (atomically), and an existing signature is replaced only with
``overwrite=True``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence

import attrs
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from luutru_aip.errors import InputError, OutputExistsError, UsageError
from luutru_aip.findings import Severity
from luutru_aip.signing._asn1 import (
    OID,
    encode_signed_attributes,
    encode_signed_data,
    parse_signed_data,
)
from luutru_aip.signing._coverage import STRONG, check_coverage
from luutru_aip.signing._crypto import (
    Signer,
    certificate_subject,
    check_signature,
    digest,
    digest_name,
    load_signer,
    sign,
    signature_algorithms,
    usage_problem,
)
from luutru_aip.signing._events import PremisEvent, signature_generation_event
from luutru_aip.signing._package import SIGNATURE_PATH, Kind, open_package, write_signature
from luutru_aip.signing._time import Clock, now_from, vietnam_time
from luutru_aip.signing._tsa import request_timestamp

__all__ = ["SignResult", "sign_package"]


@attrs.frozen(kw_only=True)
class SignResult:
    """What :func:`sign_package` did."""

    package: str
    signature_path: str
    """Where the signature is, relative to the package root (:data:`SIGNATURE_PATH`)."""
    signed_file: str
    signer: str
    signing_time: dt.datetime
    timestamp: bool
    digest_algorithm: str
    event: PremisEvent
    """The PREMIS "digital signature generation" event (not written anywhere by this function)."""

    def to_dict(self) -> dict[str, object]:
        return {
            "package": self.package,
            "signature_path": self.signature_path,
            "signed_file": self.signed_file,
            "signer": self.signer,
            "signing_time": vietnam_time(self.signing_time),
            "timestamp": self.timestamp,
            "digest_algorithm": self.digest_algorithm,
            "event": self.event.to_dict(),
        }


def _check_signer(signer: Signer, now: dt.datetime) -> None:
    cert = signer.certificate
    subject = certificate_subject(cert)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise InputError(
            f"the certificate {subject} is not valid now: valid from "
            f"{cert.not_valid_before_utc:%Y-%m-%d %H:%M} to {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC"
        )
    problem = usage_problem(cert)
    if problem is not None:
        raise InputError(f"the certificate {subject} may not sign documents: {problem}")


def _summary(findings: Sequence[object]) -> str:
    parts = [f"{f.code} {f.location}".strip() for f in findings[:3]]  # type: ignore[attr-defined]
    more = f" and {len(findings) - 3} more" if len(findings) > 3 else ""
    return "; ".join(parts) + more


def sign_package(
    path: str | os.PathLike[str],
    *,
    signer: Signer | None = None,
    key: str | os.PathLike[str] | None = None,
    cert: str | os.PathLike[str] | None = None,
    chain: Sequence[str | os.PathLike[str]] = (),
    p12: str | os.PathLike[str] | None = None,
    passphrase: str | bytes | None = None,
    tsa_url: str | None = None,
    clock: Clock | None = None,
    overwrite: bool = False,
    check: bool = True,
    workers: int = 1,
) -> SignResult:
    """Sign the package at ``path`` (folder, bag or ZIP) and store the signature in it.

    Signer material is either a loaded ``signer`` (:func:`~luutru_aip.signing.load_signer`) or the
    files ``key``/``cert``/``chain`` or ``p12`` with ``passphrase``. ``clock`` (a callable returning
    an aware datetime) gives the signing time. ``tsa_url`` adds an RFC 3161 timestamp.
    With ``check`` (the default), the package must first be complete and unchanged against its own
    manifests or METS checksums, so that a damaged package is never signed; a build that has just
    computed those digests may pass ``check=False``.

    Raises :class:`~luutru_aip.errors.InputError` when the package or the signer cannot be used,
    :class:`~luutru_aip.errors.OutputExistsError` when a signature exists and ``overwrite`` is false,
    and :class:`~luutru_aip.signing.TimestampError` when the TSA fails. Nothing is written then.
    """
    if workers < 1:
        raise UsageError(f"workers must be at least 1 (got {workers})")
    now = now_from(clock)
    if signer is None:
        signer = load_signer(key=key, cert=cert, chain=chain, p12=p12, passphrase=passphrase)
    _check_signer(signer, now)
    with open_package(path) as package:
        if package.zip_findings:
            raise InputError(f"the ZIP cannot be signed safely: {_summary(package.zip_findings)}")
        signed_file = package.signed_file
        if signed_file is None:
            what = (
                "tag manifest (tagmanifest-sha256.txt or stronger)"
                if package.kind is Kind.BAG
                else "METS.xml"
            )
            raise InputError(f"{package.source.label} cannot be signed: it has no {what}")
        if package.kind is Kind.BAG:
            algorithm = signed_file.removeprefix("tagmanifest-").removesuffix(".txt")
            if algorithm not in STRONG:
                raise InputError(
                    f"{signed_file} uses {algorithm}, too weak to sign; add a SHA-256 tag manifest"
                )
        if SIGNATURE_PATH in package.source.entries() and not overwrite:
            raise OutputExistsError(f"{package.source.label} already has a signature at {SIGNATURE_PATH}")
        signed_bytes = package.source.read(signed_file, max_bytes=1 << 30)
        if check:
            findings, _skipped = check_coverage(package, signed_bytes, workers=workers)
            errors = [f for f in findings if f.severity >= Severity.ERROR]
            if errors:
                raise InputError(
                    f"{package.source.label} is not consistent with {signed_file}, so it is not signed: "
                    f"{_summary(errors)}"
                )
        digest_oid, signature_oid = signature_algorithms(signer.key)
        certificates = [signer.certificate, *signer.chain]
        ders = [c.public_bytes(Encoding.DER) for c in certificates]
        signed_attributes = encode_signed_attributes(
            signing_time=now,
            message_digest=digest(digest_oid, signed_bytes),
            certificate_hashes=[digest(OID.SHA256, d) for d in ders],
        )
        signature = sign(signer.key, digest_oid, signed_attributes)
        unsigned = []
        if tsa_url is not None:
            unsigned.append((OID.TIME_STAMP_TOKEN, request_timestamp(tsa_url, signature)))
        cms = encode_signed_data(
            digest_oid=digest_oid,
            certificates=ders,
            signer_certificate=ders[0],
            signed_attributes=signed_attributes,
            signature_oid=signature_oid,
            signature=signature,
            unsigned_attributes=unsigned,
        )
        _self_check(cms, signer.certificate)
        if package.source.read(signed_file, max_bytes=1 << 30) != signed_bytes:
            raise InputError(f"{signed_file} changed while the package was being signed")
        write_signature(package, cms, overwrite=overwrite)
    event = signature_generation_event(
        signer, when=now, signed_file=signed_file, timestamped=tsa_url is not None
    )
    return SignResult(
        package=os.fspath(path),
        signature_path=SIGNATURE_PATH,
        signed_file=signed_file,
        signer=signer.subject,
        signing_time=now,
        timestamp=tsa_url is not None,
        digest_algorithm=digest_name(digest_oid),
        event=event,
    )


def _self_check(cms: bytes, certificate: x509.Certificate) -> None:
    """Parse what is about to be written and check it, so an encoding fault can never be stored."""
    info = parse_signed_data(cms)
    si = info.signer_infos[0]
    assert si.signed_attrs_der is not None
    result = check_signature(
        certificate.public_key(),
        signature_oid=si.signature_oid,
        signature_params=si.signature_params,
        digest_oid=si.digest_oid,
        signature=si.signature,
        data=si.signed_attrs_der,
    )
    if not result.ok:  # pragma: no cover - would be a bug in this module or the ASN.1 library
        raise InputError("internal error: the new signature does not verify; nothing was written")
