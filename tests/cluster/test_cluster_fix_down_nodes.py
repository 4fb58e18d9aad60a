"""A node marked down is taken back once it answers, whatever the cluster's map says.

Each test starts a cluster of its own and kills a replica:

- killed with ``kill -9`` and restarted at once (well within ``cluster-node-timeout``, so
  the cluster never flags it and no new map brings it back): a ``read_from="replica"``
  client and a ``"prefer_replica"`` one both read from it again within a few seconds;
- dead when a client's first connect to it failed: once restarted, the client reads from it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from redis_oxide import RedisCluster
from redis_oxide._keys import key_slot
from redis_oxide.exceptions import RedisError
from redis_oxide.testing import ClusterInfo, NodeInfo, parse_info, raw_command
from tests.cluster._migrate import owner_of

pytestmark = [pytest.mark.timeout(60), pytest.mark.slow]

KEY = "down:key"
# A node answering again must be used within this long (the README's "about 2 s" for
# replicas, plus the replica's own start-up on a loaded machine).
TAKEN_BACK_WITHIN = 3.0


def _replica_of_key(cluster: ClusterInfo) -> NodeInfo:
    primary = owner_of(cluster, key_slot(KEY))
    return cluster.replicas[cluster.primaries.index(primary)]


def _address(node: NodeInfo) -> str:
    return f"{node.host}:{node.port}"


def _gets(node: NodeInfo) -> int:
    fields = parse_info(raw_command(node.endpoint, "INFO", "commandstats")).get("cmdstat_get")
    return int(dict(f.split("=") for f in fields.split(","))["calls"]) if fields else 0


async def _synced(node: NodeInfo) -> None:
    # A restarted replica has no data until its full sync: wait for its link to be up.
    for _ in range(200):
        info = parse_info(raw_command(node.endpoint, "INFO", "replication"))
        if info.get("master_link_status") == "up":
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{_address(node)} never synced with its primary")


async def _taken_back(clients: list[RedisCluster[str]], address: str) -> float:
    started = time.monotonic()
    while any(address in client.stats().down for client in clients):
        if time.monotonic() - started > 10.0:
            break
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def test_replica_restarted_within_node_timeout_serves_reads_again(
    fresh_cluster: ClusterInfo,
) -> None:
    replica = _replica_of_key(fresh_cluster)
    assert replica.process is not None
    seed = fresh_cluster.primaries[0]
    async with (
        RedisCluster(seed.host, seed.port, decode_responses=True, read_from="replica") as only,
        RedisCluster(
            seed.host, seed.port, decode_responses=True, read_from="prefer_replica"
        ) as pref,
    ):
        await only.set(KEY, "v")
        await only.wait(1, 2000)
        assert await only.get(KEY) == "v"
        assert await pref.get(KEY) == "v"
        replica.process.kill()
        for client in (only, pref):
            with contextlib.suppress(RedisError):
                await client.get(KEY)  # the lost connection marks the replica down
            assert _address(replica) in client.stats().down
        await asyncio.to_thread(replica.process.restart)
        waited = await _taken_back([only, pref], _address(replica))
        assert waited < TAKEN_BACK_WITHIN, f"still down {waited:.1f} s after the restart"
        await _synced(replica)
        before = _gets(replica)
        for _ in range(10):
            assert await only.get(KEY) == "v"
            assert await pref.get(KEY) == "v"
        assert _gets(replica) - before == 20


async def test_replica_whose_first_connect_failed_is_used_once_it_answers(
    fresh_cluster: ClusterInfo,
) -> None:
    replica = _replica_of_key(fresh_cluster)
    assert replica.process is not None
    primary = fresh_cluster.primaries[0]
    async with RedisCluster(primary.host, primary.port, decode_responses=True) as writer:
        await writer.set(KEY, "v")
        await writer.wait(1, 2000)
    replica.process.kill()
    async with RedisCluster(
        primary.host, primary.port, decode_responses=True, read_from="replica"
    ) as client:
        with contextlib.suppress(RedisError):
            await client.get(KEY)  # the first connect to the replica fails
        assert _address(replica) in client.stats().down
        await asyncio.to_thread(replica.process.restart)
        waited = await _taken_back([client], _address(replica))
        assert waited < TAKEN_BACK_WITHIN, f"still down {waited:.1f} s after the restart"
        await _synced(replica)
        before = _gets(replica)
        for _ in range(10):
            assert await client.get(KEY) == "v"
        assert _gets(replica) - before == 10
