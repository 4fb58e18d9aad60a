"""Pipelined and split reads keep ``read_from="replica"``: no replica left, no read at all.

With ``read_from="replica"`` a read whose shard has lost its only replica (``kill -9``) fails
with ``ConnectFailedError`` and is never sent to the primary. A single GET already did; a GET
queued in a pipeline, and an MGET whose keys span shards (alone or pipelined), were placed by
the map's slow route and read the primary. Now such a read fails in its own result slot: the
pipeline's other commands run and keep their values, and ``raise_on_error=True`` raises the
error once every slot is filled. The primary's ``INFO commandstats`` shows no GET or MGET.
"""

from __future__ import annotations

import asyncio

import pytest

from redis_oxide import RedisCluster
from redis_oxide._keys import key_slot
from redis_oxide.exceptions import ConnectFailedError
from redis_oxide.testing import ClusterInfo, NodeInfo, parse_info, raw_command
from tests.cluster._migrate import owner_of

pytestmark = pytest.mark.timeout(60)

READ_KEY = "replica-pipeline:key"
_NO_REPLICA = 'read_from="replica"'


def _calls(node: NodeInfo, command: str) -> int:
    stats = parse_info(raw_command(node.endpoint, "INFO", "commandstats"))
    fields = stats.get(f"cmdstat_{command}")
    return int(dict(f.split("=") for f in fields.split(","))["calls"]) if fields else 0


def _key_elsewhere(cluster: ClusterInfo, primary: NodeInfo) -> str:
    # A key on another shard, whose replica is alive.
    for n in range(1000):
        key = f"replica-pipeline:other:{n}"
        if owner_of(cluster, key_slot(key)).port != primary.port:
            return key
    raise AssertionError("no key of 1000 hashes to another shard")


async def test_pipelined_and_split_reads_never_fall_back_to_the_primary(
    fresh_cluster: ClusterInfo,
) -> None:
    primary = owner_of(fresh_cluster, key_slot(READ_KEY))
    replica = fresh_cluster.replicas[fresh_cluster.primaries.index(primary)]
    assert replica.process is not None
    other = _key_elsewhere(fresh_cluster, primary)
    seed = fresh_cluster.primaries[0]
    async with RedisCluster(
        seed.host,
        seed.port,
        read_from="replica",
        command_timeout=5.0,
        topology_refresh_interval=None,
    ) as client:
        await client.set(READ_KEY, "v")
        await client.wait(1, 2000)
        assert await client.get(READ_KEY) == b"v"  # on the replica: its connection is open
        gets, mgets = _calls(primary, "get"), _calls(primary, "mget")
        replica.process.kill()
        # The first pipeline meets the dead replica (and marks it down); the second is placed
        # on a map whose shard has no replica left.
        for attempt in ("first", "second"):
            pipe = client.pipeline(raise_on_error=False)
            pipe.set(other, attempt)
            pipe.get(READ_KEY)
            pipe.mget(READ_KEY, other)
            pipe.incr(f"{other}:count")
            async with asyncio.timeout(5):
                results = await pipe.execute()
            assert results[0] is True
            assert isinstance(results[1], ConnectFailedError), results[1]
            assert _NO_REPLICA in str(results[1])
            assert isinstance(results[2], ConnectFailedError), results[2]
            assert _NO_REPLICA in str(results[2])
            assert results[3] == (1 if attempt == "first" else 2)
            assert _calls(primary, "get") == gets, f"the {attempt} pipelined GET ran on the primary"
            assert _calls(primary, "mget") == mgets, f"the {attempt} pipelined MGET read it"

        pipe = client.pipeline()
        pipe.get(READ_KEY)
        pipe.incr(f"{other}:count")
        async with asyncio.timeout(5):
            with pytest.raises(ConnectFailedError, match=_NO_REPLICA):
                await pipe.execute()
        counter = owner_of(fresh_cluster, key_slot(f"{other}:count"))
        assert raw_command(counter.endpoint, "GET", f"{other}:count") == b"3"  # it ran

        async with asyncio.timeout(5):  # MGET alone, split across the shards
            with pytest.raises(ConnectFailedError, match=_NO_REPLICA):
                await client.mget(READ_KEY, other)
        assert _calls(primary, "get") == gets
        assert _calls(primary, "mget") == mgets, "a split MGET's part ran on the primary"
