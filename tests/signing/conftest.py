"""Fixtures for the signing tests: a small PKI made with cryptography, a real RFC 3161 TSA
(``openssl ts -reply`` behind an HTTP server on loopback), and small packages.

The PKI is session-scoped (keys are generated once) and written to PEM files so that the
openssl CLI can use the same material.

    root CA (P-384) ─┬─ intermediate CA (P-256) ─┬─ signer (P-256)            ok
                     │                           ├─ signer RSA-2048, P-384    ok
                     │                           ├─ short signer              valid now-1d … now+1h
                     │                           ├─ expired signer            valid now-30d … now-10d
                     │                           ├─ wrong key usage           keyEncipherment only
                     │                           └─ revoked signer            listed on the intermediate's CRL
                     ├─ TSA (RSA-2048)            EKU timeStamping (critical), valid now-1d … now+1d
                     └─ TSA without critical EKU
    self-signed "untrusted" (P-256)
"""

from __future__ import annotations

import datetime as dt
import http.server
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from luutru_aip.signing import Signer

from ._mets import make_mets_package

EXAMPLE_BAG = Path(__file__).parents[2] / "examples" / "bag-ho-so-01"
PASSPHRASE = "mật-khẩu bí mật 2025"

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)

CA_KU = x509.KeyUsage(
    digital_signature=False,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)
SIGN_KU = x509.KeyUsage(
    digital_signature=True,
    content_commitment=True,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)
NON_REPUDIATION_KU = x509.KeyUsage(
    digital_signature=False,
    content_commitment=True,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)
ENCIPHER_KU = x509.KeyUsage(
    digital_signature=False,
    content_commitment=False,
    key_encipherment=True,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


def name(cn: str, org: str = "Trung tâm Lưu trữ quốc gia I") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def make_cert(
    subject: x509.Name,
    key: Any,
    issuer: x509.Name,
    issuer_key: Any,
    *,
    ca: bool,
    ku: x509.KeyUsage | None,
    eku: list[x509.ObjectIdentifier] | None = None,
    eku_critical: bool = False,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    path_length: int | None = None,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - dt.timedelta(days=1))
        .not_valid_after(not_after or NOW + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
    )
    if ku is not None:
        builder = builder.add_extension(ku, critical=True)
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=eku_critical)
    digest = hashes.SHA384() if isinstance(issuer_key, ec.EllipticCurvePrivateKey) else hashes.SHA256()
    return builder.sign(issuer_key, digest)


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key: Any, passphrase: str | None = None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


@attrs.define
class Identity:
    """A key and certificate, with their PEM files."""

    key: Any
    cert: x509.Certificate
    key_file: Path
    cert_file: Path

    def signer(self, pki: Pki) -> Signer:
        return Signer(key=self.key, certificate=self.cert, chain=(pki.inter.cert,))


@attrs.define
class Pki:
    folder: Path
    root: Identity
    inter: Identity
    signer: Identity
    signer_rsa: Identity
    signer_p384: Identity
    short: Identity
    expired: Identity
    wrong_ku: Identity
    revoked: Identity
    untrusted: Identity
    tsa: Identity
    tsa_ec: Identity
    tsa_no_critical: Identity
    root_file: Path
    chain_file: Path
    crl_file: Path
    crl: x509.CertificateRevocationList
    root_crl: x509.CertificateRevocationList
    root_crl_file: Path
    stale_crl_file: Path
    forged_crl_file: Path
    encrypted_key_file: Path
    p12_file: Path
    rsa1024_key_file: Path
    rsa1024_cert_file: Path
    ed25519_key_file: Path
    ed25519_cert_file: Path
    p521_key_file: Path
    p521_cert_file: Path

    @property
    def default_signer(self) -> Signer:
        return self.signer.signer(self)


def _identity(folder: Path, stem: str, key: Any, cert: x509.Certificate) -> Identity:
    key_file = folder / f"{stem}.key"
    cert_file = folder / f"{stem}.pem"
    key_file.write_bytes(key_pem(key))
    cert_file.write_bytes(pem(cert))
    return Identity(key=key, cert=cert, key_file=key_file, cert_file=cert_file)


def _crl(
    issuer: Identity,
    revoked: list[tuple[int, dt.datetime]],
    *,
    next_update: dt.datetime,
    signing_key: Any = None,
) -> x509.CertificateRevocationList:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(NOW - dt.timedelta(hours=2))
        .next_update(next_update)
    )
    for serial, when in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
        )
    return builder.sign(signing_key or issuer.key, hashes.SHA256())


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    root_key = ec.generate_private_key(ec.SECP384R1())
    root_name = name("Root CA lưu trữ (test)")
    root_cert = make_cert(
        root_name, root_key, root_name, root_key, ca=True, ku=CA_KU, not_after=NOW + dt.timedelta(days=3650)
    )
    root = _identity(folder, "root", root_key, root_cert)
    inter_key = ec.generate_private_key(ec.SECP256R1())
    inter_name = name("Intermediate CA (test)")
    inter = _identity(
        folder,
        "inter",
        inter_key,
        make_cert(inter_name, inter_key, root_name, root_key, ca=True, ku=CA_KU, path_length=0),
    )

    def leaf(stem: str, key: Any, cn: str, **kw: Any) -> Identity:
        kw.setdefault("ku", SIGN_KU)
        return _identity(folder, stem, key, make_cert(name(cn), key, inter_name, inter_key, ca=False, **kw))

    signer = leaf("signer", ec.generate_private_key(ec.SECP256R1()), "Chi cục Văn thư - Lưu trữ tỉnh A")
    signer_rsa = leaf(
        "signer-rsa",
        rsa.generate_private_key(65537, 2048),
        "Lưu trữ lịch sử tỉnh B (RSA)",
        ku=NON_REPUDIATION_KU,
        eku=[ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.EMAIL_PROTECTION],
    )
    signer_p384 = leaf("signer-p384", ec.generate_private_key(ec.SECP384R1()), "Lưu trữ tỉnh C (P-384)")
    short = leaf(
        "short",
        ec.generate_private_key(ec.SECP256R1()),
        "Short-lived signer",
        not_before=NOW - dt.timedelta(days=1),
        not_after=NOW + dt.timedelta(hours=1),
    )
    expired = leaf(
        "expired",
        ec.generate_private_key(ec.SECP256R1()),
        "Expired signer",
        not_before=NOW - dt.timedelta(days=30),
        not_after=NOW - dt.timedelta(days=10),
    )
    wrong_ku = leaf("wrong-ku", ec.generate_private_key(ec.SECP256R1()), "Encryption only", ku=ENCIPHER_KU)
    revoked = leaf("revoked", ec.generate_private_key(ec.SECP256R1()), "Revoked signer")
    untrusted_key = ec.generate_private_key(ec.SECP256R1())
    untrusted_name = name("Self-signed impostor", org="Không rõ")
    untrusted = _identity(
        folder,
        "untrusted",
        untrusted_key,
        make_cert(untrusted_name, untrusted_key, untrusted_name, untrusted_key, ca=False, ku=SIGN_KU),
    )
    tsa_key = rsa.generate_private_key(65537, 2048)
    tsa = _identity(
        folder,
        "tsa",
        tsa_key,
        make_cert(
            name("TSA (test)"),
            tsa_key,
            root_name,
            root_key,
            ca=False,
            ku=SIGN_KU,
            eku=[ExtendedKeyUsageOID.TIME_STAMPING],
            eku_critical=True,
            not_before=NOW - dt.timedelta(days=1),
            not_after=NOW + dt.timedelta(days=1),
        ),
    )
    tsa_ec_key = ec.generate_private_key(ec.SECP256R1())
    tsa_ec = _identity(
        folder,
        "tsa-ec",
        tsa_ec_key,
        make_cert(
            name("TSA EC (test)"),
            tsa_ec_key,
            root_name,
            root_key,
            ca=False,
            ku=SIGN_KU,
            eku=[ExtendedKeyUsageOID.TIME_STAMPING],
            eku_critical=True,
        ),
    )
    tsa_nc_key = ec.generate_private_key(ec.SECP256R1())
    tsa_no_critical = _identity(
        folder,
        "tsa-nc",
        tsa_nc_key,
        make_cert(
            name("TSA without critical EKU"),
            tsa_nc_key,
            root_name,
            root_key,
            ca=False,
            ku=SIGN_KU,
            eku=[ExtendedKeyUsageOID.TIME_STAMPING],
            eku_critical=False,
        ),
    )
    root_file = folder / "root-ca.pem"
    root_file.write_bytes(pem(root_cert))
    chain_file = folder / "chain.pem"
    chain_file.write_bytes(pem(inter.cert))
    crl = _crl(
        inter,
        [(revoked.cert.serial_number, NOW - dt.timedelta(hours=1))],
        next_update=NOW + dt.timedelta(days=7),
    )
    crl_file = folder / "inter.crl"
    crl_file.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    root_crl = _crl(root, [], next_update=NOW + dt.timedelta(days=30))
    root_crl_file = folder / "root.crl"
    root_crl_file.write_bytes(root_crl.public_bytes(serialization.Encoding.DER))
    stale = _crl(inter, [], next_update=NOW - dt.timedelta(hours=1))
    stale_crl_file = folder / "stale.crl"
    stale_crl_file.write_bytes(stale.public_bytes(serialization.Encoding.PEM))
    forged = _crl(inter, [], next_update=NOW + dt.timedelta(days=7), signing_key=untrusted_key)
    forged_crl_file = folder / "forged.crl"
    forged_crl_file.write_bytes(forged.public_bytes(serialization.Encoding.PEM))
    encrypted_key_file = folder / "signer-encrypted.key"
    encrypted_key_file.write_bytes(key_pem(signer.key, PASSPHRASE))
    p12_file = folder / "signer-rsa.p12"
    p12_file.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"signer",
            signer_rsa.key,
            signer_rsa.cert,
            [inter.cert],
            serialization.BestAvailableEncryption(PASSPHRASE.encode()),
        )
    )

    def odd(stem: str, key: Any) -> tuple[Path, Path]:
        ident = _identity(
            folder, stem, key, make_cert(name(stem), key, inter_name, inter_key, ca=False, ku=SIGN_KU)
        )
        return ident.key_file, ident.cert_file

    rsa1024 = odd("rsa1024", rsa.generate_private_key(65537, 1024))
    ed = odd("ed25519", ed25519.Ed25519PrivateKey.generate())
    p521 = odd("p521", ec.generate_private_key(ec.SECP521R1()))
    return Pki(
        folder=folder,
        root=root,
        inter=inter,
        signer=signer,
        signer_rsa=signer_rsa,
        signer_p384=signer_p384,
        short=short,
        expired=expired,
        wrong_ku=wrong_ku,
        revoked=revoked,
        untrusted=untrusted,
        tsa=tsa,
        tsa_ec=tsa_ec,
        tsa_no_critical=tsa_no_critical,
        root_file=root_file,
        chain_file=chain_file,
        crl_file=crl_file,
        crl=crl,
        root_crl=root_crl,
        root_crl_file=root_crl_file,
        stale_crl_file=stale_crl_file,
        forged_crl_file=forged_crl_file,
        encrypted_key_file=encrypted_key_file,
        p12_file=p12_file,
        rsa1024_key_file=rsa1024[0],
        rsa1024_cert_file=rsa1024[1],
        ed25519_key_file=ed[0],
        ed25519_cert_file=ed[1],
        p521_key_file=p521[0],
        p521_cert_file=p521[1],
    )


# --------------------------------------------------------------------------- a real TSA on loopback


def _tsa_config(folder: Path, label: str, ident: Identity, ess_alg: str) -> Path:
    lines = [
        "[ tsa ]",
        "default_tsa = tsa_section",
        "",
        "[ tsa_section ]",
        f"serial = {folder}/{label}.serial",
        "crypto_device = builtin",
        f"signer_cert = {ident.cert_file}",
        f"signer_key = {ident.key_file}",
        "signer_digest = sha256",
        "default_policy = 1.2.3.4.1",
        "digests = sha256, sha384, sha512",
        "accuracy = secs:1",
        "ordering = yes",
        "tsa_name = no",
        "ess_cert_id_chain = no",
        f"ess_cert_id_alg = {ess_alg}",
        "",
    ]
    config = folder / f"{label}.cnf"
    config.write_text("\n".join(lines))
    (folder / f"{label}.serial").write_text("01\n")
    return config


@attrs.define
class Tsa:
    """Base URL of the loopback TSA; paths: /v2 (ESS signingCertificateV2), /v1 (SHA-1 ESSCertID),
    /badcert (a TSA certificate whose EKU is not critical: openssl itself refuses, HTTP 500),
    /refuse (HTTP 500), /junk (not DER)."""

    url: str

    def at(self, path: str) -> str:
        return self.url + path


@pytest.fixture(scope="session")
def tsa(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tsa]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to run a local TSA")
    folder = tmp_path_factory.mktemp("tsa")
    configs = {
        "/v2": _tsa_config(folder, "v2", pki.tsa, "sha256"),
        "/v1": _tsa_config(folder, "v1", pki.tsa, "sha1"),
        "/badcert": _tsa_config(folder, "nc", pki.tsa_no_critical, "sha256"),  # openssl refuses it
    }
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            query = self.rfile.read(length)
            if self.path == "/refuse":
                self.send_error(500, "refused")
                return
            if self.path == "/junk":
                self._reply(b"not a time-stamp response")
                return
            config = configs.get(self.path)
            if config is None or self.headers.get("Content-Type") != "application/timestamp-query":
                self.send_error(400, "bad request")
                return
            with lock:
                query_file = folder / "query.tsq"
                reply_file = folder / "reply.tsr"
                query_file.write_bytes(query)
                done = subprocess.run(
                    [
                        "openssl",
                        "ts",
                        "-reply",
                        "-config",
                        str(config),
                        "-queryfile",
                        str(query_file),
                        "-out",
                        str(reply_file),
                    ],
                    capture_output=True,
                    check=False,
                )
                if done.returncode != 0:
                    self.send_error(500, done.stderr.decode(errors="replace")[:200])
                    return
                self._reply(reply_file.read_bytes())

        def _reply(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Tsa(url=f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --------------------------------------------------------------------------- packages


@pytest.fixture
def bag(tmp_path: Path) -> Path:
    """A copy of the bundled example bag (BagIt 0.97, sha256 + sha512 manifests and tag manifests)."""
    target = tmp_path / "bag-ho-so-01"
    shutil.copytree(EXAMPLE_BAG, target)
    return target


@pytest.fixture
def mets_package(tmp_path: Path) -> Path:
    """A small hand-made E-ARK/TT05-style package: root METS → representation METS → data."""
    return make_mets_package(tmp_path / "uuid-PKG")


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its content (to prove signing changes nothing it covers)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def codes(report: Any) -> set[str]:
    return {f.code for f in report.findings}


def error_codes(report: Any) -> set[str]:
    return {f.code for f in report.findings if f.severity.label == "error"}
