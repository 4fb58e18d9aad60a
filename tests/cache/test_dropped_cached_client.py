"""A cached client dropped without ``aclose()`` closes its connections (the tracking one
included) and its watcher, and says so, as an uncached one does; while a view, pipeline,
subscription or script made from it lives, it stays open and its cache keeps serving."""

from __future__ import annotations

import asyncio
import gc
import uuid
import warnings
from typing import Any

import pytest

from redis_oxide import CacheConfig, Redis
from redis_oxide.exceptions import WrongTypeError
from redis_oxide.testing import RedisServerInfo
from tests.client.test_dropped_client import _clients, _settle

pytestmark = pytest.mark.timeout(60)

_DROPPED = r"redis_oxide.Redis .* dropped without aclose"


def _key() -> str:
    return f"dropped:{uuid.uuid4().hex[:8]}"


def _drop(held: list[Any]) -> None:
    """Let go of the last references in ``held``, then collect."""
    held.clear()
    gc.collect()


def _watchers() -> int:
    """The cache watcher tasks running on this loop."""
    return sum("TrackingConnector._watch" in repr(task) for task in asyncio.all_tasks())


@pytest.mark.parametrize(
    "options",
    [
        {"cache": True},
        {"cache": CacheConfig(refresh=False)},
        {"cache": CacheConfig(mode="bcast", prefixes=["dropped:"])},
        {"cache": True, "strategy": "pooled"},
        {"cache": True, "telemetry": True},
    ],
    ids=["refresh", "no-refresh", "bcast", "pooled", "telemetry"],
)
async def test_dropped_cached_clients_close_every_connection_and_warn(
    redis_7: RedisServerInfo, options: dict[str, Any]
) -> None:
    before, watchers = _clients(redis_7), _watchers()
    key = _key()

    async def used() -> Redis[bytes]:
        client: Redis[bytes] = Redis(redis_7.host, redis_7.port, **options)
        cache = client.cache
        assert cache is not None
        assert await client.set(key, "v")
        assert await client.get(key) == b"v"  # a miss, on the tracking connection
        assert await client.get(key) == b"v"  # a hit
        assert cache.hits == 1
        assert await client.blpop([_key()], 0.01) is None  # a dedicated connection too
        return client

    async with Redis(redis_7.host, redis_7.port) as writer:
        clients = [await used() for _ in range(20)]
        assert _clients(redis_7) >= before + 20 * 2  # each with its tracking connection
        assert _watchers() == watchers + 20
        await writer.set(key, "w")  # an invalidation (a refresh, where on) for every cache
        await asyncio.sleep(0.05)
        with pytest.warns(ResourceWarning, match=_DROPPED) as caught:
            _drop(clients)
    assert len([w for w in caught if issubclass(w.category, ResourceWarning)]) == 20
    assert await _settle(redis_7, before) == before
    for _ in range(100):  # the watchers were stopped, not left for the loop's end
        if _watchers() == watchers:
            break
        await asyncio.sleep(0.01)
    assert _watchers() == watchers


async def test_a_dropped_cached_client_whose_joined_read_failed_is_closed(
    redis_7: RedisServerInfo,
) -> None:
    before = _clients(redis_7)
    key = _key()

    client = Redis(redis_7.host, redis_7.port, cache=True)
    assert await client.rpush(key, "x") >= 1
    assert await client.get(_key()) is None  # the tracking connection is up
    # The second read joins the first; both get the server's error.
    outcomes = await asyncio.gather(client.get(key), client.get(key), return_exceptions=True)
    assert [type(outcome) for outcome in outcomes] == [WrongTypeError, WrongTypeError]
    assert client.cache is not None
    assert client.cache.coalesced == 1
    held = [client]
    del client, outcomes  # the outcomes' tracebacks hold the executor too
    with pytest.warns(ResourceWarning, match=_DROPPED):
        _drop(held)
    assert await _settle(redis_7, before) == before


async def test_what_was_made_from_a_dropped_cached_client_keeps_it_open(
    redis_7: RedisServerInfo,
) -> None:
    before = _clients(redis_7)
    key = _key()
    view = Redis(redis_7.host, redis_7.port, cache=True).with_options(command_timeout=5.0)
    bypass = Redis(redis_7.host, redis_7.port, cache=True).with_options(cache=False)
    pipe = Redis(redis_7.host, redis_7.port, cache=True).pipeline(transaction=True)
    pubsub = Redis(redis_7.host, redis_7.port, cache=True).pubsub()
    script = Redis(redis_7.host, redis_7.port, cache=True).register_script("return 7")
    assert await view.set(key, "v")
    assert await view.get(key) == b"v"  # a miss, on the tracking connection
    assert await bypass.get(key) == b"v"
    await pubsub.subscribe("dropped-news")
    gc.collect()  # no warning: each client is reachable through what was made from it
    await asyncio.sleep(0.05)  # a close under way would have ended the connections by now
    assert await view.get(key) == b"v"  # a hit: the tracking connection is still up
    assert view.cache is not None
    assert view.cache.hits == 1
    assert await bypass.get(key) == b"v"
    pipe.set(key, "p")
    pipe.get(key)
    assert await pipe.execute() == [True, b"p"]
    async with Redis(redis_7.host, redis_7.port) as publisher:
        assert await publisher.publish("dropped-news", "hello") == 1
    message = await pubsub.get_message(timeout=5.0)
    assert message is not None
    assert message.data == b"hello"
    # Closed here, so the count below is of the other four (a dropped one warns on its own).
    await pubsub.aclose()
    assert await script() == 7
    assert _clients(redis_7) > before
    held: list[Any] = [view, bypass, pipe, pubsub, script]
    del view, bypass, pipe, pubsub, script
    with pytest.warns(ResourceWarning, match=_DROPPED) as caught:
        _drop(held)
    # The subscription's client has nothing left open once it closed: it says nothing.
    assert len([w for w in caught if issubclass(w.category, ResourceWarning)]) == 4
    assert await _settle(redis_7, before) == before


async def test_a_closed_cached_client_dropped_says_nothing(redis_7: RedisServerInfo) -> None:
    before = _clients(redis_7)
    key = _key()
    async with Redis(redis_7.host, redis_7.port, cache=True) as client:
        assert await client.get(key) is None
        assert await client.get(key) is None
    del client
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gc.collect()
    assert await _settle(redis_7, before) == before
