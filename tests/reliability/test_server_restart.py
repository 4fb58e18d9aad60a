"""A server restart in the middle of a workload: bounded calls, quick recovery."""

from __future__ import annotations

import asyncio
import collections
import time
from typing import TYPE_CHECKING, Any

import pytest

from redis_oxide._client import Redis
from redis_oxide._exceptions import RedisError
from redis_oxide._retry import Retry
from redis_oxide.testing.plugin import ServerFactory

if TYPE_CHECKING:
    from tests.conftest import Figure

pytestmark = pytest.mark.timeout(60)

COMMAND_TIMEOUT = 1.0
WORKERS = 50
PER_WORKER = 200
# Time the event loop may add on top of a deadline on a busy two-core machine.
SLACK = 0.25


@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
async def test_restart_mid_workload_bounds_every_call_and_recovers(
    redis_server_factory: ServerFactory, strategy: Any, figures: Figure
) -> None:
    info = redis_server_factory("7")
    assert info.process is not None
    outcomes: collections.Counter[str] = collections.Counter()
    slowest = 0.0
    finished = 0
    warmed_up = asyncio.Event()

    async with Redis(
        info.host,
        info.port,
        strategy=strategy,
        command_timeout=COMMAND_TIMEOUT,
        pool_timeout=COMMAND_TIMEOUT,
        connect_timeout=COMMAND_TIMEOUT,
        retry=Retry(attempts=3, backoff_base=0.02, backoff_cap=0.5),
    ) as client:

        async def worker(w: int) -> None:
            nonlocal slowest, finished
            for i in range(PER_WORKER):
                args = ("SET", f"w{w}", i) if i % 2 else ("GET", f"w{w}")
                started = time.monotonic()
                try:
                    await client.execute_command(*args)
                    outcomes["ok"] += 1
                except RedisError as exc:
                    outcomes[type(exc).__name__] += 1
                    await asyncio.sleep(0.01)  # keep the workload spread over the outage
                slowest = max(slowest, time.monotonic() - started)
                finished += 1
                if finished >= WORKERS * PER_WORKER // 5:
                    warmed_up.set()
                await asyncio.sleep(0.001)

        workers = [asyncio.ensure_future(worker(w)) for w in range(WORKERS)]
        await warmed_up.wait()
        await asyncio.to_thread(info.process.kill)
        await asyncio.sleep(0.3)
        await asyncio.to_thread(info.process.restart)
        back = time.monotonic()
        while True:
            try:
                await client.execute_command("PING")
                break
            except RedisError:
                await asyncio.sleep(0.02)
            assert time.monotonic() - back < 2.0, "client did not recover within 2 s"
        recovered_after = time.monotonic() - back
        await asyncio.gather(*workers)

    figures("calls", sum(outcomes.values()))
    figures("outcomes", dict(outcomes))
    figures("slowest call (s)", round(slowest, 3))
    figures("serving again after restart (s)", round(recovered_after, 3))
    assert recovered_after < 2.0
    assert sum(outcomes.values()) == WORKERS * PER_WORKER
    assert outcomes["ok"] > WORKERS * PER_WORKER // 2
    assert set(outcomes) - {"ok"}, "the outage went unnoticed"
    assert set(outcomes) <= {
        "ok",
        "ConnectFailedError",
        "ConnectionLostError",
        "CommandTimeoutError",
        "PoolTimeoutError",
        "ConnectTimeoutError",
    }
    assert slowest < COMMAND_TIMEOUT + SLACK
