"""Connections that were lost or thrown away become garbage: a pool keeps none of them.

A service behind a link that drops now and then (a proxy cutting idle connections, a server
restarted every night) loses connections for as long as it runs; each lost one is replaced,
and the dead ``Connection`` must not stay referenced by the pool that replaced it. The
server kills every client connection (``CLIENT KILL SKIPME yes``) again and again, with
commands in between; afterwards the number of live ``Connection`` objects is what it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Callable
from typing import Literal

import pytest

from redis_oxide import PubSub, Redis
from redis_oxide._connection import Connection
from redis_oxide._pool import ConnectionPool
from redis_oxide.testing import RedisServerInfo
from redis_oxide.testing.plugin import ServerFactory
from redis_oxide.types import ClientKillSkipme

pytestmark = pytest.mark.timeout(120)

Strategy = Literal["multiplexed", "pooled"]

#: Connections lost per test.
ROUNDS = 30
#: Live connections a test may end with beyond those it started with: the replacements.
SLACK = 3


@pytest.fixture
def server(redis_server_factory: ServerFactory) -> RedisServerInfo:
    return redis_server_factory("7")  # CLIENT KILL ends every connection to it


async def _until(check: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not reached within {seconds} s")
        await asyncio.sleep(0.005)


def _live_connections() -> list[Connection]:
    gc.collect()
    return [o for o in gc.get_objects() if isinstance(o, Connection)]


def _pools() -> list[ConnectionPool]:
    return [o for o in gc.get_objects() if isinstance(o, ConnectionPool)]


def _closing(pool: ConnectionPool) -> int:
    return len(pool._closing)  # white box: what the pool keeps for aclose() to wait for


async def _killer(server: RedisServerInfo) -> tuple[Redis[bytes], list[Connection]]:
    """A client that ends the others' connections, and the connections open so far."""
    killer = Redis(server.host, server.port)
    await killer.ping()
    return killer, [c for c in _live_connections() if not c.is_closed()]


def _resubscribed(pubsub: PubSub[bytes], times: int) -> Callable[[], bool]:
    return lambda: pubsub.reconnects >= times


async def _kill_all(killer: Redis[bytes], spared: list[Connection]) -> None:
    """End every connection to the server but the killer's, and wait until ours notice."""
    ids = {id(c) for c in spared}
    ours = [c for c in _live_connections() if id(c) not in ids and not c.is_closed()]
    await killer.client_kill(new_format=[ClientKillSkipme(skipme="YES")])
    await _until(lambda: all(c.is_closed() for c in ours))


async def _assert_nothing_kept(before: int, client: Redis[bytes]) -> None:
    await asyncio.sleep(0.05)  # transports aborted last are gone after a loop turn or two
    live = _live_connections()
    dead = [c for c in live if c.is_closed()]
    assert len(live) - before <= SLACK, (len(live), before, dead[:3])
    for pool in _pools():
        assert _closing(pool) <= 1, pool
    async with asyncio.timeout(5):  # nothing waits for a connection that is gone
        await client.aclose()


@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
async def test_lost_connections_are_not_kept(server: RedisServerInfo, strategy: Strategy) -> None:
    killer, spared = await _killer(server)
    async with killer:
        client = Redis(server.host, server.port, strategy=strategy, max_connections=2)
        try:
            await client.set("n", 0)
            before = len(_live_connections())
            for _ in range(ROUNDS):
                await _kill_all(killer, spared)
                await asyncio.gather(client.incr("n"), client.incr("n"))
            assert await client.get("n") == str(2 * ROUNDS).encode()
            await _assert_nothing_kept(before, client)
        finally:
            await client.aclose()


@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
async def test_lost_subscriber_connections_are_not_kept(
    server: RedisServerInfo, strategy: Strategy
) -> None:
    killer, spared = await _killer(server)
    async with killer:
        client = Redis(server.host, server.port, strategy=strategy)
        try:
            pubsub = client.pubsub()
            await pubsub.subscribe("news")
            await client.ping()
            before = len(_live_connections())
            for round_ in range(1, ROUNDS + 1):
                await _kill_all(killer, spared)
                await _until(_resubscribed(pubsub, round_))
                await client.ping()
            assert await killer.publish("news", "hello") == 1  # the subscription still delivers
            async with asyncio.timeout(5):
                message = await pubsub.get_message(timeout=5)
                while message is not None and message.data != b"hello":
                    message = await pubsub.get_message(timeout=5)
            assert message is not None
            await pubsub.aclose()
            await _assert_nothing_kept(before, client)
        finally:
            await client.aclose()


@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
async def test_connections_thrown_away_are_not_kept(
    server: RedisServerInfo, strategy: Strategy
) -> None:
    # A blocking command given up by its caller leaves its connection waiting for a reply
    # that belongs to nobody: the pool ends that connection itself, and forgets it.
    client = Redis(server.host, server.port, strategy=strategy)
    try:
        await client.ping()
        before = len(_live_connections())
        for _ in range(ROUNDS):
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.01):
                    await client.blpop(["nothing"], timeout=5)
            assert await client.ping()
        await _assert_nothing_kept(before, client)
    finally:
        await client.aclose()
