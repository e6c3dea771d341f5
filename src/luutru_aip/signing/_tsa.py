"""RFC 3161 time-stamp tokens: asking a TSA over HTTP, and checking a token.

A token is added to a signature as the unsigned attribute ``id-aa-timeStampToken``
(RFC 3161 Appendix A) over the *signature value*, so it proves that the signature
existed at the token's ``genTime``. That time, when the token checks out, becomes
the validation time for the signer's certificate: a signature stays verifiable
after the certificate expires, provided it was timestamped while it was valid.

The HTTP transport is RFC 3161 §3.4: a POST of ``application/timestamp-query``,
answered with ``application/timestamp-reply``. Only ``http`` and ``https`` URLs
are used, with a timeout and a response size limit.

Token checks (:func:`check_token`), each with a short name used in findings:

``format``            the token is a SignedData with one signer and a TSTInfo (RFC 3161 §2.4.2);
``message imprint``   the TSTInfo hashes exactly the signature value, with SHA-256/384/512;
``signature``         the token's message digest and signature verify (RFC 5652 §5.4, §5.6);
``certificate``       the TSA certificate is in the token and is the one named by the ESS
                      signingCertificate(V2) attribute that RFC 3161 §2.4.1 requires;
``key usage``         that certificate's only extended key usage is ``id-kp-timeStamping``,
                      marked critical (RFC 3161 §2.3).

The TSA's certificate path is validated by the caller at ``genTime`` (the token
must have been made while the TSA certificate was valid), with the TSA anchors.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import urllib.error
import urllib.parse
import urllib.request
from typing import Final

import attrs
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from luutru_aip.errors import LuutruError
from luutru_aip.signing._asn1 import (
    OID,
    Asn1Error,
    SignedDataInfo,
    decode_octets,
    decode_oid,
    decode_signing_certificate,
    decode_signing_certificate_v2,
    encode_timestamp_request,
    parse_signed_data,
    parse_timestamp_response,
    parse_tst_info,
    sid_matches,
    structure_problems,
)
from luutru_aip.signing._crypto import DIGESTS, check_signature, digest, load_certificate

__all__ = ["MAX_RESPONSE", "TimestampError", "TokenCheck", "check_token", "request_timestamp"]

#: Largest TSA response read (a token with a few certificates is a few KiB).
MAX_RESPONSE: Final = 1 << 20
_TIMEOUT: Final = 30.0
_SHA1_LEN: Final = 20


class TimestampError(LuutruError):
    """The time-stamping authority could not be reached, refused, or answered with an unusable token."""


@attrs.frozen(kw_only=True)
class TokenCheck:
    """What :func:`check_token` found: the failed check's name (``None`` = all passed), the time and the
    TSA certificate with the other certificates the token carries."""

    failed: str | None
    gen_time: dt.datetime | None = None
    tsa_certificate: x509.Certificate | None = None
    certificates: tuple[x509.Certificate, ...] = ()
    nonce: int | None = None


def _load_certs(info: SignedDataInfo) -> list[tuple[bytes, x509.Certificate]]:
    out: list[tuple[bytes, x509.Certificate]] = []
    for der in info.certificates:
        cert = load_certificate(der)
        if cert is not None:
            out.append((der, cert))
    return out


def _single(values: tuple[bytes, ...]) -> bytes | None:
    return values[0] if len(values) == 1 else None


def _ess_matches(info_attrs: dict[str, tuple[bytes, ...]], cert_der: bytes) -> bool:
    """RFC 3161 §2.4.1: the ESS signingCertificate(V2) must be present and name the TSA certificate."""
    v2 = info_attrs.get(OID.SIGNING_CERTIFICATE_V2)
    v1 = info_attrs.get(OID.SIGNING_CERTIFICATE)
    try:
        if v2 is not None:
            value = _single(v2)
            if value is None:
                return False
            first = decode_signing_certificate_v2(value)[0]
            return first.hash_oid in DIGESTS and digest(first.hash_oid, cert_der) == first.value
        if v1 is not None:
            value = _single(v1)
            if value is None:
                return False
            first = decode_signing_certificate(value)[0]
            # ESSCertID v1 (RFC 2634) names the TSA certificate by SHA-1; SHA-1 is never used to sign.
            return (
                len(first.value) == _SHA1_LEN
                and hashlib.sha1(cert_der, usedforsecurity=False).digest() == first.value
            )
    except (Asn1Error, IndexError):
        return False
    return False


def _eku_ok(cert: x509.Certificate) -> bool:
    try:
        ext = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        return False
    return ext.critical and list(ext.value) == [ExtendedKeyUsageOID.TIME_STAMPING]


def check_token(token: bytes, signature_value: bytes) -> TokenCheck:
    """Check a time-stamp token over ``signature_value`` (everything but the TSA's certificate path)."""
    try:
        info = parse_signed_data(token)
    except Asn1Error:
        return TokenCheck(failed="format")
    if len(info.signer_infos) != 1 or info.econtent_type != OID.TST_INFO or info.econtent is None:
        return TokenCheck(failed="format")
    if structure_problems(info, info.signer_infos[0]):
        return TokenCheck(failed="format")
    try:
        tst = parse_tst_info(info.econtent)
    except Asn1Error:
        return TokenCheck(failed="format")
    if tst.version != 1:
        return TokenCheck(failed="format")
    certs = _load_certs(info)
    others = tuple(c for _, c in certs)
    if tst.hash_oid not in DIGESTS or digest(tst.hash_oid, signature_value) != tst.hashed_message:
        return TokenCheck(failed="message imprint", gen_time=tst.gen_time, certificates=others)
    signer = info.signer_infos[0]
    match = next(
        ((der, c) for der, c in certs if sid_matches(signer.sid_der, signer.sid_is_key_id, der)), None
    )
    if match is None:
        return TokenCheck(failed="certificate", gen_time=tst.gen_time, certificates=others)
    cert_der, cert = match
    attrs_map: dict[str, tuple[bytes, ...]] = {}
    for attr in signer.signed_attrs or ():
        attrs_map[attr.oid] = attrs_map.get(attr.oid, ()) + attr.values
    content_type = _single(attrs_map.get(OID.CONTENT_TYPE, ()))
    message_digest = _single(attrs_map.get(OID.MESSAGE_DIGEST, ()))
    try:
        if (
            signer.signed_attrs_der is None
            or content_type is None
            or decode_oid(content_type) != OID.TST_INFO
            or message_digest is None
            or signer.digest_oid not in DIGESTS
            or decode_octets(message_digest) != digest(signer.digest_oid, info.econtent)
        ):
            return TokenCheck(failed="signature", gen_time=tst.gen_time, certificates=others)
    except Asn1Error:
        return TokenCheck(failed="signature", gen_time=tst.gen_time, certificates=others)
    result = check_signature(
        cert.public_key(),
        signature_oid=signer.signature_oid,
        signature_params=signer.signature_params,
        digest_oid=signer.digest_oid,
        signature=signer.signature,
        data=signer.signed_attrs_der,
    )
    if not result.ok:
        return TokenCheck(failed="signature", gen_time=tst.gen_time, certificates=others)
    if not _ess_matches(attrs_map, cert_der):
        return TokenCheck(failed="certificate", gen_time=tst.gen_time, certificates=others)
    if not _eku_ok(cert):
        return TokenCheck(
            failed="key usage", gen_time=tst.gen_time, tsa_certificate=cert, certificates=others
        )
    return TokenCheck(
        failed=None, gen_time=tst.gen_time, tsa_certificate=cert, certificates=others, nonce=tst.nonce
    )


def request_timestamp(url: str, signature_value: bytes, *, timeout: float = _TIMEOUT) -> bytes:
    """Ask the TSA at ``url`` for a token over ``signature_value`` (SHA-256 imprint, a fresh nonce).

    Returns the token (DER ContentInfo) after checking it (:func:`check_token`) and its nonce.
    Raises :class:`TimestampError` when the TSA cannot be reached, refuses, or answers badly.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise TimestampError(f"the TSA URL must be an http:// or https:// URL, not {url!r}")
    nonce = secrets.randbits(63) | 1
    body = encode_timestamp_request(
        hash_oid=OID.SHA256, digest=digest(OID.SHA256, signature_value), nonce=nonce
    )
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/timestamp-query", "Accept": "application/timestamp-reply"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked
            data = response.read(MAX_RESPONSE + 1)
    except urllib.error.HTTPError as exc:
        raise TimestampError(f"the TSA at {url} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TimestampError(f"cannot reach the TSA at {url}: {reason}") from None
    if len(data) > MAX_RESPONSE:
        raise TimestampError(f"the TSA at {url} sent more than {MAX_RESPONSE} bytes")
    try:
        answer = parse_timestamp_response(data)
    except Asn1Error:
        raise TimestampError(f"the TSA at {url} did not answer with an RFC 3161 TimeStampResp") from None
    if answer.status not in (0, 1) or answer.token is None:
        detail = "; ".join(x for x in (answer.status_text, answer.failure) if x)
        raise TimestampError(
            f"the TSA at {url} refused the request (status {answer.status}{': ' + detail if detail else ''})"
        )
    check = check_token(answer.token, signature_value)
    if check.failed is not None:
        raise TimestampError(f"the TSA at {url} sent a token that fails the check: {check.failed}")
    if check.nonce != nonce:
        raise TimestampError(f"the TSA at {url} sent a token for another request (nonce mismatch)")
    return answer.token
