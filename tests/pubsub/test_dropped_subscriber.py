"""A subscription dropped without ``aclose()`` closes its connections, stops its tasks and
says so once, as a dropped client does; while it is in use (read in a task, or referenced)
nothing changes. A client whose last user was such a subscription is then closed too, and a
subscription dropped before its restore was confirmed leaves no unretrieved error behind.

Before, the subscriber connection's frame handler and its supervisor task reached the
subscription, so it (and its client) stayed alive, subscribed, until the loop closed.
"""

from __future__ import annotations

import asyncio
import gc
import warnings
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from redis_oxide import Message, PubSub, Redis, RedisCluster
from redis_oxide._pubsub_types import LinkState
from redis_oxide.testing import ClusterInfo, ProxyFactory, RedisServerInfo, raw_command
from tests.client.test_dropped_client import _clients, _settle
from tests.cluster._migrate import slot_owners
from tests.cluster._traffic import spread_channels
from tests.pubsub._wait import until

pytestmark = pytest.mark.timeout(60)

T = TypeVar("T")

_DROPPED = r"<redis_oxide.PubSub \S+ channels=1 patterns=1 shard_channels=0> was dropped without"


def _subscribers(server: RedisServerInfo) -> int:
    """The server's subscriber connections."""
    listing = raw_command(server.endpoint, "CLIENT", "LIST", "TYPE", "pubsub")
    assert isinstance(listing, bytes)
    return len(listing.splitlines())


def _supervisors() -> int:
    """The subscriber supervisor tasks running on this loop."""
    return sum("Subscriber._supervise" in repr(task) for task in asyncio.all_tasks())


async def _dropped(made: Callable[[], Awaitable[weakref.ref[T]]]) -> weakref.ref[T]:
    """Run ``made``, which keeps nothing of what it made but a weak reference; collect."""
    dropped = await made()
    gc.collect()
    return dropped


def _resource_warnings(caught: pytest.WarningsRecorder) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]


@pytest.mark.parametrize("protocol", [2, 3])
async def test_a_dropped_subscription_closes_its_connection_and_warns_once(
    redis_7: RedisServerInfo, protocol: Any
) -> None:
    async with Redis(redis_7.host, redis_7.port, protocol=protocol) as r:
        assert await r.ping()
        subscribers, supervisors = _subscribers(redis_7), _supervisors()

        async def subscribed() -> weakref.ref[PubSub[bytes]]:
            p = r.pubsub()
            await p.subscribe("dropped:news")
            await p.psubscribe("dropped:*")
            assert _subscribers(redis_7) == subscribers + 1
            return weakref.ref(p)  # all the caller keeps

        with pytest.warns(ResourceWarning, match=_DROPPED) as caught:
            dropped = await _dropped(subscribed)
        assert len(_resource_warnings(caught)) == 1
        assert dropped() is None
        await until(lambda: _subscribers(redis_7) == subscribers, 5, "the subscriber hung up")
        await until(lambda: _supervisors() == supervisors, 5, "the supervisor stopped")
        assert await r.publish("dropped:news", "nobody") == 0
        assert await r.ping()  # the client goes on


async def test_a_subscription_dropped_while_restoring_reports_nothing_but_the_warning(
    redis_7: RedisServerInfo, tcp_proxy: ProxyFactory
) -> None:
    proxy = await tcp_proxy(redis_7)
    # The PING that ends a restore gets a message instead of its PONG (RESP2 frames): the
    # restore stays unconfirmed, its marker pending, when the subscription is dropped.
    proxy.rewrite_reply(
        b"*2\r\n$4\r\npong\r\n$0\r\n\r\n", b"*3\r\n$7\r\nmessage\r\n$4\r\nfake\r\n$0\r\n\r\n"
    )
    async with Redis(proxy.host, proxy.port, protocol=2) as r:
        supervisors = _supervisors()

        async def subscribed() -> weakref.ref[PubSub[bytes]]:
            p = r.pubsub(health_check_interval=None)
            await p.subscribe("dropped:news")  # nothing more: it would find the stream out of step
            await until(lambda: proxy.pending_rewrites == 0, 5, "the PONG replaced")
            assert p._links[0].state is LinkState.RESTORING
            return weakref.ref(p)

        with pytest.warns(ResourceWarning, match=r"PubSub \S+ channels=1 patterns=0 .* dropped"):
            dropped = await _dropped(subscribed)
        assert dropped() is None
        await until(lambda: _supervisors() == supervisors, 5, "the supervisor stopped")
        # The marker the close failed goes now. Before, its error was never retrieved, which
        # the loop reported (and the loop check turns into a failure).
        gc.collect()
        await asyncio.sleep(0)


async def test_a_subscription_in_use_is_kept(redis_7: RedisServerInfo) -> None:
    iterated: list[Message[str]] = []
    ran: list[Message[str]] = []
    handled: list[Message[str]] = []
    ready = asyncio.Event()

    async with Redis(redis_7.host, redis_7.port, decode_responses=True) as r:

        async def iterate() -> None:
            # Only this task's frame holds the subscription, while it waits in `async for`.
            async with r.pubsub() as p:
                await p.subscribe("kept:iterated")
                ready.set()
                async for message in p:
                    iterated.append(message)

        async def run() -> None:
            async with r.pubsub() as p:
                await p.subscribe("kept:ran", handler=ran.append)
                ready.set()
                await p.run()

        referenced = r.pubsub()  # handlers given, nobody reading yet: the reference holds it
        await referenced.subscribe("kept:handled", handler=handled.append)
        readers = []
        for reader in (iterate, run):
            ready.clear()
            readers.append(asyncio.ensure_future(reader()))
            async with asyncio.timeout(5):
                await ready.wait()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                gc.collect()
            await asyncio.sleep(0.05)  # a close under way would have ended them by now
            for channel in ("kept:iterated", "kept:ran", "kept:handled"):
                assert await r.publish(channel, "still here") == 1
            await until(lambda: len(iterated) == len(ran) == 1, 5, "both readers' messages")
            assert await referenced.get_message(timeout=0.5) is None  # the handler took it
            assert [m.channel for m in (*iterated, *ran, *handled)] == [
                "kept:iterated",
                "kept:ran",
                "kept:handled",
            ]
        finally:
            for task in readers:
                task.cancel()
            await asyncio.gather(*readers, return_exceptions=True)
            await referenced.aclose()


@pytest.mark.parametrize(
    "options",
    [{}, {"strategy": "pooled"}, {"cache": True}],
    ids=["multiplexed", "pooled", "cached"],
)
async def test_a_client_whose_last_user_was_a_dropped_subscription_is_closed(
    redis_7: RedisServerInfo, options: dict[str, Any]
) -> None:
    before, subscribers, supervisors = _clients(redis_7), _subscribers(redis_7), _supervisors()

    async def used() -> weakref.ref[Redis[bytes]]:
        client: Redis[bytes] = Redis(redis_7.host, redis_7.port, **options)
        assert await client.ping()
        p = client.pubsub()
        await p.subscribe("dropped:news")
        await p.psubscribe("dropped:*")
        return weakref.ref(client)  # the subscription was its client's last user

    async def used_then_collected() -> weakref.ref[Redis[bytes]]:
        dropped = await _dropped(used)  # the subscription: its connection ends soon after
        await until(lambda: _supervisors() == supervisors, 5, "the supervisor stopped")
        gc.collect()  # then the client, which its connection held to reconnect through
        return dropped

    with pytest.warns(ResourceWarning) as caught:
        dropped = await used_then_collected()
    warned = _resource_warnings(caught)
    assert "redis_oxide.PubSub" in warned[0]
    # Pooled, the subscription leased the connection the PING had used, and closed it: the
    # client had nothing left open and says nothing (as a client that never connected).
    client_warned = [] if options.get("strategy") == "pooled" else ["redis_oxide.Redis"]
    assert [w.split()[0].lstrip("<") for w in warned[1:]] == client_warned, warned
    assert dropped() is None
    assert await _settle(redis_7, before) == before
    assert _subscribers(redis_7) == subscribers


async def test_a_dropped_cluster_subscription_closes_every_connection(
    redis_cluster: ClusterInfo,
) -> None:
    owners = slot_owners(redis_cluster)
    channels = spread_channels(redis_cluster, owners, 6)
    seed = redis_cluster.primaries[0]
    async with RedisCluster(seed.host, seed.port, decode_responses=True) as rc:
        await rc.ping()
        topology = rc._executor.topology
        listeners, supervisors = len(topology._listeners), _supervisors()

        async def subscribed() -> weakref.ref[PubSub[str]]:
            p = rc.pubsub()
            await p.subscribe("dropped:news")
            await p.psubscribe("dropped:*")
            await p.ssubscribe(*channels)  # one more connection per primary
            assert len(p._links) == 1 + len(redis_cluster.primaries)
            return weakref.ref(p)

        with pytest.warns(ResourceWarning, match=r"redis_oxide.PubSub .* was dropped") as caught:
            dropped = await _dropped(subscribed)
        assert len(_resource_warnings(caught)) == 1
        assert "shard_channels=6" in _resource_warnings(caught)[0]
        assert dropped() is None
        assert len(topology._listeners) == listeners  # the map listener was removed
        await until(lambda: _supervisors() == supervisors, 5, "every supervisor stopped")

        def unsubscribed() -> bool:
            for node in redis_cluster.primaries:
                reply = raw_command(node.endpoint, "PUBSUB", "SHARDNUMSUB", *channels)
                assert isinstance(reply, list)
                if any(reply[1::2]):
                    return False
            return True

        await until(unsubscribed, 5, "every node's shard subscribers hung up")
        assert await rc.publish("dropped:news", "nobody") == 0
