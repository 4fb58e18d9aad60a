"""A pipeline of one command kind with one key each (SET over many slots): placed in one pass.

Rules this module keeps:

- ``place_whole`` places a batch whose commands are all the same command (one
  ``CommandMeta``) with its one routing key at a fixed index (``CommandMeta.key_index``),
  every key ``bytes`` (or every key ``str``) and every slot entry a node executor: the keys
  are read as a column, and one loop hashes each (CRC16 inlined when no key has a hash tag)
  and groups its position under its slot's entry. Any other batch (mixed commands, a keyless
  or multi-key command, a key missing, a node down, no map yet) returns None and takes
  ``run_cluster_batch``'s own loop, whose placement is the same command by command.
- ``run_whole`` runs one sub-batch per node, whole commands only (their frames reused), as
  the batch path does; a batch on one node is its own sub-batch. A node's failure or error
  replies are settled by ``settle_node`` (redirects command by command, re-runs after a lost
  connection); the values of the nodes that answered cleanly go to their places afterwards.
"""

# pyright: reportPrivateUsage=false
# (A node's failure is settled by the batch path's own step.)

from __future__ import annotations

import asyncio
import time
from binascii import crc_hqx
from itertools import repeat
from operator import is_, itemgetter
from typing import TYPE_CHECKING, cast

from redis_oxide._cluster._batches import NODE_TYPES
from redis_oxide._cluster._direct import send_whole, settle_sent
from redis_oxide._cluster._nodes import NodeExecutor
from redis_oxide._cluster._router import slots_of
from redis_oxide._cluster._settle import _Part, settle_node
from redis_oxide._cluster._targets import Target
from redis_oxide._exceptions import RedisError
from redis_oxide._keys import SLOT_COUNT
from redis_oxide._pool._batch import Batch

if TYPE_CHECKING:
    from redis_oxide._cluster._executor import ClusterExecutor

__all__ = ["place_whole", "run_whole"]

_SLOT_MASK = SLOT_COUNT - 1
_STR: set[type] = {str}
_BYTES: set[type] = {bytes}

#: Per node, the positions (in the caller's order) of the commands it runs.
Placement = list[tuple[NodeExecutor, list[int]]]


def place_whole(cluster: ClusterExecutor, batch: Batch) -> Placement | None:
    """Place a batch of one command kind with one key each, in one pass (module rules).

    Args:
        cluster: The cluster executor.
        batch: The queued commands.

    Returns:
        Each node with the positions of its commands, in first-use order; None when a
        command needs ``run_cluster_batch``'s own placement.

    Raises:
        UnicodeEncodeError: A ``str`` key holds a lone surrogate.
    """
    metas = batch.metas
    if not metas:
        return None
    meta = metas[0]
    index = meta.key_index
    if index is None or not all(map(is_, metas, repeat(meta))):
        return None
    try:
        keys = list(map(itemgetter(index), batch.args))
    except IndexError:  # a command without its key: the general placement says what to do
        return None
    kinds = set(map(type, keys))
    if kinds == _STR:
        keys = list(map(str.encode, keys))
    elif kinds != _BYTES:
        return None
    table = cluster.table(meta.is_readonly)
    groups: dict[Target | None, list[int]] = {}
    if b"".join(keys).find(b"{") < 0:
        # key_slot inlined (no hash tag), and the slot's entry grouped, in one loop (slots_of
        # and then a grouping loop cost ~700 more instructions per command).
        for position, key in enumerate(keys):
            target = table[crc_hqx(key, 0) & _SLOT_MASK]
            try:
                groups[target].append(position)
            except KeyError:
                groups[target] = [position]
    else:
        for position, slot in enumerate(slots_of(keys)):
            target = table[slot]
            try:
                groups[target].append(position)
            except KeyError:
                groups[target] = [position]
    if not set(map(type, groups)) <= NODE_TYPES:
        return None
    return cast("Placement", list(groups.items()))  # (the types were checked just above)


async def run_whole(cluster: ClusterExecutor, batch: Batch, placement: Placement) -> list[object]:
    """Run a placed batch: a sub-batch per node, concurrently.

    Args:
        cluster: The cluster executor.
        batch: The queued commands.
        placement: ``place_whole(cluster, batch)``.

    Returns:
        One value or error per command, in the caller's order.
    """
    timeout = cluster.command_timeout
    deadline = None if timeout is None else time.monotonic() + timeout
    results: list[object] = [None] * len(batch.metas)
    sent = send_whole(batch, placement)
    if sent is not None:
        return await settle_sent(cluster, batch, placement, sent, results, deadline)
    clean: list[tuple[list[int], list[object]]] = []
    await asyncio.gather(
        *(
            _run_node(cluster, batch, node, positions, results, deadline, clean)
            for node, positions in placement
        )
    )
    if len(clean) == 1 and len(clean[0][0]) == len(results):
        return clean[0][1]  # one node, every command, in order
    for positions, values in clean:
        for position, value in zip(positions, values, strict=True):
            results[position] = value
    return results


def _sub_batch(batch: Batch, positions: list[int]) -> Batch:
    # Columns copied in C; the whole batch when one node runs all of it.
    if len(positions) == len(batch.metas):
        return batch
    sub = Batch()
    sub.scripts = batch.scripts
    if len(positions) == 1:
        (only,) = positions
        sub.data, sub.parsers = [batch.data[only]], [batch.parsers[only]]
        sub.metas, sub.args = [batch.metas[only]], [batch.args[only]]
    else:
        take = itemgetter(*positions)
        parsers, count = batch.parsers, len(positions)
        sub.data, sub.args = list(take(batch.data)), list(take(batch.args))
        sub.metas = [batch.metas[0]] * count  # (one command kind: place_whole)
        # One command kind mostly has one parser (functions compare by identity: cheap).
        same = parsers.count(parsers[0]) == len(parsers)
        sub.parsers = [parsers[0]] * count if same else list(take(parsers))
    if batch.binary:
        sub.binary = [j for j, meta in enumerate(sub.metas) if meta.binary_reply]
    sub.blocking = batch.blocking and any(meta.is_blocking for meta in sub.metas)
    return sub


async def _run_node(
    cluster: ClusterExecutor,
    batch: Batch,
    node: NodeExecutor,
    positions: list[int],
    results: list[object],
    deadline: float | None,
    clean: list[tuple[list[int], list[object]]],
) -> None:
    entries = cast("list[int | _Part]", positions)  # whole commands only
    try:
        values = await node.run_batch(_sub_batch(batch, positions), transaction=False)
    except RedisError as exc:
        await settle_node(cluster, batch, node, entries, False, results, deadline, exc)
        return
    if any(issubclass(kind, BaseException) for kind in set(map(type, values))):
        await settle_node(cluster, batch, node, entries, False, results, deadline, values)
        return
    clean.append((positions, values))
