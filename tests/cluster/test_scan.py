"""Walking the keyspace of a cluster: ``scan()`` cursors across shards, ``scan_iter()``.

``scan_iter`` must yield every key that stays in the cluster, even when slots move while it
runs. The sharpest case: the slots move from a primary not scanned yet to one already
scanned, after that one's SCAN ended; a plain per-node walk misses their keys for certain.
These tests move slots, so they run on a cluster of their own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from redis_oxide import RedisCluster
from redis_oxide._keys import key_slot
from redis_oxide.testing import ClusterInfo
from tests.cluster._migrate import move_slot, owner_of, slot_owners

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
async def client(own_cluster: ClusterInfo) -> AsyncIterator[RedisCluster[str]]:
    seed = own_cluster.primaries[0]
    async with RedisCluster(seed.host, seed.port, decode_responses=True) as cluster:
        await cluster.flushall()
        yield cluster


async def _fill(client: RedisCluster[str], count: int, prefix: str) -> set[str]:
    keys = {f"{prefix}:{i}" for i in range(count)}
    await client.mset(dict.fromkeys(keys, "v"))
    return keys


async def test_scan_iter_yields_every_key_of_every_shard(client: RedisCluster[str]) -> None:
    keys = await _fill(client, 1500, "all")
    await client.hset("all-hash", {"f": "v"})
    seen = [key async for key in client.scan_iter(count=100)]
    assert set(seen) == keys | {"all-hash"}
    assert len(seen) == len(set(seen))  # a quiet cluster yields each key once
    assert {k async for k in client.scan_iter(match="all:1?")} == {
        f"all:{i}" for i in range(10, 20)
    }
    assert [k async for k in client.scan_iter(type="hash")] == ["all-hash"]


async def test_scan_cursors_walk_every_shard_in_turn(client: RedisCluster[str]) -> None:
    keys = await _fill(client, 600, "cursor")
    seen: set[str] = set()
    cursor, calls = 0, 0
    while True:
        cursor, batch = await client.scan(cursor, count=50)
        seen.update(batch)
        calls += 1
        if cursor == 0:
            break
    assert seen == keys
    assert calls > 3  # several calls per shard, three shards


async def test_scan_iter_misses_no_key_when_slots_move_to_a_scanned_node(
    client: RedisCluster[str], own_cluster: ClusterInfo, figures: Any
) -> None:
    keys = await _fill(client, 3000, "moving")
    first = owner_of(own_cluster, 0)  # scanned first: it serves the lowest slots
    last = owner_of(own_cluster, 16383)  # scanned last
    owners = slot_owners(own_cluster)
    on_first = {k for k in keys if owners[key_slot(k)] == first.port}
    moving_slots = sorted({key_slot(k) for k in keys if key_slot(k) >= 10922})[:40]
    moved_keys = {k for k in keys if key_slot(k) in moving_slots}
    assert moved_keys
    seen: list[str] = []
    moved = False
    async for key in client.scan_iter(count=200):
        seen.append(key)
        if not moved and on_first <= set(seen):
            # The first node's SCAN is done; its slots' keys are all in. Now the last node
            # gives slots (with keys) to it: no later SCAN of either would find them.
            await asyncio.to_thread(_move_all, own_cluster, last, first, moving_slots)
            moved = True
    assert moved
    missing = keys - set(seen)
    figures("keys moved to an already scanned node mid-scan", len(moved_keys))
    figures("keys yielded / distinct / missing", f"{len(seen)} / {len(set(seen))} / {len(missing)}")
    assert missing == set()
    await asyncio.to_thread(_move_all, own_cluster, first, last, moving_slots)  # put them back


def _move_all(cluster: ClusterInfo, source: Any, target: Any, slots: list[int]) -> None:
    for slot in slots:
        move_slot(cluster, source, target, slot)
