"""Concurrent misses of one key: they send one read, and only while that is safe.

Each test has a server of its own, so the server's command counts (``INFO commandstats``)
are the reads this client sent. Where a read must stay in flight across awaits, the cache's
tracking connection goes through a proxy that the test stalls.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

from redis_oxide import Redis
from redis_oxide._cache import CachingExecutor
from redis_oxide._connection_setup import FixedConnector
from redis_oxide.exceptions import ServerError
from redis_oxide.testing._info import RedisServerInfo
from redis_oxide.testing._proxy import TcpProxy
from tests.cache.test_cache import command_calls

if TYPE_CHECKING:
    from redis_oxide.testing.plugin import ProxyFactory, ServerFactory

pytestmark = pytest.mark.timeout(30)


@dataclasses.dataclass
class Held:
    """A cached client whose tracking connection runs through ``tracking``."""

    client: Redis[bytes]
    writer: Redis[bytes]
    tracking: TcpProxy


@pytest.fixture
def server(redis_server_factory: ServerFactory) -> RedisServerInfo:
    return redis_server_factory("7")


@pytest.fixture
async def held(server: RedisServerInfo, tcp_proxy: ProxyFactory) -> AsyncIterator[Held]:
    tracking = await tcp_proxy(server)
    async with (
        Redis(server.host, server.port, cache=True) as client,
        Redis(server.host, server.port) as writer,
    ):
        executor = client._executor
        assert isinstance(executor, CachingExecutor)
        route = dataclasses.replace(
            client._config.connection, host=tracking.host, port=tracking.port
        )
        executor._connector._inner = FixedConnector(route)
        await client.client_trackinginfo()  # the tracking connection is up, through the proxy
        yield Held(client, writer, tracking)


async def test_concurrent_misses_of_a_key_send_one_read(server: RedisServerInfo) -> None:
    async with (
        Redis(server.host, server.port, cache=True) as client,
        Redis(server.host, server.port) as writer,
    ):
        await writer.set("k", "v")
        await writer.hset("h", {"f": "1", "g": "2"})
        await writer.set("s", "x")
        await client.client_trackinginfo()  # the tracking connection is up: reads are sent
        await writer.config_resetstat()
        # Tasks run in one loop turn, before any reply can be read: the first one sends.
        assert await asyncio.gather(*(client.get("k") for _ in range(5))) == [b"v"] * 5
        hashes = await asyncio.gather(*(client.hgetall("h") for _ in range(3)))
        hashes[0][b"f"] = b"changed"  # each caller holds its own copy
        assert hashes[1:] == [{b"f": b"1", b"g": b"2"}] * 2
        assert await client.hgetall("h") == {b"f": b"1", b"g": b"2"}  # a hit: unchanged too
        errors = await asyncio.gather(
            *(client.hget("s", "f") for _ in range(2)), return_exceptions=True
        )
        assert all(isinstance(error, ServerError) for error in errors)  # WRONGTYPE, shared
        assert await command_calls(writer, "get") == 1
        assert await command_calls(writer, "hgetall") == 1
        assert await command_calls(writer, "hget") == 1
        cache = client.cache
        assert cache is not None
        assert (cache.misses, cache.coalesced, cache.hits) == (3, 7, 1)


async def test_a_read_started_after_an_invalidation_does_not_join_the_earlier_read(
    held: Held,
) -> None:
    client, cache = held.client, held.client.cache
    assert cache is not None
    await held.writer.set("k", "v1")
    await held.writer.config_resetstat()
    held.tracking.stall()
    first = asyncio.ensure_future(client.get("k"))  # sent, held on the tracking route
    await asyncio.sleep(0)
    assert await client.set("k", "v2") is True  # invalidates k here when sent
    second = asyncio.ensure_future(client.get("k"))  # after the invalidation: its own read
    await asyncio.sleep(0)
    cache.clear()  # a flush refuses the reads in flight: a third read sends too
    third = asyncio.ensure_future(client.get("k"))
    joined = asyncio.ensure_future(client.get("k"))  # the same moment as the third: joins it
    await asyncio.sleep(0)
    held.tracking.resume()
    assert await asyncio.gather(first, second, third, joined) == [b"v2"] * 4
    assert await command_calls(held.writer, "get") == 3
    assert (cache.misses, cache.coalesced) == (3, 1)


async def test_a_cancelled_read_hands_its_waiters_on(held: Held) -> None:
    client, cache = held.client, held.client.cache
    assert cache is not None
    await held.writer.set("k", "v")
    await held.writer.config_resetstat()
    held.tracking.stall()
    first = asyncio.ensure_future(client.get("k"))
    await asyncio.sleep(0)
    waiting = asyncio.ensure_future(client.get("k"))  # joins the first read
    await asyncio.sleep(0)
    first.cancel()  # its reply will be dropped: the waiter sends a read of its own
    await asyncio.sleep(0)
    held.tracking.resume()
    assert await waiting == b"v"
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await command_calls(held.writer, "get") == 2
    assert (cache.misses, cache.coalesced) == (2, 1)
    assert await client.get("k") == b"v"  # the waiter's own read filled
    assert cache.hits == 1
