"""Every placement uses the freshest owner of a slot, before the map shows the move.

After a slot moved and one MOVED was followed, the map is patched for that slot at once and
refreshed in the background, which the rate limit may put off (here it is held off for the
whole test, so the map stays the one from before the move). Meanwhile SPUBLISH, PUBLISH and a
new SSUBSCRIBE on a channel of that slot go straight to the new owner: no second MOVED, no
PUBLISH on the old owner, the subscription on the new owner only (``PUBSUB SHARDNUMSUB`` on
each node).

On a cluster of this module's own (slots move here).
"""

from __future__ import annotations

import asyncio

import pytest

from redis_oxide import RedisCluster
from redis_oxide._cluster import _topology
from redis_oxide._keys import key_slot
from redis_oxide.testing import ClusterInfo, NodeInfo, parse_info, raw_command
from tests.cluster._migrate import elsewhere, move_slot

pytestmark = pytest.mark.timeout(60)

KEY = "{fresh}:key"
CHANNEL = "{fresh}:channel"


def _calls(node: NodeInfo, command: str) -> int:
    # Calls of ``command`` on ``node``, those it refused (a MOVED) included.
    stats = parse_info(raw_command(node.endpoint, "INFO", "commandstats"))
    fields = stats.get(f"cmdstat_{command}")
    if not fields:
        return 0
    counts = dict(f.split("=") for f in fields.split(","))
    return int(counts["calls"]) + int(counts.get("rejected_calls", 0))


def _per_node(nodes: tuple[NodeInfo, ...], command: str) -> list[int]:
    return [_calls(node, command) for node in nodes]


def _since(before: list[int], nodes: tuple[NodeInfo, ...], command: str) -> list[int]:
    return [now - then for now, then in zip(_per_node(nodes, command), before, strict=True)]


def _shard_subscribers(node: NodeInfo, channel: str) -> int:
    reply = raw_command(node.endpoint, "PUBSUB", "SHARDNUMSUB", channel)
    assert isinstance(reply, list)
    count = reply[1]
    assert isinstance(count, int)
    return count


async def test_publish_and_ssubscribe_follow_a_moved_slot_before_the_map_does(
    own_cluster: ClusterInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The background refresh a MOVED asks for waits out the rate limit: a minute here, so
    # the map stays stale for the whole test (in use it is 0.2 s, or a node that has not
    # heard of the move yet answers the refresh).
    monkeypatch.setattr(_topology, "_MIN_INTERVAL", 60.0)
    slot = key_slot(KEY)
    assert key_slot(CHANNEL) == slot
    source, target = elsewhere(own_cluster, slot)
    seed = own_cluster.primaries[0]
    async with RedisCluster(
        seed.host, seed.port, command_timeout=5.0, topology_refresh_interval=None
    ) as client:
        await client.set(KEY, "v")  # loads the map
        await asyncio.to_thread(move_slot, own_cluster, source, target, slot)
        try:
            assert await client.get(KEY) == b"v"  # the one MOVED: the slot is patched
            assert client.stats().moved == 1
            refreshes = client.stats().refreshes

            before = _per_node((source, target), "spublish")
            await client.spublish(CHANNEL, "sharded")
            assert _since(before, (source, target), "spublish") == [0, 1], "SPUBLISH: old owner"

            before = _per_node((source, target), "publish")
            await client.publish(CHANNEL, "classic")
            async with client.pipeline() as pipe:
                pipe.publish(CHANNEL, "pipelined")
            assert _since(before, (source, target), "publish") == [0, 2], "PUBLISH: old owner"

            before = _per_node((source, target), "ssubscribe")
            async with client.pubsub() as pubsub:
                await pubsub.ssubscribe(CHANNEL)
                assert _since(before, (source, target), "ssubscribe") == [0, 1], "SSUBSCRIBE"
                assert _shard_subscribers(source, CHANNEL) == 0
                assert _shard_subscribers(target, CHANNEL) == 1
                await client.spublish(CHANNEL, "heard")
                async with asyncio.timeout(5):
                    message = await pubsub.get_message(timeout=5.0)
                assert message is not None
                assert message.data == b"heard"
            assert client.stats().refreshes == refreshes  # all of it on the stale map
        finally:
            await asyncio.to_thread(move_slot, own_cluster, target, source, slot)
