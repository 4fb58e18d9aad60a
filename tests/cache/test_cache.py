"""The client-side cache against a real server: hits, invalidations, writes, views, modes.

Every wait for an invalidation from another client is bounded (``settled``); reads of this
client's own writes are checked at once, with no wait.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from redis_oxide import CacheConfig, Redis, Transaction
from redis_oxide._cache import CachingExecutor
from redis_oxide._executor import ServerExecutor
from redis_oxide.exceptions import InvalidUsageError
from redis_oxide.testing._info import RedisServerInfo

pytestmark = pytest.mark.timeout(30)


def _key(name: str = "k") -> str:
    return f"cache:{name}:{uuid.uuid4().hex[:8]}"


async def settled(check: Callable[[], bool], within: float = 3.0) -> None:
    """Wait until ``check()`` holds (an invalidation from another client arrived).

    Raises:
        AssertionError: It did not hold within ``within`` seconds.
    """
    for _ in range(int(within / 0.005)):
        if check():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"not settled within {within} s")


async def command_calls(client: Redis[Any], command: str) -> int:
    """How often the server ran ``command`` (INFO commandstats; 0 if never)."""
    info = await client.info(section=["commandstats"])
    stat = info["commandstats"].get(f"cmdstat_{command}")
    if stat is None:
        return 0
    fields = dict(field.split("=") for field in str(stat).split(","))
    return int(fields["calls"])


@pytest.fixture
async def writer(flushed_stack: RedisServerInfo) -> AsyncIterator[Redis[bytes]]:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        yield client


@pytest.fixture
async def cached(flushed_stack: RedisServerInfo) -> AsyncIterator[Redis[bytes]]:
    async with Redis(flushed_stack.host, flushed_stack.port, cache=True) as client:
        yield client


def _cache(client: Redis[bytes] | Redis[str]) -> tuple[int, int, int]:
    cache = client.cache
    assert cache is not None
    return len(cache), cache.hits, cache.misses


async def test_second_read_is_a_hit_and_tracking_is_reported(
    cached: Redis[bytes], writer: Redis[bytes]
) -> None:
    key = _key()
    await writer.set(key, "v1")
    assert await cached.get(key) == b"v1"
    assert await cached.get(key) == b"v1"
    assert _cache(cached) == (1, 1, 1)
    info = await cached.client_trackinginfo()
    assert set(info.flags) == {"on"}
    assert set((await writer.client_trackinginfo()).flags) == {"off"}
    assert cached.cache is not None
    assert writer.cache is None
    assert "hits=1" in repr(cached.cache)


async def test_a_task_that_only_hits_lets_the_loop_turn_and_every_hit_counts(
    cached: Redis[bytes], writer: Redis[bytes]
) -> None:
    key = _key()
    await writer.set(key, "v")
    assert await cached.get(key) == b"v"  # the miss that fills
    turns = 0
    stop = False

    async def other_task() -> None:
        nonlocal turns
        while not stop:
            turns += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(other_task())
    await asyncio.sleep(0)  # the ticker starts
    started = turns
    for _ in range(1000):  # hits return done futures: no loop turn of their own
        assert await cached.get(key) == b"v"
    ran = turns - started
    stop = True
    await ticker
    # One hit in 256 waits a loop turn: the other task ran in between, three times.
    assert ran == 1000 // 256
    assert _cache(cached) == (1, 1000, 1)
    # The count stays exact across the turns, read at any point.
    for hit in range(1, 600):
        await cached.get(key)
        assert _cache(cached)[1] == 1000 + hit


async def test_another_clients_write_invalidates(
    cached: Redis[bytes], writer: Redis[bytes]
) -> None:
    key = _key()
    await writer.hset(key, {"f": "1"})
    assert await cached.hget(key, "f") == b"1"
    await writer.hset(key, {"f": "2"})
    await settled(lambda: len(cached.cache or ()) == 0)
    assert await cached.hget(key, "f") == b"2"
    assert cached.cache is not None
    assert cached.cache.invalidations == 1


async def test_own_writes_are_read_back_at_once(cached: Redis[bytes]) -> None:
    key = _key()
    await cached.set(key, "1")
    assert await cached.get(key) == b"1"
    await cached.set(key, "2")
    assert await cached.get(key) == b"2"
    await cached.incr(key)
    assert await cached.get(key) == b"3"
    await cached.delete(key)
    assert await cached.get(key) is None
    await cached.rpush(key, "a", "b")
    assert await cached.lrange(key, 0, -1) == [b"a", b"b"]
    await cached.lpop(key)
    assert await cached.lrange(key, 0, -1) == [b"b"]


async def test_own_writes_win_over_reads_racing_them(cached: Redis[bytes]) -> None:
    # Writers read their own key back after each write while readers keep filling it: a
    # read the server ran before a write but answered after it must never fill.
    keys = [_key(f"race{i}") for i in range(8)]
    stop = asyncio.Event()

    async def writer_of(key: str) -> int:
        for version in range(150):
            await cached.set(key, str(version))
            assert int(await cached.get(key) or -1) == version
        return 150

    async def reader() -> None:
        while not stop.is_set():
            await asyncio.gather(*(cached.get(key) for key in keys))

    readers = [asyncio.create_task(reader()) for _ in range(8)]
    try:
        written = await asyncio.gather(*(writer_of(key) for key in keys))
    finally:
        stop.set()
        await asyncio.gather(*readers)
    assert sum(written) == 1200
    cache = cached.cache
    assert cache is not None
    assert cache.misses > 1200
    assert cache.invalidations > 0


async def test_flushes_drop_everything(cached: Redis[bytes], writer: Redis[bytes]) -> None:
    keys = [_key(str(i)) for i in range(3)]
    for key in keys:
        await writer.set(key, "v")
        await cached.get(key)
    await writer.flushdb()
    await settled(lambda: len(cached.cache or ()) == 0)
    await writer.set(keys[0], "w")
    assert await cached.get(keys[0]) == b"w"
    await cached.flushall()
    assert len(cached.cache or ()) == 0
    assert await cached.get(keys[0]) is None


async def test_pipelines_and_transactions_invalidate_what_they_write(
    cached: Redis[bytes],
) -> None:
    one, two, three, four = (_key(n) for n in ("one", "two", "three", "four"))
    for key in (one, two, three, four):
        await cached.set(key, "old")
        assert await cached.get(key) == b"old"
    async with cached.pipeline() as pipe:
        pipe.set(one, "new")
        read = pipe.get(four)
    assert await read == b"old"
    assert await cached.get(one) == b"new"
    async with cached.pipeline(transaction=True) as tx:
        tx.set(two, "new")
    assert await cached.get(two) == b"new"

    async def rewrite(t: Transaction[bytes]) -> None:
        await t.get(three)
        t.multi()
        t.set(three, "new")

    await cached.transaction(rewrite, three)
    assert await cached.get(three) == b"new"
    script = cached.register_script("return redis.call('SET', KEYS[1], ARGV[1])")
    await script(keys=[four], args=["new"])
    assert await cached.get(four) == b"new"


async def test_pipeline_reads_go_to_the_server_and_fill_nothing(cached: Redis[bytes]) -> None:
    key = _key()
    await cached.set(key, "v")
    async with cached.pipeline() as pipe:
        read = pipe.get(key)
    assert await read == b"v"
    assert _cache(cached) == (0, 0, 0)


async def test_handed_out_values_are_copies(cached: Redis[bytes], writer: Redis[bytes]) -> None:
    h, s, z, lst = (_key(n) for n in "hszl")
    await writer.hset(h, {"a": "1"})
    await writer.sadd(s, "x")
    await writer.zadd(z, {"m": 1.5})
    await writer.rpush(lst, "a")
    for _ in range(2):  # the miss's value, then a hit's
        fields = await cached.hgetall(h)
        fields[b"b"] = b"2"
        members = await cached.smembers(s)
        members.add(b"y")
        scored = await cached.zrange(z, 0, -1, withscores=True)
        scored.append((b"n", 2.0))
        items = await cached.lrange(lst, 0, -1)
        items.clear()
    assert await cached.hgetall(h) == {b"a": b"1"}
    assert await cached.smembers(s) == {b"x"}
    assert await cached.zrange(z, 0, -1, withscores=True) == [(b"m", 1.5)]
    assert await cached.lrange(lst, 0, -1) == [b"a"]
    assert _cache(cached) == (4, 8, 4)


async def test_bypass_view_reads_the_server_and_still_invalidates(
    cached: Redis[bytes], flushed_stack: RedisServerInfo
) -> None:
    key = _key()
    await cached.set(key, "1")
    await cached.get(key)
    bypass = cached.with_options(cache=False)
    assert await bypass.get(key) == b"1"
    assert _cache(cached) == (1, 0, 1)
    await bypass.set(key, "2")
    # A round trip on the tracking connection: the write's invalidation, queued there before
    # the write was answered, is read first (else the next read races it and does not fill).
    await cached.client_trackinginfo()
    assert await cached.get(key) == b"2"
    assert await cached.with_options(cache=True).get(key) == b"2"
    assert _cache(cached) == (1, 1, 2)
    timed = cached.with_options(command_timeout=5.0)
    assert await timed.get(key) == b"2"
    assert timed.cache is cached.cache
    async with Redis(flushed_stack.host, flushed_stack.port) as plain:
        assert plain.with_options(cache=False).cache is None
        with pytest.raises(ValueError, match="cache=True needs"):
            plain.with_options(cache=True)


async def test_raw_commands_share_entries_and_tracking_cannot_be_set_by_hand(
    cached: Redis[bytes],
) -> None:
    key = _key()
    await cached.set(key, "v")
    assert await cached.execute_command("GET", key) == b"v"
    assert await cached.get(key) == b"v"
    assert _cache(cached) == (1, 1, 1)
    with pytest.raises(InvalidUsageError, match=r"cache=True"):
        await cached.execute_command("CLIENT", "TRACKING", "ON")


async def test_bcast_mode_caches_prefixed_keys_only(
    flushed_stack: RedisServerInfo, writer: Redis[bytes]
) -> None:
    prefix = f"bc{uuid.uuid4().hex[:6]}:"
    config = CacheConfig(mode="bcast", prefixes=(prefix,))
    async with Redis(flushed_stack.host, flushed_stack.port, cache=config) as client:
        inside, outside = prefix + "a", _key()
        await writer.set(inside, "1")
        await writer.set(outside, "1")
        for _ in range(2):
            await client.get(inside)
            await client.get(outside)
        assert _cache(client) == (1, 1, 1)
        info = await client.client_trackinginfo()
        assert set(info.flags) == {"on", "bcast"}
        assert info.prefixes == [prefix.encode()]
        await writer.set(inside, "2")
        await settled(lambda: len(client.cache or ()) == 0)
        assert await client.get(inside) == b"2"


async def test_ttl_and_entry_bounds(flushed_stack: RedisServerInfo, writer: Redis[bytes]) -> None:
    config = CacheConfig(ttl=0.2, max_entries=5)
    async with Redis(flushed_stack.host, flushed_stack.port, cache=config) as client:
        keys = [_key(str(i)) for i in range(20)]
        await writer.mset(dict.fromkeys(keys, "v"))
        for key in keys:
            await client.get(key)
        cache = client.cache
        assert cache is not None
        assert (len(cache), cache.evictions) == (5, 15)
        await client.get(keys[-1])
        assert cache.hits == 1
        await asyncio.sleep(0.25)
        await client.get(keys[-1])
        assert (cache.hits, cache.misses, cache.evictions) == (1, 21, 16)


async def test_decoding_client_matches_invalidated_keys(
    flushed_stack: RedisServerInfo, writer: Redis[bytes]
) -> None:
    async with Redis(
        flushed_stack.host, flushed_stack.port, decode_responses=True, cache=True
    ) as client:
        key = _key("é")
        await writer.set(key, "1")
        assert await client.get(key) == "1"
        await writer.set(key, "2")
        await settled(lambda: len(client.cache or ()) == 0)
        assert await client.get(key) == "2"
        # A key whose bytes are not UTF-8 comes back with U+FFFD: the whole cache goes.
        binary = _key().encode() + b"\xff"
        await writer.set(binary, "1")
        assert await client.get(binary) == "1"
        await writer.set(binary, "2")
        await settled(lambda: len(client.cache or ()) == 0)
        assert client.cache is not None
        assert client.cache.flushes == 1


async def test_pooled_strategy_caches_too(
    flushed_stack: RedisServerInfo, writer: Redis[bytes]
) -> None:
    async with Redis(
        flushed_stack.host, flushed_stack.port, strategy="pooled", cache=True
    ) as client:
        key = _key()
        await writer.set(key, "1")
        assert [await client.get(key) for _ in range(3)] == [b"1"] * 3
        assert _cache(client) == (1, 2, 1)
        await writer.set(key, "2")
        await settled(lambda: len(client.cache or ()) == 0)
        await client.set(key, "3")
        assert await client.get(key) == b"3"


def test_resp2_and_lossy_decoding_are_refused() -> None:
    with pytest.raises(ValueError, match="protocol=3"):
        Redis(protocol=2, cache=True)
    with pytest.raises(ValueError, match="encoding_errors='ignore'"):
        Redis(decode_responses=True, encoding_errors="ignore", cache=True)
    with pytest.raises(TypeError, match="CacheConfig"):
        Redis(cache="yes")  # type: ignore[call-overload]
    assert Redis(cache=False).cache is None


def test_without_a_cache_the_client_binds_the_server_executor() -> None:
    # The hot path pays nothing for a cache it does not have: the executor's own bound method.
    plain, cached = Redis(), Redis(cache=True)
    view = plain.with_options(command_timeout=1.0)
    for client, kind in (
        (plain, ServerExecutor),
        (view, ServerExecutor),
        (cached, CachingExecutor),
    ):
        assert type(client._executor) is kind
        assert client._execute == client._executor._execute
