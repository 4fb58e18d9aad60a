"""Who a connection authenticates as, and how a refused handshake shows.

A ``username`` without a password authenticates as that user (with an empty password, which
an ACL ``nopass`` user accepts): never as ``default``. A ``credential_provider`` is asked at
each connect. A user denied ``CLIENT SETNAME`` fails to connect on both protocols, and a
refused handshake is logged with the address and the error code, never the credentials.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

import pytest

from redis_oxide import Redis, Retry, from_url
from redis_oxide._client_options import StrategyName
from redis_oxide.exceptions import ConnectFailedError, NoPermError, WrongPassError
from redis_oxide.testing import open_raw, raw_command
from redis_oxide.testing._info import RedisServerInfo
from redis_oxide.testing.plugin import ServerFactory

pytestmark = pytest.mark.timeout(60)

Protocol = Literal[2, 3]
_COMBINATIONS: list[tuple[Protocol, StrategyName]] = [
    (2, "multiplexed"),
    (2, "pooled"),
    (3, "multiplexed"),
    (3, "pooled"),
]


def _reader_server(redis_server_factory: ServerFactory) -> RedisServerInfo:
    info = redis_server_factory("7")
    raw_command(
        info.endpoint, "ACL", "SETUSER", "reader", "on", "nopass", "~*", "-@all", "+@read",
        "+@connection", "+acl|whoami", "+blpop", "+subscribe", "&public-*",
    )  # fmt: skip
    raw_command(info.endpoint, "SET", "precious", "data")
    return info


async def test_username_without_password_authenticates_as_that_user(
    redis_server_factory: ServerFactory,
) -> None:
    info = _reader_server(redis_server_factory)
    for protocol, strategy in _COMBINATIONS:
        clients: list[Redis[bytes]] = [
            Redis(info.host, info.port, username="reader", protocol=protocol, strategy=strategy),
            from_url(f"redis://reader@{info.host}:{info.port}?protocol={protocol}&strategy={strategy}"),
        ]  # fmt: skip
        for client in clients:
            async with client:
                assert await client.acl_whoami() == b"reader", (protocol, strategy)
                with pytest.raises(NoPermError):
                    await client.delete("precious")
                # The dedicated connection of a blocking command and a subscription's own.
                assert await client.blpop(["missing"], timeout=0.01) is None
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe("public-news")
                    with pytest.raises(NoPermError):  # the default user may, "reader" may not
                        await pubsub.subscribe("private-news")
    assert raw_command(info.endpoint, "GET", "precious") == b"data"


async def test_a_credential_provider_is_asked_at_each_connect(
    redis_server_factory: ServerFactory,
) -> None:
    info = redis_server_factory("7")
    raw_command(info.endpoint, "ACL", "SETUSER", "app", "on", ">first", "~*", "+@all")
    calls: list[str] = []

    async def token() -> tuple[str | None, str | None]:
        await asyncio.sleep(0)
        calls.append("async")
        return "app", "second" if len(calls) > 1 else "first"

    def plain() -> tuple[str | None, str | None]:
        calls.append("sync")
        return "app", "first"

    for protocol in (2, 3):
        async with Redis(info.host, info.port, credential_provider=plain, protocol=protocol) as r:
            assert await r.acl_whoami() == b"app"
    assert calls == ["sync", "sync"]
    calls.clear()
    async with Redis(info.host, info.port, credential_provider=token, protocol=3) as client:
        assert await client.acl_whoami() == b"app"
        # The password rotates: the next connection uses what the provider returns then.
        raw_command(info.endpoint, "ACL", "SETUSER", "app", "resetpass", ">second")
        raw_command(info.endpoint, "CLIENT", "KILL", "USER", "app")
        assert await client.get("missing") is None  # a read: re-run on a new connection
        assert await client.acl_whoami() == b"app"
    assert calls == ["async", "async"]


async def test_a_failing_credential_provider_fails_the_connect_without_its_message(
    redis_7: RedisServerInfo,
) -> None:
    def broken() -> tuple[str | None, str | None]:
        raise RuntimeError("token service said: hunter2 expired")

    async with Redis(redis_7.host, redis_7.port, credential_provider=broken) as client:
        with pytest.raises(
            ConnectFailedError, match="credential_provider raised RuntimeError"
        ) as e:
            await client.ping()
    assert "hunter2" not in str(e.value)


def test_a_credential_provider_with_username_or_password_is_refused() -> None:
    with pytest.raises(ValueError, match="credential_provider replaces username and password"):
        Redis(credential_provider=lambda: ("u", "p"), password="p")
    with pytest.raises(TypeError, match="credential_provider must be callable"):
        Redis(credential_provider="u:p")  # type: ignore[call-overload]


async def test_a_user_denied_client_setname_fails_on_both_protocols(
    redis_server_factory: ServerFactory,
) -> None:
    info = redis_server_factory("7")
    raw_command(
        info.endpoint, "ACL", "SETUSER", "nosetname", "on", ">pw", "~*", "+@all", "-client|setname"
    )
    for protocol in (2, 3):
        async with Redis(
            info.host, info.port, username="nosetname", password="pw", client_name="cn",
            protocol=protocol,
        ) as client:  # fmt: skip
            with pytest.raises(NoPermError, match=r"client\|setname"):
                await client.ping()
        async with Redis(
            info.host, info.port, username="nosetname", password="pw", protocol=protocol
        ) as client:
            assert await client.ping() == b"PONG"


async def test_a_refused_handshake_is_logged_without_credentials(
    redis_server_factory: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    info = redis_server_factory("7")
    raw_command(info.endpoint, "ACL", "SETUSER", "app", "on", ">s3cret-old", "~*", "+@all")
    caplog.set_level(logging.WARNING, logger="redis_oxide")
    for protocol in (2, 3):
        caplog.clear()
        async with Redis(
            info.host, info.port, username="app", password="s3cret-old", protocol=protocol
        ) as client:
            assert await client.ping() == b"PONG"
            # The password is rotated and the connection dropped: the reconnect is refused.
            raw_command(info.endpoint, "ACL", "SETUSER", "app", "resetpass", ">s3cret-new")
            raw_command(info.endpoint, "CLIENT", "KILL", "USER", "app")
            with pytest.raises(WrongPassError):
                await client.get("missing")  # a read: re-run on a new connection, refused
        refused = [
            r for r in caplog.records if getattr(r, "redis.event", None) == "handshake_refused"
        ]
        assert refused, caplog.text
        record = refused[0]
        assert record.levelno == logging.WARNING
        assert getattr(record, "redis.address") == f"{info.host}:{info.port}"
        assert getattr(record, "db.response.status_code") == "WRONGPASS"
        assert "s3cret" not in caplog.text
        raw_command(info.endpoint, "ACL", "SETUSER", "app", "resetpass", ">s3cret-old")


@pytest.mark.parametrize("client_name", [None, "app"])
@pytest.mark.parametrize(("protocol", "strategy"), _COMBINATIONS)
async def test_a_full_server_is_a_connect_error_whatever_the_handshake(
    redis_server_factory: ServerFactory,
    protocol: Protocol,
    strategy: StrategyName,
    client_name: str | None,
) -> None:
    # The server says so on accept and hangs up: the reply lands on whichever handshake
    # command comes first (HELLO, CLIENT SETNAME, or CLIENT SETINFO, whose errors are ignored).
    info = redis_server_factory("7")
    raw_command(info.endpoint, "CONFIG", "SET", "maxclients", "1")
    with open_raw(info.endpoint) as holder:  # the one client the server takes
        holder.command("PING")
        r = Redis(
            info.host,
            info.port,
            protocol=protocol,
            strategy=strategy,
            client_name=client_name,
            retry=Retry(attempts=1),
        )
        try:
            with pytest.raises(ConnectFailedError, match="max number of clients reached") as caught:
                await r.get("k")
        finally:
            await r.aclose()
    assert caught.value.may_have_executed is False
    assert "refused the connection" in str(caught.value)
