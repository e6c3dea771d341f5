"""Hand-made signatures for negative tests: openssl-made ones, and ones assembled from our own parts
with something deliberately wrong (a missing attribute, a foreign unsigned attribute, a token from
elsewhere). Nothing here is used by the library."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
from asn1crypto import cms, tsp
from cryptography.hazmat.primitives.serialization import Encoding

from luutru_aip.signing import SIGNATURE_PATH, Signer
from luutru_aip.signing._asn1 import OID, encode_signed_attributes, encode_signed_data, parse_signed_data
from luutru_aip.signing._crypto import digest, sign, signature_algorithms

from .conftest import Identity


def signed_file(package: Path) -> Path:
    if (package / "METS.xml").exists():
        return package / "METS.xml"
    for name in ("tagmanifest-sha512.txt", "tagmanifest-sha384.txt", "tagmanifest-sha256.txt"):
        if (package / name).exists():
            return package / name
    raise FileNotFoundError("no signed file")


def place(package: Path, signature: bytes) -> Path:
    target = package / SIGNATURE_PATH
    target.parent.mkdir(exist_ok=True)
    target.write_bytes(signature)
    return target


def openssl_sign(package: Path, ident: Identity, *extra: str, certfile: Path | None = None) -> Path:
    """``openssl cms -sign -binary -outform DER`` (detached) over the package's signed file."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command (Debian package openssl)")
    target = package / SIGNATURE_PATH
    target.parent.mkdir(exist_ok=True)
    args = ["openssl", "cms", "-sign", "-binary", "-outform", "DER", "-in", str(signed_file(package)),
            "-signer", str(ident.cert_file), "-inkey", str(ident.key_file), "-out", str(target)]  # fmt: skip
    if certfile is not None:
        args += ["-certfile", str(certfile)]
    subprocess.run([*args, *extra], check=True, capture_output=True)
    return target


def openssl_verify(
    package: Path, root: Path, *, content: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    """``openssl cms -verify`` of the package signature against ``root``."""
    return subprocess.run(
        ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(package / SIGNATURE_PATH),
         "-content", str(content or signed_file(package)), "-CAfile", str(root), "-purpose", "any",
         "-out", "/dev/null"],
        capture_output=True,
        check=False,
    )  # fmt: skip


def _attributes(
    *, when: dt.datetime, message_digest: bytes, cert_hashes: Sequence[bytes], drop: str | None
) -> bytes:
    full = cms.CMSAttributes.load(
        encode_signed_attributes(
            signing_time=when, message_digest=message_digest, certificate_hashes=cert_hashes
        )
    )
    kept = [a for a in full if a["type"].dotted != drop]
    return bytes(cms.CMSAttributes(kept).dump(force=True))


def craft(
    package: Path,
    signer: Signer,
    *,
    when: dt.datetime,
    drop_attribute: str | None = None,
    unsigned: Sequence[tuple[str, bytes]] = (),
    token_from: str | None = None,
    token_signer: Identity | None = None,
) -> bytes:
    """Assemble a signature over the package's signed file from our own parts, with changes.

    ``drop_attribute``: leave out this signed attribute (OID). ``unsigned``: extra unsigned
    attributes. ``token_from``: a TSA URL asked for a token over this signature's value (whatever
    the TSA's certificate is), added as ``id-aa-timeStampToken``.
    """
    content = signed_file(package).read_bytes()
    digest_oid, signature_oid = signature_algorithms(signer.key)
    certs = [c.public_bytes(Encoding.DER) for c in (signer.certificate, *signer.chain)]
    attributes = _attributes(
        when=when,
        message_digest=digest(digest_oid, content),
        cert_hashes=[digest(OID.SHA256, c) for c in certs],
        drop=drop_attribute,
    )
    value = sign(signer.key, digest_oid, attributes)
    extra = list(unsigned)
    if token_from is not None:
        extra.append((OID.TIME_STAMP_TOKEN, fetch_token(token_from, value)))
    if token_signer is not None:
        extra.append((OID.TIME_STAMP_TOKEN, self_made_token(value, token_signer, when=when)))
    return encode_signed_data(
        digest_oid=digest_oid,
        certificates=certs,
        signer_certificate=certs[0],
        signed_attributes=attributes,
        signature_oid=signature_oid,
        signature=value,
        unsigned_attributes=extra,
    )


def fetch_token(url: str, signature_value: bytes) -> bytes:
    """A token from the TSA at ``url`` over ``signature_value``, without checking it."""
    import urllib.request

    from luutru_aip.signing._asn1 import encode_timestamp_request, parse_timestamp_response

    body = encode_timestamp_request(hash_oid=OID.SHA256, digest=digest(OID.SHA256, signature_value), nonce=7)
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/timestamp-query"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = parse_timestamp_response(response.read())
    assert answer.token is not None
    return answer.token


def self_made_token(signature_value: bytes, ident: Identity, *, when: dt.datetime) -> bytes:
    """An RFC 3161 token made here, signed by ``ident`` (for TSA certificates openssl refuses to use)."""
    from asn1crypto import algos, core
    from asn1crypto import x509 as ax509

    tst = tsp.TSTInfo(
        {
            "version": "v1",
            "policy": "1.2.3.4.1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256", "parameters": None},
                "hashed_message": digest(OID.SHA256, signature_value),
            },
            "serial_number": 1,
            "gen_time": when.astimezone(dt.UTC).replace(microsecond=0),
        }
    )
    content = tst.dump()
    cert_der = ident.cert.public_bytes(Encoding.DER)
    signed = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
            cms.CMSAttribute({"type": "message_digest", "values": [digest(OID.SHA256, content)]}),
            cms.CMSAttribute(
                {
                    "type": "signing_certificate_v2",
                    "values": [
                        tsp.SigningCertificateV2({"certs": [{"cert_hash": digest(OID.SHA256, cert_der)}]})
                    ],
                }
            ),
        ]
    )
    value = sign(ident.key, OID.SHA256, signed.dump(force=True))
    cert = ax509.Certificate.load(cert_der)
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": {"issuer_and_serial_number": {"issuer": cert.issuer, "serial_number": cert.serial_number}},
            "digest_algorithm": {"algorithm": "sha256", "parameters": None},
            "signed_attrs": signed,
            "signature_algorithm": {"algorithm": "sha256_ecdsa"},
            "signature": value,
        }
    )
    signed_data = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256", "parameters": None})],
            "encap_content_info": {"content_type": "tst_info", "content": core.ParsableOctetString(content)},
            "certificates": [cert],
            "signer_infos": [signer_info],
        }
    )
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump())


def token_of(signature: bytes) -> bytes:
    """The first time-stamp token in a signature."""
    si = parse_signed_data(signature).signer_infos[0]
    return next(a.values[0] for a in si.unsigned_attrs if a.oid == OID.TIME_STAMP_TOKEN)


def tst_gen_time(token: bytes) -> dt.datetime:
    info = parse_signed_data(token)
    assert info.econtent is not None
    value = tsp.TSTInfo.load(info.econtent)["gen_time"].native
    assert isinstance(value, dt.datetime)
    return value
