"""A cluster's health report over each node's executor, on the session cluster and on one
whose primary is killed; and ``RedisCluster.health()``, which builds it from the client's own
map and nodes, healthy, with no node to ask, and bounded with a primary killed or stopped.

The report is built the way the cluster client builds it: from a slot map (here read with
``CLUSTER SHARDS`` before anything is broken) and one executor per node (here each node's
own standalone client).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from redis_oxide import Redis, RedisCluster
from redis_oxide._health_cluster import SLOTS, ShardPlan, cluster_report
from redis_oxide.testing import ClusterInfo, raw_command
from redis_oxide.testing._cluster import start_cluster
from tests.conftest import Figure

pytestmark = pytest.mark.timeout(90)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _pairs(record: Any) -> dict[str, Any]:
    if isinstance(record, dict):
        return {_text(k): v for k, v in record.items()}
    return {_text(record[i]): record[i + 1] for i in range(0, len(record), 2)}


def _slot_map(cluster: ClusterInfo) -> list[ShardPlan]:
    shards = raw_command(cluster.primaries[0].endpoint, "CLUSTER", "SHARDS")
    assert isinstance(shards, list)
    plans = []
    for shard in shards:
        fields = _pairs(shard)
        slots = [int(s) for s in fields["slots"]]
        ranges = tuple((slots[i], slots[i + 1]) for i in range(0, len(slots), 2))
        nodes = [_pairs(n) for n in fields["nodes"]]
        address = {_text(n["role"]): f"{_text(n['ip'])}:{n['port']}" for n in nodes}
        replicas = tuple(
            f"{_text(n['ip'])}:{n['port']}" for n in nodes if _text(n["role"]) == "replica"
        )
        plans.append(ShardPlan(ranges=ranges, primary=address["master"], replicas=replicas))
    return plans


async def _clients(cluster: ClusterInfo) -> AsyncIterator[dict[str, Redis[bytes]]]:
    clients = {
        f"{n.host}:{n.port}": Redis(n.host, n.port, connect_timeout=0.5) for n in cluster.nodes
    }
    try:
        yield clients
    finally:
        for client in clients.values():
            await client.aclose()


async def test_a_healthy_cluster_covers_every_slot(
    redis_cluster: ClusterInfo, figures: Figure
) -> None:
    async for clients in _clients(redis_cluster):
        executors = {address: c._server for address, c in clients.items()}
        report = await cluster_report(executors, _slot_map(redis_cluster), 2.0)
    assert report.healthy, report.problems
    assert report.cluster is not None
    assert report.cluster.state == "ok"
    assert report.cluster.slots_covered == SLOTS
    assert report.cluster.uncovered == ()
    assert (report.cluster.primaries, report.cluster.replicas) == (3, 3)
    assert [n.role for n in report.nodes] == ["primary"] * 3 + ["replica"] * 3
    assert all(n.replication is not None and n.replication.link_up for n in report.nodes[3:])
    figures("healthy cluster checked in", f"{report.elapsed:.3f} s")


async def test_a_killed_primary_uncovers_its_slots(figures: Figure) -> None:
    cluster = start_cluster(modules=False)
    try:
        plans = _slot_map(cluster)
        async for clients in _clients(cluster):
            executors = {address: c._server for address, c in clients.items()}
            assert (await cluster_report(executors, plans, 2.0)).healthy
            victim = cluster.primaries[0]
            assert victim.process is not None
            victim.process.kill()
            started = time.monotonic()
            report = await cluster_report(executors, plans, 1.0)
            took = time.monotonic() - started
    finally:
        for node in cluster.nodes:
            if node.process is not None:
                node.process.close()
    dead = f"{victim.host}:{victim.port}"
    lost = next(p for p in plans if p.primary == dead)
    assert not report.healthy
    assert took < 1.5
    assert report.cluster is not None
    assert report.cluster.uncovered == lost.ranges
    assert report.cluster.slots_covered == SLOTS - sum(b - a + 1 for a, b in lost.ranges)
    node = next(n for n in report.nodes if n.address == dead)
    assert not node.reachable
    assert f"{dead} did not answer PING" in report.problems[0]
    first, last = lost.ranges[0]
    assert f"slots {first}-{last} have no reachable primary" in report.problems
    figures("killed primary reported in", f"{took:.3f} s")
    figures("problems", "; ".join(report.problems))


async def test_cluster_client_health_on_the_session_cluster(
    redis_cluster: ClusterInfo, figures: Figure
) -> None:
    seed = redis_cluster.primaries[0]
    async with RedisCluster(seed.host, seed.port) as cluster:
        report = await cluster.health()
    assert report.healthy, report.problems
    assert report.cluster is not None
    assert (report.cluster.state, report.cluster.slots_covered) == ("ok", SLOTS)
    assert report.cluster.uncovered == ()
    assert {n.address for n in report.nodes} == {f"{n.host}:{n.port}" for n in redis_cluster.nodes}
    assert [n.role for n in report.nodes] == ["primary"] * 3 + ["replica"] * 3
    assert all(n.latency is not None and n.latency < 2.0 for n in report.nodes)
    figures("cluster client health() in", f"{report.elapsed:.3f} s")


async def test_cluster_client_health_with_no_node_to_ask() -> None:
    cluster = RedisCluster("127.0.0.1", 1, connect_timeout=0.2)
    try:
        started = time.monotonic()
        report = await cluster.health(check_timeout=1.0)
        took = time.monotonic() - started
    finally:
        await cluster.aclose()
    assert not report.healthy
    assert took < 1.5
    assert report.nodes == ()
    assert report.cluster is not None
    assert report.cluster.uncovered == ((0, SLOTS - 1),)
    assert "no slot map" in report.problems[0]
    with pytest.raises(ValueError, match="check_timeout"):
        await cluster.health(check_timeout=0)


@pytest.mark.parametrize("fault", ["kill -9", "SIGSTOP"])
async def test_cluster_client_health_with_a_primary_down_is_bounded(
    fault: str, figures: Figure
) -> None:
    cluster_info = start_cluster(modules=False)
    victim = cluster_info.primaries[0]
    try:
        async with RedisCluster(
            cluster_info.primaries[1].host, cluster_info.primaries[1].port, connect_timeout=0.5
        ) as cluster:
            assert (await cluster.health()).healthy
            plans = {p.primary: p for p in _slot_map(cluster_info)}
            assert victim.process is not None
            if fault == "kill -9":
                victim.process.kill()
            else:
                os.kill(victim.process.pid, signal.SIGSTOP)
            started = time.monotonic()
            report = await cluster.health(check_timeout=1.0)
            took = time.monotonic() - started
    finally:
        for node in cluster_info.nodes:
            if node.process is not None:
                node.process.kill()  # a stopped node ignores SIGTERM
                node.process.close()
    dead = f"{victim.host}:{victim.port}"
    assert took < 1.5
    assert not report.healthy
    assert report.cluster is not None
    assert report.cluster.uncovered == plans[dead].ranges
    assert not next(n for n in report.nodes if n.address == dead).reachable
    assert any(p.startswith(f"{dead} did not answer PING") for p in report.problems)
    figures(f"cluster health() with a primary down ({fault}) in", f"{took:.3f} s")
