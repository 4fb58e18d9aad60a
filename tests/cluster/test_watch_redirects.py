"""``transaction(func, *keys)`` and ``watch()`` while the watched keys' slot moves.

On a cluster of this module's own (slots move here, with raw ``CLUSTER SETSLOT``/``MIGRATE``):

- MOVED answering WATCH, a read of ``func`` or carried by EXECABORT means nothing ran: the map
  is patched (the next call goes straight to the new owner) and ``func`` runs again there.
- ASK or TRYAGAIN (the slot is migrating) pause and run ``func`` again until the migration
  ends, or until the ``command_timeout``: then ``CommandTimeoutError`` naming the redirect.
- ``watch()`` sends WATCH again where and when the cluster says, before the block runs; a
  redirect met inside the block or at its EXEC is raised with a note, after MOVED has patched
  the map so the next block goes to the new owner.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from redis_oxide import RedisCluster, Transaction
from redis_oxide._keys import key_slot
from redis_oxide.exceptions import CommandTimeoutError, ExecAbortError
from redis_oxide.testing import ClusterInfo, NodeInfo, raw_command
from tests.cluster._migrate import (
    begin_migration,
    elsewhere,
    finish_migration,
    migrate_keys,
    move_slot,
)

pytestmark = pytest.mark.timeout(60)

Incr = Callable[[Transaction[bytes]], Awaitable[None]]


@pytest.fixture
async def client(own_cluster: ClusterInfo) -> AsyncIterator[RedisCluster[bytes]]:
    seed = own_cluster.primaries[0]
    async with RedisCluster(
        seed.host, seed.port, command_timeout=3.0, topology_refresh_interval=None
    ) as cluster:
        yield cluster


def moved_first(source: NodeInfo, first: str, second: str) -> tuple[str, str]:
    """The key a migration already moved off ``source``, then the one still there."""
    staying = raw_command(source.endpoint, "CLUSTER", "GETKEYSINSLOT", key_slot(first), 10)
    assert isinstance(staying, list)
    return (second, first) if first.encode() in staying else (first, second)


def incr_of(key: str) -> Incr:
    async def incr(tx: Transaction[bytes]) -> None:
        value = await tx.get(key)
        tx.multi()
        tx.set(key, int(value or 0) + 1)

    return incr


async def test_transaction_follows_a_moved_watch_and_patches_the_map(
    client: RedisCluster[bytes], own_cluster: ClusterInfo
) -> None:
    key = "{txmoved}:counter"
    slot = key_slot(key)
    await client.set(key, 1)
    move_slot(own_cluster, *elsewhere(own_cluster, slot), slot)  # the client is not told
    async with asyncio.timeout(10):
        await client.transaction(incr_of(key), key)
    assert client.stats().moved == 1
    async with asyncio.timeout(10):
        await client.transaction(incr_of(key), key)  # straight to the new owner
    assert client.stats().moved == 1
    assert await client.get(key) == b"3"


async def test_transaction_runs_func_again_after_moved_in_its_exec(
    client: RedisCluster[bytes], own_cluster: ClusterInfo
) -> None:
    key = "{txexecmoved}:counter"
    slot = key_slot(key)
    await client.set(key, 1)
    calls = 0

    async def move_then_incr(tx: Transaction[bytes]) -> None:
        nonlocal calls
        calls += 1
        value = await tx.get(key)
        if calls == 1:  # the slot moves between the read and EXEC
            await asyncio.to_thread(move_slot, own_cluster, *elsewhere(own_cluster, slot), slot)
        tx.multi()
        tx.set(key, int(value or 0) + 1)

    async with asyncio.timeout(10):
        await client.transaction(move_then_incr, key)
    assert calls >= 2
    assert client.stats().moved >= 1
    assert await client.get(key) == b"2"


async def test_transaction_waits_for_a_migrating_slot_and_then_commits(
    client: RedisCluster[bytes], own_cluster: ClusterInfo
) -> None:
    slot = key_slot("{txask}")
    await client.mset({"{txask}:a": 1, "{txask}:b": 1})
    source, target = elsewhere(own_cluster, slot)
    begin_migration(source, target, slot)
    migrate_keys(source, target, slot, limit=1)
    key, _ = moved_first(source, "{txask}:a", "{txask}:b")  # WATCH of it answers ASK

    async def finish_later() -> None:
        await asyncio.sleep(1.0)
        migrate_keys(source, target, slot)
        finish_migration(own_cluster, source, target, slot)

    finisher = asyncio.ensure_future(finish_later())
    started = time.monotonic()
    try:
        async with asyncio.timeout(10):
            await client.transaction(incr_of(key), key)
    finally:
        await finisher
    assert time.monotonic() - started >= 0.9
    assert client.stats().retried >= 1
    assert await client.get(key) == b"2"


async def test_transaction_on_a_slot_still_migrating_times_out_naming_the_redirect(
    own_cluster: ClusterInfo,
) -> None:
    slot = key_slot("{txstuck}")
    seed = own_cluster.primaries[0]
    source, target = elsewhere(own_cluster, slot)
    async with RedisCluster(seed.host, seed.port, command_timeout=1.0) as client:
        await client.mset({"{txstuck}:a": 1, "{txstuck}:b": 1})
        begin_migration(source, target, slot)
        try:
            migrate_keys(source, target, slot, limit=1)
            key, _ = moved_first(source, "{txstuck}:a", "{txstuck}:b")
            started = time.monotonic()
            with pytest.raises(CommandTimeoutError, match=r"still migrating.*(ASK|TRYAGAIN)"):
                async with asyncio.timeout(10):
                    await client.transaction(incr_of(key), key)
            assert 0.9 <= time.monotonic() - started < 3
        finally:
            migrate_keys(source, target, slot)
            finish_migration(own_cluster, source, target, slot)
        assert await client.get(key) == b"1"


async def test_transaction_waits_for_an_execabort_carrying_ask(
    client: RedisCluster[bytes], own_cluster: ClusterInfo
) -> None:
    slot = key_slot("{txabort}")
    await client.mset({"{txabort}:a": 1, "{txabort}:b": 1})
    source, target = elsewhere(own_cluster, slot)
    begin_migration(source, target, slot)
    migrate_keys(source, target, slot, limit=1)
    # The watched key is still on the source, so WATCH passes and the queued write of the
    # key already moved meets ASK: EXECABORT.
    written, watched = moved_first(source, "{txabort}:a", "{txabort}:b")

    async def write(tx: Transaction[bytes]) -> None:
        tx.multi()
        tx.set(written, "done")

    async def finish_later() -> None:
        await asyncio.sleep(1.0)
        migrate_keys(source, target, slot)
        finish_migration(own_cluster, source, target, slot)

    finisher = asyncio.ensure_future(finish_later())
    try:
        async with asyncio.timeout(10):
            await client.transaction(write, watched)
    finally:
        await finisher
    assert await client.get(written) == b"done"


async def test_watch_follows_moved_before_the_block_runs(
    client: RedisCluster[bytes], own_cluster: ClusterInfo
) -> None:
    key = "{watchmoved}:k"
    slot = key_slot(key)
    await client.set(key, "v")
    move_slot(own_cluster, *elsewhere(own_cluster, slot), slot)
    async with asyncio.timeout(10):
        async with client.watch(key) as tx:
            assert await tx.get(key) == b"v"
            tx.multi()
            tx.set(key, "w")
    assert client.stats().moved == 1
    assert await client.get(key) == b"w"


async def test_watch_block_whose_exec_met_moved_raises_and_patches_the_map(
    client: RedisCluster[bytes], own_cluster: ClusterInfo
) -> None:
    key = "{watchexec}:k"
    slot = key_slot(key)
    await client.set(key, "v")

    async def block_during_which_the_slot_moves() -> None:
        async with asyncio.timeout(10), client.watch(key) as tx:
            await tx.get(key)
            await asyncio.to_thread(move_slot, own_cluster, *elsewhere(own_cluster, slot), slot)
            tx.multi()
            tx.set(key, "w")

    with pytest.raises(ExecAbortError, match="MOVED") as caught:
        await block_during_which_the_slot_moves()
    assert any("run the block again" in note for note in caught.value.__notes__)
    assert client.stats().moved == 1
    async with asyncio.timeout(10):
        async with client.watch(key) as tx:  # the next block goes to the new owner
            tx.multi()
            tx.set(key, "w")
    assert client.stats().moved == 1
    assert await client.get(key) == b"w"


async def test_watch_waits_for_a_migrating_slot_before_the_block_runs(
    client: RedisCluster[bytes], own_cluster: ClusterInfo
) -> None:
    slot = key_slot("{watchask}")
    await client.mset({"{watchask}:a": "v", "{watchask}:b": "v"})
    source, target = elsewhere(own_cluster, slot)
    begin_migration(source, target, slot)
    migrate_keys(source, target, slot, limit=1)
    key, _ = moved_first(source, "{watchask}:a", "{watchask}:b")  # the source answers ASK

    async def finish_later() -> None:
        await asyncio.sleep(1.0)
        migrate_keys(source, target, slot)
        finish_migration(own_cluster, source, target, slot)

    finisher = asyncio.ensure_future(finish_later())
    try:
        async with asyncio.timeout(10):
            async with client.watch(key) as tx:
                tx.multi()
                tx.set(key, "w")
    finally:
        await finisher
    assert client.stats().retried >= 1
    assert await client.get(key) == b"w"
