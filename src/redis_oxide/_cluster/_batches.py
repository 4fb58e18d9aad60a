"""Pipelines and transactions on a cluster: one sub-batch per node, results in caller order.

Rules this module keeps:

- The whole batch is placed before anything is sent, so a command whose keys span slots (and
  cannot be split) raises ``CrossSlotError`` with nothing sent.
- Each command becomes one or more parts: one part on its slot's node; a ``multi_shard``
  command spanning slots, one part per slot; a fanned-out keyless command, one part per node
  of its policy. Parts are queued into one sub-batch per node, and the sub-batches run
  concurrently, each the way its node runs any batch (shared connection or lease).
- A part answered with MOVED, ASK or another reroutable error is re-run alone through the
  cluster's slow path (MOVED patches the map first); so is a part whose node could not be
  reached or whose connection died before it could have run (read-only parts: whether or not
  it ran). Other failures of a node's sub-batch become the value of that node's parts only:
  the other nodes' commands ran and keep their values.
- A part on a node marked down, or on a slot no node serves yet, runs alone through the slow
  path, which waits for the topology.
- Under ``read_from="replica"`` a read (or a read's part) placed on a shard with no replica
  left fails in its own slot with the ``ConnectFailedError`` a single read gets, and is sent
  nowhere: never to the primary. The batch's other commands run.
- A batch of whole commands only (each with its one key, of any kinds) whose nodes all have a
  ready shared connection is written straight to them (``_direct``), with no task per node.
- A single ``multi_shard`` command spanning slots (MGET of keys in many slots) runs the same
  way (``_split.run_split``): one pipeline of its parts per node, not a command per slot; a
  pipeline of one command kind with one key each is placed by ``_whole``. Both settle a
  node's failure or error replies with ``settle_node`` (``_settle``).
- Transactions: ``_transactions``.
"""

# pyright: reportPrivateUsage=false
# (The cluster executor's slow path and routing are its own; this module is part of it.)

from __future__ import annotations

import asyncio
import time
from binascii import crc_hqx
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from redis_oxide._cache import CachingExecutor
from redis_oxide._cluster._direct import send_whole, settle_sent
from redis_oxide._cluster._nodes import NodeExecutor
from redis_oxide._cluster._redirects import route_address
from redis_oxide._cluster._replies import CLUSTER_WIDE, combine
from redis_oxide._cluster._router import Part as SplitPart
from redis_oxide._cluster._router import reassemble, routing_keys, slot_of_keys, split_by_slot
from redis_oxide._cluster._settle import _Entries, _parser_of, _Part, _run_alone, settle_node
from redis_oxide._cluster._transactions import keys_of, run_transaction
from redis_oxide._command import ArgT, CommandMeta, RequestPolicy
from redis_oxide._exceptions import ConnectFailedError, RedisError
from redis_oxide._executor import ServerExecutor
from redis_oxide._generated import _meta as _m
from redis_oxide._keys import SLOT_COUNT, key_slot
from redis_oxide._pool._batch import Batch
from redis_oxide._protocol import encode_command

if TYPE_CHECKING:
    from redis_oxide._cluster._executor import ClusterExecutor

__all__ = ["NODE_TYPES", "run_cluster_batch"]

Parser = Callable[[Any], Any] | None

_SLOT_MASK = SLOT_COUNT - 1
#: The slot tables' entries that are node executors (the rest: down or unknown nodes).
NODE_TYPES = frozenset({ServerExecutor, CachingExecutor})


class _Command:
    __slots__ = ("merge", "parts")

    def __init__(self, parts: list[_Part], merge: Callable[[list[Any]], Any] | None) -> None:
        self.parts = parts
        self.merge = merge  # None: one part, whose value is the command's


_SPLIT = None  # with_parts: every entry is a part of the batch's one split command


async def run_cluster_batch(
    cluster: ClusterExecutor, batch: Batch, *, transaction: bool
) -> list[object]:
    """Run ``batch`` on the cluster; see the module rules.

    Args:
        cluster: The cluster executor.
        batch: The queued commands.
        transaction: Run them as one MULTI/EXEC on one slot's primary.

    Returns:
        One value or error per command, in the caller's order.

    Raises:
        CrossSlotError: Keys span slots where they may not; nothing was sent.
    """
    if transaction:
        return await run_transaction(cluster, batch)
    metas, all_args = batch.metas, batch.args
    primaries, readers = cluster.table(False), cluster.table(True)
    results: list[object] = [None] * len(metas)
    groups: dict[NodeExecutor, _Entries] = {}
    with_parts: set[NodeExecutor] = set()
    general: list[tuple[int, _Command]] = []
    alone: list[_Part] = []
    for index, meta in enumerate(metas):
        # The common case as in ClusterExecutor._execute: one key at a fixed index, the
        # slot's entry a node executor; the command goes whole, its frame reused.
        key_index = meta.key_index
        args = all_args[index]
        if key_index is not None and len(args) > key_index:
            key = args[key_index]
            data = key if isinstance(key, bytes) else key.encode() if isinstance(key, str) else b"{"
            slot = crc_hqx(data, 0) & _SLOT_MASK if data.find(b"{") < 0 else key_slot(key)
            target = (readers if meta.is_readonly else primaries)[slot]
            if type(target) is ServerExecutor or type(target) is CachingExecutor:
                entries = groups.get(target)
                if entries is None:
                    entries = groups[target] = []
                entries.append(index)
                continue
        command = await _place(cluster, batch, index)
        general.append((index, command))
        _group(command, groups, with_parts, alone)
    if not general:  # whole commands only (mixed kinds): straight to the connections
        placement = cast("list[tuple[NodeExecutor, list[int]]]", list(groups.items()))
        sent = send_whole(batch, placement)
        if sent is not None:
            timeout = cluster.command_timeout
            deadline = None if timeout is None else time.monotonic() + timeout
            return await settle_sent(cluster, batch, placement, sent, results, deadline)
    await _run_groups(cluster, batch, groups, with_parts, alone, results)
    _merge(batch, general, results)
    return results


def _group(
    command: _Command,
    groups: dict[NodeExecutor, _Entries],
    with_parts: set[NodeExecutor] | None,
    alone: list[_Part],
) -> None:
    for part in command.parts:
        node = part.node
        if node is None:
            if not isinstance(part.value, ConnectFailedError):  # (failed placing: no replica)
                alone.append(part)
            continue
        entries = groups.get(node)
        if entries is None:
            entries = groups[node] = []
        entries.append(part)
        if with_parts is not None:  # (the node may hold whole commands as well)
            with_parts.add(node)


async def _run_groups(
    cluster: ClusterExecutor,
    batch: Batch,
    groups: dict[NodeExecutor, _Entries],
    with_parts: set[NodeExecutor] | None,
    alone: list[_Part],
    results: list[object],
) -> None:
    # with_parts None: every entry is a part of the batch's one split command.
    timeout = cluster.command_timeout
    deadline = None if timeout is None else time.monotonic() + timeout
    await asyncio.gather(
        *(
            _run_node(
                cluster,
                batch,
                node,
                e,
                _SPLIT if with_parts is None else node in with_parts,
                results,
                deadline,
            )
            for node, e in groups.items()
        ),
        *(_run_alone(cluster, batch, part, deadline, None, None) for part in alone),
    )


def _merge(batch: Batch, general: list[tuple[int, _Command]], results: list[object]) -> None:
    for index, command in general:
        values = [part.value for part in command.parts]
        if command.merge is None:
            results[index] = values[0]
            continue
        try:
            raw = command.merge(values)
            parser = batch.parsers[index]
            results[index] = raw if parser is None else parser(raw)
        except Exception as exc:  # a failed part, or a parser failure, fills the slot
            results[index] = exc


def _node_at(cluster: ClusterExecutor, address: str | None) -> NodeExecutor | None:
    if address is None or address in cluster.topology.down:
        return None
    return cluster.registry.find(address)


def _routed(
    cluster: ClusterExecutor, index: int, meta: CommandMeta, args: tuple[ArgT, ...]
) -> _Part:
    # The slow route's node for a keyed part. Under read_from="replica" a read whose shard
    # has no replica left fails here, in its own slot, as a single read does: never the primary.
    part = _Part(index, None, args)
    try:
        part.node = _node_at(cluster, route_address(cluster, meta, args, False, replica_only=True))
    except ConnectFailedError as exc:
        part.value = exc  # no node: ``_group`` leaves it out, the error is its value
    return part


async def _place(cluster: ClusterExecutor, batch: Batch, index: int) -> _Command:
    meta, args = batch.metas[index], batch.args[index]
    keys = await keys_of(cluster, meta, args)
    if keys:
        slot = slot_of_keys(meta, keys)
        if slot is not None:
            if not routing_keys(meta, args)[1]:
                return _Command([_Part(index, None, args)], None)
            return _Command([_routed(cluster, index, meta, args)], None)
        return _split_command(cluster, index, meta, args)
    policy = meta.request_policy
    whole = policy is None and meta.name in CLUSTER_WIDE
    if policy is RequestPolicy.ALL_SHARDS or policy is RequestPolicy.ALL_NODES or whole:
        nodes = cluster.topology_nodes("primaries" if policy is RequestPolicy.ALL_SHARDS else "all")
        parts = [_Part(index, cluster.registry.of(node), args) for node in nodes]
        addresses = [node.address for node in nodes]
        return _Command(parts, lambda values: combine(meta, values, addresses))
    if policy is RequestPolicy.SPECIAL:
        return _Command([_Part(index, None, args)], None)  # SCAN: its own rule, alone
    if meta is _m.PUBLISH and len(args) > 1:  # where a plain PUBLISH goes: order kept
        return _Command([_Part(index, cluster.channel_primary(args[1]), args)], None)
    # Keyless without a policy: any primary; the first keeps a batch on few connections.
    primaries = cluster.topology_nodes("primaries")
    node = cluster.registry.of(primaries[0]) if primaries else None
    return _Command([_Part(index, node, args)], None)


def _split_command(
    cluster: ClusterExecutor,
    index: int,
    meta: CommandMeta,
    args: tuple[ArgT, ...],
    split: list[SplitPart] | None = None,
) -> _Command:
    if split is None:
        split = split_by_slot(meta, args)
    # The slot tables answer as the fast path does (MOVED patches included); anything but a
    # node executor there (a node marked down, no map yet) asks the slow route.
    table = cluster.table(meta.is_readonly)
    parts: list[_Part] = []
    for slot, sub, _ in split:
        target = table[slot]
        if type(target) in NODE_TYPES:
            parts.append(_Part(index, cast("NodeExecutor", target), sub))
        else:
            parts.append(_routed(cluster, index, meta, sub))
    if meta.response_policy is None:
        return _Command(parts, lambda values: reassemble(split, _raise_any(values)))
    return _Command(parts, lambda values: combine(meta, values, [str(s) for s, _, _ in split]))


def _raise_any(values: list[Any]) -> list[Any]:
    for value in values:
        if isinstance(value, BaseException):
            raise value
    return values


def _sub_batch(batch: Batch, entries: _Entries, with_parts: bool | None) -> Batch:
    sub = Batch()
    sub.scripts = batch.scripts
    if with_parts is _SPLIT:  # parts of one split command: raw until merged
        meta = batch.metas[0]
        sub.args = [cast("_Part", entry).args for entry in entries]
        sub.data = [encode_command(args) for args in sub.args]
        sub.metas = [meta] * len(entries)
        sub.parsers = [None] * len(entries)
        if meta.binary_reply:
            sub.binary = list(range(len(entries)))
        return sub
    if not with_parts:
        positions = cast("list[int]", entries)
        sub.data = [batch.data[i] for i in positions]
        sub.parsers = [batch.parsers[i] for i in positions]
        sub.metas = [batch.metas[i] for i in positions]
        sub.args = [batch.args[i] for i in positions]
        if batch.binary:
            sub.binary = [j for j, i in enumerate(positions) if batch.metas[i].binary_reply]
        sub.blocking = batch.blocking and any(batch.metas[i].is_blocking for i in positions)
        return sub
    for entry in entries:
        if isinstance(entry, int):
            sub.queue(batch.metas[entry], batch.args[entry], batch.parsers[entry])
        elif entry.args is batch.args[entry.index]:
            sub.queue(batch.metas[entry.index], entry.args, _parser_of(batch, entry))
        else:  # a part of a split command: raw until merged, framed as Batch.queue would
            meta = batch.metas[entry.index]
            sub.data.append(encode_command(entry.args))
            sub.parsers.append(None)
            sub.metas.append(meta)
            sub.args.append(entry.args)
            if meta.binary_reply:
                sub.binary.append(len(sub.metas) - 1)
    return sub


async def _run_node(
    cluster: ClusterExecutor,
    batch: Batch,
    node: NodeExecutor,
    entries: _Entries,
    with_parts: bool | None,
    results: list[object],
    deadline: float | None,
) -> None:
    try:
        values = await node.run_batch(_sub_batch(batch, entries, with_parts), transaction=False)
    except RedisError as exc:
        await settle_node(cluster, batch, node, entries, with_parts, results, deadline, exc)
        return
    await settle_node(cluster, batch, node, entries, with_parts, results, deadline, values)
