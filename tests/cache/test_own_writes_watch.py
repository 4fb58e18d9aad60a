"""A WATCH transaction's writes are visible to the client's next read, whatever keys it watches.

``watch()`` and ``transaction(func, *keys)`` run on a lease of their own, outside the cache's
single-command and pipeline paths. Their writes (queued after ``multi()`` and sent with EXEC,
or run at once before it) must still invalidate their keys when sent and again when answered:
the server's invalidation travels on the tracking connection and may come late. Each test
holds that connection (a stalled proxy route, or a paused socket on a cluster node) so the
server's invalidation cannot arrive first, and fails if a hit serves the old value after the
write was acknowledged.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

from redis_oxide import Redis, RedisCluster, Transaction
from redis_oxide._cache import CachingExecutor
from redis_oxide._cluster import ClusterExecutor
from redis_oxide._connection_setup import FixedConnector
from redis_oxide.testing import ClusterInfo
from redis_oxide.testing._info import RedisServerInfo
from redis_oxide.testing._proxy import TcpProxy

if TYPE_CHECKING:
    from redis_oxide.testing.plugin import ProxyFactory

pytestmark = pytest.mark.timeout(30)

# How long a read held by a stalled route is given to (wrongly) complete.
HELD = 0.1
STALE = "a hit served the value the client's own acknowledged WATCH transaction overwrote"


@dataclasses.dataclass
class Split:
    client: Redis[bytes]
    main: TcpProxy  # the client's own connections, leases included
    tracking: TcpProxy  # the cache's tracking connection


@pytest.fixture
async def split(flushed_stack: RedisServerInfo, tcp_proxy: ProxyFactory) -> AsyncIterator[Split]:
    main, tracking = await tcp_proxy(flushed_stack), await tcp_proxy(flushed_stack)
    async with Redis(main.host, main.port, cache=True) as client:
        executor = client._executor
        assert isinstance(executor, CachingExecutor)
        route = dataclasses.replace(
            client._config.connection, host=tracking.host, port=tracking.port
        )
        executor._connector._inner = FixedConnector(route)  # before the first read
        yield Split(client, main, tracking)


def _keys() -> tuple[str, str]:
    tag = uuid.uuid4().hex[:8]
    return f"{{own:{tag}}}:written", f"{{own:{tag}}}:watched"


async def _cached(client: Redis[bytes] | RedisCluster[bytes], key: str) -> None:
    await client.set(key, "old")
    assert await client.get(key) == b"old"  # a miss: filled
    assert await client.get(key) == b"old"  # a hit


async def _not_served_stale(split: Split, key: str) -> None:
    split.tracking.stall()  # the server's invalidation stays behind it
    try:
        read = asyncio.ensure_future(split.client.get(key))
        await asyncio.sleep(HELD)
        assert not read.done(), f"{STALE}: {read.result()!r}"
    finally:
        split.tracking.resume()
    assert await read == b"new"


async def test_queued_write_of_an_unwatched_key(split: Split) -> None:
    key, watched = _keys()
    await _cached(split.client, key)
    split.tracking.stall()
    async with split.client.watch(watched) as tx:
        tx.multi()
        tx.set(key, "new")
    await _not_served_stale(split, key)


async def test_queued_write_again_on_a_reused_lease(split: Split) -> None:
    key, watched = _keys()
    for _ in range(2):  # the second one gets the connection the first released
        await _cached(split.client, key)
        split.tracking.stall()
        async with split.client.watch(watched) as tx:
            tx.multi()
            tx.set(key, "new")
        await _not_served_stale(split, key)


async def test_immediate_write_while_watching(split: Split) -> None:
    key, watched = _keys()
    await _cached(split.client, key)
    split.tracking.stall()
    async with split.client.watch(watched) as tx:
        assert await tx.set(key, "new") is True  # before multi(): runs at once
        await _not_served_stale(split, key)  # acknowledged: visible before EXEC
        tx.multi()


async def test_transaction_function_writing_another_key(split: Split) -> None:
    key, watched = _keys()
    await _cached(split.client, key)

    async def write(tx: Transaction[bytes]) -> None:
        await tx.get(watched)
        tx.multi()
        tx.set(key, "new")

    split.tracking.stall()
    await split.client.transaction(write, watched)
    await _not_served_stale(split, key)


async def test_queued_write_invalidates_again_when_exec_is_answered(split: Split) -> None:
    key, watched = _keys()
    await _cached(split.client, key)
    async with split.client.watch(watched) as tx:
        tx.multi()
        tx.set(key, "new")
        split.main.stall()
        run = asyncio.ensure_future(tx.execute())  # EXEC sent, held on the client's route
        await asyncio.sleep(HELD)
        # Sent after EXEC, run before it: the old value is filled, true until EXEC runs.
        assert await split.client.get(key) == b"old"
        split.tracking.stall()
        split.main.resume()
        assert await run == [True]
    await _not_served_stale(split, key)


async def test_cluster_queued_and_immediate_writes(redis_cluster: ClusterInfo) -> None:
    seed = redis_cluster.primaries[0]
    async with RedisCluster(seed.host, seed.port, cache=True, command_timeout=5.0) as client:
        key, watched = _keys()
        await _cached(client, key)
        cluster = client._executor
        assert isinstance(cluster, ClusterExecutor)
        node = cluster.executor_for_keys([key])
        assert isinstance(node, CachingExecutor)
        tracking = node._pool.sole
        assert tracking is not None

        async def read_held() -> None:
            tracking.pause_reading()  # the node's invalidations stay unread
            try:
                read = asyncio.ensure_future(client.get(key))
                await asyncio.sleep(HELD)
                assert not read.done(), f"{STALE}: {read.result()!r}"
            finally:
                tracking.resume_reading()
            assert await read == b"new"

        tracking.pause_reading()
        async with client.watch(watched) as tx:
            tx.multi()
            tx.set(key, "new")
        await read_held()

        await _cached(client, key)
        tracking.pause_reading()
        async with client.watch(watched) as tx:
            assert await tx.set(key, "new") is True
            await read_held()
            tx.multi()
