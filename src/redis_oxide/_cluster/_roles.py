"""Replica reads follow a promotion that sends them no signal.

Rules this module keeps:

- Under ``read_from="replica"`` or ``"prefer_replica"``, every ``ROLE_INTERVAL`` seconds
  (jittered) each replica of the current map that is not marked down is asked ``ROLE``, one at
  a time, off the command path. A manual ``CLUSTER FAILOVER`` keeps every connection and
  sends readers no MOVED, so without this a promoted replica kept taking reads as a primary
  until the periodic refresh (30 s by default).
- One answering ``master`` makes the topology refresh at once; the watch then starts over on
  the new map. A replica that does not answer in time is skipped: failures are the failure
  handling's business, not this watch's.
"""

# pyright: reportPrivateUsage=false
# (ROLE is sent through the node executors' seam, ``_execute``.)

from __future__ import annotations

import asyncio
import contextlib
import random
from typing import TYPE_CHECKING, Any, Final

from redis_oxide._exceptions import RedisError
from redis_oxide._generated import _meta as _m

if TYPE_CHECKING:
    from redis_oxide._cluster._topology import Topology

__all__ = ["ROLE_INTERVAL", "watch_replica_roles"]

#: Seconds between two looks at the replicas' roles.
ROLE_INTERVAL: Final = 2.0
# One ROLE waits at most this long.
_ROLE_TIMEOUT: Final = 1.0


async def watch_replica_roles(topology: Topology, interval: float = ROLE_INTERVAL) -> None:
    """Refresh ``topology`` when a replica of its map answers ``ROLE`` as a primary.

    Args:
        topology: The cluster's topology; the watch ends when it is closed.
        interval: Seconds between two rounds.
    """
    while not topology.closed:
        await asyncio.sleep(interval * random.uniform(0.9, 1.1))
        slot_map = topology.map
        if slot_map is None:
            continue
        replicas = [
            member
            for shard in slot_map.shards
            for member in shard.replicas
            if member.address not in topology.down
        ]
        for member in replicas:
            if topology.closed or topology.map is not slot_map:
                break
            try:
                async with asyncio.timeout(_ROLE_TIMEOUT):
                    reply: Any = await topology.registry.of(member)._execute(
                        _m.ROLE, ("ROLE",), None
                    )
            except (RedisError, TimeoutError, OSError):
                continue
            role: object = reply[0] if isinstance(reply, list) and reply else b""  # pyright: ignore[reportUnknownVariableType]
            if role in (b"master", "master"):
                # On failure the periodic and failure-driven refreshes try again.
                with contextlib.suppress(RedisError):
                    await topology.refresh()
                break
