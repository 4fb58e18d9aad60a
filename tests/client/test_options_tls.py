"""The ``ssl_*`` options: refused where TLS would not use them, checked at construction.

A plain-text connection (``redis://``, ``ssl`` absent or False) and a given ``SSLContext``
would ignore them, so they are a ``ValueError``; TLS material that cannot be loaded is a
``ValueError`` naming the option and the file, never a connection error; an encrypted key
needs ``ssl_password`` (OpenSSL never prompts on the terminal).
"""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from redis_oxide import Redis, RedisCluster, Sentinel, from_url
from redis_oxide.testing._info import TLSServerInfo

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:6379?ssl_cert_reqs=required",
        "redis://127.0.0.1:6379?ssl_ca_certs=/tmp/ca.pem&ssl_certfile=/tmp/c.pem",
        "unix:///tmp/redis.sock?ssl_check_hostname=false",
    ],
)
def test_tls_options_in_a_plain_text_url_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"plain text .* use a rediss:// URL"):
        from_url(url)
    if url.startswith("redis://"):
        with pytest.raises(ValueError, match=r"use a rediss:// URL"):
            RedisCluster.from_url(url)


def test_tls_options_without_tls_are_refused() -> None:
    with pytest.raises(ValueError, match=r"ssl_ca_certs, ssl_cert_reqs given without TLS"):
        Redis(ssl_ca_certs="/tmp/ca.pem", ssl_cert_reqs="required")
    with pytest.raises(ValueError, match=r"ssl_cert_reqs given without TLS.*ssl=True"):
        Redis(ssl=False, ssl_cert_reqs="none")
    with pytest.raises(ValueError, match=r"ssl_keyfile given without TLS"):
        RedisCluster("127.0.0.1", 7000, ssl_keyfile="/tmp/k.pem")
    with pytest.raises(ValueError, match=r"ssl_password given without TLS"):
        Sentinel([("127.0.0.1", 26379)]).primary_for("cache", ssl_password="x")


def test_tls_options_with_a_context_are_refused() -> None:
    context = ssl.create_default_context()
    with pytest.raises(
        ValueError, match=r"ssl_ca_certs, ssl_cert_reqs .*ssl=<SSLContext>.*set them on"
    ):
        Redis(ssl=context, ssl_cert_reqs="none", ssl_ca_certs="/nonexistent")
    assert Redis(ssl=context, ssl_check_hostname=None)._config.connection.ssl_context is context


def test_missing_tls_files_name_the_option_and_the_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"ssl_certfile '/nonexistent/client.crt': no such file"):
        Redis(ssl=True, ssl_certfile="/nonexistent/client.crt")
    with pytest.raises(ValueError, match=r"ssl_ca_certs '/nonexistent/ca.pem': no such file"):
        from_url("rediss://127.0.0.1?ssl_ca_certs=/nonexistent/ca.pem")
    with pytest.raises(ValueError, match=rf"ssl_ca_certs '{tmp_path}': not a file"):
        Redis(ssl=True, ssl_ca_certs=str(tmp_path))
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    with pytest.raises(ValueError, match=rf"ssl_ca_certs '{garbage}': not a PEM file"):
        Redis(ssl=True, ssl_ca_certs=str(garbage))
    with pytest.raises(ValueError, match=rf"ssl_certfile '{garbage}' with the key in ssl_certf"):
        Redis(ssl=True, ssl_certfile=str(garbage))
    with pytest.raises(ValueError, match=r"ssl_keyfile is for the client certificate"):
        Redis(ssl=True, ssl_keyfile=str(garbage))


@pytest.mark.parametrize(
    "cert_reqs", ["none", "CERT_NONE", "cert_none", "None", ssl.CERT_NONE, ssl.VerifyMode.CERT_NONE]
)
def test_ssl_cert_reqs_takes_verify_modes_and_their_names(cert_reqs: object) -> None:
    client = Redis(ssl=True, ssl_cert_reqs=cert_reqs)  # type: ignore[call-overload]
    context = client._config.connection.ssl_context
    assert context is not None
    assert (context.verify_mode, context.check_hostname) == (ssl.CERT_NONE, False)
    url = from_url(f"rediss://127.0.0.1?ssl_cert_reqs={getattr(cert_reqs, 'name', cert_reqs)}")
    url_context = url._config.connection.ssl_context
    assert url_context is not None
    assert url_context.verify_mode == ssl.CERT_NONE


def test_ssl_cert_reqs_names_itself_when_wrong() -> None:
    with pytest.raises(ValueError, match=r"ssl_cert_reqs must be 'required', 'optional', 'none' "):
        Redis(ssl=True, ssl_cert_reqs="maybe")  # type: ignore[call-overload]


def test_check_hostname_without_a_checked_certificate_is_explained() -> None:
    expected = r"ssl_check_hostname=True needs the server certificate.*ssl_cert_reqs='none'"
    with pytest.raises(ValueError, match=expected):
        Redis(ssl=True, ssl_cert_reqs="none", ssl_check_hostname=True)
    with pytest.raises(ValueError, match=expected):
        from_url("rediss://127.0.0.1?ssl_cert_reqs=none&ssl_check_hostname=true")


def _encrypted_key(redis_tls: TLSServerInfo, path: Path, passphrase: bytes) -> Path:
    key = serialization.load_pem_private_key(redis_tls.client_key.read_bytes(), password=None)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(passphrase),
        )
    )
    return path


async def test_an_encrypted_client_key_takes_ssl_password_and_never_prompts(
    redis_tls: TLSServerInfo, tmp_path: Path
) -> None:
    key = _encrypted_key(redis_tls, tmp_path / "client.key", b"key-passphrase")

    def client(password: str | None) -> Redis[bytes]:
        return Redis(
            redis_tls.host,
            redis_tls.port,
            ssl=True,
            ssl_ca_certs=str(redis_tls.ca_cert),
            ssl_certfile=str(redis_tls.client_cert),
            ssl_keyfile=str(key),
            ssl_password=password,
        )

    with pytest.raises(ValueError, match=rf"ssl_keyfile '{key}' is encrypted: give .*ssl_password"):
        client(None)
    with pytest.raises(ValueError, match=r"cannot load .* or a wrong ssl_password") as caught:
        client("wrong-secret")
    assert "wrong-secret" not in str(caught.value)
    async with client("key-passphrase") as connected:
        assert await connected.ping() == b"PONG"
