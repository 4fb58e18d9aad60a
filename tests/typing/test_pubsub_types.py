"""Typed usage of pub/sub and stream workers, checked by ``mypy --strict``.

``assert_type`` lines are the contract: messages and entries follow the client's string type
(``Message[str]`` from ``Redis[str]``, ``Message[bytes]`` from ``Redis[bytes]``), handlers
are checked against it, and the options are typed. The ``*_examples`` coroutines are only
type-checked (by mypy and pyright, each with its own ignore on the lines that must fail);
the test functions run without a server (nothing is sent).
"""

from __future__ import annotations

from typing import Literal, assert_type

from redis_oxide import (
    ConsumerStats,
    GroupConsumer,
    Message,
    PubSub,
    Redis,
    Resubscribed,
    Retry,
    StreamEntry,
    StreamProducer,
    SubscriptionState,
)
from redis_oxide.exceptions import SlowConsumerError


def on_text(message: Message[str]) -> None:
    assert_type(message.data, str)


async def on_bytes(message: Message[bytes]) -> None:
    assert_type(message.channel, bytes)


def on_reconnect(notice: Resubscribed) -> None:
    assert_type(notice.downtime, float)
    assert_type(notice.reconnects, int)


async def handle(entry: StreamEntry[str]) -> None:
    assert_type(entry.fields, dict[str, str])


def test_subscriptions_and_workers_follow_the_client_type() -> None:
    text = Redis(decode_responses=True)
    raw = Redis()
    assert_type(text.pubsub(), PubSub[str])
    assert_type(raw.pubsub(max_pending=100, on_overflow="error"), PubSub[bytes])
    assert_type(text.pubsub().state, SubscriptionState)
    assert_type(GroupConsumer(text, "s", "g", "c"), GroupConsumer[str])
    assert_type(GroupConsumer(raw, b"s", b"g", b"c").stats, ConsumerStats)
    assert_type(StreamProducer(raw, "s", maxlen=10), StreamProducer[bytes])


async def pubsub_examples(text: Redis[str], raw: Redis[bytes]) -> None:
    async with text.pubsub(health_check_interval=None, on_reconnect=on_reconnect) as p:
        await p.subscribe("news", b"alerts", handler=on_text)
        await p.psubscribe("news.*")
        await p.ssubscribe("orders")
        async for message in p:
            assert_type(message, Message[str])
            assert_type(message.kind, Literal["message", "pmessage", "smessage"])
            assert_type(message.channel, str)
            assert_type(message.pattern, str | None)
        assert_type(await p.get_message(timeout=1.0), Message[str] | None)
        assert_type(p.channels, frozenset[str])
        await p.unsubscribe()
        await p.run()
        # A bytes handler on a str client; names as a list instead of separate arguments.
        await p.subscribe("news", handler=on_bytes)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
        await p.subscribe(["a", "b"])  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]

    async with raw.pubsub(reconnect_retry=Retry(attempts=5)) as pb:
        await pb.subscribe("news", handler=on_bytes)
        got = await pb.get_message(timeout=None)
        if got is not None:
            assert_type(got.data, bytes)
    # Not a policy; not an option.
    raw.pubsub(on_overflow="drop")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    raw.pubsub(max_pendin=1)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    try:
        await raw.pubsub(on_overflow="error").get_message()
    except SlowConsumerError as error:
        assert_type(error.max_pending, int | None)


async def stream_examples(text: Redis[str], raw: Redis[bytes]) -> None:
    worker = GroupConsumer(text, "orders", "billing", "worker-1", min_idle=30.0)
    async with worker:
        async for entry in worker:
            assert_type(entry, StreamEntry[str])
            assert_type(entry.id, str)
            assert_type(entry.deliveries, int)
    await worker.run(handle)
    assert_type(await worker.ensure_group(), bool)
    raw_worker = GroupConsumer(raw, "orders", "billing", "worker-2")
    # A str handler for a bytes worker.
    await raw_worker.run(handle)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    producer = StreamProducer(text, "orders", max_age=3600.0)
    assert_type(await producer.add({"item": "book", "qty": 2}), str)
    assert_type(await StreamProducer(raw, "orders", maxlen=1000).add({b"k": b"v"}), bytes)
