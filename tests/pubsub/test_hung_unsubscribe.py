"""Unsubscribing on a hung server: ``unsubscribe()`` and its kin give up at ``command_timeout``.

A suspended server (SIGSTOP) never confirms an UNSUBSCRIBE. Without a health check nothing
would ever replace the connection, so the call waited for ever; it now raises
``CommandTimeoutError`` at ``command_timeout``. The names are unsubscribed all the same: the
subscription no longer lists them, and the UNSUBSCRIBE stays queued, so once the server
answers again it drops them. Their handlers stay until the server confirmed, for what it sent
before: a message held up on the way reaches its handler, not the reader.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Literal

import pytest

from redis_oxide import Message, PubSub, Redis, SubscriptionState
from redis_oxide.exceptions import CommandTimeoutError
from redis_oxide.testing import ProxyFactory, RedisServerInfo

pytestmark = pytest.mark.timeout(60)

Method = Literal["unsubscribe", "punsubscribe", "sunsubscribe"]
Subscribe = Callable[..., Awaitable[None]]
COMMANDS: dict[Method, str] = {
    "unsubscribe": "UNSUBSCRIBE",
    "punsubscribe": "PUNSUBSCRIBE",
    "sunsubscribe": "SUNSUBSCRIBE",
}


@pytest.fixture
def server(stoppable_server: RedisServerInfo) -> RedisServerInfo:
    return stoppable_server  # frozen by the tests, resumed at the end (tests/conftest.py)


def _calls(p: PubSub[str], method: Method) -> tuple[Subscribe, Callable[[str], Awaitable[None]]]:
    """The subscribe method of ``method``'s family, and ``method`` itself."""
    return {
        "unsubscribe": (p.subscribe, p.unsubscribe),
        "punsubscribe": (p.psubscribe, p.punsubscribe),
        "sunsubscribe": (p.ssubscribe, p.sunsubscribe),
    }[method]


def _names(p: PubSub[str], method: Method) -> frozenset[str]:
    return {
        "unsubscribe": p.channels,
        "punsubscribe": p.patterns,
        "sunsubscribe": p.shard_channels,
    }[method]


async def _publish(r: Redis[str], method: Method, channel: str, data: str) -> int:
    """Receivers of a message on ``channel`` (a pattern named like it matches it)."""
    if method == "sunsubscribe":
        return await r.spublish(channel, data)
    return await r.publish(channel, data)


@pytest.mark.parametrize("method", ["unsubscribe", "punsubscribe", "sunsubscribe"])
async def test_unsubscribing_on_a_hung_server_times_out_at_command_timeout(
    server: RedisServerInfo, method: Method
) -> None:
    assert server.process is not None
    handled: list[Message[str]] = []
    async with (
        Redis(server.host, server.port, command_timeout=0.5, decode_responses=True) as r,
        r.pubsub(health_check_interval=None) as p,  # nothing replaces a silent connection
    ):
        subscribe, unsubscribe = _calls(p, method)
        await subscribe("gone", handler=handled.append)
        await subscribe("kept")
        await asyncio.to_thread(server.process.suspend)
        started = time.monotonic()
        with pytest.raises(CommandTimeoutError) as caught:
            async with asyncio.timeout(5):  # before: for ever
                await unsubscribe("gone")
        took = time.monotonic() - started
        assert 0.45 < took < 1.5
        assert caught.value.command == COMMANDS[method]
        assert caught.value.may_have_executed is True  # the UNSUBSCRIBE was written
        assert f"{method}() was not confirmed within command_timeout=0.5 s" in str(caught.value)
        assert "the names are unsubscribed all the same" in str(caught.value)
        assert _names(p, method) == {"kept"}  # gone locally at once
        assert p.state is SubscriptionState.OPEN

        await asyncio.to_thread(server.process.resume)
        async with asyncio.timeout(10):
            # The server runs the queued UNSUBSCRIBE first, then confirms this one.
            await subscribe("marker")
            assert await _publish(r, method, "gone", "late") == 0
            assert await _publish(r, method, "kept", "here") == 1
            message = await p.get_message(timeout=5)
        assert message is not None
        assert (message.channel, message.data) == ("kept", "here")
        assert handled == []


@pytest.mark.parametrize("stopped_by", ["command_timeout", "the caller"])
async def test_a_handler_takes_what_was_sent_before_a_confirmation_that_came_late(
    redis_7: RedisServerInfo, tcp_proxy: ProxyFactory, stopped_by: str
) -> None:
    proxy = await tcp_proxy(redis_7)
    timeout = 0.5 if stopped_by == "command_timeout" else None
    handled: list[Message[str]] = []
    async with (
        Redis(proxy.host, proxy.port, command_timeout=timeout, decode_responses=True) as r,
        Redis(redis_7.host, redis_7.port, decode_responses=True) as publisher,
        r.pubsub(health_check_interval=None) as p,
    ):
        await p.subscribe("late:handled", handler=handled.append)
        await p.subscribe("late:read")
        proxy.stall()  # holds the UNSUBSCRIBE on its way, and the message coming back
        with pytest.raises(TimeoutError) as caught:
            async with asyncio.timeout(5 if timeout else 0.5):
                await p.unsubscribe("late:handled")
        assert isinstance(caught.value, CommandTimeoutError) is (timeout is not None)
        # Published before the server saw the UNSUBSCRIBE: it is sent to the subscriber.
        assert await publisher.publish("late:handled", "before") == 1
        assert p.channels == {"late:read"}
        proxy.resume()
        async with asyncio.timeout(10):
            await p.subscribe("late:marker")  # confirmed after the late confirmation
            assert await publisher.publish("late:handled", "after") == 0
            assert await publisher.publish("late:read", "next") == 1
            # Before: the handler was gone when the call stopped waiting, so the reader got
            # "before" here.
            message = await p.get_message(timeout=5)
        assert message == Message("message", "late:read", "next")
        assert handled == [Message("message", "late:handled", "before")]
