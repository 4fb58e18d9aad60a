"""What the cache leaves to Python's cycle collector: nothing it could free at once.

Under a stream of invalidations the cache makes and drops an entry, a read and often a
waiting reader per write by another client. Freed by reference counting, they cost nothing
more; left in a reference cycle, or held by a structure that outlives them, they pile up
until the collector runs, which it then does far more often and over a larger heap. Both
tests drive a cached client against a real server with a writer on another connection.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import gc
import uuid
from collections.abc import Iterator

import pytest

from redis_oxide import CacheConfig, Redis
from redis_oxide._cache_flight import _hand_on
from redis_oxide.testing._info import RedisServerInfo
from tests.cache.test_cache import settled

pytestmark = pytest.mark.timeout(30)

KEYS = 20
READERS = 20


def _keys(count: int) -> list[str]:
    prefix = uuid.uuid4().hex[:8]
    return [f"collector:{prefix}:{i}" for i in range(count)]


@pytest.fixture
def collector_off() -> Iterator[None]:
    """Turn the collector off for the test: what is not freed at once stays to be found."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def _garbage() -> list[object]:
    # What only the collector would have freed since the collector was turned off.
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        return list(gc.garbage)
    finally:
        gc.garbage.clear()
        gc.set_debug(0)


def _cycles(garbage: list[object]) -> list[object]:
    # A read waited on by other readers is watched by a partial of ``_hand_on``, which holds
    # the read's record: if the watch outlives the read, record and watch form a cycle.
    return [o for o in garbage if isinstance(o, functools.partial) and o.func is _hand_on]


async def test_refreshed_reads_and_their_waiters_leave_no_cycles(
    flushed_stack: RedisServerInfo, collector_off: None
) -> None:
    keys = _keys(KEYS)
    async with (
        Redis(flushed_stack.host, flushed_stack.port) as writer,
        Redis(flushed_stack.host, flushed_stack.port, cache=True) as client,
    ):
        cache = client.cache
        assert cache is not None
        await writer.mset({key: "0" for key in keys})
        done = False

        async def read() -> None:
            while not done:
                for key in keys:
                    await client.get(key)

        readers = [asyncio.ensure_future(read()) for _ in range(READERS)]
        try:
            for version in range(1, 301):
                async with writer.pipeline(transaction=True) as tx:
                    for key in keys:
                        tx.set(key, version)
                await asyncio.sleep(0.01)  # long enough for the readers to hit in between
                if cache.coalesced >= 200 and cache.refreshes >= 200:
                    break
        finally:
            done = True
            await asyncio.gather(*readers)
        # Readers waited for misses and refreshes in flight, the case that made the cycle.
        assert cache.coalesced >= 200, cache
        assert cache.refreshes >= 200, cache
        del readers
    cycles = _cycles(_garbage())
    assert cycles == [], f"{len(cycles)} reads in flight left in reference cycles"


async def test_an_invalidated_entry_is_freed_at_once(
    flushed_stack: RedisServerInfo, collector_off: None
) -> None:
    keys = _keys(KEYS)
    async with (
        Redis(flushed_stack.host, flushed_stack.port) as writer,
        Redis(flushed_stack.host, flushed_stack.port, cache=CacheConfig(refresh=False)) as client,
    ):
        cache = client.cache
        assert cache is not None
        await writer.mset({key: "v1" for key in keys})
        for key in keys:
            assert await client.get(key) == b"v1"
        entries = list(cache._entries.values())
        assert len(entries) == KEYS
        await writer.mset({key: "v2" for key in keys})
        await settled(lambda: len(cache) == 0)
        # Nothing of the cache holds a dropped entry: not the eviction queue, not the index.
        for entry in entries:
            holders = [r for r in gc.get_referrers(entry) if r is not entries]
            assert not any(isinstance(r, (collections.deque, dict, list)) for r in holders), [
                type(r).__name__ for r in holders
            ]


async def test_the_eviction_queue_stays_bounded_as_the_same_reads_fill_again(
    flushed_stack: RedisServerInfo,
) -> None:
    keys = _keys(KEYS)
    limit = KEYS // 2
    async with (
        Redis(flushed_stack.host, flushed_stack.port) as writer,
        Redis(
            flushed_stack.host, flushed_stack.port, cache=CacheConfig(max_entries=limit)
        ) as client,
    ):
        cache = client.cache
        assert cache is not None
        await writer.mset({key: "0" for key in keys})
        for version in range(1, 301):
            for key in keys[:limit]:  # a miss, then a hit: the write's refresh refills it
                assert int(await client.get(key) or -1) < version
                await client.get(key)
            await writer.mset({key: version for key in keys[:limit]})
            queue = cache._queue
            assert len(queue) <= 2 * limit + 1024 + 1  # compacted at a fill past the bound
        assert cache.refreshes > 0
        # Refills (refreshes reuse their entry's arguments) left one live slot per entry:
        # the hand finds them, and evicts down to the bound as new reads fill.
        evictions = cache.evictions
        for key in keys[limit:]:
            assert await client.get(key) == b"0"
            assert len(cache) <= limit
        assert cache.evictions > evictions
