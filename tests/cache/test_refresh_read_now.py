"""A read that finds its key's refresh in flight first reads what the tracking connection
holds: when the refresh's reply has come, it is a hit, with no wait for the loop's next turn.

The reply of a refresh sent at the end of one loop turn is otherwise read at the end of the
next, after every task woken meanwhile ran, and each of them that read the key waited for it.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from redis_oxide import Cache, Redis
from redis_oxide.testing._info import RedisServerInfo
from tests.cache.test_cache import settled

pytestmark = pytest.mark.timeout(30)


def _hold_the_loop() -> None:
    # Time for the refresh's reply to arrive while the loop reads nothing.
    time.sleep(0.05)


async def _refreshed(cache: Cache, refreshes: int) -> None:
    # Loop turns, not timers: the task resumes before the loop reads its sockets again.
    for _ in range(10_000):
        if cache.refreshes == refreshes:
            return
        await asyncio.sleep(0)
    raise AssertionError("the refresh was not sent")


async def test_a_read_of_a_key_being_refreshed_takes_a_reply_that_came(
    flushed_stack: RedisServerInfo,
) -> None:
    key = f"read-now:{uuid.uuid4().hex[:8]}"
    async with (
        Redis(flushed_stack.host, flushed_stack.port) as writer,
        Redis(flushed_stack.host, flushed_stack.port, cache=True) as client,
    ):
        cache = client.cache
        assert cache is not None
        await writer.set(key, "v1")
        assert await client.get(key) == b"v1"  # miss, fill
        assert await client.get(key) == b"v1"  # hit: refreshed when invalidated
        await writer.set(key, "v2")
        await _refreshed(cache, 1)
        coalesced, hits = cache.coalesced, cache.hits
        _hold_the_loop()
        read = client.get(key)
        assert isinstance(read, asyncio.Future)  # the entry's value: a hit
        assert read.done()
        assert await read == b"v2"
        assert (cache.coalesced, cache.hits) == (coalesced, hits + 1)
        await writer.set(key, "v3")  # the tracking connection still follows the key
        await settled(lambda: len(cache) == 1 and cache.refreshes == 2)
        assert await client.get(key) == b"v3"
