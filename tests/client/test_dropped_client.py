"""A client dropped without ``aclose()`` closes its connections and says so, as an unclosed
file does; while a view, pipeline, subscription or script made from it lives, it stays open."""

from __future__ import annotations

import asyncio
import gc
import warnings

import pytest

from redis_oxide import Redis
from redis_oxide.testing import RedisServerInfo, raw_command

pytestmark = pytest.mark.timeout(60)


def _clients(server: RedisServerInfo) -> int:
    listing = raw_command(server.endpoint, "CLIENT", "LIST", "TYPE", "normal")
    assert isinstance(listing, bytes)
    return len(listing.splitlines())


async def _settle(server: RedisServerInfo, count: int) -> int:
    """The server's count of normal clients once it reaches ``count`` (5 s at most)."""
    now = _clients(server)
    for _ in range(250):
        if now == count:
            break
        await asyncio.sleep(0.02)
        now = _clients(server)
    return now


@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
async def test_a_dropped_client_closes_its_connections_and_warns(
    redis_7: RedisServerInfo, strategy: str
) -> None:
    before = _clients(redis_7)

    async def use_and_drop() -> None:
        client = Redis(redis_7.host, redis_7.port, strategy=strategy)  # type: ignore[call-overload]
        assert await client.ping()
        assert await client.blpop(["nothing"], 0.01) is None  # a dedicated connection too
        assert _clients(redis_7) > before

    await use_and_drop()
    with pytest.warns(ResourceWarning, match=r"redis_oxide.Redis .* dropped without aclose"):
        gc.collect()
    assert await _settle(redis_7, before) == before  # hung up, not left for the loop's end


async def test_what_was_made_from_a_dropped_client_keeps_it_open(
    redis_7: RedisServerInfo,
) -> None:
    before = _clients(redis_7)
    view = Redis(redis_7.host, redis_7.port).with_options(command_timeout=5.0)
    pipe = Redis(redis_7.host, redis_7.port).pipeline()
    script = Redis(redis_7.host, redis_7.port).register_script("return 7")
    gc.collect()  # no warning: each client is still reachable through what was made from it
    assert await view.ping()
    pipe.set("made", "1")
    assert await pipe.execute() == [True]
    assert await script() == 7
    del view, pipe, script
    with pytest.warns(ResourceWarning) as caught:
        gc.collect()
    assert len(caught) == 3
    assert await _settle(redis_7, before) == before


async def test_a_closed_client_dropped_says_nothing(redis_7: RedisServerInfo) -> None:
    client = Redis(redis_7.host, redis_7.port)
    assert await client.ping()
    await client.aclose()
    del client
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gc.collect()


async def test_a_client_that_never_connected_says_nothing_when_dropped() -> None:
    client = Redis("127.0.0.1", 1)  # never used: nothing was opened
    assert "127.0.0.1:1" in repr(client)
    del client
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gc.collect()
