"""The client-side cache of ``RedisCluster``: one cache per node, on real six-node clusters.

- A second read of a key on each primary is a hit, answered by that primary's cache.
- A write by another client to keys on each of the three primaries reaches this client as an
  invalidation (waited for, bounded); no read after it returns the old value. The same holds
  for caches of replicas (``read_from="replica"``): the replicated write invalidates there.
- The counters of ``cluster.cache`` are the sums of the nodes' caches; ``clear()`` empties all.
- A slot moved to another primary (keys migrated, ``SETSLOT NODE``) serves no old value: the
  migrated key is invalidated at the source, and a cached missing key is dropped when the
  client's map changes. FLUSHALL by another client empties every node's cache.
- ``kill -9`` of a primary empties its cache at once; after the replica's promotion and a
  write there, the read returns the new value.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections.abc import AsyncIterator
from typing import Literal

import pytest

from redis_oxide import CacheConfig, ClusterCache, RedisCluster, Transaction
from redis_oxide._cluster import ClusterMember
from redis_oxide._keys import key_slot
from redis_oxide.testing import ClusterInfo, NodeInfo, raw_command
from tests.cache.test_cache import settled
from tests.cluster._load import keys_on, watch_promotion
from tests.cluster._migrate import elsewhere, move_slot, slot_owners

pytestmark = pytest.mark.timeout(60)

NAME = f"ccache-{uuid.uuid4().hex[:8]}"


def _caches(client: RedisCluster[bytes]) -> ClusterCache:
    assert client.cache is not None
    return client.cache


def _address(node: NodeInfo) -> str:
    return ClusterMember(node.host, node.port).address


@pytest.fixture
async def cached(redis_cluster: ClusterInfo) -> AsyncIterator[RedisCluster[bytes]]:
    seed = redis_cluster.primaries[0]
    async with RedisCluster(
        seed.host, seed.port, cache=True, command_timeout=5.0, client_name=NAME
    ) as client:
        yield client


@pytest.fixture
async def writer(redis_cluster: ClusterInfo) -> AsyncIterator[RedisCluster[bytes]]:
    seed = redis_cluster.primaries[1]
    async with RedisCluster(seed.host, seed.port, command_timeout=5.0) as client:
        yield client


def _spread(cluster: ClusterInfo) -> list[str]:
    # Keys in slots of every primary, whatever the slot map of the shared cluster is now.
    tag = uuid.uuid4().hex[:8]
    owners = slot_owners(cluster)
    keys: list[str] = []
    for primary in cluster.primaries:
        index = 0
        while True:
            key = f"ccache:{tag}:{index}"
            index += 1
            if owners[key_slot(key)] == primary.port:
                keys.append(key)
                break
    return keys


async def test_a_second_read_is_a_hit_on_the_keys_primary(
    cached: RedisCluster[bytes], redis_cluster: ClusterInfo
) -> None:
    keys = _spread(redis_cluster)
    for key in keys:
        assert await cached.set(key, "v0")
    assert [await cached.get(key) for key in keys] == [b"v0"] * 3  # misses, then kept
    assert [await cached.get(key) for key in keys] == [b"v0"] * 3  # hits
    caches = _caches(cached)
    assert (caches.hits, caches.misses, len(caches)) == (3, 3, 3)
    per_node = caches.nodes()
    for primary in redis_cluster.primaries:
        node = per_node[_address(primary)]
        assert (node.hits, node.misses, len(node)) == (1, 1, 1)
    for node in redis_cluster.primaries:
        info = await cached.on(ClusterMember(node.host, node.port)).client_list()
        tracking = [c for c in info if c.name == NAME and "t" in c.flags]
        assert len(tracking) == 1, f"{_address(node)}: one tracking connection of this client"


@pytest.mark.parametrize("read_from", ["primary", "replica"])
async def test_writes_by_another_client_on_every_primary_invalidate(
    redis_cluster: ClusterInfo,
    writer: RedisCluster[bytes],
    read_from: Literal["primary", "replica"],
) -> None:
    keys = _spread(redis_cluster)
    for key in keys:
        assert await writer.set(key, "0")
        await writer.wait(1, 2000)  # on the replica before it is read there
    seed = redis_cluster.primaries[0]
    rounds, stale = 20, 0
    async with RedisCluster(
        seed.host, seed.port, cache=True, read_from=read_from, command_timeout=5.0
    ) as cached:
        caches = _caches(cached)
        assert [await cached.get(key) for key in keys] == [b"0"] * 3
        for value in range(1, rounds + 1):
            for key in keys:
                assert await cached.get(key) is not None  # cached (a hit after the first)
                before = caches.invalidations
                assert await writer.set(key, str(value))  # acknowledged by the primary
                await settled(lambda before=before: caches.invalidations > before)
                if await cached.get(key) != str(value).encode():
                    stale += 1
        assert stale == 0
        assert caches.invalidations == rounds * 3
        # Each invalidated entry had been read, so it was refreshed: the read after the write
        # found the refresh's value, or waited for the refresh, and sent nothing of its own.
        assert caches.refreshes == rounds * 3
        assert caches.hits + caches.coalesced == rounds * 3 * 2
        assert caches.misses == 3
        readers = redis_cluster.primaries if read_from == "primary" else redis_cluster.replicas
        expected = [_address(n) for n in readers]
        assert sorted(a for a, c in caches.nodes().items() if c.misses) == sorted(expected)


async def test_own_writes_are_read_back_at_once_on_every_node(
    cached: RedisCluster[bytes], redis_cluster: ClusterInfo
) -> None:
    # No wait for the servers' invalidations: the client drops its own written keys.
    keys = _spread(redis_cluster)
    caches = _caches(cached)

    async def read_all() -> list[bytes | None]:
        return [await cached.get(key) for key in keys]

    await cached.mset(dict.fromkeys(keys, "a"))  # split per slot, every part invalidates
    assert await read_all() == [b"a"] * 3
    assert await read_all() == [b"a"] * 3
    hits = caches.hits
    await cached.mset(dict.fromkeys(keys, "b"))
    assert await read_all() == [b"b"] * 3
    for key in keys:
        await cached.set(key, "c")
        assert await cached.get(key) == b"c"
    async with cached.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.append(key, "d")
    assert await read_all() == [b"cd"] * 3
    async with cached.pipeline(transaction=True) as tx:
        tx.set(keys[0], "e")
    assert await cached.get(keys[0]) == b"e"
    assert await cached.get(keys[0]) == b"e"
    hits += 1

    async def bump(tx: Transaction[bytes]) -> None:
        current = await tx.get(keys[0])
        tx.multi()
        tx.set(keys[0], (current or b"") + b"!")

    await cached.transaction(bump, keys[0])  # WATCH: its key is dropped when the lease ends
    assert await cached.get(keys[0]) == b"e!"
    assert await cached.delete(*keys) == 3
    assert await read_all() == [None] * 3
    assert caches.hits == hits  # every read after a write went to its node


async def test_counters_add_up_over_nodes_and_clear_empties_every_node(
    cached: RedisCluster[bytes], redis_cluster: ClusterInfo
) -> None:
    keys = [f"{key}:{i}" for key in _spread(redis_cluster) for i in range(5)]
    await cached.mset(dict.fromkeys(keys, "x"))
    for _ in range(3):
        for key in keys:
            assert await cached.get(key) == b"x"
    caches = _caches(cached)
    nodes = caches.nodes().values()
    assert caches.hits == sum(c.hits for c in nodes) == 2 * len(keys)
    assert caches.misses == sum(c.misses for c in nodes) == len(keys)
    assert len(caches) == sum(len(c) for c in nodes) == len(keys)
    assert caches.bytes_used == sum(c.bytes_used for c in nodes) > 0
    assert sum(1 for c in nodes if len(c)) >= 3  # keys on every primary
    assert "ClusterCache" in repr(caches)
    assert f"hits={caches.hits}" in repr(caches)
    caches.clear()
    assert len(caches) == 0
    assert all(len(c) == 0 for c in nodes)
    assert await cached.get(keys[0]) == b"x"
    assert caches.misses == len(keys) + 1
    with pytest.raises(TypeError):
        ClusterCache()


# -- slots moving, FLUSHALL, failover: clusters of their own ------------------------------------


async def test_a_slot_moved_to_another_primary_serves_no_old_value(
    own_cluster: ClusterInfo,
) -> None:
    seed = own_cluster.primaries[0]
    tag = uuid.uuid4().hex[:8]
    key, missing = f"{{mv{tag}}}:k", f"{{mv{tag}}}:missing"
    slot = key_slot(key)
    async with (
        RedisCluster(seed.host, seed.port, cache=True, topology_refresh_interval=None) as cached,
        RedisCluster(seed.host, seed.port, topology_refresh_interval=None) as other,
    ):
        caches = _caches(cached)
        assert await other.set(key, "before")
        assert await cached.get(key) == b"before"
        assert await cached.get(missing) is None
        source, target = elsewhere(own_cluster, slot)
        at_source = caches.nodes()[_address(source)]
        assert len(at_source) == 2
        move_slot(own_cluster, source, target, slot)
        # MIGRATE deleted the key at the source, which invalidates it there.
        await settled(lambda: len(at_source) == 1)
        raw_command(target.endpoint, "SET", key, "after")
        assert await cached.get(key) == b"after"  # MOVED: read at the new owner, not kept
        assert await cached.get(key) == b"after"  # kept by the new owner's cache
        assert await cached.get(key) == b"after"
        at_target = caches.nodes()[_address(target)]
        assert (at_target.hits, at_target.misses) == (1, 1)
        # The missing key had nothing to migrate; the new map drops what the source lost.
        await cached._executor.topology.refresh()
        assert len(at_source) == 0
        raw_command(target.endpoint, "SET", missing, "now")
        assert await cached.get(missing) == b"now"


async def test_flushall_by_another_client_empties_every_node_cache(
    own_cluster: ClusterInfo,
) -> None:
    seed = own_cluster.primaries[1]
    async with RedisCluster(seed.host, seed.port, cache=CacheConfig(max_entries=100)) as cached:
        keys = _spread(own_cluster)
        await cached.mset(dict.fromkeys(keys, "v"))
        assert [await cached.get(k) for k in keys] == [b"v"] * 3
        caches = _caches(cached)
        assert len(caches) == 3
        for primary in own_cluster.primaries:
            raw_command(primary.endpoint, "FLUSHALL")
        await settled(lambda: len(caches) == 0)
        assert caches.flushes >= 3
        assert [await cached.get(k) for k in keys] == [None] * 3


@pytest.mark.slow
async def test_kill_9_of_a_primary_empties_its_cache_and_serves_no_old_value(
    failover_cluster: ClusterInfo,
) -> None:
    victim, replica = failover_cluster.primaries[0], failover_cluster.replicas[0]
    owners = slot_owners(failover_cluster)
    keys = keys_on(failover_cluster, owners, victim, 20)
    seed = failover_cluster.primaries[1]
    async with RedisCluster(seed.host, seed.port, cache=True, command_timeout=15.0) as cached:
        await cached.mset(dict.fromkeys(keys, "before"))
        await cached.wait(1, 2000)
        assert [await cached.get(k) for k in keys] == [b"before"] * 20
        at_victim = _caches(cached).nodes()[_address(victim)]
        assert len(at_victim) == 20
        watcher, promoted = watch_promotion(replica, time.monotonic() + 20)
        assert victim.process is not None
        os.kill(victim.process.pid or 0, signal.SIGKILL)
        await settled(lambda: len(at_victim) == 0)  # the tracking connection's end
        await asyncio.to_thread(watcher.join, 20)
        assert promoted, "the replica was never promoted"
        for key in keys[:10]:
            raw_command(replica.endpoint, "SET", key, "after")
        values = await asyncio.gather(*(cached.get(k) for k in keys))
        assert values == [b"after"] * 10 + [b"before"] * 10
        assert await cached.get(keys[0]) == b"after"  # kept by the new primary's cache
        assert await cached.get(keys[0]) == b"after"
        assert _caches(cached).nodes()[_address(replica)].hits >= 1
