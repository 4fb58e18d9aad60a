"""Redirects and transient states, on a cluster of this module's own (slots move here).

- MOVED: the slot moved behind the client's back; the map is patched at once (the next
  command goes straight to the new owner) and the command retried.
- ASK: a key already migrated out of a migrating slot is read from the target with ASKING,
  and the map is left alone.
- TRYAGAIN: a multi-key command on a slot half migrated is retried until the migration ends.
- CLUSTERDOWN: with a slot unserved the whole cluster refuses; a call is retried (backing
  off) until the slot is served again.
- In a pipeline, the commands that met MOVED are retried alone; the others keep their values:
  in a mixed pipeline, in one of a single command kind (placed in one pass), and among the
  per-slot parts of an MGET split over many slots (written straight to the nodes), and of
  DEL, EXISTS and MSET splits, whose replies are then combined by the response policy.
- ``max_redirects`` bounds the redirects of one call.
- A server without ``CLUSTER SHARDS`` is mapped from ``CLUSTER SLOTS``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from redis_oxide import RedisCluster
from redis_oxide._cluster import ClusterExecutor
from redis_oxide._command import CommandMeta
from redis_oxide._exceptions import server_error_from_message
from redis_oxide._keys import key_slot
from redis_oxide._retry import Retry
from redis_oxide.exceptions import MovedError
from redis_oxide.testing import ClusterInfo, Endpoint, NodeInfo, raw_command
from tests.cluster._doubles import DirectStrategy
from tests.cluster._migrate import (
    begin_migration,
    elsewhere,
    finish_migration,
    migrate_keys,
    move_slot,
    owner_of,
)

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def client(own_cluster: ClusterInfo) -> AsyncIterator[RedisCluster[bytes]]:
    seed = own_cluster.primaries[0]
    async with RedisCluster(
        seed.host, seed.port, command_timeout=5.0, topology_refresh_interval=None
    ) as cluster:
        yield cluster


async def test_moved_patches_the_map_and_retries(
    client: RedisCluster[bytes], own_cluster: ClusterInfo, figures: Any
) -> None:
    key = "moved:k"
    slot = key_slot(key)
    assert await client.set(key, "before")
    source, target = elsewhere(own_cluster, slot)
    move_slot(own_cluster, source, target, slot)
    assert await client.get(key) == b"before"  # MOVED, then the new owner
    stats = client.stats()
    assert stats.moved == 1
    assert await client.set(key, "after")  # straight to the new owner: no second MOVED
    assert await client.get(key) == b"after"
    assert client.stats().moved == 1
    figures("MOVED followed", client.stats().moved)


async def test_ask_reads_a_migrated_key_from_the_target_and_leaves_the_map(
    client: RedisCluster[bytes], own_cluster: ClusterInfo
) -> None:
    keys = [f"{{ask}}:{i}" for i in range(10)]
    slot = key_slot(keys[0])
    await client.mset(dict.fromkeys(keys, "v"))
    source, target = elsewhere(own_cluster, slot)
    begin_migration(source, target, slot)
    try:
        assert migrate_keys(source, target, slot, limit=5) == 5
        values = [await client.get(key) for key in keys]
        assert values == [b"v"] * 10
        assert client.stats().asked >= 5
        assert client.stats().moved == 0
        # The map still names the source: keys still there are read without a redirect.
        asked = client.stats().asked
        remaining = raw_command(source.endpoint, "CLUSTER", "GETKEYSINSLOT", slot, 10)
        assert isinstance(remaining, list)
        for key in remaining:
            assert isinstance(key, bytes)
            assert await client.get(key) == b"v"
        assert client.stats().asked == asked
        # A write to a key that left goes to the target too.
        moved_out = next(k for k in keys if k.encode() not in remaining)
        assert await client.set(moved_out, "w")
    finally:
        migrate_keys(source, target, slot)
        finish_migration(own_cluster, source, target, slot)
    assert await client.get(moved_out) == b"w"


async def test_tryagain_is_retried_until_the_migration_ends(
    client: RedisCluster[bytes], own_cluster: ClusterInfo
) -> None:
    keys = [f"{{tryagain}}:{i}" for i in range(4)]
    slot = key_slot(keys[0])
    await client.mset(dict.fromkeys(keys, "v"))
    source, target = elsewhere(own_cluster, slot)
    begin_migration(source, target, slot)
    migrate_keys(source, target, slot, limit=2)  # the slot's keys now live on two nodes

    async def finish_later() -> None:
        await asyncio.sleep(0.3)
        migrate_keys(source, target, slot)
        finish_migration(own_cluster, source, target, slot)

    finisher = asyncio.ensure_future(finish_later())
    try:
        assert await client.mget(*keys) == [b"v"] * 4
    finally:
        await finisher
    assert client.stats().retried >= 1


async def test_a_pipeline_retries_only_the_commands_that_met_moved(
    client: RedisCluster[bytes], own_cluster: ClusterInfo
) -> None:
    moving = [f"{{pipemove}}:{i}" for i in range(5)]
    staying = [f"{{pipestay}}:{i}" for i in range(5)]
    await client.mset({**dict.fromkeys(staying, "1"), **dict.fromkeys(moving, "v")})
    slot = key_slot(moving[0])
    source, target = elsewhere(own_cluster, slot)
    move_slot(own_cluster, source, target, slot)
    before = client.stats().moved
    async with client.pipeline() as pipe:
        increments = [pipe.incr(key) for key in staying]
        appends = [pipe.append(key, "!") for key in moving]
    assert [await h for h in increments] == [2] * 5
    assert [await h for h in appends] == [2] * 5
    assert await client.mget(*moving) == [b"v!"] * 5  # each ran once
    assert client.stats().moved - before == 5


async def test_a_pipeline_of_one_command_kind_retries_only_the_commands_that_met_moved(
    client: RedisCluster[bytes], own_cluster: ClusterInfo
) -> None:
    moving = [f"{{kindmove}}:{i}" for i in range(5)]
    spread = [f"kindstay:{i}" for i in range(20)]  # several slots on every primary
    slot = key_slot(moving[0])
    spread = [key for key in spread if key_slot(key) != slot]
    source, target = elsewhere(own_cluster, slot)
    move_slot(own_cluster, source, target, slot)
    before = client.stats().moved
    async with client.pipeline() as pipe:
        handles = [pipe.incr(key) for key in [*spread, *moving]]
    assert [await h for h in handles] == [1] * (len(spread) + len(moving))
    assert await client.mget(*moving) == [b"1"] * 5  # each ran once
    assert client.stats().moved - before == 5


async def test_a_split_mget_retries_only_the_parts_that_met_moved(
    client: RedisCluster[bytes], own_cluster: ClusterInfo
) -> None:
    keys = [f"splitmove:{i}" for i in range(40)]  # many slots, every primary
    await client.mset({key: key for key in keys})
    slot = key_slot(keys[0])
    others = [key for key in keys if key_slot(key) == slot]
    source, target = elsewhere(own_cluster, slot)
    move_slot(own_cluster, source, target, slot)
    before = client.stats().moved
    assert await client.mget(*keys) == [key.encode() for key in keys]
    assert client.stats().moved - before == 1  # one part: the keys of the moved slot
    assert len(others) >= 1
    assert await client.mget(*keys) == [key.encode() for key in keys]  # the map was patched
    assert client.stats().moved - before == 1


async def test_split_del_exists_and_mset_retry_the_moved_part_and_combine_by_policy(
    client: RedisCluster[bytes], own_cluster: ClusterInfo
) -> None:
    # Written straight to the nodes like MGET's parts; combined by the response policy.
    keys = [f"splitsum:{i}" for i in range(40)]
    assert await client.mset({key: key for key in keys})
    slot = key_slot(keys[0])
    source, target = elsewhere(own_cluster, slot)
    move_slot(own_cluster, source, target, slot)
    before = client.stats().moved
    assert await client.exists(*keys, "splitsum:absent") == 40
    assert client.stats().moved - before == 1  # one part met MOVED, the sum holds
    slot = key_slot(keys[1])
    source, target = elsewhere(own_cluster, slot)
    move_slot(own_cluster, source, target, slot)
    assert await client.mset({key: "again" for key in keys})  # MSET: one OK from every part
    assert client.stats().moved - before == 2
    assert await client.mget(*keys) == [b"again"] * 40
    slot = key_slot(keys[2])
    source, target = elsewhere(own_cluster, slot)
    move_slot(own_cluster, source, target, slot)
    assert await client.delete(*keys[:20], "splitsum:absent") == 20
    assert client.stats().moved - before == 3
    assert await client.delete(*keys) == 20
    assert await client.exists(*keys) == 0


async def test_redirects_stop_at_the_limit(own_cluster: ClusterInfo) -> None:
    seed = own_cluster.primaries[0]
    async with RedisCluster(seed.host, seed.port, max_redirects=0) as cluster:
        key = "limit:k"
        await cluster.set(key, "v")
        source, target = elsewhere(own_cluster, key_slot(key))
        move_slot(own_cluster, source, target, key_slot(key))
        with pytest.raises(MovedError) as caught:
            await cluster.get(key)
        assert caught.value.slot == key_slot(key)
        assert caught.value.port == target.port


class _NoShards:
    """A node executor answering like a server without CLUSTER SHARDS."""

    def __init__(self, host: str, port: int) -> None:
        self.endpoint = Endpoint(host, port)
        self.asked: list[str] = []
        self.strategy = DirectStrategy(self._execute)

    def _execute(self, meta: CommandMeta, args: tuple[Any, ...], parser: Any) -> Any:
        self.asked.append(meta.name)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if meta.name == "CLUSTER SHARDS":
            future.set_exception(server_error_from_message("ERR unknown subcommand 'SHARDS'"))
        else:
            future.set_result(raw_command(self.endpoint, *args))
        return future

    async def aclose(self, grace: float | None) -> None:
        return None


async def test_a_server_without_cluster_shards_is_mapped_from_cluster_slots(
    own_cluster: ClusterInfo,
) -> None:
    nodes: list[_NoShards] = []

    def factory(host: str, port: int, reroute: Any) -> Any:
        nodes.append(_NoShards(host, port))
        return nodes[-1]

    seed = own_cluster.primaries[0]
    executor = ClusterExecutor(
        factory,
        [(seed.host, seed.port)],
        read_from="primary",
        command_timeout=5.0,
        retry=Retry(),
        max_redirects=5,
        failover_timeout=1.0,
        refresh_interval=None,
        tls=False,
    )
    await executor.start()
    found = executor.topology.map
    assert found is not None
    assert found.source == "CLUSTER SLOTS"
    assert found.covered == 16384
    assert {n.port for n in found.primaries()} == {n.port for n in own_cluster.primaries}
    assert nodes[0].asked == ["CLUSTER SHARDS", "CLUSTER SLOTS"]
    await executor.aclose(None)


async def test_clusterdown_is_retried_until_the_cluster_is_whole_again(
    client: RedisCluster[bytes], own_cluster: ClusterInfo
) -> None:
    key = "down:k"
    assert await client.set(key, "v")
    hole = (key_slot(key) + 1) % 16384  # another slot: the whole cluster goes down
    owner = owner_of(own_cluster, hole)
    for node in own_cluster.nodes:
        raw_command(node.endpoint, "CLUSTER", "DELSLOTS", hole)
    keeper = owner_of(own_cluster, key_slot(key))
    await _state_becomes(keeper, b"fail")
    before = client.stats().retried

    async def heal() -> None:
        await asyncio.sleep(0.3)
        raw_command(owner.endpoint, "CLUSTER", "ADDSLOTS", hole)

    healer = asyncio.ensure_future(heal())
    try:
        assert await client.get(key) == b"v"  # CLUSTERDOWN until the slot is served again
    finally:
        await healer
    assert client.stats().retried > before
    await _state_becomes(keeper, b"ok")  # whole again for the tests that follow


async def _state_becomes(node: NodeInfo, state: bytes) -> None:
    deadline = time.monotonic() + 5
    while f"cluster_state:{state.decode()}".encode() not in _cluster_info(node):
        assert time.monotonic() < deadline, f"cluster_state never became {state!r}"
        await asyncio.sleep(0.01)


def _cluster_info(node: NodeInfo) -> bytes:
    info = raw_command(node.endpoint, "CLUSTER", "INFO")
    assert isinstance(info, bytes)
    return info
