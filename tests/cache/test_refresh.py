"""Refresh: an entry that was read, invalidated by the server, is read again at once.

Each test drives a cached client and a plain writer against one server, and checks what the
cache did with the counters and what the server ran with INFO commandstats.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from redis_oxide import Cache, CacheConfig, Redis
from redis_oxide.exceptions import WrongTypeError
from redis_oxide.testing._info import RedisServerInfo
from tests.cache.test_cache import command_calls, settled

pytestmark = pytest.mark.timeout(30)


def _key() -> str:
    return f"refresh:{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def writer(flushed_stack: RedisServerInfo) -> AsyncIterator[Redis[bytes]]:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        yield client


@contextlib.asynccontextmanager
async def _read_once_filled(
    server: RedisServerInfo, writer: Redis[bytes]
) -> AsyncIterator[tuple[Redis[bytes], Cache, str]]:
    """A cached client whose entry of a new key (``v1``) was filled by a miss, then hit."""
    key = _key()
    await writer.set(key, "v1")
    async with Redis(server.host, server.port, cache=True) as client:
        cache = client.cache
        assert cache is not None
        assert await client.get(key) == b"v1"  # miss, fill
        assert await client.get(key) == b"v1"  # hit: the entry is read since its fill
        yield client, cache, key


async def test_a_read_entry_is_refreshed_and_the_next_read_hits_the_new_value(
    flushed_stack: RedisServerInfo, writer: Redis[bytes]
) -> None:
    async with _read_once_filled(flushed_stack, writer) as (client, cache, key):
        entry = cache._entries[("GET", key)]
        before = await command_calls(writer, "get")
        await writer.set(key, "v2")
        await settled(lambda: cache.refreshes == 1 and len(cache) == 1)
        assert cache._entries[("GET", key)] is entry  # filled again in place
        assert await client.get(key) == b"v2"
        assert (cache.hits, cache.misses, cache.coalesced) == (2, 1, 0)
        assert cache.invalidations == 1
        assert await command_calls(writer, "get") == before + 1  # the refresh, and no read after it


@pytest.mark.parametrize(
    ("refresh", "reads"),
    [(True, 1), (False, 2)],
    ids=["an entry nobody read since its fill", "refresh off, an entry read twice"],
)
async def test_entries_not_refreshed_are_only_dropped(
    flushed_stack: RedisServerInfo, writer: Redis[bytes], refresh: bool, reads: int
) -> None:
    key = _key()
    await writer.set(key, "v1")
    config = CacheConfig(refresh=refresh)
    async with Redis(flushed_stack.host, flushed_stack.port, cache=config) as client:
        cache = client.cache
        assert cache is not None
        for _ in range(reads):
            assert await client.get(key) == b"v1"  # a miss that fills, then hits
        await writer.set(key, "v2")
        await settled(lambda: cache.invalidations == 1)
        await client.client_trackinginfo()  # a round trip behind the invalidation
        assert (len(cache), cache.refreshes) == (0, 0)
        assert await client.get(key) == b"v2"
        assert (cache.hits, cache.misses) == (reads - 1, 2)


async def test_a_refreshed_entry_nobody_read_is_refreshed_once_more_then_dropped(
    flushed_stack: RedisServerInfo, writer: Redis[bytes]
) -> None:
    # Written twice within a refresh's round trip, a hot key keeps its entry; a key nobody
    # reads any more costs two reads at most.
    async with _read_once_filled(flushed_stack, writer) as (client, cache, key):
        gets = await command_calls(writer, "get")
        for refreshes, version in ((1, "v2"), (2, "v3")):
            await writer.set(key, version)  # nobody reads between the writes
            await settled(lambda r=refreshes: cache.refreshes == r and len(cache) == 1)
        await writer.set(key, "v4")
        await settled(lambda: len(cache) == 0)
        await client.client_trackinginfo()  # a round trip behind the invalidation
        assert (cache.refreshes, len(cache)) == (2, 0)  # the third write only dropped it
        assert await command_calls(writer, "get") == gets + 2
        assert await client.get(key) == b"v4"  # a miss
        assert (cache.hits, cache.misses, cache.invalidations) == (1, 2, 3)


def test_refresh_is_a_bool() -> None:
    with pytest.raises(TypeError, match="refresh must be a bool"):
        CacheConfig(refresh=1)  # type: ignore[arg-type]


async def test_a_refresh_that_fails_is_nobodys_error(
    flushed_stack: RedisServerInfo, writer: Redis[bytes]
) -> None:
    key = _key()
    await writer.set(key, "v1")
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    try:
        async with Redis(flushed_stack.host, flushed_stack.port, cache=True) as client:
            cache = client.cache
            assert cache is not None
            await client.get(key)
            await client.get(key)
            # One transaction: the key becomes a hash, and the refresh's GET gets WRONGTYPE.
            async with writer.pipeline(transaction=True) as tx:
                tx.delete(key)
                tx.hset(key, {"f": "v"})
            await settled(lambda: cache.refreshes == 1)
            await client.client_trackinginfo()  # the refresh was answered before this
            assert len(cache) == 0
            with pytest.raises(WrongTypeError):
                await client.get(key)  # its own read
        gc.collect()
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(previous)
    assert reported == []
