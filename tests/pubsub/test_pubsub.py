"""Pub/sub against real servers: subscribing, typed messages, handlers, reading, closing."""

from __future__ import annotations

import asyncio
import traceback
import uuid
from typing import Any

import pytest

from redis_oxide import Message, PubSub, Redis, SubscriptionState
from redis_oxide._exceptions import (
    ConnectFailedError,
    ConnectionClosedError,
    InvalidUsageError,
    NoPermError,
    PubSubError,
    SlowConsumerError,
)
from redis_oxide.testing import RedisServerInfo
from redis_oxide.testing.plugin import ServerFactory
from tests.pubsub._wait import until

pytestmark = pytest.mark.timeout(30)

CONFIGS = [
    pytest.param(2, False, id="resp2-bytes"),
    pytest.param(2, True, id="resp2-str"),
    pytest.param(3, False, id="resp3-bytes"),
    pytest.param(3, True, id="resp3-str"),
]


def _name(what: str) -> str:
    return f"pubsub-test:{what}:{uuid.uuid4().hex[:8]}"


def _client(info: RedisServerInfo, protocol: Any, decode: bool) -> Redis[Any]:
    if decode:
        return Redis(info.host, info.port, protocol=protocol, decode_responses=True)
    return Redis(info.host, info.port, protocol=protocol)


async def _next(pubsub: PubSub[Any]) -> Message[Any]:
    message = await pubsub.get_message(timeout=5)
    assert message is not None, "no message within 5 s"
    return message


@pytest.mark.parametrize(("protocol", "decode"), CONFIGS)
async def test_channels_patterns_and_shard_channels_deliver_typed_messages(
    redis_stack: RedisServerInfo, protocol: Any, decode: bool
) -> None:

    def text(value: str) -> Any:
        return value if decode else value.encode()

    channel, shard = _name("news"), _name("shard")
    prefix = _name("pat")
    async with _client(redis_stack, protocol, decode) as r, r.pubsub() as p:
        await p.subscribe(channel)
        await p.psubscribe(f"{prefix}.*")
        await p.ssubscribe(shard)
        # Confirmed before subscribe() returned: the server counts the subscriber already.
        assert await r.pubsub_numsub(channel=[channel]) == {text(channel): 1}
        assert await r.pubsub_numpat() >= 1
        assert await r.publish(channel, "hello") == 1
        assert await r.publish(f"{prefix}.sport", "goal") == 1
        assert await r.spublish(shard, "sharded") == 1
        assert await _next(p) == Message("message", text(channel), text("hello"))
        assert await _next(p) == Message(
            "pmessage", text(f"{prefix}.sport"), text("goal"), text(f"{prefix}.*")
        )
        message = await _next(p)
        assert (message.kind, message.channel, message.data) == (
            "smessage",
            text(shard),
            text("sharded"),
        )
        assert message.pattern is None
        assert type(message.data) is (str if decode else bytes)
        assert await p.get_message(timeout=0.05) is None
        assert p.channels == {text(channel)}
        assert p.patterns == {text(f"{prefix}.*")}
        assert p.shard_channels == {text(shard)}


@pytest.mark.parametrize(("protocol", "decode"), CONFIGS)
async def test_unsubscribe_is_confirmed_and_stops_delivery(
    redis_stack: RedisServerInfo, protocol: Any, decode: bool
) -> None:
    first, second = _name("a"), _name("b")
    async with _client(redis_stack, protocol, decode) as r, r.pubsub() as p:
        await p.subscribe(first, second.encode())  # str and bytes names alike
        await p.psubscribe(_name("p") + "*")
        await p.unsubscribe(first)
        counts = await r.pubsub_numsub(channel=[first, second])
        assert sorted(counts.values()) == [0, 1]
        await r.publish(first, "dropped")
        await r.publish(second, "kept")
        assert (await _next(p)).data == ("kept" if decode else b"kept")
        await p.unsubscribe()  # every channel
        await p.punsubscribe()
        assert p.channels == frozenset()
        assert p.patterns == frozenset()
        assert await r.publish(second, "nobody") == 0
        await p.unsubscribe()  # nothing left: no command, no error


async def test_handlers_take_their_channels_messages_in_order(
    redis_stack: RedisServerInfo,
) -> None:
    handled, awaited = _name("handled"), _name("awaited")
    plain = _name("plain")
    seen: list[tuple[str, str]] = []

    def on_message(message: Message[str]) -> None:
        seen.append((message.channel, message.data))

    async def on_pattern(message: Message[str]) -> None:
        await asyncio.sleep(0)
        seen.append((message.channel, message.data))

    async with (
        Redis(redis_stack.host, redis_stack.port, decode_responses=True) as r,
        r.pubsub() as p,
    ):
        await p.subscribe(handled, handler=on_message)
        await p.psubscribe(f"{awaited}*", handler=on_pattern)
        await p.subscribe(plain)
        for data in ("1", "2"):
            await r.publish(handled, data)
            await r.publish(f"{awaited}.x", data)
        await r.publish(plain, "for the reader")
        # The reader gets only the unhandled message, after the handlers ran in order.
        message = await _next(p)
        assert message.data == "for the reader"
        assert seen == [
            (handled, "1"),
            (f"{awaited}.x", "1"),
            (handled, "2"),
            (f"{awaited}.x", "2"),
        ]
        # Subscribing again without a handler hands the channel back to the reader.
        await p.subscribe(handled)
        await r.publish(handled, "3")
        assert (await _next(p)).data == "3"


async def test_run_dispatches_to_handlers_until_closed(redis_stack: RedisServerInfo) -> None:
    channel = _name("run")
    got: list[bytes] = []
    async with Redis(redis_stack.host, redis_stack.port) as r:
        p = r.pubsub()
        await p.subscribe(channel, handler=lambda m: got.append(m.data))
        runner = asyncio.ensure_future(p.run())
        for i in range(3):
            await r.publish(channel, str(i))
        await until(lambda: len(got) == 3, 5, "three handled messages")
        await p.aclose()
        await asyncio.wait_for(runner, 5)  # run() returns once the subscription is closed
        assert got == [b"0", b"1", b"2"]

        p = r.pubsub()
        await p.subscribe(channel)  # no handler: run() refuses to drop the message
        runner = asyncio.ensure_future(p.run())
        await r.publish(channel, "unhandled")
        with pytest.raises(PubSubError, match="has no handler"):
            await asyncio.wait_for(runner, 5)
        kept = await p.get_message(timeout=1)  # not dropped: still first in line
        assert kept is not None
        assert kept.data == b"unhandled"
        await p.aclose()


async def test_a_failed_subscription_raises_its_error_afresh_until_closed(
    redis_stack: RedisServerInfo,
) -> None:
    channel = _name("failed")
    async with Redis(redis_stack.host, redis_stack.port) as r:
        p = r.pubsub(max_pending=1, on_overflow="error")
        await p.subscribe(channel)
        for i in range(3):
            await r.publish(channel, str(i))
        assert await p.get_message(timeout=5) is not None
        depths = []
        for _ in range(200):
            with pytest.raises(SlowConsumerError) as caught:
                await p.get_message(timeout=0)
            depths.append(len(traceback.extract_tb(caught.value.__traceback__)))
        assert max(depths) == min(depths), "each raise carried the frames of the ones before"
        await p.aclose()
        # Closed by its owner: reads end quietly, as for any closed subscription.
        assert await p.get_message(timeout=0.1) is None
        assert [m async for m in p] == []
        with pytest.raises(PubSubError, match="after the subscription was closed"):
            await p.subscribe(channel)


@pytest.mark.parametrize("protocol", [2, 3])
async def test_messages_received_before_an_unsubscribe_still_go_to_their_handler(
    redis_stack: RedisServerInfo, protocol: Any
) -> None:
    busy, other = _name("busy"), _name("other")
    handled: list[bytes] = []

    async def slow(message: Message[bytes]) -> None:
        await asyncio.sleep(0.002)
        handled.append(message.data)

    async with Redis(redis_stack.host, redis_stack.port, protocol=protocol) as r:
        p = r.pubsub()
        await p.subscribe(busy, handler=slow)
        await p.subscribe(other, handler=lambda m: None)
        runner = asyncio.ensure_future(p.run())
        async with r.pipeline() as pipe:
            for i in range(100):
                pipe.publish(busy, str(i))
        await until(lambda: len(handled) >= 5, 5, "the first messages handled")
        await p.unsubscribe(busy)  # most of the 100 are still queued
        await until(lambda: len(handled) == 100, 10, "every message handled")
        assert handled == [str(i).encode() for i in range(100)]
        assert not runner.done()  # run() goes on: no "no handler" error
        await r.publish(busy, "after")  # not subscribed any more: never arrives
        await p.subscribe(busy, handler=slow)  # subscribed again, with a handler
        await r.publish(busy, "again")
        await until(lambda: handled[-1] == b"again", 5, "the new subscription's message")
        await p.aclose()
        await asyncio.wait_for(runner, 5)


async def test_closing_ends_the_reader_and_releases_the_connection(
    redis_stack: RedisServerInfo,
) -> None:
    async with Redis(redis_stack.host, redis_stack.port, strategy="pooled") as r:
        p = r.pubsub()
        await p.subscribe(_name("close"))
        assert r.stats().leased == 1
        reader = asyncio.ensure_future(anext(aiter(p), None))
        waiting = asyncio.ensure_future(p.get_message(timeout=None))
        await asyncio.sleep(0.05)
        await p.aclose()
        assert await asyncio.wait_for(reader, 5) is None  # the loop ends
        assert await asyncio.wait_for(waiting, 5) is None
        assert p.state is SubscriptionState.CLOSED
        assert r.stats().leased == 0
        with pytest.raises(PubSubError, match=r"PubSub\.subscribe\(\) called after"):
            await p.subscribe("again")
        await p.aclose()  # twice is harmless
        assert "CLOSED" in repr(p)


async def test_bad_names_raise_before_anything_is_sent(redis_stack: RedisServerInfo) -> None:
    async with Redis(redis_stack.host, redis_stack.port, strategy="pooled") as r:
        p = r.pubsub()
        with pytest.raises(TypeError, match="separate arguments"):
            await p.subscribe(["a", "b"])  # type: ignore[arg-type]  # the mistake under test
        with pytest.raises(TypeError, match="position 1"):
            await p.psubscribe("a", 1)  # type: ignore[arg-type]  # the mistake under test
        with pytest.raises(ValueError, match="at least one"):
            await p.ssubscribe()
        with pytest.raises(TypeError, match="callable"):
            await p.subscribe("a", handler="not callable")  # type: ignore[arg-type]  # under test
        with pytest.raises(ValueError, match="timeout"):
            await p.get_message(timeout=-1)
        assert r.stats().connections == 0  # nothing was opened
        await p.aclose()
    with pytest.raises(TypeError, match=r"client\.pubsub\(\)"):
        PubSub()
    with pytest.raises(TypeError, match="unknown options"):
        Redis().pubsub(max_pendng=1)  # type: ignore[call-arg]  # the mistake under test
    with pytest.raises(ValueError, match="max_pending"):
        Redis().pubsub(max_pending=0)
    with pytest.raises(ValueError, match="on_overflow"):
        Redis().pubsub(on_overflow="drop")  # type: ignore[arg-type]  # the mistake under test
    with pytest.raises(ValueError, match="health_check_interval"):
        Redis().pubsub(health_check_interval=0)


async def test_raw_subscribe_commands_point_to_pubsub(redis_stack: RedisServerInfo) -> None:
    async with Redis(redis_stack.host, redis_stack.port) as r:
        for command in ("SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE"):
            with pytest.raises(InvalidUsageError, match=r"pubsub\(\)"):
                await r.execute_command(command, "x")


async def test_a_refused_subscription_raises_and_is_forgotten(
    redis_server_factory: ServerFactory,
) -> None:
    info = redis_server_factory("7")
    async with Redis(info.host, info.port) as admin:
        await admin.execute_command(
            "ACL", "SETUSER", "reader", "on", ">secret", "+@all", "resetchannels", "&allowed*"
        )
        async with Redis(info.host, info.port, username="reader", password="secret") as r:
            p = r.pubsub()
            await p.subscribe("allowed.1")
            with pytest.raises(NoPermError) as refused:
                await p.subscribe("secret.1", handler=lambda m: None)
            assert refused.value.command == "SUBSCRIBE"
            assert p.channels == {b"allowed.1"}
            await admin.publish("allowed.1", "still subscribed")
            assert (await _next(p)).data == b"still subscribed"
            await p.aclose()


async def test_a_first_connection_that_fails_raises_to_the_caller() -> None:
    async with Redis("127.0.0.1", 1, connect_timeout=1) as r:
        p = r.pubsub()
        with pytest.raises(ConnectFailedError):
            await asyncio.wait_for(p.subscribe("x"), 10)
        assert p.channels == frozenset()
        assert p.state is SubscriptionState.OPEN  # it may be tried again
        await p.aclose()


async def test_polling_with_timeout_zero_lets_the_loop_run(redis_stack: RedisServerInfo) -> None:
    channel = _name("poll")
    async with Redis(redis_stack.host, redis_stack.port) as r, r.pubsub() as p:
        await p.subscribe(channel)
        publishing = asyncio.ensure_future(r.publish(channel, "polled"))
        message = None
        for _ in range(100_000):  # redis-py style: poll without waiting
            message = await p.get_message()
            if message is not None:
                break
        assert message is not None
        assert message.data == b"polled"
        await publishing


async def test_closing_the_client_ends_the_reader_with_connection_closed(
    redis_stack: RedisServerInfo,
) -> None:
    r = Redis(redis_stack.host, redis_stack.port)
    p = r.pubsub()
    await p.subscribe(_name("closing"))
    reader = asyncio.ensure_future(p.get_message(timeout=None))
    await asyncio.sleep(0.05)
    await r.aclose()
    with pytest.raises(ConnectionClosedError):
        await asyncio.wait_for(reader, 5)
    assert p.state is SubscriptionState.FAILED
    await p.aclose()
    assert p.state is SubscriptionState.CLOSED


async def test_a_handler_needs_a_name_that_decodes(redis_stack: RedisServerInfo) -> None:
    # On a decoding client, messages carry an undecodable name with U+FFFD in place, where two
    # such names would share one handler: a handler for one is refused, nothing subscribed.
    async with Redis(redis_stack.host, redis_stack.port, decode_responses=True) as r:
        p = r.pubsub()
        with pytest.raises(ValueError, match=r"b'bin\\xff' does not"):
            await p.subscribe(b"bin\xff", handler=lambda message: None)
        assert p.channels == frozenset()
        async with Redis(redis_stack.host, redis_stack.port) as raw:
            assert await raw.pubsub_numsub(channel=[b"bin\xff"]) == {b"bin\xff": 0}
        await p.subscribe(b"bin\xff")  # without a handler: the reader gets its messages
        await r.publish(b"bin\xff", "m")
        message = await p.get_message(timeout=5)
        assert message is not None
        assert message.data == "m"
        await p.aclose()
    async with Redis(redis_stack.host, redis_stack.port) as raw, raw.pubsub() as p:
        got: list[bytes] = []
        await p.subscribe(b"bin\xff", handler=lambda message: got.append(message.data))
        await raw.publish(b"bin\xff", "m")
        reader = asyncio.ensure_future(p.run())
        await until(lambda: got == [b"m"], 5, "the handled message")
        reader.cancel()
