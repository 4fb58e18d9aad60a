"""Memory the cache holds: an entry that goes releases its value at once.

Values are read once (so a refresh never re-reads them), then another client overwrites
every key; once the invalidations are read the cache holds no entry, and must hold none of
the values either (``bytes_used`` is 0, and so should the memory behind it be).
"""

from __future__ import annotations

import functools
import gc
import tracemalloc
import uuid
from typing import TYPE_CHECKING

import pytest

from redis_oxide import Cache, CacheConfig, Redis
from redis_oxide.testing._info import RedisServerInfo
from tests.cache.test_cache import settled

if TYPE_CHECKING:
    from tests.conftest import Figure

pytestmark = pytest.mark.timeout(60)

_KEYS = 300
_SIZE = 20_000


def _reached(cache: Cache, invalidations: int) -> bool:
    return cache.invalidations >= invalidations


async def test_invalidated_values_are_released(
    redis_stack: RedisServerInfo, figures: Figure
) -> None:
    prefix = f"cache:memory:{uuid.uuid4().hex[:8]}:"
    keys = [f"{prefix}{i}" for i in range(_KEYS)]
    config = CacheConfig(max_bytes=64 * 1024 * 1024)
    async with (
        Redis(redis_stack.host, redis_stack.port, cache=config) as cached,
        Redis(redis_stack.host, redis_stack.port) as writer,
    ):
        cache = cached.cache
        assert cache is not None
        await writer.mset({key: b"a" * _SIZE for key in keys})
        await cached.get(keys[0])  # the tracking connection is up before the measure
        cache.clear()
        gc.collect()
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            held: list[int] = []
            for round_ in range(3):
                for key in keys:
                    await cached.get(key)
                assert len(cache) == _KEYS
                expected = cache.invalidations + _KEYS
                await writer.mset({key: bytes([98 + round_]) * _SIZE for key in keys})
                await settled(functools.partial(_reached, cache, expected))
                assert (len(cache), cache.bytes_used) == (0, 0)
                gc.collect()
                held.append(tracemalloc.get_traced_memory()[0] - base)
            cache.clear()
            gc.collect()
            after_clear = tracemalloc.get_traced_memory()[0] - base
        finally:
            tracemalloc.stop()
        one_round = _KEYS * _SIZE
        figures("bytes of values read per round", one_round)
        figures("bytes held with every entry invalidated, per round", held)
        figures("bytes held after clear()", after_clear)
        # Dead queue slots (arguments and key, no value) remain until a compaction.
        assert max(held) < one_round // 10
        assert after_clear < one_round // 20
        assert len(cache._queue) == 0


async def test_clear_empties_the_eviction_queue_of_dropped_entries(
    redis_stack: RedisServerInfo,
) -> None:
    key = f"cache:memory:{uuid.uuid4().hex[:8]}"
    async with (
        Redis(redis_stack.host, redis_stack.port, cache=True) as cached,
        Redis(redis_stack.host, redis_stack.port) as writer,
    ):
        cache = cached.cache
        assert cache is not None
        await writer.set(key, b"v" * 1000)
        await cached.get(key)
        await cached.delete(key)  # this client's own write drops the entry
        assert len(cache) == 0
        cache.clear()
        assert len(cache._queue) == 0
