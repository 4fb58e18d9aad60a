"""A cluster's health report: every node checked, slot coverage, the cluster's own state.

Rules this module keeps (``_health``'s hold too: a typed report within the timeout, never an
exception for an unhealthy target):

- The shape of the cluster comes from the client's slot map (``ShardPlan``: slot ranges, a
  primary and its replicas), never from a new ``CLUSTER SHARDS``: the report says what the
  client would do now.
- Every node of the map is checked concurrently through its own executor; a primary must
  answer as a primary, a replica as a replica with its link up.
- A slot is covered when the primary the map names for it answered as a primary; slots the
  map gives to no node are uncovered too. ``CLUSTER INFO`` of the first node that answers
  gives the cluster's own ``cluster_state``.
- ``cluster_health`` is what ``RedisCluster.health()`` runs: the map is loaded first when
  the client has none yet (within the same timeout); a cluster no startup node answers for
  is a report with the reason, not an exception.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from time import perf_counter

from redis_oxide._cluster import ClusterExecutor
from redis_oxide._exceptions import RedisError
from redis_oxide._generated import _meta as _m
from redis_oxide._health import (
    CheckedExecutor,
    ClusterHealth,
    HealthReport,
    NodeHealth,
    check_node,
    describe_error,
)

__all__ = ["SLOTS", "ShardPlan", "cluster_health", "cluster_report"]

#: Hash slots of a Redis Cluster.
SLOTS = 16384

_CLUSTER_INFO = ("CLUSTER", "INFO")


@dataclass(frozen=True, slots=True)
class ShardPlan:
    """One shard as the client's slot map has it.

    Attributes:
        ranges: Its slot ranges, ``(first, last)`` inclusive.
        primary: ``host:port`` of its primary.
        replicas: ``host:port`` of its replicas.
    """

    ranges: tuple[tuple[int, int], ...]
    primary: str
    replicas: tuple[str, ...]


async def cluster_health(cluster: ClusterExecutor, check_timeout: float) -> HealthReport:
    """The health report of a cluster client: its slot map's nodes, through their executors.

    Args:
        cluster: The client's executor.
        check_timeout: Longest time the whole check may take, in seconds.

    Returns:
        The report; never raises for an unhealthy cluster.

    Raises:
        ValueError: ``check_timeout`` is not positive.
    """
    if check_timeout <= 0:
        raise ValueError(f"check_timeout must be > 0, got {check_timeout!r}")
    started = perf_counter()
    if cluster.topology.map is None:
        try:
            async with asyncio.timeout(check_timeout):
                await cluster.start()
        except (RedisError, OSError, TimeoutError) as exc:
            problem = f"no slot map: no startup node answered ({describe_error(exc)})"
            return HealthReport(
                healthy=False,
                problems=(problem,),
                nodes=(),
                elapsed=perf_counter() - started,
                cluster=ClusterHealth(
                    state="unknown",
                    slots_covered=0,
                    uncovered=((0, SLOTS - 1),),
                    primaries=0,
                    replicas=0,
                ),
            )
    current = cluster.topology.map
    assert current is not None  # loaded above
    shards = [
        ShardPlan(
            ranges=shard.ranges,
            primary=shard.primary.address,
            replicas=tuple(r.address for r in shard.replicas),
        )
        for shard in current.shards
    ]
    executors: dict[str, CheckedExecutor] = {
        node.address: cluster.registry.of(node) for node in current.nodes()
    }
    remaining = max(0.001, check_timeout - (perf_counter() - started))
    report = await cluster_report(executors, shards, remaining)
    return dataclasses.replace(report, elapsed=perf_counter() - started)


async def cluster_report(
    executors: Mapping[str, CheckedExecutor],
    shards: Sequence[ShardPlan],
    check_timeout: float,
) -> HealthReport:
    """The health report of a cluster client, within ``check_timeout`` seconds.

    Args:
        executors: Each node's executor, by ``host:port`` (every address ``shards`` names).
        shards: The client's slot map.
        check_timeout: Longest time the whole check may take, in seconds.

    Returns:
        The report: one ``NodeHealth`` per node (primaries first), and ``ClusterHealth``.

    Raises:
        ValueError: ``check_timeout`` is not positive, or a shard names a node without an
            executor.
    """
    if check_timeout <= 0:
        raise ValueError(f"check_timeout must be > 0, got {check_timeout!r}")
    started = perf_counter()
    roles = {shard.primary: "primary" for shard in shards}
    for shard in shards:
        roles.update((replica, "replica") for replica in shard.replicas)
    missing = set(roles) - set(executors)
    if missing:
        raise ValueError(f"no executor for {', '.join(sorted(missing))}")
    order = sorted(roles, key=lambda address: (roles[address] != "primary", address))
    nodes: list[NodeHealth] = list(
        await asyncio.gather(
            *(
                check_node(executors[address], check_timeout, expected_role=roles[address])
                for address in order
            )
        )
    )
    remaining = check_timeout - (perf_counter() - started)
    state = await _cluster_state(
        [executors[n.address] for n in nodes if n.reachable and n.address in executors],
        remaining,
    )
    health = _coverage(shards, {n.address: n for n in nodes}, state)
    problems = [p for node in nodes for p in node.problems]
    problems += [
        f"slots {first}-{last} have no reachable primary" for first, last in health.uncovered
    ]
    if state != "ok":
        problems.append(f"cluster_state is {state}")
    return HealthReport(
        healthy=not problems,
        problems=tuple(problems),
        nodes=tuple(nodes),
        elapsed=perf_counter() - started,
        cluster=health,
    )


async def _cluster_state(executors: Sequence[CheckedExecutor], remaining: float) -> str:
    # CLUSTER INFO of the first node that answers; "unknown" when none does in time.
    for executor in executors:
        if remaining <= 0:
            break
        started = perf_counter()
        try:
            async with asyncio.timeout(remaining):
                info: object = await executor.rerun(
                    _m.CLUSTER_INFO, ("CLUSTER", "INFO"), None, None
                )
        except (RedisError, OSError, TimeoutError):
            remaining -= perf_counter() - started
            continue
        text = info.decode("utf-8", "replace") if isinstance(info, bytes) else str(info)
        for line in text.splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "cluster_state":
                return value.strip()
        return "unknown"
    return "unknown"


def _coverage(
    shards: Sequence[ShardPlan], nodes: Mapping[str, NodeHealth], state: str
) -> ClusterHealth:
    served = [False] * SLOTS
    for shard in shards:
        primary = nodes.get(shard.primary)
        if primary is None or not primary.reachable or primary.role != "primary":
            continue
        for first, last in shard.ranges:
            served[first : last + 1] = [True] * (last - first + 1)
    uncovered: list[tuple[int, int]] = []
    start: int | None = None
    for slot, ok in enumerate(served):
        if not ok and start is None:
            start = slot
        elif ok and start is not None:
            uncovered.append((start, slot - 1))
            start = None
    if start is not None:
        uncovered.append((start, SLOTS - 1))
    return ClusterHealth(
        state=state,
        slots_covered=sum(served),
        uncovered=tuple(uncovered),
        primaries=len(shards),
        replicas=sum(len(shard.replicas) for shard in shards),
    )
