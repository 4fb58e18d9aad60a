"""Client-side deadlines: a caller's wait is bounded on either strategy, whatever it sends.

A suspended server (SIGSTOP) accepts TCP connections through the backlog and never answers,
like a hung host; a busy pool is a held lease.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Literal

import pytest

from redis_oxide import Redis, Retry
from redis_oxide.exceptions import CommandTimeoutError, ConnectTimeoutError
from redis_oxide.testing import RedisServerInfo, raw_command

pytestmark = pytest.mark.timeout(60)

Strategy = Literal["multiplexed", "pooled"]


@pytest.fixture
def server(stoppable_server: RedisServerInfo) -> RedisServerInfo:
    return stoppable_server  # frozen by the tests, resumed at the end (tests/conftest.py)


async def _batch(client: Redis[bytes], *, transaction: bool) -> list[object]:
    pipe = client.pipeline(transaction=transaction)
    pipe.set("written", "1")
    pipe.incr("n")
    return await pipe.execute()


@pytest.mark.parametrize("transaction", [False, True])
async def test_pooled_batch_waiting_for_a_busy_pool_times_out_at_command_timeout(
    server: RedisServerInfo, transaction: bool
) -> None:
    async with Redis(
        server.host,
        server.port,
        strategy="pooled",
        max_connections=1,
        pool_timeout=5.0,
        command_timeout=0.3,
    ) as client:
        holder = asyncio.ensure_future(client.blpop(["nothing"], timeout=2))
        await asyncio.sleep(0.1)  # the BLPOP holds the only connection
        started = time.monotonic()
        with pytest.raises(CommandTimeoutError) as caught:
            await _batch(client, transaction=transaction)
        assert 0.25 < time.monotonic() - started < 1.0
        what = "transaction" if transaction else "pipeline"
        assert f"{what}: no pooled connection to {server.host}:{server.port} within 0.3 s" in str(
            caught.value
        )
        assert "it was not sent" in str(caught.value)
        assert caught.value.may_have_executed is False
        assert await holder is None
        assert await client.get("written") is None


@pytest.mark.parametrize("transaction", [False, True])
async def test_pooled_batch_to_a_hung_server_times_out_at_command_timeout(
    server: RedisServerInfo, transaction: bool
) -> None:
    assert server.process is not None
    await asyncio.to_thread(server.process.suspend)
    client = Redis(server.host, server.port, strategy="pooled", command_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(CommandTimeoutError) as caught:
        await _batch(client, transaction=transaction)
    assert 0.45 < time.monotonic() - started < 1.5  # not the 10 s connect_timeout
    assert "it was not sent" in str(caught.value)
    assert caught.value.may_have_executed is False
    await client.aclose(grace=0)
    await asyncio.to_thread(server.process.resume)
    assert raw_command(server.endpoint, "EXISTS", "written") == 0


async def test_multiplexed_connect_that_times_out_is_not_tried_again_by_the_same_caller(
    server: RedisServerInfo,
) -> None:
    assert server.process is not None
    await asyncio.to_thread(server.process.suspend)
    retry = Retry(attempts=3, backoff_base=0.01, jitter=False)
    async with Redis(server.host, server.port, connect_timeout=0.5, retry=retry) as client:
        started = time.monotonic()
        with pytest.raises(ConnectTimeoutError) as caught:
            await client.get("k")
        assert time.monotonic() - started < 0.9  # one connect_timeout, not three
        assert "took longer than 0.5 s" in str(caught.value)
        await client.aclose(grace=0)


def _blocking_calls(client: Redis[bytes]) -> dict[str, Callable[[], Awaitable[object]]]:
    return {
        "BLPOP": lambda: client.blpop(["nothing"], timeout=0.3),
        "BZPOPMIN": lambda: client.bzpopmin(["nothing"], timeout=0.3),
        "BLMPOP": lambda: client.blmpop(0.3, ["nothing"], "LEFT"),
        "XREAD": lambda: client.xread({"stream": "$"}, block=300),
    }


@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
@pytest.mark.parametrize("command", ["BLPOP", "BZPOPMIN", "BLMPOP", "XREAD"])
async def test_blocking_command_on_a_hung_server_times_out_after_its_timeout_and_command_timeout(
    server: RedisServerInfo, strategy: Strategy, command: str
) -> None:
    assert server.process is not None
    async with Redis(server.host, server.port, strategy=strategy, command_timeout=0.5) as client:
        call = _blocking_calls(client)[command]
        assert await call() is None  # the dedicated connection is open and idle
        await asyncio.to_thread(server.process.suspend)
        started = time.monotonic()
        with pytest.raises(CommandTimeoutError) as caught:
            await call()
        assert 0.75 < time.monotonic() - started < 1.5  # 0.3 s of its own + 0.5 s
        assert caught.value.command == command
        assert caught.value.may_have_executed is True  # written: the server may still run it
        await client.aclose(grace=0)


@pytest.mark.parametrize("command_timeout", [0.5, None])
async def test_blocking_command_that_blocks_forever_or_without_command_timeout_is_unbounded(
    server: RedisServerInfo, command_timeout: float | None
) -> None:
    assert server.process is not None
    async with Redis(server.host, server.port, command_timeout=command_timeout) as client:
        assert await client.blpop(["nothing"], timeout=0.1) is None
        await asyncio.to_thread(server.process.suspend)
        timeout = 0 if command_timeout is not None else 0.1
        call = asyncio.ensure_future(client.blpop(["nothing"], timeout=timeout))
        done, _ = await asyncio.wait([call], timeout=1.5)
        assert not done
        call.cancel()
        await client.aclose(grace=0)


@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
async def test_pipeline_holding_blocking_commands_on_a_hung_server_times_out_after_their_timeouts(
    server: RedisServerInfo, strategy: Strategy
) -> None:
    assert server.process is not None
    async with Redis(server.host, server.port, strategy=strategy, command_timeout=0.5) as client:
        pipe = client.pipeline(transaction=False)
        pipe.blpop(["nothing"], timeout=0.1)
        assert await pipe.execute() == [None]  # the dedicated connection is open and idle
        await asyncio.to_thread(server.process.suspend)
        pipe = client.pipeline(transaction=False)
        pipe.set("written", "1")
        pipe.blpop(["nothing"], timeout=0.3)
        pipe.bzpopmin(["nothing"], timeout=0.2)
        started = time.monotonic()
        with pytest.raises(CommandTimeoutError):
            async with asyncio.timeout(5):  # unbounded before: it waited for ever
                await pipe.execute()
        assert 0.95 < time.monotonic() - started < 2.0  # 0.3 + 0.2 s of their own + 0.5 s
        await client.aclose(grace=0)


@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
async def test_transaction_holding_a_blocking_command_is_bounded_by_command_timeout(
    server: RedisServerInfo, strategy: Strategy
) -> None:
    # Inside MULTI/EXEC a blocking command does not block; the transaction is an ordinary one.
    assert server.process is not None
    async with Redis(server.host, server.port, strategy=strategy, command_timeout=0.5) as client:
        pipe = client.pipeline(transaction=True)
        pipe.rpush("list", "a")
        pipe.blpop(["list"], timeout=0)
        pipe.blpop(["list"], timeout=0)
        assert await pipe.execute() == [1, (b"list", b"a"), None]
        await asyncio.to_thread(server.process.suspend)
        pipe = client.pipeline(transaction=True)
        pipe.blpop(["list"], timeout=0)
        started = time.monotonic()
        with pytest.raises(CommandTimeoutError):
            async with asyncio.timeout(5):  # unbounded before: BLPOP 0 made it wait for ever
                await pipe.execute()
        assert 0.45 < time.monotonic() - started < 1.5
        await client.aclose(grace=0)


async def test_pipeline_holding_a_command_that_blocks_forever_is_unbounded(
    server: RedisServerInfo,
) -> None:
    assert server.process is not None
    async with Redis(server.host, server.port, command_timeout=0.5) as client:
        pipe = client.pipeline(transaction=False)
        pipe.blpop(["nothing"], timeout=0.1)
        assert await pipe.execute() == [None]
        await asyncio.to_thread(server.process.suspend)
        pipe = client.pipeline(transaction=False)
        pipe.blpop(["nothing"], timeout=0.1)
        pipe.blpop(["nothing"], timeout=0)
        call = asyncio.ensure_future(pipe.execute())
        done, _ = await asyncio.wait([call], timeout=1.5)
        assert not done
        call.cancel()
        await client.aclose(grace=0)


@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
@pytest.mark.parametrize("how", ["watch", "transaction"])
async def test_watch_transaction_on_a_hung_server_times_out_at_command_timeout(
    server: RedisServerInfo, strategy: Strategy, how: str
) -> None:
    # The lease's new connection gets no handshake answer; connect_timeout (10 s) is not
    # what the caller asked to wait.
    assert server.process is not None
    async with Redis(server.host, server.port, strategy=strategy, command_timeout=0.5) as client:
        await asyncio.to_thread(server.process.suspend)  # before any connection is open

        async def body(tx: object) -> None:
            raise AssertionError("never reached: no connection to WATCH on")

        async def attempt() -> None:
            async with asyncio.timeout(5):
                if how == "watch":
                    async with client.watch("k"):
                        raise AssertionError("never reached")
                else:
                    await client.transaction(body, "k")

        started = time.monotonic()
        with pytest.raises(CommandTimeoutError) as caught:
            await attempt()
        assert 0.45 < time.monotonic() - started < 1.5
        assert f"{how}: no connection within 0.5 s (command_timeout); nothing was sent" in str(
            caught.value
        )
        assert caught.value.may_have_executed is False
        await client.aclose(grace=0)
