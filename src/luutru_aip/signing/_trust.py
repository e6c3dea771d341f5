"""Trust anchors, CRLs and certificate path validation (RFC 5280 §6) for signature verification.

Path building and the per-certificate checks of RFC 5280 §6.1 (signatures along
the path, validity at the validation time, basicConstraints ``cA``, path length,
name constraints) are done by :mod:`cryptography`'s X.509 verifier
(``cryptography.x509.verification``), a maintained Rust implementation. It is
configured for document signing rather than TLS:

* CA certificates must carry basicConstraints (the verifier insists) and, when
  they have a keyUsage, ``keyCertSign``;
* the end-entity policy puts no TLS requirements on the signer (no subjectAltName,
  no serverAuth/clientAuth): the document-signing key usage rules are checked
  here, with their own finding (:func:`luutru_aip.signing._crypto.usage_problem`).

Revocation (RFC 5280 §6.3) is checked here against CRL files the caller gives,
with no network access: a CRL counts only when its issuer name matches and its
signature verifies with the issuing CA's key (and that CA may sign CRLs).

The *validation time* is the time of a valid RFC 3161 timestamp when there is
one, else the verification time (the clock): a signing time claimed by the signer
is not evidence.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Final, Literal

import attrs
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    Policy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from luutru_aip._fs.paths import display_name
from luutru_aip.errors import InputError
from luutru_aip.signing._crypto import certificate_subject, key_problem
from luutru_aip.signing._time import vietnam_time

__all__ = [
    "ENV_CRL",
    "ENV_TRUST",
    "ENV_TSA_TRUST",
    "PathProblem",
    "TrustConfig",
    "load_certificates",
    "load_crls",
    "validate_path",
]

ENV_TRUST: Final = "LUUTRU_AIP_TRUST"
ENV_TSA_TRUST: Final = "LUUTRU_AIP_TSA_TRUST"
ENV_CRL: Final = "LUUTRU_AIP_CRL"
_MAX_FILE: Final = 64 << 20
_CERT_SUFFIXES: Final = (".pem", ".crt", ".cer", ".der")
_CRL_SUFFIXES: Final = (".crl", ".pem", ".der")
_MAX_DEPTH: Final = 8

ProblemKind = Literal["validity", "usage", "key", "chain", "revoked", "no_crl", "stale_crl", "bad_crl"]


def _files(path: Path, suffixes: tuple[str, ...]) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in suffixes)
    return [path]


def _read(path: Path, what: str) -> bytes:
    try:
        if path.stat().st_size > _MAX_FILE:
            raise InputError(f"the {what} file {display_name(os.fspath(path))} is too large")
        return path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"cannot read the {what} file {display_name(os.fspath(path))}: {exc.strerror or exc}"
        ) from None


def load_certificates(path: str | os.PathLike[str]) -> list[x509.Certificate]:
    """Every certificate in a PEM bundle, a DER file, or a folder of such files (``.pem .crt .cer .der``)."""
    out: list[x509.Certificate] = []
    root = Path(path)
    for file in _files(root, _CERT_SUFFIXES):
        data = _read(file, "certificate")
        label = display_name(os.fspath(file))
        try:
            if b"-----BEGIN" in data:
                out.extend(x509.load_pem_x509_certificates(data))
            else:
                out.append(x509.load_der_x509_certificate(data))
        except (ValueError, x509.InvalidVersion):
            raise InputError(f"{label} holds no readable X.509 certificate (PEM or DER)") from None
    if not out:
        raise InputError(f"no certificate found in {display_name(os.fspath(root))}")
    return out


def load_crls(path: str | os.PathLike[str]) -> list[x509.CertificateRevocationList]:
    """Every CRL in a PEM file (one or more ``X509 CRL`` blocks), a DER file, or a folder of them."""
    out: list[x509.CertificateRevocationList] = []
    root = Path(path)
    for file in _files(root, _CRL_SUFFIXES):
        data = _read(file, "CRL")
        label = display_name(os.fspath(file))
        try:
            if b"-----BEGIN" in data:
                marker = b"-----BEGIN X509 CRL-----"
                blocks = [marker + part for part in data.split(marker)[1:]]
                if not blocks:
                    raise ValueError("no CRL block")
                out.extend(x509.load_pem_x509_crl(block) for block in blocks)
            else:
                out.append(x509.load_der_x509_crl(data))
        except ValueError:
            raise InputError(f"{label} holds no readable CRL (PEM or DER)") from None
    if not out:
        raise InputError(f"no CRL found in {display_name(os.fspath(root))}")
    return out


CertificateSource = str | os.PathLike[str] | x509.Certificate
CRLSource = str | os.PathLike[str] | x509.CertificateRevocationList


def _certs(items: Iterable[CertificateSource]) -> tuple[x509.Certificate, ...]:
    out: list[x509.Certificate] = []
    for item in items:
        for cert in [item] if isinstance(item, x509.Certificate) else load_certificates(item):
            if cert not in out:
                out.append(cert)
    return tuple(out)


def _crls(items: Iterable[CRLSource]) -> tuple[x509.CertificateRevocationList, ...]:
    out: list[x509.CertificateRevocationList] = []
    for item in items:
        out.extend([item] if isinstance(item, x509.CertificateRevocationList) else load_crls(item))
    return tuple(out)


@attrs.frozen(kw_only=True)
class TrustConfig:
    """What a verifier trusts: anchors for signers, anchors for time-stamping authorities, and CRLs."""

    anchors: tuple[x509.Certificate, ...] = ()
    tsa_anchors: tuple[x509.Certificate, ...] = ()
    crls: tuple[x509.CertificateRevocationList, ...] = ()

    @classmethod
    def build(
        cls,
        *,
        trust: Iterable[CertificateSource],
        crls: Iterable[CRLSource] = (),
        tsa_trust: Iterable[CertificateSource] | None = None,
    ) -> TrustConfig:
        """Load files (or take objects); ``tsa_trust`` defaults to ``trust``."""
        anchors = _certs(trust)
        tsa = anchors if tsa_trust is None else _certs(tsa_trust)
        return cls(anchors=anchors, tsa_anchors=tsa, crls=_crls(crls))

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> TrustConfig | None:
        """From ``LUUTRU_AIP_TRUST``, ``LUUTRU_AIP_TSA_TRUST`` and ``LUUTRU_AIP_CRL`` (lists of files or
        folders separated by ``os.pathsep``); ``None`` when ``LUUTRU_AIP_TRUST`` is not set."""
        env = os.environ if environ is None else environ

        def paths(name: str) -> list[str]:
            return [p for p in env.get(name, "").split(os.pathsep) if p.strip()]

        trust = paths(ENV_TRUST)
        if not trust:
            return None
        tsa = paths(ENV_TSA_TRUST)
        return cls.build(trust=trust, crls=paths(ENV_CRL), tsa_trust=tsa or None)


@attrs.frozen(kw_only=True)
class PathProblem:
    """One reason a certificate path is not acceptable (turned into findings by the caller)."""

    kind: ProblemKind
    certificate: x509.Certificate
    detail: Mapping[str, str] = attrs.field(factory=dict)

    @property
    def subject(self) -> str:
        return certificate_subject(self.certificate)


def _ca_key_usage(_policy: Policy, _cert: x509.Certificate, ext: x509.KeyUsage | None) -> None:
    if ext is not None and not ext.key_cert_sign:
        raise ValueError("a CA certificate without keyCertSign")


def _verifier(anchors: Sequence[x509.Certificate], at: dt.datetime) -> object:
    ca_policy = (
        ExtensionPolicy.permit_all()
        .require_present(x509.BasicConstraints, Criticality.AGNOSTIC, None)
        .may_be_present(x509.KeyUsage, Criticality.AGNOSTIC, _ca_key_usage)
    )
    return (
        PolicyBuilder()
        .store(Store(list(anchors)))
        .time(at.astimezone(dt.UTC).replace(tzinfo=None))
        .max_chain_depth(_MAX_DEPTH)
        .extension_policies(ca_policy=ca_policy, ee_policy=ExtensionPolicy.permit_all())
        .build_client_verifier()
    )


def _valid_at(cert: x509.Certificate, at: dt.datetime) -> bool:
    return cert.not_valid_before_utc <= at <= cert.not_valid_after_utc


def _validity_problem(cert: x509.Certificate, at: dt.datetime) -> PathProblem:
    return PathProblem(
        kind="validity",
        certificate=cert,
        detail={
            "not_before": vietnam_time(cert.not_valid_before_utc),
            "not_after": vietnam_time(cert.not_valid_after_utc),
            "time": vietnam_time(at),
        },
    )


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _diagnose(
    leaf: x509.Certificate,
    pool: Sequence[x509.Certificate],
    anchors: Sequence[x509.Certificate],
    at: dt.datetime,
) -> tuple[list[PathProblem], bool]:
    """Why the verifier found no path: the issuers (found by name and signature, ignoring time) that
    are not valid at ``at``, and whether following issuers so reaches an anchor at all."""
    expired: list[PathProblem] = []
    current = leaf
    seen = {leaf}
    reached = leaf in anchors
    for _ in range(_MAX_DEPTH):
        if reached:
            break
        issuer = next((c for c in [*anchors, *pool] if c not in seen and _issued_by(current, c)), None)
        if issuer is None:
            break
        if not _valid_at(issuer, at):
            expired.append(_validity_problem(issuer, at))
        reached = issuer in anchors
        seen.add(issuer)
        current = issuer
    return expired, reached


def _crl_usable(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> str | None:
    """Why ``crl`` cannot be trusted as ``issuer``'s CRL, or ``None``."""
    try:
        ku = issuer.extensions.get_extension_for_class(x509.KeyUsage).value
        if not ku.crl_sign:
            return "the issuer may not sign CRLs"
    except x509.ExtensionNotFound:
        pass
    try:
        if not crl.is_signature_valid(issuer.public_key()):  # type: ignore[arg-type]
            return "its signature does not verify"
    except (TypeError, ValueError):
        return "its signature does not verify"
    return None


def _revocation(
    chain: Sequence[x509.Certificate],
    crls: Sequence[x509.CertificateRevocationList],
    *,
    at: dt.datetime,
    now: dt.datetime,
) -> list[PathProblem]:
    out: list[PathProblem] = []
    for index in range(len(chain) - 1):
        cert, issuer = chain[index], chain[index + 1]
        usable: list[x509.CertificateRevocationList] = []
        for crl in crls:
            if crl.issuer != issuer.subject:
                continue
            reason = _crl_usable(crl, issuer)
            if reason is None:
                usable.append(crl)
            else:
                out.append(PathProblem(kind="bad_crl", certificate=issuer, detail={"reason": reason}))
        if not usable:
            out.append(
                PathProblem(kind="no_crl", certificate=cert, detail={"issuer": certificate_subject(issuer)})
            )
            continue
        for crl in usable:
            next_update = crl.next_update_utc
            if next_update is not None and next_update < now:
                out.append(
                    PathProblem(
                        kind="stale_crl",
                        certificate=issuer,
                        detail={"next_update": vietnam_time(next_update)},
                    )
                )
            entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
            if entry is None:
                continue
            try:
                reason_ext = entry.extensions.get_extension_for_class(x509.CRLReason).value
                if reason_ext.reason == x509.ReasonFlags.remove_from_crl:
                    continue
            except x509.ExtensionNotFound:
                pass
            revoked_at = entry.revocation_date_utc
            if revoked_at <= at:
                out.append(
                    PathProblem(
                        kind="revoked",
                        certificate=cert,
                        detail={
                            "revoked": vietnam_time(revoked_at),
                            "issuer": certificate_subject(issuer),
                            "time": vietnam_time(at),
                        },
                    )
                )
                break
    return out


@attrs.frozen(kw_only=True)
class PathResult:
    """The outcome of :func:`validate_path`: the validated chain (leaf first, anchor last) or problems."""

    chain: tuple[x509.Certificate, ...] | None
    problems: tuple[PathProblem, ...]
    checked_path: bool

    @property
    def ok(self) -> bool:
        return not any(p.kind in ("validity", "usage", "key", "chain", "revoked") for p in self.problems)


def validate_path(
    leaf: x509.Certificate,
    pool: Sequence[x509.Certificate],
    *,
    anchors: Sequence[x509.Certificate],
    crls: Sequence[x509.CertificateRevocationList],
    at: dt.datetime,
    now: dt.datetime,
    usage: str | None,
) -> PathResult:
    """Validate ``leaf`` at ``at`` through certificates from ``pool`` to one of ``anchors``.

    ``usage`` is the caller's verdict on the leaf's key usage (``None`` = allowed). ``now`` is the
    verification time, used to judge whether CRLs are current. Without anchors, only the leaf's own
    validity, key and usage are checked (``checked_path`` is false).
    """
    problems: list[PathProblem] = []
    key = key_problem(leaf.public_key())
    if key is not None:
        problems.append(PathProblem(kind="key", certificate=leaf, detail={"what": key}))
    if usage is not None:
        problems.append(PathProblem(kind="usage", certificate=leaf, detail={"usage": usage}))
    if not _valid_at(leaf, at):
        problems.append(_validity_problem(leaf, at))
    if not anchors:
        return PathResult(chain=None, problems=tuple(problems), checked_path=False)
    intermediates = [c for c in pool if c != leaf]
    try:
        verified = _verifier(anchors, at).verify(leaf, intermediates)  # type: ignore[attr-defined]
    except VerificationError:
        expired, reached = _diagnose(leaf, intermediates, anchors, at)
        problems.extend(expired)
        if not reached or not (expired or any(p.kind == "validity" for p in problems)):
            problems.append(PathProblem(kind="chain", certificate=leaf, detail={"time": vietnam_time(at)}))
        return PathResult(chain=None, problems=tuple(problems), checked_path=True)
    chain = tuple(verified.chain)
    if crls:
        problems.extend(_revocation(chain, crls, at=at, now=now))
    return PathResult(chain=chain, problems=tuple(problems), checked_path=True)
