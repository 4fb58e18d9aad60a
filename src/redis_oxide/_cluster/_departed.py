"""A fan-out's unreachable replicas that the cluster no longer lists are left out of it.

Rules this module keeps:

- Replicas only: a primary's slots went to a node the fan-out did not ask, so leaving it out
  would answer for part of the data.
- One fresh map decides, within the command's deadline (without one, ``failover_timeout``);
  without a fresh map, or with nothing left to answer with, the errors stand.
"""

# pyright: reportPrivateUsage=false
# (The cluster executor's own step, split off the slow path for size; it reads the executor's
# settings and the slow path's list of lost-node errors.)

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from redis_oxide._cluster._redirects import _LOST
from redis_oxide._cluster._slots import ClusterMember
from redis_oxide._exceptions import RedisError

if TYPE_CHECKING:
    from redis_oxide._cluster._executor import ClusterExecutor

__all__ = ["without_departed"]


async def without_departed(
    cluster: ClusterExecutor,
    nodes: Sequence[ClusterMember],
    outcomes: list[Any],
    deadline: float | None,
) -> tuple[list[ClusterMember], list[Any]]:
    """A fan-out's nodes and outcomes, less unreachable replicas a fresh map no longer lists.

    A replica stopped and forgotten by the cluster would otherwise fail every command sent
    to all nodes (PUBSUB NUMSUB, ``on("replicas")``) until a refresh dropped it.

    Args:
        cluster: The cluster executor.
        nodes: Where the command ran.
        outcomes: Per node, its reply or error.
        deadline: The command's deadline; without one, ``failover_timeout`` bounds the wait.

    Returns:
        The nodes and outcomes to combine.
    """
    # Replicas only: a primary's slots went to a node this fan-out did not ask, so leaving
    # it out would answer for part of the data.
    unreachable = {
        node.address
        for node, outcome in zip(nodes, outcomes, strict=True)
        if isinstance(outcome, _LOST) and node.role == "replica"
    }
    if not unreachable:
        return list(nodes), outcomes
    topology = cluster.topology
    wait_until = deadline if deadline is not None else time.monotonic() + cluster._failover_timeout
    try:
        async with asyncio.timeout(max(0.0, wait_until - time.monotonic())):
            await topology.refresh()
    except (RedisError, TimeoutError):
        return list(nodes), outcomes  # no fresh map: the errors stand
    current = topology.map
    departed: set[str] = set()
    if current is not None:
        departed = unreachable - {node.address for node in current.nodes()}
    keep = [i for i, node in enumerate(nodes) if node.address not in departed]
    if not keep:
        return list(nodes), outcomes  # nothing left to answer with: the errors stand
    return [nodes[i] for i in keep], [outcomes[i] for i in keep]
