"""On a cluster, a command or transaction that waited out a migrating slot did not run.

The source of a slot being migrated answers ASK or TRYAGAIN, which mean the command was
refused unrun; the cluster client retries until the ``command_timeout``, and the
``CommandTimeoutError`` it then raises says so (``may_have_executed=False``). Slots move here,
so the cluster is this module's own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from redis_oxide import RedisCluster, Transaction
from redis_oxide._keys import key_slot
from redis_oxide.exceptions import CommandTimeoutError
from redis_oxide.testing import ClusterInfo, NodeInfo, raw_command, start_cluster
from tests.cluster._migrate import begin_migration, elsewhere, finish_migration, migrate_keys

pytestmark = pytest.mark.timeout(90)


@pytest.fixture(scope="module")
def own_cluster() -> Iterator[ClusterInfo]:
    cluster = start_cluster(modules=False)
    try:
        yield cluster
    finally:
        for node in cluster.nodes:
            if node.process is not None:  # started here: every node has one
                node.process.close()


def _still_on(source: NodeInfo, first: str, second: str) -> str:
    # Of two keys of one slot, the one a partial migration left on ``source``.
    staying = raw_command(source.endpoint, "CLUSTER", "GETKEYSINSLOT", key_slot(first), 10)
    assert isinstance(staying, list)
    return first if first.encode() in staying else second


async def test_command_refused_by_a_migrating_slot_until_its_timeout_did_not_run(
    own_cluster: ClusterInfo,
) -> None:
    slot = key_slot("{stuck}")
    source, target = elsewhere(own_cluster, slot)
    seed = own_cluster.primaries[0]
    async with RedisCluster(seed.host, seed.port, command_timeout=1.0) as client:
        await client.mset({"{stuck}:a": 1, "{stuck}:b": 1})
        begin_migration(source, target, slot)
        try:
            migrate_keys(source, target, slot, limit=1)  # one key moved: TRYAGAIN for both
            staying = _still_on(source, "{stuck}:a", "{stuck}:b")
            with pytest.raises(CommandTimeoutError) as caught:
                async with asyncio.timeout(10):
                    await client.mset({"{stuck}:a": 2, "{stuck}:b": 2})
            error = caught.value
            assert error.may_have_executed is False
            assert error.command == "MSET"
            assert "TRYAGAIN" in str(error)
            assert "it did not run" in str(error)
            assert raw_command(source.endpoint, "GET", staying) == b"1"
        finally:
            migrate_keys(source, target, slot)
            finish_migration(own_cluster, source, target, slot)
        assert await client.mget("{stuck}:a", "{stuck}:b") == [b"1", b"1"]


async def test_transaction_on_a_stuck_migration_did_not_run(own_cluster: ClusterInfo) -> None:
    key = "{stuckexec}:counter"
    slot = key_slot(key)
    source, target = elsewhere(own_cluster, slot)
    seed = own_cluster.primaries[0]
    async with RedisCluster(seed.host, seed.port, command_timeout=1.0) as client:
        await client.get(key)  # the map is loaded
        begin_migration(source, target, slot)
        try:
            pipe = client.pipeline(transaction=True)
            pipe.incr(key)
            # The key exists nowhere: the source answers ASK until the slot has moved.
            with pytest.raises(CommandTimeoutError) as caught:
                async with asyncio.timeout(10):
                    await pipe.execute()
            assert caught.value.may_have_executed is False
            assert "it did not run" in str(caught.value)
        finally:
            finish_migration(own_cluster, source, target, slot)
        assert await client.get(key) is None


async def test_watch_transaction_on_a_stuck_migration_did_not_run(
    own_cluster: ClusterInfo,
) -> None:
    slot = key_slot("{stuckwatch}")
    source, target = elsewhere(own_cluster, slot)
    seed = own_cluster.primaries[0]
    async with RedisCluster(seed.host, seed.port, command_timeout=1.0) as client:
        await client.mset({"{stuckwatch}:a": 1, "{stuckwatch}:b": 1})
        begin_migration(source, target, slot)
        try:
            migrate_keys(source, target, slot, limit=1)
            keys = {"{stuckwatch}:a", "{stuckwatch}:b"}
            (key,) = keys - {_still_on(source, "{stuckwatch}:a", "{stuckwatch}:b")}  # moved

            async def incr(tx: Transaction[bytes]) -> None:
                value = await tx.get(key)
                tx.multi()
                tx.set(key, int(value or 0) + 1)

            with pytest.raises(CommandTimeoutError, match="still migrating") as caught:
                async with asyncio.timeout(10):
                    await client.transaction(incr, key)
            assert caught.value.may_have_executed is False
        finally:
            migrate_keys(source, target, slot)
            finish_migration(own_cluster, source, target, slot)
        assert await client.get(key) == b"1"
