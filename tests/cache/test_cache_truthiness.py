"""A cache with no entry yet is still a cache: ``if client.cache:`` tells cache from none."""

from __future__ import annotations

from redis_oxide import Redis, RedisCluster
from redis_oxide.testing import ClusterInfo, RedisServerInfo


async def test_an_empty_cache_is_truthy(redis_stack: RedisServerInfo) -> None:
    async with Redis(redis_stack.host, redis_stack.port, cache=True) as client:
        cache = client.cache
        assert cache is not None
        assert len(cache) == 0
        assert cache  # before any read
        await client.get("truthy")
        cache.clear()
        assert cache  # after clear()
    async with Redis(redis_stack.host, redis_stack.port) as plain:
        assert not plain.cache


async def test_an_empty_cluster_cache_is_truthy(redis_cluster: ClusterInfo) -> None:
    host, port = redis_cluster.primaries[0].host, redis_cluster.primaries[0].port
    async with RedisCluster(host, port, cache=True) as cluster:
        caches = cluster.cache
        assert caches is not None
        assert len(caches) == 0
        assert caches
