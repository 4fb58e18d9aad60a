"""A cluster client's per-node ``PoolStats`` count bytes exactly when a standalone client's do.

Counting bytes costs every command, so ``Redis.stats()`` counts them only while telemetry is
on; ``RedisCluster.stats().nodes`` follows the same rule: zero without telemetry, each node's
own traffic with it.
"""

from __future__ import annotations

import pytest

from redis_oxide import Redis, RedisCluster
from redis_oxide.testing import ClusterInfo, RedisServerInfo

pytestmark = pytest.mark.timeout(30)

KEYS = [f"stats:{i}" for i in range(60)]


async def test_node_byte_counts_follow_the_standalone_rule(
    redis_cluster: ClusterInfo, flushed_stack: RedisServerInfo
) -> None:
    for telemetry in (False, True):
        async with Redis.from_url(flushed_stack.url, telemetry=telemetry) as client:
            for key in KEYS:
                await client.set(key, "v")
            alone = client.stats()
        async with RedisCluster.from_url(redis_cluster.startup_url, telemetry=telemetry) as cluster:
            for key in KEYS:
                await cluster.set(key, "v")
            nodes = cluster.stats().nodes
            await cluster.delete(*KEYS)
        written = sum(stats.bytes_written for stats in nodes.values())
        read = sum(stats.bytes_read for stats in nodes.values())
        if not telemetry:
            assert (alone.bytes_written, alone.bytes_read) == (0, 0)
            assert (written, read) == (0, 0)
            continue
        assert alone.bytes_written > 0
        assert alone.bytes_read > 0
        # The same SETs, plus the cluster's own map questions.
        assert written >= alone.bytes_written
        assert read >= alone.bytes_read
        assert all(stats.bytes_written > 0 for stats in nodes.values())
