"""TLS (with and without client certificates) and ACL authentication on one connection."""

from __future__ import annotations

import logging
import ssl

import pytest

from redis_oxide._connection_setup import ConnectionConfig, build_ssl_context, open_connection
from redis_oxide._exceptions import ConnectFailedError, NoPermError, WrongPassError
from redis_oxide._generated import _meta as _m
from redis_oxide.testing._info import ACLServerInfo, TLSServerInfo

pytestmark = pytest.mark.timeout(30)


def _tls(info: TLSServerInfo, *, client_cert: bool) -> ssl.SSLContext:
    if client_cert:
        return build_ssl_context(
            ca_certs=str(info.ca_cert),
            certfile=str(info.client_cert),
            keyfile=str(info.client_key),
        )
    return build_ssl_context(ca_certs=str(info.ca_cert))


async def test_mutual_tls_with_client_certificate(redis_tls: TLSServerInfo) -> None:
    config = ConnectionConfig(
        host=redis_tls.host, port=redis_tls.port, ssl_context=_tls(redis_tls, client_cert=True)
    )
    conn = await open_connection(config)
    try:
        assert await conn.send(["PING"], None, _m.PING) == b"PONG"
    finally:
        await conn.aclose()


async def test_mutual_tls_server_refuses_a_client_without_certificate(
    redis_tls: TLSServerInfo,
) -> None:
    config = ConnectionConfig(
        host=redis_tls.host, port=redis_tls.port, ssl_context=_tls(redis_tls, client_cert=False)
    )
    with pytest.raises(ConnectFailedError) as caught:
        await open_connection(config)
    assert caught.value.address == f"{redis_tls.host}:{redis_tls.port}"


async def test_tls_without_client_certificate_where_none_is_required(
    redis_tls_no_client_cert: TLSServerInfo,
) -> None:
    info = redis_tls_no_client_cert
    config = ConnectionConfig(
        host=info.host, port=info.port, ssl_context=_tls(info, client_cert=False)
    )
    conn = await open_connection(config)
    try:
        assert await conn.send(["PING"], None, _m.PING) == b"PONG"
    finally:
        await conn.aclose()


async def test_tls_verifies_the_server_by_default(
    redis_tls_no_client_cert: TLSServerInfo,
) -> None:
    info = redis_tls_no_client_cert
    # The system trust store does not know the test CA: verification must fail.
    config = ConnectionConfig(host=info.host, port=info.port, ssl_context=build_ssl_context())
    with pytest.raises(ConnectFailedError, match="CERTIFICATE_VERIFY_FAILED"):
        await open_connection(config)


async def test_acl_user_is_authenticated_and_refused_admin_commands(
    redis_acl: ACLServerInfo,
) -> None:
    for protocol in (2, 3):
        config = ConnectionConfig(
            host=redis_acl.host,
            port=redis_acl.port,
            username=redis_acl.username,
            password=redis_acl.password,
            protocol=protocol,
        )
        conn = await open_connection(config)
        try:
            info = await conn.send(["CLIENT", "INFO"], None, _m.CLIENT_INFO)
            assert f" user={redis_acl.username} ".encode() in info
            with pytest.raises(NoPermError) as caught:
                await conn.send(["FLUSHALL"], None, _m.FLUSHALL)
            assert caught.value.code == "NOPERM"
            assert caught.value.command == "FLUSHALL"
            assert caught.value.address == f"{redis_acl.host}:{redis_acl.port}"
        finally:
            await conn.aclose()


async def test_wrong_password_fails_without_revealing_it(
    redis_acl: ACLServerInfo, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "not-the-password-" + redis_acl.password[:4]
    config = ConnectionConfig(
        host=redis_acl.host, port=redis_acl.port, username=redis_acl.username, password=secret
    )
    assert secret not in repr(config)
    with (
        caplog.at_level(logging.DEBUG, logger="redis_oxide"),
        pytest.raises(WrongPassError) as caught,
    ):
        await open_connection(config)
    assert secret not in str(caught.value)
    assert secret not in repr(caught.value)
    assert secret not in caplog.text
