"""A replica stopped (``kill -9``) and then forgotten by every node costs no call an error.

On a cluster of this test's own, where one shard has a second replica:

- replica reads (``read_from="replica"``) on that shard all succeed: the one read that meets
  the dead node pays one failed connect and runs on the other replica, and the node leaves
  the client's map within a second;
- a command sent to every node (``PUBSUB NUMSUB``) or to the replicas (``on("replicas")``)
  right after another replica was stopped and forgotten succeeds without it: a node that
  cannot be reached and that a fresh map no longer lists is not part of the cluster any
  more. Before, such calls failed with ``ConnectionLostError``/``ConnectFailedError`` until
  a refresh dropped the node.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from redis_oxide import RedisCluster
from redis_oxide._keys import key_slot
from redis_oxide.testing import ClusterInfo, NodeInfo, raw_command, start_cluster
from tests.cluster._migrate import add_node, owner_of

pytestmark = [pytest.mark.timeout(90), pytest.mark.slow]

KEY = "forgotten:key"
_JOIN_TIMEOUT = 20.0
# A read that meets the dead node waits for the connect retries of its pool (about 0.1 s on
# the loopback), then runs on the other replica; the bound leaves room for a loaded machine.
_READ_BOUND = 1.0
# The map that drops the node comes from the refresh that the failure starts (0.1-0.3 s).
_GONE_WITHIN = 2.0


def _replicating(node: NodeInfo) -> bool:
    info = raw_command(node.endpoint, "INFO", "replication")
    return isinstance(info, bytes) and b"master_link_status:up" in info


def _listed_everywhere(cluster: ClusterInfo, node: NodeInfo) -> bool:
    for other in cluster.nodes:
        shards = raw_command(other.endpoint, "CLUSTER", "NODES")
        if not isinstance(shards, bytes):
            return False
        line = next((r for r in shards.decode().splitlines() if r.startswith(node.node_id)), "")
        if "slave" not in line or "connected" not in line:
            return False
    return True


@pytest.fixture
def two_replicas() -> Iterator[tuple[ClusterInfo, NodeInfo]]:
    """A six-node cluster and a seventh node, a second replica of ``KEY``'s primary."""
    cluster = start_cluster(kind="7", modules=False)
    added: list[NodeInfo] = []
    try:
        node = add_node(cluster, "second-replica")
        added.append(node)
        primary = owner_of(cluster, key_slot(KEY))
        deadline = time.monotonic() + _JOIN_TIMEOUT
        while True:
            try:
                raw_command(node.endpoint, "CLUSTER", "REPLICATE", primary.node_id)
                break
            except Exception:  # not introduced to the primary yet
                assert time.monotonic() < deadline, "the seventh node never knew the primary"
                time.sleep(0.1)
        while not (_replicating(node) and _listed_everywhere(cluster, node)):
            assert time.monotonic() < deadline, "the seventh node did not become a replica"
            time.sleep(0.1)
        yield cluster, node
    finally:
        for member in added:
            assert member.process is not None  # started by add_node
            member.process.close()
        for member in cluster.nodes:
            assert member.process is not None  # started here
            member.process.kill()
            member.process.close()


def _forget(gone: NodeInfo, others: list[NodeInfo]) -> None:
    for other in others:
        raw_command(other.endpoint, "CLUSTER", "FORGET", gone.node_id)


def _dbsize(node: NodeInfo) -> int:
    size = raw_command(node.endpoint, "DBSIZE")
    assert isinstance(size, int)
    return size


async def _until_gone(client: RedisCluster[str], port: int) -> float:
    started = time.monotonic()
    while port in [member.port for member in await client.nodes("all")]:
        assert time.monotonic() - started < _GONE_WITHIN, f"{port} still in the client's map"
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def test_a_stopped_and_forgotten_replica_costs_no_call_an_error(
    two_replicas: tuple[ClusterInfo, NodeInfo],
) -> None:
    cluster, extra = two_replicas
    primary = owner_of(cluster, key_slot(KEY))
    seed = cluster.primaries[0]
    async with RedisCluster(
        seed.host, seed.port, decode_responses=True, read_from="replica", command_timeout=5.0
    ) as client:
        await client.set(KEY, "v")
        assert raw_command(primary.endpoint, "WAIT", 2, 2000) == 2  # both replicas have it
        replicas = {member.port for member in await client.nodes("replicas")}
        assert extra.port in replicas
        for _ in range(4):
            assert await client.get(KEY) == "v"  # both replicas of the shard serve reads

        # Replica reads: the dead node is met once, and the read runs on the other replica.
        assert extra.process is not None
        extra.process.kill()
        _forget(extra, list(cluster.nodes))
        rerouted = client.stats().rerouted
        slowest = 0.0
        for _ in range(20):
            started = time.monotonic()
            async with asyncio.timeout(_READ_BOUND * 2):
                assert await client.get(KEY) == "v"
            slowest = max(slowest, time.monotonic() - started)
        assert client.stats().rerouted - rerouted <= 1
        assert slowest < _READ_BOUND, f"a read took {slowest:.2f} s"
        await _until_gone(client, extra.port)

        # Commands sent to every node, or to the replicas, right after a replica of another
        # shard was stopped and forgotten.
        victim = next(
            r
            for p, r in zip(cluster.primaries, cluster.replicas, strict=True)
            if p.port != primary.port
        )
        assert victim.process is not None
        living = [node for node in cluster.nodes if node is not victim]
        expected = sum(_dbsize(r) for r in cluster.replicas if r is not victim)
        victim.process.kill()
        _forget(victim, living)
        async with asyncio.timeout(5):
            assert await client.pubsub_numsub(channel=["forgotten:news"]) == {"forgotten:news": 0}
            assert await client.on("replicas").dbsize() == expected
        assert victim.port not in [member.port for member in await client.nodes("all")]
