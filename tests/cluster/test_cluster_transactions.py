"""Transactions on a cluster: where ``transaction()`` runs, and a transaction on a migrating slot.

``transaction(func)`` needs watch keys to choose its node, and says so before anything is
sent. A ``pipeline(transaction=True)`` on a slot being migrated waits for the migration as a
single command waits for TRYAGAIN: until its ``command_timeout``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from redis_oxide import RedisCluster, Transaction
from redis_oxide._keys import key_slot
from redis_oxide.exceptions import CommandTimeoutError
from redis_oxide.testing import ClusterInfo, raw_command, start_cluster
from tests.cluster._migrate import begin_migration, elsewhere, finish_migration

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
async def cluster(redis_cluster: ClusterInfo) -> AsyncIterator[RedisCluster[str]]:
    seed = redis_cluster.primaries[0]
    async with RedisCluster(seed.host, seed.port, decode_responses=True) as client:
        yield client


async def test_transaction_without_watch_keys_is_refused_before_sending(
    cluster: RedisCluster[str],
) -> None:
    ran: list[str] = []

    async def bump(tx: Transaction[str]) -> None:
        ran.append("func")
        tx.multi()
        tx.incr("tx:refused")

    for _ in range(6):  # whichever node a random pick would have chosen
        with pytest.raises(ValueError, match=r"needs watch keys .* pipeline\(transaction=True\)"):
            await cluster.transaction(bump)
    assert ran == []
    assert await cluster.get("tx:refused") is None


async def test_transaction_with_watch_keys_runs_on_their_slot(cluster: RedisCluster[str]) -> None:
    async def bump(tx: Transaction[str]) -> int:
        value = int(await tx.get("{tx:7}:n") or 0)
        tx.multi()
        tx.set("{tx:7}:n", value + 1)
        return value + 1

    assert [await cluster.transaction(bump, "{tx:7}:n") for _ in range(6)] == [1, 2, 3, 4, 5, 6]


@pytest.fixture(scope="module")
def migrating_cluster() -> Iterator[ClusterInfo]:
    cluster = start_cluster(modules=False)
    try:
        yield cluster
    finally:
        for node in cluster.nodes:
            if node.process is not None:  # started here: every node has one
                node.process.close()


async def test_transaction_on_a_migrating_slot_runs_once_the_migration_ends(
    migrating_cluster: ClusterInfo,
) -> None:
    key = "{migrating:1}:counter"
    slot = key_slot(key)
    source, target = elsewhere(migrating_cluster, slot)
    seed = migrating_cluster.primaries[0]
    async with RedisCluster(seed.host, seed.port, decode_responses=True, command_timeout=8) as rc:
        await rc.get(key)  # the map is loaded
        begin_migration(source, target, slot)

        async def finish_later() -> None:
            await asyncio.sleep(2.5)
            finish_migration(migrating_cluster, source, target, slot)

        finisher = asyncio.ensure_future(finish_later())
        started = time.monotonic()
        pipe = rc.pipeline(transaction=True)
        pipe.incr(key)
        pipe.incr(key)
        # The key exists nowhere: the source answers ASK for it until the slot has moved.
        assert await pipe.execute() == [1, 2]
        assert time.monotonic() - started >= 2.0
        await finisher
        assert raw_command(target.endpoint, "GET", key) == b"2"


async def test_transaction_on_a_stuck_migration_ends_at_the_command_timeout(
    migrating_cluster: ClusterInfo,
) -> None:
    key = "{migrating:2}:counter"
    slot = key_slot(key)
    source, target = elsewhere(migrating_cluster, slot)
    seed = migrating_cluster.primaries[0]
    async with RedisCluster(seed.host, seed.port, decode_responses=True, command_timeout=3) as rc:
        await rc.get(key)
        begin_migration(source, target, slot)
        try:
            started = time.monotonic()
            pipe = rc.pipeline(transaction=True)
            pipe.incr(key)
            with pytest.raises(CommandTimeoutError, match="command_timeout=3") as caught:
                await pipe.execute()
            assert 2.8 <= time.monotonic() - started <= 5
            assert "ASK" in str(caught.value)
        finally:
            finish_migration(migrating_cluster, source, target, slot)
