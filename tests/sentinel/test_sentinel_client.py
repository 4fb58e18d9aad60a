"""Sentinel-resolved clients on the session sentinel group (nothing here fails it over).

Discovery as Redis documents it for clients: the sentinels are asked in turn, the one that
answered moves to the front, the sentinel list grows from ``SENTINEL SENTINELS``, and the
server a sentinel names is checked for its role before it is used. A proxy in front of a
sentinel forges its answers where a test needs a sentinel that is wrong.
"""

from __future__ import annotations

from typing import Any

import pytest

import redis_oxide
from redis_oxide import Sentinel
from redis_oxide._client import Redis
from redis_oxide._sentinel import SentinelConnector
from redis_oxide.exceptions import (
    PrimaryNotFoundError,
    ReadOnlyError,
    SentinelError,
)
from redis_oxide.testing import SentinelInfo, raw_command
from redis_oxide.testing._ports import free_port
from redis_oxide.testing._proxy import ProxyFactory

pytestmark = pytest.mark.timeout(60)


def _sentinels(group: SentinelInfo) -> list[tuple[str, int]]:
    return [(s.host, s.port) for s in group.sentinels]


def _address_reply(host: str, port: int) -> bytes:
    # GET-MASTER-ADDR-BY-NAME as a RESP3 connection receives it.
    return b"*2\r\n$%d\r\n%s\r\n$%d\r\n%d\r\n" % (len(host), host.encode(), len(str(port)), port)


def _connector(client: Redis[Any]) -> SentinelConnector:
    connector = client._server.strategy._connector  # type: ignore[attr-defined]  # white box
    assert isinstance(connector, SentinelConnector)
    return connector


@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
async def test_primary_client_is_an_ordinary_client_on_the_primary(
    redis_sentinel: SentinelInfo, strategy: Any
) -> None:
    primary = redis_sentinel.primary
    async with Sentinel(_sentinels(redis_sentinel)) as sentinel:
        r = sentinel.primary_for(
            redis_sentinel.master_name, decode_responses=True, strategy=strategy
        )
        role = await r.role()
        assert role.role == "master"
        assert f"{primary.host}:{primary.port}" in repr(r)
        await r.delete("sentinel:k", "sentinel:n", "sentinel:t")
        await r.set("sentinel:k", "v")
        assert await r.get("sentinel:k") == "v"
        async with r.pipeline() as pipe:
            counter = pipe.incr("sentinel:n")
            value = pipe.get("sentinel:k")
        assert (await counter, await value) == (1, "v")
        async with r.pipeline(transaction=True) as tx:
            tx.set("sentinel:t", "1")
            moved = tx.incrby("sentinel:t", 41)
        assert await moved == 42
        script = r.register_script("return redis.call('GET', KEYS[1])")
        assert await script(keys=["sentinel:k"]) == "v"
        await r.delete("sentinel:k", "sentinel:n", "sentinel:t")


async def test_replica_client_reads_from_the_replica_and_refuses_writes(
    redis_sentinel: SentinelInfo,
) -> None:
    replica = redis_sentinel.replica
    async with Sentinel(_sentinels(redis_sentinel)) as sentinel:
        primary = sentinel.primary_for(redis_sentinel.master_name)
        reader = sentinel.replica_for(redis_sentinel.master_name)
        await primary.set("sentinel:r", "replicated")
        assert await primary.wait(1, 2000) == 1
        assert await reader.get("sentinel:r") == b"replicated"
        assert (await reader.role()).role == "slave"
        assert f"{replica.host}:{replica.port}" in repr(reader)
        # A write to a replica client is the caller's mistake, not a topology change.
        with pytest.raises(ReadOnlyError):
            await reader.set("sentinel:r", "x")
        assert reader.stats().reconnects == 0
        await primary.delete("sentinel:r")


async def test_primaries_and_check_give_typed_views(redis_sentinel: SentinelInfo) -> None:
    name, primary = redis_sentinel.master_name, redis_sentinel.primary
    async with Sentinel(_sentinels(redis_sentinel)) as sentinel:
        (monitored,) = await sentinel.primaries()
        assert isinstance(monitored, redis_oxide.MonitoredPrimary)
        assert (monitored.name, monitored.host, monitored.port) == (
            name,
            primary.host,
            primary.port,
        )
        assert monitored.quorum == redis_sentinel.quorum
        assert (monitored.replicas, monitored.other_sentinels) == (1, 2)
        assert not monitored.is_down
        report = await sentinel.check(name)
        assert isinstance(report, redis_oxide.SentinelReport)
        assert report.primary.address == f"{primary.host}:{primary.port}"
        assert report.quorum_reached, report.quorum_detail
        (replica,) = report.replicas
        assert replica.port == redis_sentinel.replica.port
        assert replica.link_ok
        assert replica.healthy
        assert report.healthy_replicas == report.replicas
        seen = sorted(s.port for s in report.sentinels)
        assert seen == sorted(s.port for s in redis_sentinel.sentinels)
        assert all(s.healthy for s in report.sentinels)
        with pytest.raises(PrimaryNotFoundError):
            await sentinel.check("no-such-name")


async def test_unknown_name_fails_at_once(redis_sentinel: SentinelInfo) -> None:
    async with Sentinel(_sentinels(redis_sentinel), resolve_timeout=30) as sentinel:
        r = sentinel.primary_for("no-such-name", command_timeout=5)
        with pytest.raises(PrimaryNotFoundError, match="no sentinel monitors 'no-such-name'"):
            await r.ping()


async def test_unreachable_sentinels_raise_a_sentinel_error_naming_each() -> None:
    dead = [("127.0.0.1", free_port()), ("127.0.0.1", free_port())]
    async with Sentinel(dead) as sentinel:
        r = sentinel.primary_for("oxide-primary", command_timeout=5)
        with pytest.raises(SentinelError) as caught:
            await r.ping()
        assert type(caught.value) is SentinelError
        for host, port in dead:
            assert f"{host}:{port}: ConnectFailedError" in caught.value.message
        with pytest.raises(SentinelError):
            await sentinel.primaries()


async def test_resp2_client_checks_the_role_with_the_role_command(
    redis_sentinel: SentinelInfo,
) -> None:
    async with Sentinel(_sentinels(redis_sentinel), protocol=2) as sentinel:
        r = sentinel.primary_for(redis_sentinel.master_name, decode_responses=True)
        assert await r.set("sentinel:resp2", "v")
        assert await r.get("sentinel:resp2") == "v"
        assert _connector(r).server == (redis_sentinel.primary.host, redis_sentinel.primary.port)
        await r.delete("sentinel:resp2")


async def test_a_refused_sentinel_password_is_a_sentinel_error_without_the_secret(
    redis_sentinel: SentinelInfo,
) -> None:
    secret = "s3cr3t-value"
    sentinels = _sentinels(redis_sentinel)
    # The sentinels' default user takes any password; a user they do not have does not.
    async with Sentinel(
        sentinels, sentinel_username="nobody", sentinel_password=secret
    ) as sentinel:
        assert secret not in repr(sentinel)
        r = sentinel.primary_for(redis_sentinel.master_name, command_timeout=5)
        with pytest.raises(SentinelError) as caught:
            await r.ping()
        assert caught.value.message.count("WrongPassError") == len(redis_sentinel.sentinels)
        assert secret not in str(caught.value)


async def test_a_sentinel_credential_provider_is_asked_at_each_sentinel_connect(
    redis_sentinel: SentinelInfo,
) -> None:
    secret = "s3cr3t-value"
    sentinels = _sentinels(redis_sentinel)
    asked: list[str] = []

    async def refused() -> tuple[str | None, str | None]:
        asked.append("refused")
        return "nobody", secret  # a user the sentinels do not have

    async with Sentinel(sentinels, sentinel_credential_provider=refused) as sentinel:
        r = sentinel.primary_for(redis_sentinel.master_name, command_timeout=5)
        with pytest.raises(SentinelError) as caught:
            await r.ping()
        assert caught.value.message.count("WrongPassError") == len(redis_sentinel.sentinels)
        assert secret not in str(caught.value)
        assert len(asked) >= len(redis_sentinel.sentinels)  # once per sentinel connect

    def accepted() -> tuple[str | None, str | None]:
        asked.append("accepted")
        return None, "any"  # the sentinels' default user takes any password

    async with Sentinel(sentinels, sentinel_credential_provider=accepted) as sentinel:
        r = sentinel.primary_for(redis_sentinel.master_name)
        assert await r.ping()
        assert "accepted" in asked


def test_a_sentinel_credential_provider_is_checked_before_anything_connects() -> None:
    sentinels = [("127.0.0.1", 26379)]
    with pytest.raises(TypeError, match="sentinel_credential_provider must be callable"):
        Sentinel(sentinels, sentinel_credential_provider="secret")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="give one or the other"):
        Sentinel(
            sentinels,
            sentinel_password="secret",
            sentinel_credential_provider=lambda: (None, "secret"),
        )


async def test_answering_sentinel_moves_to_the_front_and_peers_are_learnt(
    redis_sentinel: SentinelInfo,
) -> None:
    dead = ("127.0.0.1", free_port())
    first = redis_sentinel.sentinels[0]
    async with Sentinel([dead, (first.host, first.port)]) as sentinel:
        r = sentinel.primary_for(redis_sentinel.master_name)
        assert await r.ping()
        known = sentinel.sentinels
        assert known[0] == f"{first.host}:{first.port}"
        assert known[1] == f"{dead[0]}:{dead[1]}"
        assert sorted(known[2:]) == sorted(
            f"{s.host}:{s.port}" for s in redis_sentinel.sentinels[1:]
        )


async def test_a_server_that_says_it_is_a_replica_is_not_used_as_the_primary(
    redis_sentinel: SentinelInfo, tcp_proxy: ProxyFactory
) -> None:
    primary, replica = redis_sentinel.primary, redis_sentinel.replica
    liar = await tcp_proxy(redis_sentinel.sentinels[0])
    liar.rewrite_reply(
        _address_reply(primary.host, primary.port), _address_reply(replica.host, replica.port)
    )
    honest = redis_sentinel.sentinels[1]
    async with Sentinel([(liar.host, liar.port), (honest.host, honest.port)]) as sentinel:
        r = sentinel.primary_for(redis_sentinel.master_name)
        assert (await r.role()).role == "master"
        assert liar.pending_rewrites == 0  # the liar was asked first, and believed only so far
        assert _connector(r).server == (primary.host, primary.port)
        # The sentinel whose answer did not hold went behind the one that answered truly.
        known = sentinel.sentinels
        assert known[0] == f"{honest.host}:{honest.port}"
        assert known.index(f"{liar.host}:{liar.port}") > 0


async def test_readonly_reply_gives_the_server_up_and_reruns_the_write(
    redis_sentinel: SentinelInfo, tcp_proxy: ProxyFactory
) -> None:
    primary = redis_sentinel.primary
    # The sentinel names a proxy in front of the primary once; that proxy then answers one
    # write with READONLY, as a primary demoted behind the client's back would.
    front = await tcp_proxy(primary)
    liar = await tcp_proxy(redis_sentinel.sentinels[0])
    liar.rewrite_reply(
        _address_reply(primary.host, primary.port), _address_reply(front.host, front.port)
    )
    async with Sentinel([(liar.host, liar.port)]) as sentinel:
        r = sentinel.primary_for(redis_sentinel.master_name, command_timeout=5)
        assert await r.ping()
        assert _connector(r).server == (front.host, front.port)
        front.rewrite_reply(
            b"+OK\r\n", b"-READONLY You can't write against a read only replica.\r\n"
        )
        assert await r.set("sentinel:ro", "1") is True
        assert front.pending_rewrites == 0
        assert _connector(r).server == (primary.host, primary.port)
        assert r.stats().reconnects == 1
        assert raw_command(primary.endpoint, "GET", "sentinel:ro") == b"1"
        await r.delete("sentinel:ro")


def test_bad_input_is_refused_before_anything_connects(redis_sentinel: SentinelInfo) -> None:
    with pytest.raises(ValueError, match="at least one"):
        Sentinel([])
    with pytest.raises(ValueError, match="tuple"):
        Sentinel(["127.0.0.1:26379"])  # type: ignore[list-item]  # the mistake under test
    with pytest.raises(ValueError, match="invalid sentinel address"):
        Sentinel([("127.0.0.1", 0)])
    with pytest.raises(ValueError, match="resolve_timeout"):
        Sentinel(_sentinels(redis_sentinel), resolve_timeout=0)
    with pytest.raises(TypeError, match="unknown options"):
        Sentinel(_sentinels(redis_sentinel), no_such_option=1)  # type: ignore[call-arg]
    sentinel = Sentinel(_sentinels(redis_sentinel))
    with pytest.raises(ValueError, match="unix_socket_path"):
        sentinel.primary_for("oxide-primary", unix_socket_path="/tmp/x.sock")
    with pytest.raises(ValueError, match="strategy"):
        sentinel.replica_for("oxide-primary", strategy="nope")  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="name"):
        sentinel.primary_for("")
