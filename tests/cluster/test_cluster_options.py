"""``RedisCluster.with_options``: per-call settings over the client's slot map and nodes.

- A view's ``command_timeout`` bounds its single-key commands, keyless commands, fan-outs,
  pipelines and split MGETs on a node that stopped answering (``DEBUG SLEEP`` on it), while
  the client itself, on the same connections, waits for the node.
- A view's timeout that is shorter than the client's does not mark the node failing; the
  client's own does.
- A view made before the first command starts the client's slot map; closing a view closes
  nothing; views of views keep the settings they do not change.
- ``cache=False`` reads past every node's cache and still invalidates on writes; ``cache=True``
  needs a client built with a cache.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable
from typing import TYPE_CHECKING

import pytest

from redis_oxide import ClusterCache, RedisCluster
from redis_oxide.exceptions import CommandTimeoutError
from redis_oxide.testing import ClusterInfo, NodeInfo
from tests.cluster._asleep import asleep, key_on

if TYPE_CHECKING:
    from tests.conftest import Figure

pytestmark = pytest.mark.timeout(60)

SLEEP = 0.6
QUICK = 0.15


@pytest.fixture
async def cluster(redis_cluster: ClusterInfo) -> AsyncIterator[RedisCluster[bytes]]:
    seed = redis_cluster.primaries[0]
    async with RedisCluster(seed.host, seed.port, command_timeout=5.0) as client:
        yield client


async def _sleeping(node: NodeInfo) -> asyncio.Future[object]:
    return await asleep(node, SLEEP)


async def _times_out(call: Awaitable[object]) -> float:
    started = time.monotonic()
    with pytest.raises(CommandTimeoutError):
        await call
    return time.monotonic() - started


async def test_a_views_timeout_bounds_every_kind_of_call_the_client_waits(
    cluster: RedisCluster[bytes], redis_cluster: ClusterInfo, figures: Figure
) -> None:
    node = redis_cluster.primaries[1]
    key = key_on(redis_cluster, node, "opt")
    other = key_on(redis_cluster, redis_cluster.primaries[2], "opt")
    assert await cluster.set(key, "v")
    assert await cluster.set(other, "w")
    quick = cluster.with_options(command_timeout=QUICK)
    assert quick.command_timeout == QUICK
    assert cluster.command_timeout == 5.0
    assert "view" in repr(quick)

    waited: dict[str, float] = {}
    sleeper = await _sleeping(node)
    waited["GET"] = await _times_out(quick.get(key))
    await sleeper
    sleeper = await _sleeping(node)
    waited["MGET over two nodes"] = await _times_out(quick.mget(key, other))
    await sleeper
    sleeper = await _sleeping(node)

    async def pipeline() -> None:
        async with quick.pipeline(transaction=False) as pipe:
            pipe.get(key)
            pipe.get(other)

    waited["pipeline"] = await _times_out(pipeline())
    await sleeper
    sleeper = await _sleeping(node)
    waited["DBSIZE on every primary"] = await _times_out(quick.on("primaries").dbsize())
    await sleeper
    # The client itself waits for the node on the same connections.
    sleeper = await _sleeping(node)
    started = time.monotonic()
    assert await cluster.get(key) == b"v"
    slow = time.monotonic() - started
    await sleeper
    assert await quick.get(key) == b"v"  # the view works again once the node answers
    for name, seconds in waited.items():
        assert seconds < SLEEP - 0.1, f"{name} waited {seconds:.2f} s"
    assert slow > QUICK
    figures(
        "view command_timeout=0.15 s, node asleep 0.6 s: waited (s)",
        ", ".join(f"{name} {seconds:.2f}" for name, seconds in waited.items())
        + f"; the client itself {slow:.2f}",
    )


async def test_a_views_shorter_timeout_does_not_mark_the_node_failing(
    cluster: RedisCluster[bytes], redis_cluster: ClusterInfo
) -> None:
    node = redis_cluster.primaries[1]
    address = f"{node.host}:{node.port}"
    key = key_on(redis_cluster, node, "opt")
    assert await cluster.set(key, "v")
    quick = cluster.with_options(command_timeout=QUICK)
    sleeper = await _sleeping(node)
    await _times_out(quick.get(key))
    assert address not in cluster.stats().down  # the caller's bound, not the node's failure
    await sleeper
    assert await cluster.get(key) == b"v"
    # A client whose own timeout expires learns that the node hangs.
    seed = redis_cluster.primaries[0]
    async with RedisCluster(seed.host, seed.port, command_timeout=QUICK) as tight:
        assert await tight.get(key) == b"v"
        sleeper = await _sleeping(node)
        await _times_out(tight.get(key))
        assert address in tight.stats().down
        await sleeper


async def test_views_share_the_map_close_nothing_and_keep_their_settings(
    redis_cluster: ClusterInfo,
) -> None:
    seed = redis_cluster.primaries[0]
    key = f"opt:share:{uuid.uuid4().hex[:8]}"
    async with RedisCluster(seed.host, seed.port, command_timeout=5.0) as client:
        view = client.with_options(command_timeout=2.0)  # before the first command
        assert await view.set(key, "v")
        assert client._executor.topology.map is not None  # the view loaded the client's map
        nested = view.with_options(cache=False)
        assert nested.command_timeout == 2.0
        assert nested.with_options(command_timeout=None).command_timeout is None
        await view.aclose()
        await nested.aclose()
        assert await client.get(key) == b"v"
        assert await view.get(key) == b"v"
        with pytest.raises(ValueError, match="cache=True needs"):
            client.with_options(cache=True)
        await client.delete(key)


async def test_cache_false_reads_past_every_nodes_cache_and_still_invalidates(
    redis_cluster: ClusterInfo,
) -> None:
    seed = redis_cluster.primaries[0]
    keys = [key_on(redis_cluster, p, "opt:cache") for p in redis_cluster.primaries]
    async with RedisCluster(seed.host, seed.port, cache=True, command_timeout=5.0) as client:
        caches = client.cache
        assert isinstance(caches, ClusterCache)
        for key in keys:
            assert await client.set(key, "1")
            assert await client.get(key) == b"1"  # a miss, kept
        bypass = client.with_options(cache=False)
        assert [await bypass.get(key) for key in keys] == [b"1"] * 3
        assert (caches.hits, caches.misses, len(caches)) == (0, 3, 3)  # not counted, kept
        assert [await client.get(key) for key in keys] == [b"1"] * 3
        assert caches.hits == 3
        for key in keys:
            assert await bypass.set(key, "2")  # a write through the view invalidates
        assert len(caches) == 0  # each entry dropped when its write was sent
        assert [await client.get(key) for key in keys] == [b"2"] * 3
        again = bypass.with_options(cache=True)
        assert [await again.get(key) for key in keys] == [b"2"] * 3
        await client.delete(*keys)
