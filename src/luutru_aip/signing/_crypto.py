"""Keys, certificates and signature arithmetic for package signing, on top of :mod:`cryptography`.

* Loading signer material from PEM files (key, certificate, chain) or a PKCS #12
  file (RFC 7292), which is how Vietnamese CAs hand out organisation certificates.
* The key policy: RSA with a modulus of at least 2048 bits, or ECDSA on P-256 or
  P-384 (FIPS 186-4 curves secp256r1/secp384r1). Anything else is refused with a
  message that says what was found and what is accepted.
* Digest and signature algorithm identifiers (RFC 5754 §2–3, RFC 4055 §3.1 for
  RSASSA-PSS) and checking a signature value over the DER signed attributes
  (RFC 5652 §5.4, §5.6).

Passphrases are never logged, never put into messages and never kept on the
:class:`Signer` object.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import attrs
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from luutru_aip._fs.paths import display_name
from luutru_aip.errors import InputError
from luutru_aip.signing._asn1 import OID, Asn1Error, decode_pss_params

__all__ = [
    "DIGESTS",
    "DOCUMENT_SIGNING_EKUS",
    "MAX_KEY_FILE",
    "SignatureCheck",
    "Signer",
    "certificate_subject",
    "check_signature",
    "describe_key",
    "digest",
    "digest_name",
    "key_problem",
    "load_certificate",
    "load_signer",
    "signature_algorithms",
    "usage_problem",
]

#: Digest algorithms accepted in signatures and timestamps: OID → (hash class, short name).
DIGESTS: Final[dict[str, tuple[type[hashes.HashAlgorithm], str]]] = {
    OID.SHA256: (hashes.SHA256, "sha256"),
    OID.SHA384: (hashes.SHA384, "sha384"),
    OID.SHA512: (hashes.SHA512, "sha512"),
}
_NAMED_DIGESTS: Final = {
    OID.SHA1: "SHA-1",
    "1.2.840.113549.2.5": "MD5",
    "2.16.840.1.101.3.4.2.4": "SHA-224",
}
_RSA_WITH: Final = {OID.SHA256_RSA: OID.SHA256, OID.SHA384_RSA: OID.SHA384, OID.SHA512_RSA: OID.SHA512}
_ECDSA_WITH: Final = {
    OID.ECDSA_SHA256: OID.SHA256,
    OID.ECDSA_SHA384: OID.SHA384,
    OID.ECDSA_SHA512: OID.SHA512,
}
_CURVES: Final = {"secp256r1": "P-256", "secp384r1": "P-384"}
MIN_RSA_BITS: Final = 2048
#: Key files larger than this are not key files.
MAX_KEY_FILE: Final = 1 << 20

#: Extended key usages that allow signing documents, when a certificate restricts its use at all:
#: anyExtendedKeyUsage, emailProtection (S/MIME), clientAuth (Vietnamese organisation certificates),
#: documentSigning (RFC 9336), Microsoft document signing and Adobe authentic documents.
DOCUMENT_SIGNING_EKUS: Final = frozenset(
    {
        "2.5.29.37.0",
        "1.3.6.1.5.5.7.3.4",
        "1.3.6.1.5.5.7.3.2",
        "1.3.6.1.5.5.7.3.36",
        "1.3.6.1.4.1.311.10.3.12",
        "1.2.840.113583.1.1.5",
    }
)

SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def certificate_subject(cert: x509.Certificate) -> str:
    """The subject as an RFC 4514 string, safe to print (as shown in findings and events)."""
    try:
        text = cert.subject.rfc4514_string()
    except ValueError:  # pragma: no cover - undecodable attribute values
        text = "?"
    return display_name(text or "(empty subject)")


def describe_key(key: object) -> str:
    """``RSA 3072`` / ``ECDSA P-256`` / the key type's name."""
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return f"RSA {key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        return f"ECDSA {_CURVES.get(key.curve.name, key.curve.name)}"
    return (
        type(key).__name__.removeprefix("_").replace("PublicKey", "").replace("PrivateKey", "") or "unknown"
    )


def key_problem(key: object) -> str | None:
    """Why ``key`` is refused by the key policy, or ``None`` when it is accepted."""
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        if key.key_size < MIN_RSA_BITS:
            return f"an RSA key of {key.key_size} bits (at least {MIN_RSA_BITS} are needed)"
        return None
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        if key.curve.name not in _CURVES:
            return f"an ECDSA key on {key.curve.name} (P-256 or P-384 are accepted)"
        return None
    return (
        f"a {describe_key(key)} key (RSA of at least {MIN_RSA_BITS} bits or ECDSA P-256/P-384 are accepted)"
    )


def usage_problem(cert: x509.Certificate) -> str | None:
    """Why ``cert`` may not sign documents (key usage, extended key usage, CA flag), or ``None``."""
    try:
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        if bc.ca:
            return "a CA certificate"
    except x509.ExtensionNotFound:
        pass
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        if not (ku.digital_signature or ku.content_commitment):
            return "keyUsage has neither digitalSignature nor nonRepudiation"
    except x509.ExtensionNotFound:
        pass
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        if not {oid.dotted_string for oid in eku} & DOCUMENT_SIGNING_EKUS:
            names = ", ".join(sorted(oid.dotted_string for oid in eku))
            return f"extendedKeyUsage is limited to {names}"
    except x509.ExtensionNotFound:
        pass
    return None


def load_certificate(der: bytes) -> x509.Certificate | None:
    """A DER certificate whose key and extensions can be read, or ``None`` (damaged or unsupported).

    :mod:`cryptography` decodes some parts lazily; touching them here means a damaged certificate
    is rejected once, on loading, instead of failing later inside a check.
    """
    try:
        with warnings.catch_warnings():  # hostile input must not print library warnings
            warnings.simplefilter("ignore")
            cert = x509.load_der_x509_certificate(der)
        cert.public_key()
        _ = cert.extensions
        _ = cert.subject.rfc4514_string(), cert.issuer.rfc4514_string()
        _ = cert.not_valid_before_utc, cert.not_valid_after_utc
    except Exception:  # hostile input: any decoding failure (InvalidVersion, DuplicateExtension,
        return None  # UnsupportedAlgorithm, ValueError…) means "cannot be read"
    return cert


def digest(oid: str, data: bytes) -> bytes:
    """The digest of ``data`` with the algorithm ``oid`` (one of :data:`DIGESTS`)."""
    h = hashes.Hash(DIGESTS[oid][0]())
    h.update(data)
    return h.finalize()


def digest_name(oid: str) -> str:
    """A readable name for a digest OID (for findings)."""
    if oid in DIGESTS:
        return DIGESTS[oid][1].upper().replace("SHA", "SHA-")
    return _NAMED_DIGESTS.get(oid, f"digest {oid}")


# --------------------------------------------------------------------------- signer material


@attrs.frozen(kw_only=True)
class Signer:
    """A private key with its certificate and the chain to embed (CA certificates, any order)."""

    key: SigningKey = attrs.field(repr=False)
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def subject(self) -> str:
        return certificate_subject(self.certificate)


def _read(path: str | os.PathLike[str], what: str) -> bytes:
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_KEY_FILE:
            raise InputError(f"the {what} file {display_name(os.fspath(p))} is too large ({size} bytes)")
        return p.read_bytes()
    except OSError as exc:
        raise InputError(
            f"cannot read the {what} file {display_name(os.fspath(p))}: {exc.strerror or exc}"
        ) from None


def _certificates(data: bytes, label: str) -> list[x509.Certificate]:
    try:
        if b"-----BEGIN" in data:
            if b"CERTIFICATE-----" not in data:
                return []
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except (ValueError, x509.InvalidVersion):
        raise InputError(f"{label} holds no readable X.509 certificate (PEM or DER)") from None


def _passphrase(value: str | bytes | None) -> bytes | None:
    if value is None:
        return None
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def _private_key(data: bytes, label: str, passphrase: bytes | None) -> object:
    try:
        if b"-----BEGIN" in data:
            return serialization.load_pem_private_key(data, password=passphrase)
        return serialization.load_der_private_key(data, password=passphrase)
    except TypeError:
        if passphrase is None:
            raise PassphraseRequiredError(f"{label} is encrypted: a passphrase is needed") from None
        raise InputError(f"{label}: a passphrase was given but the key is not encrypted") from None
    except ValueError:
        if passphrase is not None:
            raise InputError(f"cannot decrypt {label}: wrong passphrase, or not a private key") from None
        raise InputError(f"{label} holds no readable private key (PEM or DER)") from None
    except UnsupportedAlgorithm:
        raise InputError(f"{label} uses a key type this library cannot load") from None


class PassphraseRequiredError(InputError):
    """The key or PKCS #12 file is encrypted and no passphrase was given (the CLI then asks for one)."""


def load_signer(
    *,
    key: str | os.PathLike[str] | None = None,
    cert: str | os.PathLike[str] | None = None,
    chain: Sequence[str | os.PathLike[str]] = (),
    p12: str | os.PathLike[str] | None = None,
    passphrase: str | bytes | None = None,
) -> Signer:
    """Load signer material: ``key`` + ``cert`` (+ ``chain`` files) as PEM/DER, or one PKCS #12 file.

    A PEM ``key`` file that also holds the certificate (and chain) needs no ``cert``.
    Raises :class:`~luutru_aip.errors.InputError` (never showing the passphrase) when a file cannot
    be read or decrypted, the key is not accepted by the key policy, or the certificate does not
    belong to the key; :class:`PassphraseRequiredError` when an encrypted file needs a passphrase.
    """
    secret = _passphrase(passphrase)
    extra: list[x509.Certificate] = []
    if p12 is not None:
        if key is not None or cert is not None:
            raise InputError("give either a PKCS #12 file or a key and certificate, not both")
        label = display_name(os.fspath(p12))
        data = _read(p12, "PKCS #12")
        try:
            bundle = pkcs12.load_pkcs12(data, secret)
        except ValueError:
            if secret is None:
                raise PassphraseRequiredError(f"{label} is encrypted: a passphrase is needed") from None
            raise InputError(f"cannot open {label}: wrong passphrase, or not a PKCS #12 file") from None
        private_key: object = bundle.key
        certificate = bundle.cert.certificate if bundle.cert is not None else None
        extra.extend(c.certificate for c in bundle.additional_certs)
        if private_key is None or certificate is None:
            raise InputError(f"{label} must hold a private key and its certificate")
    else:
        if key is None:
            raise InputError("a signing key is needed: give a key file (PEM) or a PKCS #12 file")
        label = display_name(os.fspath(key))
        key_data = _read(key, "key")
        private_key = _private_key(key_data, label, secret)
        in_key_file = _certificates(key_data, label) if b"CERTIFICATE-----" in key_data else []
        if cert is not None:
            found = _certificates(_read(cert, "certificate"), display_name(os.fspath(cert)))
        else:
            found = in_key_file
        if not found:
            raise InputError(f"no certificate for the key in {label}: give the certificate file")
        certificate = _matching(found, private_key)
        if certificate is None:
            raise InputError("the certificate does not belong to the signing key")
        extra.extend(c for c in found + in_key_file if c != certificate)
    for path in chain:
        extra.extend(_certificates(_read(path, "chain"), display_name(os.fspath(path))))
    if not isinstance(private_key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise InputError(f"the signing key is {key_problem(private_key)}")
    problem = key_problem(private_key)
    if problem is not None:
        raise InputError(f"the signing key is {problem}")
    if _public_der(certificate.public_key()) != _public_der(private_key.public_key()):
        raise InputError("the certificate does not belong to the signing key")
    chain_out: list[x509.Certificate] = []
    for item in extra:
        if item != certificate and item not in chain_out:
            chain_out.append(item)
    return Signer(key=private_key, certificate=certificate, chain=tuple(chain_out))


def _public_der(key: object) -> bytes:
    try:
        return key.public_bytes(  # type: ignore[attr-defined, no-any-return]
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    except (AttributeError, ValueError, TypeError):
        return b""


def _matching(certificates: Sequence[x509.Certificate], key: object) -> x509.Certificate | None:
    public = getattr(key, "public_key", None)
    if public is None:
        return certificates[0] if certificates else None
    want = _public_der(public())
    for cert in certificates:
        try:
            if _public_der(cert.public_key()) == want:
                return cert
        except (ValueError, UnsupportedAlgorithm):
            continue
    return None


# --------------------------------------------------------------------------- signing and checking


def signature_algorithms(key: SigningKey) -> tuple[str, str]:
    """``(digest OID, signature algorithm OID)`` used to sign with ``key``.

    RSA: SHA-256 with PKCS #1 v1.5 (``rsaEncryption``, RFC 5754 §3.2, the most widely verified form);
    ECDSA: SHA-256 on P-256, SHA-384 on P-384 (RFC 5754 §3.3), matching the curve's strength.
    """
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if key.curve.name == "secp384r1":
            return OID.SHA384, OID.ECDSA_SHA384
        return OID.SHA256, OID.ECDSA_SHA256
    return OID.SHA256, OID.RSA


def sign(key: SigningKey, digest_oid: str, data: bytes) -> bytes:
    """The signature value over ``data`` (the DER signed attributes)."""
    algorithm = DIGESTS[digest_oid][0]()
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(algorithm))
    return key.sign(data, padding.PKCS1v15(), algorithm)


@attrs.frozen(kw_only=True)
class SignatureCheck:
    """The result of :func:`check_signature`: ``ok``, or ``unsupported`` naming what is not accepted."""

    ok: bool
    unsupported: str | None = None


def check_signature(
    public_key: object,
    *,
    signature_oid: str,
    signature_params: bytes | None,
    digest_oid: str,
    signature: bytes,
    data: bytes,
) -> SignatureCheck:
    """Check ``signature`` over ``data`` with the algorithm named in a SignerInfo (RFC 5652 §5.6)."""
    if digest_oid not in DIGESTS:
        return SignatureCheck(ok=False, unsupported=f"the digest algorithm {digest_name(digest_oid)}")
    problem = key_problem(public_key)
    if problem is not None:
        return SignatureCheck(ok=False, unsupported=problem)
    algorithm = DIGESTS[digest_oid][0]()
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            if signature_oid == OID.RSA or _RSA_WITH.get(signature_oid) == digest_oid:
                public_key.verify(signature, data, padding.PKCS1v15(), algorithm)
                return SignatureCheck(ok=True)
            if signature_oid == OID.RSA_PSS:
                return _check_pss(public_key, signature_params, digest_oid, signature, data)
        elif isinstance(public_key, ec.EllipticCurvePublicKey) and (
            signature_oid == OID.EC_PUBLIC_KEY or _ECDSA_WITH.get(signature_oid) == digest_oid
        ):
            public_key.verify(signature, data, ec.ECDSA(algorithm))
            return SignatureCheck(ok=True)
    except InvalidSignature:
        return SignatureCheck(ok=False)
    return SignatureCheck(
        ok=False,
        unsupported=f"the signature algorithm {signature_oid} with {describe_key(public_key)} "
        f"and {digest_name(digest_oid)}",
    )


def _check_pss(
    public_key: rsa.RSAPublicKey, params_der: bytes | None, digest_oid: str, signature: bytes, data: bytes
) -> SignatureCheck:
    try:
        params = decode_pss_params(params_der)
    except Asn1Error:
        return SignatureCheck(ok=False, unsupported="RSASSA-PSS with unreadable parameters")
    if (
        params.hash_oid != digest_oid
        or params.mgf_oid != OID.MGF1
        or params.mgf_hash_oid != digest_oid
        or params.trailer_field != 1
    ):
        return SignatureCheck(ok=False, unsupported="RSASSA-PSS with mixed or unsupported hash parameters")
    algorithm = DIGESTS[digest_oid][0]
    try:
        public_key.verify(
            signature,
            data,
            padding.PSS(mgf=padding.MGF1(algorithm()), salt_length=params.salt_length),
            algorithm(),
        )
    except InvalidSignature:
        return SignatureCheck(ok=False)
    return SignatureCheck(ok=True)
