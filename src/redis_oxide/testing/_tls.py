"""Throwaway TLS material and TLS-only servers.

A fresh CA, server certificate and client certificate are generated per
run into a temporary directory; nothing is read from or written to the
user's trust store. Keys are P-256 (fast to generate, accepted by every
OpenSSL that Redis links against). The server certificate names 127.0.0.1,
::1 and localhost so hostname verification stays on in tests.
"""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from redis_oxide.testing._binaries import redis_7_launcher
from redis_oxide.testing._info import TLSServerInfo
from redis_oxide.testing._raw import Endpoint
from redis_oxide.testing._servers import ServerProcess

__all__ = ["TLSMaterial", "generate_tls_material", "start_tls_server"]

# Long enough for any run, short enough that a leaked file is useless.
_VALIDITY = datetime.timedelta(days=2)


@dataclass(frozen=True)
class TLSMaterial:
    """PEM files of a test CA and the certificates it signed.

    Attributes:
        directory: The directory holding the files (delete with `remove`).
        ca_cert: CA certificate.
        server_cert: Server certificate.
        server_key: Server private key.
        client_cert: Client certificate.
        client_key: Client private key.
    """

    directory: Path
    ca_cert: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path

    def remove(self) -> None:
        """Delete the directory and every file in it."""
        shutil.rmtree(self.directory, ignore_errors=True)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "redis-oxide tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def _issue(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
    usage: x509.ObjectIdentifier | None = None,
    san: list[x509.GeneralName] | None = None,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    if usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def generate_tls_material() -> TLSMaterial:
    """Create a CA plus server and client certificates in a new temporary directory.

    Returns:
        The paths of the PEM files.
    """
    directory = Path(tempfile.mkdtemp(prefix="redis-oxide-tls-"))
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _issue("redis-oxide test CA", ca_key, _name("redis-oxide test CA"), ca_key, ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = _issue(
        "localhost",
        server_key,
        ca_cert.subject,
        ca_key,
        ca=False,
        usage=ExtendedKeyUsageOID.SERVER_AUTH,
        san=[
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("::1")),
        ],
    )
    client_key = ec.generate_private_key(ec.SECP256R1())
    client_cert = _issue(
        "redis-oxide test client",
        client_key,
        ca_cert.subject,
        ca_key,
        ca=False,
        usage=ExtendedKeyUsageOID.CLIENT_AUTH,
    )
    material = TLSMaterial(
        directory=directory,
        ca_cert=directory / "ca.crt",
        server_cert=directory / "server.crt",
        server_key=directory / "server.key",
        client_cert=directory / "client.crt",
        client_key=directory / "client.key",
    )
    for path, cert in (
        (material.ca_cert, ca_cert),
        (material.server_cert, server_cert),
        (material.client_cert, client_cert),
    ):
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(material.server_key, server_key)
    _write_key(material.client_key, client_key)
    return material


def start_tls_server(material: TLSMaterial, *, client_auth_required: bool) -> TLSServerInfo:
    """Start a 7.0 server that listens on a TLS port only.

    Args:
        material: Certificates from `generate_tls_material`.
        client_auth_required: ``tls-auth-clients yes`` when True, ``no`` otherwise.

    Returns:
        The running server; stop it with ``info.process.close()``.

    Raises:
        ServerStartError: The server did not come up.
    """
    config = [
        ("tls-cert-file", str(material.server_cert)),
        ("tls-key-file", str(material.server_key)),
        ("tls-ca-cert-file", str(material.ca_cert)),
        ("tls-auth-clients", "yes" if client_auth_required else "no"),
    ]

    def info_for(process: ServerProcess | None, port: int) -> TLSServerInfo:
        return TLSServerInfo(
            host="127.0.0.1",
            port=port,
            url=f"rediss://127.0.0.1:{port}",
            version=process.version if process is not None else "",
            ca_cert=material.ca_cert,
            server_cert=material.server_cert,
            server_key=material.server_key,
            client_cert=material.client_cert,
            client_key=material.client_key,
            client_auth_required=client_auth_required,
            process=process,
        )

    def probe(port: int, unix_path: str | None) -> Endpoint:
        return info_for(None, port).endpoint

    name = "tls-mtls" if client_auth_required else "tls"
    process = ServerProcess(
        redis_7_launcher(), name=name, config=lambda port: config, tls=True, probe=probe
    )
    try:
        process.start()
    except BaseException:
        process.close()
        raise
    return info_for(process, process.port)
