"""``assert_type`` examples for ``RedisCluster``: the same command surface as ``Redis``.

``RedisCluster(...)`` is ``RedisCluster[bytes]``, ``RedisCluster(..., decode_responses=True)``
is ``RedisCluster[str]``; fanned-out and split commands keep the single-server types;
pipelines, transactions, views and scripts are typed as on ``Redis``. The test functions run
without a server (nothing is sent); the coroutines are only type-checked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import assert_type

from redis_oxide import (
    Cache,
    CacheConfig,
    ClusterCache,
    ClusterMember,
    ClusterStats,
    ClusterView,
    MemoryStats,
    Pipeline,
    PipelineResult,
    RedisCluster,
    Transaction,
)
from redis_oxide.types import InfoValue, Reply


def test_the_string_type_follows_decode_responses() -> None:
    raw = RedisCluster("127.0.0.1", 7000)
    text = RedisCluster(
        startup_nodes=["127.0.0.1:7000", ("127.0.0.1", 7001)], decode_responses=True
    )
    assert_type(raw, RedisCluster[bytes])
    assert_type(text, RedisCluster[str])
    assert_type(RedisCluster.from_url("redis://127.0.0.1:7000"), RedisCluster[bytes])
    assert_type(
        RedisCluster.from_url("redis://127.0.0.1:7000", decode_responses=True), RedisCluster[str]
    )
    assert_type(text.pipeline(), Pipeline[str])
    assert_type(raw.on("primaries"), ClusterView[bytes])
    assert_type(raw.stats(), ClusterStats)
    assert_type(text.with_options(command_timeout=0.5), RedisCluster[str])
    assert_type(
        raw.with_options(cache=False).with_options(command_timeout=None), RedisCluster[bytes]
    )


async def commands(r: RedisCluster[str]) -> None:
    assert_type(await r.get("k"), str | None)
    assert_type(await r.set("k", "v"), bool)
    assert_type(await r.mget("a", "b", "c"), list[str | None])  # split per slot
    assert_type(await r.mset({"a": "1", "b": "2"}), bool)
    assert_type(await r.delete("a", "b"), int)  # summed over slots
    assert_type(await r.dbsize(), int)  # summed over primaries
    assert_type(await r.keys("user:*"), list[str])  # merged
    assert_type(await r.info(), dict[str, dict[str, InfoValue]])
    assert_type(await r.memory_stats(), MemoryStats)
    assert_type(await r.scan(0), tuple[int, list[str]])
    assert_type(await r.execute_command("GET", "k"), Reply)
    keys = r.scan_iter(match="user:*", count=100, type="string")
    assert_type(keys, AsyncIterator[str])
    assert_type([key async for key in keys], list[str])


async def nodes_and_views(r: RedisCluster[bytes]) -> None:
    members = await r.nodes("primaries")
    assert_type(members, list[ClusterMember])
    first = members[0]
    assert_type(first.address, str)
    assert_type(await r.on(first).info(), dict[str, dict[str, InfoValue]])
    assert_type(await r.on("all").config_set({"maxmemory-policy": "noeviction"}), bool)
    assert_type(await r.on("replicas").dbsize(), int)
    times = await r.on("primaries").each(lambda node: node.time())
    assert_type(times, dict[ClusterMember, tuple[int, int]])


async def pipelines(r: RedisCluster[str]) -> None:
    async with r.pipeline() as pipe:
        name = pipe.get("user:1")
        assert_type(name, Awaitable[str | None])
        count = pipe.result(pipe.incr("visits"))
        assert_type(count, PipelineResult[int])
    assert_type(await name, str | None)
    assert_type(count.value, int)
    transaction = r.pipeline(transaction=True)
    transaction.incr("{user:1}:visits")
    assert_type(await transaction.execute(), list[object])

    async def bump(tx: Transaction[str]) -> int:
        current = await tx.get("{user:1}:n")
        tx.multi()
        tx.set("{user:1}:n", int(current or 0) + 1)
        return int(current or 0) + 1

    assert_type(await r.transaction(bump, "{user:1}:n"), int)
    async with r.watch("{user:1}:n") as tx:
        assert_type(tx, Transaction[str])


def test_the_cache_is_one_per_node_read_as_one() -> None:
    plain = RedisCluster("127.0.0.1", 7000)
    cached = RedisCluster("127.0.0.1", 7000, cache=CacheConfig(max_entries=1_000))
    assert_type(plain.cache, ClusterCache | None)
    assert plain.cache is None
    caches = cached.cache
    assert caches is not None
    assert_type(caches.hits + caches.misses + caches.invalidations + caches.evictions, int)
    assert_type(caches.nodes(), dict[str, Cache])
    assert_type(caches.config, CacheConfig)
    assert_type(len(caches), int)
    assert_type(caches.clear(), None)
    assert_type(
        RedisCluster("127.0.0.1", 7000, cache=True, decode_responses=True), RedisCluster[str]
    )


async def scripts(r: RedisCluster[bytes]) -> None:
    script = r.register_script("return redis.call('GET', KEYS[1])")
    assert_type(await script(keys=["k"]), Reply)
    assert_type(await script(keys=["k"], parser=int), int)
    lib = r.library("#!lua name=lib\nredis.register_function('f', function() return 1 end)")
    assert_type(await lib.load(replace=True), str)
    assert_type(await lib.call("f", parser=int), int)
    async with r.lock("job", timeout=10) as lock:
        assert_type(await lock.locked(), bool)
    assert_type(r.scan_iter(count=10), AsyncIterator[bytes])
    assert_type(r.zscan_iter("z"), AsyncIterator[tuple[bytes, float]])
