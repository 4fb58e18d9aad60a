"""Smoke tests: TLS with and without client certificates, and ACL users."""

from __future__ import annotations

import ssl

import pytest

from redis_oxide.testing import (
    ACLServerInfo,
    Endpoint,
    RawReplyError,
    TLSServerInfo,
    open_raw,
    raw_command,
)

pytestmark = pytest.mark.timeout(30)


def test_mtls_server_accepts_a_client_certificate(redis_tls: TLSServerInfo) -> None:
    assert redis_tls.client_auth_required
    assert redis_tls.url.startswith("rediss://")
    assert raw_command(redis_tls.endpoint, "PING") == b"PONG"


def test_mtls_server_refuses_a_client_without_certificate(redis_tls: TLSServerInfo) -> None:
    endpoint = Endpoint(
        redis_tls.host, redis_tls.port, ssl_context=redis_tls.ssl_context(client_cert=False)
    )
    with pytest.raises((ssl.SSLError, ConnectionError)):
        raw_command(endpoint, "PING")


def test_tls_server_without_client_auth_accepts_a_bare_client(
    redis_tls_no_client_cert: TLSServerInfo,
) -> None:
    info = redis_tls_no_client_cert
    assert not info.client_auth_required
    endpoint = Endpoint(info.host, info.port, ssl_context=info.ssl_context(client_cert=False))
    assert raw_command(endpoint, "PING") == b"PONG"


def test_tls_port_refuses_plain_text(redis_tls_no_client_cert: TLSServerInfo) -> None:
    endpoint = Endpoint(redis_tls_no_client_cert.host, redis_tls_no_client_cert.port)
    with pytest.raises(ConnectionError):
        raw_command(endpoint, "PING", timeout=2.0)


def test_acl_user_may_write_but_not_flush(redis_acl: ACLServerInfo) -> None:
    with open_raw(Endpoint(redis_acl.host, redis_acl.port)) as conn:
        assert conn.command("AUTH", redis_acl.username, redis_acl.password) == b"OK"
        assert conn.command("SET", "smoke:acl", "v") == b"OK"
        assert conn.command("GET", "smoke:acl") == b"v"
        with pytest.raises(RawReplyError) as refused:
            conn.command("FLUSHALL")
        assert refused.value.code == "NOPERM"


def test_acl_server_refuses_unauthenticated_commands(redis_acl: ACLServerInfo) -> None:
    with pytest.raises(RawReplyError) as refused:
        raw_command(Endpoint(redis_acl.host, redis_acl.port), "GET", "smoke:acl")
    assert refused.value.code == "NOAUTH"


def test_acl_server_refuses_a_wrong_password(redis_acl: ACLServerInfo) -> None:
    with pytest.raises(RawReplyError) as refused:
        raw_command(
            Endpoint(redis_acl.host, redis_acl.port, username="oxide", password="no"), "PING"
        )
    assert refused.value.code == "WRONGPASS"


def test_acl_info_hides_passwords_from_repr(redis_acl: ACLServerInfo) -> None:
    assert redis_acl.password not in repr(redis_acl)
    assert redis_acl.admin_password not in repr(redis_acl)
    assert redis_acl.password not in repr(redis_acl.user_endpoint)
