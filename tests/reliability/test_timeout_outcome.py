"""A command timeout says whether the command may have run (``may_have_executed``).

A wait that ran out before the command was written (a busy pool, a blocking command's own
connection, a connect still under way) means it did not run: retrying a write is safe. A
written command whose reply did not come in time may still run: a server frozen with SIGSTOP
runs it once it resumes.
"""

from __future__ import annotations

import asyncio
import pickle
from typing import Any, Literal

import pytest

from redis_oxide import Redis, Retry
from redis_oxide.exceptions import CommandTimeoutError
from redis_oxide.testing import ProxyFactory, RedisServerInfo, raw_command

pytestmark = pytest.mark.timeout(60)

Strategy = Literal["multiplexed", "pooled"]


@pytest.fixture
def server(stoppable_server: RedisServerInfo) -> RedisServerInfo:
    return stoppable_server  # frozen by the tests, resumed at the end (tests/conftest.py)


async def _incr_in_transaction(client: Redis[bytes]) -> list[object]:
    pipe = client.pipeline(transaction=True)
    pipe.incr("counter")
    return await pipe.execute()


async def _settle(holder: asyncio.Future[Any]) -> None:
    # A failed assertion must not leave the holder's error unretrieved.
    holder.cancel()
    await asyncio.gather(holder, return_exceptions=True)


def test_command_timeout_error_keeps_its_outcome_through_pickle() -> None:
    assert CommandTimeoutError("slow").may_have_executed is True  # unknown: it may have run
    error = CommandTimeoutError("waited", may_have_executed=False, command="INCR", address="h:1")
    clone = pickle.loads(pickle.dumps(error))
    assert (clone.may_have_executed, clone.command, clone.address) == (False, "INCR", "h:1")
    assert repr(clone) == "CommandTimeoutError('waited')"


async def test_pooled_command_waiting_for_a_busy_pool_was_not_sent(
    server: RedisServerInfo,
) -> None:
    async with Redis(
        server.host,
        server.port,
        strategy="pooled",
        max_connections=1,
        pool_timeout=5.0,
        command_timeout=0.3,
    ) as client:
        holder = asyncio.ensure_future(client.blpop(["held"], timeout=5))
        try:
            await asyncio.sleep(0.1)  # the BLPOP holds the only connection
            with pytest.raises(CommandTimeoutError) as caught:
                await client.incr("counter")
            error = caught.value
            assert error.may_have_executed is False
            assert error.command == "INCR"
            assert (
                f"INCR: no pooled connection to {server.host}:{server.port} within 0.3 s "
                "(max_connections=1); it was not sent"
            ) in str(error)
            await asyncio.to_thread(raw_command, server.endpoint, "RPUSH", "held", "x")
            assert await holder == (b"held", b"x")
        finally:
            await _settle(holder)
        assert await client.get("counter") is None  # it never ran


async def test_blocking_command_waiting_for_its_own_connection_was_not_sent(
    server: RedisServerInfo,
) -> None:
    # The multiplexed strategy has no pool for ordinary commands: the wait is for one of the
    # connections blocking commands run on, and the message says so.
    async with Redis(
        server.host, server.port, max_connections=1, pool_timeout=5.0, command_timeout=0.3
    ) as client:
        await client.rpush("source", "item")
        holder = asyncio.ensure_future(client.blpop(["held"], timeout=5))
        try:
            await asyncio.sleep(0.1)  # the BLPOP holds the only connection for blocking commands
            with pytest.raises(CommandTimeoutError) as caught:
                await client.blmove("source", "target", "LEFT", "RIGHT", 0.2)
            error = caught.value
            assert error.may_have_executed is False
            assert error.command == "BLMOVE"
            text = str(error)
            address = f"{server.host}:{server.port}"
            assert f"BLMOVE: no connection for blocking commands to {address}" in text
            assert "(max_connections=1); it was not sent" in text
            assert "pooled" not in text
            await asyncio.to_thread(raw_command, server.endpoint, "RPUSH", "held", "x")
            assert await holder == (b"held", b"x")
        finally:
            await _settle(holder)
        assert await client.lrange("source", 0, -1) == [b"item"]  # BLMOVE never ran
        assert await client.exists("target") == 0


async def test_command_waiting_for_a_connect_still_under_way_was_not_sent(
    server: RedisServerInfo,
) -> None:
    assert server.process is not None
    await asyncio.to_thread(server.process.suspend)  # accepts, never answers the handshake
    async with Redis(server.host, server.port, connect_timeout=5.0, command_timeout=0.3) as client:
        with pytest.raises(CommandTimeoutError) as caught:
            await client.incr("counter")
        assert caught.value.may_have_executed is False
        assert "(still connecting); it was not sent" in str(caught.value)
        await asyncio.to_thread(server.process.resume)
        async with asyncio.timeout(5):
            assert await client.get("counter") is None  # the connect ends; INCR never ran


@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
@pytest.mark.parametrize("transaction", [False, True], ids=["command", "transaction"])
async def test_written_command_that_times_out_may_have_run_and_does_once_the_server_resumes(
    server: RedisServerInfo, strategy: Strategy, transaction: bool
) -> None:
    assert server.process is not None
    async with Redis(server.host, server.port, strategy=strategy, command_timeout=0.3) as client:
        assert await client.incr("counter") == 1  # connected
        await asyncio.to_thread(server.process.suspend)
        with pytest.raises(CommandTimeoutError) as caught:
            await (_incr_in_transaction(client) if transaction else client.incr("counter"))
        error = caught.value
        assert error.may_have_executed is True
        assert error.command == ("EXEC" if transaction else "INCR")
        assert "in time; it may have run" in str(error)
        await asyncio.to_thread(server.process.resume)
        # A pooled strategy gave the connection up (its reply was still due); the resumed
        # server reads the command before the close, and before a new connection's GET.
        async with asyncio.timeout(5):
            assert await client.get("counter") == b"2"


async def test_read_lost_after_it_was_written_then_timed_out_may_have_run(
    redis_7: RedisServerInfo, tcp_proxy: ProxyFactory
) -> None:
    # GET is written, its connection is reset, and its re-run finds no connection in time (the
    # proxy holds every handshake): the first attempt may have run, whatever the last says.
    proxy = await tcp_proxy(redis_7)
    retry = Retry(attempts=3, backoff_base=0.01, jitter=False)
    async with Redis(proxy.host, proxy.port, command_timeout=0.5, retry=retry) as client:
        await client.ping()
        proxy.stall()
        pending = asyncio.ensure_future(client.get("k"))
        await asyncio.sleep(0.1)  # written, held by the proxy
        proxy.reset()
        with pytest.raises(CommandTimeoutError) as caught:
            await pending
        error = caught.value
        assert error.may_have_executed is True
        assert "(still connecting)" in str(error)
        assert any("earlier attempt was written" in note for note in error.__notes__)
        proxy.resume()
        await client.aclose(grace=0)
