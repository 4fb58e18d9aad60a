"""The cache when its tracking connection ends: restarts, cuts and a silent network.

A tracking connection that ends takes the server's memory of what it read with it, so the
cache must be empty before anything it held could be served again.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

import pytest

from redis_oxide import CacheConfig, Redis
from redis_oxide._cache import CachingExecutor
from redis_oxide.testing._info import RedisServerInfo
from redis_oxide.testing.plugin import ServerFactory
from tests.cache.test_cache import settled

if TYPE_CHECKING:
    from redis_oxide.testing.plugin import ProxyFactory
    from tests.conftest import Figure

pytestmark = pytest.mark.timeout(60)


async def test_no_stale_value_after_a_server_restart(
    redis_server_factory: ServerFactory, figures: Figure
) -> None:
    info = redis_server_factory("7")
    assert info.process is not None
    keys = [f"restart:{i}" for i in range(200)]
    async with Redis(info.host, info.port, cache=True) as client:
        await client.mset(dict.fromkeys(keys, "before"))
        assert await asyncio.gather(*(client.get(k) for k in keys)) == [b"before"] * 200
        cache = client.cache
        assert cache is not None
        assert len(cache) == 200
        # The restarted server has no data ("save" is off) and no memory of the tracking.
        info.process.restart()
        async with Redis(info.host, info.port) as writer:
            await writer.mset(dict.fromkeys(keys[:100], "after"))
        values = await asyncio.gather(*(client.get(k) for k in keys))
        assert values == [b"after"] * 100 + [None] * 100
        assert cache.flushes == 1
        figures("entries served stale after the restart", 0)
        # The new tracking connection tracks again.
        async with Redis(info.host, info.port) as writer:
            await writer.set(keys[0], "later")
        await settled(lambda: len(cache) == 199)
        assert await client.get(keys[0]) == b"later"


async def test_a_cut_connection_flushes_the_cache(
    redis_stack: RedisServerInfo, tcp_proxy: ProxyFactory
) -> None:
    proxy = await tcp_proxy(redis_stack)
    key = f"cut:{uuid.uuid4().hex}"
    async with Redis(redis_stack.host, redis_stack.port) as writer:
        await writer.set(key, "1")
        async with Redis(proxy.host, proxy.port, cache=True) as client:
            assert await client.get(key) == b"1"
            cache = client.cache
            assert cache is not None
            assert len(cache) == 1
            proxy.cut()
            await settled(lambda: len(cache) == 0)
            await writer.set(key, "2")
            assert await client.get(key) == b"2"
            assert cache.misses == 2


async def test_a_silent_tracking_connection_is_found_by_its_health_check(
    redis_stack: RedisServerInfo, tcp_proxy: ProxyFactory, figures: Figure
) -> None:
    proxy = await tcp_proxy(redis_stack)
    key = f"silent:{uuid.uuid4().hex}"
    config = CacheConfig(health_check_interval=0.2)
    async with Redis(proxy.host, proxy.port, cache=config) as client:
        await client.set(key, "1")
        assert await client.get(key) == b"1"
        assert await client.get(key) == b"1"
        cache = client.cache
        assert cache is not None
        assert cache.hits == 1
        # No FIN, no RST: only an unanswered PING can tell the connection is gone.
        proxy.stall()
        started = asyncio.get_running_loop().time()
        await settled(lambda: len(cache) == 0, within=5.0)
        figures(
            "silent connection flushed after (s)",
            round(asyncio.get_running_loop().time() - started, 2),
        )
        proxy.resume()
        assert await client.get(key) == b"1"
        assert cache.hits == 1


async def test_a_silent_connection_with_reads_waiting_is_found_too(
    redis_stack: RedisServerInfo, tcp_proxy: ProxyFactory
) -> None:
    proxy = await tcp_proxy(redis_stack)
    cached_key, waiting_key = (f"busy:{uuid.uuid4().hex}" for _ in range(2))
    config = CacheConfig(health_check_interval=0.2)
    async with Redis(proxy.host, proxy.port, cache=config) as client:
        await client.mset({cached_key: "1", waiting_key: "2"})
        assert await client.get(cached_key) == b"1"
        cache = client.cache
        assert cache is not None
        proxy.stall()
        # A read that will not be answered keeps a PING from being the test of silence.
        waiting = asyncio.ensure_future(client.get(waiting_key))
        await settled(lambda: len(cache) == 0, within=5.0)
        assert not waiting.done()
        proxy.resume()
        assert await waiting == b"2"  # re-run on a new tracking connection
        assert await client.get(cached_key) == b"1"


@pytest.mark.parametrize("end", ["fail", "stop_accepting", "abort"])
async def test_the_cache_is_empty_the_moment_its_tracking_connection_ends(
    redis_stack: RedisServerInfo, end: str
) -> None:
    # Before any task runs (the watcher's flush comes later): a hit never outlives it.
    key = f"ended:{uuid.uuid4().hex}"
    async with Redis(redis_stack.host, redis_stack.port, cache=True) as client:
        await client.set(key, "1")
        assert await client.get(key) == b"1"
        cache = client.cache
        assert cache is not None
        assert len(cache) == 1
        executor = client._executor
        assert isinstance(executor, CachingExecutor)
        tracking = executor._pool.sole
        assert tracking is not None
        if end == "fail":
            tracking.fail(ConnectionResetError("gone"))
        elif end == "stop_accepting":
            tracking.stop_accepting()
        else:
            tracking.abort()
        assert len(cache) == 0
        assert cache.flushes == 1
        read = client.get(key)  # a miss, on a new tracking connection
        assert not (isinstance(read, asyncio.Future) and read.done())
        assert await read == b"1"
        assert (cache.hits, cache.misses) == (0, 2)
        await tracking.aclose()  # (the pool closes what it stops using; not this one)
