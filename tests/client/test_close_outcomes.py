"""``aclose()`` with commands in flight: what their callers learn, and closes that are cut short.

Every error of a command whose outcome is unknown says whether it was written
(``may_have_executed``); a cancelled ``aclose()`` still ends every connection, and a later
call waits for it.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Literal

import pytest

from redis_oxide import Redis
from redis_oxide.exceptions import ConnectionClosedError
from redis_oxide.testing import raw_command
from redis_oxide.testing._info import RedisServerInfo
from redis_oxide.testing.plugin import ServerFactory

pytestmark = pytest.mark.timeout(30)

Strategy = Literal["multiplexed", "pooled"]
STRATEGIES: list[Strategy] = ["multiplexed", "pooled"]


def _stall(info: RedisServerInfo, seconds: float) -> threading.Thread:
    # Another client keeps the server busy: commands sent meanwhile are read and run after.
    thread = threading.Thread(
        target=raw_command,
        args=(info.endpoint, "DEBUG", "SLEEP", str(seconds)),
        kwargs={"timeout": 10},
    )
    thread.start()
    return thread


def _clients(info: RedisServerInfo) -> int:
    listing = raw_command(info.endpoint, "CLIENT", "LIST")
    assert isinstance(listing, bytes)
    return listing.count(b"\n") - 1  # the listing's own connection


async def test_aborted_writes_say_they_may_have_run(
    redis_server_factory: ServerFactory,
) -> None:
    info = redis_server_factory("7")
    client = Redis(info.host, info.port)
    await client.ping()
    stall = _stall(info, 0.5)
    await asyncio.sleep(0.05)
    writes = [asyncio.ensure_future(client.incr("n")) for _ in range(3)]
    await asyncio.sleep(0.02)  # written, waiting behind DEBUG SLEEP
    await client.aclose(grace=0)
    outcomes = await asyncio.gather(*writes, return_exceptions=True)
    await asyncio.to_thread(stall.join)
    assert raw_command(info.endpoint, "GET", "n") == b"3"  # the server ran them all
    for outcome in outcomes:
        assert isinstance(outcome, ConnectionClosedError)
        assert outcome.may_have_executed is True
        assert outcome.command == "INCR"
        assert "it may have run" in str(outcome)


async def test_pooled_callers_without_a_connection_were_not_sent(
    redis_server_factory: ServerFactory,
) -> None:
    info = redis_server_factory("7")
    client = Redis(info.host, info.port, strategy="pooled", max_connections=1)
    await client.ping()
    stall = _stall(info, 0.5)
    await asyncio.sleep(0.05)
    writes = [asyncio.ensure_future(client.incr("n")) for _ in range(3)]
    await asyncio.sleep(0.02)
    await client.aclose(grace=0)
    outcomes = await asyncio.gather(*writes, return_exceptions=True)
    await asyncio.to_thread(stall.join)
    assert raw_command(info.endpoint, "GET", "n") == b"1"
    assert all(isinstance(o, ConnectionClosedError) for o in outcomes)
    flags = [getattr(o, "may_have_executed", None) for o in outcomes]
    assert flags == [True, False, False]


async def test_commands_refused_after_close_were_not_sent(redis_7: RedisServerInfo) -> None:
    client = Redis(redis_7.host, redis_7.port)
    await client.aclose()
    with pytest.raises(ConnectionClosedError) as caught:
        await client.incr("never")
    assert caught.value.may_have_executed is False


@pytest.mark.parametrize("grace", [0.0, 1.0])
@pytest.mark.parametrize("strategy", STRATEGIES)
async def test_a_command_issued_while_a_close_starts_is_refused(
    redis_7: RedisServerInfo, strategy: Strategy, grace: float
) -> None:
    # Another task's command, issued in the loop turn the close began in, is not sent.
    key = f"late:{strategy}:{grace}"
    client = Redis(redis_7.host, redis_7.port, strategy=strategy)
    await client.ping()

    async def write() -> bool:
        return await client.set(key, "x")  # runs once the close task has begun

    closing = asyncio.ensure_future(client.aclose(grace=grace))
    late = asyncio.ensure_future(write())
    outcomes = await asyncio.gather(closing, late, return_exceptions=True)
    assert outcomes[0] is None
    assert isinstance(outcomes[1], ConnectionClosedError), outcomes[1]
    assert outcomes[1].may_have_executed is False
    assert "aclose() was called" in str(outcomes[1])
    assert raw_command(redis_7.endpoint, "EXISTS", key) == 0


@pytest.mark.parametrize("strategy", STRATEGIES)
async def test_cancelled_close_still_ends_every_connection(
    redis_server_factory: ServerFactory, strategy: Strategy
) -> None:
    info = redis_server_factory("7")
    client = Redis(info.host, info.port, strategy=strategy)
    await client.set("a", "a")
    assert _clients(info) == 1
    stall = _stall(info, 0.4)
    await asyncio.sleep(0.05)
    in_flight = asyncio.ensure_future(client.get("a"))
    await asyncio.sleep(0.01)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(client.aclose(grace=5), 0.1)
    # The close goes on without its caller: the command in flight gets its grace.
    assert await in_flight == b"a"
    await asyncio.to_thread(stall.join)
    await client.aclose()
    await asyncio.sleep(0.05)  # the server notices the hang-up
    assert _clients(info) == 0
    assert client.stats().connections == 0


@pytest.mark.parametrize("strategy", STRATEGIES)
async def test_second_close_cuts_a_cancelled_close_short(
    redis_server_factory: ServerFactory, strategy: Strategy
) -> None:
    info = redis_server_factory("7")
    client = Redis(info.host, info.port, strategy=strategy)
    await client.set("a", "a")
    stall = _stall(info, 1.0)
    await asyncio.sleep(0.05)
    in_flight = asyncio.ensure_future(client.get("a"))
    await asyncio.sleep(0.01)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(client.aclose(grace=5), 0.1)
    async with asyncio.timeout(0.5):  # well before DEBUG SLEEP ends
        await client.aclose(grace=0)
    with pytest.raises(ConnectionClosedError) as caught:
        await in_flight
    assert caught.value.may_have_executed is True
    await asyncio.to_thread(stall.join)
    await asyncio.sleep(0.05)
    assert _clients(info) == 0
