"""Closing a client while connections are still being opened: nobody is left waiting.

The server is suspended (SIGSTOP): the kernel accepts the TCP connection through the backlog
and nothing ever answers the handshake, so every connect stays under way until the client
ends it.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from typing import Literal

import pytest

from redis_oxide import Redis
from redis_oxide.exceptions import ConnectionClosedError
from redis_oxide.testing import RedisServerInfo
from redis_oxide.testing.plugin import ServerFactory

pytestmark = pytest.mark.timeout(60)

Strategy = Literal["multiplexed", "pooled"]


async def _pipeline(client: Redis[bytes], *, transaction: bool = False) -> list[object]:
    pipe = client.pipeline(transaction=transaction)
    pipe.get("k")
    pipe.incr("n")
    return await pipe.execute()


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
async def hung_server(redis_server_factory: ServerFactory) -> AsyncIterator[RedisServerInfo]:
    info = redis_server_factory("7")
    assert info.process is not None
    await asyncio.to_thread(info.process.suspend)
    try:
        yield info
    finally:
        await asyncio.to_thread(info.process.resume)


@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
@pytest.mark.parametrize("how", ["grace_0", "grace_runs_out", "second_call_aborts"])
async def test_close_ends_connects_under_way(
    hung_server: RedisServerInfo, strategy: Strategy, how: str
) -> None:
    fds = _open_fds()
    client = Redis(hung_server.host, hung_server.port, strategy=strategy, connect_timeout=None)
    calls = {
        "GET": asyncio.ensure_future(client.get("k")),
        "INCR": asyncio.ensure_future(client.incr("n")),
        "BLPOP": asyncio.ensure_future(client.blpop(["list"], timeout=0.2)),
        "pipeline": asyncio.ensure_future(_pipeline(client)),
        "transaction": asyncio.ensure_future(_pipeline(client, transaction=True)),
    }
    await asyncio.sleep(0.3)  # every call now waits for a connect under way
    assert not any(call.done() for call in calls.values())
    started = time.monotonic()
    if how == "second_call_aborts":
        first = asyncio.ensure_future(client.aclose(grace=None))  # would wait for ever
        await asyncio.sleep(0.1)
        await client.aclose(grace=0)
        await first
    else:
        await client.aclose(grace=0.3 if how == "grace_runs_out" else 0)
    _, pending = await asyncio.wait(calls.values(), timeout=2)
    assert not pending, [name for name, call in calls.items() if call in pending]
    assert time.monotonic() - started < 1.5
    for name, call in calls.items():
        error = call.exception()
        assert isinstance(error, ConnectionClosedError), (name, error)
        assert error.may_have_executed is False
        assert "it was not sent" in str(error)
        if name in ("GET", "INCR", "BLPOP"):
            assert error.command == name
    assert _open_fds() == fds  # the sockets of the connects are closed


@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
async def test_close_does_not_wait_for_a_connect_nobody_waits_for(
    hung_server: RedisServerInfo, strategy: Strategy
) -> None:
    fds = _open_fds()
    client = Redis(hung_server.host, hung_server.port, strategy=strategy, connect_timeout=None)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            await client.get("k")  # the only caller gives up; its connect may go on
    started = time.monotonic()
    await client.aclose(grace=5)
    assert time.monotonic() - started < 1.0
    assert _open_fds() == fds


async def test_close_still_hands_a_finishing_connect_to_its_waiters(
    redis_server_factory: ServerFactory,
) -> None:
    info = redis_server_factory("7")
    assert info.process is not None
    client = Redis(info.host, info.port, connect_timeout=None)
    await asyncio.to_thread(info.process.suspend)
    try:
        get = asyncio.ensure_future(client.get("k"))
        await asyncio.sleep(0.2)
        close = asyncio.ensure_future(client.aclose(grace=5))
        await asyncio.sleep(0.2)
        assert not close.done()  # the waiting GET keeps the connect within the grace
    finally:
        await asyncio.to_thread(info.process.resume)
    assert await get is None
    await close
