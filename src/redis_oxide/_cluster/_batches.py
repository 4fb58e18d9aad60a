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
- A single ``multi_shard`` command spanning slots (MGET of keys in many slots) runs the same
  way (``_split.run_split``): one pipeline of its parts per node, not a command per slot; a
  pipeline of one command kind with one key each is placed by ``_whole``. Both settle a
  node's failure or error replies with ``settle_node``.
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
from redis_oxide._cluster._nodes import NodeExecutor
from redis_oxide._cluster._redirects import host_of, route_address, run_slow
from redis_oxide._cluster._replies import combine
from redis_oxide._cluster._router import Part as SplitPart
from redis_oxide._cluster._router import reassemble, routing_keys, slot_of_keys, split_by_slot
from redis_oxide._cluster._transactions import keys_of, run_transaction
from redis_oxide._command import ArgT, CommandMeta, RequestPolicy
from redis_oxide._exceptions import (
    ConnectFailedError,
    ConnectionLostError,
    ConnectTimeoutError,
    MovedError,
    RedisError,
    ServerError,
)
from redis_oxide._executor import ServerExecutor
from redis_oxide._keys import SLOT_COUNT, key_slot
from redis_oxide._pool._batch import Batch
from redis_oxide._protocol import encode_command

if TYPE_CHECKING:
    from redis_oxide._cluster._executor import ClusterExecutor

__all__ = ["NODE_TYPES", "run_cluster_batch", "settle_node"]

Parser = Callable[[Any], Any] | None

_SLOT_MASK = SLOT_COUNT - 1
#: The slot tables' entries that are node executors (the rest: down or unknown nodes).
NODE_TYPES = frozenset({ServerExecutor, CachingExecutor})


class _Part:
    """One part of a command that is split or fanned out, or that must run alone."""

    __slots__ = ("args", "index", "node", "value")

    def __init__(self, index: int, node: NodeExecutor | None, args: tuple[ArgT, ...]) -> None:
        self.index = index  # the command it belongs to
        self.node = node  # None: run alone through the slow path
        self.args = args
        self.value: Any = None


class _Command:
    __slots__ = ("merge", "parts")

    def __init__(self, parts: list[_Part], merge: Callable[[list[Any]], Any] | None) -> None:
        self.parts = parts
        self.merge = merge  # None: one part, whose value is the command's


_SPLIT = None  # with_parts: every entry is a part of the batch's one split command

#: A node's share of a batch: per sub-batch position, the index of a command that goes there
#: whole (its frame is reused), or a part.
_Entries = list[int | _Part]


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


async def _place(cluster: ClusterExecutor, batch: Batch, index: int) -> _Command:
    meta, args = batch.metas[index], batch.args[index]
    keys = await keys_of(cluster, meta, args)
    if keys:
        slot = slot_of_keys(meta, keys)
        if slot is not None:
            complete = routing_keys(meta, args)[1]
            address = route_address(cluster, meta, args, False) if complete else None
            return _Command([_Part(index, _node_at(cluster, address), args)], None)
        return _split_command(cluster, index, meta, args)
    policy = meta.request_policy
    if policy is RequestPolicy.ALL_SHARDS or policy is RequestPolicy.ALL_NODES:
        nodes = cluster.topology_nodes("primaries" if policy is RequestPolicy.ALL_SHARDS else "all")
        parts = [_Part(index, cluster.registry.of(node), args) for node in nodes]
        addresses = [node.address for node in nodes]
        return _Command(parts, lambda values: combine(meta, values, addresses))
    if policy is RequestPolicy.SPECIAL:
        return _Command([_Part(index, None, args)], None)  # SCAN: its own rule, alone
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
        if type(target) not in NODE_TYPES:
            target = _node_at(cluster, route_address(cluster, meta, sub, False))
        parts.append(_Part(index, cast("NodeExecutor | None", target), sub))
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


async def settle_node(
    cluster: ClusterExecutor,
    batch: Batch,
    node: NodeExecutor,
    entries: _Entries,
    with_parts: bool | None,
    results: list[object],
    deadline: float | None,
    outcome: list[object] | RedisError,
) -> None:
    """Give a node's sub-batch outcome (its values, or the failure of its run) to its entries.

    Reroutable errors and parts a failed connection let run again go through the slow path.
    """
    if isinstance(outcome, (ConnectFailedError, ConnectTimeoutError)):
        # Nothing was sent: every entry may run again where the topology now says.
        address = node.strategy.address
        cluster.topology.report_failure(address, outcome)
        await _rerun(cluster, batch, entries, results, deadline, outcome, address)
        return
    if isinstance(outcome, ConnectionLostError):
        address = node.strategy.address
        cluster.topology.report_failure(address, outcome)
        for entry in entries:
            _store(entry, results, outcome)
        lost = outcome
        again = [e for e in entries if _meta(batch, e).is_readonly or not lost.may_have_executed]
        await _rerun(cluster, batch, again, results, deadline, outcome, address)
        return
    if isinstance(outcome, RedisError):
        for entry in entries:
            _store(entry, results, outcome)
        return
    values = outcome
    if with_parts is False:
        # The common case: whole commands, values straight to their places; only a batch
        # with an error reply (a C-level test of the distinct types) looks at each value.
        for position, value in zip(cast("list[int]", entries), values, strict=True):
            results[position] = value
        if not any(issubclass(kind, BaseException) for kind in set(map(type, values))):
            return
    redirected: list[tuple[int | _Part, ServerError]] = []
    for entry, value in zip(entries, values, strict=True):
        if isinstance(entry, int):
            results[entry] = value
        else:
            entry.value = value
        if isinstance(value, ServerError) and value.reroutable:
            redirected.append((entry, value))
    for entry, error in redirected:
        # MOVED, ASK, TRYAGAIN ...: only these commands run again, each alone.
        await _rerun(cluster, batch, [entry], results, deadline, error, node.strategy.address)


def _meta(batch: Batch, entry: int | _Part) -> CommandMeta:
    return batch.metas[entry if isinstance(entry, int) else entry.index]


def _store(entry: int | _Part, results: list[object], value: object) -> None:
    if isinstance(entry, int):
        results[entry] = value
    else:
        entry.value = value


async def _rerun(
    cluster: ClusterExecutor,
    batch: Batch,
    entries: _Entries,
    results: list[object],
    deadline: float | None,
    error: RedisError,
    origin: str,
) -> None:
    parts = [_Part(e, None, batch.args[e]) if isinstance(e, int) else e for e in entries]
    await asyncio.gather(*(_run_alone(cluster, batch, p, deadline, error, origin) for p in parts))
    for entry, part in zip(entries, parts, strict=True):
        if isinstance(entry, int):
            results[entry] = part.value


def _parser_of(batch: Batch, part: _Part) -> Parser:
    # A part that is its command's only one gets the command's parser; parts of split or
    # fanned-out commands stay raw until they are combined.
    meta, args = batch.metas[part.index], batch.args[part.index]
    if part.args is args and meta.request_policy not in (
        RequestPolicy.ALL_SHARDS,
        RequestPolicy.ALL_NODES,
    ):
        return batch.parsers[part.index]
    return None


async def _run_alone(
    cluster: ClusterExecutor,
    batch: Batch,
    part: _Part,
    deadline: float | None,
    error: RedisError | None,
    origin: str | None,
) -> None:
    meta = batch.metas[part.index]
    parser = _parser_of(batch, part)
    try:
        if not routing_keys(meta, part.args)[0]:
            if error is not None:
                raise error  # keyless: it belongs to its node
            part.value = await cluster._execute(meta, part.args, parser)
        else:
            if isinstance(error, MovedError):
                cluster.topology.moved(error.slot, error.host or host_of(origin), error.port)
            part.value = await run_slow(cluster, meta, part.args, parser, deadline, error, origin)
    except Exception as exc:  # the part's own failure is its value
        part.value = exc
