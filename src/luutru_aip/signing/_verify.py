"""Verify a package signature: CMS (RFC 5652), certificate path (RFC 5280), timestamp (RFC 3161), coverage.

The checks, in order, each reported with its own ``SIG`` code (``data/rules/signing.toml``):

1. the signature file exists (SIG001) and is a well-formed, detached ``SignedData``
   with one signer (SIG002, SIG003);
2. the signed attributes: content type ``id-data``, one message digest that matches
   the signed file (SIG004), one signing time, and, when present, the ESS
   ``signingCertificateV2`` naming the signer's certificate (SIG006);
3. the signer's certificate is in the signature (SIG007) and the signature value
   verifies with its key (SIG005), with an accepted algorithm and key (SIG003);
4. an RFC 3161 timestamp over the signature value, if present: the token and the TSA's
   path at ``genTime`` (SIG015); its ``genTime`` becomes the validation time;
5. the signer's path to a trust anchor at the validation time (SIG008), validity (SIG009),
   key usage (SIG010) and, with CRL files, revocation (SIG011–SIG014);
6. coverage of the whole package through the signed file (SIG021–SIG028).

Failures say *what* failed and never anything that would help forge a signature
(no expected digests, no signature bytes). Every check that can run does run, so
one report lists every problem.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any, Final

import attrs
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from luutru_aip.findings import Finding, Skipped, finding
from luutru_aip.signing._asn1 import (
    OID,
    Asn1Error,
    Attribute,
    IndefiniteLengthError,
    SignedDataInfo,
    SignerInfoData,
    decode_octets,
    decode_oid,
    decode_signing_certificate,
    decode_signing_certificate_v2,
    decode_time,
    parse_signed_data,
    sid_matches,
    structure_problems,
)
from luutru_aip.signing._coverage import check_coverage
from luutru_aip.signing._crypto import (
    DIGESTS,
    certificate_subject,
    check_signature,
    digest,
    digest_name,
    load_certificate,
    usage_problem,
)
from luutru_aip.signing._package import MAX_SIGNATURE, SIGNATURE_PATH, PackageInfo
from luutru_aip.signing._time import vietnam_time
from luutru_aip.signing._trust import PathProblem, PathResult, TrustConfig, validate_path
from luutru_aip.signing._tsa import check_token

__all__ = ["SignatureFacts", "verify_open_package"]

#: A claimed signing time may be this much later than the reference (clock skew between machines).
SKEW: Final = dt.timedelta(minutes=5)
_ATTR_NAMES: Final = {
    OID.CONTENT_TYPE: "contentType",
    OID.MESSAGE_DIGEST: "messageDigest",
    OID.SIGNING_TIME: "signingTime",
    OID.SIGNING_CERTIFICATE_V2: "signingCertificateV2",
    OID.SIGNING_CERTIFICATE: "signingCertificate",
}
_TSA_CHECK: Final = {
    "validity": "certificate validity",
    "chain": "certificate path",
    "revoked": "certificate revoked",
    "key": "key",
    "usage": "key usage",
}


@attrs.frozen(kw_only=True)
class SignatureFacts:
    """What the verification established about the signature (for reports and PREMIS events)."""

    signer: str | None = None
    signing_time: dt.datetime | None = None
    timestamp: dt.datetime | None = None


@attrs.define
class _Run:
    sig_path: str
    findings: list[Finding] = attrs.Factory(list)
    skipped: list[Skipped] = attrs.Factory(list)

    def add(self, code: str, **params: Any) -> None:
        self.findings.append(finding(code, path=self.sig_path, **params))


def _attribute_map(attributes: Sequence[Attribute]) -> dict[str, list[tuple[bytes, ...]]]:
    out: dict[str, list[tuple[bytes, ...]]] = {}
    for attr in attributes:
        out.setdefault(attr.oid, []).append(attr.values)
    return out


def _single_value(values: list[tuple[bytes, ...]] | None) -> bytes | None:
    """RFC 5652 §11: one instance of the attribute with exactly one value, else ``None``."""
    if not values or len(values) != 1 or len(values[0]) != 1:
        return None
    return values[0][0]


def _structure(run: _Run, info: SignedDataInfo) -> SignerInfoData | None:
    if len(info.signer_infos) != 1:
        run.add("SIG003", what=f"{len(info.signer_infos)} signers (exactly one is expected)")
        return None
    si = info.signer_infos[0]
    if info.other_certificates:
        run.add("SIG003", what="attribute or other non-X.509 certificates")
    for reason in structure_problems(info, si):
        run.add("SIG002", reason=reason)
    if info.econtent_type != OID.DATA:
        run.add("SIG003", what=f"the content type {info.econtent_type} (id-data is expected)")
    if info.econtent is not None:
        run.add("SIG003", what="an attached copy of the content (a detached signature is expected)")
    return si


def _signed_attributes(
    run: _Run, si: SignerInfoData, signed_bytes: bytes, signed_file: str
) -> tuple[dict[str, list[tuple[bytes, ...]]], dt.datetime | None]:
    if si.signed_attrs is None:
        run.add("SIG006", attribute="signedAttrs")
        return {}, None
    amap = _attribute_map(si.signed_attrs)
    for oid, instances in amap.items():
        if len(instances) > 1:
            run.add("SIG006", attribute=_ATTR_NAMES.get(oid, oid))
    try:
        value = _single_value(amap.get(OID.CONTENT_TYPE))
        if value is None or decode_oid(value) != OID.DATA:
            run.add("SIG006", attribute="contentType")
    except Asn1Error:
        run.add("SIG006", attribute="contentType")
    value = _single_value(amap.get(OID.MESSAGE_DIGEST))
    try:
        claimed = None if value is None else decode_octets(value)
    except Asn1Error:
        claimed = None
    if claimed is None:
        run.add("SIG006", attribute="messageDigest")
    elif si.digest_oid in DIGESTS and digest(si.digest_oid, signed_bytes) != claimed:
        run.findings.append(finding("SIG004", path=signed_file))
    signing_time = None
    value = _single_value(amap.get(OID.SIGNING_TIME))
    try:
        signing_time = None if value is None else decode_time(value)
    except Asn1Error:
        signing_time = None
    if signing_time is None:
        run.add("SIG006", attribute="signingTime")
    return amap, signing_time


def _ess_hashes(run: _Run, amap: dict[str, list[tuple[bytes, ...]]]) -> list[tuple[str, bytes]] | None:
    """The (hash OID, hash) entries of signingCertificateV2 / signingCertificate; ``None`` if absent."""
    for oid, decoder in (
        (OID.SIGNING_CERTIFICATE_V2, decode_signing_certificate_v2),
        (OID.SIGNING_CERTIFICATE, decode_signing_certificate),
    ):
        if oid not in amap:
            continue
        value = _single_value(amap[oid])
        try:
            if value is None:
                raise Asn1Error("several values")
            entries = decoder(value)
            if not entries:
                raise Asn1Error("no certificate")
        except Asn1Error:
            run.add("SIG006", attribute=_ATTR_NAMES[oid])
            return []
        return [(e.hash_oid, e.value) for e in entries]
    return None


def _hash_of(hash_oid: str, der: bytes) -> bytes | None:
    if hash_oid in DIGESTS:
        return digest(hash_oid, der)
    if hash_oid == OID.SHA1:  # ESSCertID v1 (RFC 2634) names certificates by SHA-1; never used to sign
        return hashlib.sha1(der, usedforsecurity=False).digest()
    return None


def _path_findings(run: _Run, result: PathResult, *, tsa: bool) -> None:
    for problem in result.problems:
        _problem_finding(run, problem, tsa=tsa)


def _problem_finding(run: _Run, problem: PathProblem, *, tsa: bool) -> None:
    d = problem.detail
    if problem.kind == "bad_crl":
        run.add("SIG014", issuer=problem.subject, reason=d.get("reason"))
    elif problem.kind == "no_crl":
        run.add("SIG012", subject=problem.subject, issuer=d.get("issuer"))
    elif problem.kind == "stale_crl":
        run.add("SIG013", issuer=problem.subject, next_update=d.get("next_update"))
    elif tsa:
        run.add("SIG015", check=_TSA_CHECK[problem.kind])
    elif problem.kind == "key":
        run.add("SIG003", what=d.get("what"))
    elif problem.kind == "usage":
        run.add("SIG010", subject=problem.subject, usage=d.get("usage"))
    elif problem.kind == "validity":
        run.add(
            "SIG009",
            subject=problem.subject,
            not_before=d.get("not_before"),
            not_after=d.get("not_after"),
            time=d.get("time"),
        )
    elif problem.kind == "chain":
        run.add("SIG008", subject=problem.subject, time=d.get("time"))
    elif problem.kind == "revoked":
        run.add(
            "SIG011",
            subject=problem.subject,
            revoked=d.get("revoked"),
            issuer=d.get("issuer"),
            time=d.get("time"),
        )


@attrs.define
class _Stamp:
    gen_time: dt.datetime
    chain: tuple[x509.Certificate, ...]


def _timestamps(
    run: _Run,
    si: SignerInfoData,
    pool: Sequence[x509.Certificate],
    config: TrustConfig,
    now: dt.datetime,
) -> _Stamp | None:
    tokens: list[bytes] = []
    for attr in si.unsigned_attrs:
        if attr.oid == OID.TIME_STAMP_TOKEN:
            tokens.extend(attr.values)
        else:
            run.add("SIG016", oid=attr.oid)
    best: _Stamp | None = None
    for token in tokens:
        check = check_token(token, si.signature)
        if check.failed is not None or check.tsa_certificate is None or check.gen_time is None:
            run.add("SIG015", check=check.failed or "format")
            continue
        if not config.tsa_anchors:
            run.skipped.append(
                Skipped(check="signature.timestamp", reason="no trust anchors for time-stamping authorities")
            )
            continue
        result = validate_path(
            check.tsa_certificate,
            [*check.certificates, *pool],
            anchors=config.tsa_anchors,
            crls=config.crls,
            at=check.gen_time,
            now=now,
            usage=None,
        )
        _path_findings(run, result, tsa=True)
        if not result.ok or result.chain is None:
            continue
        if check.tsa_certificate.not_valid_after_utc < now:
            run.add(
                "SIG029",
                subject=certificate_subject(check.tsa_certificate),
                not_after=vietnam_time(check.tsa_certificate.not_valid_after_utc),
            )
        if best is None or check.gen_time < best.gen_time:
            best = _Stamp(gen_time=check.gen_time, chain=result.chain)
    return best


def _check_cms(
    run: _Run, sig_bytes: bytes, signed_bytes: bytes, signed_file: str, config: TrustConfig, now: dt.datetime
) -> SignatureFacts:
    try:
        info = parse_signed_data(sig_bytes)
    except IndefiniteLengthError:
        run.add("SIG003", what="an indefinite-length (streamed BER) encoding; re-encode it in DER")
        return SignatureFacts()
    except Asn1Error as exc:
        run.add("SIG002", reason=str(exc))
        return SignatureFacts()
    si = _structure(run, info)
    if si is None:
        return SignatureFacts()
    if si.digest_oid not in DIGESTS:
        run.add("SIG003", what=f"the digest algorithm {digest_name(si.digest_oid)}")
    amap, signing_time = _signed_attributes(run, si, signed_bytes, signed_file)
    certs: list[tuple[bytes, x509.Certificate]] = []
    for der in info.certificates:
        loaded = load_certificate(der)
        if loaded is None:
            run.add("SIG002", reason="an embedded certificate cannot be read")
        else:
            certs.append((der, loaded))
    signer = next(((der, c) for der, c in certs if sid_matches(si.sid_der, si.sid_is_key_id, der)), None)
    if signer is None:
        run.add("SIG007")
        return SignatureFacts(signing_time=signing_time)
    signer_der, signer_cert = signer
    if si.signed_attrs_der is not None and si.digest_oid in DIGESTS:
        result = check_signature(
            signer_cert.public_key(),
            signature_oid=si.signature_oid,
            signature_params=si.signature_params,
            digest_oid=si.digest_oid,
            signature=si.signature,
            data=si.signed_attrs_der,
        )
        if result.unsupported is not None:
            run.add("SIG003", what=result.unsupported)
        elif not result.ok:
            run.add("SIG005")
    protected: set[bytes] = set()
    ess = _ess_hashes(run, amap)
    if ess:
        available = [der for der, _ in certs] + [
            a.public_bytes(Encoding.DER) for a in (*config.anchors, *config.tsa_anchors)
        ]
        first_oid, first_hash = ess[0]
        bound = _hash_of(first_oid, signer_der) == first_hash
        for hash_oid, value in ess:
            match = next((der for der in available if _hash_of(hash_oid, der) == value), None)
            if match is None:
                bound = False
            else:
                protected.add(match)
        if not bound:  # the signer's certificate, or a certificate the signature names, was changed
            run.add("SIG006", attribute="signingCertificateV2")
    pool = [c for _, c in certs]
    stamp = _timestamps(run, si, pool, config, now)
    at = stamp.gen_time if stamp is not None else now
    result_path = validate_path(
        signer_cert,
        pool,
        anchors=config.anchors,
        crls=config.crls,
        at=at,
        now=now,
        usage=usage_problem(signer_cert),
    )
    _path_findings(run, result_path, tsa=False)
    if not result_path.checked_path:
        run.add("SIG017")
        run.skipped.append(Skipped(check="signature.trust", reason="no trust anchors were configured"))
    elif not config.crls:
        run.skipped.append(Skipped(check="signature.revocation", reason="no CRL files were given"))
    if result_path.checked_path:
        on_path = set(result_path.chain or ()) | set(stamp.chain if stamp else ())
        for der, cert in certs:
            if cert not in on_path and der not in protected:
                run.add("SIG019", subject=certificate_subject(cert))
    if signing_time is not None:
        reference = stamp.gen_time if stamp is not None else now
        if signing_time > reference + SKEW:
            run.add("SIG018", signing_time=vietnam_time(signing_time), reference=vietnam_time(reference))
    return SignatureFacts(
        signer=certificate_subject(signer_cert),
        signing_time=signing_time,
        timestamp=stamp.gen_time if stamp is not None else None,
    )


def verify_open_package(
    package: PackageInfo, *, config: TrustConfig, now: dt.datetime, workers: int, coverage: bool = True
) -> tuple[list[Finding], list[Skipped], SignatureFacts]:
    """Every signature finding for an opened package (see the module docs for the order of checks)."""
    run = _Run(sig_path=SIGNATURE_PATH)
    run.findings.extend(package.zip_findings)
    entries = package.source.entries()
    if SIGNATURE_PATH not in entries:
        run.add("SIG001")
        return run.findings, run.skipped, SignatureFacts()
    try:
        sig_bytes = package.source.read(SIGNATURE_PATH, max_bytes=MAX_SIGNATURE)
    except OSError:
        run.add("SIG002", reason="the file cannot be read or is too large")
        return run.findings, run.skipped, SignatureFacts()
    signed_file = package.signed_file
    if signed_file is None:
        expected = "METS.xml" if package.kind.value == "mets" else "tagmanifest-sha256.txt"
        run.findings.append(finding("SIG028", path=expected))
        return run.findings, run.skipped, SignatureFacts()
    try:
        signed_bytes = package.source.read(signed_file, max_bytes=1 << 30)
    except OSError:
        run.findings.append(finding("SIG028", path=signed_file))
        return run.findings, run.skipped, SignatureFacts()
    facts = _check_cms(run, sig_bytes, signed_bytes, signed_file, config, now)
    if not coverage:
        run.skipped.append(
            Skipped(check="signature.coverage", reason="left to the caller, which checked every checksum")
        )
        return run.findings, run.skipped, facts
    found, skipped = check_coverage(package, signed_bytes, workers=workers)
    run.findings.extend(found)
    run.skipped.extend(skipped)
    return run.findings, run.skipped, facts
