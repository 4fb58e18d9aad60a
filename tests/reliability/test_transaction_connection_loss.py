"""``transaction(func)`` runs again on a new connection when its WATCH connection was lost
before EXEC could have run, as it does after a lost race; a loss after EXEC was written is
the caller's to see (the transaction may have run)."""

from __future__ import annotations

import asyncio

import pytest

from redis_oxide import Redis, Transaction
from redis_oxide.exceptions import ConnectionLostError
from redis_oxide.testing import RedisServerInfo

pytestmark = pytest.mark.timeout(60)


async def _kill_others(admin: Redis[bytes]) -> None:
    await admin.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")


@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
async def test_connection_lost_while_watching_runs_the_function_again(
    redis_7: RedisServerInfo, strategy: str
) -> None:
    async with (
        Redis(redis_7.host, redis_7.port, strategy=strategy) as client,  # type: ignore[call-overload]
        Redis(redis_7.host, redis_7.port) as admin,
    ):
        await client.set("counter", 0)
        calls = 0

        async def increment(tx: Transaction[bytes]) -> int:
            nonlocal calls
            calls += 1
            value = int(await tx.get("counter") or 0)
            if calls == 1:
                await _kill_others(admin)  # the WATCH connection dies before EXEC
                await asyncio.sleep(0.05)
            tx.multi()
            tx.set("counter", value + 1)
            return value + 1

        async with asyncio.timeout(10):
            assert await client.transaction(increment, "counter") == 1
        assert calls == 2
        assert await client.get("counter") == b"1"


async def test_connection_lost_on_every_attempt_raises_after_the_retries(
    redis_7: RedisServerInfo,
) -> None:
    async with (
        Redis(redis_7.host, redis_7.port) as client,
        Redis(redis_7.host, redis_7.port) as admin,
    ):
        calls = 0

        async def doomed(tx: Transaction[bytes]) -> None:
            nonlocal calls
            calls += 1
            await tx.get("k")
            await _kill_others(admin)
            await asyncio.sleep(0.05)
            await tx.get("k")  # the lease's connection is gone

        with pytest.raises(ConnectionLostError) as caught:
            async with asyncio.timeout(10):
                await client.transaction(doomed, "k", retries=2)
        assert calls == 3
        assert caught.value.may_have_executed is False
