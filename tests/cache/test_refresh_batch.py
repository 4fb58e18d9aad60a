"""Refreshes in bulk: the GETs one read of invalidations asks for leave as one MGET.

An MGET answers nil for a missing key and for a key of another type alike, where GET would
refuse the second: a nil fills nothing, and its key's next read asks GET for itself. A
server that refuses MGET (an ACL allowing GET only) gets GETs instead, and its refusal is
never a reader's error. Each test drives a cached client and a plain writer against one
server, and checks what the server ran with INFO commandstats.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest

from redis_oxide import Cache, CacheConfig, Redis
from redis_oxide._cache import CachingExecutor
from redis_oxide.exceptions import WrongTypeError
from redis_oxide.testing.plugin import ServerFactory
from tests.cache.test_cache import command_calls, settled
from tests.cache.test_rules import assert_consistent

pytestmark = pytest.mark.timeout(30)

KEYS = 20


def _keys(count: int) -> list[str]:
    prefix = uuid.uuid4().hex[:8]
    return [f"batch:{prefix}:{i}" for i in range(count)]


@contextlib.asynccontextmanager
async def _clients(
    factory: ServerFactory, cache: bool | CacheConfig = True
) -> AsyncIterator[tuple[Redis[bytes], Redis[bytes], Cache]]:
    """A plain writer and a cached client of one fresh server, and the client's cache."""
    info = factory("7")
    async with (
        Redis(info.host, info.port) as writer,
        Redis(info.host, info.port, cache=cache) as client,
    ):
        assert client.cache is not None
        yield writer, client, client.cache


async def _read_twice(client: Redis[bytes], keys: list[str]) -> None:
    # A miss that fills, then a hit: only entries read since their fill are refreshed.
    for key in keys:
        await client.get(key)
        await client.get(key)


async def test_a_burst_of_invalidations_is_refreshed_with_one_mget(
    redis_server_factory: ServerFactory,
) -> None:
    keys = _keys(KEYS)
    async with _clients(redis_server_factory) as (writer, client, cache):
        await writer.mset({key: "v1" for key in keys})
        await _read_twice(client, keys)
        gets = await command_calls(writer, "get")
        mgets = await command_calls(writer, "mget")
        # One transaction: its invalidations reach the cache in one read.
        async with writer.pipeline(transaction=True) as tx:
            for key in keys:
                tx.set(key, "v2")
        await settled(lambda: cache.refreshes == KEYS and len(cache) == KEYS)
        assert (await command_calls(writer, "get"), await command_calls(writer, "mget")) == (
            gets,
            mgets + 1,
        )
        misses = cache.misses
        assert [await client.get(key) for key in keys] == [b"v2"] * KEYS
        assert cache.misses == misses  # every read hit the refreshed value


async def test_a_key_turned_into_another_type_is_not_cached_as_missing(
    redis_server_factory: ServerFactory,
) -> None:
    turned, kept = _keys(2)
    async with _clients(redis_server_factory) as (writer, client, cache):
        await writer.mset({turned: "v1", kept: "v1"})
        await _read_twice(client, [turned, kept])
        async with writer.pipeline(transaction=True) as tx:
            tx.delete(turned)
            tx.hset(turned, {"f": "v"})
            tx.set(kept, "v2")
        await settled(lambda: cache.refreshes == 2)
        await client.client_trackinginfo()  # the MGET was answered before this
        assert await command_calls(writer, "mget") == 1
        assert len(cache) == 1  # the hash's nil filled nothing
        with pytest.raises(WrongTypeError):
            await client.get(turned)  # its own GET, refused as it would be uncached
        assert await client.get(kept) == b"v2"


async def test_a_refused_mget_is_not_a_readers_error_and_gets_follow(
    redis_server_factory: ServerFactory,
) -> None:
    info = redis_server_factory("7")
    keys = _keys(2)
    async with Redis(info.host, info.port) as writer:
        assert await writer.acl_setuser("reader", rule=["on", "nopass", "~*", "+@all", "-mget"])
        await writer.mset({key: "v1" for key in keys})
        async with Redis(info.host, info.port, username="reader", cache=True) as client:
            cache = client.cache
            assert cache is not None
            await _read_twice(client, keys)

            async def read_once_invalidated() -> bytes | None:
                # Reads in the loop turn after the one that applied the invalidations: their
                # MGET is sent, not yet answered, and this read waits for it.
                while cache.invalidations < 2:  # noqa: ASYNC110 (turn by turn: no event to wait on)
                    await asyncio.sleep(0)
                return await client.get(keys[0])

            reading = asyncio.ensure_future(read_once_invalidated())
            async with writer.pipeline(transaction=True) as tx:
                for key in keys:
                    tx.set(key, "v2")
            assert await reading == b"v2"  # its own GET, not the MGET's NOPERM
            assert cache.coalesced == 1
            assert await client.get(keys[1]) == b"v2"
            await _read_twice(client, keys)
            gets = await command_calls(writer, "get")
            refreshes = cache.refreshes
            async with writer.pipeline(transaction=True) as tx:
                for key in keys:
                    tx.set(key, "v3")
            await settled(lambda: cache.refreshes == refreshes + 2 and len(cache) == 2)
            assert await command_calls(writer, "get") == gets + 2  # one GET per key now
            assert [await client.get(key) for key in keys] == [b"v3", b"v3"]


async def test_a_read_sent_after_an_mget_answered_nil_is_not_ended_by_the_mget(
    redis_server_factory: ServerFactory,
) -> None:
    kept, deleted = _keys(2)
    async with _clients(redis_server_factory) as (writer, client, cache):
        await writer.mset({kept: "v1", deleted: "v1"})
        await _read_twice(client, [kept, deleted])

        async def read_both_invalidated() -> tuple[bytes | None, bytes | None]:
            # Joins the refresh of ``kept``; answered by the MGET's reply, it runs before
            # the MGET's end is handled, and misses ``deleted`` (nil: not filled) with a GET
            # of its own, sent before any other invalidation: the MGET's end must leave it.
            while cache.invalidations < 2:  # noqa: ASYNC110 (turn by turn: no event to wait on)
                await asyncio.sleep(0)
            first = await client.get(kept)
            return first, await client.get(deleted)

        reading = asyncio.ensure_future(read_both_invalidated())
        async with writer.pipeline(transaction=True) as tx:
            tx.set(kept, "v2")
            tx.delete(deleted)
        assert await asyncio.wait_for(reading, 5) == (b"v2", None)
        assert cache.coalesced == 1
        assert await command_calls(writer, "mget") == 1


async def test_a_reader_waiting_for_an_mget_refresh_is_answered_after_a_later_read_replaced_it(
    redis_server_factory: ServerFactory,
) -> None:
    # The key changes (this client's write) while a reader waits for its refresh, and the
    # next reader sends a read of its own, which becomes the key's flight: the first reader
    # must still be answered (here, by the MGET its wait began on).
    keys = _keys(2)
    async with _clients(redis_server_factory) as (writer, client, cache):
        executor = client._executor
        assert isinstance(executor, CachingExecutor)
        await writer.mset({key: "v1" for key in keys})
        await _read_twice(client, keys)
        async with writer.pipeline(transaction=True) as tx:
            for key in keys:
                tx.set(key, "v2")
        for _ in range(10_000):  # loop turns: the MGET is sent, its reply not yet read
            if cache.refreshes == len(keys):
                break
            await asyncio.sleep(0)
        assert cache.refreshes == len(keys)
        tracking = executor._pool.sole
        assert tracking is not None
        tracking.pause_reading()  # the reply stays unread until the replacement is made
        waiting = client.get(keys[0])  # joins the MGET
        assert cache.coalesced == 1
        written = client.set(keys[0], "v3")  # invalidates the key here, at once
        later = client.get(keys[0])  # its own read: the key's flight from now on
        tracking.resume_reading()
        async with asyncio.timeout(5):
            assert await waiting == b"v2"
            assert await later in (b"v2", b"v3")  # a read racing this client's own write
            await written
        assert await client.get(keys[0]) == b"v3"


async def test_entries_refreshed_round_after_round_stay_indexed_queued_and_bounded(
    redis_server_factory: ServerFactory,
) -> None:
    # A refresh fills the invalidated entry again in place: its key index, its queue slot and
    # its size are kept right round after round, and the bound still evicts once other keys
    # are read.
    keys = _keys(KEYS)
    async with _clients(redis_server_factory, CacheConfig(max_entries=KEYS + 5)) as (
        writer,
        client,
        cache,
    ):
        await writer.mset({key: "v0" for key in keys})
        await _read_twice(client, keys)
        first = cache._entries[("GET", keys[0])]
        for version in range(1, 41):
            async with writer.pipeline(transaction=True) as tx:
                for key in keys:
                    tx.set(key, f"v{version}")
            await settled(lambda v=version: cache.refreshes == KEYS * v and len(cache) == KEYS)
            misses = cache.misses
            expected = f"v{version}".encode()
            assert [await client.get(key) for key in keys] == [expected] * KEYS
            assert cache.misses == misses  # hits, which mark them for the next refresh
            assert_consistent(cache)
        assert cache.invalidations == KEYS * 40
        assert cache._entries[("GET", keys[0])] is first  # no new objects for the collector
        others = _keys(KEYS)
        for key in others:  # missing keys: each nil is cached, beyond the bound
            assert await client.get(key) is None
        assert len(cache) == KEYS + 5
        assert cache.evictions == KEYS - 5
        assert_consistent(cache)
        assert [await client.get(key) for key in keys].count(b"v40") == KEYS
