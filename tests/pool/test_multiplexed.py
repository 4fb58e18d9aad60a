"""The multiplexed strategy: sharing, dedicated leases, reconnecting."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from redis_oxide._connection_setup import ConnectionConfig, FixedConnector, open_connection
from redis_oxide._exceptions import ConnectFailedError
from redis_oxide._generated import _meta as _m
from redis_oxide._pool import MultiplexedPool
from redis_oxide._retry import Retry
from redis_oxide.testing._info import RedisServerInfo

pytestmark = pytest.mark.timeout(30)


def _pool(info: RedisServerInfo, **options: Any) -> MultiplexedPool:
    config = ConnectionConfig(host=info.host, port=info.port)
    options.setdefault("retry", Retry(attempts=3, backoff_base=0.01, backoff_cap=0.05))
    return MultiplexedPool(FixedConnector(config), max_dedicated=4, pool_timeout=5.0, **options)


async def test_concurrent_commands_share_one_connection(redis_stack: RedisServerInfo) -> None:
    pool = _pool(redis_stack)
    try:
        results = await asyncio.gather(
            *(pool.execute(_m.ECHO, ["ECHO", str(i)], None, None) for i in range(1000))
        )
        assert results == [str(i).encode() for i in range(1000)]
        stats = pool.stats()
        assert (stats.connections, stats.pending, stats.reconnects) == (1, 0, 0)
    finally:
        await pool.aclose()


async def test_several_shared_connections_are_used_in_turn(redis_stack: RedisServerInfo) -> None:
    pool = _pool(redis_stack, connections=3)
    try:
        ids = set()
        for _ in range(6):
            ids.add(await pool.execute(_m.CLIENT_ID, ["CLIENT", "ID"], None, None))
        assert len(ids) == 3
    finally:
        await pool.aclose()


async def test_blocking_command_runs_on_a_dedicated_connection(
    redis_stack: RedisServerInfo,
) -> None:
    pool = _pool(redis_stack)
    try:
        shared_id = await pool.execute(_m.CLIENT_ID, ["CLIENT", "ID"], None, None)
        blpop = asyncio.ensure_future(
            pool.execute(_m.BLPOP, ["BLPOP", "mux-test:empty", "0.5"], None, None, blocking=True)
        )
        await asyncio.sleep(0.05)
        assert pool.stats().leased == 1
        started = time.monotonic()
        for _ in range(50):
            assert await pool.execute(_m.PING, ["PING"], None, None) == b"PONG"
        assert time.monotonic() - started < 0.4
        assert not blpop.done()
        assert await blpop is None
        assert await pool.execute(_m.CLIENT_ID, ["CLIENT", "ID"], None, None) == shared_id
        assert pool.stats().idle == 1
    finally:
        await pool.aclose()


async def test_lost_shared_connection_is_replaced_and_counted(
    redis_stack: RedisServerInfo,
) -> None:
    pool = _pool(redis_stack)
    admin = await open_connection(ConnectionConfig(host=redis_stack.host, port=redis_stack.port))
    try:
        client_id = await pool.execute(_m.CLIENT_ID, ["CLIENT", "ID"], None, None)
        await admin.send(["CLIENT", "KILL", "ID", client_id], None, _m.CLIENT_KILL)
        for _ in range(100):
            if pool.ready_connection() is None:
                break
            await asyncio.sleep(0.01)
        assert await pool.execute(_m.PING, ["PING"], None, None) == b"PONG"
        assert pool.stats().reconnects == 1
        assert "reconnects=1" in repr(pool)
    finally:
        await admin.aclose()
        await pool.aclose()


async def test_unreachable_server_fails_after_the_retry_budget() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    config = ConnectionConfig(port=port)
    pool = MultiplexedPool(
        FixedConnector(config),
        max_dedicated=1,
        pool_timeout=1.0,
        retry=Retry(attempts=3, backoff_base=0.05, backoff_cap=0.1, jitter=False),
    )
    try:
        started = time.monotonic()
        with pytest.raises(ConnectFailedError):
            await pool.execute(_m.PING, ["PING"], None, None)
        # three tries with 50 ms and 100 ms pauses in between
        assert 0.1 < time.monotonic() - started < 1.0
    finally:
        await pool.aclose()


def test_retry_delays_grow_and_are_capped() -> None:
    retry = Retry(attempts=5, backoff_base=0.1, backoff_cap=0.5, jitter=False)
    assert [retry.delay(n) for n in range(6)] == [0.0, 0.1, 0.2, 0.4, 0.5, 0.5]
    jittered = Retry(backoff_base=0.1, backoff_cap=0.5)
    assert all(0.2 <= jittered.delay(3) <= 0.4 for _ in range(50))
    with pytest.raises(ValueError, match="attempts"):
        Retry(attempts=0)
