"""Two placements that judged by the map alone, against the freshest owner and the contract.

- A refresh whose answer is older than a MOVED patch kept since (the refresh was asked
  before the MOVED came, and answered after) changes the map for another slot: a shard
  channel subscribed on the patched owner stays where it is, with no ``Resubscribed``
  notice. Before, the map's stale owner counted: the channel was subscribed again on the
  same node and a spurious notice told the user it had moved. The refresh is held between
  its answer and its use (``ask_for_map`` wrapped), and the rate limit is raised so that
  nothing else refreshes (as in ``test_freshest_owner.py``).
- With ``read_from="replica"``, the read that meets the shard's only replica dead (``kill -9``)
  fails as later reads do (``ConnectFailedError``: no replica) and nothing is read from the
  primary. Before, that one read went to the primary.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from redis_oxide import RedisCluster, Resubscribed
from redis_oxide._cluster import _topology
from redis_oxide._cluster._slots import SlotMap
from redis_oxide._keys import key_slot
from redis_oxide.exceptions import ConnectFailedError
from redis_oxide.testing import ClusterInfo, NodeInfo, parse_info, raw_command
from tests.cluster._migrate import elsewhere, move_slot, owner_of

pytestmark = pytest.mark.timeout(60)

KEY = "{leftover}:key"
CHANNEL = "{leftover}:channel"
OTHER = "{elsewhere}:key"
READ_KEY = "replica-only:key"


def _shard_subscribers(node: NodeInfo, channel: str) -> int:
    reply = raw_command(node.endpoint, "PUBSUB", "SHARDNUMSUB", channel)
    assert isinstance(reply, list)
    count = reply[1]
    assert isinstance(count, int)
    return count


def _gets(node: NodeInfo) -> int:
    fields = parse_info(raw_command(node.endpoint, "INFO", "commandstats")).get("cmdstat_get")
    return int(dict(f.split("=") for f in fields.split(","))["calls"]) if fields else 0


async def _agreed(cluster: ClusterInfo, slot: int, owner: NodeInfo) -> None:
    # Replicas hear of a move over the cluster bus: every node must answer the new owner.
    for _ in range(200):
        if all(owner_of(cluster, slot, node).port == owner.port for node in cluster.nodes):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the nodes did not all learn that slot {slot} moved within 10 s")


async def test_a_stale_refresh_leaves_a_channel_on_its_patched_owner(
    own_cluster: ClusterInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_topology, "_MIN_INTERVAL", 60.0)
    slot, other_slot = key_slot(KEY), key_slot(OTHER)
    assert key_slot(CHANNEL) == slot
    assert slot != other_slot
    held = asyncio.Event()
    answered = asyncio.Event()
    release = asyncio.Event()
    ask = _topology.ask_for_map

    async def held_ask(*args: Any, **kwargs: Any) -> SlotMap:
        hold = held.is_set()
        found = await ask(*args, **kwargs)
        if hold:
            answered.set()
            await release.wait()
        return found

    monkeypatch.setattr(_topology, "ask_for_map", held_ask)
    notices: list[Resubscribed] = []
    seed = own_cluster.primaries[0]
    other_source, other_target = elsewhere(own_cluster, other_slot)
    source, target = elsewhere(own_cluster, slot)
    async with RedisCluster(
        seed.host, seed.port, command_timeout=5.0, topology_refresh_interval=None
    ) as client:
        await client.set(KEY, "v")  # loads the map
        topology = client._executor.topology  # pyright: ignore[reportPrivateUsage]
        moves = [(other_source, other_target, other_slot)]
        try:
            # The refresh answers with the other slot moved and ours not yet; it is used later.
            await asyncio.to_thread(move_slot, own_cluster, other_source, other_target, other_slot)
            await _agreed(own_cluster, other_slot, other_target)
            held.set()
            refreshing = asyncio.create_task(topology.refresh())
            async with asyncio.timeout(5):
                await answered.wait()
            held.clear()

            await asyncio.to_thread(move_slot, own_cluster, source, target, slot)
            moves.append((source, target, slot))
            assert await client.get(KEY) == b"v"  # the one MOVED: the slot is patched
            assert topology.owner_of(slot) == f"{target.host}:{target.port}"
            async with client.pubsub(on_reconnect=notices.append) as pubsub:
                await pubsub.ssubscribe(CHANNEL)
                assert _shard_subscribers(target, CHANNEL) == 1
                version = topology.version

                release.set()
                async with asyncio.timeout(5):
                    await refreshing
                assert topology.version == version + 1  # the map changed (the other slot)
                assert topology.owner_of(slot) == f"{target.host}:{target.port}"  # patch kept

                # A notice comes in stream order, before a message published after the change.
                await asyncio.sleep(0.2)
                await client.spublish(CHANNEL, "after")
                async with asyncio.timeout(5):
                    message = await pubsub.get_message(timeout=5.0)
                assert message is not None
                assert message.data == b"after"
                assert notices == [], f"a channel that never moved was reported moved: {notices}"
                assert pubsub.reconnects == 0
                assert _shard_subscribers(target, CHANNEL) == 1
                assert _shard_subscribers(source, CHANNEL) == 0
        finally:
            release.set()
            for from_node, to_node, moved in reversed(moves):
                await asyncio.to_thread(move_slot, own_cluster, to_node, from_node, moved)


async def test_replica_only_read_meeting_the_last_replica_dead_does_not_read_the_primary(
    fresh_cluster: ClusterInfo,
) -> None:
    primary = owner_of(fresh_cluster, key_slot(READ_KEY))
    replica = fresh_cluster.replicas[fresh_cluster.primaries.index(primary)]
    assert replica.process is not None
    seed = fresh_cluster.primaries[0]
    async with RedisCluster(
        seed.host,
        seed.port,
        read_from="replica",
        command_timeout=5.0,
        topology_refresh_interval=None,
    ) as client:
        await client.set(READ_KEY, "v")
        await client.wait(1, 2000)
        assert await client.get(READ_KEY) == b"v"  # on the replica: its connection is open
        before = _gets(primary)
        replica.process.kill()
        for attempt in ("met the dead replica", "later"):
            async with asyncio.timeout(5):
                with pytest.raises(ConnectFailedError, match='read_from="replica"'):
                    await client.get(READ_KEY)
            assert _gets(primary) == before, f"the read that {attempt} ran on the primary"
