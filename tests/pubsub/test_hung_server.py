"""Subscribing on a hung server: ``subscribe()`` and its kin give up at ``command_timeout``.

A suspended server (SIGSTOP) accepts TCP connections through its backlog and never answers,
like a hung host: a new subscription's connection never finishes its handshake, and a
subscription already made gets no confirmation. Either way the call raises
``CommandTimeoutError`` at ``command_timeout`` (not at ``connect_timeout``, nor never), and
what it added is withdrawn: the subscription does not list it, and once the server answers
again it does not keep it either. A caller's own cancellation withdraws alike.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Literal

import pytest

from redis_oxide import Message, PubSub, Redis, RedisCluster, SubscriptionState
from redis_oxide._keys import key_slot
from redis_oxide.exceptions import CommandTimeoutError
from redis_oxide.testing import RedisServerInfo, raw_command
from redis_oxide.testing._cluster import start_cluster
from tests.cluster._migrate import slot_owners

pytestmark = pytest.mark.timeout(60)

Method = Literal["subscribe", "psubscribe", "ssubscribe"]
# The command each method sends, and how a message reaches what it subscribed.
COMMANDS: dict[Method, str] = {
    "subscribe": "SUBSCRIBE",
    "psubscribe": "PSUBSCRIBE",
    "ssubscribe": "SSUBSCRIBE",
}


@pytest.fixture
def server(stoppable_server: RedisServerInfo) -> RedisServerInfo:
    return stoppable_server  # frozen by the tests, resumed at the end (tests/conftest.py)


def _call(p: PubSub[str], method: Method) -> Callable[[str], Awaitable[None]]:
    calls: dict[Method, Callable[[str], Awaitable[None]]] = {
        "subscribe": p.subscribe,
        "psubscribe": p.psubscribe,
        "ssubscribe": p.ssubscribe,
    }
    return calls[method]


def _names(p: PubSub[str], method: Method) -> frozenset[str]:
    return {"subscribe": p.channels, "psubscribe": p.patterns, "ssubscribe": p.shard_channels}[
        method
    ]


async def _publish(r: Redis[str], method: Method, channel: str, data: str) -> int:
    if method == "ssubscribe":
        return await r.spublish(channel, data)
    return await r.publish(channel, data)


def _subscribers(info: RedisServerInfo, channel: str) -> int:
    reply = raw_command(info.endpoint, "PUBSUB", "NUMSUB", channel)
    assert isinstance(reply, list)
    count = reply[1]
    assert isinstance(count, int)
    return count


@pytest.mark.parametrize("method", ["subscribe", "psubscribe", "ssubscribe"])
async def test_subscribing_on_a_hung_server_times_out_at_command_timeout(
    server: RedisServerInfo, method: Method
) -> None:
    assert server.process is not None
    await asyncio.to_thread(server.process.suspend)
    async with (
        Redis(server.host, server.port, command_timeout=0.5, decode_responses=True) as r,
        r.pubsub() as p,
    ):
        started = time.monotonic()
        with pytest.raises(CommandTimeoutError) as caught:
            async with asyncio.timeout(5):  # before: connect_timeout (10 s) for the lease
                await _call(p, method)("news")
        took = time.monotonic() - started
        assert 0.45 < took < 1.5
        assert caught.value.command == COMMANDS[method]
        assert caught.value.may_have_executed is False  # no connection: nothing was sent
        assert f"{method}() was not confirmed within command_timeout=0.5 s" in str(caught.value)
        assert "nothing was sent" in str(caught.value)
        assert _names(p, method) == frozenset()
        assert p.state is SubscriptionState.OPEN  # it may be tried again

        await asyncio.to_thread(server.process.resume)
        async with asyncio.timeout(10):
            await _call(p, method)("news")
            assert await _publish(r, method, "news", "back") == 1
            message = await p.get_message(timeout=5)
        assert message is not None
        assert (message.channel, message.data) == ("news", "back")


async def test_subscribing_on_a_hung_live_connection_times_out_and_leaves_nothing_behind(
    server: RedisServerInfo,
) -> None:
    assert server.process is not None
    handled: list[Message[str]] = []
    async with (
        Redis(server.host, server.port, command_timeout=0.5, decode_responses=True) as r,
        r.pubsub() as p,
    ):
        await p.subscribe("kept")
        await asyncio.to_thread(server.process.suspend)
        started = time.monotonic()
        with pytest.raises(CommandTimeoutError) as caught:
            async with asyncio.timeout(5):  # before: until the server answered again
                await p.subscribe("late", handler=handled.append)
        took = time.monotonic() - started
        assert 0.45 < took < 1.5
        assert caught.value.may_have_executed is True  # SUBSCRIBE late was written
        assert "UNSUBSCRIBE follows it" in str(caught.value)
        assert p.channels == {"kept"}

        await asyncio.to_thread(server.process.resume)
        async with asyncio.timeout(10):
            # Confirmed after the server ran SUBSCRIBE late and the UNSUBSCRIBE behind it.
            await p.subscribe("marker")
            assert [_subscribers(server, c) for c in ("kept", "late", "marker")] == [1, 0, 1]
            assert await r.publish("late", "lost") == 0
            await r.publish("kept", "here")
            message = await p.get_message(timeout=5)
        assert message == Message("message", "kept", "here")
        assert handled == []
        assert p.state is SubscriptionState.OPEN


async def test_a_cancelled_subscribe_leaves_nothing_it_added(server: RedisServerInfo) -> None:
    assert server.process is not None
    async with (
        Redis(server.host, server.port, decode_responses=True) as r,  # no command_timeout
        r.pubsub() as p,
    ):
        await p.subscribe("kept")
        await asyncio.to_thread(server.process.suspend)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):  # the caller's own deadline
                await p.subscribe("kept", "late")
        assert p.channels == {"kept"}  # subscribed before the call: it stays

        await asyncio.to_thread(server.process.resume)
        async with asyncio.timeout(10):
            await p.subscribe("marker")
        assert [_subscribers(server, c) for c in ("kept", "late", "marker")] == [1, 0, 1]


async def test_ssubscribe_on_a_hung_cluster_primary_times_out_at_command_timeout() -> None:
    cluster = start_cluster(modules=False)
    victim = cluster.primaries[0]
    assert victim.process is not None
    owners = slot_owners(cluster)
    channel = next(
        f"orders:{n}" for n in range(1000) if owners[key_slot(f"orders:{n}")] == victim.port
    )
    try:
        async with (
            RedisCluster(
                cluster.primaries[1].host,
                cluster.primaries[1].port,
                command_timeout=0.5,
                decode_responses=True,
            ) as rc,
            rc.pubsub() as p,
        ):
            await rc.ping()  # the slot map is known before the node hangs
            await asyncio.to_thread(victim.process.suspend)
            started = time.monotonic()
            with pytest.raises(CommandTimeoutError) as caught:
                async with asyncio.timeout(5):  # before: connect_timeout, then failover_timeout
                    await p.ssubscribe(channel)
            took = time.monotonic() - started
            await asyncio.to_thread(victim.process.resume)  # well within cluster-node-timeout
            assert 0.45 < took < 1.5
            assert caught.value.command == "SSUBSCRIBE"
            assert p.shard_channels == frozenset()
            assert len(p._links) == 1  # the node's link, left with nothing, was closed

            async with asyncio.timeout(10):
                await p.ssubscribe(channel)
                assert await rc.spublish(channel, "shipped") == 1
                message = await p.get_message(timeout=5)
            assert message == Message("smessage", channel, "shipped")
    finally:
        for node in cluster.nodes:
            if node.process is not None:
                node.process.kill()  # a stopped node ignores SIGTERM
                node.process.close()
