"""The pooled strategy: leasing, waiting, timeouts, cancellation, stale leases."""

from __future__ import annotations

import asyncio

import pytest

from redis_oxide._connection_setup import ConnectionConfig, FixedConnector
from redis_oxide._exceptions import InvalidUsageError, PoolTimeoutError
from redis_oxide._pool import ConnectionPool
from redis_oxide.testing._info import RedisServerInfo

pytestmark = pytest.mark.timeout(30)


def _pool(
    info: RedisServerInfo, *, max_connections: int, pool_timeout: float | None = 5.0
) -> ConnectionPool:
    config = ConnectionConfig(host=info.host, port=info.port)
    return ConnectionPool(
        FixedConnector(config), max_connections=max_connections, pool_timeout=pool_timeout
    )


async def test_pool_waits_when_exhausted(redis_stack: RedisServerInfo) -> None:
    pool = _pool(redis_stack, max_connections=2)
    try:
        first = await pool.lease()
        second = await pool.lease()
        third = asyncio.ensure_future(pool.lease())
        await asyncio.sleep(0.05)
        assert not third.done()
        assert pool.stats().waiting == 1
        first_conn = first.connection
        first.release()
        lease = await asyncio.wait_for(third, 1)
        assert lease.connection is first_conn
        assert pool.stats().leased == 2
        second.release()
        lease.release()
        assert pool.stats().idle == 2
    finally:
        await pool.aclose()


async def test_pool_timeout_raises_pool_timeout_error(redis_stack: RedisServerInfo) -> None:
    pool = _pool(redis_stack, max_connections=1, pool_timeout=0.1)
    try:
        held = await pool.lease()
        with pytest.raises(PoolTimeoutError):
            await pool.lease()
        assert pool.stats().waiting == 0
        held.release()
        (await pool.lease()).release()
    finally:
        await pool.aclose()


async def test_cancelled_waiter_leaks_no_slot(redis_stack: RedisServerInfo) -> None:
    pool = _pool(redis_stack, max_connections=1)
    try:
        held = await pool.lease()
        waiters = [asyncio.ensure_future(pool.lease()) for _ in range(5)]
        await asyncio.sleep(0.01)
        for waiter in waiters[:4]:
            waiter.cancel()
        held.release()
        last = await asyncio.wait_for(waiters[4], 1)
        assert all(w.cancelled() for w in waiters[:4])
        stats = pool.stats()
        assert (stats.leased, stats.waiting, stats.connections) == (1, 0, 1)
        last.release()
    finally:
        await pool.aclose()


async def test_waiter_cancelled_right_after_being_granted_gives_the_connection_back(
    redis_stack: RedisServerInfo,
) -> None:
    pool = _pool(redis_stack, max_connections=1)
    try:
        held = await pool.lease()
        waiter = asyncio.ensure_future(pool.lease())
        await asyncio.sleep(0.01)
        held.release()  # grants the connection to the waiter synchronously ...
        waiter.cancel()  # ... which is cancelled before it could run
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert pool.stats().leased == 0
        (await asyncio.wait_for(pool.lease(), 1)).release()
    finally:
        await pool.aclose()


async def test_released_lease_refuses_use_and_names_the_method(
    redis_stack: RedisServerInfo,
) -> None:
    pool = _pool(redis_stack, max_connections=1)
    try:
        stale = await pool.lease()
        assert await stale.execute("PING") == b"PONG"
        stale.release()
        fresh = await pool.lease()
        assert fresh.connection is stale._connection  # same socket, new generation
        with pytest.raises(InvalidUsageError, match=r"Lease\.execute\(\) called after"):
            await stale.execute("PING")
        with pytest.raises(InvalidUsageError, match=r"Lease\.send\(\)"):
            stale.send(["PING"])
        with pytest.raises(InvalidUsageError, match=r"Lease\.pause_reading\(\)"):
            stale.pause_reading()
        assert await fresh.execute("PING") == b"PONG"
        fresh.release()
    finally:
        await pool.aclose()


async def test_lease_with_reply_outstanding_is_discarded(redis_stack: RedisServerInfo) -> None:
    pool = _pool(redis_stack, max_connections=1)
    try:
        lease = await pool.lease()
        conn = lease.connection
        blocked = lease.send(["BLPOP", "pool-test:never", "5"])
        blocked.cancel()
        lease.release()
        await conn.wait_closed()
        assert conn.is_closed()
        assert pool.stats().connections == 0
        async with await pool.lease() as again:
            assert again.connection is not conn
            assert await again.execute("PING") == b"PONG"
    finally:
        await pool.aclose()


async def test_closed_pool_fails_waiters_and_refuses_leases(redis_stack: RedisServerInfo) -> None:
    pool = _pool(redis_stack, max_connections=1)
    held = await pool.lease()
    waiter = asyncio.ensure_future(pool.lease())
    await asyncio.sleep(0.01)
    await pool.aclose()
    with pytest.raises(ConnectionError):
        await waiter
    with pytest.raises(ConnectionError):
        await pool.lease()
    held.release()
    assert "closed" in repr(pool)


async def test_lease_released_while_paused_reads_again_for_the_next_holder(
    redis_stack: RedisServerInfo,
) -> None:
    pool = _pool(redis_stack, max_connections=1)
    try:
        lease = await pool.lease()
        lease.pause_reading()
        assert not lease.connection.is_reading()
        lease.release()
        fresh = await pool.lease()
        assert fresh.connection.is_reading()
        assert await asyncio.wait_for(fresh.execute("PING"), 5) == b"PONG"
        fresh.release()
    finally:
        await pool.aclose()
