"""Typed usage of ``RedisCluster.pubsub()`` (sharded pub/sub), checked by mypy and pyright.

The subscription is the standalone client's ``PubSub``: ``PubSub[str]`` from
``RedisCluster[str]``, ``PubSub[bytes]`` from ``RedisCluster[bytes]``, with the same
immutable ``Message`` records, handlers checked against the client's string type, and the
same options. A ``Resubscribed`` notice also reports a shard channel following its slot
(its ``cause`` is then a ``MovedError``). The test function runs without a server (nothing
is sent); the coroutine is only type-checked.
"""

from __future__ import annotations

from typing import Literal, assert_type

from redis_oxide import Message, PubSub, RedisCluster, Resubscribed, SubscriptionState
from redis_oxide.exceptions import MovedError, RedisError


def on_order(message: Message[str]) -> None:
    assert_type(message.kind, Literal["message", "pmessage", "smessage"])
    assert_type(message.data, str)


async def on_raw_order(message: Message[bytes]) -> None:
    assert_type(message.channel, bytes)


def on_moved(notice: Resubscribed) -> None:
    assert_type(notice.cause, RedisError)
    if isinstance(notice.cause, MovedError):
        assert_type(notice.cause.slot, int)
    assert_type(notice.address, str)


def test_cluster_subscriptions_follow_the_client_type() -> None:
    text = RedisCluster("127.0.0.1", 7000, decode_responses=True)
    raw = RedisCluster("127.0.0.1", 7000)
    assert_type(text.pubsub(), PubSub[str])
    assert_type(raw.pubsub(max_pending=100, on_reconnect=on_moved), PubSub[bytes])
    assert_type(text.pubsub().state, SubscriptionState)


async def sharded_examples(text: RedisCluster[str], raw: RedisCluster[bytes]) -> None:
    async with text.pubsub(on_reconnect=on_moved) as p:
        await p.ssubscribe("orders:{eu}", b"orders:{us}")
        await p.ssubscribe("payments", handler=on_order)
        assert_type(p.shard_channels, frozenset[str])
        async for message in p:
            assert_type(message, Message[str])
            assert_type(message.channel, str)
            assert_type(message.pattern, str | None)
        assert_type(await p.get_message(timeout=1.0), Message[str] | None)
        assert_type(await text.spublish("orders:{eu}", "shipped"), int)  # routed by slot
        await p.sunsubscribe("payments")
        await p.sunsubscribe()
        # A bytes handler on a str client; names as a list instead of separate arguments.
        await p.ssubscribe("orders", handler=on_raw_order)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
        await p.ssubscribe(["a", "b"])  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]

    async with raw.pubsub() as pb:
        await pb.ssubscribe(b"orders", handler=on_raw_order)
        await pb.subscribe("news")  # classic pub/sub: one connection to any primary
        got = await pb.get_message(timeout=None)
        if got is not None:
            assert_type(got.data, bytes)
