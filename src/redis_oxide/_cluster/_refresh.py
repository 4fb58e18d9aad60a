"""What a topology refresh asks a node, and whether the map it gets may still be stale.

Rules this module keeps:

- ``ask_for_map`` asks one node: ``CLUSTER SHARDS`` first; a reply with holes in its slot
  coverage is cross-checked with ``CLUSTER SLOTS`` (see ``_slots``), which is also the fallback
  for servers without ``CLUSTER SHARDS``. It goes to the node's strategy, as a probe's PING: a
  topology query is not a caller's command, so telemetry gives it no span.
- A map may be stale when the node that answered has not heard of the latest slot moves yet:
  a MOVED patch younger than the refresh names another owner (``patches_disagree``), or a
  primary that served slots serves none (``emptied_primaries``): Redis makes a primary that
  gave away its last slot a replica of the node that took it, and the other nodes learn it
  over the cluster bus a little later. The topology asks again while either holds (within its
  refresh rate limit, for a bounded time). Nothing here awaits except ``ask_for_map``.
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

from redis_oxide._cluster._nodes import NodeExecutor
from redis_oxide._cluster._slots import SlotMap
from redis_oxide._exceptions import ServerError
from redis_oxide._generated import _meta as _m
from redis_oxide._keys import SLOT_COUNT

__all__ = ["QUERY_TIMEOUT", "ask_for_map", "emptied_primaries", "first_map", "patches_disagree"]

# One topology question waits at most this long; a hung node must not hold up a refresh.
QUERY_TIMEOUT: Final = 2.0


async def ask_for_map(executor: NodeExecutor, host: str, *, tls: bool) -> SlotMap:
    """The slot map as the node of ``executor`` (reached at ``host``) sees it.

    Raises:
        TimeoutError: The node took longer than ``QUERY_TIMEOUT``.
        RedisError: The node failed or refused both questions.
    """
    async with asyncio.timeout(QUERY_TIMEOUT):
        try:
            reply: Any = await executor.strategy.execute(
                _m.CLUSTER_SHARDS, ("CLUSTER", "SHARDS"), None, QUERY_TIMEOUT
            )
        except ServerError as exc:
            if "unknown subcommand" not in exc.message.lower():
                raise
            reply = None
        found = None if reply is None else SlotMap.from_shards(reply, host, tls=tls)
        if found is None or found.covered < SLOT_COUNT:
            slots: Any = await executor.strategy.execute(
                _m.CLUSTER_SLOTS, ("CLUSTER", "SLOTS"), None, QUERY_TIMEOUT
            )
            other = SlotMap.from_slots(slots, host)
            if found is None or other.covered > found.covered:
                found = other
    return found


async def first_map(
    asking: list[asyncio.Task[SlotMap]], errors: list[BaseException]
) -> SlotMap | None:
    """The first map one of ``asking`` gets that covers any slot; the others are cancelled.

    Args:
        asking: The questions under way, one per node.
        errors: Where the failures of the questions that failed go.
    """
    pending = set(asking)
    try:
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                error = task.exception()
                if error is not None:
                    errors.append(error)
                    continue
                found = task.result()
                if found.covered:
                    return found
        return None
    finally:
        for task in pending:
            task.cancel()


def patches_disagree(new: SlotMap, patches: dict[int, tuple[str, float]]) -> bool:
    """Whether a MOVED patch kept over ``new`` names another owner than ``new`` does."""
    for slot, (address, _) in patches.items():
        shard = new.shard_of(slot)
        if shard is None or shard.primary.address != address:
            return True
    return False


def emptied_primaries(
    old: SlotMap | None, new: SlotMap, emptied: dict[str, float], now: float
) -> dict[str, float]:
    """Primaries of ``new`` that serve no slot but served some, each with when it was seen so.

    Args:
        old: The map before ``new``.
        new: The map just received.
        emptied: The previous answer (addresses still without slots keep their time).
        now: The time to give primaries seen emptied for the first time.
    """
    slotless = {shard.primary.address for shard in new.shards if not shard.ranges}
    found = {address: seen for address, seen in emptied.items() if address in slotless}
    if old is not None:
        for shard in old.shards:
            address = shard.primary.address
            if shard.ranges and address in slotless:
                found.setdefault(address, now)
    return found
