"""A command that finds no connection: the caller learns why, and that nothing was sent."""

from __future__ import annotations

import asyncio
import time
from typing import Literal

import pytest

from redis_oxide import Redis, Retry, Sentinel
from redis_oxide.exceptions import CommandTimeoutError, ConnectFailedError, SentinelError
from redis_oxide.testing.plugin import SentinelFactory, ServerFactory

pytestmark = pytest.mark.timeout(60)

Strategy = Literal["multiplexed", "pooled"]


async def test_dead_server_gives_the_connect_error_not_a_timeout(
    redis_server_factory: ServerFactory,
) -> None:
    info = redis_server_factory("7")
    assert info.process is not None
    # Long backoffs: the command's wait runs out while the reconnects wait between tries.
    retry = Retry(attempts=10, backoff_base=0.5, jitter=False)
    async with Redis(info.host, info.port, command_timeout=1.0, retry=retry) as client:
        await client.set("a", "1")
        await asyncio.to_thread(info.process.kill)
        await asyncio.sleep(0.1)
        for command in ("GET", "INCR", "GET"):
            started = time.monotonic()
            with pytest.raises(ConnectFailedError) as caught:
                await (client.get("a") if command == "GET" else client.incr("a"))
            assert time.monotonic() - started < 1.5
            error = caught.value
            assert error.command == command
            assert error.may_have_executed is False
            assert error.address == f"{info.host}:{info.port}"
            assert isinstance(error.__cause__, ConnectFailedError)
            assert "cannot connect" in str(error)


@pytest.mark.parametrize(
    ("strategy", "wording"),
    [("multiplexed", "GET: no connection to"), ("pooled", "GET: no pooled connection to")],
)
async def test_connect_still_under_way_names_the_command_and_the_timeout(
    redis_server_factory: ServerFactory, strategy: Strategy, wording: str
) -> None:
    info = redis_server_factory("7")
    assert info.process is not None
    await asyncio.to_thread(info.process.suspend)  # accepts through the backlog, never answers
    try:
        client = Redis(
            info.host, info.port, strategy=strategy, db=1, connect_timeout=5, command_timeout=0.3
        )
        with pytest.raises(CommandTimeoutError) as caught:
            await client.get("a")
        error = caught.value
        assert error.command == "GET"
        assert str(error).startswith(f"{wording} {info.host}:{info.port} within 0.3 s")
        assert "it was not sent" in str(error)
        assert error.may_have_executed is False
        await client.aclose(grace=0)
    finally:
        await asyncio.to_thread(info.process.resume)


@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
async def test_unanswering_sentinels_give_a_sentinel_error_on_both_strategies(
    redis_sentinel_factory: SentinelFactory, strategy: Strategy
) -> None:
    group = redis_sentinel_factory()
    addresses = [(s.host, s.port) for s in group.sentinels]
    processes = [s.process for s in group.sentinels if s.process is not None]
    for process in processes:
        await asyncio.to_thread(process.suspend)
    try:
        async with Sentinel(addresses, command_timeout=5, strategy=strategy) as sentinel:
            client = sentinel.primary_for(group.master_name)
            with pytest.raises(SentinelError) as caught:
                await client.get("a")
            assert caught.value.may_have_executed is False
            assert "no sentinel could name the primary" in str(caught.value)
    finally:
        for process in processes:
            await asyncio.to_thread(process.resume)
