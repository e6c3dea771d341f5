"""The one adapter for :mod:`asn1crypto`: CMS (RFC 5652) and RFC 3161 structures in and out.

Everything else in :mod:`luutru_aip.signing` works with the plain, typed values
defined here (DER bytes, dotted OIDs, ints, datetimes); only this module
touches asn1crypto objects, so the ASN.1 library can be replaced in one place.

What it implements:

* RFC 5652 §5 SignedData: parse (:func:`parse_signed_data`) and build
  (:func:`encode_signed_data`); §5.3/§5.4 the signed attributes, kept as the
  exact bytes that were signed (the ``[0] IMPLICIT`` tag replaced by the
  ``SET OF`` tag, §5.4) so that signatures are checked over what the signer
  really signed, never over a re-encoding;
* RFC 5652 §11 content type, message digest and signing time attributes;
  RFC 5035 ``signingCertificateV2`` and RFC 2634 §5.4 ``signingCertificate``;
* RFC 3161 §2.4 ``TimeStampReq``/``TimeStampResp`` and §2.4.2 ``TSTInfo``;
* RFC 4055 §3.1 RSASSA-PSS parameters.

Parsing is strict about framing (no bytes after the outer structure) and turns
every decoding problem into :class:`Asn1Error`; nothing of asn1crypto leaks out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Final

import attrs
from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as ax509

__all__ = [
    "OID",
    "Asn1Error",
    "Attribute",
    "CertHash",
    "IndefiniteLengthError",
    "PssParams",
    "SignedDataInfo",
    "SignerInfoData",
    "TSTInfoData",
    "TimeStampResponse",
    "decode_octets",
    "decode_oid",
    "decode_pss_params",
    "decode_signing_certificate",
    "decode_signing_certificate_v2",
    "decode_time",
    "encode_signed_attributes",
    "encode_signed_data",
    "encode_timestamp_request",
    "parse_signed_data",
    "parse_timestamp_response",
    "parse_tst_info",
    "sid_matches",
    "structure_problems",
]


class OID:
    """Object identifiers used by the signing package (dotted strings)."""

    DATA: Final = "1.2.840.113549.1.7.1"
    SIGNED_DATA: Final = "1.2.840.113549.1.7.2"
    TST_INFO: Final = "1.2.840.113549.1.9.16.1.4"
    CONTENT_TYPE: Final = "1.2.840.113549.1.9.3"
    MESSAGE_DIGEST: Final = "1.2.840.113549.1.9.4"
    SIGNING_TIME: Final = "1.2.840.113549.1.9.5"
    SIGNING_CERTIFICATE: Final = "1.2.840.113549.1.9.16.2.12"
    SIGNING_CERTIFICATE_V2: Final = "1.2.840.113549.1.9.16.2.47"
    TIME_STAMP_TOKEN: Final = "1.2.840.113549.1.9.16.2.14"  # noqa: S105 - an OID, not a secret
    SHA1: Final = "1.3.14.3.2.26"
    SHA256: Final = "2.16.840.1.101.3.4.2.1"
    SHA384: Final = "2.16.840.1.101.3.4.2.2"
    SHA512: Final = "2.16.840.1.101.3.4.2.3"
    RSA: Final = "1.2.840.113549.1.1.1"
    RSA_PSS: Final = "1.2.840.113549.1.1.10"
    MGF1: Final = "1.2.840.113549.1.1.8"
    SHA256_RSA: Final = "1.2.840.113549.1.1.11"
    SHA384_RSA: Final = "1.2.840.113549.1.1.12"
    SHA512_RSA: Final = "1.2.840.113549.1.1.13"
    EC_PUBLIC_KEY: Final = "1.2.840.10045.2.1"
    ECDSA_SHA256: Final = "1.2.840.10045.4.3.2"
    ECDSA_SHA384: Final = "1.2.840.10045.4.3.3"
    ECDSA_SHA512: Final = "1.2.840.10045.4.3.4"


class Asn1Error(ValueError):
    """A structure could not be decoded (or encoded); the message says which, without content."""


#: Exceptions asn1crypto raises on bad input (it has no common base class of its own).
_DECODE_ERRORS: Final = (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError)


@attrs.frozen(kw_only=True)
class Attribute:
    """One CMS attribute: its type and the DER of each of its values."""

    oid: str
    values: tuple[bytes, ...]


@attrs.frozen(kw_only=True)
class SignerInfoData:
    """One ``SignerInfo`` (RFC 5652 §5.3), decoded."""

    version: int
    sid_der: bytes
    """The DER of the ``SignerIdentifier`` (see :func:`sid_matches`)."""
    sid_is_key_id: bool
    digest_oid: str
    digest_params: bytes | None
    """DER of the digest algorithm parameters, or ``None`` when absent or NULL (RFC 5754 §2)."""
    signed_attrs: tuple[Attribute, ...] | None
    signed_attrs_der: bytes | None
    """The signed attributes as signed: ``SET OF`` tag plus the original length and content (§5.4)."""
    signature_oid: str
    signature_params: bytes | None
    """DER of the signature algorithm parameters, or ``None`` when absent or NULL."""
    signature: bytes
    unsigned_attrs: tuple[Attribute, ...]


@attrs.frozen(kw_only=True)
class SignedDataInfo:
    """A ``ContentInfo`` holding ``SignedData`` (RFC 5652 §3, §5.1), decoded."""

    version: int
    digest_oids: tuple[str, ...]
    digest_params: tuple[bytes | None, ...]
    """Parameters of each of :attr:`digest_oids` (``None`` = absent or NULL)."""
    econtent_type: str
    econtent: bytes | None
    certificates: tuple[bytes, ...]
    """DER of each X.509 certificate in ``certificates``."""
    other_certificates: int
    """How many entries of ``certificates`` are not X.509 certificates (attribute certificates, other)."""
    signer_infos: tuple[SignerInfoData, ...]


@attrs.frozen(kw_only=True)
class TSTInfoData:
    """An RFC 3161 §2.4.2 ``TSTInfo``, decoded."""

    version: int
    policy: str
    hash_oid: str
    hashed_message: bytes
    serial_number: int
    gen_time: dt.datetime
    nonce: int | None


@attrs.frozen(kw_only=True)
class TimeStampResponse:
    """An RFC 3161 §2.4.2 ``TimeStampResp``: the status and, when granted, the token's DER."""

    status: int
    status_text: str
    failure: str
    token: bytes | None


@attrs.frozen(kw_only=True)
class CertHash:
    """One ``ESSCertID``/``ESSCertIDv2`` entry (RFC 2634 §5.4.1, RFC 5035 §4): hash algorithm and value."""

    hash_oid: str
    value: bytes


@attrs.frozen(kw_only=True)
class PssParams:
    """RSASSA-PSS parameters (RFC 4055 §3.1)."""

    hash_oid: str
    mgf_oid: str
    mgf_hash_oid: str | None
    salt_length: int
    trailer_field: int


# --------------------------------------------------------------------------- decoding


# --------------------------------------------------------------------------- raw TLV framing
#
# asn1crypto decodes the values, but its ``dump()`` does not always return the bytes it was given:
# a child reached through implicit tagging can come back re-encoded (a BER boolean ``0xFE`` as DER
# ``0xFF``). Signatures and certificate hashes must be checked over the bytes *in the file*, so
# every byte string handed out here is cut from the input by this small X.690 §8.1 TLV reader.
# It accepts definite lengths only (DER framing); an indefinite-length (streamed BER) signature
# is refused as unsupported.


class IndefiniteLengthError(Asn1Error):
    """The input uses indefinite-length (streamed BER) encoding, which is not accepted."""


def _tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """``(first tag byte, content start, end)`` of the TLV at ``pos``."""
    size = len(data)
    if pos >= size:
        raise Asn1Error("truncated")
    tag = data[pos]
    pos += 1
    if tag & 0x1F == 0x1F:  # high tag number form (X.690 §8.1.2.4)
        while True:
            if pos >= size:
                raise Asn1Error("truncated tag")
            more = data[pos] & 0x80
            pos += 1
            if not more:
                break
    if pos >= size:
        raise Asn1Error("truncated length")
    first = data[pos]
    pos += 1
    if first == 0x80:
        raise IndefiniteLengthError("indefinite-length encoding")
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count > 8 or pos + count > size:
            raise Asn1Error("bad length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    end = pos + length
    if end > size:
        raise Asn1Error("truncated content")
    return tag, pos, end


def _children(tlv: bytes) -> list[bytes]:
    """The raw TLVs inside the constructed element ``tlv`` (which must be exactly one element)."""
    tag, pos, end = _tlv(tlv, 0)
    if end != len(tlv):
        raise Asn1Error("trailing data")
    if not tag & 0x20:
        raise Asn1Error("not a constructed element")
    out: list[bytes] = []
    while pos < end:
        _t, _s, child_end = _tlv(tlv, pos)
        out.append(tlv[pos:child_end])
        pos = child_end
    return out


def _content(tlv: bytes) -> bytes:
    """The content octets of a primitive element (a constructed OCTET STRING is joined)."""
    tag, pos, end = _tlv(tlv, 0)
    if tag & 0x20:
        return b"".join(_content(child) for child in _children(tlv))
    return tlv[pos:end]


def _raw_attributes(tlv: bytes) -> tuple[Attribute, ...]:
    """``[0]``/``[1]`` IMPLICIT ``SET OF Attribute`` → attributes with raw value bytes."""
    out: list[Attribute] = []
    for attr in _children(tlv):
        parts = _children(attr)
        if attr[0] != 0x30 or len(parts) != 2 or parts[0][0] != 0x06 or parts[1][0] != 0x31:
            raise Asn1Error("an attribute is not a type and a SET of values")
        oid = str(core.ObjectIdentifier.load(parts[0], strict=True).dotted)
        out.append(Attribute(oid=oid, values=tuple(_children(parts[1]))))
    return tuple(out)


@attrs.frozen
class _RawSignerInfo:
    sid: bytes
    signed_attrs: bytes | None
    unsigned_attrs: bytes | None


def _tags(parts: Sequence[bytes]) -> tuple[int, ...]:
    return tuple(p[0] for p in parts)


def _raw_signer_info(tlv: bytes) -> _RawSignerInfo:
    """RFC 5652 §5.3: version, sid, digestAlgorithm, [0] signedAttrs?, signatureAlgorithm, signature,
    [1] unsignedAttrs? — in this order, with these tags and nothing else."""
    parts = _children(tlv)
    if tlv[0] != 0x30 or len(parts) < 5:
        raise Asn1Error("a SignerInfo has the wrong shape")
    signed = parts[3] if parts[3][0] == 0xA0 else None
    rest = parts[4:] if signed is not None else parts[3:]
    unsigned = rest[2] if len(rest) == 3 else None
    if (
        parts[0][0] != 0x02
        or parts[1][0] not in (0x30, 0x80)
        or parts[2][0] != 0x30
        or len(rest) not in (2, 3)
        or _tags(rest[:2]) != (0x30, 0x04)
        or (unsigned is not None and unsigned[0] != 0xA1)
    ):
        raise Asn1Error("a SignerInfo has the wrong shape")
    return _RawSignerInfo(sid=parts[1], signed_attrs=signed, unsigned_attrs=unsigned)


@attrs.frozen
class _RawSignedData:
    certificates: tuple[bytes, ...]
    econtent: bytes | None
    signer_infos: tuple[_RawSignerInfo, ...]


def _raw_signed_data(der: bytes) -> _RawSignedData:
    """RFC 5652 §3 ContentInfo and §5.1 SignedData: version, digestAlgorithms, encapContentInfo,
    [0] certificates?, [1] crls?, signerInfos — in this order, with these tags."""
    outer = _children(der)
    if der[0] != 0x30 or _tags(outer) != (0x06, 0xA0):
        raise Asn1Error("not a ContentInfo")
    explicit = _children(outer[1])
    if len(explicit) != 1 or explicit[0][0] != 0x30:
        raise Asn1Error("not a ContentInfo")
    parts = _children(explicit[0])
    middle = _tags(parts[3:-1])
    if (
        len(parts) < 4
        or _tags(parts[:3]) != (0x02, 0x31, 0x30)
        or parts[-1][0] != 0x31
        or middle not in ((), (0xA0,), (0xA1,), (0xA0, 0xA1))
    ):
        raise Asn1Error("a SignedData has the wrong shape")
    encap = _children(parts[2])
    if not 1 <= len(encap) <= 2 or encap[0][0] != 0x06 or (len(encap) == 2 and encap[1][0] != 0xA0):
        raise Asn1Error("an encapContentInfo has the wrong shape")
    econtent = None
    if len(encap) == 2:
        wrapped = _children(encap[1])
        if len(wrapped) != 1 or wrapped[0][0] not in (0x04, 0x24):
            raise Asn1Error("bad eContent")
        econtent = _content(wrapped[0])
    certificates: tuple[bytes, ...] = ()
    for part in parts[3:-1]:
        if part[0] == 0xA0:
            certificates = tuple(_children(part))
    return _RawSignedData(
        certificates=certificates,
        econtent=econtent,
        signer_infos=tuple(_raw_signer_info(si) for si in _children(parts[-1])),
    )


def _params_der(algorithm: Any) -> bytes | None:
    params = algorithm["parameters"]
    if params is None or isinstance(params, core.Void | core.Null):
        return None
    return bytes(params.dump())


def _version(value: Any) -> int:
    native = value.native
    if isinstance(native, str) and native.startswith("v"):
        return int(native[1:])
    return int(native)


def _signer_info(si: Any, raw: _RawSignerInfo) -> SignerInfoData:
    sid = si["sid"]
    key_id = sid.name == "subject_key_identifier"
    if raw.signed_attrs is None:
        if not isinstance(si["signed_attrs"], core.Void):
            raise Asn1Error("the signed attributes cannot be located")
        signed_attrs: tuple[Attribute, ...] | None = None
        signed_der: bytes | None = None
    else:
        signed_der = b"\x31" + raw.signed_attrs[1:]
        signed_attrs = _raw_attributes(raw.signed_attrs)
    return SignerInfoData(
        version=_version(si["version"]),
        sid_der=raw.sid,
        sid_is_key_id=key_id,
        digest_oid=str(si["digest_algorithm"]["algorithm"].dotted),
        digest_params=_params_der(si["digest_algorithm"]),
        signed_attrs=signed_attrs,
        signed_attrs_der=signed_der,
        signature_oid=str(si["signature_algorithm"]["algorithm"].dotted),
        signature_params=_params_der(si["signature_algorithm"]),
        signature=bytes(si["signature"].native),
        unsigned_attrs=() if raw.unsigned_attrs is None else _raw_attributes(raw.unsigned_attrs),
    )


def parse_signed_data(der: bytes) -> SignedDataInfo:
    """Decode a ``ContentInfo`` with ``SignedData``; :class:`Asn1Error` on any problem.

    Byte strings in the result (certificates, signed attributes, attribute values, eContent)
    are exactly the bytes of ``der``.
    """
    try:
        raw = _raw_signed_data(der)
        info = cms.ContentInfo.load(der, strict=True)
        if info["content_type"].dotted != OID.SIGNED_DATA:
            raise Asn1Error("the content is not SignedData")
        sd = info["content"]
        encap = sd["encap_content_info"]
        if isinstance(encap["content"], core.Void) != (raw.econtent is None):
            raise Asn1Error("the eContent cannot be located")
        certs = sd["certificates"]
        choices = [] if isinstance(certs, core.Void) else [c.name for c in certs]
        if len(choices) != len(raw.certificates):
            raise Asn1Error("the certificates cannot be located")
        certificates = tuple(
            r for r, name in zip(raw.certificates, choices, strict=True) if name == "certificate"
        )
        signer_infos = list(sd["signer_infos"])
        if len(signer_infos) != len(raw.signer_infos):
            raise Asn1Error("the signerInfos cannot be located")
        return SignedDataInfo(
            version=_version(sd["version"]),
            digest_oids=tuple(str(d["algorithm"].dotted) for d in sd["digest_algorithms"]),
            digest_params=tuple(_params_der(d) for d in sd["digest_algorithms"]),
            econtent_type=str(encap["content_type"].dotted),
            econtent=raw.econtent,
            certificates=certificates,
            other_certificates=len(choices) - len(certificates),
            signer_infos=tuple(
                _signer_info(si, r) for si, r in zip(signer_infos, raw.signer_infos, strict=True)
            ),
        )
    except Asn1Error:
        raise
    except _DECODE_ERRORS as exc:
        raise Asn1Error(f"not a well-formed CMS SignedData ({type(exc).__name__})") from None


def structure_problems(info: SignedDataInfo, si: SignerInfoData) -> list[str]:
    """Inconsistencies between a SignedData's unsigned framing fields and its one signer (RFC 5652
    §5.1, §5.3; RFC 5754 §2–3). These fields are not covered by the signature, so they are checked
    to be exactly what the structure implies."""
    problems: list[str] = []
    expected_si = 3 if si.sid_is_key_id else 1
    expected_sd = 3 if (si.sid_is_key_id or info.econtent_type != OID.DATA) else 1
    if si.version != expected_si or info.version != expected_sd:
        problems.append("the version numbers do not match the structure (RFC 5652 §5.1, §5.3)")
    if si.digest_oid not in info.digest_oids:
        problems.append("digestAlgorithms does not list the signer's digest algorithm")
    if si.digest_params is not None or any(p is not None for p in info.digest_params):
        problems.append("a digest algorithm has parameters (RFC 5754 §2: absent or NULL)")
    if si.signature_oid != OID.RSA_PSS and si.signature_params is not None:
        problems.append("the signature algorithm has parameters it must not have (RFC 5754 §3)")
    return problems


def sid_matches(sid_der: bytes, is_key_id: bool, certificate_der: bytes) -> bool:
    """True when the ``SignerIdentifier`` names ``certificate_der`` (issuer and serial, or key identifier).

    The issuer name and serial number must repeat the certificate's byte for byte, as producers
    copy them (RFC 5652 §5.3): the identifier is not signed, so a looser, normalised match
    (RFC 5280 §7.1) would let a changed byte in it go unnoticed.
    """
    try:
        if is_key_id:
            cert = ax509.Certificate.load(certificate_der)
            key_id = cert.key_identifier
            return key_id is not None and _content(sid_der) == bytes(key_id)
        tbs = _children(_children(certificate_der)[0])
        offset = 1 if tbs[0][0] == 0xA0 else 0  # [0] version present
        serial, issuer = tbs[offset], tbs[offset + 2]
        wanted_issuer, wanted_serial = _children(sid_der)
        return issuer == wanted_issuer and serial == wanted_serial
    except (*_DECODE_ERRORS, Asn1Error):
        return False


def decode_oid(der: bytes) -> str:
    """The dotted form of a DER OBJECT IDENTIFIER."""
    try:
        return str(core.ObjectIdentifier.load(der, strict=True).dotted)
    except _DECODE_ERRORS as exc:
        raise Asn1Error(f"not an OBJECT IDENTIFIER ({type(exc).__name__})") from None


def decode_octets(der: bytes) -> bytes:
    """The content of a DER OCTET STRING."""
    try:
        return bytes(core.OctetString.load(der, strict=True).native)
    except _DECODE_ERRORS as exc:
        raise Asn1Error(f"not an OCTET STRING ({type(exc).__name__})") from None


def decode_time(der: bytes) -> dt.datetime:
    """A UTCTime or GeneralizedTime (RFC 5652 §11.3 ``Time``) as an aware UTC datetime."""
    try:
        value = cms.Time.load(der, strict=True).native
    except _DECODE_ERRORS as exc:
        raise Asn1Error(f"not a Time ({type(exc).__name__})") from None
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise Asn1Error("not a Time with a time zone")
    return value.astimezone(dt.UTC)


def decode_signing_certificate_v2(der: bytes) -> tuple[CertHash, ...]:
    """The certificate hashes of a ``SigningCertificateV2`` (RFC 5035 §3), first one the signer's."""
    try:
        value = tsp.SigningCertificateV2.load(der, strict=True)
        return tuple(
            CertHash(
                hash_oid=str(item["hash_algorithm"]["algorithm"].dotted),
                value=bytes(item["cert_hash"].native),
            )
            for item in value["certs"]
        )
    except _DECODE_ERRORS as exc:
        raise Asn1Error(f"not a SigningCertificateV2 ({type(exc).__name__})") from None


def decode_signing_certificate(der: bytes) -> tuple[CertHash, ...]:
    """The SHA-1 certificate hashes of a ``SigningCertificate`` (RFC 2634 §5.4)."""
    try:
        value = tsp.SigningCertificate.load(der, strict=True)
        return tuple(
            CertHash(hash_oid=OID.SHA1, value=bytes(item["cert_hash"].native)) for item in value["certs"]
        )
    except _DECODE_ERRORS as exc:
        raise Asn1Error(f"not a SigningCertificate ({type(exc).__name__})") from None


def decode_pss_params(der: bytes | None) -> PssParams:
    """RSASSA-PSS parameters; absent parameters mean the RFC 4055 defaults (SHA-1, which we refuse later)."""
    try:
        params = algos.RSASSAPSSParams.load(der, strict=True) if der else algos.RSASSAPSSParams()
        mgf = params["mask_gen_algorithm"]
        mgf_params = mgf["parameters"]
        mgf_hash = None
        if mgf_params is not None and not isinstance(mgf_params, core.Void | core.Null):
            mgf_hash = str(mgf_params["algorithm"].dotted)
        return PssParams(
            hash_oid=str(params["hash_algorithm"]["algorithm"].dotted),
            mgf_oid=str(mgf["algorithm"].dotted),
            mgf_hash_oid=mgf_hash,
            salt_length=int(params["salt_length"].native),
            trailer_field=1 if params["trailer_field"].native in ("trailer_field_bc", 1) else -1,
        )
    except _DECODE_ERRORS as exc:
        raise Asn1Error(f"not RSASSA-PSS parameters ({type(exc).__name__})") from None


def parse_tst_info(der: bytes) -> TSTInfoData:
    """Decode an RFC 3161 ``TSTInfo``."""
    try:
        info = tsp.TSTInfo.load(der, strict=True)
        nonce = info["nonce"].native
        gen_time = info["gen_time"].native
        if not isinstance(gen_time, dt.datetime):
            raise Asn1Error("genTime is not a time")
        return TSTInfoData(
            version=_version(info["version"]),
            policy=str(info["policy"].dotted),
            hash_oid=str(info["message_imprint"]["hash_algorithm"]["algorithm"].dotted),
            hashed_message=bytes(info["message_imprint"]["hashed_message"].native),
            serial_number=int(info["serial_number"].native),
            gen_time=gen_time.astimezone(dt.UTC),
            nonce=None if nonce is None else int(nonce),
        )
    except Asn1Error:
        raise
    except _DECODE_ERRORS as exc:
        raise Asn1Error(f"not a TSTInfo ({type(exc).__name__})") from None


def parse_timestamp_response(der: bytes) -> TimeStampResponse:
    """Decode an RFC 3161 ``TimeStampResp``; the token (when present) is returned as DER."""
    try:
        resp = tsp.TimeStampResp.load(der, strict=True)
        status = resp["status"]
        texts = status["status_string"].native or []
        failure = status["fail_info"].native
        parts = _children(der)
        return TimeStampResponse(
            status=int(status["status"]),
            status_text="; ".join(str(t) for t in texts),
            failure=", ".join(sorted(str(f) for f in failure)) if failure else "",
            token=parts[1] if len(parts) > 1 else None,
        )
    except (*_DECODE_ERRORS, Asn1Error) as exc:
        raise Asn1Error(f"not a TimeStampResp ({type(exc).__name__})") from None


# --------------------------------------------------------------------------- encoding


def _time_value(when: dt.datetime) -> Any:
    """RFC 5652 §11.3: UTCTime for 1950–2049, GeneralizedTime otherwise."""
    utc = when.astimezone(dt.UTC).replace(microsecond=0)
    if 1950 <= utc.year <= 2049:
        return cms.Time({"utc_time": utc})
    return cms.Time({"generalized_time": utc})


def encode_signed_attributes(
    *,
    signing_time: dt.datetime,
    message_digest: bytes,
    certificate_hashes: Sequence[bytes],
) -> bytes:
    """The DER ``SET OF Attribute`` to sign: content type (id-data), signing time, message digest and
    a ``SigningCertificateV2`` listing the SHA-256 hashes of ``certificate_hashes`` (signer's first)."""
    try:
        ess = tsp.SigningCertificateV2(
            {
                "certs": [
                    tsp.ESSCertIDv2({"hash_algorithm": {"algorithm": "sha256"}, "cert_hash": h})
                    for h in certificate_hashes
                ]
            }
        )
        attrs_value = cms.CMSAttributes(
            [
                cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
                cms.CMSAttribute({"type": "signing_time", "values": [_time_value(signing_time)]}),
                cms.CMSAttribute({"type": "message_digest", "values": [message_digest]}),
                cms.CMSAttribute({"type": "signing_certificate_v2", "values": [ess]}),
            ]
        )
        return bytes(attrs_value.dump(force=True))
    except _DECODE_ERRORS as exc:  # pragma: no cover - our own values
        raise Asn1Error(f"cannot encode the signed attributes ({exc})") from None


def _der(tag: int, content: bytes) -> bytes:
    """One DER TLV (X.690 §8.1, definite length in the shortest form)."""
    size = len(content)
    if size < 0x80:
        return bytes((tag, size)) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + content


def _set_of(elements: Sequence[bytes], tag: int = 0x31) -> bytes:
    """A DER SET OF: elements in ascending order of their encodings (X.690 §11.6)."""
    return _der(tag, b"".join(sorted(elements)))


def encode_signed_data(
    *,
    digest_oid: str,
    certificates: Sequence[bytes],
    signer_certificate: bytes,
    signed_attributes: bytes,
    signature_oid: str,
    signature: bytes,
    unsigned_attributes: Sequence[tuple[str, bytes]] = (),
) -> bytes:
    """A detached ``ContentInfo``/``SignedData`` (RFC 5652 §5.1, v1, eContent absent), in DER.

    The outer structure is framed here, so that the pieces carried over keep their exact bytes:
    the certificates, the signed attributes (``signed_attributes``, the ``SET OF`` DER from
    :func:`encode_signed_attributes`, put under ``[0] IMPLICIT``) and the unsigned attribute
    values (``(oid, value DER)`` pairs, such as an RFC 3161 token).
    """
    try:
        if not signed_attributes or signed_attributes[0] != 0x31:
            raise Asn1Error("signed attributes must be a DER SET OF")
        tbs = _children(_children(signer_certificate)[0])
        offset = 1 if tbs[0][0] == 0xA0 else 0
        sid = _der(0x30, tbs[offset + 2] + tbs[offset])  # IssuerAndSerialNumber: issuer, serial
        # RFC 5754 §2: SHA-2 AlgorithmIdentifiers are generated with absent parameters.
        digest_algorithm = bytes(algos.DigestAlgorithm({"algorithm": digest_oid, "parameters": None}).dump())
        if signature_oid == OID.RSA:  # RFC 3370 §3.2: rsaEncryption takes NULL parameters
            signature_algorithm = bytes(algos.SignedDigestAlgorithm({"algorithm": signature_oid}).dump())
        else:  # RFC 5758 §3.2: ecdsa-with-SHA* have no parameters
            signature_algorithm = _der(0x30, bytes(core.ObjectIdentifier(signature_oid).dump()))
        version = bytes(core.Integer(1).dump())
        signer_info = [version, sid, digest_algorithm, b"\xa0" + signed_attributes[1:], signature_algorithm]
        signer_info.append(bytes(core.OctetString(signature).dump()))
        if unsigned_attributes:
            attributes = [
                _der(0x30, bytes(core.ObjectIdentifier(oid).dump()) + _set_of([value]))
                for oid, value in unsigned_attributes
            ]
            signer_info.append(_set_of(attributes, tag=0xA1))
        for cert in certificates:
            _children(cert)  # each must be one well-framed element
        signed_data = _der(
            0x30,
            version
            + _set_of([digest_algorithm])
            + _der(0x30, bytes(core.ObjectIdentifier(OID.DATA).dump()))
            + _set_of(list(certificates), tag=0xA0)
            + _set_of([_der(0x30, b"".join(signer_info))]),
        )
        out = _der(0x30, bytes(core.ObjectIdentifier(OID.SIGNED_DATA).dump()) + _der(0xA0, signed_data))
    except Asn1Error:
        raise
    except _DECODE_ERRORS as exc:  # pragma: no cover - our own values
        raise Asn1Error(f"cannot encode the SignedData ({exc})") from None
    # The signature must cover exactly the bytes that went into the file.
    parsed = parse_signed_data(out)
    if parsed.signer_infos[0].signed_attrs_der != signed_attributes:  # pragma: no cover - library drift
        raise Asn1Error("the signed attributes changed while encoding")
    return out


def encode_timestamp_request(*, hash_oid: str, digest: bytes, nonce: int) -> bytes:
    """An RFC 3161 §2.4.1 ``TimeStampReq`` (v1, certReq true) for ``digest``."""
    try:
        request = tsp.TimeStampReq(
            {
                "version": "v1",
                "message_imprint": {
                    "hash_algorithm": {"algorithm": hash_oid, "parameters": None},
                    "hashed_message": digest,
                },
                "nonce": nonce,
                "cert_req": True,
            }
        )
        return bytes(request.dump())
    except _DECODE_ERRORS as exc:  # pragma: no cover - our own values
        raise Asn1Error(f"cannot encode the time-stamp request ({exc})") from None
