"""Replica reads follow a manual failover, which sends readers no MOVED and drops nothing.

On a cluster of its own: a client reading from replicas (with the periodic refresh off, so
nothing else can correct it) reads a key from its shard's replica; the replica is promoted
with ``CLUSTER FAILOVER``; within a few role checks the client's reads go to the demoted
primary, now the replica, and no longer to the promoted node.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import pytest

from redis_oxide import RedisCluster
from redis_oxide._cluster._roles import ROLE_INTERVAL
from redis_oxide._keys import key_slot
from redis_oxide.testing import ClusterInfo, NodeInfo, parse_info, raw_command
from tests.cluster._migrate import owner_of

if TYPE_CHECKING:
    from tests.conftest import Figure

pytestmark = [pytest.mark.timeout(90), pytest.mark.slow]

KEY = "roles:key"


def _gets(node: NodeInfo) -> int:
    fields = parse_info(raw_command(node.endpoint, "INFO", "commandstats")).get("cmdstat_get")
    return int(dict(f.split("=") for f in fields.split(","))["calls"]) if fields else 0


def _role(node: NodeInfo) -> str:
    reply = raw_command(node.endpoint, "ROLE")
    assert isinstance(reply, list)
    role = reply[0]
    return role.decode() if isinstance(role, bytes) else str(role)


async def _reads_land_on(client: RedisCluster[str], nodes: list[NodeInfo]) -> list[int]:
    before = [_gets(node) for node in nodes]
    for _ in range(20):
        assert await client.get(KEY) == "v"
    return [_gets(node) - was for node, was in zip(nodes, before, strict=True)]


async def test_replica_reads_leave_a_replica_promoted_by_cluster_failover(
    fresh_cluster: ClusterInfo, figures: Figure
) -> None:
    primary = owner_of(fresh_cluster, key_slot(KEY))
    replica = fresh_cluster.replicas[fresh_cluster.primaries.index(primary)]
    async with RedisCluster(
        primary.host,
        primary.port,
        decode_responses=True,
        read_from="replica",
        topology_refresh_interval=None,
    ) as client:
        await client.set(KEY, "v")
        await client.wait(1, 1000)  # the replica has it
        assert await _reads_land_on(client, [primary, replica]) == [0, 20]

        raw_command(replica.endpoint, "CLUSTER", "FAILOVER")
        deadline = time.monotonic() + 15
        while _role(replica) != "master" or _role(primary) != "slave":
            assert time.monotonic() < deadline, "the manual failover did not complete"
            await asyncio.sleep(0.05)
        promoted = time.monotonic()
        deadline = promoted + 4 * ROLE_INTERVAL
        while True:
            landed = await _reads_land_on(client, [primary, replica])
            if landed == [20, 0]:
                break
            assert time.monotonic() < deadline, f"reads still land on the promoted node: {landed}"
            await asyncio.sleep(0.1)
        figures(
            "reads back on a replica after CLUSTER FAILOVER", f"{time.monotonic() - promoted:.2f} s"
        )
