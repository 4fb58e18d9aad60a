"""Handlers given up by an unsubscribe: they are no messages, and they do not pile up.

A subscription that adds and removes handlers while its reader reads now and then (per-tenant
channels, for example) must see ``pending``, ``max_pending`` and the "block" pause count only
messages, and must not hold on to anything for a channel with no message waiting.
"""

from __future__ import annotations

import gc
import uuid
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from redis_oxide import Message, PubSub, Redis, SubscriptionState
from redis_oxide.testing import RedisServerInfo
from tests.pubsub._wait import until

pytestmark = pytest.mark.timeout(60)


def _name(what: str) -> str:
    return f"inbox-test:{what}:{uuid.uuid4().hex[:8]}"


class _Handler:
    """A handler that can be watched for being released."""

    def __init__(self, got: list[Any]) -> None:
        self.got = got

    def __call__(self, message: Message[Any]) -> None:
        self.got.append(message.data)


def _data(message: Message[Any] | None) -> Any:
    assert message is not None, "no message within 5 s"
    return message.data


def _churn(
    p: PubSub[Any], kind: str
) -> tuple[Callable[..., Awaitable[None]], Callable[..., Awaitable[None]], Callable[[str], str]]:
    """The subscribe/unsubscribe pair of ``kind`` and the name a publish reaches it by."""
    if kind == "pattern":
        return p.psubscribe, p.punsubscribe, lambda name: name + ".x"
    if kind == "shard":
        return p.ssubscribe, p.sunsubscribe, lambda name: name
    return p.subscribe, p.unsubscribe, lambda name: name


async def _publish(r: Redis[Any], kind: str, channel: str, data: str) -> None:
    if kind == "shard":
        await r.spublish(channel, data)
    else:
        await r.publish(channel, data)


async def _come_and_go(p: PubSub[Any], name: str, released: list[weakref.ref[_Handler]]) -> None:
    handler = _Handler([])
    released.append(weakref.ref(handler))
    await p.subscribe(name, handler=handler)
    await p.unsubscribe(name)


@pytest.mark.parametrize("kind", ["channel", "pattern", "shard"])
async def test_unsubscribed_handlers_do_not_count_as_pending_messages(
    redis_stack: RedisServerInfo, kind: str
) -> None:
    # "error": a handler given up is not a message that could overflow the queue.
    data = _name("data")
    async with (
        Redis(redis_stack.host, redis_stack.port) as r,
        r.pubsub(max_pending=5, on_overflow="error") as p,
    ):
        await p.subscribe(data)
        sub, unsub, _ = _churn(p, kind)
        for i in range(50):
            name = _name(f"h{i}") + ("*" if kind == "pattern" else "")
            await sub(name, handler=lambda m: None)
            await unsub(name)
        assert p.pending == 0
        for i in range(5):  # max_pending messages fit
            await r.publish(data, str(i))
        await until(lambda: p.pending == 5, 5, "five messages queued")
        assert p.state is SubscriptionState.OPEN
        got = [await p.get_message(timeout=5) for _ in range(5)]
        assert [_data(m) for m in got] == [str(i).encode() for i in range(5)]
        assert p.state is SubscriptionState.OPEN


async def test_unsubscribed_handlers_do_not_pause_reading(redis_stack: RedisServerInfo) -> None:
    data = _name("data")
    async with (
        Redis(redis_stack.host, redis_stack.port) as r,
        r.pubsub(max_pending=4) as p,  # "block"
    ):
        await p.subscribe(data)
        for i in range(20):
            name = _name(f"h{i}")
            await p.subscribe(name, handler=lambda m: None)
            if i % 2:
                await p.unsubscribe(name)
            else:  # every channel: data too, subscribed again
                await p.unsubscribe()
                await p.subscribe(data)
        assert (p.pending, p.is_reading_paused()) == (0, False)
        await r.publish(data, "real")
        message = await p.get_message(timeout=5)
        assert _data(message) == b"real"


async def test_handlers_of_unsubscribed_channels_are_released_while_messages_wait(
    redis_stack: RedisServerInfo,
) -> None:
    # One message waits unread; a thousand handlers come and go meanwhile. None of their
    # channels has a message waiting, so none of them is kept.
    data = _name("data")
    async with (
        Redis(redis_stack.host, redis_stack.port) as r,
        r.pubsub(max_pending=100, on_overflow="error") as p,
    ):
        await p.subscribe(data)
        await r.publish(data, "waiting")
        await until(lambda: p.pending == 1, 5, "a message queued")
        released: list[weakref.ref[_Handler]] = []
        for i in range(1000):
            await _come_and_go(p, _name(f"h{i}"), released)
        gc.collect()
        assert sum(ref() is not None for ref in released) == 0
        assert p.pending == 1
        message = await p.get_message(timeout=5)
        assert _data(message) == b"waiting"
        assert await p.get_message(timeout=0) is None


@pytest.mark.parametrize("kind", ["channel", "pattern", "shard"])
async def test_a_handler_is_kept_for_its_waiting_messages_then_released(
    redis_stack: RedisServerInfo, kind: str
) -> None:
    data = _name("data")
    name = _name("tenant") + ("*" if kind == "pattern" else "")
    got: list[bytes] = []
    async with (
        Redis(redis_stack.host, redis_stack.port) as r,
        r.pubsub() as p,
    ):
        await p.subscribe(data)
        sub, unsub, target = _churn(p, kind)
        handler = _Handler(got)
        watched = weakref.ref(handler)
        await sub(name, handler=handler)
        del handler
        await _publish(r, kind, target(name.rstrip("*")), "before")
        await r.publish(data, "d1")
        await until(lambda: p.pending == 2, 5, "two messages queued")
        await unsub(name)  # its message waits: the handler stays for it
        for i in range(100):  # more handlers come and go at the same place
            other = _name(f"h{i}") + ("*" if kind == "pattern" else "")
            await sub(other, handler=lambda m: None)
            await unsub(other)
        gc.collect()
        assert (p.pending, watched() is not None) == (2, True)
        message = await p.get_message(timeout=5)
        assert _data(message) == b"d1"
        assert got == [b"before"]
        assert await p.get_message(timeout=0) is None  # the reader is past it
        gc.collect()
        assert watched() is None


@pytest.mark.parametrize("kind", ["channel", "pattern", "shard"])
async def test_handler_takes_messages_queued_before_its_unsubscribe(
    redis_stack: RedisServerInfo, kind: str
) -> None:
    data = _name("data")
    name = _name("tenant") + ("*" if kind == "pattern" else "")
    got: list[bytes] = []
    async with (
        Redis(redis_stack.host, redis_stack.port) as r,
        r.pubsub(max_pending=4, on_overflow="error") as p,
    ):
        await p.subscribe(data)
        sub, unsub, target = _churn(p, kind)
        channel = target(name.rstrip("*"))
        await sub(name, handler=_Handler(got))
        await _publish(r, kind, channel, "before-1")
        await _publish(r, kind, channel, "before-2")
        await r.publish(data, "d1")
        await until(lambda: p.pending == 3, 5, "three messages queued")
        await unsub(name)
        for _ in range(20):  # unsubscribing again adds nothing to wait
            await unsub(name)
        await r.publish(data, "d2")  # the fourth message still fits
        await until(lambda: p.pending == 4, 5, "the fourth message queued")
        first = await p.get_message(timeout=5)
        assert _data(first) == b"d1"
        assert got == [b"before-1", b"before-2"]
        await sub(name)  # no handler, and the old one is gone
        await _publish(r, kind, channel, "after")
        rest = [await p.get_message(timeout=5) for _ in range(2)]
        assert [_data(m) for m in rest] == [b"d2", b"after"]
        assert got == [b"before-1", b"before-2"]
        assert p.state is SubscriptionState.OPEN
