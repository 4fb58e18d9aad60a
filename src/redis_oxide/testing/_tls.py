"""Throwaway TLS material and TLS-only servers.

A fresh CA, server certificate and client certificate are generated per
run into a temporary directory; nothing is read from or written to the
user's trust store. The server certificate names 127.0.0.1, ::1 and
localhost so hostname verification stays on in tests. Generating them needs
``cryptography`` (the ``testing`` extra), imported only when material is
generated: importing this module, or starting a server from existing
material, needs nothing beyond the standard library.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from redis_oxide.testing import _registry
from redis_oxide.testing._binaries import redis_7_launcher
from redis_oxide.testing._errors import TESTING_EXTRA, MissingDependencyError
from redis_oxide.testing._info import TLSServerInfo
from redis_oxide.testing._raw import Endpoint
from redis_oxide.testing._servers import ServerProcess

__all__ = ["TLSMaterial", "generate_tls_material", "start_tls_server"]


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
        _registry.forget_directory(self.directory)


def generate_tls_material() -> TLSMaterial:
    """Create a CA plus server and client certificates in a new temporary directory.

    Returns:
        The paths of the PEM files.

    Raises:
        MissingDependencyError: ``cryptography`` is not installed.
    """
    try:
        from redis_oxide.testing._certs import issue_certificates
    except ModuleNotFoundError as exc:
        if exc.name != "cryptography":
            raise  # a broken installation, not a missing one: keep the real error
        # The message says all there is to say; a chained ImportError would only bury it.
        raise MissingDependencyError(
            f"generating test TLS certificates needs the cryptography package: {TESTING_EXTRA}"
        ) from None
    pki = issue_certificates()
    directory = Path(tempfile.mkdtemp(prefix="redis-oxide-tls-"))
    # Private keys must not outlive a run that is terminated before the fixture removes them.
    _registry.track_directory(directory)
    material = TLSMaterial(
        directory=directory,
        ca_cert=directory / "ca.crt",
        server_cert=directory / "server.crt",
        server_key=directory / "server.key",
        client_cert=directory / "client.crt",
        client_key=directory / "client.key",
    )
    material.ca_cert.write_bytes(pki.ca_cert)
    material.server_cert.write_bytes(pki.server_cert)
    material.client_cert.write_bytes(pki.client_cert)
    for path, key in ((material.server_key, pki.server_key), (material.client_key, pki.client_key)):
        path.write_bytes(key)
        path.chmod(0o600)
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
