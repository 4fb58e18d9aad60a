"""``cluster.on(group)`` gives one value only where the spec says how to combine the nodes'.

- Commands that answer for one node and have no policy tip (ROLE, TIME, CONFIG GET,
  CLIENT ID) are refused on a group before anything is sent, naming ``each``; on one member
  they work as ever.
- ``view.each(call)`` gives every node's own value, keyed by its ``ClusterMember``.
- What the policies define stays: DBSIZE summed, KEYS concatenated, PING and CONFIG SET on
  every node, the PUBSUB queries combined.
"""

from __future__ import annotations

import time

import pytest

from redis_oxide import RedisCluster
from redis_oxide.exceptions import InvalidUsageError
from redis_oxide.testing import ClusterInfo, raw_command

pytestmark = pytest.mark.timeout(30)


async def test_commands_without_a_combining_rule_are_refused_on_a_group(
    redis_cluster: ClusterInfo,
) -> None:
    async with RedisCluster.from_url(redis_cluster.startup_url, decode_responses=True) as cluster:
        for group in ("primaries", "replicas", "all"):
            view = cluster.on(group)
            before = cluster.stats().nodes
            for call in (
                view.role,
                view.time,
                view.client_id,
                lambda view=view: view.config_get("port"),
                lambda view=view: view.execute_command("TIME"),
            ):
                with pytest.raises(InvalidUsageError, match=r"each\(lambda node"):
                    await call()
            assert cluster.stats().nodes.keys() == before.keys()
        with pytest.raises(InvalidUsageError, match=r"^ROLE answers for one node"):
            cluster.on("primaries").role()  # refused at the call, before anything is sent
        member = (await cluster.nodes("primaries"))[0]
        assert (await cluster.on(member).role()).role == "master"


async def test_each_gives_every_node_its_own_value(redis_cluster: ClusterInfo) -> None:
    async with RedisCluster.from_url(redis_cluster.startup_url, decode_responses=True) as cluster:
        primaries = await cluster.nodes("primaries")
        roles = await cluster.on("primaries").each(lambda node: node.role())
        assert list(roles) == primaries
        assert {role.role for role in roles.values()} == {"master"}
        assert all(len(role.replicas or []) == 1 for role in roles.values())

        everyone = await cluster.nodes("all")
        ports = await cluster.on("all").each(lambda node: node.config_get("port"))
        assert ports == {node: {"port": str(node.port)} for node in everyone}

        times = await cluster.on("replicas").each(lambda node: node.time())
        assert len(times) == len(redis_cluster.replicas)
        for seconds, micros in times.values():
            assert abs(seconds - time.time()) < 60
            assert 0 <= micros < 1_000_000

        ids = await cluster.on("all").each(lambda node: node.client_id())
        assert len(ids) == 6
        assert all(isinstance(value, int) for value in ids.values())

        one = await cluster.on(primaries[0]).each(lambda node: node.execute_command("ROLE"))
        assert list(one) == [primaries[0]]


async def test_what_the_policies_define_is_kept_on_a_group(redis_cluster: ClusterInfo) -> None:
    async with RedisCluster.from_url(redis_cluster.startup_url, decode_responses=True) as cluster:
        keys = [f"views:{i}" for i in range(30)]
        try:
            for key in keys:
                await cluster.set(key, "v")
            assert await cluster.on("primaries").dbsize() >= 30
            found = await cluster.on("primaries").keys("views:*")
            assert sorted(found) == sorted(keys)
            assert await cluster.on("all").ping() == "PONG"
            was = await cluster.on("primaries").each(
                lambda node: node.config_get("slowlog-max-len")
            )
            assert await cluster.on("all").config_set({"slowlog-max-len": "129"})
            for node in redis_cluster.nodes:
                reply = raw_command(node.endpoint, "CONFIG", "GET", "slowlog-max-len")
                assert reply == [b"slowlog-max-len", b"129"]
            old = next(iter(was.values()))["slowlog-max-len"]
            assert await cluster.on("all").config_set({"slowlog-max-len": old})
            assert await cluster.on("all").pubsub_numpat() >= 0
        finally:
            await cluster.delete(*keys)
