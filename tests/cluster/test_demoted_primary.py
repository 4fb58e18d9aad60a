"""A primary that gives away its last slot leaves the client's primaries within seconds.

Redis turns such a primary into a replica of the node that took the slot; the other nodes hear
of it over the cluster bus a little later, so the refresh that follows the MOVED may still see
it as a primary (with or without the slot). The client asks again while a map may be stale,
so ``on("primaries")`` stops counting the node's copy of the data long before the periodic
refresh (turned off here), and forgetting and stopping the node fails no call.

On a cluster of this module's own, grown by one node (slots move here).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from redis_oxide import RedisCluster
from redis_oxide._keys import key_slot
from redis_oxide.testing import (
    ClusterInfo,
    NodeInfo,
    raw_command,
    start_cluster,
)
from tests.cluster._migrate import add_node, elsewhere, move_slot, owner_of

pytestmark = pytest.mark.timeout(90)

_JOIN_TIMEOUT = 20.0


def _known_everywhere(cluster: ClusterInfo, node: NodeInfo) -> bool:
    info = raw_command(node.endpoint, "CLUSTER", "INFO")
    if not isinstance(info, bytes) or b"cluster_state:ok" not in info:
        return False
    for other in cluster.nodes:
        nodes = raw_command(other.endpoint, "CLUSTER", "NODES")
        if not isinstance(nodes, bytes) or node.node_id.encode() not in nodes:
            return False
    return True


@pytest.fixture(scope="module")
def grown() -> Iterator[tuple[ClusterInfo, NodeInfo]]:
    """A six-node cluster and a seventh node, joined, serving no slot yet."""
    cluster = start_cluster(kind="7", modules=False)
    added: list[NodeInfo] = []
    try:
        node = add_node(cluster, "joining")
        added.append(node)
        deadline = time.monotonic() + _JOIN_TIMEOUT
        while not _known_everywhere(cluster, node):
            assert time.monotonic() < deadline, "the seventh node did not join in time"
            time.sleep(0.1)
        yield cluster, node
    finally:
        for member in added:
            assert member.process is not None  # started by add_node
            member.process.close()
        for member in cluster.nodes:
            assert member.process is not None  # started here
            member.process.close()


def _dbsize(node: NodeInfo) -> int:
    size = raw_command(node.endpoint, "DBSIZE")
    assert isinstance(size, int)
    return size


async def test_a_primary_emptied_of_its_slots_leaves_the_primaries_within_seconds(
    grown: tuple[ClusterInfo, NodeInfo],
) -> None:
    cluster, joined = grown
    key = "{demoted}:k"
    slot = key_slot(key)
    first = owner_of(cluster, slot)
    async with RedisCluster(
        first.host, first.port, command_timeout=3.0, topology_refresh_interval=None
    ) as client:
        await client.set(key, "v")
        await asyncio.sleep(0.3)  # past the refresh rate limit: the MOVED below refreshes at once
        await asyncio.to_thread(move_slot, cluster, first, joined, slot)
        assert await client.get(key) == b"v"  # MOVED: the client learns the new primary
        deadline = time.monotonic() + 5
        while joined.port not in [m.port for m in await client.nodes("primaries")]:
            assert time.monotonic() < deadline, "the joined node never became a primary"
            await asyncio.sleep(0.05)

        # The slot goes back: Redis makes the joined node a replica of the first primary.
        await asyncio.to_thread(move_slot, cluster, joined, first, slot)
        assert await client.get(key) == b"v"
        started = time.monotonic()
        while True:
            roles = {m.port: m.role for m in await client.nodes("all")}
            if roles.get(joined.port) == "replica":
                break
            assert time.monotonic() - started < 4, f"still listed as {roles.get(joined.port)}"
            await asyncio.sleep(0.05)
        assert joined.port not in [m.port for m in await client.nodes("primaries")]
        direct = sum([_dbsize(p) for p in cluster.primaries])
        assert await client.on("primaries").dbsize() == direct  # no replica's copy counted

        # Forgotten everywhere and stopped: no call on the primaries fails for it.
        for other in cluster.nodes:
            raw_command(other.endpoint, "CLUSTER", "FORGET", joined.node_id)
        assert joined.process is not None  # started here
        joined.process.close()
        assert await client.on("primaries").dbsize() == direct


async def test_a_moved_right_after_a_refresh_refreshes_once_the_rate_limit_allows(
    grown: tuple[ClusterInfo, NodeInfo],
) -> None:
    cluster, _ = grown
    key = "{soon}:k"
    slot = key_slot(key)
    source, target = elsewhere(cluster, slot)
    async with RedisCluster(
        source.host, source.port, command_timeout=3.0, topology_refresh_interval=None
    ) as client:
        await client.set(key, "v")  # the first refresh, just now
        await asyncio.to_thread(move_slot, cluster, source, target, slot)
        try:
            assert await client.get(key) == b"v"  # MOVED within the rate limit
            deadline = time.monotonic() + 2
            while client.stats().refreshes < 2:
                assert time.monotonic() < deadline, "the MOVED's refresh was dropped"
                await asyncio.sleep(0.05)
        finally:
            await asyncio.to_thread(move_slot, cluster, target, source, slot)
