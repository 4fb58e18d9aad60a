"""Pipelines and transactions in flight when the connection dies: they fail, never hang."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Literal

import pytest

from redis_oxide._client import Redis
from redis_oxide._exceptions import ConnectFailedError, ConnectionLostError
from redis_oxide._pipeline import PipelineResult
from redis_oxide._transaction import Transaction
from redis_oxide.testing._info import RedisServerInfo

pytestmark = pytest.mark.timeout(30)

# Longer than two chunks of _CHUNK_COMMANDS, so the windowed path has a chunk left to send.
LONG = 2500


def _key() -> str:
    return f"pipeline-loss:{uuid.uuid4().hex}"


@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
@pytest.mark.parametrize(
    ("transaction", "size", "blocking"),
    [(False, 3, False), (True, 3, False), (False, LONG, False), (False, 3, True)],
    ids=["plain", "multi-exec", "chunked", "blocking-lease"],
)
async def test_pipeline_in_flight_fails_with_connection_lost(
    redis_stack: RedisServerInfo,
    tcp_proxy: Any,
    strategy: Literal["multiplexed", "pooled"],
    transaction: bool,
    size: int,
    blocking: bool,
) -> None:
    key = _key()
    proxy = await tcp_proxy(redis_stack)
    async with Redis(proxy.host, proxy.port, strategy=strategy) as client:
        await client.ping()
        if blocking:  # open the dedicated connection while the proxy still forwards
            await client.blpop([key + ":warm"], 0.01)
        pipe = client.pipeline(transaction=transaction)
        handles: list[PipelineResult[Any]] = [pipe.result(pipe.incr(key)) for _ in range(size - 1)]
        handles.append(pipe.result(pipe.blpop([key + ":q"], 5) if blocking else pipe.get(key)))
        proxy.stall()
        running = asyncio.ensure_future(pipe.execute())
        bystander = asyncio.ensure_future(client.incr(key + ":other"))
        await asyncio.sleep(0.05)  # everything is written and held by the proxy
        proxy.cut()
        proxy.resume()
        with pytest.raises(ConnectionLostError) as caught:
            await asyncio.wait_for(running, 5)
        assert caught.value.may_have_executed is True
        assert caught.value.address is not None
        for handle in handles:
            assert handle.is_ready()
            with pytest.raises(ConnectionLostError):
                _ = handle.value
        # A pooled bystander was opening its own connection through the stalled proxy.
        lost = ConnectionLostError if strategy == "multiplexed" else ConnectFailedError
        with pytest.raises(lost):
            await asyncio.wait_for(bystander, 5)
        # The client recovers: a new connection serves the next pipeline.
        async with client.pipeline(transaction=transaction) as again:
            pong = again.result(again.ping())
        assert pong.value == b"PONG"
        assert client.stats().leased == 0


async def test_watched_transaction_loses_its_connection_during_exec(
    redis_stack: RedisServerInfo, tcp_proxy: Any
) -> None:
    key = _key()
    proxy = await tcp_proxy(redis_stack)

    async def attempt(tx: Transaction[bytes]) -> None:
        await tx.get(key)
        proxy.stall()  # EXEC and the queued commands will be held
        tx.multi()
        tx.incr(key)
        tx.incr(key)

    async with Redis(proxy.host, proxy.port) as client:
        running = asyncio.ensure_future(client.transaction(attempt, key))
        await asyncio.sleep(0.1)
        proxy.cut()
        proxy.resume()
        with pytest.raises(ConnectionLostError) as caught:
            await asyncio.wait_for(running, 5)
        assert caught.value.may_have_executed is True
        assert client.stats().leased == 0
        assert await client.incr(key + ":after") == 1
