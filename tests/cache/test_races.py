"""Reads that race writes, made to happen in a chosen order.

On one loopback server the replies and the invalidations of one write usually arrive in the
same loop turn, which hides the races the cache guards against. Here the client's own
connection and its tracking connection go through two proxies to one server, so a test can
hold either route and decide which the server sees first and which the client hears first.
Each test fails if its guard is removed (a read filling though its key was invalidated while
it was in flight; the invalidation when a write is sent; the one when it is answered; a
refresh in flight standing in for the entry it replaces).
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

from redis_oxide import Redis
from redis_oxide._cache import CachingExecutor
from redis_oxide._connection_setup import FixedConnector
from redis_oxide.testing._info import RedisServerInfo
from redis_oxide.testing._proxy import TcpProxy

if TYPE_CHECKING:
    from redis_oxide.testing.plugin import ProxyFactory

pytestmark = pytest.mark.timeout(30)

# How long a read held by a stalled route is given to (wrongly) complete.
HELD = 0.1


@dataclasses.dataclass
class Split:
    client: Redis[bytes]
    writer: Redis[bytes]
    main: TcpProxy  # the client's own connections
    tracking: TcpProxy  # the cache's tracking connection


@pytest.fixture
async def split(flushed_stack: RedisServerInfo, tcp_proxy: ProxyFactory) -> AsyncIterator[Split]:
    main, tracking = await tcp_proxy(flushed_stack), await tcp_proxy(flushed_stack)
    async with (
        Redis(main.host, main.port, cache=True) as client,
        Redis(flushed_stack.host, flushed_stack.port) as writer,
    ):
        executor = client._executor
        assert isinstance(executor, CachingExecutor)
        config = client._config.connection
        # Before the first read: the tracking connection will go through its own proxy.
        route = dataclasses.replace(config, host=tracking.host, port=tracking.port)
        executor._connector._inner = FixedConnector(route)
        yield Split(client, writer, main, tracking)


def _key() -> str:
    return f"race:{uuid.uuid4().hex[:8]}"


async def test_a_read_invalidated_in_flight_does_not_fill(split: Split) -> None:
    key = _key()
    await split.writer.set(key, "v1")
    await split.client.ping()  # the client's own connection is up
    assert await split.client.get(key) == b"v1"  # so is the tracking connection
    cache = split.client.cache
    assert cache is not None
    cache.clear()
    split.tracking.stall()
    split.main.stall()
    read = asyncio.ensure_future(split.client.get(key))  # held on the tracking route
    write = asyncio.ensure_future(split.client.set(key, "v2"))  # held on the client's route
    await asyncio.sleep(0)
    split.tracking.resume()
    # The server runs the read first and answers v1, which was true when it ran; but the
    # key was invalidated (the write was sent) while the read was in flight: no fill.
    assert await read == b"v1"
    assert len(cache) == 0
    split.main.resume()
    assert await write is True
    assert await split.client.get(key) == b"v2"


async def test_a_write_invalidates_when_sent(split: Split) -> None:
    key = _key()
    await split.writer.set(key, "v1")
    assert await split.client.get(key) == b"v1"
    split.tracking.stall()  # the server's invalidation for the write is held
    assert await split.client.set(key, "v2") is True
    read = asyncio.ensure_future(split.client.get(key))
    await asyncio.sleep(HELD)
    assert not read.done(), "a hit served the value the client itself had overwritten"
    split.tracking.resume()
    assert await read == b"v2"


async def test_a_write_invalidates_again_when_answered(split: Split) -> None:
    key = _key()
    await split.writer.set(key, "v1")
    await split.client.ping()
    split.main.stall()
    write = asyncio.ensure_future(split.client.set(key, "v2"))  # sent, held on its route
    await asyncio.sleep(0)
    # Sent after the write, run before it: v1 is filled, and correct until the write runs.
    assert await split.client.get(key) == b"v1"
    split.tracking.stall()  # the server's invalidation for the write is held
    split.main.resume()
    assert await write is True
    read = asyncio.ensure_future(split.client.get(key))
    await asyncio.sleep(HELD)
    assert not read.done(), "a hit served a value filled before the acknowledged write"
    split.tracking.resume()
    assert await read == b"v2"


async def test_a_read_during_a_refresh_waits_for_it(split: Split) -> None:
    key = _key()
    client = split.client
    cache = client.cache
    assert cache is not None
    await split.writer.set(key, "v1")
    assert await client.get(key) == b"v1"
    assert await client.get(key) == b"v1"  # a hit: the entry is refreshed when invalidated
    await split.writer.set(key, "v2")
    for _ in range(100_000):  # bounded: until the invalidation was read and the refresh sent
        if cache.refreshes:
            break
        await asyncio.sleep(0)  # one loop turn: the stall below must come before the reply
    assert cache.refreshes == 1
    split.tracking.stall()  # the refresh's reply is held (it needs two more proxy hops)
    read = asyncio.ensure_future(client.get(key))
    await asyncio.sleep(HELD)
    assert not read.done(), "a read during the refresh was served the value it replaces"
    assert cache.coalesced == 1  # it waits for the refresh, and sends nothing of its own
    split.tracking.resume()
    assert await read == b"v2"
    assert await client.get(key) == b"v2"
    assert (cache.hits, cache.misses, cache.refreshes) == (2, 1, 1)
