"""Function libraries on a cluster: a primary that lost the library gets it back on a call."""

from __future__ import annotations

import random

import pytest

from redis_oxide import RedisCluster
from redis_oxide._keys import key_slot
from redis_oxide.testing import ClusterInfo, raw_command
from tests.cluster._migrate import owner_of

pytestmark = pytest.mark.timeout(60)

LIBRARY = """#!lua name=oxide_cluster_lib
redis.register_function('get', function(keys, args) return redis.call('GET', keys[1]) end)
redis.register_function{function_name='pong', callback=function(keys, args) return 'pong' end,
  flags={'allow-stale'}}
"""
NAME = "oxide_cluster_lib"


def _delete_everywhere(redis_cluster: ClusterInfo) -> None:
    for node in redis_cluster.primaries:
        if raw_command(node.endpoint, "FUNCTION", "LIST", "LIBRARYNAME", NAME):
            raw_command(node.endpoint, "FUNCTION", "DELETE", NAME)


async def test_a_call_reloads_the_library_on_the_primary_that_lost_it(
    redis_cluster: ClusterInfo,
) -> None:
    owner = owner_of(redis_cluster, key_slot("lib:b"))
    async with RedisCluster.from_url(redis_cluster.startup_url, decode_responses=True) as r:
        _delete_everywhere(redis_cluster)
        lib = r.library(LIBRARY)
        try:
            await lib.load()
            await r.set("lib:b", "v")
            for _ in range(12):
                # Only the key's primary loses it: every other primary still has it.
                raw_command(owner.endpoint, "FUNCTION", "DELETE", NAME)
                assert await lib.call("get", ["lib:b"]) == "v"
            assert raw_command(owner.endpoint, "FUNCTION", "LIST", "LIBRARYNAME", NAME)
        finally:
            await r.delete("lib:b")
            _delete_everywhere(redis_cluster)


async def test_a_keyless_call_reloads_the_library_where_it_ran(
    redis_cluster: ClusterInfo,
) -> None:
    shuffled = random.Random(7)
    async with RedisCluster.from_url(redis_cluster.startup_url, decode_responses=True) as r:
        _delete_everywhere(redis_cluster)
        lib = r.library(LIBRARY)
        try:
            await lib.load()
            for _ in range(12):
                lost = shuffled.choice(redis_cluster.primaries)
                if raw_command(lost.endpoint, "FUNCTION", "LIST", "LIBRARYNAME", NAME):
                    raw_command(lost.endpoint, "FUNCTION", "DELETE", NAME)
                assert [await lib.call("pong") for _ in range(4)] == ["pong"] * 4
        finally:
            _delete_everywhere(redis_cluster)
