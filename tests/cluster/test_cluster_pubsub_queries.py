"""PUBLISH routing and the cluster-wide PUBSUB queries, on the shared six-node cluster.

PUBLISH goes to its channel's slot's primary, so one client's awaited publishes to a channel
arrive in order; PUBSUB CHANNELS/NUMSUB/NUMPAT (and the shard variants) ask every node, since
each node knows only its own clients' subscriptions. MEMORY STATS sums amounts, not averages.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from redis_oxide import Redis, RedisCluster
from redis_oxide._keys import key_slot
from redis_oxide.testing import ClusterInfo, NodeInfo, parse_info, raw_command
from tests.cluster._migrate import owner_of

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def cluster(redis_cluster: ClusterInfo) -> AsyncIterator[RedisCluster[str]]:
    seed = redis_cluster.primaries[0]
    async with RedisCluster(seed.host, seed.port, decode_responses=True) as client:
        yield client


def _publish_calls(node: NodeInfo) -> int:
    fields = parse_info(raw_command(node.endpoint, "INFO", "commandstats")).get("cmdstat_publish")
    return int(dict(f.split("=") for f in fields.split(","))["calls"]) if fields else 0


async def test_publish_goes_to_the_channel_slots_primary(
    cluster: RedisCluster[str], redis_cluster: ClusterInfo
) -> None:
    channel = "orders:published"
    owner = owner_of(redis_cluster, key_slot(channel))
    before = {node.port: _publish_calls(node) for node in redis_cluster.nodes}
    for index in range(30):
        await cluster.publish(channel, str(index))
    async with cluster.pipeline() as pipe:
        for index in range(10):
            pipe.publish(channel, str(index))
    after = {node.port: _publish_calls(node) for node in redis_cluster.nodes}
    assert {port: after[port] - before[port] for port in after} == {
        node.port: 40 if node.port == owner.port else 0 for node in redis_cluster.nodes
    }


async def test_awaited_publishes_arrive_in_order(cluster: RedisCluster[str]) -> None:
    count = 200
    received: list[int] = []
    async with cluster.pubsub() as p:
        await p.subscribe("orders:sequence")
        for index in range(count):
            await cluster.publish("orders:sequence", str(index))
        async with asyncio.timeout(10):
            async for message in p:
                received.append(int(message.data))
                if len(received) == count:
                    break
    assert received == list(range(count))


async def test_publish_counts_the_receivers_of_one_node(
    cluster: RedisCluster[str], redis_cluster: ClusterInfo
) -> None:
    # The count is the subscribers of the node that took the message: the channel's owner.
    channel = "orders:counted"
    owner = owner_of(redis_cluster, key_slot(channel))
    other = next(p for p in redis_cluster.primaries if p.port != owner.port)
    async with (
        Redis(owner.host, owner.port) as at_owner,
        Redis(other.host, other.port) as at_other,
        at_owner.pubsub() as p1,
        at_other.pubsub() as p2,
    ):
        await p1.subscribe(channel)
        await p2.subscribe(channel)
        assert [await cluster.publish(channel, "x") for _ in range(10)] == [1] * 10


@contextlib.asynccontextmanager
async def _subscribers(redis_cluster: ClusterInfo) -> AsyncIterator[None]:
    # Two subscribers of "news" on two primaries, one more on a replica, a pattern on the
    # third primary.
    nodes = [*redis_cluster.primaries, *redis_cluster.replicas]
    clients = [Redis(n.host, n.port) for n in nodes]
    subs = [c.pubsub() for c in clients]
    try:
        await subs[0].subscribe("news", "weather")
        await subs[1].subscribe("news")
        await subs[len(redis_cluster.primaries)].subscribe("news")
        await subs[2].psubscribe("news:*")
        yield
    finally:
        for sub in subs:
            await sub.aclose()
        for client in clients:
            await client.aclose()


@pytest.mark.parametrize("protocol", [2, 3])
async def test_pubsub_queries_cover_every_node(redis_cluster: ClusterInfo, protocol: Any) -> None:
    seed = redis_cluster.primaries[0]
    async with (
        _subscribers(redis_cluster),
        RedisCluster(seed.host, seed.port, protocol=protocol, decode_responses=True) as cluster,
    ):
        for _ in range(3):  # the same answer whichever node a call would have picked
            assert await cluster.pubsub_numsub(channel=["news", "weather", "none"]) == {
                "news": 3,
                "weather": 1,
                "none": 0,
            }
            assert await cluster.pubsub_numpat() == 1
            assert sorted(await cluster.pubsub_channels(pattern="news*")) == ["news"]
            assert sorted(await cluster.pubsub_channels()) == ["news", "weather"]
        for target in ("all", "primaries"):
            view = cluster.on(target)
            expected = 3 if target == "all" else 2
            assert await view.pubsub_numsub(channel=["news"]) == {"news": expected}
            assert await view.pubsub_numpat() == 1
            assert sorted(await view.pubsub_channels()) == ["news", "weather"]
        async with cluster.pipeline() as pipe:
            numsub = pipe.pubsub_numsub(channel=["news"])
            numpat = pipe.pubsub_numpat()
        assert (await numsub, await numpat) == ({"news": 3}, 1)


async def test_shard_channel_queries_cover_every_node(cluster: RedisCluster[str]) -> None:
    async with cluster.pubsub() as p:
        await p.ssubscribe("alerts:a", "alerts:b")
        for _ in range(3):
            assert sorted(await cluster.pubsub_shardchannels(pattern="alerts:*")) == [
                "alerts:a",
                "alerts:b",
            ]
            assert await cluster.pubsub_shardnumsub(shardchannel=["alerts:a", "alerts:b"]) == {
                "alerts:a": 1,
                "alerts:b": 1,
            }


@pytest.mark.parametrize("protocol", [2, 3])
async def test_memory_stats_sums_amounts_not_averages(
    redis_cluster: ClusterInfo, protocol: Any
) -> None:
    seed = redis_cluster.primaries[0]
    async with RedisCluster(seed.host, seed.port, protocol=protocol, decode_responses=True) as rc:
        await rc.mset({f"stats:{i}": "v" * 200 for i in range(300)})
        nodes = await rc.nodes("primaries")
        per_node = [await rc.on(node).memory_stats() for node in nodes]
        combined = await rc.memory_stats()
        assert combined.keys_count == sum(s.keys_count for s in per_node)
        averages = [s.keys_bytes_per_key for s in per_node]
        # A per-key average of the whole cluster lies among the nodes' own, not their sum.
        assert min(averages) * 0.8 <= combined.keys_bytes_per_key <= max(averages) * 1.2
        assert 0 < combined.dataset_percentage <= 100
        assert 0 < combined.peak_percentage <= 100
        assert combined.fragmentation is not None
        fragmentations = [s.fragmentation for s in per_node if s.fragmentation is not None]
        assert combined.fragmentation <= max(fragmentations) * 1.2
        await rc.delete(*(f"stats:{i}" for i in range(300)))


async def test_acl_log_holds_the_entries_of_every_node(
    cluster: RedisCluster[str], redis_cluster: ClusterInfo
) -> None:
    # A denial logged on one node only: every call shows it, whichever node it would have
    # picked at random before.
    user = "acl-log-reader"
    node = redis_cluster.primaries[1]
    try:
        raw_command(node.endpoint, "ACL", "SETUSER", user, "reset", "on", ">pw", "+ping")
        with contextlib.suppress(Exception):
            async with Redis(node.host, node.port, username=user, password="pw") as denied:
                await denied.get("acl-log:denied")
        for _ in range(6):
            entries = await cluster.acl_log()
            assert any(entry.username == user for entry in entries), entries
    finally:
        raw_command(node.endpoint, "ACL", "DELUSER", user)
        raw_command(node.endpoint, "ACL", "LOG", "RESET")
