"""Graceful shutdown: ``aclose(grace=...)`` refuses new commands and lets those in flight finish.

Commands are held in flight by a stalled proxy (their bytes wait in it) or by a client that
has not connected yet, ``aclose`` starts, then the proxy delivers: every command issued
before the call completes with its value, one issued after it raises, and no task,
connection or pending future is left behind.
"""

from __future__ import annotations

import asyncio
import gc
import time
import uuid
from typing import Any

import pytest

from redis_oxide import Redis, Sentinel
from redis_oxide.exceptions import ConnectionClosedError, ConnectionError
from redis_oxide.testing import RedisServerInfo, SentinelInfo
from redis_oxide.testing._proxy import ProxyFactory
from tests.conftest import Figure

pytestmark = pytest.mark.timeout(60)

IN_FLIGHT = 1000


def _left_over() -> set[asyncio.Task[Any]]:
    # Tasks besides the test's own and the fault proxy's (which the fixture closes).
    gc.collect()
    return {
        t
        for t in asyncio.all_tasks()
        if t is not asyncio.current_task() and "TcpProxy" not in t.get_coro().__qualname__
    }


@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
async def test_aclose_lets_a_thousand_commands_in_flight_finish(
    redis_stack: RedisServerInfo, tcp_proxy: ProxyFactory, strategy: Any, figures: Figure
) -> None:
    proxy = await tcp_proxy(redis_stack)
    key = f"shutdown:{uuid.uuid4().hex}"
    r = Redis(proxy.host, proxy.port, strategy=strategy, max_connections=20)
    await r.set(key, "v")
    proxy.stall()
    calls = [asyncio.ensure_future(r.get(key)) for _ in range(IN_FLIGHT)]
    await asyncio.sleep(0.05)  # sent (multiplexed) or leased and waiting (pooled)
    started = time.monotonic()
    closing = asyncio.ensure_future(r.aclose(grace=1))
    await asyncio.sleep(0.1)
    with pytest.raises(ConnectionClosedError, match=r"aclose\(\) was called"):
        await r.get(key)
    proxy.resume()
    await closing
    took = time.monotonic() - started
    values = await asyncio.gather(*calls, return_exceptions=True)
    assert values == [b"v"] * IN_FLIGHT
    assert took < 1.0
    assert r.stats().connections == 0
    assert _left_over() == set()
    figures(f"{strategy}: {IN_FLIGHT} in flight, aclose took", f"{took:.3f} s")
    async with Redis(redis_stack.host, redis_stack.port) as cleanup:
        await cleanup.delete(key)


async def test_commands_waiting_for_the_first_connection_are_served_too(
    redis_stack: RedisServerInfo,
) -> None:
    r = Redis(redis_stack.host, redis_stack.port)
    calls = [asyncio.ensure_future(r.ping()) for _ in range(IN_FLIGHT)]
    await asyncio.sleep(0)  # every call now waits for the connect under way
    await r.aclose(grace=1)
    values = await asyncio.gather(*calls, return_exceptions=True)
    assert values == [b"PONG"] * IN_FLIGHT
    assert _left_over() == set()


async def test_aclose_aborts_what_is_still_in_flight_after_grace(
    redis_stack: RedisServerInfo, tcp_proxy: ProxyFactory
) -> None:
    proxy = await tcp_proxy(redis_stack)
    r = Redis(proxy.host, proxy.port)
    await r.ping()
    proxy.stall()
    calls = [asyncio.ensure_future(r.ping()) for _ in range(10)]
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await r.aclose(grace=0.2)
    took = time.monotonic() - started
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert all(isinstance(e, ConnectionError) for e in results), results
    assert 0.15 < took < 1.0
    assert _left_over() == set()
    proxy.resume()


async def test_aclose_rejects_a_negative_grace(redis_stack: RedisServerInfo) -> None:
    async with Redis(redis_stack.host, redis_stack.port) as r:
        with pytest.raises(ValueError, match="grace"):
            await r.aclose(grace=-1)


async def test_sentinel_aclose_drains_its_clients(
    redis_sentinel: SentinelInfo, figures: Figure
) -> None:
    sentinels = [(s.host, s.port) for s in redis_sentinel.sentinels]
    sentinel = Sentinel(sentinels)
    primary = sentinel.primary_for(redis_sentinel.master_name)
    replica = sentinel.replica_for(redis_sentinel.master_name)
    await primary.ping()
    await replica.ping()
    calls = [asyncio.ensure_future(primary.ping()) for _ in range(IN_FLIGHT)]
    calls += [asyncio.ensure_future(replica.ping()) for _ in range(IN_FLIGHT)]
    started = time.monotonic()
    await sentinel.aclose(grace=1)
    took = time.monotonic() - started
    values = await asyncio.gather(*calls, return_exceptions=True)
    assert values == [b"PONG"] * (2 * IN_FLIGHT)
    with pytest.raises(ConnectionClosedError):
        await primary.ping()
    assert _left_over() == set()
    figures("sentinel aclose with 2,000 in flight", f"{took:.3f} s")
