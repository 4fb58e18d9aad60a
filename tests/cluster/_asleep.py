"""A cluster node that stops answering for a while, and keys that live on a given node."""

from __future__ import annotations

import asyncio
import uuid

from redis_oxide._keys import key_slot
from redis_oxide.testing import ClusterInfo, NodeInfo, raw_command
from tests.cluster._migrate import slot_owners


def key_on(cluster: ClusterInfo, node: NodeInfo, prefix: str) -> str:
    """Return a fresh key whose slot ``node`` serves."""
    owners = slot_owners(cluster)
    tag = uuid.uuid4().hex[:8]
    index = 0
    while True:
        key = f"{prefix}:{tag}:{index}"
        if owners[key_slot(key)] == node.port:
            return key
        index += 1


async def asleep(node: NodeInfo, seconds: float) -> asyncio.Future[object]:
    """Make ``node`` unresponsive for ``seconds`` (its event loop blocked by ``DEBUG SLEEP``).

    Returns once the server is inside the sleep; await the result to wait for its end.
    """
    sleeper = asyncio.ensure_future(
        asyncio.to_thread(raw_command, node.endpoint, "DEBUG", "SLEEP", str(seconds), timeout=5.0)
    )
    await asyncio.sleep(0.05)
    return sleeper
